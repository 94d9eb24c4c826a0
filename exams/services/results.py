"""What a graded attempt leads to: the result that counts, the notification, the certificate."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.notifications import notify
from exams.models import Attempt, AttemptMode, Exam, GradedAttempt


def counted_attempt(*, worker: Any, exam: Exam) -> Attempt | None:
    """The attempt whose grade stands for this worker (best by default, or first / last)."""
    graded = Attempt.objects.filter(exam=exam, worker=worker, mode=AttemptMode.EXAM, status=Attempt.Status.GRADED)
    if exam.graded_attempt == GradedAttempt.FIRST:
        return graded.order_by("number", "pk").first()
    if exam.graded_attempt == GradedAttempt.LAST:
        return graded.order_by("-number", "-pk").first()
    return graded.order_by("-score", "number", "pk").first()


def attempt_graded(attempt: Attempt) -> None:
    """Called inside the grading transaction of an exam attempt: a certificate row for a pass of a
    certifying exam (rendered after commit), and the worker's notification."""
    from exams.services.certificates import certificate_issue

    exam = attempt.exam
    certificate = None
    if exam is not None and exam.certifies and attempt.passed:
        certificate = certificate_issue(attempt=attempt)
    worker = attempt.worker
    if worker is None:
        return
    user_id = worker.user_id

    def send() -> None:
        # In the language of whoever graded it (the worker's page; the site's default for a
        # grade at the deadline by the background worker).
        title = _("考试成绩：%(exam)s") % {"exam": exam.title if exam else ""}
        values = {"number": attempt.number, "score": attempt.score, "percent": attempt.percent or 0}
        if attempt.passed:
            body = _("您第 %(number)s 次考试得分 %(score)s（%(percent).0f%%），成绩合格。") % values
        else:
            body = _("您第 %(number)s 次考试得分 %(score)s（%(percent).0f%%），未达到合格线。") % values
        if certificate is not None:
            body += " " + _("证书正在生成，生成后会另行通知。")
        notify(recipients=[user_id], key=f"exam-result:{attempt.code}", title=title, body=body,
               url=reverse("exams:result", args=[attempt.code]))

    transaction.on_commit(send)
