"""Reads of the worker's side of exams, shared by the pages, the API and the home page.

The paper a worker answers comes from ``attempt_paper``, which has no field for the key or the
explanation at all: what a page cannot be given it cannot leak. The review with the key comes from
``attempt_review``, and only when ``review_allowed`` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from core import fixedsql
from exams.models import (
    OPTION_LETTERS,
    Attempt,
    AttemptItem,
    AttemptMode,
    Certificate,
    Exam,
    ExamAssignment,
    QuestionKind,
    QuestionVersion,
    ReviewPolicy,
    WrongAnswer,
)
from exams.services.attempts import Eligibility, exam_eligibility, is_code, override_of
from exams.services.practice import wrong_book
from exams.services.results import counted_attempt
from orgs.selectors import signed_in_worker

logger = logging.getLogger(__name__)

IMAGE_FILTER = "max-720x720"


def current_worker(request: HttpRequest | Any) -> Any:
    """The signed-in person's worker record, or None (the scope's worker role is the same row)."""
    return signed_in_worker(request)


def own_attempt(worker: Any, code: str) -> Attempt | None:
    """The worker's own attempt of this code, read without the scope: the common case of the
    attempt pages, where a surge of examinees opens its papers at once. None sends the caller to
    the scope's path (an employer admin's reach, and the 404 for anyone else)."""
    if worker is None or not is_code(code):
        return None
    sql, shapes = _own_attempt_statement(connection.vendor)
    rows = fixedsql.read(sql, [code, worker.pk], shapes)
    if not rows:
        return None
    attempt, exam = rows[0]
    attempt.exam = exam
    return attempt


@cache
def _own_attempt_statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    # Fixed (core.fixedsql): every examinee of a campaign opens the page at its start.
    shapes = (fixedsql.Shape.of(Attempt, "a"), fixedsql.Shape.of(Exam, "e"))
    q = connection.ops.quote_name
    return (f"SELECT {fixedsql.select_list(*shapes)} FROM {q(Attempt._meta.db_table)} a "  # noqa: S608
            f"LEFT OUTER JOIN {q(Exam._meta.db_table)} e ON e.id = a.exam_id "
            f"WHERE a.code = %s AND a.worker_id = %s"), shapes


# -- the exams a worker sees ------------------------------------------------------------------


def visible_exams(worker: Any) -> QuerySet[Exam]:
    """Published exams open to every worker or assigned to this one (the rule of
    services.attempts.exam_visible_to, as a queryset)."""
    assigned = ExamAssignment.objects.filter(worker=worker).values("exam_id")
    return Exam.objects.filter(Q(open_to_all=True) | Q(pk__in=assigned), status=Exam.Status.PUBLISHED)


def visible_exam(worker: Any, code: str) -> Exam | None:
    """``visible_exams(worker)``'s exam of this code, by a fixed statement: every start reads it."""
    if not is_code(code):
        return None
    rows = fixedsql.select(Exam, _visible_condition(connection.vendor),
                           [code, Exam.Status.PUBLISHED, getattr(worker, "pk", None)])
    return rows[0] if rows else None


@cache
def _visible_condition(vendor: str) -> str:
    assignments = connection.ops.quote_name(ExamAssignment._meta.db_table)
    return (f"t.code = %s AND t.status = %s AND (t.open_to_all OR EXISTS (SELECT 1 FROM {assignments} x "  # noqa: S608
            f"WHERE x.exam_id = t.id AND x.worker_id = %s))")


class ExamState:
    NOT_STARTED = "not_started"
    AVAILABLE = "available"
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass
class ExamCard:
    """One exam as the worker's list shows it."""

    exam: Exam
    eligibility: Eligibility
    state: str
    counted: Attempt | None
    due_at: datetime | None
    question_count: int
    minutes: int
    certificate: Certificate | None = None

    @property
    def label(self) -> str:
        if self.state == ExamState.NOT_STARTED:
            return _("未开始")
        if self.state == ExamState.IN_PROGRESS:
            return _("作答中")
        if self.state == ExamState.PASSED:
            return _("已合格")
        if self.state == ExamState.FAILED:
            return _("未合格")
        if self.state == ExamState.CLOSED:
            return _("已结束")
        if self.eligibility.attempts_left is None:
            return _("可参加，不限次数")
        return _("可参加 %(count)s 次") % {"count": self.eligibility.attempts_left}

    @property
    def deadline(self) -> datetime:
        """The earlier of the employer's due date and the window's end."""
        if self.due_at is not None and self.due_at < self.exam.closes_at:
            return self.due_at
        return self.exam.closes_at

    @property
    def to_sit(self) -> bool:
        return self.state in (ExamState.AVAILABLE, ExamState.IN_PROGRESS)


def _state(exam: Exam, eligibility: Eligibility, counted: Attempt | None, now: datetime) -> str:
    if eligibility.open_attempt is not None and not eligibility.open_attempt.is_expired(now):
        return ExamState.IN_PROGRESS
    if counted is not None and counted.passed:
        return ExamState.PASSED
    if now < exam.opens_at:
        return ExamState.NOT_STARTED
    if now >= exam.closes_at:
        return ExamState.CLOSED
    if eligibility.allowed:
        return ExamState.AVAILABLE
    if counted is not None:
        return ExamState.FAILED
    return ExamState.CLOSED


def question_count(exam: Exam) -> int:
    return sum(rule.count for rule in exam.rules.all())


def exam_minutes(worker: Any, exam: Exam) -> int:
    override = override_of(worker, exam)
    return exam.time_limit_minutes + (override.extra_minutes if override else 0)


def exam_card(worker: Any, exam: Exam, *, now: datetime | None = None, due_at: datetime | None = None) -> ExamCard:
    now = now or timezone.now()
    eligibility = exam_eligibility(worker=worker, exam=exam, now=now)
    counted = counted_attempt(worker=worker, exam=exam)
    card = ExamCard(exam, eligibility, _state(exam, eligibility, counted, now), counted, due_at,
                    question_count(exam), exam_minutes(worker, exam))
    if exam.certifies:
        card.certificate = Certificate.objects.filter(worker=worker, exam=exam).first()
    return card


def worker_exams(worker: Any, *, now: datetime | None = None) -> list[ExamCard]:
    """The worker's exams, those to sit first, the most urgent of them first; then the rest,
    newest window first."""
    now = now or timezone.now()
    due = dict(ExamAssignment.objects.filter(worker=worker).values_list("exam_id", "due_at"))
    exams = visible_exams(worker).prefetch_related("rules").order_by("closes_at", "pk")
    cards = [exam_card(worker, exam, now=now, due_at=due.get(exam.pk)) for exam in exams]
    to_sit = sorted((card for card in cards if card.to_sit),
                    key=lambda card: (card.state != ExamState.IN_PROGRESS, card.deadline))
    rest = sorted((card for card in cards if not card.to_sit), key=lambda card: card.exam.opens_at, reverse=True)
    return to_sit + rest


def exam_attempts(worker: Any, exam: Exam) -> QuerySet[Attempt]:
    """This worker's started exam attempts and mocks of one exam, newest first."""
    return (Attempt.objects.filter(worker=worker, exam=exam, mode__in=[AttemptMode.EXAM, AttemptMode.MOCK])
            .exclude(status=Attempt.Status.READY).order_by("-started_at", "-pk"))


def worker_certificates(worker: Any) -> QuerySet[Certificate]:
    return Certificate.objects.filter(worker=worker).order_by("-issued_on", "-pk")


# -- history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    attempt: Attempt
    counted: bool


def worker_history(worker: Any) -> list[HistoryRow]:
    """Every graded exam attempt and mock, newest first; each exam's counted attempt marked."""
    attempts = list(Attempt.objects.filter(worker=worker, mode__in=[AttemptMode.EXAM, AttemptMode.MOCK],
                                           status=Attempt.Status.GRADED)
                    .select_related("exam").order_by("-graded_at", "-pk"))
    counted_ids = set()
    for exam in {attempt.exam for attempt in attempts if attempt.mode == AttemptMode.EXAM and attempt.exam}:
        counted = counted_attempt(worker=worker, exam=exam)
        if counted is not None:
            counted_ids.add(counted.pk)
    return [HistoryRow(attempt, attempt.pk in counted_ids) for attempt in attempts]


# -- the paper --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperOption:
    letter: str  # the version's own letter: what is saved and graded
    shown: str  # the letter the worker sees, in this paper's order
    text: str
    chosen: bool


@dataclass(frozen=True)
class PracticeFeedback:
    is_correct: bool
    answer_letters: str  # the version's letters, to mark the right options
    answer_shown: str
    explanation: str


@dataclass(frozen=True)
class PaperItem:
    """One question as the worker answers it. No key, no explanation: only a practice question
    already answered carries its feedback (practice shows it at once anyway)."""

    position: int
    kind: str
    kind_label: str
    stem: str
    image_url: str
    options: list[PaperOption]
    response: str
    flagged: bool
    feedback: PracticeFeedback | None = None

    @property
    def multiple(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE

    @property
    def answered(self) -> bool:
        return bool(self.response)


def shown_letters(option_order: str, letters: str) -> str:
    """Version letters ("AC") as the worker saw them in this paper's option order."""
    return "".join(sorted(OPTION_LETTERS[option_order.index(letter)] for letter in letters if letter in option_order))


def _image_url(version: QuestionVersion) -> str:
    if version.image is None:
        return ""
    try:
        return str(version.image.get_rendition(IMAGE_FILTER).url)
    except Exception:  # a missing or unreadable file: the question is still answerable from its text
        logger.warning("question version %s: image %s has no rendition", version.pk, version.image_id)
        return ""


def _options(item: AttemptItem) -> list[PaperOption]:
    texts = item.version.options
    return [PaperOption(letter, OPTION_LETTERS[index], texts[OPTION_LETTERS.index(letter)], letter in item.response)
            for index, letter in enumerate(item.option_order) if OPTION_LETTERS.index(letter) < len(texts)]


def _items(attempt: Attempt) -> list[AttemptItem]:
    """The attempt's items in order, each with its version and the version's image."""
    sql, shapes = _items_statement(connection.vendor)
    items = []
    for item, version, image in fixedsql.read(sql, [attempt.pk], shapes):
        version.image = image
        item.version = version
        items.append(item)
    return items


@cache
def _items_statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    image_model = get_image_model()
    shapes = (fixedsql.Shape.of(AttemptItem, "i"), fixedsql.Shape.of(QuestionVersion, "v"),
              fixedsql.Shape.of(image_model, "m"))
    q = connection.ops.quote_name
    return (f"SELECT {fixedsql.select_list(*shapes)} FROM {q(AttemptItem._meta.db_table)} i "  # noqa: S608
            f"INNER JOIN {q(QuestionVersion._meta.db_table)} v ON v.id = i.version_id "
            f"LEFT OUTER JOIN {q(image_model._meta.db_table)} m ON m.id = v.image_id "
            f"WHERE i.attempt_id = %s ORDER BY i.position"), shapes


@cache
def _kind_labels(language: str | None) -> dict[str, str]:
    return {kind.value: str(kind.label) for kind in QuestionKind}


def attempt_paper(attempt: Attempt) -> list[PaperItem]:
    """The questions of an attempt as the worker answers them."""
    paper = []
    kind_labels = _kind_labels(get_language())
    for item in _items(attempt):
        feedback = None
        if attempt.mode == AttemptMode.PRACTICE and item.answered_at is not None and item.is_correct is not None:
            feedback = PracticeFeedback(item.is_correct, item.version.answer,
                                        shown_letters(item.option_order, item.version.answer), item.version.explanation)
        paper.append(PaperItem(item.position, item.version.kind, kind_labels[item.version.kind],
                               item.version.stem, _image_url(item.version), _options(item), item.response,
                               item.flagged, feedback))
    return paper


# -- review -----------------------------------------------------------------------------------


def review_open_at(exam: Exam, now: datetime | None = None) -> bool:
    """An exam reviewed after it closes: not while anyone is still sitting it (a worker given
    extra time may be answering after the window's end)."""
    now = now or timezone.now()
    if now < exam.closes_at:
        return False
    grace = timedelta(seconds=settings.EXAM_GRACE_SECONDS)
    return not Attempt.objects.filter(exam=exam, mode=AttemptMode.EXAM, status=Attempt.Status.OPEN,
                                      deadline__gt=now - grace).exists()


def review_allowed(attempt: Attempt, now: datetime | None = None) -> bool:
    """The key and explanations of a graded attempt, as its exam's review policy allows; mock and
    practice attempts always once graded."""
    if not attempt.is_graded:
        return False
    if attempt.mode != AttemptMode.EXAM or attempt.exam is None:
        return True
    policy = attempt.exam.review
    if policy == ReviewPolicy.AFTER_SUBMIT:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        return review_open_at(attempt.exam, now)
    return False


def review_message(attempt: Attempt) -> str:
    """Why the review is not shown (empty when it is)."""
    if review_allowed(attempt) or attempt.exam is None:
        return ""
    if attempt.exam.review == ReviewPolicy.AFTER_CLOSE:
        return _("考试结束后（%(at)s 之后）可以查看答案和解析。") % {
            "at": f"{timezone.localtime(attempt.exam.closes_at):%Y-%m-%d %H:%M}"}
    return _("本考试不公布答案和解析。")


@dataclass(frozen=True)
class ReviewOption:
    shown: str
    text: str
    chosen: bool
    is_key: bool


@dataclass(frozen=True)
class ReviewItem:
    position: int
    kind_label: str
    stem: str
    image_url: str
    options: list[ReviewOption]
    response_shown: str
    answer_shown: str
    explanation: str
    is_correct: bool
    points: Any
    points_possible: Any


def attempt_review(attempt: Attempt, now: datetime | None = None) -> list[ReviewItem] | None:
    """Each question with the worker's answer, the key and the explanation; None when the
    review is not allowed (yet)."""
    if not review_allowed(attempt, now):
        return None
    review = []
    for item in _items(attempt):
        version = item.version
        options = [ReviewOption(option.shown, option.text, option.chosen, option.letter in version.answer)
                   for option in _options(item)]
        review.append(ReviewItem(
            item.position, str(QuestionKind(version.kind).label), version.stem, _image_url(version), options,
            shown_letters(item.option_order, item.response), shown_letters(item.option_order, version.answer),
            version.explanation, bool(item.is_correct), item.points, item.points_possible))
    return review


@dataclass
class ResultSummary:
    attempt: Attempt
    questions: int
    answered: int
    correct: int
    seconds_used: int | None
    certificate: Certificate | None = None
    counted: bool = False
    review: list[ReviewItem] | None = field(default=None)


def attempt_result(attempt: Attempt, now: datetime | None = None) -> ResultSummary:
    items = AttemptItem.objects.filter(attempt=attempt)
    seconds = None
    if attempt.started_at and attempt.graded_at:
        end = min(attempt.graded_at, attempt.deadline) if attempt.deadline else attempt.graded_at
        seconds = max(0, int((end - attempt.started_at).total_seconds()))
    summary = ResultSummary(attempt, items.count(), items.exclude(response="").count(),
                            items.filter(is_correct=True).count(), seconds)
    if attempt.mode == AttemptMode.EXAM and attempt.exam is not None and attempt.worker is not None:
        counted = counted_attempt(worker=attempt.worker, exam=attempt.exam)
        summary.counted = counted is not None and counted.pk == attempt.pk
        if attempt.passed and attempt.exam.certifies:
            summary.certificate = Certificate.objects.filter(worker=attempt.worker, exam=attempt.exam).first()
    summary.review = attempt_review(attempt, now)
    return summary


# -- practice ---------------------------------------------------------------------------------


def wrong_book_count(worker: Any) -> int:
    return wrong_book(worker).count()


def wrong_book_entries(worker: Any) -> QuerySet[WrongAnswer]:
    return wrong_book(worker)


def practice_sets(worker: Any, *, limit: int = 10) -> QuerySet[Attempt]:
    """The worker's recent practice sets, newest first."""
    return Attempt.objects.filter(worker=worker, mode=AttemptMode.PRACTICE).order_by("-created_at")[:limit]


def practice_title(attempt: Attempt) -> str:
    """顺序练习 · 职业健康法律知识, 随机练习, 错题本 …: what the worker asked for."""
    from orgs.models import HazardClass, LiteracyDimension

    choice = attempt.practice or {}
    order = choice.get("order", "")
    parts = [{"sequential": _("顺序练习"), "random": _("随机练习"), "wrong": _("错题重做")}.get(order, _("练习"))]
    if choice.get("dimension"):
        dimension = LiteracyDimension.objects.filter(pk=choice["dimension"]).first()
        if dimension is not None:
            parts.append(dimension.name)
    if choice.get("hazard_class"):
        hazard_class = HazardClass.objects.filter(pk=choice["hazard_class"]).first()
        if hazard_class is not None:
            parts.append(hazard_class.name)
    return " · ".join(parts)


def attempt_title(attempt: Attempt) -> str:
    if attempt.mode == AttemptMode.PRACTICE:
        return practice_title(attempt)
    title = attempt.exam.title if attempt.exam else ""
    if attempt.mode == AttemptMode.MOCK:
        return _("模拟考试：%(exam)s") % {"exam": title}
    return title
