"""What the API documents and refuses: every parameter and answer in the schema, unknown `status`
and `parent` refused with a message instead of a silent fallback, JSON only in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    return json.loads(Client().get("/api/schema/", {"format": "json"}).content)


def _operation(schema: dict, path: str) -> tuple[set[str], set[str]]:
    operation = schema["paths"][path]["get"]
    return {parameter["name"] for parameter in operation.get("parameters", [])}, set(operation["responses"])


def test_the_schema_documents_every_parameter_and_answer() -> None:
    schema = _schema()
    assert _operation(schema, "/api/v1/me/") == (set(), {"200", "403"})
    assert _operation(schema, "/api/v1/hazards/") == (set(), {"200"})
    assert _operation(schema, "/api/v1/regions/") == ({"parent"}, {"200", "400"})
    assert _operation(schema, "/api/v1/employers/{code}/workers/") == ({"code", "page", "q", "status"},
                                                                       {"200", "400", "403", "404"})
    assert _operation(schema, "/api/v1/articles/") == (
        {"q", "hazard", "factor", "industry", "audience", "dimension", "tag", "page"}, {"200", "404"})
    status = next(parameter for parameter in schema["paths"]["/api/v1/employers/{code}/workers/"]["get"]["parameters"]
                  if parameter["name"] == "status")
    assert status["schema"]["enum"] == ["active", "all", "inactive"]
    assert schema["components"]["schemas"]["PaginatedWorkerList"]["required"] == ["count", "results"]
    assert "cookieAuth" in schema["components"]["securitySchemes"]


def test_an_unknown_status_is_refused_with_a_message(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    address = f"/api/v1/employers/{personas.employer.code}/workers/"
    for status in ("bogus", "ACTIVE", "\x00", "active\x00"):
        response = client.get(address, {"status": status})
        assert response.status_code == 400, status
        assert "active" in response.json()["status"][0]
    assert client.get(address, {"status": "all"}).json()["count"] == 1
    assert client.get(address, {"status": "inactive"}).json()["count"] == 0
    assert client.get(address, {"status": ""}).json()["count"] == 1


def test_a_nul_in_the_roster_search_searches_the_rest(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    data = client.get(f"/api/v1/employers/{personas.employer.code}/workers/", {"q": "王\x00"}).json()
    assert [worker["name"] for worker in data["results"]] == ["王工"]


def test_a_parent_that_is_not_a_region_is_refused() -> None:
    client = Client()
    for parent in ("bogus", "3203001", "32030", "999999", "３２０３００", "\x00", "320300\x00"):
        response = client.get("/api/v1/regions/", {"parent": parent})
        assert response.status_code == 400, parent
        assert "320300" in response.json()["parent"][0]
    counties = client.get("/api/v1/regions/", {"parent": "320300"}).json()
    assert counties and {region["parent"] for region in counties} == {"320300"}
    provinces = client.get("/api/v1/regions/").json()
    assert provinces and {region["level"] for region in provinces} == {1}
    assert client.get("/api/v1/regions/", {"parent": "320305"}).json() == []  # a county has no subdivisions


def test_anonymous_visitors_are_told_to_sign_in(personas: Personas) -> None:
    for address in ("/api/v1/me/", f"/api/v1/employers/{personas.employer.code}/workers/"):
        response = Client().get(address)
        assert response.status_code == 403 and response.json()["detail"]


def test_production_answers_json_only() -> None:
    """The browsable API shows HTML forms and every field: not for production."""
    code = ("import config.settings.production as p; "
            "print(','.join(p.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES']))")
    env = {**os.environ, "SECRET_KEY": "x" * 60, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,  # noqa: S603
                            cwd=settings.BASE_DIR)
    assert result.stdout.strip() == "rest_framework.renderers.JSONRenderer"
