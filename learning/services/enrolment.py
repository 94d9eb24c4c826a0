"""Enrolment and progress: enrolling, opening a lesson, the lesson's check, and what is complete.

A lesson is complete when enough study time was credited (STUDY_COMPLETE_PERCENT of its minutes),
its video (when it has a file video) was watched that far, and its check (when it has questions)
was passed. A course is complete when every live lesson is. Completion, once reached, stays:
adding a lesson to a course later does not take a finished course away from a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit
from core.errors import ServiceError
from exams.models import AttemptItem, QuestionKind
from exams.services.attempts import item_points
from exams.services.bank import BankError, answer_normalise
from learning.models import CoursePage, Enrolment, LessonPage, LessonProgress

__all__ = [
    "CheckFeedback", "CheckResult", "LearningError", "LessonState", "check_submit", "course_refresh", "enrol",
    "lesson_open", "lesson_state", "progress_refresh",
]


class LearningError(ServiceError):
    """A refused enrolment, lesson or check. ``code``: "not_available" (the course is not live),
    "not_enrolled", "no_check" (the lesson has no check questions)."""

    def __init__(self, message: str, *, code: str = "invalid", field: str = "") -> None:
        super().__init__(message, field=field)
        self.code = code


@dataclass(frozen=True)
class CheckFeedback:
    question_code: str
    correct: bool
    answer: str        # the key, as the page shows it: option letters, or 对 / 错
    explanation: str


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    correct: int
    total: int
    needed: int
    feedback: list[CheckFeedback] = field(default_factory=list)


@dataclass(frozen=True)
class LessonState:
    completed: bool
    credited_seconds: int
    required_seconds: int
    cap_seconds: int
    has_video: bool
    video_percent: int
    needs_check: bool
    check_passed: bool
    missing: list[str]   # translated phrases: what is still to do


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _live_lesson_ids(course: CoursePage) -> list[int]:
    return list(LessonPage.objects.child_of(course).live().values_list("pk", flat=True))


def course_refresh(*, enrolment: Enrolment, now: datetime | None = None) -> Enrolment:
    """Recount the enrolment's lessons (live ones) and set completed_at when all are complete."""
    ids = _live_lesson_ids(enrolment.course)
    done = LessonProgress.objects.filter(enrolment=enrolment, lesson_id__in=ids, completed_at__isnull=False).count()
    changes: dict[str, Any] = {}
    if (enrolment.lessons_completed, enrolment.lessons_total) != (done, len(ids)):
        changes.update(lessons_completed=done, lessons_total=len(ids))
    if enrolment.completed_at is None and ids and done == len(ids):
        changes["completed_at"] = _now(now)
    if changes:
        Enrolment.objects.filter(pk=enrolment.pk).update(**changes)
        for name, value in changes.items():
            setattr(enrolment, name, value)
    return enrolment


def enrol(*, worker: Any, course: CoursePage, source: str = Enrolment.Source.SELF, actor: Any = None,
          now: datetime | None = None) -> Enrolment:
    """Enrol the worker (idempotent: the existing enrolment is returned). An assignment upgrades a
    self enrolment to "assigned" (the course is then required of them). ``actor``: the admin who
    enrolled someone else (audited); None or the worker themselves is not audited."""
    now = _now(now)
    if source not in Enrolment.Source.values:
        raise LearningError(_("不认识的报名方式"), field="source")
    if not isinstance(course, CoursePage) or not course.live:
        raise LearningError(_("这门课程目前不开放报名"), code="not_available")
    with transaction.atomic():
        enrolment, created = Enrolment.objects.get_or_create(
            worker=worker, course=course, defaults={"source": source, "enrolled_at": now})
        if not created and source == Enrolment.Source.ASSIGNED and enrolment.source != source:
            enrolment.source = source
            Enrolment.objects.filter(pk=enrolment.pk).update(source=source)
        enrolment.course = course
        course_refresh(enrolment=enrolment, now=now)
        if created and actor is not None and getattr(actor, "pk", None) != worker.user_id:
            audit(actor, "learning.enrolment.create", enrolment, employer_id=worker.employer_id,
                  data={"worker": worker.pk, "course": course.pk, "source": source},
                  title=f"{worker} · {course.title}")
    return enrolment


def enrolment_for(worker: Any, lesson: LessonPage) -> Enrolment | None:
    """The worker's enrolment in the lesson's course (its parent page)."""
    return (Enrolment.objects.select_related("course")
            .filter(worker=worker, course__path=lesson.path[: -lesson.steplen]).first())


def lesson_open(*, worker: Any, lesson: LessonPage, now: datetime | None = None) -> LessonProgress:
    """The worker opens a lesson: their progress on it (made on first opening), and the course
    resumes here next time."""
    enrolment = enrolment_for(worker, lesson)
    if enrolment is None:
        raise LearningError(_("请先报名这门课程"), code="not_enrolled")
    progress, _created = LessonProgress.objects.get_or_create(enrolment=enrolment, lesson=lesson)
    if enrolment.last_lesson_id != lesson.pk:
        Enrolment.objects.filter(pk=enrolment.pk).update(last_lesson=lesson)
        enrolment.last_lesson = lesson
    # Lessons published since the last visit change the course's total.
    course_refresh(enrolment=enrolment, now=now)
    progress.enrolment, progress.lesson = enrolment, lesson
    return progress


def _display_key(kind: str, key: str) -> str:
    if kind == QuestionKind.TRUE_FALSE:
        return "对" if key == "A" else "错"
    return key


def check_submit(*, worker: Any, lesson: LessonPage, answers: dict[str, str],
                 now: datetime | None = None) -> CheckResult:
    """Grade the lesson's check by each question's current version, with exams' own grading
    (all or nothing per question). Passing it once is enough; every attempt is counted."""
    now = _now(now)
    enrolment = enrolment_for(worker, lesson)
    if enrolment is None:
        raise LearningError(_("请先报名这门课程"), code="not_enrolled")
    rows = list(lesson.check_questions.select_related("question__current_version").order_by("sort_order", "pk"))
    versions = [row.question.current_version for row in rows if row.question.current_version is not None]
    if not versions:
        raise LearningError(_("本课时没有小测验"), code="no_check")
    if not isinstance(answers, dict):
        raise LearningError(_("答案格式不对"), field="answers")
    feedback = []
    for row, version in zip(rows, versions, strict=False):
        raw = answers.get(row.question.code, "")
        try:
            response = answer_normalise(version.kind, raw) if isinstance(raw, str) and raw.strip() else ""
        except BankError:
            response = ""  # not an answer this question takes: wrong, like a blank
        correct, _points = item_points(AttemptItem(version=version, response=response, points_possible=Decimal(1)),
                                       partial_credit=False)
        feedback.append(CheckFeedback(row.question.code, correct, _display_key(version.kind, version.answer),
                                      version.explanation))
    total = len(versions)
    needed = lesson.check_pass_count if 0 < lesson.check_pass_count <= total else total
    correct_count = sum(1 for item in feedback if item.correct)
    passed = correct_count >= needed
    with transaction.atomic():
        progress, _created = LessonProgress.objects.get_or_create(enrolment=enrolment, lesson=lesson)
        progress = LessonProgress.objects.select_for_update().get(pk=progress.pk)
        changes: dict[str, Any] = {"check_attempts": F("check_attempts") + 1}
        if passed and progress.check_passed_at is None:
            changes["check_passed_at"] = progress.check_passed_at = now
        LessonProgress.objects.filter(pk=progress.pk).update(**changes)
        progress.check_attempts += 1
        if progress.completed_at is None:
            progress_refresh(progress=progress, lesson=lesson, enrolment=enrolment, now=now)
    return CheckResult(passed, correct_count, total, needed, feedback)


def _video_percent(progress: LessonProgress) -> int:
    if progress.video_duration <= 0:
        return 0
    return min(100, int(progress.video_furthest / progress.video_duration * 100))


def _video_watched(progress: LessonProgress) -> bool:
    return progress.video_duration > 0 and progress.video_furthest * 100 >= progress.video_duration * settings.STUDY_COMPLETE_PERCENT


def _question_count(lesson: LessonPage) -> int:
    prefetched = getattr(lesson, "_prefetched_objects_cache", {}).get("check_questions")
    if prefetched is not None:
        return len(prefetched)
    return lesson.check_questions.count()


def lesson_state(progress: LessonProgress, *, lesson: LessonPage | None = None) -> LessonState:
    """What is done and what is missing on one lesson (``lesson``: the progress's lesson, when the
    caller already has it, with check_questions prefetched)."""
    lesson = lesson or progress.lesson
    has_video = lesson.has_file_video
    needs_check = _question_count(lesson) > 0
    check_passed = progress.check_passed_at is not None
    missing = []
    left = lesson.required_seconds - progress.credited_seconds
    if left > 0:
        minutes = (left + 59) // 60
        missing.append(ngettext("还需学习 %(minutes)s 分钟", "还需学习 %(minutes)s 分钟", minutes) % {"minutes": minutes})
    if has_video and not _video_watched(progress):
        missing.append(_("视频需观看到 %(percent)s%%（已看 %(watched)s%%）") % {
            "percent": settings.STUDY_COMPLETE_PERCENT, "watched": _video_percent(progress)})
    if needs_check and not check_passed:
        missing.append(_("需通过课后小测验"))
    return LessonState(
        completed=progress.completed_at is not None or not missing,
        credited_seconds=progress.credited_seconds, required_seconds=lesson.required_seconds,
        cap_seconds=lesson.cap_seconds, has_video=has_video, video_percent=_video_percent(progress),
        needs_check=needs_check, check_passed=check_passed, missing=missing,
    )


def progress_refresh(*, progress: LessonProgress, lesson: LessonPage, enrolment: Enrolment,
                     now: datetime | None = None) -> bool:
    """Mark the lesson complete when it now is (and recount the course). Called after each beat
    that credited or moved the video, and after each check; cheap until the time is there."""
    if progress.completed_at is not None:
        return True
    if progress.credited_seconds < lesson.required_seconds:
        return False
    if lesson.has_file_video and not _video_watched(progress):
        return False
    if progress.check_passed_at is None and _question_count(lesson) > 0:
        return False
    now = _now(now)
    LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(completed_at=now)
    progress.completed_at = now
    course_refresh(enrolment=enrolment, now=now)
    return True
