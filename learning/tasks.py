"""Thin Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="learning.tasks.study_hours_export", acks_late=True)
def study_hours_export_task(export_id: int) -> bool:
    from learning.services.reports_export import study_hours_export_run

    return study_hours_export_run(export_id=export_id)


@shared_task(name="learning.tasks.training_sync", acks_late=True)
def training_sync_task(employer_id: int, worker_ids: list[int] | None = None) -> int:
    """The training rules for one employer after its roster changed (orgs.signals)."""
    from learning.services.programmes import training_sync
    from orgs.models import Employer

    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        return 0
    return training_sync(employer=employer, worker_ids=worker_ids).created


@shared_task(name="learning.tasks.training_sync_all", acks_late=True)
def training_sync_all_task() -> int:
    """Nightly: the rules for every employer (a hire date reached, anything a signal missed)."""
    from learning.services.programmes import training_sync_all

    return training_sync_all()


@shared_task(name="learning.tasks.training_rollover", acks_late=True)
def training_rollover_task(year: int | None = None) -> int:
    """Each year's annual cycles (beat, in the first days of January); safe to run again."""
    from learning.services.compliance import today_local
    from learning.services.programmes import training_rollover

    return training_rollover(year=year or today_local().year).created


@shared_task(name="learning.tasks.training_reminders", acks_late=True)
def training_reminders_task() -> int:
    from learning.services.reminders import training_reminders_send

    result = training_reminders_send()
    return result.workers + result.admins


@shared_task(name="learning.tasks.compliance_export", acks_late=True)
def compliance_export_task(export_id: int) -> bool:
    from learning.services.compliance_export import compliance_export_run

    return compliance_export_run(export_id=export_id)
