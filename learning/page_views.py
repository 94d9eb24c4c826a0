"""What the course pages do when they are served: the catalogue, a course (its outline and the
enrol button), a lesson (the study page the heartbeats come from) and the lesson's check.

The page models call these functions (learning.models: ``CourseIndexPage.get_context``,
``CoursePage.serve``, LessonPage's routes), so the page classes stay declarations. Every rule —
who may enrol, what a lesson needs to be complete, how a check is graded — is the services'
(learning.services.enrolment) and the reads are the selectors'; these functions only choose
what to show to whom:

- the catalogue and a course are public (anonymous readers get the cached page);
- a lesson is for a signed-in worker enrolled in its course (anonymous: the login page; a
  worker not enrolled: the course page, told why); anyone else signed in (an editor checking a
  lesson, an employer admin) reads it without the study controls, and nothing is recorded;
- a check is answered by an enrolled worker only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from cms.caching import allow_anonymous_cache
from core.errors import ServiceError
from core.scope import request_scope
from orgs.models import PostRole

HEARTBEAT_URL = "/api/v1/learning/heartbeats/"
MANIFEST_URL = "/courses/manifest.webmanifest"
# Rendition spec exactly as the catalogue template asks for it, so the prefetch finds it.
CATALOGUE_THUMBNAIL = "fill-240x160|format-webp"
ROLE_QUERY = "role"
# A lesson page is personal (its progress) but the service worker keeps a copy to read offline:
# the phone may store it, nothing in between may, and the worker revalidates it when online.
LESSON_CACHE_CONTROL = "private, no-cache"
CHECK_FIELD = "q-"


def _hours(minutes: int) -> float:
    from learning.models import study_hours

    return study_hours(minutes * 60)


def _worker(request: HttpRequest) -> Any:
    """The signed-in worker, or None (anonymous, or signed in with another role)."""
    if not request.user.is_authenticated or not request_scope(request).has("worker"):
        return None
    from learning import selectors

    return selectors.current_worker(request)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = LESSON_CACHE_CONTROL
    return response


def _role_labels(values: Any) -> list[str]:
    labels = dict(PostRole.choices)
    roles = values if isinstance(values, list) else []
    return [str(labels[value]) for value in PostRole.values if value in roles and value in labels]


# -- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    course: Any
    lessons: int
    minutes: int
    roles: list[str]
    card: Any = None  # the signed-in worker's CourseCard when enrolled

    @property
    def hours(self) -> float:
        return _hours(self.minutes)


@dataclass(frozen=True)
class RoleChoice:
    value: str
    label: str
    url: str
    selected: bool


def _catalogue(index: Any, role: str) -> list[CatalogueEntry]:
    """The index's live courses in tree order with their live lessons counted and summed (one
    query for all lessons, however many courses)."""
    from learning.models import CoursePage, LessonPage

    courses = list(
        CoursePage.objects.live().child_of(index).order_by("path")
        .prefetch_related(Prefetch("cover", queryset=get_image_model().objects.prefetch_renditions(CATALOGUE_THUMBNAIL)))
    )
    if role:
        # A JSON list: filtered here rather than in SQL, since SQLite has no JSON containment.
        courses = [course for course in courses if isinstance(course.audience_roles, list) and role in course.audience_roles]
    totals: dict[str, list[int]] = {}
    lesson_rows = (LessonPage.objects.live().filter(path__startswith=index.path, depth=index.depth + 2)
                   .values_list("path", "credited_minutes"))
    for path, minutes in lesson_rows:
        count_minutes = totals.setdefault(path[:len(index.path) + LessonPage.steplen], [0, 0])
        count_minutes[0] += 1
        count_minutes[1] += minutes
    entries = []
    for course in courses:
        count, minutes = totals.get(course.path, (0, 0))
        entries.append(CatalogueEntry(course, count, minutes, _role_labels(course.audience_roles)))
    return entries


def course_index_context(page: Any, request: HttpRequest) -> dict[str, Any]:
    """Context of the catalogue (CourseIndexPage.get_context adds it): courses as cards, filtered
    by ``?role=`` (a PostRole value); a signed-in worker sees their progress on enrolled ones."""
    raw_role = request.GET.get(ROLE_QUERY, "")
    role = raw_role if raw_role in PostRole.values else ""
    entries = _catalogue(page, role)
    worker = _worker(request)
    if worker is not None:
        from learning import selectors

        cards = {card.course.pk: card for card in selectors.worker_courses(worker)}
        entries = [CatalogueEntry(entry.course, entry.lessons, entry.minutes, entry.roles, cards.get(entry.course.pk))
                   for entry in entries]
    base = page.url or request.path
    choices = [RoleChoice("", _("全部"), base, not role)]
    choices += [RoleChoice(value, str(label), f"{base}?{ROLE_QUERY}={value}", value == role)
                for value, label in PostRole.choices]
    allow_anonymous_cache(request, query_names=frozenset({ROLE_QUERY}))
    return {
        "courses": entries,
        "role_choices": choices,
        "role": role,
        "role_unknown": bool(raw_role) and not role,
    }


# -- a course ---------------------------------------------------------------------------------


@dataclass
class OutlineRow:
    lesson: Any
    url: str
    state: Any = None  # LessonState for an enrolled worker
    started: bool = False


@dataclass
class CourseView:
    lessons: list[OutlineRow]
    minutes: int
    enrolment: Any = None
    completed: int = 0
    percent: int = 0
    resume_url: str = ""
    roles: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return _hours(self.minutes)


def _course_view(course: Any, request: HttpRequest, worker: Any) -> CourseView:
    from learning import selectors

    if worker is None:
        lessons = selectors.live_lessons(course)
        rows = [OutlineRow(lesson, lesson.get_url(request)) for lesson in lessons]
        return CourseView(rows, sum(lesson.credited_minutes for lesson in lessons),
                          roles=_role_labels(course.audience_roles))
    outline = selectors.course_outline(worker=worker, course=course)
    rows = []
    for item in outline.lessons:
        rows.append(OutlineRow(item.lesson, item.lesson.get_url(request), item.state,
                               started=item.progress is not None))
    enrolment = outline.enrolment
    completed = sum(1 for row in rows if row.state is not None and row.state.completed)
    view = CourseView(rows, sum(row.lesson.credited_minutes for row in rows), enrolment=enrolment,
                      completed=completed, roles=_role_labels(course.audience_roles))
    if enrolment is not None and rows:
        view.percent = round(100 * completed / len(rows))
        view.resume_url = _resume_url(enrolment, rows)
    return view


def _resume_url(enrolment: Any, rows: list[OutlineRow]) -> str:
    """继续学习: the lesson opened last, else the first one not complete, else the first."""
    for row in rows:
        if row.lesson.pk == enrolment.last_lesson_id:
            return row.url
    for row in rows:
        if row.state is None or not row.state.completed:
            return row.url
    return rows[0].url


def course_serve(page: Any, request: HttpRequest) -> HttpResponse:
    """CoursePage.serve: GET shows the course; POST enrols the signed-in worker (开始学习)."""
    if request.method == "POST":
        return _course_enrol(page, request)
    worker = _worker(request)
    context = page.get_context(request)
    context.update({
        "course": _course_view(page, request, worker),
        "worker": worker,
        "login_url": _login_url(page.get_url(request)),
    })
    response = TemplateResponse(request, page.get_template(request), context)
    if not request.user.is_authenticated:
        allow_anonymous_cache(request)
        return response
    return _private(response)


def _login_url(next_url: str) -> str:
    return f"{reverse('login')}?{urlencode({'next': next_url})}"


def _course_enrol(page: Any, request: HttpRequest) -> HttpResponse:
    from learning import selectors
    from learning.services.enrolment import enrol

    course_url = page.get_url(request)
    if not request.user.is_authenticated:
        return redirect_to_login(course_url)
    worker = _worker(request)
    if worker is None:
        # Signed in with a role that has no study record (an editor, an employer admin).
        raise PermissionDenied(_("只有劳动者账号可以报名学习。"))
    try:
        enrolment = enrol(worker=worker, course=page)
    except ServiceError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(course_url)
    lessons = selectors.live_lessons(page)
    if not lessons:
        messages.info(request, _("已报名。本课程的课时还在准备中，发布后即可学习。"))
        return HttpResponseRedirect(course_url)
    # Enrolling twice is enrolling once: the second 开始学习 resumes where the worker was.
    for lesson in lessons:
        if lesson.pk == enrolment.last_lesson_id:
            return HttpResponseRedirect(lesson.get_url(request))
    return HttpResponseRedirect(lessons[0].get_url(request))


# -- a lesson ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOption:
    letter: str
    text: str


@dataclass(frozen=True)
class CheckQuestion:
    number: int
    code: str
    kind: str
    stem: str
    image: Any
    options: list[CheckOption]
    chosen: tuple[str, ...] = ()  # the letters ticked, when the form is shown again

    @property
    def name(self) -> str:
        return f"{CHECK_FIELD}{self.code}"

    @property
    def multiple(self) -> bool:
        from exams.models import QuestionKind

        return self.kind == QuestionKind.MULTIPLE


def _check_questions(lesson: Any) -> list[CheckQuestion]:
    """The lesson's check as the worker answers it: each question's current version (what
    check_submit grades against), never its key or explanation."""
    from exams.models import OPTION_LETTERS

    # Filtered here, not in the query: a lesson previewed before it is saved holds its questions
    # in memory (modelcluster), where only plain lookups work.
    links = [link for link in lesson.check_questions.select_related("question__current_version__image").all()
             if link.question.current_version is not None]
    questions = []
    for number, link in enumerate(links, start=1):
        version = link.question.current_version
        options = [CheckOption(OPTION_LETTERS[i], text) for i, text in enumerate(version.options or [])]
        questions.append(CheckQuestion(number, link.question.code, version.kind, version.stem, version.image, options))
    return questions


def _neighbours(lesson: Any, lessons: list[Any]) -> tuple[Any, Any]:
    ids = [item.pk for item in lessons]
    if lesson.pk not in ids:
        return None, None
    at = ids.index(lesson.pk)
    previous = lessons[at - 1] if at > 0 else None
    following = lessons[at + 1] if at + 1 < len(lessons) else None
    return previous, following


def _lesson_context(lesson: Any, request: HttpRequest, *, study: bool, progress: Any = None) -> dict[str, Any]:
    from learning import selectors
    from learning.services.enrolment import lesson_state
    from learning.study_views import study_texts

    course = lesson.get_parent().specific
    lessons = selectors.live_lessons(course)
    previous, following = _neighbours(lesson, lessons)
    context = lesson.get_context(request)
    context.update({
        "course": course,
        "study": study,
        "previous_lesson": previous,
        "next_lesson": following,
        "check_url": f"{lesson.get_url(request)}check/",
        "check_questions": _check_questions(lesson),
        "heartbeat_url": HEARTBEAT_URL,
        "manifest_url": MANIFEST_URL,
        "interval": settings.STUDY_HEARTBEAT_SECONDS,
        "idle": settings.STUDY_IDLE_SECONDS,
        "study_texts": study_texts() if study else {},
    })
    if progress is not None:
        # The live_lessons copy has its check questions prefetched: lesson_state counts them there.
        listed = next((item for item in lessons if item.pk == lesson.pk), lesson)
        context.update(_progress_context(progress, lesson_state(progress, lesson=listed)))
    return context


def _progress_context(progress: Any, state: Any) -> dict[str, Any]:
    # Whole minutes as the phone shows them: credited rounded down, required up, so the page
    # never says 19 / 19 before the lesson is complete.
    return {"progress": progress, "state": state, "minutes_credited": state.credited_seconds // 60,
            "minutes_required": -(-state.required_seconds // 60)}


def lesson_serve(page: Any, request: HttpRequest) -> HttpResponse:
    """The lesson (LessonPage's main route)."""
    if getattr(request, "is_preview", False):
        return _lesson_render(page, request, _lesson_context(page, request, study=False))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    worker = _worker(request)
    if worker is None:
        # Read-only: an editor checking a published lesson, an employer admin looking at what
        # their workers study. No study controls, nothing recorded.
        return _private(_lesson_render(page, request, _lesson_context(page, request, study=False)))
    from learning.services.enrolment import lesson_open

    try:
        progress = lesson_open(worker=worker, lesson=page)
    except ServiceError as error:
        return _not_enrolled(page, request, error)
    return _private(_lesson_render(page, request, _lesson_context(page, request, study=True, progress=progress)))


def _lesson_render(page: Any, request: HttpRequest, context: dict[str, Any],
                   template: str = "") -> TemplateResponse:
    return TemplateResponse(request, template or page.get_template(request), context)


def _not_enrolled(page: Any, request: HttpRequest, error: ServiceError) -> HttpResponse:
    course = page.get_parent().specific
    if getattr(error, "code", "") == "not_enrolled":
        messages.info(request, _("请先报名本课程，再开始学习。"))
    else:
        messages.error(request, error.message)
    return HttpResponseRedirect(course.get_url(request))


# -- the lesson's check -----------------------------------------------------------------------


def _answers(request: HttpRequest, questions: list[CheckQuestion]) -> tuple[dict[str, str], dict[str, list[str]], str]:
    """The answers posted, by question code, checked against each question's options; the valid
    letters ticked (to show the form again as it was); and the first thing wrong, if any."""
    answers: dict[str, str] = {}
    chosen: dict[str, list[str]] = {}
    problems: list[str] = []
    for question in questions:
        letters = request.POST.getlist(question.name)
        valid = {option.letter for option in question.options}
        if any(letter not in valid for letter in letters) or (len(letters) > 1 and not question.multiple):
            problems.append(_("第 %(number)s 题的答案无效，请重新选择。") % {"number": question.number})
            continue
        chosen[question.code] = letters
        if not letters:
            problems.append(_("第 %(number)s 题还没有作答。") % {"number": question.number})
            continue
        answers[question.code] = "".join(sorted(set(letters)))
    return answers, chosen, problems[0] if problems else ""


def _with_chosen(questions: list[CheckQuestion], chosen: dict[str, list[str]]) -> list[CheckQuestion]:
    return [replace(question, chosen=tuple(chosen.get(question.code, ()))) for question in questions]


def lesson_check(page: Any, request: HttpRequest) -> HttpResponse:
    """The check at ``<lesson>/check/``: POST grades the answers (check_submit) and shows the
    result with feedback; a failed check may be answered again. GET shows the questions."""
    if not request.user.is_authenticated:
        return redirect_to_login(page.get_url(request))
    worker = _worker(request)
    if worker is None:
        raise PermissionDenied(_("只有劳动者账号可以作答小测验。"))
    from learning.services.enrolment import check_submit, lesson_open, lesson_state

    try:
        progress = lesson_open(worker=worker, lesson=page)
    except ServiceError as error:
        return _not_enrolled(page, request, error)
    context = _lesson_context(page, request, study=True, progress=progress)
    questions = context["check_questions"]
    if not questions:
        return HttpResponseRedirect(page.get_url(request))
    template = "learning/lesson_check.html"
    if request.method != "POST":
        return _private(_lesson_render(page, request, context, template))
    answers, chosen, problem = _answers(request, questions)
    if problem:
        context.update({"problem": problem, "check_questions": _with_chosen(questions, chosen)})
        response = _lesson_render(page, request, context, template)
        response.status_code = 400
        return _private(response)
    try:
        result = check_submit(worker=worker, lesson=page, answers=answers)
    except ServiceError as error:
        context.update({"problem": error.message, "check_questions": _with_chosen(questions, chosen)})
        response = _lesson_render(page, request, context, template)
        response.status_code = 400
        return _private(response)
    progress.refresh_from_db()
    context.update({
        "result": result,
        **_progress_context(progress, lesson_state(progress)),
        "feedback": _feedback(questions, result),
    })
    return _private(_lesson_render(page, request, context, template))


@dataclass(frozen=True)
class FeedbackRow:
    question: CheckQuestion
    correct: bool
    answer: str
    explanation: str


def _feedback(questions: list[CheckQuestion], result: Any) -> list[FeedbackRow]:
    by_code = {item.question_code: item for item in result.feedback}
    rows = []
    for question in questions:
        item = by_code.get(question.code)
        if item is not None:
            rows.append(FeedbackRow(question, item.correct, item.answer, item.explanation))
    return rows
