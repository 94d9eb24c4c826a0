"""Thin Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="learning.tasks.study_hours_export", acks_late=True)
def study_hours_export_task(export_id: int) -> bool:
    from learning.services.reports_export import study_hours_export_run

    return study_hours_export_run(export_id=export_id)
