"""The evaluators' API: the waves in reach and one wave's indicator table, serialised from the
same awareness_table the dashboard and the workbook use; who gets 403 and 404. World:
tests/surveys/test_exports.build_world. The routes are mounted here as config/urls.py mounts them
(under /api/v1/), so the tests hold before and after the lead wires them in."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import include, path

from config.urls import urlpatterns as site_patterns
from surveys import api as surveys_api
from tests.conftest import Personas
from tests.surveys.test_exports import World, build_world

urlpatterns = [path("api/v1/", include(surveys_api.api_patterns)), *site_patterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

WAVES = "/api/v1/survey-waves/"


def indicators(code: str) -> str:
    return f"/api/v1/survey-waves/{code}/indicators/"


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


def test_the_waves_in_reach_with_the_part_each_is_read_in(world: World, personas: Personas) -> None:
    answer = personas.client(personas.evaluator).get(WAVES)
    assert answer.status_code == 200
    rows = {row["code"]: row for row in answer.json()["results"]}
    assert set(rows) == {world.xuzhou.code, world.jiangsu.code}
    assert rows[world.xuzhou.code]["part_prefix"] is None and rows[world.jiangsu.code]["part_prefix"] == "3203"
    assert rows[world.xuzhou.code]["region_code"] == "320300" and rows[world.xuzhou.code]["region_name"] == "徐州市"
    assert rows[world.xuzhou.code]["questionnaire"] == "接害劳动者职业健康知识问卷"
    everything = personas.client(personas.superuser).get(WAVES).json()
    assert everything["count"] == 3


def _estimate(estimate: Any) -> dict[str, Any]:
    return {"rate": estimate.rate, "n": estimate.n, "n_effective": estimate.n_effective, "low": estimate.low,
            "high": estimate.high, "target": estimate.target, "met": estimate.met, "lower_clears": estimate.lower_clears}


def test_the_indicator_table_is_the_dashboards(world: World, personas: Personas) -> None:
    from surveys.services.statistics import awareness_table

    answer = personas.client(personas.evaluator).get(indicators(world.jiangsu.code))
    assert answer.status_code == 200
    data = answer.json()
    table = awareness_table(wave=world.jiangsu, region_prefix="3203")
    assert data["total"] == _estimate(table.awareness) and data["total"]["rate"] == pytest.approx(0.5)
    assert data["item_average"] == _estimate(table.item_average)
    assert data["respondents"] == 2 and data["weighted"] is True and data["threshold"] == pytest.approx(0.8)
    assert [row["region_code"] for row in data["strata"]] == ["320305"]
    assert data["strata"][0]["awareness"] == _estimate(table.strata[0].awareness)
    assert data["strata"][0]["quota"] == 4 and data["strata"][0]["responses"] == 2
    assert [row["code"] for row in data["dimensions"]] == [row.code for row in table.dimensions]
    assert [row["awareness"] for row in data["dimensions"]] == [_estimate(row.awareness) for row in table.dimensions]
    assert [row["code"] for row in data["items"]] == [row.code for row in table.items]
    assert [row["correct_rate"] for row in data["items"]] == [_estimate(row.correct_rate) for row in table.items]
    assert [row["rate"] for row in data["behaviours"]] == [_estimate(row.rate) for row in table.behaviours]
    assert [point["wave_code"] for point in data["trend"]] == [point.wave_code for point in table.trend]
    whole = personas.client(personas.superuser).get(indicators(world.jiangsu.code)).json()
    assert whole["total"]["rate"] == pytest.approx(0.875) and whole["respondents"] == 5


def test_the_whole_wave_of_the_evaluators_own_region(world: World, personas: Personas) -> None:
    data = personas.client(personas.evaluator).get(indicators(world.xuzhou.code)).json()
    assert data["total"]["rate"] == pytest.approx(2 / 3) and data["total"]["n"] == 3 and data["weighted"] is False
    assert data["total"]["n_effective"] == pytest.approx(3.0)


@pytest.mark.parametrize("who", ["outsider", "worker_user", "employer_admin", "editor", "heyuan_evaluator"])
def test_everyone_else_gets_404(world: World, personas: Personas, who: str) -> None:
    user = getattr(world, who, None) or getattr(personas, who)
    client = personas.client(user)
    assert client.get(indicators(world.xuzhou.code)).status_code == 404
    if who != "heyuan_evaluator":
        assert client.get(WAVES).status_code == 404
    else:
        assert [row["code"] for row in client.get(WAVES).json()["results"]] == [world.heyuan.code]


def test_anonymous_callers_are_refused_and_unknown_codes_are_404(world: World, personas: Personas) -> None:
    anonymous = personas.client(None)
    assert anonymous.get(WAVES).status_code == 403
    assert anonymous.get(indicators(world.xuzhou.code)).status_code == 403
    evaluator = personas.client(personas.evaluator)
    assert evaluator.get(indicators("nope")).status_code == 404
    assert evaluator.get(indicators("a%00b")).status_code == 404


def test_the_schema_documents_the_routes(world: World, personas: Personas) -> None:
    schema = personas.client(personas.superuser).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/survey-waves/" in schema["paths"]
    route = schema["paths"]["/api/v1/survey-waves/{code}/indicators/"]["get"]
    assert set(route["responses"]) == {"200", "403", "404"}
    assert "lower_clears" in schema["components"]["schemas"]["Estimate"]["properties"]
