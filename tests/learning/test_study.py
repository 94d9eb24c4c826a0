"""The crediting rules of learning.services.study, each proved with the clock moved (time-machine).

docs/learning.md numbers the rules; the tests follow its order.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import ProtectedError, Sum
from django.test import Client
from django.utils import timezone

from learning.models import Enrolment, Heartbeat, LessonProgress, StudyDevice, StudyHours, StudySession
from learning.services import study
from learning.services.study import (
    DEVICE_SESSION_KEY,
    Beat,
    BeatResult,
    StudyRefused,
    device_token_for,
    heartbeat_record,
    heartbeats_record,
    ledger_rebuild,
)
from tests.conftest import Personas
from tests.learning.helpers import beat, device_for, enrolled, lessons_of, make_course, make_lesson

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def token(personas: Personas, enrolment: Enrolment, clock: Any) -> str:
    return device_for(personas.worker)


def send(worker: Any, token: str, lesson: Any, **overrides: Any) -> BeatResult:
    return heartbeat_record(worker=worker, device_token=token, beat=beat(lesson, **overrides))


def lessons(course: Any) -> Any:
    return lessons_of(course)


# -- 1. one device ------------------------------------------------------------------------------


def test_a_login_elsewhere_ends_the_first_devices_crediting(personas: Personas, course: Any, enrolment: Enrolment,
                                                           clock: Any) -> None:
    _video, reading, _check = lessons(course)
    phone_a, phone_b = Client(), Client()
    phone_a.force_login(personas.worker_user)  # a real login: the user_logged_in signal issues the token
    token_a = phone_a.session[DEVICE_SESSION_KEY]
    assert StudyDevice.objects.get(user=personas.worker_user).token == token_a
    assert send(personas.worker, token_a, reading, session_key="a").reason == "start"
    clock.shift(30)
    assert send(personas.worker, token_a, reading, session_key="a").credited_seconds == 30

    phone_b.force_login(personas.worker_user)
    token_b = phone_b.session[DEVICE_SESSION_KEY]
    assert token_b != token_a
    send(personas.worker, token_b, reading, session_key="b")
    clock.shift(30)
    refused = send(personas.worker, token_a, reading, session_key="a")
    counted = send(personas.worker, token_b, reading, session_key="b")
    assert (refused.credited_seconds, refused.reason) == (0, "other_device")
    assert refused.message
    assert (counted.credited_seconds, counted.reason) == (30, "")
    assert Heartbeat.objects.filter(reason="other_device", session__client_key="a").count() == 1


def test_a_session_from_before_study_devices_gets_a_token_on_its_first_beat(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.worker_user)
    session = client.session
    del session[DEVICE_SESSION_KEY]
    StudyDevice.objects.filter(user=personas.worker_user).delete()
    token = device_token_for(session)
    assert token and session[DEVICE_SESSION_KEY] == token
    assert StudyDevice.objects.get(user=personas.worker_user).token == token
    # Another session without a token, once the person has a device: it is not the device.
    other = Client()
    other.force_login(personas.worker_user)
    stale = other.session
    del stale[DEVICE_SESSION_KEY]
    assert device_token_for(stale) == ""
    assert device_token_for(None) == ""


def test_a_beat_with_no_token_or_a_made_up_one_credits_nothing(personas: Personas, course: Any, token: str,
                                                              clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading, session_key="k")
    clock.shift(30)
    assert send(personas.worker, "", reading, session_key="k").reason == "other_device"
    assert send(personas.worker, "f" * 32, reading, session_key="k").reason == "other_device"
    assert send(personas.worker, "", reading, session_key="new").reason == "other_device"
    assert not StudySession.objects.filter(client_key="new").exists()


# -- 2. one beat at a time per worker -------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_racing_cannot_both_credit_the_same_seconds(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises write transactions itself; threads on one file would only wait for the lock")
    course = make_course(lessons=["reading"])
    enrolled(personas.worker, course)
    reading = lessons(course)[0]
    token = device_for(personas.worker, now=START)
    for key in ("tab-1", "tab-2"):
        heartbeat_record(worker=personas.worker, device_token=token, now=START,
                         beat=beat(reading, session_key=key, client_at=START))
    clip = study._clip

    def slow_clip(*args: Any) -> Any:
        # Widen the window between reading the credited intervals and writing this beat's.
        answer = clip(*args)
        time.sleep(0.4)
        return answer

    monkeypatch.setattr(study, "_clip", slow_clip)
    later = START + timedelta(seconds=30)
    results: list[BeatResult] = []

    def tab(key: str) -> None:
        try:
            results.append(heartbeat_record(worker=personas.worker, device_token=token, now=later,
                                            beat=beat(reading, session_key=key, client_at=later)))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab, args=(key,)) for key in ("tab-1", "tab-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((r.credited_seconds, r.reason) for r in results) == [(0, "overlap"), (30, "")]
    assert StudyHours.objects.get(worker=personas.worker).seconds == 30


def test_the_beat_locks_the_workers_device_row(personas: Personas, course: Any, token: str, clock: Any,
                                               django_assert_max_num_queries: Any) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no row locks; its write transaction serialises beats")
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    with django_assert_max_num_queries(10) as queries:
        send(personas.worker, token, reading)
    assert any("FOR UPDATE" in q["sql"] and "studydevice" in q["sql"] for q in queries.captured_queries)


# -- 3. sessions ------------------------------------------------------------------------------------


def test_the_first_beat_opens_the_session_and_replays_count_nothing(personas: Personas, course: Any, token: str,
                                                                    clock: Any) -> None:
    reading = lessons(course)[1]
    first = send(personas.worker, token, reading, seq=1)
    assert (first.credited_seconds, first.reason) == (0, "start")
    session = StudySession.objects.get(worker=personas.worker)
    assert (session.lesson_id, session.device_token, session.last_seq) == (reading.pk, token, 1)
    clock.shift(30)
    assert send(personas.worker, token, reading, seq=2).credited_seconds == 30
    clock.shift(30)
    again = send(personas.worker, token, reading, seq=2)
    older = send(personas.worker, token, reading, seq=1)
    assert [(r.credited_seconds, r.reason) for r in (again, older)] == [(0, "replay"), (0, "replay")]
    session.refresh_from_db()
    assert (session.beats, session.credited_seconds, session.last_seq) == (4, 30, 2)
    # The replays moved nothing: the next beat credits the 30 s since the last one that counted.
    assert send(personas.worker, token, reading, seq=3).credited_seconds == 30


def test_a_session_is_bound_to_its_lesson(personas: Personas, course: Any, token: str, clock: Any) -> None:
    video, reading, _check = lessons(course)
    send(personas.worker, token, reading, session_key="k")
    clock.shift(30)
    wrong = send(personas.worker, token, video, session_key="k")
    assert (wrong.credited_seconds, wrong.reason) == (0, "wrong_lesson")
    row = Heartbeat.objects.get(reason="wrong_lesson")
    assert (row.lesson_id, row.session.lesson_id) == (video.pk, reading.pk)


# -- 4. live beats ---------------------------------------------------------------------------------


def test_live_beats_credit_the_server_time_since_the_previous_beat(personas: Personas, course: Any, token: str,
                                                                   clock: Any, settings: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(42)
    # The phone's clock says an hour passed: a live beat goes by the server's clock.
    result = send(personas.worker, token, reading, client_at=timezone.now() - timedelta(hours=1))
    assert result.credited_seconds == 42
    row = Heartbeat.objects.get(credited_seconds=42)
    assert (row.credited_from, row.credited_to) == (timezone.now() - timedelta(seconds=42), timezone.now())
    clock.shift(settings.STUDY_GAP_SECONDS + 1)
    gap = send(personas.worker, token, reading)
    assert (gap.credited_seconds, gap.reason) == (0, "gap")
    clock.shift(30)
    assert send(personas.worker, token, reading).credited_seconds == 30  # counting resumes from the gap beat


def test_a_phone_clock_ahead_of_the_server_is_refused(personas: Personas, course: Any, token: str, clock: Any,
                                                      settings: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    ahead = timezone.now() + timedelta(seconds=settings.STUDY_CLOCK_SKEW_SECONDS + 5)
    for queued in (False, True):
        result = send(personas.worker, token, reading, client_at=ahead, queued=queued)
        assert (result.credited_seconds, result.reason) == (0, "future")
    # Within the allowed skew it counts.
    assert send(personas.worker, token, reading, client_at=timezone.now() + timedelta(seconds=60)).credited_seconds == 30


# -- 5. queued (offline) beats ---------------------------------------------------------------------


def test_queued_beats_are_placed_by_the_phones_clock_within_the_same_caps(personas: Personas, course: Any,
                                                                         token: str, clock: Any) -> None:
    reading = lessons(course)[1]
    opened = timezone.now()
    send(personas.worker, token, reading, session_key="off", client_at=opened)
    # Offline for five minutes: a beat every 30 s on the phone, then one after an 80 s pause, all
    # sent when the network comes back.
    clock.shift(600)
    queue = [beat(reading, session_key="off", queued=True, client_at=opened + timedelta(seconds=30 * i))
             for i in range(1, 11)]
    queue.append(beat(reading, session_key="off", queued=True, client_at=opened + timedelta(seconds=380)))
    results = heartbeats_record(worker=personas.worker, device_token=token, beats=queue)
    assert [r.credited_seconds for r in results] == [30] * 10 + [0]
    assert results[-1].reason == "gap"
    rows = Heartbeat.objects.filter(queued=True, credited_seconds=30).order_by("credited_to")
    assert rows.first().credited_to == opened + timedelta(seconds=30)
    assert rows.last().credited_to == opened + timedelta(seconds=300)
    # The same queue sent again (the answer was lost): nothing more.
    again = heartbeats_record(worker=personas.worker, device_token=token, beats=queue)
    assert {r.reason for r in again} == {"replay"} and sum(r.credited_seconds for r in again) == 0
    assert StudyHours.objects.get(worker=personas.worker).seconds == 300


def test_queued_beats_older_than_the_limit_or_before_the_session_are_refused(personas: Personas, course: Any,
                                                                            token: str, clock: Any,
                                                                            settings: Any) -> None:
    reading = lessons(course)[1]
    opened = timezone.now()
    send(personas.worker, token, reading, session_key="off", client_at=opened)
    clock.shift(timedelta(hours=settings.STUDY_QUEUE_MAX_HOURS, minutes=5))
    old = send(personas.worker, token, reading, session_key="off", queued=True, client_at=opened + timedelta(seconds=30))
    assert (old.credited_seconds, old.reason) == (0, "too_old")
    # A fresh session opened offline, then a queued beat placed before its last one.
    at = timezone.now() - timedelta(minutes=10)
    send(personas.worker, token, reading, session_key="off2", queued=True, client_at=at)
    send(personas.worker, token, reading, session_key="off2", queued=True, client_at=at + timedelta(seconds=30))
    before = send(personas.worker, token, reading, session_key="off2", queued=True, client_at=at + timedelta(seconds=10))
    assert (before.credited_seconds, before.reason) == (0, "replay")


def test_queued_beats_cannot_claim_more_time_than_passed_on_the_server(personas: Personas, course: Any, token: str,
                                                                       clock: Any) -> None:
    """A phone whose clock runs an hour behind, sending every beat twice (live and "queued"), gets
    each second once: queued beats continue the session's own time line."""
    reading = lessons(course)[1]
    behind = timedelta(hours=1)
    send(personas.worker, token, reading, session_key="k", client_at=timezone.now() - behind)
    credited = 0
    for _step in range(4):
        clock.shift(30)
        phone = timezone.now() - behind
        credited += send(personas.worker, token, reading, session_key="k", queued=True, client_at=phone).credited_seconds
        credited += send(personas.worker, token, reading, session_key="k", client_at=phone).credited_seconds
    assert credited == 120


# -- 6. never twice --------------------------------------------------------------------------------


def test_no_second_is_credited_twice_across_sessions_and_lessons(personas: Personas, course: Any, token: str,
                                                                clock: Any) -> None:
    video, reading, _check = lessons(course)
    send(personas.worker, token, reading, session_key="tab-1")
    clock.shift(10)
    send(personas.worker, token, video, session_key="tab-2")
    clock.shift(20)
    first = send(personas.worker, token, reading, session_key="tab-1")   # (t0, t0+30]
    clock.shift(10)
    second = send(personas.worker, token, video, session_key="tab-2")    # (t0+10, t0+40]: only the last 10 s are new
    assert (first.credited_seconds, first.reason) == (30, "")
    assert (second.credited_seconds, second.reason) == (10, "overlap")
    clock.shift(20)
    send(personas.worker, token, reading, session_key="tab-1")           # (t0+30, t0+60]: 20 s new (t0+40…t0+60)
    covered = send(personas.worker, token, video, session_key="tab-2")   # (t0+40, t0+60]: all taken
    assert (covered.credited_seconds, covered.reason) == (0, "overlap")
    total = Heartbeat.objects.filter(worker=personas.worker).aggregate(s=Sum("credited_seconds"))["s"]
    assert total == 60
    rows = list(Heartbeat.objects.filter(credited_seconds__gt=0).order_by("credited_from"))
    for earlier, later in itertools.pairwise(rows):
        assert earlier.credited_to <= later.credited_from


def test_when_credited_time_splits_a_beat_only_the_later_piece_counts(personas: Personas, course: Any, token: str,
                                                                      clock: Any) -> None:
    video, reading, _check = lessons(course)
    t0 = timezone.now()
    send(personas.worker, token, video, session_key="long", client_at=t0, queued=True)
    send(personas.worker, token, reading, session_key="mid", client_at=t0 + timedelta(seconds=20), queued=True)
    send(personas.worker, token, reading, session_key="mid", client_at=t0 + timedelta(seconds=40), queued=True)
    clock.shift(70)
    result = send(personas.worker, token, video, session_key="long", client_at=t0 + timedelta(seconds=60), queued=True)
    assert (result.credited_seconds, result.reason) == (20, "overlap")
    row = Heartbeat.objects.get(session__client_key="long", credited_seconds=20)
    assert (row.credited_from, row.credited_to) == (t0 + timedelta(seconds=40), t0 + timedelta(seconds=60))


# -- 7. idle and hidden ------------------------------------------------------------------------------


def test_idle_and_hidden_time_is_never_credited_later(personas: Personas, course: Any, token: str, clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    idle = send(personas.worker, token, reading, active=False)
    clock.shift(30)
    hidden = send(personas.worker, token, reading, visible=False)
    # Visible again 20 s later: those 20 s were still the pause, so timing restarts from here.
    clock.shift(20)
    back = send(personas.worker, token, reading)
    clock.shift(30)
    studying = send(personas.worker, token, reading)
    assert [(r.credited_seconds, r.reason) for r in (idle, hidden, back, studying)] == [
        (0, "idle"), (0, "hidden"), (0, "resume"), (30, "")]
    session = StudySession.objects.get()
    assert (session.credited_seconds, session.refused_seconds, session.paused) == (30, 80, False)


def test_a_worker_who_confirms_presence_at_once_gets_no_credit_for_the_idle_wait(personas: Personas, course: Any,
                                                                                   token: str, clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    assert send(personas.worker, token, reading).credited_seconds == 30
    clock.shift(30)
    assert send(personas.worker, token, reading, active=False).reason == "idle"
    clock.shift(40)  # the dialog waited 40 s, well inside the gap allowance
    assert (send(personas.worker, token, reading).credited_seconds, StudySession.objects.get().paused) == (0, False)
    assert StudySession.objects.get().credited_seconds == 30


# -- 8. the lesson's cap ------------------------------------------------------------------------------


def test_a_lesson_credits_at_most_its_minutes_plus_the_margin(personas: Personas, token: str, clock: Any,
                                                             settings: Any) -> None:
    course = make_course(lessons=["reading"], minutes=1)
    enrolled(personas.worker, course)
    lesson = lessons(course)[0]
    assert lesson.cap_seconds == 72  # 60 s + 20 %
    send(personas.worker, token, lesson)
    credited = []
    for _step in range(4):
        clock.shift(30)
        credited.append(send(personas.worker, token, lesson))
    assert [(r.credited_seconds, r.reason) for r in credited] == [(30, ""), (30, ""), (12, "lesson_cap"), (0, "lesson_cap")]
    assert LessonProgress.objects.get(lesson=lesson).credited_seconds == 72


# -- 9. enrolment and unknown lessons -------------------------------------------------------------------


def test_a_beat_for_a_course_not_enrolled_is_recorded_without_a_session(personas: Personas, token: str,
                                                                       clock: Any) -> None:
    other = make_course(lessons=["reading"])
    lesson = lessons(other)[0]
    result = send(personas.worker, token, lesson)
    assert (result.credited_seconds, result.reason) == (0, "not_enrolled")
    row = Heartbeat.objects.get(reason="not_enrolled")
    assert (row.session, row.lesson_id, row.worker_id) == (None, lesson.pk, personas.worker.pk)


def test_a_lesson_that_is_not_live_is_refused_and_not_recorded(personas: Personas, course: Any, token: str,
                                                              clock: Any) -> None:
    draft = make_lesson(course, "reading", live=False)
    for lesson_id in (draft.pk, 999_999, "12", None, True, -1):
        with pytest.raises(StudyRefused) as refused:
            heartbeat_record(worker=personas.worker, device_token=token,
                             beat=Beat(lesson_id=lesson_id, session_key="k", seq=1, client_at=timezone.now()))
        assert refused.value.code == "unknown_lesson"
    with pytest.raises(StudyRefused):
        heartbeats_record(worker=personas.worker, device_token=token, beats=[beat(lessons(course)[1]), beat(draft)])
    assert not Heartbeat.objects.exists()


def test_a_lesson_unpublished_during_a_session_stops_it(personas: Personas, course: Any, token: str, clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    reading.unpublish()
    clock.shift(30)
    with pytest.raises(StudyRefused):
        send(personas.worker, token, reading)


def test_malformed_beats_are_refused_by_field(personas: Personas, course: Any, token: str) -> None:
    reading = lessons(course)[1]
    for overrides, field in (({"session_key": ""}, "session"), ({"session_key": "x" * 65}, "session"),
                             ({"seq": -1}, "seq"), ({"client_at": datetime(2026, 12, 2, 10)}, "at")):
        with pytest.raises(StudyRefused) as refused:
            send(personas.worker, token, reading, **overrides)
        assert (refused.value.code, refused.value.field) == ("invalid", field)


# -- 10. video -------------------------------------------------------------------------------------------


def test_the_video_advances_only_at_playing_speed(personas: Personas, course: Any, token: str, clock: Any) -> None:
    video = lessons(course)[0]
    first = send(personas.worker, token, video, video_position=0.0, video_duration=100.0)
    assert first.reason == "start"
    clock.shift(30)
    played = send(personas.worker, token, video, video_position=31.0, video_duration=100.0)
    assert (played.credited_seconds, played.reason, played.video_furthest) == (30, "", 31.0)
    clock.shift(30)
    # 30 s later the furthest may move to at most 31 + 30 × 1.25 + 2 = 70.5: 90 is a seek.
    seek = send(personas.worker, token, video, video_position=90.0, video_duration=100.0)
    assert (seek.credited_seconds, seek.reason, seek.video_furthest) == (30, "seek", 31.0)
    progress = LessonProgress.objects.get(lesson=video)
    assert (progress.video_furthest, progress.video_position, progress.video_duration) == (31.0, 90.0, 100.0)
    clock.shift(30)
    # Back to where they were, watching: allowed again (and a smaller reported length is ignored).
    resumed = send(personas.worker, token, video, video_position=60.0, video_duration=99.0)
    assert (resumed.reason, resumed.video_furthest) == ("", 60.0)
    assert LessonProgress.objects.get(lesson=video).video_duration == 100.0
    assert Heartbeat.objects.filter(reason="seek").count() == 1


def test_a_seek_is_not_recorded_over_another_refusal(personas: Personas, course: Any, token: str, clock: Any) -> None:
    video = lessons(course)[0]
    send(personas.worker, token, video, video_position=0.0, video_duration=100.0)
    clock.shift(30)
    hidden = send(personas.worker, token, video, visible=False, video_position=80.0, video_duration=100.0)
    assert (hidden.reason, hidden.video_furthest) == ("hidden", 0.0)
    clock.shift(200)
    gap = send(personas.worker, token, video, video_position=60.0, video_duration=100.0)
    assert (gap.reason, gap.video_furthest) == ("gap", 0.0)  # the time in between is unknown: no allowance


def test_positions_on_a_lesson_without_a_video_are_ignored(personas: Personas, course: Any, token: str,
                                                          clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading, video_position=5.0)
    clock.shift(30)
    result = send(personas.worker, token, reading, video_position=500.0, video_duration=float("nan"))
    assert (result.reason, result.video_furthest) == ("", 0.0)


# -- 12. the ledger ------------------------------------------------------------------------------------------


def test_the_ledger_counts_by_the_year_in_shanghai_and_rebuilds_to_the_same(personas: Personas, course: Any,
                                                                            token: str, clock: Any) -> None:
    video, reading, _check = lessons(course)
    # 2026-12-31 23:59:30 in Shanghai: the second beat's time falls in 2027 there (still 2026 in UTC).
    clock.move_to(datetime(2026, 12, 31, 15, 59, 30, tzinfo=UTC))
    send(personas.worker, token, reading)
    clock.shift(20)
    in_2026 = send(personas.worker, token, reading)
    clock.shift(30)
    in_2027 = send(personas.worker, token, reading)
    assert (in_2026.year_seconds, in_2027.year_seconds) == (20, 30)
    hours = dict(StudyHours.objects.filter(worker=personas.worker).values_list("year", "seconds"))
    assert hours == {2026: 20, 2027: 30}
    # A mixed history: idle, refused, queued, another lesson, another device.
    send(personas.worker, token, video, session_key="v")
    clock.shift(30)
    send(personas.worker, token, video, session_key="v", active=False)
    clock.shift(30)
    send(personas.worker, token, video, session_key="v")  # resumes after the pause: nothing
    send(personas.worker, token, reading, session_key="q", queued=True, client_at=timezone.now() + timedelta(hours=1))
    other = device_for(personas.worker)
    send(personas.worker, token, reading)
    clock.shift(30)
    send(personas.worker, other, reading, session_key="new")
    clock.shift(30)
    send(personas.worker, other, reading, session_key="new")
    total = Heartbeat.objects.filter(worker=personas.worker).aggregate(s=Sum("credited_seconds"))["s"]
    assert StudyHours.objects.filter(worker=personas.worker).aggregate(s=Sum("seconds"))["s"] == total == 80
    assert ledger_rebuild(worker=personas.worker) == 0
    assert ledger_rebuild() == 0
    # A ledger row damaged by hand is put back from the evidence.
    StudyHours.objects.filter(worker=personas.worker, year=2027).update(seconds=5)
    StudyHours.objects.filter(worker=personas.worker, year=2026).delete()
    assert ledger_rebuild() == 2
    assert dict(StudyHours.objects.filter(worker=personas.worker).values_list("year", "seconds")) == {2026: 20, 2027: 60}


def test_credited_time_moves_the_session_progress_and_enrolment(personas: Personas, course: Any, enrolment: Enrolment,
                                                               token: str, clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    result = send(personas.worker, token, reading)
    enrolment.refresh_from_db()
    session = StudySession.objects.get()
    progress = LessonProgress.objects.get(lesson=reading)
    assert (enrolment.last_lesson_id, enrolment.last_studied_at) == (reading.pk, timezone.now())
    assert (session.credited_seconds, progress.credited_seconds, result.lesson_credited_seconds) == (30, 30, 30)
    assert result.lesson_required_seconds == 570  # 95 % of 10 minutes
    assert (result.course_completed, result.course_total) == (0, 3)


# -- 13. Redis down --------------------------------------------------------------------------------------------


REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}


def test_beats_are_credited_while_redis_is_down(personas: Personas, course: Any, enrolment: Enrolment, clock: Any,
                                                settings: Any) -> None:
    reading = lessons(course)[1]
    settings.CACHES = REDIS_DOWN  # Django's setting_changed receiver drops the cache connections
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017  (the cache really is unreachable)
        cache.get("anything")
    client = Client()
    client.force_login(personas.worker_user)  # a login: the signal issues the study token into the session
    url = "/api/v1/learning/heartbeats/"

    def post(seq: int) -> Any:
        body = {"beats": [{"lesson": reading.pk, "session": "redis-down", "seq": seq, "at": timezone.now().isoformat(),
                           "active": True, "visible": True, "queued": False}]}
        return client.post(url, body, content_type="application/json")

    assert post(1).status_code == 200
    clock.shift(30)
    answer = post(2)
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"][0]["credited"] == 30
    assert StudyHours.objects.get(worker=personas.worker).seconds == 30


# -- 14. evidence ------------------------------------------------------------------------------------------------


def test_heartbeats_are_protected_evidence(personas: Personas, course: Any, token: str, clock: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    send(personas.worker, token, reading)
    for field in ("session", "worker", "lesson"):
        assert Heartbeat._meta.get_field(field).remote_field.on_delete.__name__ == "PROTECT"
    with pytest.raises(ProtectedError):
        StudySession.objects.all().delete()
    with pytest.raises(ProtectedError):
        personas.worker.delete()
    assert Heartbeat.objects.count() == 2


# -- 15. cost --------------------------------------------------------------------------------------------------------


def test_a_live_credited_beat_costs_few_queries(personas: Personas, course: Any, token: str, clock: Any,
                                                django_assert_max_num_queries: Any) -> None:
    reading = lessons(course)[1]
    send(personas.worker, token, reading)
    clock.shift(30)
    send(personas.worker, token, reading)
    clock.shift(30)
    # The lock, the session (with enrolment, lesson and progress), the credited intervals, the
    # beat, the session, the progress, the ledger, the enrolment: 8, plus the test's savepoint pair.
    with django_assert_max_num_queries(10):
        assert send(personas.worker, token, reading).credited_seconds == 30
    clock.shift(30)
    with django_assert_max_num_queries(8):
        assert send(personas.worker, token, reading, active=False).reason == "idle"
