"""Reads of the worker's side of the training programmes: 我的培训 on the phone and its detail page,
and the home page's next step. Whether a cycle is met comes only from learning.services.compliance.

A worker's cycles are the not-withdrawn assignments at their current employer (a transfer ends the
old employer's cycles, and what the old employer set is no longer the worker's to do):
- current: every unmet cycle whose window is open, and unmet ones whose window closed within the
  last year (an annual cycle that ran out: it stays in sight, marked closed, without actions);
- done (已完成): the met ones of the last year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from exams.selectors import visible_exams
from learning.models import CoursePage, Enrolment, Programme, ProgrammeKind, StudyDay, TrainingAssignment, study_hours
from learning.services.compliance import Standing, Status, standings

__all__ = [
    "TrainingCourse", "TrainingDue", "TrainingRow", "WorkerTraining", "worker_training", "worker_training_cycle",
    "worker_training_due",
]

# How far back a met cycle (or a closed, unmet one) stays on the page.
RECENT_DAYS = 365
# The assignment codes are new_public_code() values (12 characters, the field holds 16): anything
# longer is not a code, and is answered like an unknown one without a query.
CODE_MAX_LENGTH = TrainingAssignment._meta.get_field("code").max_length or 16

_ROW_FIELDS = ("code", "programme_id", "programme__name", "programme__kind", "programme__exam__code",
               "programme__exam__title", "starts_on", "ends_on", "exam_open")


@dataclass(frozen=True)
class TrainingCourse:
    course: CoursePage
    enrolled: bool
    seconds: int = 0  # credited within the cycle's window (the detail page only)

    @property
    def hours(self) -> float:
        return round(study_hours(self.seconds), 1)


@dataclass(frozen=True)
class TrainingRow:
    """One cycle as the worker's pages render it."""

    code: str
    programme_name: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date | None
    standing: Standing
    closed: bool  # the window ended unmet: hours no longer count toward it
    exam_code: str = ""
    exam_title: str = ""
    exam_open: bool = False  # the closing exam is published and open to this worker
    legal_basis: str = ""
    courses: list[TrainingCourse] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(ProgrammeKind(self.kind).label) if self.kind in ProgrammeKind.values else self.kind

    @property
    def overdue(self) -> bool:
        return self.standing.status == Status.OVERDUE

    @property
    def days_overdue(self) -> int:
        return max(-self.standing.days_left, 0)

    @property
    def exam_due(self) -> bool:
        """The hours are done and the closing exam is what is left."""
        standing = self.standing
        return (not self.closed and not standing.met and standing.exam_needed and standing.hours_done
                and not standing.exam_passed and bool(self.exam_code))

    @property
    def show_exam(self) -> bool:
        return self.exam_due and self.exam_open

    @property
    def certificate(self) -> str:
        return self.standing.certificate if self.standing.met else ""

    @property
    def studying(self) -> bool:
        """Whether studying the courses still helps this cycle."""
        return not self.closed and not self.standing.met and not self.standing.hours_done

    @property
    def window_seconds(self) -> int:
        return sum(course.seconds for course in self.courses)


@dataclass(frozen=True)
class WorkerTraining:
    current: list[TrainingRow]
    done: list[TrainingRow]


def _cycles(worker: Any) -> QuerySet[TrainingAssignment]:
    exam_open = Exists(visible_exams(worker).filter(pk=OuterRef("programme__exam_id")))
    return (TrainingAssignment.objects
            .filter(worker_id=worker.pk, employer_id=worker.employer_id, withdrawn_on__isnull=True)
            .annotate(exam_open=exam_open))


def _row(row: dict[str, Any], standing: Standing, today: dt.date) -> TrainingRow:
    ends_on = row["ends_on"]
    return TrainingRow(
        code=row["code"], programme_name=row["programme__name"], kind=row["programme__kind"],
        starts_on=row["starts_on"], ends_on=ends_on, standing=standing,
        closed=not standing.met and ends_on is not None and ends_on < today,
        exam_code=row["programme__exam__code"] or "", exam_title=row["programme__exam__title"] or "",
        exam_open=bool(row["exam_open"]), legal_basis=row.get("programme__legal_basis") or "")


def _programme_courses(worker: Any, programme_ids: set[int]) -> dict[int, list[TrainingCourse]]:
    """The courses that count toward each programme, in the catalogue's order, with whether the
    worker is enrolled: one query for all the programmes."""
    if not programme_ids:
        return {}
    enrolled = Enrolment.objects.filter(worker_id=worker.pk, course_id=OuterRef("coursepage_id"))
    links = (Programme.courses.through.objects.filter(programme_id__in=programme_ids)
             .select_related("coursepage").annotate(enrolled=Exists(enrolled)).order_by("coursepage__path"))
    courses: dict[int, list[TrainingCourse]] = defaultdict(list)
    for link in links:
        courses[link.programme_id].append(TrainingCourse(link.coursepage, bool(getattr(link, "enrolled", False))))
    return courses


def _with_courses(rows: list[tuple[TrainingRow, int]], worker: Any) -> list[TrainingRow]:
    courses = _programme_courses(worker, {programme_id for _row, programme_id in rows})
    return [replace(row, courses=courses.get(programme_id, [])) for row, programme_id in rows]


def worker_training(worker: Any, today: dt.date) -> WorkerTraining:
    """The worker's cycles for 我的培训: the current ones (overdue first, then the nearest due date)
    and the met ones of the last year (latest first). Two queries: the standings (with the exam's
    availability) and the programmes' courses."""
    recent = today - dt.timedelta(days=RECENT_DAYS)
    cycles = _cycles(worker).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=recent))
    current: list[tuple[TrainingRow, int]] = []
    done: list[tuple[TrainingRow, int]] = []
    for values, standing in standings(cycles, today=today, extra=_ROW_FIELDS):
        row = _row(values, standing, today)
        if standing.met:
            # A met cycle that stays open (pre-job training) counts as "last year" by its due date.
            if (row.ends_on or standing.due_on) >= recent:
                done.append((row, values["programme_id"]))
        else:
            current.append((row, values["programme_id"]))
    current.sort(key=lambda item: (item[0].closed, not item[0].overdue, item[0].standing.due_on, item[0].code))
    done.sort(key=lambda item: (item[0].ends_on or item[0].standing.due_on, item[0].code), reverse=True)
    # Met cycles show no courses: one query for the current ones' courses is all the page needs.
    return WorkerTraining(_with_courses(current, worker), [row for row, _programme_id in done])


def worker_training_cycle(worker: Any, code: str, today: dt.date) -> TrainingRow | None:
    """One of the worker's cycles with its legal basis and the hours each course credited within
    its window (from the day ledger), or None when the code is not one of the worker's cycles
    (another worker's, a withdrawn one, an unknown code: the same answer)."""
    if not code or len(code) > CODE_MAX_LENGTH:
        return None
    # Read whole (one row at most), so the streaming cursor is closed here and not left to the GC.
    found = list(standings(_cycles(worker).filter(code=code), today=today,
                           extra=(*_ROW_FIELDS, "programme__legal_basis")))
    if not found:
        return None
    values, standing = found[0]
    row = _row(values, standing, today)
    courses = _programme_courses(worker, {values["programme_id"]}).get(values["programme_id"], [])
    seconds = dict(StudyDay.objects
                   .filter(worker_id=worker.pk, course_id__in=[course.course.pk for course in courses],
                           day__gte=row.starts_on, day__lte=row.ends_on or today)
                   .order_by().values("course_id").annotate(total=Sum("seconds")).values_list("course_id", "total"))
    return replace(row, courses=[TrainingCourse(course.course, course.enrolled, int(seconds.get(course.course.pk) or 0))
                                  for course in courses])


@dataclass(frozen=True)
class TrainingDue:
    """The home page's summary: how many cycles are unmet and the nearest due date among them."""

    count: int
    due_on: dt.date
    days_left: int


def worker_training_due(worker: Any, today: dt.date) -> TrainingDue | None:
    """Unmet cycles whose window is open, for the next-steps card: one query (the standings)."""
    cycles = (TrainingAssignment.objects
              .filter(worker_id=worker.pk, employer_id=worker.employer_id, withdrawn_on__isnull=True)
              .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)))
    unmet = [standing for _row, standing in standings(cycles, today=today) if not standing.met]
    if not unmet:
        return None
    nearest = min(unmet, key=lambda standing: standing.due_on)
    return TrainingDue(len(unmet), nearest.due_on, nearest.days_left)
