"""Reads of the learner's side, shared by the pages, the API and the home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Prefetch
from django.http import HttpRequest
from django.utils import timezone

from learning.models import CoursePage, Enrolment, LessonCheckQuestion, LessonPage, LessonProgress, StudyHours, study_hours
from learning.services.enrolment import LessonState, lesson_state
from learning.services.study import LEDGER_TIME_ZONE

__all__ = [
    "CourseCard", "CourseOutline", "LessonLine", "course_outline", "current_worker", "lesson_has_video",
    "live_lessons", "worker_courses", "worker_year_hours",
]


def current_worker(request: HttpRequest | Any) -> Any:
    """The signed-in person's worker record, or None for anyone who is not a worker. Being a
    worker is having a worker record (orgs.access), so it is read by the user directly: resolving
    the whole scope (a query per role) would be most of what a heartbeat costs."""
    from orgs.models import Worker

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Worker.objects.select_related("employer").filter(user_id=user.pk).first()


def live_lessons(course: CoursePage) -> list[LessonPage]:
    """The course's live lessons in the tree's order, as LessonPage objects."""
    return list(LessonPage.objects.child_of(course).live().order_by("path")
                .prefetch_related(Prefetch("check_questions", queryset=LessonCheckQuestion.objects.order_by("sort_order"))))


def lesson_has_video(lesson: LessonPage) -> bool:
    """A video block with a file (embeds are not tracked: LessonPage.clean refuses them)."""
    return lesson.has_file_video


def this_year(now: datetime | None = None) -> int:
    return (now or timezone.now()).astimezone(LEDGER_TIME_ZONE).year


@dataclass(frozen=True)
class CourseCard:
    course: CoursePage
    enrolment: Enrolment
    completed: int
    total: int
    percent: int
    resume_url: str
    year_hours: float


def worker_courses(worker: Any, *, now: datetime | None = None) -> list[CourseCard]:
    """The worker's enrolments for 我的课程, most recently studied first: progress and where to resume
    (the last lesson opened while it is live, else the course page)."""
    enrolments = list(Enrolment.objects.filter(worker=worker, course__live=True)
                      .select_related("course", "last_lesson").order_by(
                          F("completed_at").asc(nulls_first=True), F("last_studied_at").desc(nulls_last=True),
                          "-enrolled_at"))
    year = this_year(now)
    hours = dict(StudyHours.objects.filter(worker=worker, year=year).values_list("course_id", "seconds"))
    cards = []
    for enrolment in enrolments:
        lesson = enrolment.last_lesson
        resume = lesson.url if lesson is not None and lesson.live else enrolment.course.url
        total = enrolment.lessons_total
        percent = int(enrolment.lessons_completed * 100 / total) if total else 0
        cards.append(CourseCard(enrolment.course, enrolment, enrolment.lessons_completed, total, percent,
                                resume or "", round(study_hours(hours.get(enrolment.course_id, 0)), 1)))
    return cards


@dataclass(frozen=True)
class LessonLine:
    lesson: LessonPage
    progress: LessonProgress | None
    state: LessonState | None     # None when the worker is not enrolled


@dataclass(frozen=True)
class CourseOutline:
    course: CoursePage
    enrolment: Enrolment | None
    lessons: list[LessonLine]
    year_seconds: int

    @property
    def year_hours(self) -> float:
        return study_hours(self.year_seconds)


def course_outline(*, worker: Any, course: CoursePage, now: datetime | None = None) -> CourseOutline:
    """The course's live lessons and, for an enrolled worker, each lesson's state."""
    lessons = live_lessons(course)
    enrolment = Enrolment.objects.filter(worker=worker, course=course).first() if worker is not None else None
    if enrolment is None:
        return CourseOutline(course, None, [LessonLine(lesson, None, None) for lesson in lessons], 0)
    progress = {row.lesson_id: row for row in LessonProgress.objects.filter(enrolment=enrolment)}
    lines = []
    for lesson in lessons:
        row = progress.get(lesson.pk) or LessonProgress(enrolment=enrolment, lesson=lesson)
        lines.append(LessonLine(lesson, progress.get(lesson.pk), lesson_state(row, lesson=lesson)))
    seconds = StudyHours.objects.filter(worker=worker, course=course, year=this_year(now)).values_list(
        "seconds", flat=True).first() or 0
    return CourseOutline(course, enrolment, lines, int(seconds))


def worker_year_hours(worker: Any, year: int) -> list[tuple[CoursePage, int]]:
    """The worker's credited seconds per course in a calendar year (Asia/Shanghai), largest first."""
    rows = StudyHours.objects.filter(worker=worker, year=year, seconds__gt=0).select_related("course").order_by("-seconds")
    return [(row.course, row.seconds) for row in rows]
