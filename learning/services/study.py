"""Study time that an inspector can trust: the one study device, heartbeats, and the 学时 ledger.

Every heartbeat is kept (Heartbeat rows are evidence, never deleted) with what it claimed, what
was credited and why anything was refused. The rules are written out for an inspector in
docs/learning.md; the short version:

- one device at a time: each login issues a new token; beats carrying an older one credit nothing;
- a worker's beats run one at a time (their StudyDevice row is locked), so two tabs or devices
  cannot both credit the same seconds;
- a beat credits at most the real time since the previous beat of its session, and nothing when
  that time is longer than STUDY_GAP_SECONDS (the time in between is not known to be study), when
  the worker was idle or the page hidden;
- no second of a worker's time is credited twice (credited intervals are stored and clipped);
- a lesson credits at most its minutes plus STUDY_LESSON_MARGIN_PERCENT;
- offline (queued) beats are placed by the phone's clock, within the same caps;
- the video's furthest position advances only at playing speed.

The beat path makes a handful of queries and never touches the cache, so study keeps being
credited while Redis is down.
"""

from __future__ import annotations

import functools
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.db import connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import fixedsql
from core.errors import ServiceError
from learning.models import (
    Enrolment,
    Heartbeat,
    LessonPage,
    LessonProgress,
    StudyDay,
    StudyDevice,
    StudyHours,
    StudySession,
)

__all__ = [
    "DEVICE_SESSION_KEY", "LEDGER_TIME_ZONE", "Beat", "BeatResult", "StudyRefused", "device_issue",
    "device_token_for", "heartbeat_record", "heartbeats_record", "ledger_rebuild", "ledger_year",
]

DEVICE_SESSION_KEY = "study_device"
# 学时 are counted per calendar year in China, whatever the server's TIME_ZONE says.
LEDGER_TIME_ZONE = ZoneInfo("Asia/Shanghai")
# A player may run a little fast (playbackRate rounding, a beat sent late): the furthest position
# may advance by the elapsed time × this, plus a couple of seconds of slack.
VIDEO_SPEED_ALLOWANCE = 1.25
VIDEO_SLACK_SECONDS = 2.0
# Enrolment.last_studied_at says when someone last studied, not how long: it moves in steps of
# this, which spares most beats a write.
LAST_STUDIED_STEP = timedelta(minutes=5)
SESSION_KEY_MAX = 64
Reason = Heartbeat.Reason


class StudyRefused(ServiceError):
    """A beat that cannot even be recorded: code "unknown_lesson" (no live lesson with that id;
    the API answers 404; ``lesson_id`` names it) or "invalid" (a malformed beat; the API answers 400)."""

    def __init__(self, message: str, *, code: str = "invalid", field: str = "", lesson_id: int | None = None) -> None:
        super().__init__(message, field=field)
        self.code = code
        self.lesson_id = lesson_id


@dataclass(frozen=True)
class Beat:
    lesson_id: int
    session_key: str            # made by the page (random, ≤ 64 chars), one per page view of a lesson
    seq: int                    # increases within a session
    client_at: datetime | None  # the phone's clock when the beat was made (aware)
    active: bool = True         # interaction within STUDY_IDLE_SECONDS or video playing
    visible: bool = True        # document.visibilityState == "visible"
    queued: bool = False        # made offline and sent later
    video_position: float | None = None
    video_duration: float | None = None


@dataclass(frozen=True)
class BeatResult:
    credited_seconds: int
    reason: str                 # Heartbeat.Reason value, "" when credited
    message: str                # translated, for the page ("" when credited)
    lesson_credited_seconds: int
    lesson_required_seconds: int
    lesson_completed: bool
    video_furthest: float
    course_completed: int       # lessons completed in the course
    course_total: int
    year_seconds: int           # the worker's credited seconds on this course this year


def _messages() -> dict[str, str]:
    return _messages_in(get_language() or "", settings.STUDY_QUEUE_MAX_HOURS)


@functools.lru_cache(maxsize=16)
def _messages_in(language: str, queue_max_hours: int) -> dict[str, str]:
    """Every reason's message in one language, built once (a beat used to translate all of them)."""
    return {
        Reason.NONE: "",
        Reason.START: _("已开始计时"),
        Reason.RESUME: _("已恢复计时，暂停期间不计入"),
        Reason.NOT_ENROLLED: _("您尚未报名这门课程，学习时间不计入学时"),
        Reason.WRONG_LESSON: _("学习记录与本课时不符，请刷新页面"),
        Reason.OTHER_DEVICE: _("您已在另一台设备（或重新）登录，本页面不再计时；如需在这里学习，请刷新页面"),
        Reason.REPLAY: _("这次计时已经收到过，不重复计入"),
        Reason.FUTURE: _("手机时间比服务器时间快，这次计时不计入；请把手机设为自动同步时间"),
        Reason.TOO_OLD: _("离线记录超过 %(hours)s 小时，不再计入") % {"hours": queue_max_hours},
        Reason.GAP: _("距上次计时间隔过长，中间的时间不计入"),
        Reason.IDLE: _("长时间没有操作，暂停计时"),
        Reason.HIDDEN: _("页面不在前台，暂停计时"),
        Reason.OVERLAP: _("这段时间已经计入过学时，不重复计入"),
        Reason.LESSON_CAP: _("本课时的学习时间已达上限"),
        Reason.SEEK: _("不能快进到未看过的部分，视频进度不计入"),
    }


def reason_message(reason: str) -> str:
    return _messages().get(reason, "")


def ledger_year(moment: datetime) -> int:
    return moment.astimezone(LEDGER_TIME_ZONE).year


def ledger_day(moment: datetime) -> date:
    return moment.astimezone(LEDGER_TIME_ZONE).date()


# -- the one device ----------------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_hex(16)


def device_issue(*, user: Any, session: Any, user_agent: str = "", now: datetime | None = None) -> str:
    """Make ``user``'s study device the holder of ``session`` (a Django session or any dict):
    called on every login, so a new login ends the crediting of every other session."""
    token = _new_token()
    StudyDevice.objects.update_or_create(
        user_id=user.pk, defaults={"token": token, "since": now or timezone.now(), "user_agent": (user_agent or "")[:200]},
    )
    if session is not None:
        session[DEVICE_SESSION_KEY] = token
    return token


def device_token_for(session: Any) -> str:
    """The study token kept in a Django session ("" if none). A session signed in before this
    feature existed has none; if its person has no study device yet, one is issued to it now
    (get_or_create: two first beats racing end up with the same token)."""
    if session is None:
        return ""
    token = session.get(DEVICE_SESSION_KEY, "")
    if token:
        return str(token)
    user_id = session.get(AUTH_SESSION_KEY)
    if not user_id:
        return ""
    device, created = StudyDevice.objects.get_or_create(
        user_id=user_id, defaults={"token": _new_token(), "since": timezone.now()})
    if not created:
        # Another session holds the device (a login after this one was made): this one does not.
        return ""
    session[DEVICE_SESSION_KEY] = device.token
    return device.token


def _lock_device(worker: Any, device_token: str, now: datetime) -> StudyDevice:
    """Lock the worker's study device row: every beat of one person runs one at a time (on SQLite
    the write transaction does the same)."""
    device = StudyDevice.objects.select_for_update().filter(user_id=worker.user_id).first()
    if device is None:
        # A person who never signed in since study devices exist (a direct call: the demo, a
        # test): the token presented becomes the device; without one nothing will match.
        StudyDevice.objects.get_or_create(user_id=worker.user_id,
                                          defaults={"token": device_token or _new_token(), "since": now})
        device = StudyDevice.objects.select_for_update().get(user_id=worker.user_id)
    return device


# -- recording a beat ---------------------------------------------------------------------------


def _live_lesson(lesson_id: Any) -> LessonPage:
    lesson = None
    if isinstance(lesson_id, int) and not isinstance(lesson_id, bool) and 0 < lesson_id < 2**31:
        lesson = LessonPage.objects.live().filter(pk=lesson_id).first()
    if lesson is None:
        raise StudyRefused(_("没有这个课时"), code="unknown_lesson", field="lesson", lesson_id=lesson_id)
    return lesson


def _check_shape(beat: Beat) -> None:
    if not isinstance(beat.session_key, str) or not 0 < len(beat.session_key) <= SESSION_KEY_MAX:
        raise StudyRefused(_("学习记录编号应为 1–64 个字符"), field="session")
    if not isinstance(beat.seq, int) or isinstance(beat.seq, bool) or not 0 <= beat.seq < 2**31:
        raise StudyRefused(_("心跳序号应为非负整数"), field="seq")
    if beat.client_at is not None and timezone.is_naive(beat.client_at):
        raise StudyRefused(_("时间应带时区"), field="at")


def _number(value: Any) -> float | None:
    """A player's position or duration, or None for anything that is not a finite, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


@dataclass
class _Outcome:
    """What one beat does, worked out before anything is written."""

    reason: str = ""
    claimed: int = 0
    credited: int = 0
    credited_from: datetime | None = None
    credited_to: datetime | None = None
    moves: bool = False              # the session's clocks and seq move to this beat
    pair: tuple[datetime, datetime] | None = None   # (server-time end, phone-time end) when moving
    elapsed: float = 0.0            # seconds since the previous beat, for the video allowance


def heartbeat_record(*, worker: Any, device_token: str, beat: Beat, user_agent: str = "",
                     now: datetime | None = None) -> BeatResult:
    """Record one beat and credit what the rules allow (docs/learning.md). Raises StudyRefused
    for a lesson that is not live (nothing to attach the beat to); every other refusal is
    recorded with its reason and answered with 0 (or partly) credited."""
    now = now or timezone.now()
    _check_shape(beat)
    with transaction.atomic():
        return _record(worker, device_token, beat, user_agent, now)


@functools.cache
def _device_and_session_statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    """The worker's study device, locked, with the page view's session, its enrolment, lesson
    (not the body) and progress: what every beat reads, in one statement."""
    from wagtail.models import Page

    shapes = (
        fixedsql.Shape.of(StudyDevice, "d", ["id", "user", "token"]),
        fixedsql.Shape.of(StudySession, "s"),
        fixedsql.Shape.of(Enrolment, "e"),
        fixedsql.Shape.of(LessonPage, {LessonPage: "l", Page: "p"},
                          ["id", "path", "depth", "live", "page_ptr", "credited_minutes", "check_pass_count",
                           "tracks_video"]),
        fixedsql.Shape.of(LessonProgress, "pr"),
    )
    q = connection.ops.quote_name
    sql = (
        f"SELECT {fixedsql.select_list(*shapes)} FROM {q(StudyDevice._meta.db_table)} d "  # noqa: S608
        f"LEFT JOIN {q(StudySession._meta.db_table)} s ON s.worker_id = %s AND s.client_key = %s "
        f"LEFT JOIN {q(Enrolment._meta.db_table)} e ON e.id = s.enrolment_id "
        f"LEFT JOIN {q(LessonPage._meta.db_table)} l ON l.page_ptr_id = s.lesson_id "
        f"LEFT JOIN {q(Page._meta.db_table)} p ON p.id = l.page_ptr_id "
        f"LEFT JOIN {q(LessonProgress._meta.db_table)} pr ON pr.id = s.progress_id "
        f"WHERE d.user_id = %s"
    )
    return fixedsql.locking(sql, "d"), shapes


def _device_and_session(worker: Any, session_key: str) -> tuple[StudyDevice, StudySession | None] | None:
    sql, shapes = _device_and_session_statement(connection.vendor)
    rows = fixedsql.read(sql, [worker.pk, session_key, worker.user_id], shapes)
    if not rows:
        return None
    device, session, enrolment, lesson, progress = rows[0]
    if session is not None:
        session.enrolment, session.lesson, session.progress = enrolment, lesson, progress
    return device, session


def _record(worker: Any, device_token: str, beat: Beat, user_agent: str, now: datetime) -> BeatResult:
    """One beat, in the caller's transaction."""
    found = _device_and_session(worker, beat.session_key)
    if found is None:
        _lock_device(worker, device_token, now)
        found = _device_and_session(worker, beat.session_key)
        assert found is not None
    device, session = found
    if session is None:
        return _first_beat(worker, device, device_token, beat, user_agent, now)
    return _next_beat(worker, device, device_token, session, beat, now)


def heartbeats_record(*, worker: Any, device_token: str, beats: list[Beat], user_agent: str = "",
                      now: datetime | None = None) -> list[BeatResult]:
    """A batch (the offline queue): each beat in the phone's time order, in one transaction (one
    unknown lesson refuses the batch, nothing recorded).
    Results come back in the order the beats were given."""
    now = now or timezone.now()
    for beat in beats:
        _check_shape(beat)
    # A lesson that is not live raises StudyRefused from inside the transaction below, which
    # undoes every beat already recorded: the batch is refused whole without a query of its own.
    order = sorted(range(len(beats)), key=lambda i: (beats[i].client_at or now, beats[i].seq))
    results: dict[int, BeatResult] = {}
    # One transaction and no savepoint per beat: an error anywhere undoes the whole batch.
    with transaction.atomic():
        for index in order:
            results[index] = _record(worker, device_token, beats[index], user_agent, now)
    return [results[i] for i in range(len(beats))]


def _same_token(a: str, b: str) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(str(a), str(b))


def _clock_refusal(beat: Beat, now: datetime) -> str:
    skew = timedelta(seconds=settings.STUDY_CLOCK_SKEW_SECONDS)
    if beat.client_at is not None and beat.client_at > now + skew:
        return Reason.FUTURE
    if beat.queued and beat.client_at is not None and beat.client_at < now - timedelta(hours=settings.STUDY_QUEUE_MAX_HOURS):
        return Reason.TOO_OLD
    return ""


def _first_beat(worker: Any, device: StudyDevice, device_token: str, beat: Beat, user_agent: str,
                now: datetime) -> BeatResult:
    """The first beat of a page view opens its session (credits nothing: there is no previous beat)."""
    lesson = _live_lesson(beat.lesson_id)
    enrolment = Enrolment.objects.filter(worker=worker, course__path=lesson.path[: -lesson.steplen]).first()
    if enrolment is None:
        return _refused(worker, lesson, None, beat, Reason.NOT_ENROLLED, now)
    if not _same_token(device_token, device.token):
        return _refused(worker, lesson, enrolment, beat, Reason.OTHER_DEVICE, now)
    reason = _clock_refusal(beat, now)
    if reason:
        return _refused(worker, lesson, enrolment, beat, reason, now)
    progress, _created = LessonProgress.objects.get_or_create(enrolment=enrolment, lesson=lesson)
    # A session opened offline has only the phone's clock: it is taken as the server's until a
    # live beat pairs the two.
    server_end = beat.client_at if beat.queued and beat.client_at else now
    session = StudySession.objects.create(
        client_key=beat.session_key, worker=worker, enrolment=enrolment, lesson=lesson, progress=progress,
        device_token=device.token, user_agent=(user_agent or "")[:200], started_at=server_end,
        last_beat_at=server_end, last_client_at=beat.client_at or now, last_seq=beat.seq, beats=1,
    )
    session.enrolment, session.lesson, session.progress = enrolment, lesson, progress
    outcome = _Outcome(reason=Reason.START, elapsed=0.0)
    video = _video(progress, lesson, beat, outcome)
    year_seconds = _write(worker, session, beat, outcome, video, now, new_session=True)
    return _result(worker, session, outcome, now, year_seconds)


def _next_beat(worker: Any, device: StudyDevice, device_token: str, session: StudySession, beat: Beat,
               now: datetime) -> BeatResult:
    lesson = session.lesson
    if not lesson.live:
        raise StudyRefused(_("没有这个课时"), code="unknown_lesson", field="lesson", lesson_id=beat.lesson_id)
    if beat.lesson_id != session.lesson_id:
        # The session is the page view of one lesson: a beat naming another is forged or confused.
        claimed_lesson = _live_lesson(beat.lesson_id)
        return _refused(worker, claimed_lesson, session.enrolment, beat, Reason.WRONG_LESSON, now, session=session)
    outcome = _assess(worker, device, device_token, session, beat, now)
    video = _video(session.progress, lesson, beat, outcome) if outcome.moves else None
    if video is not None and video.seek and not outcome.reason:
        outcome.reason = Reason.SEEK
    year_seconds = _write(worker, session, beat, outcome, video, now)
    return _result(worker, session, outcome, now, year_seconds)


def _assess(worker: Any, device: StudyDevice, device_token: str, session: StudySession, beat: Beat,
            now: datetime) -> _Outcome:
    """Work out what the beat credits, rule by rule (docs/learning.md gives them in this order)."""
    if not (_same_token(device_token, device.token) and _same_token(device_token, session.device_token)):
        # A login elsewhere (or again) took the device: this page view never credits again.
        return _Outcome(reason=Reason.OTHER_DEVICE)
    clock = _clock_refusal(beat, now)
    if clock:
        return _Outcome(reason=clock)
    if beat.seq <= session.last_seq or (beat.queued and beat.client_at and beat.client_at < session.last_client_at):
        return _Outcome(reason=Reason.REPLAY)
    if beat.queued and beat.client_at is not None:
        # Placed by the phone's clock, on the session's own time line: the gap on the phone's
        # clock is added to where the session stands (for a phone whose clock is right, that is
        # the phone's time itself). So queued and live beats of one session can never both cover
        # the same real time, whatever the phone's clock says.
        elapsed = (beat.client_at - session.last_client_at).total_seconds()
        end = session.last_beat_at + timedelta(seconds=elapsed)
        if end > now + timedelta(seconds=settings.STUDY_CLOCK_SKEW_SECONDS):
            return _Outcome(reason=Reason.FUTURE)
        pair = (end, beat.client_at)
    else:
        elapsed = (now - session.last_beat_at).total_seconds()
        end = now
        pair = (now, beat.client_at or now)
    outcome = _Outcome(moves=True, pair=pair, elapsed=max(0.0, min(elapsed, settings.STUDY_GAP_SECONDS)))
    if elapsed > settings.STUDY_GAP_SECONDS:
        # The time in between is unknown (the phone slept, the page was closed): neither claimed
        # nor credited, and the video may not have advanced in it either.
        outcome.reason, outcome.elapsed = Reason.GAP, 0.0
        return outcome
    gap = max(0, int(elapsed))  # whole seconds, rounded down: never more than the real time
    outcome.claimed = gap
    if not beat.visible:
        outcome.reason = Reason.HIDDEN
        return outcome
    if not beat.active:
        outcome.reason = Reason.IDLE
        return outcome
    if session.paused:
        # The time since the hidden or idle beat is the pause itself (the screen was off, the
        # dialog waited): timing starts again from this beat.
        outcome.reason = Reason.RESUME
        return outcome
    if gap == 0:
        return outcome
    piece = _clip(worker, end - timedelta(seconds=gap), end)
    if piece is None:
        outcome.reason = Reason.OVERLAP
        return outcome
    piece_from, piece_to = piece
    credit = int((piece_to - piece_from).total_seconds())
    if credit < gap:
        outcome.reason = Reason.OVERLAP
    cap_left = max(0, session.lesson.cap_seconds - session.progress.credited_seconds)
    if credit > cap_left:
        credit, outcome.reason = cap_left, Reason.LESSON_CAP
    if credit > 0:
        outcome.credited, outcome.credited_from, outcome.credited_to = credit, piece_to - timedelta(seconds=credit), piece_to
    return outcome


def _as_db_datetime(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _clip(worker: Any, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The latest stretch (of a second or more) of (start, end] that no credited beat of this
    worker covers, in any lesson or session; None when it is all covered. When credited time
    splits it, only the later piece counts: rare (two sessions interleaved), and it can only
    ever credit less, never more."""
    beats = fixedsql.select(Heartbeat, "t.worker_id = %s AND t.credited_to > %s AND t.credited_from < %s",
                            [worker.pk, _as_db_datetime(start), _as_db_datetime(end)],
                            ["id", "credited_from", "credited_to"])
    covered = sorted((beat.credited_from, beat.credited_to) for beat in beats
                     if beat.credited_from is not None and beat.credited_to is not None)
    merged: list[list[datetime]] = []
    for c_from, c_to in covered:
        if merged and c_from <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], c_to)
        else:
            merged.append([c_from, c_to])
    cursor = end
    for c_from, c_to in reversed(merged):
        if c_to < cursor and (cursor - max(c_to, start)).total_seconds() >= 1:
            return max(c_to, start), cursor
        cursor = min(cursor, c_from)
        if cursor <= start:
            return None
    if (cursor - start).total_seconds() >= 1:
        return start, cursor
    return None


@dataclass
class _Video:
    furthest: float
    duration: float
    position: float
    seek: bool
    changed: bool


def _video(progress: LessonProgress, lesson: LessonPage, beat: Beat, outcome: _Outcome) -> _Video | None:
    """The video rule: the furthest position moves only as far as playing could have taken it
    since the previous beat (× 1.25 + 2 s); beyond that it is a seek and the furthest stays."""
    position = _number(beat.video_position)
    duration = _number(beat.video_duration)
    if position is None or not lesson.has_file_video:
        return None
    furthest = progress.video_furthest
    new_duration = max(progress.video_duration, duration or 0.0)
    allowed = furthest + outcome.elapsed * VIDEO_SPEED_ALLOWANCE + VIDEO_SLACK_SECONDS
    seek = position > allowed
    if not seek and position > furthest:
        furthest = min(position, new_duration) if new_duration else position
    changed = (furthest, new_duration, position) != (progress.video_furthest, progress.video_duration,
                                                       progress.video_position)
    return _Video(furthest, new_duration, position, seek, changed)


def _refused(worker: Any, lesson: LessonPage, enrolment: Enrolment | None, beat: Beat, reason: str,
             now: datetime, *, session: StudySession | None = None) -> BeatResult:
    """A beat recorded with its reason before any session state is touched."""
    Heartbeat.objects.create(
        session=session, worker=worker, lesson=lesson, received_at=now, client_at=beat.client_at, seq=beat.seq,
        queued=beat.queued, active=beat.active, visible=beat.visible, video_position=_number(beat.video_position),
        reason=reason,
    )
    if session is not None:
        StudySession.objects.filter(pk=session.pk).update(beats=F("beats") + 1)
    progress = None
    if enrolment is not None:
        progress = LessonProgress.objects.filter(enrolment=enrolment, lesson=lesson).first()
    year_seconds = _year_seconds(worker, enrolment.course_id, now) if enrolment is not None else 0
    return BeatResult(
        credited_seconds=0, reason=str(reason), message=reason_message(reason),
        lesson_credited_seconds=progress.credited_seconds if progress else 0,
        lesson_required_seconds=lesson.required_seconds,
        lesson_completed=bool(progress and progress.completed_at),
        video_furthest=progress.video_furthest if progress else 0.0,
        course_completed=enrolment.lessons_completed if enrolment else 0,
        course_total=enrolment.lessons_total if enrolment else 0,
        year_seconds=year_seconds,
    )


def _write(worker: Any, session: StudySession, beat: Beat, outcome: _Outcome, video: _Video | None,
           now: datetime, *, new_session: bool = False) -> int:
    """Store the beat and everything it moves, in the caller's transaction (under the device lock,
    so plain values are safe; the counters are added atomically all the same), and return the
    year's 学时 seconds on the course. The rows written are all different and none is read back,
    so they go as one statement with the ledger's upsert (or read) last (core.fixedsql.Writes)."""
    progress, enrolment = session.progress, session.enrolment
    writes = fixedsql.Writes()
    writes.insert(Heartbeat, {
        "session": session.pk, "worker": worker.pk, "lesson": session.lesson_id, "received_at": now,
        "client_at": beat.client_at, "seq": beat.seq, "queued": beat.queued, "active": beat.active,
        "visible": beat.visible, "video_position": _number(beat.video_position), "claimed_seconds": outcome.claimed,
        "credited_seconds": outcome.credited, "credited_from": outcome.credited_from,
        "credited_to": outcome.credited_to, "reason": outcome.reason,
    })
    if not new_session:
        changes: dict[str, Any] = {}
        added: dict[str, int] = {"beats": 1}
        if outcome.moves and outcome.pair is not None:
            session.last_beat_at, session.last_client_at = outcome.pair
            session.last_seq = beat.seq
            session.paused = outcome.reason in (Reason.HIDDEN, Reason.IDLE)
            changes.update(last_beat_at=session.last_beat_at, last_client_at=session.last_client_at, last_seq=beat.seq,
                           paused=session.paused)
        if outcome.credited:
            added["credited_seconds"] = outcome.credited
        if outcome.claimed > outcome.credited:
            added["refused_seconds"] = outcome.claimed - outcome.credited
        writes.update(StudySession, session.pk, set=changes, add=added)
    progress_changes: dict[str, Any] = {}
    progress_added: dict[str, int] = {}
    if outcome.credited:
        progress.credited_seconds += outcome.credited
        progress_added["credited_seconds"] = outcome.credited
    if video is not None and video.changed:
        progress.video_furthest, progress.video_duration, progress.video_position = (
            video.furthest, video.duration, video.position)
        progress_changes.update(video_furthest=video.furthest, video_duration=video.duration,
                                video_position=video.position)
    if progress_changes or progress_added:
        progress_changes["updated_at"] = now
        writes.update(LessonProgress, progress.pk, set=progress_changes, add=progress_added)
    credited = bool(outcome.credited and outcome.credited_to is not None)
    if credited and outcome.credited_to is not None:
        # Queued beats arrive late: the last studied moment only ever moves forward.
        studied_at = max(enrolment.last_studied_at or outcome.credited_to, outcome.credited_to)
        if (enrolment.last_lesson_id != session.lesson_id or enrolment.last_studied_at is None
                or studied_at - enrolment.last_studied_at >= LAST_STUDIED_STEP):
            enrolment.last_lesson_id, enrolment.last_studied_at = session.lesson_id, studied_at
            writes.update(Enrolment, enrolment.pk, set={"last_lesson": session.lesson_id,
                                                        "last_studied_at": studied_at})
        writes.statement(_day_add_statement(connection.vendor), [
            worker.pk, enrolment.course_id, ledger_day(outcome.credited_to), outcome.credited])
        rows = writes.run(_ledger_add_statement(connection.vendor), [
            worker.pk, enrolment.course_id, ledger_year(outcome.credited_to), outcome.credited,
            connection.ops.adapt_datetimefield_value(now)])
    else:
        if new_session and enrolment.last_lesson_id != session.lesson_id:
            enrolment.last_lesson_id = session.lesson_id
            writes.update(Enrolment, enrolment.pk, set={"last_lesson": session.lesson_id})
        rows = writes.run(_year_statement(connection.vendor), [worker.pk, enrolment.course_id, ledger_year(now)])
    year_seconds = int(rows[0][0]) if rows else 0
    if progress.completed_at is None and (outcome.credited or (video is not None and video.changed)):
        from learning.services.enrolment import progress_refresh

        progress_refresh(progress=progress, lesson=session.lesson, enrolment=enrolment, now=now)
    return year_seconds


def _result(worker: Any, session: StudySession, outcome: _Outcome, now: datetime,
            year_seconds: int | None) -> BeatResult:
    progress, enrolment = session.progress, session.enrolment
    if year_seconds is None:
        year_seconds = _year_seconds(worker, enrolment.course_id, now)
    return BeatResult(
        credited_seconds=outcome.credited, reason=str(outcome.reason), message=reason_message(outcome.reason),
        lesson_credited_seconds=progress.credited_seconds, lesson_required_seconds=session.lesson.required_seconds,
        lesson_completed=progress.completed_at is not None, video_furthest=progress.video_furthest,
        course_completed=enrolment.lessons_completed, course_total=enrolment.lessons_total,
        year_seconds=year_seconds,
    )


# -- the ledger ---------------------------------------------------------------------------------


@functools.cache
def _ledger_add_statement(vendor: str) -> str:
    """Add seconds to the worker's 学时 for a course and year and give back the new total: one
    upsert (INSERT … ON CONFLICT DO UPDATE, on PostgreSQL and SQLite alike), an atomic
    ``seconds = seconds + n`` like F() would write, with RETURNING so the page gets the year's
    total without another query."""
    table = connection.ops.quote_name(StudyHours._meta.db_table)
    return (f"INSERT INTO {table} (worker_id, course_id, year, seconds, updated_at) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (worker_id, course_id, year) DO UPDATE SET seconds = {table}.seconds + excluded.seconds, "
            f"updated_at = excluded.updated_at RETURNING seconds")


@functools.cache
def _day_add_statement(vendor: str) -> str:
    """The same seconds on the worker's day ledger (StudyDay), which programme windows sum."""
    table = connection.ops.quote_name(StudyDay._meta.db_table)
    return (f"INSERT INTO {table} (worker_id, course_id, day, seconds) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (worker_id, course_id, day) DO UPDATE SET seconds = {table}.seconds + excluded.seconds")


@functools.cache
def _year_statement(vendor: str) -> str:
    q = connection.ops.quote_name
    return (f"SELECT {q('seconds')} FROM {q(StudyHours._meta.db_table)} "  # noqa: S608
            f"WHERE {q('worker_id')} = %s AND {q('course_id')} = %s AND {q('year')} = %s")


def _year_seconds(worker: Any, course_id: int, now: datetime) -> int:
    with fixedsql.cursor() as cursor:
        cursor.execute(_year_statement(connection.vendor), [worker.pk, course_id, ledger_year(now)])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def ledger_rebuild(*, worker: Any = None) -> int:
    """Recompute StudyHours from the credited heartbeats (all workers, or one) and return how many
    ledger rows it changed: 0 when the ledger and the evidence agree, as they always should."""
    from orgs.models import Worker

    if worker is not None:
        workers = [worker]
    else:
        ids = set(Heartbeat.objects.filter(credited_seconds__gt=0).values_list("worker_id", flat=True).distinct())
        ids |= set(StudyHours.objects.values_list("worker_id", flat=True).distinct())
        workers = list(Worker.objects.filter(pk__in=ids).order_by("pk"))
    changed = 0
    for person in workers:
        with transaction.atomic():
            _lock_device(person, "", timezone.now())
            totals = {
                (row["course"], row["year"]): row["seconds"]
                for row in Heartbeat.objects.filter(worker=person, credited_seconds__gt=0, session__isnull=False)
                .annotate(year=ExtractYear("credited_to", tzinfo=LEDGER_TIME_ZONE))
                .values("year", course=F("session__enrolment__course_id"))
                .annotate(seconds=Sum("credited_seconds")).order_by()
            }
            for row in StudyHours.objects.filter(worker=person).select_for_update():
                seconds = totals.pop((row.course_id, row.year), 0)
                if row.seconds != seconds:
                    StudyHours.objects.filter(pk=row.pk).update(seconds=seconds)
                    changed += 1
            for (course_id, year), seconds in totals.items():
                StudyHours.objects.create(worker=person, course_id=course_id, year=year, seconds=seconds)
                changed += 1
            changed += _days_rebuild(person)
    return changed


def _days_rebuild(person: Any) -> int:
    """StudyDay from the same evidence, for one worker under the caller's device lock."""
    totals = {
        (row["course"], row["day"]): row["seconds"]
        for row in Heartbeat.objects.filter(worker=person, credited_seconds__gt=0, session__isnull=False)
        .annotate(day=TruncDate("credited_to", tzinfo=LEDGER_TIME_ZONE))
        .values("day", course=F("session__enrolment__course_id"))
        .annotate(seconds=Sum("credited_seconds")).order_by()
    }
    changed = 0
    for row in StudyDay.objects.filter(worker=person).select_for_update():
        seconds = totals.pop((row.course_id, row.day), 0)
        if row.seconds != seconds:
            StudyDay.objects.filter(pk=row.pk).update(seconds=seconds)
            changed += 1
    StudyDay.objects.bulk_create([StudyDay(worker=person, course_id=course_id, day=day, seconds=seconds)
                                  for (course_id, day), seconds in totals.items()])
    return changed + len(totals)
