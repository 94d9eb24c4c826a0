"""Thin Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="surveys.tasks.survey_import", acks_late=True)
def survey_import_task(job_id: int) -> int:
    from surveys.services.imports import survey_import_run

    return survey_import_run(job_id=job_id)


@shared_task(name="surveys.tasks.awareness_export", acks_late=True)
def awareness_export_task(job_id: int) -> int:
    from surveys.services.exports import awareness_export_run

    return awareness_export_run(job_id=job_id)
