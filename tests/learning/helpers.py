"""Building blocks for learning tests (shared by every learning test file; keep the names stable).

- ``course_index()``: the catalogue page under the site's home page, made on first use.
- ``make_course(lessons=3, video=True, check=True, live=True)``: a course whose lessons are, in
  order, one with a file video block (mp4 from the document library), one reading, one ending with
  a check of two questions from the exam bank. ``lessons`` may also be a list of kinds
  ("video", "reading", "check", "embed") for any other mix.
- ``enrolled(worker, course)``: the worker's enrolment, through the service.
- ``beat(lesson, **overrides)``: a heartbeat as the page would send it now (seq increasing).
- ``device_for(worker)``: a fresh study token for the worker, as a login would issue.
- ``studied(worker, lesson, seconds=…, start=…)``: a stretch of live beats every 30 s, credited.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from cms.models import HomePage
from exams.models import Question, QuestionKind
from exams.services.bank import QuestionData, question_save
from learning.models import CourseIndexPage, CoursePage, Enrolment, LessonCheckQuestion, LessonPage

_numbers = itertools.count(1)
_seqs = itertools.count(1)

LESSON_KINDS = ("video", "reading", "check", "embed")
# Not a playable file: the tests never play it, they only need a file video block to point at one.
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def course_index() -> CourseIndexPage:
    existing = CourseIndexPage.objects.first()
    if existing is not None:
        return existing
    site = Site.objects.get(is_default_site=True)
    home: Page = site.root_page.specific
    if not isinstance(home, HomePage):
        home = HomePage.objects.first() or home
    index = CourseIndexPage(title="职业健康培训课程", slug="courses", intro="在手机上学习，学时自动记录。")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def video_document(title: str = "课时视频") -> Any:
    document = get_document_model()(title=title)
    document.file.save(f"lesson-{next(_numbers)}.mp4", ContentFile(FAKE_MP4), save=False)
    document.save()
    return document


def check_question(number: int, *, kind: str = QuestionKind.SINGLE, answer: str | None = None) -> Question:
    """A bank question made through exams' service (so it has its current version)."""
    if kind == QuestionKind.TRUE_FALSE:
        options: list[str] = []
        answer = answer or "对"
    else:
        options = [f"课后题{number}选项{letter}" for letter in "ABCD"]
        answer = answer or ("B" if kind == QuestionKind.SINGLE else "AC")
    return question_save(actor=None, create_category=True, data=QuestionData(
        kind=kind, stem=f"课后小测验第 {number} 题（{kind}）", options=options, answer=answer,
        explanation=f"第 {number} 题的解析", category_path="培训/课后测验", dimension_code="law"))


def _body(kind: str) -> list[dict[str, Any]]:
    text = {"type": "paragraph", "value": "<h2>要点</h2><p>粉尘作业必须佩戴合格的防尘口罩。</p>"}
    if kind == "video":
        return [{"type": "video", "value": {"file": video_document().pk, "embed": None, "caption": "示范"}}, text]
    if kind == "embed":
        return [{"type": "video", "value": {"file": None, "embed": "https://v.qq.com/x/page/a0000000000.html",
                                            "caption": "外站视频"}}, text]
    return [text]


def make_lesson(course: CoursePage, kind: str = "reading", *, title: str = "", minutes: int = 10,
                live: bool = True, questions: int = 2, pass_count: int = 0) -> LessonPage:
    """A lesson under ``course``; kind "check" adds ``questions`` bank questions (single, then true/false)."""
    if kind not in LESSON_KINDS:
        raise ValueError(f"lesson kind {kind!r} is not one of {LESSON_KINDS}")
    number = next(_numbers)
    lesson = LessonPage(title=title or f"第{number}课（{kind}）", slug=f"lesson-{number}", live=False,
                        summary="", body=json.dumps(_body(kind), ensure_ascii=False), credited_minutes=minutes,
                        check_pass_count=pass_count)
    if kind == "check":
        kinds = [QuestionKind.SINGLE, QuestionKind.TRUE_FALSE, QuestionKind.MULTIPLE]
        lesson.check_questions = [
            LessonCheckQuestion(question=check_question(next(_numbers), kind=kinds[i % 3]), sort_order=i)
            for i in range(questions)
        ]
    course.add_child(instance=lesson)
    revision = lesson.save_revision()
    if live:
        revision.publish()
    lesson.refresh_from_db()
    return lesson


def make_course(lessons: int | Sequence[str] = 3, video: bool = True, check: bool = True, live: bool = True,
                *, title: str = "", minutes: int = 10, audience_roles: Sequence[str] = ()) -> CoursePage:
    """A course with ``lessons`` lessons of ``minutes`` each. With a number, the kinds are video
    (if ``video``), reading, check (if ``check``), then readings to make up the number."""
    if isinstance(lessons, int):
        kinds = [k for k, wanted in (("video", video), ("reading", True), ("check", check)) if wanted]
        kinds = (kinds + ["reading"] * lessons)[:lessons] if lessons >= len(kinds) else kinds[:lessons]
    else:
        kinds = list(lessons)
    number = next(_numbers)
    course = CoursePage(title=title or f"测试课程{number}", slug=f"course-{number}", live=False,
                        summary="接害劳动者岗前培训", audience_roles=list(audience_roles))
    course_index().add_child(instance=course)
    revision = course.save_revision()
    if live:
        revision.publish()
    course.refresh_from_db()
    for kind in kinds:
        make_lesson(course, kind, minutes=minutes, live=live)
    return course


def lessons_of(course: CoursePage) -> list[LessonPage]:
    """Every lesson of the course in tree order, live or not (live_lessons only gives live ones)."""
    return list(LessonPage.objects.child_of(course).order_by("path").specific())


def enrolled(worker: Any, course: CoursePage, **kwargs: Any) -> Enrolment:
    from learning.services.enrolment import enrol

    return enrol(worker=worker, course=course, **kwargs)


def beat(lesson: LessonPage | int, **overrides: Any) -> Any:
    """A beat for ``lesson`` made now (time-machine moves it), in session "tab-1", with a seq that
    only increases (so it never looks like a replay by accident)."""
    from learning.services.study import Beat

    values: dict[str, Any] = {
        "lesson_id": lesson if isinstance(lesson, int) else lesson.pk,
        "session_key": "tab-1",
        "seq": next(_seqs),
        "client_at": timezone.now(),
    }
    values.update(overrides)
    return Beat(**values)


def device_for(worker: Any, *, session: dict[str, Any] | None = None, now: datetime | None = None) -> str:
    """A new study token for the worker, as their next login would issue (older tokens stop counting)."""
    from learning.services.study import device_issue

    return device_issue(user=worker.user, session=session if session is not None else {}, now=now)


def studied(worker: Any, lesson: LessonPage, *, seconds: int, start: datetime | None = None, interval: int = 30,
            session_key: str = "", token: str | None = None) -> list[Any]:
    """Live beats every ``interval`` seconds from ``start`` for ``seconds`` (plus the opening beat),
    with the server clock injected, so no time machine is needed. Returns the BeatResults."""
    from learning.services.study import heartbeat_record

    start = start or timezone.now() - timedelta(seconds=seconds + 60)
    token = token if token is not None else device_for(worker, now=start)
    key = session_key or f"study-{next(_numbers)}"
    results = []
    for step in range(seconds // interval + 1):
        at = start + timedelta(seconds=step * interval)
        results.append(heartbeat_record(worker=worker, device_token=token, now=at,
                                        beat=beat(lesson, session_key=key, client_at=at)))
    return results
