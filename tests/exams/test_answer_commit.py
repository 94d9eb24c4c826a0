"""An autosaved answer as a request makes it, outside any transaction: its one statement goes to
libpq directly (core.fixedsql.row) and commits without waiting for the WAL flush
(EXAM_ANSWER_ASYNC_COMMIT), for that statement's own transaction only; the submit after it, and
everything else on the connection, commits durably. Refusals are the same as on the cursor's
path (tests/exams/test_answer_own.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from core.models import UserSession
from exams.models import Attempt, AttemptItem, Exam
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="asynchronous commit is PostgreSQL's"),
]


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(workers=[personas.worker], certifies=False)


def _started(client: Client, exam: Exam) -> tuple[Attempt, str]:
    response = client.post(reverse("exams:start", args=[exam.code]))
    attempt = Attempt.objects.get(code=response["Location"].rstrip("/").split("/")[-1])
    token = re.search(r'data-device="([0-9a-f]+)"', client.get(reverse("exams:attempt", args=[attempt.code])).content.decode())
    assert token is not None
    return attempt, token.group(1)


def _answer(client: Client, code: str, body: dict[str, Any]) -> Any:
    return client.post(reverse("exams:answer", args=[code]), data=json.dumps(body), content_type="application/json")


def _answer_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'fixedsql\\_%%' "
                       "AND statement LIKE '%%UPDATE%%exams_attemptitem%%'")
        return [row[0] for row in cursor.fetchall()]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


def test_an_autosave_commits_without_waiting_and_only_itself(personas: Personas, exam: Exam) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    assert _answer(worker, attempt.code, {"device": token, "position": 1, "response": "A"}).status_code == 200
    # The session is accepted now: the next answers take the one-statement path, directly.
    for position, choice in ((2, "B"), (3, "A"), (2, "")):
        body = _answer(worker, attempt.code, {"device": token, "position": position, "response": choice}).json()
        assert body["ok"] is True and body["response"] == choice
    assert (body["answered"], body["flagged"]) == (2, False)
    assert 0 < body["remaining_seconds"] <= 30 * 60
    [statement] = [sql for sql in _answer_statements() if "ss.session_key" in sql]
    assert "set_config('synchronous_commit', 'off', true)" in statement
    # What the statement set lasted until its own commit: the connection is durable again.
    assert _synchronous_commit() == "on"
    saved = dict(AttemptItem.objects.filter(attempt=attempt).values_list("position", "response"))
    assert (saved[1], saved[2], saved[3]) == ("A", "", "A")
    submitted = worker.post(reverse("exams:submit", args=[attempt.code]), {"device": token})
    assert submitted.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED
    # The submit graded what the autosaves wrote.
    assert AttemptItem.objects.filter(attempt=attempt).exclude(response="").count() == 2


def test_every_autosave_can_wait_for_its_flush(personas: Personas, exam: Exam, settings: Any) -> None:
    settings.EXAM_ANSWER_ASYNC_COMMIT = False
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    for position in (1, 2):
        assert _answer(worker, attempt.code, {"device": token, "position": position, "response": "A"}).json()["ok"]
    statements = _answer_statements()
    assert statements and not any("synchronous_commit" in sql for sql in statements)


def test_inside_a_transaction_the_answer_leaves_its_commit_alone(personas: Personas, exam: Exam) -> None:
    from exams.services.attempts import answer_save_own

    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    with transaction.atomic():
        saved = answer_save_own(user_id=personas.worker_user.pk, code=attempt.code, device_token=token, position=1,
                                response="A")
        assert saved.response == "A"
        # A caller's transaction is not made asynchronous by an answer within it.
        assert _synchronous_commit() == "on"


def test_a_session_gone_on_the_direct_path_writes_nothing(personas: Personas, exam: Exam) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    assert _answer(worker, attempt.code, {"device": token, "position": 1, "response": "A"}).status_code == 200
    UserSession.objects.filter(session_key=worker.session.session_key).delete()
    response = _answer(worker, attempt.code, {"device": token, "position": 2, "response": "B"})
    assert response.status_code == 401 and response.json()["code"] == "login"
    assert AttemptItem.objects.get(attempt=attempt, position=2).response == ""
    # Another device's token is refused as on the cursor's path, and writes nothing.
    other = personas.client(personas.worker_user)
    _again, second = _started(other, exam)
    assert _answer(other, attempt.code, {"device": second, "position": 3, "response": "A"}).status_code == 200
    taken = _answer(other, attempt.code, {"device": token, "position": 4, "response": "A"})
    assert taken.status_code == 409
    assert AttemptItem.objects.get(attempt=attempt, position=4).response == ""
