"""The report API: a worker's courses with 学时 by year, an employer's hours per worker (no ID
numbers, masked phones), refusals with messages, and 404 for anyone else exactly as for an
unknown employer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from core.masking import phone_mask
from learning.models import CoursePage
from orgs.models import PostRole
from tests.conftest import Personas
from tests.factories import WorkerFactory
from tests.learning.employer_helpers import enrol, ledger, local, report_course

pytestmark = pytest.mark.django_db
YEAR = dt.date.today().year


@pytest.fixture
def courses(db: None) -> tuple[CoursePage, CoursePage]:
    return report_course("粉尘与噪声防护"), report_course("职业卫生法律与职责", lessons=2)


def _study_hours(client: Client, code: str, **params: Any) -> Any:
    return client.get(f"/api/v1/employers/{code}/study-hours/", params)


def test_a_worker_reads_their_own_courses_and_hours(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    enrol(personas.worker, dust, completed=3, last_studied_at=local(YEAR, 1, 3), completed_at=local(YEAR, 1, 3))
    enrol(personas.worker, law, completed=1, last_studied_at=local(YEAR, 1, 4))
    ledger(personas.worker, dust, YEAR, 2700)
    ledger(personas.worker, dust, YEAR - 1, 1350)
    enrol(personas.other_worker, law)
    response = personas.client(personas.worker_user).get("/api/v1/me/courses/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    first, second = data["results"]
    assert first["course"] == {"id": law.pk, "title": "职业卫生法律与职责"} and first["percent"] == 50
    assert first["years"] == [] and first["seconds"] == 0 and first["completed_at"] is None
    assert second["course"]["id"] == dust.pk and second["percent"] == 100 and second["lessons_completed"] == 3
    assert second["years"] == [{"year": YEAR, "seconds": 2700, "hours": 1.0}, {"year": YEAR - 1, "seconds": 1350, "hours": 0.5}]
    assert second["seconds"] == 4050 and second["hours"] == 1.5 and second["url"].endswith(f"/{dust.slug}/")
    assert second["source"] == "self" and second["enrolment"]


def test_who_is_not_a_worker_is_told_so(personas: Personas) -> None:
    assert personas.client(personas.employer_admin).get("/api/v1/me/courses/").status_code == 404
    response = Client().get("/api/v1/me/courses/")
    assert response.status_code == 403 and response.json()["detail"]


def test_the_employer_admin_reads_hours_per_worker(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    enrol(personas.worker, dust, completed=2, last_studied_at=local(YEAR, 1, 2))
    enrol(personas.worker, law)
    ledger(personas.worker, dust, YEAR, 2700)
    ledger(personas.worker, law, YEAR, 675)
    boss = WorkerFactory(employer=personas.employer, name="张厂长", post_role=PostRole.PRINCIPAL)
    enrol(personas.other_worker, dust)
    ledger(personas.other_worker, dust, YEAR, 9999)
    response = _study_hours(personas.client(personas.employer_admin), personas.employer.code, sort="-hours")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    mine, theirs = data["results"]
    assert mine["worker"] == {"code": personas.worker.code, "name": "王工", "phone": phone_mask(personas.worker.phone),
                              "department": "", "post_role": "exposed", "is_active": True}
    assert mine["year"] == YEAR and mine["seconds"] == 3375 and mine["hours"] == 1.25
    assert [(row["course"]["id"], row["seconds"], row["hours"], row["lessons_completed"]) for row in mine["courses"]] == [
        (dust.pk, 2700, 1.0, 2), (law.pk, 675, 0.25, 0)]
    assert theirs["worker"]["code"] == boss.code and theirs["courses"] == [] and theirs["seconds"] == 0
    # ID numbers are never in the answer, and the phone is masked even for the employer's own admin.
    body = json.dumps(data, ensure_ascii=False)
    assert personas.worker.id_number not in body and personas.worker.phone not in body
    assert "id_number" not in body
    # One course, one year.
    only = _study_hours(personas.client(personas.employer_admin), personas.employer.code, course=str(law.pk)).json()
    assert [row["seconds"] for row in only["results"]] == [675]
    last = _study_hours(personas.client(personas.employer_admin), personas.employer.code, year=str(YEAR - 1)).json()
    assert {row["seconds"] for row in last["results"]} == {0}


def test_bad_parameters_are_refused_with_a_message(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    enrol(personas.worker, dust)
    enrol(personas.other_worker, law)
    client = personas.client(personas.employer_admin)
    code = personas.employer.code
    for name, value in (("year", "20x6"), ("year", "1999"), ("course", str(law.pk)), ("course", "abc"),
                        ("post_role", "boss"), ("sort", "id_number"), ("sort", "phone")):
        response = _study_hours(client, code, **{name: value})
        assert response.status_code == 400 and response.json()[name], (name, value)
    assert _study_hours(client, code, page="²").status_code == 404
    assert _study_hours(client, code, q="王\x00").json()["count"] == 1
    # Searching a phone needs to see it raw: the admin does, so the search finds the worker.
    assert _study_hours(client, code, q=personas.worker.phone).json()["count"] == 1


def test_the_evaluator_is_refused_and_everyone_else_gets_404(personas: Personas, courses: tuple) -> None:
    enrol(personas.worker, courses[0])
    code = personas.employer.code
    assert _study_hours(personas.client(personas.evaluator), code).status_code == 403
    for persona in ("outsider", "worker_user", "editor", "reviewer"):
        client = personas.client(getattr(personas, persona))
        response, unknown = _study_hours(client, code), _study_hours(client, "NoSuchEmployer")
        assert response.status_code == unknown.status_code == 404, persona
        assert response.json() == unknown.json(), persona
    anonymous = _study_hours(Client(), code)
    assert anonymous.status_code == 403 and anonymous.json()["detail"]
    assert _study_hours(personas.client(personas.superuser), code).json()["count"] == 1
    # The outsider's own employer: their worker only.
    theirs = _study_hours(personas.client(personas.outsider), personas.other_employer.code).json()
    assert [row["worker"]["name"] for row in theirs["results"]] == ["李工"]


def test_the_schema_documents_both_routes() -> None:
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    mine = schema["paths"]["/api/v1/me/courses/"]["get"]
    assert set(mine["responses"]) == {"200", "403", "404"}
    hours = schema["paths"]["/api/v1/employers/{code}/study-hours/"]["get"]
    assert {parameter["name"] for parameter in hours["parameters"]} == {
        "code", "year", "course", "department", "post_role", "q", "sort", "page"}
    assert set(hours["responses"]) == {"200", "400", "403", "404"}
