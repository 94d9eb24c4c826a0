"""Fixtures for the employer's 学时 reports, made with the models directly: a catalogue of courses,
enrolments, ledger rows, and study sessions with their heartbeats as the engine records them.

The engine's rules are tested with the engine; here the rows only have to look like its output.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from wagtail.models import Site

from cms.models import HomePage
from learning.models import (
    CourseIndexPage,
    CoursePage,
    Enrolment,
    Heartbeat,
    LessonPage,
    LessonProgress,
    StudyHours,
    StudySession,
)

_numbers = itertools.count(1)
ANDROID_WECHAT = ("Mozilla/5.0 (Linux; Android 13; V2183A) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/116.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.47")
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.2 Mobile/15E148 Safari/604.1")


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def course_index() -> CourseIndexPage:
    existing = CourseIndexPage.objects.first()
    if existing is not None:
        return existing
    home = Site.objects.get(is_default_site=True).root_page.specific
    if not isinstance(home, HomePage):
        home = HomePage.objects.first() or home
    index = CourseIndexPage(title="培训课程", slug=f"courses-{next(_numbers)}")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def report_course(title: str = "接害劳动者粉尘与噪声防护", *, lessons: int = 3, minutes: int = 15) -> CoursePage:
    """A live course of ``lessons`` reading lessons of ``minutes`` each."""
    course = CoursePage(title=title, slug=f"course-{next(_numbers)}", summary=f"{title}的简介")
    course_index().add_child(instance=course)
    course.save_revision().publish()
    for number in range(1, lessons + 1):
        lesson = LessonPage(title=f"{title} 第{number}课", slug=f"lesson-{next(_numbers)}", credited_minutes=minutes,
                            body=json.dumps([{"type": "paragraph", "value": f"<p>第{number}课正文</p>"}]))
        course.add_child(instance=lesson)
        lesson.save_revision().publish()
    course.refresh_from_db()
    return course


def lessons_of(course: CoursePage) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))


def enrol(worker: Any, course: CoursePage, *, completed: int = 0, last_studied_at: dt.datetime | None = None,
          completed_at: dt.datetime | None = None, enrolled_at: dt.datetime | None = None) -> Enrolment:
    total = len(lessons_of(course))
    return Enrolment.objects.create(
        worker=worker, course=course, enrolled_at=enrolled_at or last_studied_at or timezone.now(),
        lessons_completed=completed, lessons_total=total, last_studied_at=last_studied_at, completed_at=completed_at)


def ledger(worker: Any, course: CoursePage, year: int, seconds: int) -> StudyHours:
    return StudyHours.objects.create(worker=worker, course=course, year=year, seconds=seconds)


def study(enrolment: Enrolment, *, started_at: dt.datetime, beats: Sequence[tuple[str, int, int]] = (),
          lesson: LessonPage | None = None, user_agent: str = ANDROID_WECHAT, device_token: str = "",
          interval: int = 30) -> StudySession:
    """A session and its heartbeats: each beat is (reason, claimed seconds, credited seconds),
    received ``interval`` seconds apart from ``started_at``. The session's totals are the beats'."""
    lesson = lesson or lessons_of(enrolment.course)[0]
    token = device_token or f"dev{next(_numbers):029d}"
    progress, _created = LessonProgress.objects.get_or_create(enrolment=enrolment, lesson=lesson)
    session = StudySession.objects.create(
        client_key=f"k{next(_numbers)}", worker=enrolment.worker, enrolment=enrolment, lesson=lesson, progress=progress,
        device_token=token, user_agent=user_agent, started_at=started_at, last_beat_at=started_at,
        last_client_at=started_at)
    moment = started_at
    for seq, (reason, claimed, credited) in enumerate(beats):
        moment = started_at + dt.timedelta(seconds=interval * seq)
        Heartbeat.objects.create(
            session=session, worker=enrolment.worker, lesson=lesson, received_at=moment, client_at=moment, seq=seq,
            active=reason != Heartbeat.Reason.IDLE, visible=reason != Heartbeat.Reason.HIDDEN,
            claimed_seconds=claimed, credited_seconds=credited, reason=reason,
            credited_from=moment - dt.timedelta(seconds=credited) if credited else None,
            credited_to=moment if credited else None)
    StudySession.objects.filter(pk=session.pk).update(
        last_beat_at=moment, last_client_at=moment, last_seq=len(beats) - 1, beats=len(beats),
        credited_seconds=sum(credited for _reason, _claimed, credited in beats),
        refused_seconds=sum(claimed - credited for _reason, claimed, credited in beats))
    session.refresh_from_db()
    return session


def stray_beat(worker: Any, *, reason: str = Heartbeat.Reason.NOT_ENROLLED, at: dt.datetime,
               lesson: LessonPage | None = None) -> Heartbeat:
    """A refused heartbeat that belongs to no session (a lesson of a course the worker never enrolled in)."""
    return Heartbeat.objects.create(worker=worker, lesson=lesson, received_at=at, client_at=at, seq=0,
                                    claimed_seconds=30, reason=reason)


# Beats of a session: a start, three credited, and refusals of two kinds.
START = (Heartbeat.Reason.START, 0, 0)
CREDITED = (Heartbeat.Reason.NONE, 30, 30)
IDLE = (Heartbeat.Reason.IDLE, 30, 0)
HIDDEN = (Heartbeat.Reason.HIDDEN, 30, 0)
