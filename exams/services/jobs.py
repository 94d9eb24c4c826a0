"""One task for every kind of exam job (core.jobs registers one step per waiting status)."""

from __future__ import annotations

from exams.models import ExamJob


def exam_job_run(*, job_id: int) -> int:
    kind = ExamJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind == ExamJob.Kind.PAPERS:
        from exams.services.papers import papers_prepare

        return papers_prepare(job_id=job_id)
    if kind == ExamJob.Kind.ANALYSIS:
        from exams.services.analysis import analysis_run

        return analysis_run(job_id=job_id)
    return 0
