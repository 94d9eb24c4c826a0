"""The training compliance API: an employer's summary (overall, by role, department, programme)
and each worker's standing with what is missing, paged; the evaluator of its region reads the
summary but not the named rows (403); anyone else 404 exactly as for an unknown employer; bad
?year= and ?status= refused with a message naming them; both routes in the schema."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from exams.models import Certificate
from learning.models import CoursePage, Programme, ProgrammeKind
from orgs.models import Department, PostRole
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_certificates import sit
from tests.factories import WorkerFactory
from tests.learning.test_training_region import PRE_JOB_SECONDS, course, cycle, frozen, studied  # noqa: F401

pytestmark = pytest.mark.django_db
PRE_JOB = "接害劳动者上岗前职业卫生培训"
PRINCIPAL = "主要负责人初次职业卫生培训"


def _compliance(client: Client, code: str, **params: Any) -> Any:
    return client.get(f"/api/v1/employers/{code}/training-compliance/", params)


def _status(client: Client, code: str, **params: Any) -> Any:
    return client.get(f"/api/v1/employers/{code}/training-status/", params)


@pytest.fixture
def roster(personas: Personas, course: CoursePage, frozen: None) -> dict[str, Any]:  # noqa: F811
    """云龙矿业 on 15 June 2026: 王工 met, 张三 overdue, 李四 due with 1.3 学时, the principal due;
    the Heyuan employer's worker met (never in 云龙矿业's answers)."""
    team = Department.objects.create(employer=personas.employer, name="采掘一队")
    cycle(personas.worker, due=dt.date(2026, 7, 31))
    studied(personas.worker, course, dt.date(2026, 5, 10), PRE_JOB_SECONDS)
    overdue = WorkerFactory(employer=personas.employer, name="张三", department=team)
    cycle(overdue, due=dt.date(2026, 6, 1))
    due = WorkerFactory(employer=personas.employer, name="李四", department=team)
    cycle(due, due=dt.date(2026, 8, 31))
    studied(due, course, dt.date(2026, 6, 2), 3600)
    boss = WorkerFactory(employer=personas.employer, name="张厂长", post_role=PostRole.PRINCIPAL)
    cycle(boss, programme="principal-initial", due=dt.date(2026, 8, 31))
    cycle(personas.other_worker, due=dt.date(2026, 7, 1))
    studied(personas.other_worker, course, dt.date(2026, 5, 20), PRE_JOB_SECONDS)
    return {"overdue": overdue, "due": due, "boss": boss, "team": team}


def _figures(tally: dict[str, Any]) -> tuple[Any, ...]:
    return tally["workers"], tally["met"], tally["due"], tally["overdue"], tally["rate"]


def test_the_summary_counts_by_role_department_and_programme(personas: Personas, roster: dict[str, Any]) -> None:
    response = _compliance(personas.client(personas.employer_admin), personas.employer.code)
    assert response.status_code == 200
    data = response.json()
    assert data["employer"] == {"code": personas.employer.code, "name": "徐州云龙矿业有限公司"} and data["year"] == 2026
    assert data["total"] == {"workers": 4, "met": 1, "due": 2, "overdue": 1, "cycles": 4, "cycles_met": 1, "rate": 25.0}
    assert {row["role"]: (row["label"], *_figures(row)) for row in data["by_role"]} == {
        "principal": ("主要负责人", 1, 0, 1, 0, 0.0), "exposed": ("接害劳动者", 3, 1, 1, 1, 33.3)}
    assert [(row["department"], *_figures(row)) for row in data["by_department"]] == [
        ("", 2, 1, 1, 0, 50.0), ("采掘一队", 2, 0, 1, 1, 0.0)]
    assert {row["programme"]: _figures(row) for row in data["by_programme"]} == {
        PRE_JOB: (3, 1, 1, 1, 33.3), PRINCIPAL: (1, 0, 1, 0, 0.0)}
    # Counts only: nobody is named.
    body = json.dumps(data, ensure_ascii=False)
    assert all(name not in body for name in ("王工", "张三", "李四", "张厂长", "李工"))
    assert _compliance(personas.client(personas.employer_admin), personas.employer.code, year="2025").json()["total"] == {
        "workers": 0, "met": 0, "due": 0, "overdue": 0, "cycles": 0, "cycles_met": 0, "rate": None}


def test_the_status_rows_say_what_is_missing(personas: Personas, roster: dict[str, Any]) -> None:
    response = _status(personas.client(personas.employer_admin), personas.employer.code)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 4 and data["next"] is None
    rows = {row["worker"]["name"]: row for row in data["results"]}
    assert set(rows) == {"王工", "张三", "李四", "张厂长"}
    late = rows["李四"]
    assert late["worker"] == {"code": roster["due"].code, "name": "李四", "department": "采掘一队", "post_role": "exposed"}
    assert late["programme"] == {"code": "exposed-pre-job", "name": PRE_JOB, "kind": "pre_job"}
    assert (late["starts_on"], late["due_on"], late["ends_on"]) == ("2026-05-01", "2026-08-31", None)
    assert (late["status"], late["status_label"], late["days_left"]) == ("due", "进行中", 77)
    assert (late["hours"], late["required_hours"], late["exam_needed"], late["exam_passed"]) == (1.3, 8.0, False, False)
    assert late["missing"] == ["还差 6.7 学时"] and late["certificate"] is None and late["assignment"]
    assert (rows["王工"]["status"], rows["王工"]["hours"], rows["王工"]["missing"]) == ("met", 8.0, [])
    assert (rows["张三"]["status"], rows["张三"]["days_left"]) == ("overdue", -14)
    assert rows["张厂长"]["programme"]["code"] == "principal-initial" and rows["张厂长"]["required_hours"] == 16.0
    # No phone or ID number, and nothing of the other employer.
    body = json.dumps(data, ensure_ascii=False)
    for worker in (personas.worker, roster["due"], personas.other_worker):
        assert worker.phone not in body and worker.id_number not in body
    assert "李工" not in body


def test_the_status_filter_and_the_pages(personas: Personas, roster: dict[str, Any]) -> None:
    client = personas.client(personas.employer_admin)
    code = personas.employer.code
    assert [row["worker"]["name"] for row in _status(client, code, status="overdue").json()["results"]] == ["张三"]
    assert [row["worker"]["name"] for row in _status(client, code, status="met").json()["results"]] == ["王工"]
    assert _status(client, code, status="withdrawn").json()["count"] == 0
    assert _status(client, code, year="2025").json()["count"] == 0
    for page in ("2", "x", "²"):
        assert _status(client, code, page=page).status_code == 404, page


def test_the_certificate_of_a_passed_closing_exam(personas: Personas, course: CoursePage,  # noqa: F811
                                                  frozen: None) -> None:  # noqa: F811
    make_bank(12)
    exam = make_exam(workers=(personas.worker,), attempts=3)
    programme = Programme.objects.create(code="dust-pre-job", name="粉尘岗位上岗前培训", role=PostRole.EXPOSED,
                                         kind=ProgrammeKind.PRE_JOB, required_hours=Decimal("1"), exam=exam)
    programme.courses.add(course)
    cycle(personas.worker, programme="dust-pre-job", starts=dt.date(2026, 6, 1), due=dt.date(2026, 6, 30))
    client = personas.client(personas.employer_admin)
    studied(personas.worker, course, dt.date(2026, 6, 10), 2700)
    [row] = _status(client, personas.employer.code).json()["results"]
    assert (row["status"], row["exam_needed"], row["exam_passed"], row["missing"]) == ("due", True, False, ["结业考试未通过"])
    attempt = sit(personas.worker, exam)
    certificate = Certificate.objects.get(attempt=attempt)
    [row] = _status(client, personas.employer.code).json()["results"]
    assert (row["status"], row["exam_passed"], row["certificate"], row["missing"]) == (
        "met", True, certificate.verification, [])
    assert _compliance(client, personas.employer.code).json()["total"]["rate"] == 100.0


def test_the_evaluator_reads_the_summary_but_not_the_names(personas: Personas, roster: dict[str, Any]) -> None:
    client = personas.client(personas.evaluator)
    summary = _compliance(client, personas.employer.code)
    assert summary.status_code == 200 and summary.json()["total"]["workers"] == 4
    refused = _status(client, personas.employer.code)
    assert refused.status_code == 403 and "评估人员" in refused.json()["detail"]
    # Another region's employer is not the evaluator's: 404 as for an unknown code.
    other, unknown = _compliance(client, personas.other_employer.code), _compliance(client, "NoSuchEmployer")
    assert other.status_code == unknown.status_code == 404 and other.json() == unknown.json()
    assert _status(client, personas.other_employer.code).status_code == 404


def test_everyone_else_gets_404_as_for_an_unknown_employer(personas: Personas, roster: dict[str, Any]) -> None:
    code = personas.employer.code
    for persona in ("outsider", "worker_user", "editor", "reviewer"):
        client = personas.client(getattr(personas, persona))
        for read in (_compliance, _status):
            response, unknown = read(client, code), read(client, "NoSuchEmployer")
            assert response.status_code == unknown.status_code == 404, (persona, read.__name__)
            assert response.json() == unknown.json(), persona
            # The refusal comes before the parameters: a bad one tells an outsider nothing either.
            assert read(client, code, year="bogus").status_code == 404, persona
    for read in (_compliance, _status):
        anonymous = read(Client(), code)
        assert anonymous.status_code == 403 and anonymous.json()["detail"]
        assert read(personas.client(personas.superuser), code).status_code == 200
    # The outsider's own employer: its own worker only.
    theirs = _status(personas.client(personas.outsider), personas.other_employer.code).json()
    assert [row["worker"]["name"] for row in theirs["results"]] == ["李工"]


def test_bad_parameters_are_refused_with_a_message(personas: Personas, roster: dict[str, Any]) -> None:
    client = personas.client(personas.employer_admin)
    code = personas.employer.code
    for year in ("20x6", "1999", "2099", "²⁰²⁶", "-1", "2026\x00x"):
        for read in (_compliance, _status):
            response = read(client, code, year=year)
            assert response.status_code == 400 and "2026" in response.json()["year"][0], (year, read.__name__)
    for status in ("bogus", "MET", "已完成", "\x00x"):
        response = _status(client, code, status=status)
        assert response.status_code == 400 and "overdue" in response.json()["status"][0], status
    both = _status(client, code, year="abc", status="late").json()
    assert set(both) == {"year", "status"}
    assert _status(client, code, year="", status="").json()["count"] == 4
    # The evaluator's summary checks its year too.
    assert _compliance(personas.client(personas.evaluator), code, year="abc").status_code == 400


def test_the_schema_documents_both_routes() -> None:
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    summary = schema["paths"]["/api/v1/employers/{code}/training-compliance/"]["get"]
    assert {parameter["name"] for parameter in summary["parameters"]} == {"code", "year"}
    assert set(summary["responses"]) == {"200", "400", "403", "404"}
    assert summary["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TrainingCompliance")
    rows = schema["paths"]["/api/v1/employers/{code}/training-status/"]["get"]
    assert {parameter["name"] for parameter in rows["parameters"]} == {"code", "year", "status", "page"}
    assert set(rows["responses"]) == {"200", "400", "403", "404"}
    status = next(parameter for parameter in rows["parameters"] if parameter["name"] == "status")
    assert status["schema"]["enum"] == ["due", "met", "overdue", "withdrawn"]
    components = schema["components"]["schemas"]
    assert components["PaginatedTrainingStatusList"]["required"] == ["count", "results"]
    assert set(components["TrainingStatus"]["properties"]) >= {
        "worker", "programme", "starts_on", "due_on", "status", "hours", "required_hours", "exam_passed",
        "certificate", "missing"}
    assert set(components["TrainingStatusParameterErrors"]["properties"]) == {"year", "status"}
