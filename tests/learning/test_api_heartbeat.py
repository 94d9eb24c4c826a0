"""POST /api/v1/learning/heartbeats/: the lesson page's heartbeats through the API, for every
persona; the shape of a request refused by field and index; a batch of beats queued offline
credited within the lesson's cap and never twice; one device at a time; Redis down; CSRF."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning.models import CoursePage, Enrolment, Heartbeat, LessonPage, LessonProgress, StudyHours
from tests.conftest import Personas
from tests.learning.helpers import lessons_of, make_lesson

pytestmark = pytest.mark.django_db

URL = "/api/v1/learning/heartbeats/"
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}


def wire(lesson: LessonPage | int, seq: int, at: datetime | None = None, *, session: str = "page-view-key-1",
         **fields: Any) -> dict[str, Any]:
    """A beat as study.js sends it."""
    beat: dict[str, Any] = {"lesson": lesson if isinstance(lesson, int) else lesson.pk, "session": session,
                            "seq": seq, "at": (at or timezone.now()).isoformat(), "active": True, "visible": True,
                            "queued": False}
    beat.update(fields)
    return beat


def send(client: Client, beats: Any, **extra: Any) -> Any:
    body = beats if isinstance(beats, (str, bytes)) else json.dumps({"beats": beats} if isinstance(beats, list)
                                                                    else beats)
    return client.post(URL, body, content_type=extra.pop("content_type", "application/json"), **extra)


def lesson_credited(enrolment: Enrolment, lesson: LessonPage) -> int:
    progress = LessonProgress.objects.filter(enrolment=enrolment, lesson=lesson).first()
    return progress.credited_seconds if progress else 0


@pytest.fixture
def reading(course: CoursePage) -> LessonPage:
    """The course's reading lesson: 10 minutes, no video, no check."""
    return lessons_of(course)[1]


@pytest.fixture
def worker_client(personas: Personas, enrolment: Enrolment) -> Client:
    # force_login goes through django.contrib.auth.login: the login signal issues the study device.
    return personas.client(personas.worker_user)


def test_the_route_is_where_the_page_posts(reading: LessonPage) -> None:
    assert reverse("api-learning-heartbeats") == URL


# --- who may post -------------------------------------------------------------------------------


def test_anonymous_is_refused(reading: LessonPage) -> None:
    response = send(Client(), [wire(reading, 0)])
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Heartbeat.objects.exists()


@pytest.mark.parametrize("persona", ["employer_admin", "evaluator", "editor", "reviewer", "superuser", "outsider"])
def test_every_other_role_is_refused(personas: Personas, reading: LessonPage, persona: str) -> None:
    response = send(personas.client(getattr(personas, persona)), [wire(reading, 0)])
    assert response.status_code == 403
    assert "劳动者" in response.json()["detail"]
    assert not Heartbeat.objects.exists()


def test_a_worker_is_answered_for_each_beat(worker_client: Client, enrolment: Enrolment, reading: LessonPage) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = send(worker_client, [wire(reading, 0, start)])
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        second = send(worker_client, [wire(reading, 1, start + timedelta(seconds=30))])
    assert first.status_code == second.status_code == 200
    assert first["Cache-Control"] == "no-store"
    [opened] = first.json()["results"]
    assert opened["credited"] == 0 and opened["reason"] == "start"
    body = second.json()
    assert body["other_device"] is False
    [counted] = body["results"]
    assert counted["credited"] == 30 and counted["reason"] == "" and counted["message"] == ""
    assert counted["lesson_credited"] == 30 and counted["lesson_required"] == 570  # 95 % of 10 min
    assert counted["lesson_completed"] is False
    assert counted["course_total"] == 3 and counted["course_completed"] == 0
    assert counted["year_seconds"] == 30
    assert lesson_credited(enrolment, reading) == 30


def test_a_beat_through_the_api_reads_session_user_and_worker_in_one_statement(
        worker_client: Client, enrolment: Enrolment, reading: LessonPage) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(worker_client, [wire(reading, 0, start)])
    with time_machine.travel(start + timedelta(seconds=30), tick=False), \
            CaptureQueriesContext(connection) as queries:
        response = send(worker_client, [wire(reading, 1, start + timedelta(seconds=30))])
    assert response.status_code == 200 and response.json()["results"][0]["credited"] == 30
    # The test's own transaction turns the beat's into savepoints: those are not the beat's.
    statements = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert "orgs_worker" in statements[0] and "core_usersession" in statements[0], statements
    assert not any(sql.startswith("SELECT") and "FROM \"orgs_worker\"" in sql for sql in statements[1:]), statements
    # The session's statement, then the service's (lock and session, credited time, the writes).
    assert len(statements) <= (4 if connection.vendor == "postgresql" else 12), statements


def test_a_worker_not_enrolled_is_answered_with_the_reason(personas: Personas, reading: LessonPage) -> None:
    response = send(personas.client(personas.worker_user), [wire(reading, 0)])
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["credited"] == 0 and result["reason"] == "not_enrolled" and result["message"]
    assert Heartbeat.objects.get().reason == Heartbeat.Reason.NOT_ENROLLED


# --- the shape of a request ---------------------------------------------------------------------


def problems(response: Any) -> set[tuple[int | None, str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] and body["errors"]
    assert response["Cache-Control"] == "no-store"
    return {(problem["index"], problem["field"]) for problem in body["errors"]}


def test_bad_values_are_named_by_index_and_field(worker_client: Client, reading: LessonPage) -> None:
    beats = [
        wire(reading, 0),
        wire(reading, -1),
        wire(reading, 2, session="short"),
        {**wire(reading, 3), "at": "2026-12-02T10:00:00"},  # no offset: which clock?
        wire(reading, 4, position=-3, duration="long"),
        {key: value for key, value in wire(reading, 5).items() if key != "lesson"},
        {**wire(reading, 6, queued=True), "at": None},
        wire(reading, 7, active="perhaps"),
        wire(reading, 8, session="bad key with spaces"),
        wire(2**31, 9),
    ]
    found = problems(send(worker_client, beats))
    assert found == {(1, "seq"), (2, "session"), (3, "at"), (4, "position"), (4, "duration"), (5, "lesson"),
                     (6, "at"), (7, "active"), (8, "session"), (9, "lesson")}
    assert not Heartbeat.objects.exists()


def test_a_naive_time_is_refused_with_an_example(worker_client: Client, reading: LessonPage) -> None:
    response = send(worker_client, [{**wire(reading, 0), "at": "2026-12-02T10:00:00"}])
    assert problems(response) == {(0, "at")}
    assert "+08:00" in response.json()["errors"][0]["message"]
    assert response.json()["detail"].startswith("beats[0].at: ")


@pytest.mark.parametrize("body", [
    {"beats": []},
    {},
    {"beats": "all of them"},
    {"beats": None},
    {"beats": [1, 2]},
], ids=["empty", "missing", "string", "null", "numbers"])
def test_a_batch_that_is_not_a_list_of_beats_is_refused(worker_client: Client, body: Any) -> None:
    found = problems(send(worker_client, body))
    assert all(field in ("beats", "non_field_errors", "") for _, field in found)


def test_more_than_a_hundred_beats_are_refused(worker_client: Client, reading: LessonPage) -> None:
    found = problems(send(worker_client, [wire(reading, seq) for seq in range(101)]))
    assert found == {(None, "beats")}
    assert not Heartbeat.objects.exists()


@pytest.mark.parametrize("body", ["{not json", "[]", '"beats"', "\x00", '{"beats": [{"lesson": NaN}]}'],
                         ids=["broken", "list", "string", "nul", "nan"])
def test_malformed_json_is_a_400_not_a_500(worker_client: Client, body: str) -> None:
    assert problems(send(worker_client, body)) == {(None, "")}


def test_only_json_is_read(worker_client: Client, reading: LessonPage) -> None:
    response = worker_client.post(URL, {"beats": "x"})  # a form post
    assert response.status_code == 415
    assert "detail" in response.json()


def test_the_user_agent_is_kept_short(worker_client: Client, enrolment: Enrolment, reading: LessonPage) -> None:
    send(worker_client, [wire(reading, 0)], HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 500)
    session = enrolment.sessions.get()
    assert session.user_agent.startswith("Mozilla/5.0 ") and len(session.user_agent) == 200


# --- unknown lessons ----------------------------------------------------------------------------


def test_an_unknown_lesson_refuses_the_whole_batch(worker_client: Client, course: CoursePage,
                                                    reading: LessonPage) -> None:
    draft = make_lesson(course, "reading", live=False)
    missing = send(worker_client, [wire(reading, 0), wire(999_999, 1)])
    unpublished = send(worker_client, [wire(reading, 0), wire(draft, 1)])
    assert missing.status_code == unpublished.status_code == 404
    # A lesson id, not a person: still, a draft is answered exactly as an id that never existed.
    assert missing.json() == unpublished.json()
    assert not Heartbeat.objects.exists()


# --- the offline queue --------------------------------------------------------------------------


def queued_batch(lesson: LessonPage, start: datetime, count: int, *, session: str = "offline-view-1") -> list[Any]:
    return [wire(lesson, seq, start + timedelta(seconds=30 * seq), session=session, queued=True)
            for seq in range(count)]


def test_a_queued_batch_is_credited_within_the_lessons_cap(worker_client: Client, enrolment: Enrolment,
                                                          reading: LessonPage) -> None:
    # 40 beats 30 s apart: 39 × 30 s = 1170 s claimed, for a 10-minute lesson capped at 12 (+20 %).
    start = timezone.now() - timedelta(hours=2)
    response = send(worker_client, queued_batch(reading, start, 40))
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 40
    assert results[0]["reason"] == "start"
    assert sum(result["credited"] for result in results) == 720
    assert {result["reason"] for result in results[25:]} == {"lesson_cap"}  # 24 × 30 s = 720 s
    assert results[-1]["lesson_credited"] == 720 and results[-1]["lesson_completed"] is True
    assert lesson_credited(enrolment, reading) == 720
    assert StudyHours.objects.get(worker=enrolment.worker, course=enrolment.course).seconds == 720
    assert Heartbeat.objects.filter(queued=True).count() == 40


def test_sending_the_same_batch_again_credits_nothing_more(worker_client: Client, enrolment: Enrolment,
                                                         reading: LessonPage) -> None:
    start = timezone.now() - timedelta(minutes=30)
    batch = queued_batch(reading, start, 11)
    first = send(worker_client, batch).json()["results"]
    assert sum(result["credited"] for result in first) == 300
    again = send(worker_client, batch).json()["results"]
    assert [result["credited"] for result in again] == [0] * 11
    assert {result["reason"] for result in again} == {"replay"}
    assert lesson_credited(enrolment, reading) == 300
    # The same time sent under another page view's key overlaps what was credited: nothing either.
    other_key = send(worker_client, queued_batch(reading, start, 11, session="offline-view-2")).json()["results"]
    assert sum(result["credited"] for result in other_key) == 0
    assert lesson_credited(enrolment, reading) == 300
    assert Heartbeat.objects.count() == 33  # every one kept as evidence


def test_a_beat_after_a_second_login_is_refused_as_another_device(personas: Personas, enrolment: Enrolment,
                                                                   reading: LessonPage) -> None:
    phone = personas.client(personas.worker_user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(phone, [wire(reading, 0, session="phone-view-1")])
    tablet = personas.client(personas.worker_user)  # a second login issues a new device token
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        refused = send(phone, [wire(reading, 1, session="phone-view-1")]).json()
        send(tablet, [wire(reading, 0, session="tablet-view-1")])
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        counted = send(tablet, [wire(reading, 1, session="tablet-view-1")]).json()
    assert refused["other_device"] is True
    assert refused["results"][0]["reason"] == "other_device" and refused["results"][0]["credited"] == 0
    assert refused["results"][0]["message"]
    assert counted["other_device"] is False and counted["results"][0]["credited"] == 30


@override_settings(CACHES=REDIS_DOWN)
def test_beats_are_credited_while_redis_is_down(personas: Personas, enrolment: Enrolment,
                                                reading: LessonPage) -> None:
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisDown

    with pytest.raises(RedisDown):  # the cache really is down
        cache.get("anything")
    client = personas.client(personas.worker_user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(client, [wire(reading, 0)])
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        response = send(client, [wire(reading, 1)])
    assert response.status_code == 200
    assert response.json()["results"][0]["credited"] == 30
    assert lesson_credited(enrolment, reading) == 30


def test_csrf_is_enforced_for_the_session(personas: Personas, enrolment: Enrolment, reading: LessonPage) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.worker_user)
    refused = send(client, [wire(reading, 0)])
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Heartbeat.objects.exists()
    client.get("/")  # any page sets the csrftoken cookie, as the lesson page does for its script
    token = client.cookies["csrftoken"].value
    accepted = send(client, [wire(reading, 0)], HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    assert Heartbeat.objects.count() == 1
    # The CSRF check is what reads the body first: a broken one is still a 400 of our shape.
    assert problems(send(client, "{not json", HTTP_X_CSRFTOKEN=token)) == {(None, "")}


def test_the_schema_documents_the_route(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) == {"200", "400", "403", "404", "415"}
    components = schema["components"]["schemas"]
    for name in ("StudyBeat", "StudyBeatBatch", "StudyBeatResult", "StudyBeatAnswer", "StudyBeatRefusal"):
        assert name in components
    assert list(operation["requestBody"]["content"]) == ["application/json"]


@pytest.mark.parametrize("item", [
    {"lesson": 5, "session": "page-view-key-1", "seq": 0},
    {"lesson": 5, "session": "page-view-key-1", "seq": 7, "at": "2026-12-02T10:00:00+08:00", "active": False,
     "visible": True, "queued": True, "position": 12, "duration": 30.5, "extra": "ignored"},
    {"lesson": 5, "session": "k" * 64, "seq": 2**31 - 1, "at": None, "position": None},
    {"lesson": 5, "session": "page-view-key-1", "seq": 1, "at": "2026-12-02T02:00:00.123Z"},
])
def test_a_plain_beat_is_read_as_the_serializer_reads_it(item: dict[str, Any]) -> None:
    from learning.api import StudyBeatBatchSerializer, _beat, _plain_beat

    payload = StudyBeatBatchSerializer(data={"beats": [item]})
    assert payload.is_valid(), payload.errors
    assert _plain_beat(item) == _beat(payload.validated_data["beats"][0])


@pytest.mark.parametrize("item", [
    {"lesson": "5", "session": "page-view-key-1", "seq": 0},  # the serializer's to read (and accept)
    {"lesson": 5.0, "session": "page-view-key-1", "seq": 0},
    {"lesson": True, "session": "page-view-key-1", "seq": 0},
    {"lesson": 5, "session": "short", "seq": 0},
    {"lesson": 5, "session": "page-view-key-1", "seq": -1},
    {"lesson": 5, "session": "page-view-key-1", "seq": 0, "active": "yes"},
    {"lesson": 5, "session": "page-view-key-1", "seq": 0, "at": "2026-12-02T10:00:00"},
    {"lesson": 5, "session": "page-view-key-1", "seq": 0, "at": "yesterday"},
    {"lesson": 5, "session": "page-view-key-1", "seq": 0, "queued": True},
    {"lesson": 5, "session": "page-view-key-1", "seq": 0, "position": 1e9},
    ["not", "a", "beat"],
])
def test_anything_less_plain_goes_to_the_serializer(item: Any) -> None:
    from learning.api import _plain_beat

    assert _plain_beat(item) is None
