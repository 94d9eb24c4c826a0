"""Enrolment, lessons, the lesson check, completion (services/enrolment.py) and the learner's reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from exams.services.bank import question_data_from, question_save
from learning import selectors
from learning.models import Enrolment, LessonProgress, StudyHours
from learning.services.enrolment import (
    LearningError,
    check_submit,
    course_refresh,
    enrol,
    lesson_open,
    lesson_state,
)
from tests.conftest import Personas
from tests.learning.helpers import beat, device_for, enrolled, lessons_of, make_course, make_lesson, studied

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def answers_for(lesson: Any, *, wrong: int = 0) -> dict[str, str]:
    """The right answers by question code ("对" for a true/false key), the first ``wrong`` of them wrong."""
    answers = {}
    for index, row in enumerate(lesson.check_questions.select_related("question__current_version").order_by("sort_order")):
        version = row.question.current_version
        key = version.answer
        if version.kind == "truefalse":
            key = "对" if key == "A" else "错"
            wrong_key = "错" if key == "对" else "对"
        else:
            wrong_key = "A" if key != "A" else "C"
        answers[row.question.code] = wrong_key if index < wrong else key
    return answers


def watch(worker: Any, lesson: Any, *, seconds: int, duration: float, start: datetime) -> None:
    """Live beats every 30 s that also play the video from 0 at normal speed."""
    from learning.services.study import heartbeat_record

    token = device_for(worker, now=start)
    for step in range(seconds // 30 + 1):
        at = start + timedelta(seconds=30 * step)
        heartbeat_record(worker=worker, device_token=token, now=at, beat=beat(
            lesson, session_key=f"watch-{lesson.pk}", client_at=at, video_position=min(duration, 30.0 * step),
            video_duration=duration))


# -- enrol -----------------------------------------------------------------------------------------


def test_enrol_is_idempotent_and_counts_the_live_lessons(personas: Personas, course: Any) -> None:
    make_lesson(course, "reading", live=False)
    first = enrol(worker=personas.worker, course=course)
    again = enrol(worker=personas.worker, course=course)
    assert first.pk == again.pk and Enrolment.objects.count() == 1
    assert (first.source, first.lessons_total, first.lessons_completed, first.completed_at) == ("self", 3, 0, None)
    # Self enrolment is not audited.
    assert not ModelLogEntry.objects.filter(action="learning.enrolment.create").exists()


def test_an_admin_assigning_a_course_is_audited(personas: Personas, course: Any) -> None:
    enrol(worker=personas.worker, course=course)
    upgraded = enrol(worker=personas.worker, course=course, source="assigned", actor=personas.employer_admin)
    assert upgraded.source == "assigned"
    other = enrol(worker=personas.other_worker, course=course, source="assigned", actor=personas.employer_admin)
    entry = ModelLogEntry.objects.get(action="learning.enrolment.create")
    assert (entry.object_id, entry.user_id) == (str(other.pk), personas.employer_admin.pk)
    assert entry.data["employer"] == personas.other_worker.employer_id
    with pytest.raises(LearningError):
        enrol(worker=personas.worker, course=course, source="bogus")


def test_a_course_that_is_not_live_cannot_be_enrolled(personas: Personas) -> None:
    draft = make_course(live=False)
    with pytest.raises(LearningError) as refused:
        enrol(worker=personas.worker, course=draft)
    assert refused.value.code == "not_available"


def test_a_course_without_live_lessons_can_be_enrolled_but_is_not_complete(personas: Personas) -> None:
    empty = make_course(lessons=0)
    enrolment = enrol(worker=personas.worker, course=empty)
    assert (enrolment.lessons_total, enrolment.completed_at) == (0, None)


# -- lesson_open ---------------------------------------------------------------------------------------


def test_opening_a_lesson_needs_an_enrolment_and_sets_where_to_resume(personas: Personas, course: Any) -> None:
    video, reading, _check = lessons_of(course)
    with pytest.raises(LearningError) as refused:
        lesson_open(worker=personas.worker, lesson=reading)
    assert refused.value.code == "not_enrolled"
    enrolment = enrolled(personas.worker, course)
    progress = lesson_open(worker=personas.worker, lesson=reading)
    assert (progress.enrolment_id, progress.lesson_id, progress.credited_seconds) == (enrolment.pk, reading.pk, 0)
    assert lesson_open(worker=personas.worker, lesson=reading).pk == progress.pk
    enrolment.refresh_from_db()
    assert enrolment.last_lesson_id == reading.pk
    lesson_open(worker=personas.worker, lesson=video)
    enrolment.refresh_from_db()
    assert enrolment.last_lesson_id == video.pk
    # Another worker's open touches only their own records.
    with pytest.raises(LearningError):
        lesson_open(worker=personas.other_worker, lesson=reading)


# -- check_submit ---------------------------------------------------------------------------------------


def test_the_check_grades_by_the_questions_current_version(personas: Personas, course: Any, enrolment: Enrolment) -> None:
    check = lessons_of(course)[2]
    wrong = check_submit(worker=personas.worker, lesson=check, answers=answers_for(check, wrong=1))
    assert (wrong.passed, wrong.correct, wrong.total, wrong.needed) == (False, 1, 2, 2)
    assert [item.correct for item in wrong.feedback] == [False, True]
    assert wrong.feedback[0].explanation and wrong.feedback[1].answer == "对"
    # The editor changes the single-choice key: the next check is graded by the new version.
    question = check.check_questions.order_by("sort_order").first().question
    old = answers_for(check)
    question_save(actor=personas.editor, question=question, data=replace(question_data_from(question), answer="D"))
    stale = check_submit(worker=personas.worker, lesson=check, answers=old)
    assert (stale.passed, stale.correct) == (False, 1)
    passed = check_submit(worker=personas.worker, lesson=check, answers=answers_for(check))
    assert passed.passed
    progress = LessonProgress.objects.get(lesson=check)
    assert progress.check_attempts == 3 and progress.check_passed_at is not None
    # A later failure does not take the pass away.
    check_submit(worker=personas.worker, lesson=check, answers={})
    progress.refresh_from_db()
    assert progress.check_passed_at is not None and progress.check_attempts == 4


def test_the_check_pass_count_and_bad_answers(personas: Personas, enrolment: Enrolment, course: Any) -> None:
    lesson = make_lesson(course, "check", questions=3, pass_count=2)
    enrolment = course_refresh(enrolment=enrolment)
    result = check_submit(worker=personas.worker, lesson=lesson, answers={**answers_for(lesson, wrong=1), "nope": "A"})
    assert (result.passed, result.correct, result.needed) == (True, 2, 2)
    junk = {code: value for code, value in zip(answers_for(lesson), ["Z", "", "ABCDEFGHIJK"], strict=True)}
    assert check_submit(worker=personas.worker, lesson=lesson, answers=junk).correct == 0
    with pytest.raises(LearningError) as refused:
        check_submit(worker=personas.worker, lesson=lessons_of(course)[1], answers={})
    assert refused.value.code == "no_check"
    with pytest.raises(LearningError) as refused:
        check_submit(worker=personas.other_worker, lesson=lesson, answers={})
    assert refused.value.code == "not_enrolled"


# -- completion ------------------------------------------------------------------------------------------


def test_a_reading_lesson_completes_at_95_percent_of_its_minutes(personas: Personas, course: Any,
                                                                 enrolment: Enrolment) -> None:
    reading = lessons_of(course)[1]
    start = timezone.now() - timedelta(hours=1)
    results = studied(personas.worker, reading, seconds=540, start=start)
    assert not results[-1].lesson_completed
    state = lesson_state(LessonProgress.objects.get(lesson=reading))
    assert (state.completed, state.credited_seconds, state.required_seconds, state.cap_seconds) == (False, 540, 570, 720)
    assert state.missing == ["还需学习 1 分钟"]
    more = studied(personas.worker, reading, seconds=30, start=start + timedelta(seconds=600), token=None)
    assert more[-1].lesson_completed and (more[-1].course_completed, more[-1].course_total) == (1, 3)
    assert lesson_state(LessonProgress.objects.get(lesson=reading)).missing == []


def test_a_video_lesson_also_needs_95_percent_watched(personas: Personas, course: Any, enrolment: Enrolment) -> None:
    video = lessons_of(course)[0]
    start = timezone.now() - timedelta(hours=2)
    # Enough time, but the video (1200 s long) is only watched to 600 s.
    watch(personas.worker, video, seconds=600, duration=1200.0, start=start)
    progress = LessonProgress.objects.get(lesson=video)
    state = lesson_state(progress)
    assert progress.credited_seconds == 600 and not state.completed
    assert (state.has_video, state.video_percent) == (True, 50)
    assert state.missing == ["视频需观看到 95%（已看 50%）"]
    # A short video watched to the end within the time: complete.
    other = make_course(lessons=["video"], minutes=1)
    enrolled(personas.worker, other)
    short = lessons_of(other)[0]
    watch(personas.worker, short, seconds=60, duration=60.0, start=start + timedelta(minutes=30))
    assert lesson_state(LessonProgress.objects.get(lesson=short)).completed
    assert Enrolment.objects.get(course=other).completed_at is not None


def test_a_check_lesson_completes_when_time_and_check_are_done(personas: Personas, course: Any,
                                                               enrolment: Enrolment) -> None:
    check = lessons_of(course)[2]
    check_submit(worker=personas.worker, lesson=check, answers=answers_for(check))
    assert lesson_state(LessonProgress.objects.get(lesson=check)).missing == ["还需学习 10 分钟"]
    results = studied(personas.worker, check, seconds=570, start=timezone.now() - timedelta(hours=1))
    assert results[-1].lesson_completed
    fresh = make_course(lessons=["check"], minutes=1)
    enrolled(personas.worker, fresh)
    lesson = lessons_of(fresh)[0]
    studied(personas.worker, lesson, seconds=60, start=timezone.now() - timedelta(minutes=30))
    assert lesson_state(LessonProgress.objects.get(lesson=lesson)).missing == ["需通过课后小测验"]
    assert check_submit(worker=personas.worker, lesson=lesson, answers=answers_for(lesson)).passed
    assert LessonProgress.objects.get(lesson=lesson).completed_at is not None
    assert Enrolment.objects.get(course=fresh).completed_at is not None


def test_a_course_completes_when_every_live_lesson_does(personas: Personas, enrolment: Enrolment,
                                                        course: Any, clock: Any) -> None:
    video, reading, check = lessons_of(course)
    start = timezone.now() - timedelta(hours=3)
    watch(personas.worker, video, seconds=600, duration=570.0, start=start)
    studied(personas.worker, reading, seconds=600, start=start + timedelta(minutes=20))
    check_submit(worker=personas.worker, lesson=check, answers=answers_for(check))
    enrolment.refresh_from_db()
    assert (enrolment.lessons_completed, enrolment.completed_at) == (2, None)
    studied(personas.worker, check, seconds=600, start=start + timedelta(minutes=40))
    enrolment.refresh_from_db()
    assert (enrolment.lessons_completed, enrolment.lessons_total) == (3, 3)
    assert enrolment.completed_at == start + timedelta(minutes=40, seconds=570)  # the beat that completed it
    # A lesson added later counts in the total; the finished course stays finished.
    make_lesson(course, "reading")
    lesson_open(worker=personas.worker, lesson=reading)
    enrolment.refresh_from_db()
    assert (enrolment.lessons_completed, enrolment.lessons_total) == (3, 4) and enrolment.completed_at is not None


# -- the lesson page's model rule ------------------------------------------------------------------------------


def test_a_lesson_refuses_an_embedded_video(course: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        make_lesson(course, "embed")
    message = " ".join(refused.value.message_dict["body"])
    assert "第 1 个内容块" in message and "外站视频" in message and "mp4" in message


# -- selectors --------------------------------------------------------------------------------------------------


def test_my_courses_and_the_outline(personas: Personas, course: Any, enrolment: Enrolment, clock: Any) -> None:
    video, reading, check = lessons_of(course)
    other = make_course(lessons=["reading"])
    enrolled(personas.worker, other)
    studied(personas.worker, reading, seconds=600, start=timezone.now() - timedelta(hours=1))
    cards = selectors.worker_courses(personas.worker)
    assert [card.course.pk for card in cards] == [course.pk, other.pk]  # most recently studied first
    card = cards[0]
    assert (card.completed, card.total, card.percent, card.resume_url) == (1, 3, 33, reading.url)
    assert card.year_hours == round(600 / 60 / 45, 1)
    assert cards[1].resume_url == other.url
    outline = selectors.course_outline(worker=personas.worker, course=course)
    assert outline.enrolment == enrolment and outline.year_seconds == 600
    assert [line.state.completed for line in outline.lessons] == [False, True, False]
    assert outline.lessons[0].state.has_video and outline.lessons[2].state.needs_check
    anonymous = selectors.course_outline(worker=None, course=course)
    assert anonymous.enrolment is None and [line.state for line in anonymous.lessons] == [None, None, None]
    assert selectors.worker_year_hours(personas.worker, 2026) == [(course, 600)]
    assert selectors.worker_year_hours(personas.other_worker, 2026) == []
    assert selectors.lesson_has_video(video) and not selectors.lesson_has_video(reading)
    assert [lesson.pk for lesson in selectors.live_lessons(course)] == [video.pk, reading.pk, check.pk]
    assert StudyHours.objects.get(worker=personas.worker).year == 2026


def test_current_worker_is_none_for_other_roles(personas: Personas, rf: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = personas.worker_user
    assert selectors.current_worker(request) == personas.worker
    for user in (personas.employer_admin, personas.editor, AnonymousUser()):
        request = rf.get("/")
        request.user = user
        assert selectors.current_worker(request) is None
