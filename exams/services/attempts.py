"""Sitting an exam: starting, one device at a time, saving answers, submitting, grading.

The answer key stays on the server: pages and the API get a question's options in the paper's
order and never its answer, until the attempt is graded and the exam's review policy allows it
(practice gives each answer's feedback as soon as it is saved: that is what practice is for).

Grading happens in one transaction that locks the attempt row: an attempt is open or graded, never
half-graded, and two submits (a double tap, a retry, a second device) grade it once.
"""

from __future__ import annotations

import functools
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import fixedsql, sessions
from core.errors import ServiceError
from exams.models import (
    OPTION_LETTERS,
    Attempt,
    AttemptItem,
    AttemptMode,
    Exam,
    ExamAssignment,
    ExamOverride,
    QuestionKind,
    QuestionVersion,
    WrongAnswer,
)
from exams.services.papers import paper_create
from orgs.models import Worker

ONE_PLACE = Decimal("0.1")


class AttemptError(ServiceError):
    """A refused start, answer or submit. ``code`` tells a page what to do: "taken_over" (another
    device has the attempt), "expired" (past the deadline, now graded), "closed" (not open)."""

    def __init__(self, message: str, *, code: str = "invalid", field: str = "") -> None:
        super().__init__(message, field=field)
        self.code = code


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str
    attempts_used: int
    attempts_left: int | None  # None: no limit
    open_attempt: Attempt | None
    override: ExamOverride | None = None  # as read for the count, so a start need not read it again


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def exam_visible_to(worker: Any, exam: Exam) -> bool:
    """A published exam open to all, or assigned to this worker."""
    if exam.status != Exam.Status.PUBLISHED:
        return False
    return exam.open_to_all or bool(fixedsql.select(ExamAssignment, _OF_EXAM_AND_WORKER, [exam.pk, worker.pk],
                                                    fields=("id",)))


# A start reads these for every examinee of a campaign at once: fixed statements (core.fixedsql)
# rather than queries compiled each time.
_OF_EXAM_AND_WORKER = "t.exam_id = %s AND t.worker_id = %s"


def override_of(worker: Any, exam: Exam) -> ExamOverride | None:
    rows = fixedsql.select(ExamOverride, _OF_EXAM_AND_WORKER, [exam.pk, worker.pk])
    return rows[0] if rows else None


_COUNTED_ATTEMPTS = (f"{_OF_EXAM_AND_WORKER} AND t.mode = %s AND t.status <> %s "
                     f"ORDER BY t.created_at DESC, t.id DESC")  # Attempt's own ordering, newest first


def exam_eligibility(*, worker: Any, exam: Exam, now: datetime | None = None) -> Eligibility:
    now = _now(now)
    # A worker's attempts at one exam are a handful: one read gives the count and the open one
    # (the newest, as the model orders them).
    counted = fixedsql.select(Attempt, _COUNTED_ATTEMPTS, [exam.pk, worker.pk, AttemptMode.EXAM, Attempt.Status.READY])
    used = len(counted)
    open_attempt = next((attempt for attempt in counted if attempt.status == Attempt.Status.OPEN), None)
    override = override_of(worker, exam)
    allowed_total = exam.attempts_allowed + (override.extra_attempts if override else 0) if exam.attempts_allowed else None
    left = None if allowed_total is None else max(0, allowed_total - used)

    def answer(ok: bool, reason: str = "") -> Eligibility:
        return Eligibility(ok, reason, used, left, open_attempt, override)

    if not exam_visible_to(worker, exam):
        return answer(False, _("这场考试没有安排给您"))
    if open_attempt is not None and not open_attempt.is_expired(now):
        return answer(True)
    if now < exam.opens_at:
        return answer(False, _("考试尚未开始，开始时间 %(at)s") % {"at": f"{timezone.localtime(exam.opens_at):%Y-%m-%d %H:%M}"})
    if now >= exam.closes_at:
        return answer(False, _("考试已结束"))
    if left == 0:
        return answer(False, _("已用完全部 %(count)s 次考试机会") % {"count": allowed_total})
    if not worker.is_active:
        return answer(False, _("您的账号已停用"))
    return answer(True)


def _deadline(exam: Exam | None, override: ExamOverride | None, started: datetime, mode: str) -> datetime | None:
    if exam is None or mode == AttemptMode.PRACTICE:
        return None
    minutes = exam.time_limit_minutes + (override.extra_minutes if override else 0)
    deadline = started + timedelta(minutes=minutes)
    if mode == AttemptMode.EXAM:
        # The window's end ends every attempt, except the time a worker was given on top.
        extra = timedelta(minutes=override.extra_minutes) if override else timedelta(0)
        deadline = min(deadline, exam.closes_at + extra)
    return deadline


def _claim_paper(exam: Exam, worker: Any) -> Attempt | None:
    """A paper drawn ahead: this worker's own, else one from the pool (rows other starts hold are
    skipped, so a surge of starts does not queue on one row)."""
    ready = Attempt.objects.filter(exam=exam, status=Attempt.Status.READY, mode=AttemptMode.EXAM,
                                   blueprint_version=exam.blueprint_version)
    own = ready.filter(worker=worker).select_for_update(skip_locked=True).first()
    if own is not None:
        return own
    return ready.filter(worker__isnull=True).select_for_update(skip_locked=True).order_by("pk").first()


def _lock_worker(worker: Any) -> None:
    # One start at a time per worker: a double tap must not open two attempts. The worker's row
    # only: Worker's default ordering joins the employer, and locking that row too would queue
    # every start of an employer's campaign behind one another.
    Worker.objects.select_for_update(of=("self",)).filter(pk=worker.pk).order_by().values_list("pk", flat=True).first()


def attempt_start(*, worker: Any, exam: Exam, now: datetime | None = None) -> Attempt:
    """Start (or resume) this worker's exam attempt: the open one if there is one, else a paper
    drawn ahead, else one drawn now."""
    now = _now(now)
    with transaction.atomic():
        _lock_worker(worker)
        eligibility = exam_eligibility(worker=worker, exam=exam, now=now)
        if eligibility.open_attempt is not None:
            if not eligibility.open_attempt.is_expired(now):
                return eligibility.open_attempt
            attempt_grade(attempt_id=eligibility.open_attempt.pk, by_deadline=True, now=now)
            eligibility = exam_eligibility(worker=worker, exam=exam, now=now)
        if not eligibility.allowed:
            raise AttemptError(eligibility.reason, code="closed")
        attempt = _claim_paper(exam, worker)
        if attempt is None:
            attempt = paper_create(exam, worker=worker)
        attempt.worker = worker
        attempt.employer_id = worker.employer_id
        attempt.status = Attempt.Status.OPEN
        attempt.number = eligibility.attempts_used + 1
        attempt.started_at = now
        attempt.deadline = _deadline(exam, eligibility.override, now, AttemptMode.EXAM)
        attempt.save(update_fields=["worker", "employer", "status", "number", "started_at", "deadline"])
    _schedule_deadline(attempt)
    return attempt


def mock_start(*, worker: Any, exam: Exam, now: datetime | None = None) -> Attempt:
    """模拟考试: a fresh paper from the exam's blueprint, timed like the exam, counting for nothing."""
    now = _now(now)
    if not exam_visible_to(worker, exam):
        raise AttemptError(_("这场考试没有安排给您"), code="closed")
    attempts_grade_expired_for(worker=worker, now=now)
    open_mock = Attempt.objects.filter(exam=exam, worker=worker, mode=AttemptMode.MOCK, status=Attempt.Status.OPEN).first()
    if open_mock is not None:
        return open_mock
    attempt = paper_create(exam, worker=worker, mode=AttemptMode.MOCK)
    attempt.status = Attempt.Status.OPEN
    attempt.started_at = now
    attempt.deadline = _deadline(exam, override_of(worker, exam), now, AttemptMode.MOCK)
    attempt.save(update_fields=["status", "started_at", "deadline"])
    _schedule_deadline(attempt)
    return attempt


def _schedule_deadline(attempt: Attempt) -> None:
    """Grade at the deadline even if nobody submits; the beat sweep is the safety net."""
    if attempt.deadline is None:
        return
    from exams.tasks import attempt_grade_due_task

    eta = attempt.deadline + timedelta(seconds=settings.EXAM_GRACE_SECONDS + 1)
    transaction.on_commit(lambda: attempt_grade_due_task.apply_async(args=[attempt.pk], eta=eta))


def attempt_open(*, attempt: Attempt, now: datetime | None = None) -> str:
    """A device opens the attempt: it becomes the one device that may answer (the previous one is
    told on its next save). Returns the new device token. An expired attempt is graded instead."""
    now = _now(now)
    if attempt.status == Attempt.Status.OPEN and attempt.is_expired(now):
        attempt_grade(attempt_id=attempt.pk, by_deadline=True, now=now)
        raise AttemptError(_("考试时间已到，系统已自动交卷"), code="expired")
    if attempt.status != Attempt.Status.OPEN:
        raise AttemptError(_("这份答卷已经交卷"), code="graded")
    token = secrets.token_hex(16)
    Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.OPEN).update(device_token=token, device_since=now)
    attempt.device_token, attempt.device_since = token, now
    return token


@dataclass(frozen=True)
class Feedback:
    """Practice only: whether the answer was right, the key and the explanation."""

    is_correct: bool
    answer: str
    explanation: str


@dataclass(frozen=True)
class Saved:
    position: int
    response: str
    flagged: bool
    answered: int
    remaining_seconds: int | None
    feedback: Feedback | None = None


def response_normalise(version: QuestionVersion | Any, raw: Any) -> str:
    """The worker's choice as sorted letters of the version's own options ("" clears it)."""
    if raw is None:
        return ""
    if isinstance(raw, list | tuple):
        raw = "".join(str(part) for part in raw)
    if not isinstance(raw, str) or len(raw) > 16:
        raise AttemptError(_("答案格式不对"), field="response")
    letters = sorted(set(raw.strip().upper()))
    allowed = OPTION_LETTERS[: len(version.options)]
    if any(letter not in allowed for letter in letters):
        raise AttemptError(_("答案里有本题没有的选项"), field="response")
    if version.kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE) and len(letters) > 1:
        raise AttemptError(_("这道题只能选一个答案"), field="response")
    return "".join(letters)


def remaining_seconds(attempt: Attempt, now: datetime | None = None) -> int | None:
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - _now(now)).total_seconds()))


def answer_save(*, attempt: Attempt, device_token: str, position: Any, response: Any = None,
                flagged: Any = None, now: datetime | None = None) -> Saved:
    """Save one answer (and/or its flag) as it is chosen. Refused for another device, after the
    deadline's grace (the attempt is then graded), for a position not on this paper, or a value
    that is not a choice of this question."""
    now = _now(now)
    if attempt.status != Attempt.Status.OPEN:
        raise AttemptError(_("这份答卷已经交卷，不能再修改答案"), code="graded")
    if attempt.is_expired(now):
        attempt_grade(attempt_id=attempt.pk, by_deadline=True, now=now)
        raise AttemptError(_("考试时间已到，系统已自动交卷；此前保存的答案都已计分"), code="expired")
    if not device_token or not secrets.compare_digest(str(device_token), attempt.device_token or ""):
        raise AttemptError(_("这份答卷已在另一台设备上打开，本页面不再保存答案"), code="taken_over")
    number = _position(position)
    item = _item_at(attempt.pk, number)
    if item is None:
        raise AttemptError(_("这份试卷没有第 %(position)s 题") % {"position": number}, field="position")
    changes: dict[str, Any] = {}
    feedback = None
    if response is not None:
        value = response_normalise(item.version, response)
        if attempt.mode == AttemptMode.PRACTICE:
            if item.answered_at is not None:
                # The key was shown with the first answer; a second choice would only copy it.
                raise AttemptError(_("这道题已经作答"), code="answered", field="response")
            if not value:
                raise AttemptError(_("请选择答案"), field="response")
            correct = value == item.version.answer
            changes.update(is_correct=correct, points=item.points_possible if correct else Decimal("0"))
            feedback = Feedback(correct, item.version.answer, item.version.explanation)
        changes.update(response=value, answered_at=now if value else None)
    if flagged is not None:
        changes["flagged"] = _flag(flagged)
    if changes:
        # Conditional on the attempt still being open on this device: a takeover or a submit that
        # committed since the checks above wins.
        updated = fixedsql.update(AttemptItem, item.pk, set=changes, where=_STILL_OPEN_HERE,
                                  where_params=[attempt.pk, Attempt.Status.OPEN, attempt.device_token])
        if not updated:
            raise AttemptError(_("答卷状态已变化，请刷新页面"), code="stale")
        for name, value in changes.items():
            setattr(item, name, value)
    if feedback is not None:
        _wrong_book_record(attempt.worker_id, item.version.question_id, feedback.is_correct, now)
    return Saved(number, item.response, item.flagged, _answered_count(attempt.pk), remaining_seconds(attempt, now),
                 feedback)


class AttemptMissing(ServiceError):
    """No attempt of this code is the signed-in person's own: the page answers 404, as for an
    unknown code."""


@dataclass(frozen=True)
class _PaperItem:
    item_id: int
    kind: str
    options: int


@dataclass(frozen=True)
class _Paper:
    """What never changes on an open attempt's paper: whose it is, and which question version sits
    at each position (editing a question or a blueprint later draws nothing new into it)."""

    attempt_id: int
    user_id: int
    mode: str
    items: dict[int, _PaperItem]


class _Version:
    """response_normalise's view of a version: its kind and how many options it has."""

    __slots__ = ("kind", "options")

    def __init__(self, item: _PaperItem) -> None:
        self.kind = item.kind
        self.options = range(item.options)


# Open papers by attempt code, per process; bounded, as a campaign's examinees come and go.
_PAPERS: dict[str, _Paper] = {}
PAPERS_KEPT = 20_000


def answer_save_own(*, user_id: int | None, code: str, device_token: str, position: Any, response: Any = None,
                    flagged: Any = None, now: datetime | None = None) -> Saved:
    """``answer_save`` for the signed-in person's own attempt of this code, as the exam page sends
    every choice. An exam's answer on the device that holds the attempt, before the deadline, is
    checked against the paper kept in this process and written, with the count of answered
    questions read back, in one statement; anything else (practice, another device, a closed or
    expired attempt) goes through ``answer_save`` for its refusal or its feedback."""
    now = _now(now)
    paper = _paper_of(code)
    if paper is None or user_id is None or paper.user_id != user_id:
        raise AttemptMissing(_("没有找到这份答卷"))
    if paper.mode != AttemptMode.EXAM or not device_token or not isinstance(device_token, str):
        return _answer_save_checked(paper, device_token, position, response, flagged, now)
    number = _position(position)
    item = paper.items.get(number)
    if item is None:
        raise AttemptError(_("这份试卷没有第 %(position)s 题") % {"position": number}, field="position")
    changes = _answer_changes(item, response, flagged, now)
    if not changes:
        return _answer_save_checked(paper, device_token, position, response, flagged, now)
    row = _answer_write(paper.attempt_id, user_id, item.item_id, device_token, now, changes)
    if row is None:
        # Taken over, submitted, past the deadline or drawn anew: the full checks say which.
        _PAPERS.pop(code, None)
        return _answer_save_checked(paper, device_token, position, response, flagged, now)
    return _saved(number, row, now)


def answer_save_signed_in(*, signed_in: sessions.SignedIn, code: str, device_token: Any, position: Any,
                          response: Any = None, flagged: Any = None, now: datetime | None = None) -> Saved | None:
    """``answer_save_own`` for the session ``core.sessions.signed_in`` vouches for, without reading
    that session: the one statement that writes the answer also re-checks the session
    (``core.sessions.condition_sql``). Only the usual case is answered here, an exam's answer on
    the device that holds the open attempt; ``None`` for anything else, a session no longer as it
    was accepted included, and the caller takes the full path (``answer_save_own`` for
    ``request.user``), which gives the answer or the refusal."""
    now = _now(now)
    paper = _paper_of(code)
    if (paper is None or str(paper.user_id) != str(signed_in.user_id) or paper.mode != AttemptMode.EXAM
            or not device_token or not isinstance(device_token, str)):
        return None
    try:
        number = _position(position)
        item = paper.items.get(number)
        changes = _answer_changes(item, response, flagged, now) if item is not None else {}
    except AttemptError:
        return None
    if item is None or not changes:
        return None
    row = _answer_write(paper.attempt_id, paper.user_id, item.item_id, device_token, now, changes,
                        signed_in=signed_in)
    return None if row is None else _saved(number, row, now)


def _answer_changes(item: _PaperItem, response: Any, flagged: Any, now: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if response is not None:
        value = response_normalise(_Version(item), response)
        changes.update(response=value, answered_at=now if value else None)
    if flagged is not None:
        changes["flagged"] = _flag(flagged)
    return changes


def _saved(number: int, row: tuple[Any, ...], now: datetime) -> Saved:
    deadline, saved_response, saved_flag, answered = row
    remaining = None if deadline is None else max(0, int(deadline - now.timestamp()))
    return Saved(number, saved_response, bool(saved_flag), int(answered), remaining, None)


def _answer_save_checked(paper: _Paper, device_token: Any, position: Any, response: Any, flagged: Any,
                         now: datetime) -> Saved:
    attempt = Attempt.objects.filter(pk=paper.attempt_id).first()
    if attempt is None:
        raise AttemptMissing(_("没有找到这份答卷"))
    return answer_save(attempt=attempt, device_token=str(device_token or ""), position=position, response=response,
                       flagged=flagged, now=now)


@functools.cache
def _paper_statement(vendor: str) -> str:
    q = connection.ops.quote_name
    return (f"SELECT a.id, w.user_id, a.mode, a.status, i.id, i.position, v.kind, v.options "  # noqa: S608
            f"FROM {q(Attempt._meta.db_table)} a "
            f"INNER JOIN {q(Worker._meta.db_table)} w ON w.id = a.worker_id "
            f"INNER JOIN {q(AttemptItem._meta.db_table)} i ON i.attempt_id = a.id "
            f"INNER JOIN {q(QuestionVersion._meta.db_table)} v ON v.id = i.version_id "
            f"WHERE a.code = %s")


def is_code(value: Any) -> bool:
    """Public codes are short and printable; anything else (a NUL psycopg refuses) matches nothing."""
    return isinstance(value, str) and 0 < len(value) <= 16 and value.isascii() and value.isprintable()


def _paper_of(code: str) -> _Paper | None:
    if not is_code(code):
        return None
    paper = _PAPERS.get(code)
    if paper is not None:
        return paper
    with fixedsql.cursor() as cursor:
        cursor.execute(_paper_statement(connection.vendor), [code])
        rows = cursor.fetchall()
    if not rows:
        return None
    items = {}
    for _attempt, _user, _mode, _status, item_id, number, kind, options in rows:
        # The driver hands JSON over as text (Django decodes it in the field, not here).
        options = json.loads(options) if isinstance(options, str) else options
        items[int(number)] = _PaperItem(int(item_id), kind, len(options or []))
    attempt_id, user_id, mode, status = rows[0][:4]
    paper = _Paper(int(attempt_id), int(user_id), mode, items)
    if status == Attempt.Status.OPEN:
        if len(_PAPERS) >= PAPERS_KEPT:
            _PAPERS.clear()
        _PAPERS[code] = paper
    return paper


def _column(model: type[Any], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.column)


@functools.cache
def _answer_statement(vendor: str, names: tuple[str, ...], signed_in: bool, async_commit: bool = False) -> str:
    q = connection.ops.quote_name
    items, attempts, workers = q(AttemptItem._meta.db_table), q(Attempt._meta.db_table), q(Worker._meta.db_table)
    sets = ", ".join(f"{q(_column(AttemptItem, name))} = %s" for name in names)
    # The session re-checked in the same statement, when it was not read (answer_save_signed_in).
    session = f" AND {sessions.condition_sql(vendor, 'w.user_id')}" if signed_in else ""
    if vendor == "postgresql":
        # The attempt's state is checked and the answer written in one statement; the count is
        # of the other answered items (the statement's snapshot does not see its own write). The
        # deadline comes back as seconds since the epoch, which needs no loader to read. With
        # async_commit, the statement's own transaction (it runs alone, in autocommit) commits
        # without waiting for the WAL flush: set_config(…, true) lasts until that commit, which
        # reads it (EXAM_ANSWER_ASYNC_COMMIT).
        commit = ", set_config('synchronous_commit', 'off', true)" if async_commit else ""
        return (f"WITH a AS (SELECT t.id, t.deadline FROM {attempts} t INNER JOIN {workers} w ON w.id = t.worker_id "  # noqa: S608
                f"WHERE t.id = %s AND w.user_id = %s AND t.status = %s "
                f"AND t.device_token = %s AND (t.deadline IS NULL OR t.deadline >= %s){session}), "
                f"u AS (UPDATE {items} SET {sets} WHERE id = %s AND attempt_id IN (SELECT id FROM a) "
                f"RETURNING response, flagged) "
                f"SELECT (SELECT EXTRACT(EPOCH FROM deadline) FROM a), u.response, u.flagged, "
                f"(SELECT COUNT(*) FROM {items} WHERE attempt_id = %s AND response <> '' AND id <> %s) "
                f"+ CASE WHEN u.response <> '' THEN 1 ELSE 0 END{commit} FROM u")
    return (f"UPDATE {items} SET {sets} WHERE id = %s AND attempt_id IN (SELECT t.id FROM {attempts} t "  # noqa: S608
            f"INNER JOIN {workers} w ON w.id = t.worker_id WHERE t.id = %s AND w.user_id = %s AND t.status = %s "
            f"AND t.device_token = %s AND (t.deadline IS NULL OR t.deadline >= %s){session})")


@functools.cache
def _answer_read_back(vendor: str) -> str:
    q = connection.ops.quote_name
    items, attempts = q(AttemptItem._meta.db_table), q(Attempt._meta.db_table)
    return (f"SELECT a.deadline, i.response, i.flagged, "  # noqa: S608
            f"(SELECT COUNT(*) FROM {items} c WHERE c.attempt_id = a.id AND c.response <> '') "
            f"FROM {items} i INNER JOIN {attempts} a ON a.id = i.attempt_id WHERE i.id = %s")


_ANSWER_COLUMNS = (fixedsql.as_float, fixedsql.as_text, fixedsql.as_bool, fixedsql.as_int)
_ANSWER_COLUMNS_ASYNC = (*_ANSWER_COLUMNS, fixedsql.as_text)


def _answer_write(attempt_id: int, user_id: int, item_id: int, device_token: str, now: datetime,
                  changes: dict[str, Any], signed_in: sessions.SignedIn | None = None) -> tuple[Any, ...] | None:
    """The answer written if the attempt is still this device's and open; the deadline (seconds
    since the epoch, or None), the saved response and flag and the answered count, else None."""
    db = fixedsql.database()
    names = tuple(changes)
    values = [AttemptItem._meta.get_field(name).get_db_prep_save(value, db)  # type: ignore[union-attr]
              for name, value in changes.items()]
    cutoff = db.ops.adapt_datetimefield_value(now - timedelta(seconds=settings.EXAM_GRACE_SECONDS))
    session = [] if signed_in is None else signed_in.condition_params(now, db)
    if db.vendor == "postgresql":
        # Only a statement that is its own transaction: inside a caller's, it would set the whole.
        async_commit = bool(settings.EXAM_ANSWER_ASYNC_COMMIT) and not db.in_atomic_block
        sql = _answer_statement(db.vendor, names, signed_in is not None, async_commit)
        row = fixedsql.row(sql, [attempt_id, user_id, Attempt.Status.OPEN, device_token, cutoff, *session, *values,
                                 item_id, attempt_id, item_id],
                           _ANSWER_COLUMNS_ASYNC if async_commit else _ANSWER_COLUMNS)
        return None if row is None else row[:4]
    sql = _answer_statement(db.vendor, names, signed_in is not None)
    with fixedsql.cursor() as cursor:
        cursor.execute(sql, [*values, item_id, attempt_id, user_id, Attempt.Status.OPEN, device_token,
                             cutoff, *session])
        if not cursor.rowcount:
            return None
        cursor.execute(_answer_read_back(db.vendor), [item_id])
        found = cursor.fetchone()
    if found is None:
        return None
    deadline = fixedsql.value_from_db(Attempt, "deadline", found[0])
    return (None if deadline is None else deadline.timestamp(), *found[1:])


# An answer is saved as it is chosen, by every examinee at once when a campaign starts: the
# statements below are fixed (core.fixedsql) rather than compiled for every click.
_STILL_OPEN_HERE = (f"attempt_id IN (SELECT id FROM {Attempt._meta.db_table} "  # noqa: S608
                    f"WHERE id = %s AND status = %s AND device_token = %s)")


@functools.cache
def _item_statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    shapes = (fixedsql.Shape.of(AttemptItem, "i"), fixedsql.Shape.of(QuestionVersion, "v"))
    q = connection.ops.quote_name
    return (f"SELECT {fixedsql.select_list(*shapes)} FROM {q(AttemptItem._meta.db_table)} i "  # noqa: S608
            f"INNER JOIN {q(QuestionVersion._meta.db_table)} v ON v.id = i.version_id "
            f"WHERE i.attempt_id = %s AND i.position = %s"), shapes


def _item_at(attempt_id: int, position: int) -> AttemptItem | None:
    sql, shapes = _item_statement(connection.vendor)
    rows = fixedsql.read(sql, [attempt_id, position], shapes)
    if not rows:
        return None
    item, version = rows[0]
    item.version = version
    return item


@functools.cache
def _answered_statement(vendor: str) -> str:
    return (f"SELECT COUNT(*) FROM {connection.ops.quote_name(AttemptItem._meta.db_table)} "  # noqa: S608
            f"WHERE attempt_id = %s AND response <> ''")


def _answered_count(attempt_id: int) -> int:
    with fixedsql.cursor() as cursor:
        cursor.execute(_answered_statement(connection.vendor), [attempt_id])
        return int(cursor.fetchone()[0])


_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no", ""}


def _position(value: Any) -> int:
    """A question number as JSON or a form sends it: an integer, or its ASCII digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise AttemptError(_("题号应为整数"), field="position")
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise AttemptError(_("题号应为整数"), field="position")
    return int(text)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, int | str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise AttemptError(_("标记应为 true 或 false"), field="flagged")


def _wrong_book_record(worker_id: int | None, question_id: int, correct: bool, now: datetime) -> None:
    if worker_id is None:
        return
    if correct:
        WrongAnswer.objects.filter(worker_id=worker_id, question_id=question_id, cleared_at__isnull=True).update(cleared_at=now)
        return
    updated = WrongAnswer.objects.filter(worker_id=worker_id, question_id=question_id).update(
        times_wrong=F("times_wrong") + 1, last_wrong_at=now, cleared_at=None)
    if not updated:
        WrongAnswer.objects.get_or_create(worker_id=worker_id, question_id=question_id, defaults={"last_wrong_at": now})


def item_points(item: AttemptItem, *, partial_credit: bool) -> tuple[bool, Decimal]:
    """Right or wrong, and the points. Multiple choice is all-or-nothing unless the exam gives
    partial credit: then a choice with no wrong option earns its share of the correct ones."""
    key, response = item.version.answer, item.response
    if response == key:
        return True, item.points_possible
    if partial_credit and item.version.kind == QuestionKind.MULTIPLE and response and set(response) <= set(key):
        share = Decimal(len(response)) / Decimal(len(key))
        return False, (item.points_possible * share).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    return False, Decimal("0")


def attempt_submit(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """The worker hands the paper in. Idempotent: a graded attempt is returned as it is."""
    return attempt_grade(attempt_id=attempt.pk, by_deadline=False, now=now)


def attempt_grade(*, attempt_id: int, by_deadline: bool, now: datetime | None = None) -> Attempt:
    now = _now(now)
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update(of=("self",)).select_related("exam").get(pk=attempt_id)
        if attempt.status != Attempt.Status.OPEN:
            return attempt
        exam = attempt.exam
        partial = bool(exam and exam.partial_credit)
        items = list(AttemptItem.objects.filter(attempt=attempt).select_related("version"))
        for item in items:
            item.is_correct, item.points = item_points(item, partial_credit=partial)
        AttemptItem.objects.bulk_update(items, ["is_correct", "points"])
        score = sum((item.points or Decimal("0") for item in items), Decimal("0"))
        attempt.score = score
        attempt.percent = float(score / attempt.max_score * 100) if attempt.max_score else 0.0
        attempt.passed = attempt.percent >= (exam.pass_percent if exam else settings.EXAM_PASS_PERCENT)
        attempt.status = Attempt.Status.GRADED
        # Graded late by the sweep or on the next visit, it was still handed in at its deadline.
        attempt.graded_at = min(now, attempt.deadline) if by_deadline and attempt.deadline else now
        attempt.submitted_by_deadline = by_deadline
        attempt.save(update_fields=["score", "percent", "passed", "status", "graded_at", "submitted_by_deadline"])
        if attempt.mode == AttemptMode.MOCK:
            for item in items:
                if item.response or item.is_correct is False:
                    _wrong_book_record(attempt.worker_id, item.version.question_id, bool(item.is_correct), now)
        if attempt.mode == AttemptMode.EXAM:
            from exams.services.results import attempt_graded

            attempt_graded(attempt)
    return attempt


def attempts_grade_expired(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat: grade open attempts past their deadline and grace that nobody submitted."""
    now = _now(now)
    cutoff = now - timedelta(seconds=settings.EXAM_GRACE_SECONDS)
    ids = list(Attempt.objects.filter(status=Attempt.Status.OPEN, deadline__lt=cutoff).values_list("pk", flat=True)[:limit])
    for attempt_id in ids:
        attempt_grade(attempt_id=attempt_id, by_deadline=True, now=now)
    return len(ids)


def attempts_grade_expired_for(*, worker: Any, now: datetime | None = None) -> int:
    """Grade this worker's attempts whose time is up before a page lists them, so that a paper
    nobody handed in never shows as still under way."""
    now = _now(now)
    cutoff = now - timedelta(seconds=settings.EXAM_GRACE_SECONDS)
    ids = list(Attempt.objects.filter(worker=worker, status=Attempt.Status.OPEN, deadline__lt=cutoff)
               .values_list("pk", flat=True))
    for attempt_id in ids:
        attempt_grade(attempt_id=attempt_id, by_deadline=True, now=now)
    return len(ids)


def attempt_grade_if_due(*, attempt_id: int, now: datetime | None = None) -> bool:
    """The task scheduled for the deadline: grade only if the attempt is really past it (an
    override may have moved it, and an eager task runs at once)."""
    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None or attempt.status != Attempt.Status.OPEN or not attempt.is_expired(now):
        return False
    attempt_grade(attempt_id=attempt_id, by_deadline=True, now=now)
    return True
