"""The exams API: a worker's exams and graded attempts, an employer's results (its admins only, ID
numbers through the scope), and the public certificate check, for every persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from exams.models import Certificate, Exam
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_results_export import sit
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db

@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(workers=[personas.worker], attempts=3)


def _get(client: Client, name: str, *args: str, **params: str) -> Any:
    return client.get(reverse(name, args=args), params)


# --- /api/v1/me/exams/ and /api/v1/me/exam-attempts/ ----------------------------------------------


def test_a_worker_lists_their_exams_with_eligibility_and_result(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.worker_user)
    make_exam(workers=[personas.other_worker], title="别人的考试")
    before = _get(client, "api-my-exams").json()
    assert before["count"] == 1
    [item] = before["results"]
    assert item["code"] == exam.code and item["url"] == reverse("exams:exam", args=[exam.code])
    assert item["eligibility"] == {"allowed": True, "reason": "", "attempts_used": 0, "attempts_left": 3,
                                   "open_attempt": None}
    assert item["result"] is None and item["state"] == "available"
    attempt = sit(personas.worker, exam)
    [after] = _get(client, "api-my-exams").json()["results"]
    assert after["result"]["attempt"] == attempt.code and after["result"]["passed"] is True
    assert after["result"]["percent"] == 100.0 and after["state"] == "passed"
    assert after["certificate"] == attempt.certificate.verification
    assert after["eligibility"]["attempts_used"] == 1


def test_a_worker_lists_their_graded_attempts_only(personas: Personas, exam: Exam) -> None:
    failed = sit(personas.worker, exam, right=0)
    passed = sit(personas.worker, exam)
    sit(personas.other_worker, make_exam(workers=[personas.other_worker], title="别人的考试"))
    from exams.services.attempts import mock_start

    mock_start(worker=personas.worker, exam=exam)
    data = _get(personas.client(personas.worker_user), "api-my-exam-attempts").json()
    assert [row["code"] for row in data["results"]] == [passed.code, failed.code]
    latest = data["results"][0]
    assert latest["exam"] == {"code": exam.code, "title": exam.title}
    assert (latest["number"], latest["passed"], latest["counted"]) == (2, True, True)
    assert latest["certificate"] == passed.certificate.verification
    assert data["results"][1]["certificate"] is None and data["results"][1]["counted"] is False


@pytest.mark.parametrize("persona", ["employer_admin", "evaluator", "editor", "outsider"])
def test_someone_without_a_worker_record_gets_404(personas: Personas, persona: str) -> None:
    client = personas.client(getattr(personas, persona))
    for name in ("api-my-exams", "api-my-exam-attempts"):
        response = _get(client, name)
        assert response.status_code == 404 and response.json()["detail"], (persona, name)


def test_anonymous_visitors_are_told_to_sign_in(personas: Personas) -> None:
    for name, args in (("api-my-exams", ()), ("api-my-exam-attempts", ()),
                       ("api-employer-exam-results", (personas.employer.code,))):
        response = _get(Client(), name, *args)
        assert response.status_code == 403 and response.json()["detail"], name


# --- /api/v1/employers/<code>/exam-results/ ---------------------------------------------------------


def test_the_employer_admin_reads_results_with_raw_ids(personas: Personas, exam: Exam) -> None:
    attempt = sit(personas.worker, exam)
    waiting = WorkerFactory(employer=personas.employer, name="还没考")
    other = make_exam(workers=[waiting], title="另一场考试")
    client = personas.client(personas.employer_admin)
    data = _get(client, "api-employer-exam-results", personas.employer.code).json()
    assert data["count"] == 2
    rows = {row["worker"]["name"]: row for row in data["results"]}
    mine = rows["王工"]
    assert mine["worker"]["id_number"] == personas.worker.id_number
    assert mine["exam"] == {"code": exam.code, "title": exam.title} and mine["assigned"] is True
    assert mine["result"]["passed"] is True and mine["result"]["number"] == 1 and mine["attempts_used"] == 1
    assert mine["certificate"] == {"verification": attempt.certificate.verification, "state": "valid"}
    assert rows["还没考"]["result"] is None and rows["还没考"]["certificate"] is None
    only = _get(client, "api-employer-exam-results", personas.employer.code, exam=other.code).json()
    assert [row["worker"]["name"] for row in only["results"]] == ["还没考"]
    pending = _get(client, "api-employer-exam-results", personas.employer.code, passed="pending").json()
    assert [row["worker"]["name"] for row in pending["results"]] == ["还没考"]


def test_the_superuser_reads_results_too(personas: Personas, exam: Exam) -> None:
    response = _get(personas.client(personas.superuser), "api-employer-exam-results", personas.employer.code)
    assert response.status_code == 200 and response.json()["results"][0]["worker"]["id_number"] == \
        personas.worker.id_number


def test_bad_filters_are_refused_with_a_message(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.employer_admin)
    code = personas.employer.code
    for value in ("bogus", "PASSED", "\x00"):
        response = _get(client, "api-employer-exam-results", code, passed=value)
        assert response.status_code == 400 and "pending" in response.json()["passed"][0], value
    draft = make_exam(title="草稿")
    Exam.objects.filter(pk=draft.pk).update(status=Exam.Status.DRAFT)
    for value in ("NoSuchExam12", "\x00", draft.code, "x" * 300):
        response = _get(client, "api-employer-exam-results", code, exam=value)
        assert response.status_code == 400 and response.json()["exam"], value
    # A NUL is dropped, as in the roster's search: the rest of the value is what filters.
    assert _get(client, "api-employer-exam-results", code, department="\x00").json()["count"] == 1
    assert _get(client, "api-employer-exam-results", code, department="采煤\x00").json()["count"] == 0
    assert _get(client, "api-employer-exam-results", code, page="²").status_code == 404


def test_the_evaluator_is_refused_and_everyone_else_gets_404(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam)
    code = personas.employer.code
    assert _get(personas.client(personas.evaluator), "api-employer-exam-results", code).status_code == 403
    for persona in ("outsider", "worker_user", "editor", "reviewer"):
        client = personas.client(getattr(personas, persona))
        response = _get(client, "api-employer-exam-results", code)
        unknown = _get(client, "api-employer-exam-results", "NoSuchEmployer")
        assert response.status_code == unknown.status_code == 404, persona
        assert response.json() == unknown.json(), persona


def test_the_outsider_sees_only_their_own_employers_results(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam)
    data = _get(personas.client(personas.outsider), "api-employer-exam-results", personas.other_employer.code).json()
    assert data["count"] == 0


# --- /api/v1/certificates/<verification>/ ----------------------------------------------------------


def _check(verification: str) -> Any:
    return Client().get(f"/api/v1/certificates/{verification}/")


def test_a_malformed_code_is_answered_as_unknown(personas: Personas) -> None:
    for value in ("%00", "a%00b", "x" * 300, "%E2%91%A0", "%20"):
        response = _check(value)
        assert response.status_code == 200, value
        assert response.json() == {"state": "unknown", "holder_name": None, "employer_name": None,
                                   "exam_title": None, "hours": None, "issued_on": None, "revoked_on": None}, value
        assert response["Cache-Control"] == "no-store"


def test_an_unknown_code_is_answered_as_a_malformed_one(personas: Personas) -> None:
    assert _check("ABCDEFGHJKLM").json() == _check("%00").json()
    assert _check("abc").json() == _check("x" * 300).json()


def test_a_certificate_is_valid_then_revoked(personas: Personas, exam: Exam) -> None:
    certificate = sit(personas.worker, exam).certificate
    valid = _check(certificate.verification)
    assert valid.status_code == 200 and valid.json()["state"] == "valid"
    assert personas.worker.id_number not in valid.content.decode()
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=timezone.now(), revoked_reason="冒名顶替")
    revoked = _check(certificate.verification).json()
    assert revoked["state"] == "revoked" and "冒名顶替" not in str(revoked)


@override_settings(CERTIFICATE_VERIFY_UNKNOWN_PER_HOUR=3)
def test_guessing_codes_is_throttled(personas: Personas, exam: Exam) -> None:
    certificate = sit(personas.worker, exam).certificate
    for _index in range(3):
        assert _check(certificate.verification).json()["state"] == "valid"  # real codes never count
        assert _check("ABCDEFGHJKLM").json()["state"] == "unknown"
    refused = _check("ABCDEFGHJKLN")
    assert refused.status_code == 429 and refused.json()["detail"]
