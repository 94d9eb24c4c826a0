"""The answer save as the exam page sends it (exams.services.attempts.answer_save_own, and
answer_save_signed_in for a session this process already accepted): one statement for the answer
beside the session's, then one statement in all, the paper kept per process, and every refusal the
full checks give — for the worker, another worker, the employer admin, an outsider and an unknown
code alike, and for a session signed out, expired, of a deactivated user or of a changed password
since it was accepted."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import sessions
from core.models import UserSession
from exams.models import Attempt, AttemptItem, Exam
from exams.services import attempts as attempt_services
from exams.services.attempts import AttemptMissing, answer_save_own, attempt_submit
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(workers=[personas.worker, personas.other_worker])


def _started(client: Client, exam: Exam) -> tuple[Attempt, str]:
    response = client.post(reverse("exams:start", args=[exam.code]))
    assert response.status_code == 302
    attempt = Attempt.objects.get(code=response["Location"].rstrip("/").split("/")[-1])
    page = client.get(reverse("exams:attempt", args=[attempt.code])).content.decode()
    token = re.search(r'data-device="([0-9a-f]+)"', page)
    assert token is not None
    return attempt, token.group(1)


def _answer(client: Client, code: str, body: dict[str, Any]) -> Any:
    return client.post(reverse("exams:answer", args=[code]), data=json.dumps(body), content_type="application/json")


def test_an_answer_costs_one_statement_once_the_session_was_accepted(personas: Personas, exam: Exam) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    sessions.forget(worker.session.session_key)
    with CaptureQueriesContext(connection) as queries:
        first = _answer(worker, attempt.code, {"device": token, "position": 1, "response": "A"})
    assert first.status_code == 200 and first.json()["answered"] == 1
    # Not yet accepted in this process: the session is read (with the user), the paper the first
    # time, then the answer.
    expected = 2 if connection.vendor == "postgresql" else 3  # SQLite reads the count back on its own
    assert len(queries.captured_queries) == expected + 1, [query["sql"] for query in queries.captured_queries]
    with CaptureQueriesContext(connection) as queries:
        response = _answer(worker, attempt.code, {"device": token, "position": 2, "response": "B", "flagged": True})
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["position"], body["response"], body["flagged"], body["answered"]) == (True, 2, "B", True, 2)
    assert 0 < body["remaining_seconds"] <= 30 * 60
    # As the full path's reply does: it depends on the session cookie.
    assert "Cookie" in [part.strip() for part in first["Vary"].split(",")]
    assert "Cookie" in [part.strip() for part in response["Vary"].split(",")]
    statements = [query["sql"] for query in queries.captured_queries]
    # Accepted: the answer's statement re-checks the session itself.
    assert len(statements) == expected - 1, statements
    assert UserSession._meta.db_table in statements[0]
    item = AttemptItem.objects.get(attempt=attempt, position=2)
    assert (item.response, item.flagged, item.answered_at is not None) == ("B", True, True)
    # Clearing counts down; a flag alone keeps the answer.
    assert _answer(worker, attempt.code, {"device": token, "position": 2, "response": ""}).json()["answered"] == 1
    flag = _answer(worker, attempt.code, {"device": token, "position": 1, "flagged": "1"}).json()
    assert (flag["response"], flag["flagged"], flag["answered"]) == ("A", True, 1)


@pytest.mark.parametrize("who", ["other_worker", "employer_admin", "outsider", "evaluator"])
def test_nobody_else_can_answer_and_is_told_as_for_an_unknown_code(personas: Personas, exam: Exam, who: str) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    user = personas.other_worker.user if who == "other_worker" else getattr(personas, who)
    stranger = personas.client(user)
    theirs = _answer(stranger, attempt.code, {"device": token, "position": 1, "response": "A"})
    unknown = _answer(stranger, "NOSUCHCODE", {"device": token, "position": 1, "response": "A"})
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert AttemptItem.objects.get(attempt=attempt, position=1).response == ""
    # With the paper already kept by this process, the same.
    assert _answer(worker, attempt.code, {"device": token, "position": 1, "response": "A"}).status_code == 200
    assert _answer(stranger, attempt.code, {"device": token, "position": 1, "response": "B"}).status_code == 404
    assert AttemptItem.objects.get(attempt=attempt, position=1).response == "A"


def test_signed_out_is_told_to_sign_in(exam: Exam, personas: Personas) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    response = _answer(Client(), attempt.code, {"device": token, "position": 1, "response": "A"})
    assert response.status_code == 401 and response.json()["code"] == "login"


def test_a_kept_paper_still_sees_a_submit_and_a_takeover(personas: Personas, exam: Exam) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    assert _answer(worker, attempt.code, {"device": token, "position": 1, "response": "A"}).status_code == 200
    phone = personas.client(personas.worker_user)
    page = phone.get(reverse("exams:attempt", args=[attempt.code])).content.decode()
    second = re.search(r'data-device="([0-9a-f]+)"', page).group(1)
    refused = _answer(worker, attempt.code, {"device": token, "position": 2, "response": "A"})
    assert refused.status_code == 409 and refused.json()["code"] == "taken_over"
    assert _answer(phone, attempt.code, {"device": second, "position": 2, "response": "A"}).status_code == 200
    attempt_submit(attempt=attempt)
    graded = _answer(phone, attempt.code, {"device": second, "position": 3, "response": "A"})
    assert graded.status_code == 409 and graded.json()["code"] == "graded"
    assert AttemptItem.objects.get(attempt=attempt, position=3).response == ""


def test_bad_positions_and_choices_are_refused_before_anything_is_written(personas: Personas, exam: Exam) -> None:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    for body, field in (({"position": 99, "response": "A"}, "position"), ({"position": "x", "response": "A"}, "position"),
                        ({"position": 1, "response": "Z"}, "response"), ({"position": 1, "response": ["A", 7]}, "response"),
                        ({"position": 1, "flagged": "maybe"}, "flagged")):
        response = _answer(worker, attempt.code, {"device": token, **body})
        assert response.status_code == 400, body
        assert response.json()["field"] == field and response.json()["message"]
    assert not AttemptItem.objects.filter(attempt=attempt).exclude(response="").exists()


def test_the_service_refuses_codes_it_cannot_hold(personas: Personas, exam: Exam) -> None:
    for code in ("", "x" * 17, "代码", "a\x00b", None):
        with pytest.raises(AttemptMissing):
            answer_save_own(user_id=personas.worker_user.pk, code=code, device_token="t", position=1, response="A")


def test_the_kept_papers_stay_bounded(personas: Personas, exam: Exam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attempt_services, "PAPERS_KEPT", 1)
    monkeypatch.setattr(attempt_services, "_PAPERS", {})
    first = personas.client(personas.worker_user)
    mine, token = _started(first, exam)
    other = personas.client(personas.other_worker.user)
    theirs, other_token = _started(other, exam)
    assert _answer(first, mine.code, {"device": token, "position": 1, "response": "A"}).status_code == 200
    assert _answer(other, theirs.code, {"device": other_token, "position": 1, "response": "A"}).status_code == 200
    assert len(attempt_services._PAPERS) == 1
    assert _answer(first, mine.code, {"device": token, "position": 2, "response": "A"}).json()["answered"] == 2


def _accepted(personas: Personas, exam: Exam) -> tuple[Client, Attempt, str]:
    worker = personas.client(personas.worker_user)
    attempt, token = _started(worker, exam)
    assert _answer(worker, attempt.code, {"device": token, "position": 1, "response": "A"}).status_code == 200
    assert sessions.signed_in(_request_of(worker)) is not None
    return worker, attempt, token


def _request_of(client: Client) -> Any:
    class Request:
        session = client.session

    return Request()


def _signed_out(worker: Client, attempt: Attempt, token: str) -> None:
    response = _answer(worker, attempt.code, {"device": token, "position": 2, "response": "B"})
    assert response.status_code == 401 and response.json()["code"] == "login"
    assert AttemptItem.objects.get(attempt=attempt, position=2).response == ""


def test_a_session_signed_out_elsewhere_writes_nothing(personas: Personas, exam: Exam) -> None:
    worker, attempt, token = _accepted(personas, exam)
    # Another process's sign-out: the row goes, this process still knows the key.
    UserSession.objects.filter(session_key=worker.session.session_key).delete()
    _signed_out(worker, attempt, token)


def test_an_expired_session_writes_nothing(personas: Personas, exam: Exam) -> None:
    worker, attempt, token = _accepted(personas, exam)
    UserSession.objects.filter(session_key=worker.session.session_key).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    _signed_out(worker, attempt, token)


def test_a_deactivated_user_writes_nothing(personas: Personas, exam: Exam) -> None:
    worker, attempt, token = _accepted(personas, exam)
    type(personas.worker_user).objects.filter(pk=personas.worker_user.pk).update(is_active=False)
    _signed_out(worker, attempt, token)


def test_a_password_changed_since_writes_nothing(personas: Personas, exam: Exam) -> None:
    worker, attempt, token = _accepted(personas, exam)
    user = type(personas.worker_user).objects.get(pk=personas.worker_user.pk)
    user.set_password("a-new-password-2026")
    user.save(update_fields=["password"])
    _signed_out(worker, attempt, token)


def test_signing_out_forgets_the_session(personas: Personas, exam: Exam) -> None:
    worker, _attempt, _token = _accepted(personas, exam)
    request = _request_of(worker)
    worker.logout()
    assert sessions.signed_in(request) is None


def test_the_accepted_sessions_stay_bounded(personas: Personas, exam: Exam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions, "ACCEPTED_KEPT", 1)
    worker, attempt, token = _accepted(personas, exam)
    other = personas.client(personas.other_worker.user)
    assert other.get(reverse("exams:home")).status_code == 200
    assert sessions.signed_in(_request_of(other)) is not None
    assert sessions.signed_in(_request_of(worker)) is None
    # Forgotten is only slower: the full path still saves.
    assert _answer(worker, attempt.code, {"device": token, "position": 2, "response": "B"}).json()["answered"] == 2
