"""Thin Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="exams.tasks.exam_papers_due")
def exam_papers_due_task() -> int:
    from exams.services.papers import papers_due

    return papers_due()


@shared_task(name="exams.tasks.attempt_grade_due", acks_late=True)
def attempt_grade_due_task(attempt_id: int) -> bool:
    from exams.services.attempts import attempt_grade_if_due

    return attempt_grade_if_due(attempt_id=attempt_id)


@shared_task(name="exams.tasks.attempts_grade_expired")
def attempts_grade_expired_task() -> int:
    from exams.services.attempts import attempts_grade_expired

    return attempts_grade_expired()


@shared_task(name="exams.tasks.certificate_render", acks_late=True)
def certificate_render_task(certificate_id: int) -> bool:
    from exams.services.certificates import certificate_render

    return certificate_render(certificate_id=certificate_id)


@shared_task(name="exams.tasks.exam_job", acks_late=True)
def exam_job_task(job_id: int) -> int:
    from exams.services.jobs import exam_job_run

    return exam_job_run(job_id=job_id)


@shared_task(name="exams.tasks.results_export", acks_late=True)
def results_export_task(export_id: int) -> bool:
    from exams.services.results_export import results_export_run

    return results_export_run(export_id=export_id)
