"""Whether a training assignment is met: the one place that decides it.

An assignment is met (合规) when the 学时 credited on the programme's courses within its window
reach the programme's hours and, if the programme has a closing exam, an attempt at that exam
passed within the window. Otherwise it is due until its due date and overdue after it, with what
is missing. Pages, exports, the API and the reminders all read it from here.

The decision is one SQL statement over any set of assignments (correlated subqueries on the day
ledger and the attempts, each an index lookup), so an employer of 20,000 workers is one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery, Sum, TextChoices, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exams.models import Attempt as ExamAttempt
from exams.models import AttemptMode, Certificate
from learning.models import Programme, StudyDay, TrainingAssignment, study_hours

__all__ = ["Standing", "Status", "standing_of", "standings", "standings_annotate", "today_local"]


class Status(TextChoices):
    MET = "met", gettext_lazy("已完成")
    DUE = "due", gettext_lazy("进行中")
    OVERDUE = "overdue", gettext_lazy("已逾期")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤销")


def today_local() -> dt.date:
    """Today where the training is owed (the site's time zone, Asia/Shanghai by default)."""
    return timezone.localdate()


@dataclass(frozen=True)
class Standing:
    assignment_id: int
    status: str
    seconds: int
    required_seconds: int
    exam_needed: bool
    exam_passed: bool
    certificate: str  # the verification code of the certificate the passing attempt earned, or ""
    due_on: dt.date
    days_left: int  # negative once overdue

    @property
    def met(self) -> bool:
        return self.status == Status.MET

    @property
    def hours(self) -> float:
        return round(study_hours(self.seconds), 1)

    @property
    def required_hours(self) -> float:
        return round(study_hours(self.required_seconds), 1)

    @property
    def hours_short(self) -> float:
        return round(study_hours(max(self.required_seconds - self.seconds, 0)), 1)

    @property
    def hours_done(self) -> bool:
        return self.seconds >= self.required_seconds

    @property
    def percent(self) -> int:
        """Progress toward the hours, 0–100 (the bar on the phone)."""
        if self.required_seconds <= 0:
            return 100
        return min(100, self.seconds * 100 // self.required_seconds)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def missing(self) -> list[str]:
        """What is still to do, in words: empty when met or withdrawn."""
        if self.status in (Status.MET, Status.WITHDRAWN):
            return []
        items = []
        if not self.hours_done:
            items.append(_("还差 %(hours)s 学时") % {"hours": self.hours_short})
        if self.exam_needed and not self.exam_passed:
            items.append(_("结业考试未通过"))
        return items


def _window_end(today: dt.date) -> Any:
    return Coalesce(OuterRef("ends_on"), Value(today))


def standings_annotate(assignments: QuerySet[TrainingAssignment], today: dt.date) -> QuerySet[TrainingAssignment]:
    """The assignments with what decides them: ``credited_seconds`` on the programme's courses
    within the window, ``exam_passed`` within it, and the certificate's verification code."""
    courses = Programme.courses.through.objects.filter(programme_id=OuterRef(OuterRef("programme_id")))
    seconds = (StudyDay.objects
               .filter(worker_id=OuterRef("worker_id"), course_id__in=courses.values("coursepage_id"),
                       day__gte=OuterRef("starts_on"), day__lte=_window_end(today))
               .order_by().values("worker_id").annotate(total=Sum("seconds")).values("total"))
    passed = ExamAttempt.objects.filter(
        worker_id=OuterRef("worker_id"), exam_id=OuterRef("programme__exam_id"), mode=AttemptMode.EXAM,
        passed=True, graded_at__date__gte=OuterRef("starts_on"), graded_at__date__lte=_window_end(today),
    ).exclude(certificate__revoked_at__isnull=False)  # a revoked certificate takes its pass with it
    certificate = Certificate.objects.filter(
        revoked_at__isnull=True, attempt__worker_id=OuterRef("worker_id"), exam_id=OuterRef("programme__exam_id"),
        attempt__graded_at__date__gte=OuterRef("starts_on"),
        attempt__graded_at__date__lte=_window_end(today)).order_by("-attempt__graded_at").values("verification")[:1]
    return assignments.annotate(
        credited_seconds=Coalesce(Subquery(seconds, output_field=IntegerField()), Value(0)),
        exam_passed=Exists(passed),
        certificate_code=Subquery(certificate),
    )


def _decide(*, assignment_id: int, seconds: int, required_hours: Any, has_exam: bool, passed: bool,
            certificate: str | None, due_on: dt.date, withdrawn: bool, today: dt.date) -> Standing:
    required = int(required_hours * settings.MINUTES_PER_STUDY_HOUR * 60)
    met = seconds >= required and (passed or not has_exam)
    if withdrawn and not met:
        status = Status.WITHDRAWN
    elif met:
        status = Status.MET
    elif due_on < today:
        status = Status.OVERDUE
    else:
        status = Status.DUE
    return Standing(assignment_id=assignment_id, status=status, seconds=seconds, required_seconds=required,
                    exam_needed=has_exam, exam_passed=passed, certificate=certificate or "", due_on=due_on,
                    days_left=(due_on - today).days)


STANDING_FIELDS = ("pk", "credited_seconds", "programme__required_hours", "programme__exam_id", "exam_passed",
                   "certificate_code", "due_on", "withdrawn_on")


def standing_from_row(row: dict[str, Any], today: dt.date) -> Standing:
    """A Standing from a ``values()`` row of standings_annotate that has STANDING_FIELDS."""
    return _decide(assignment_id=row["pk"], seconds=row["credited_seconds"] or 0,
                   required_hours=row["programme__required_hours"], has_exam=row["programme__exam_id"] is not None,
                   passed=bool(row["exam_passed"]), certificate=row["certificate_code"], due_on=row["due_on"],
                   withdrawn=row["withdrawn_on"] is not None, today=today)


def standings(assignments: QuerySet[TrainingAssignment], *, today: dt.date | None = None,
              extra: Iterable[str] = ()) -> Iterator[tuple[dict[str, Any], Standing]]:
    """Each assignment's row (STANDING_FIELDS and ``extra``, as values()) with its Standing,
    streamed in chunks so a large employer is never held whole."""
    today = today or today_local()
    rows = standings_annotate(assignments, today).values(*STANDING_FIELDS, *extra)
    for row in rows.iterator(chunk_size=2000):
        yield row, standing_from_row(row, today)


def standing_of(assignment: TrainingAssignment, *, today: dt.date | None = None) -> Standing:
    today = today or today_local()
    for _row, standing in standings(TrainingAssignment.objects.filter(pk=assignment.pk), today=today):
        return standing
    raise TrainingAssignment.DoesNotExist
