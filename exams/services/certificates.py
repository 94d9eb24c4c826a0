"""Certificates: issued when a certifying exam is passed, rendered in the background, verified in
public, revoked with a reason, never deleted."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.masking import id_number_mask
from exams.models import Attempt, Certificate


def certificate_issue(*, attempt: Attempt) -> Certificate:
    """The certificate for this passed attempt (one per worker and exam: a later pass does not
    issue a second), its rendering queued after commit."""
    from exams.tasks import certificate_render_task

    existing = Certificate.objects.filter(worker=attempt.worker, exam=attempt.exam).first()
    if existing is not None:
        return existing
    worker = attempt.worker
    exam = attempt.exam
    assert worker is not None and exam is not None
    certificate = Certificate.objects.create(
        attempt=attempt, worker=worker, employer_id=attempt.employer_id or worker.employer_id, exam=exam,
        holder_name=worker.name, holder_id_masked=id_number_mask(worker.id_number),
        employer_name=worker.employer.name, exam_title=exam.title, hours=exam.certificate_hours,
        score_percent=attempt.percent or 0.0, issued_on=timezone.localdate(attempt.graded_at),
    )
    transaction.on_commit(lambda: certificate_render_task.delay(certificate.pk))
    return certificate


def certificate_render(*, certificate_id: int) -> bool:
    """Render the PNG and PDF (being built: see the certificates work of issue 8)."""
    return False
