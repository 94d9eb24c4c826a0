"""The evaluator's dashboard and exports pages: the figures of awareness_table within the reader's
part, the standing in words, the charts' data and library served from our own static files, the
exports list, downloads and who gets a 404. World: tests/surveys/test_exports.build_world."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from core.models import JobStatus
from surveys.dashboard_views import Shown, percent
from surveys.models import AwarenessExport
from surveys.services import exports
from surveys.services.types import Estimate
from tests.conftest import Personas
from tests.surveys.test_exports import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


def _page(client: Any, wave_code: str, name: str = "dashboard") -> str:
    response = client.get(reverse(f"surveys:{name}", args=[wave_code]))
    assert response.status_code == 200
    return response.content.decode()


def _blob(page: str) -> dict[str, Any]:
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, "the charts' figures are embedded with json_script"
    return json.loads(found.group(1))


def test_the_dashboard_shows_the_tables_figures_for_the_whole_wave(world: World, personas: Personas) -> None:
    from surveys.services.statistics import awareness_table

    table = awareness_table(wave=world.xuzhou, region_prefix=None)
    assert table.awareness.rate == pytest.approx(2 / 3) and table.respondents == 3
    page = _page(personas.client(personas.evaluator), world.xuzhou.code)
    assert 'data-figure="awareness">66.7%<' in page
    assert f'data-figure="interval">{html.escape(Shown(table.awareness).interval)}<' in page
    assert 'data-figure="n">3<' in page
    assert f'data-figure="item-average">{percent(table.item_average.rate)}<' in page
    assert 'data-testid="part-note"' not in page
    # Every table scrolls in its own box, so a 360 px screen never scrolls sideways.
    assert page.count("<table") == page.count('<div class="table-wrap"><table') >= 4
    for row in table.items:
        assert f'data-item="{row.code}"' in page
    rates = [row.correct_rate.rate or 0.0 for row in table.items]
    assert rates == sorted(rates)  # weakest first
    assert page.index(f'data-item="{table.items[0].code}"') < page.index(f'data-item="{table.items[-1].code}"')
    blob = _blob(page)
    assert [entry["rate"] for entry in blob["items"]] == [row.correct_rate.rate for row in table.items]
    assert [entry["rate"] for entry in blob["dimensions"]] == [row.awareness.rate for row in table.dimensions]
    assert [entry["rate"] for entry in blob["trend"]] == [point.awareness.rate for point in table.trend]
    # The chart library is ours, served from the static files: no outside address anywhere.
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js"></script>' in page
    assert '<script src="/static/surveys/dashboard.js"></script>' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert finders.find("vendor/chartjs/chart.umd.min.js") and finders.find("surveys/dashboard.js")


def test_an_evaluator_of_a_city_reads_their_part_of_a_provincial_wave(world: World, personas: Personas) -> None:
    page = _page(personas.client(personas.evaluator), world.jiangsu.code)
    assert 'data-testid="part-note"' in page and "只统计您所辖的徐州市部分" in page
    assert 'data-figure="awareness">50.0%<' in page and 'data-figure="n">2<' in page
    assert 'data-stratum="320305-B-exposed"' in page and 'data-stratum="320100' not in page
    # Progress against the quota, in numbers and as a bar.
    assert '<td class="quota" data-quota>2 / 4 <span class="muted">（50%）</span>' in page
    whole = _page(personas.client(personas.superuser), world.jiangsu.code)
    assert 'data-figure="awareness">87.5%<' in whole and 'data-stratum="320100-B-exposed"' in whole


def test_the_standing_against_the_target_is_in_words_not_colour_alone() -> None:
    met = Shown(Estimate(0.92, 100, 100.0, 0.85, 0.96, 0.9, True, False))
    assert (met.standing, met.met_text, met.lower_text) == ("met", "达标", "区间下限未达到目标")
    short = Shown(Estimate(0.526, 100, 80.0, 0.42, 0.63, 0.85, False, False))
    assert (short.standing, short.met_text, short.rate, short.interval) == ("not-met", "未达标", "52.6%", "42.0% – 63.0%")
    assert Shown(Estimate(0.5, 2, 2.0, 0.1, 0.9)).met_text == "无目标"
    assert Shown(Estimate(None, 0, 0.0, None, None)).met_text == "暂无数据"


def test_the_standing_words_follow_the_table(world: World, personas: Personas) -> None:
    from surveys.services.statistics import awareness_table

    table = awareness_table(wave=world.xuzhou, region_prefix=None)
    page = _page(personas.client(personas.evaluator), world.xuzhou.code)
    words = Shown(table.awareness).met_text
    total = page[page.index('data-testid="total"'):page.index('data-testid="item-average"')]
    assert f'data-standing="{Shown(table.awareness).standing}">{words}</span>' in total


@pytest.mark.parametrize("who", ["outsider", "worker_user", "employer_admin", "heyuan_evaluator", "editor"])
def test_everyone_else_gets_404_on_every_page(world: World, personas: Personas, who: str) -> None:
    user = getattr(world, who, None) or getattr(personas, who)
    client = personas.client(user)
    export = exports.awareness_export_start(actor=personas.superuser, wave=world.xuzhou, format="xlsx",
                                            region_prefix=None)
    exports.awareness_export_run(job_id=export.pk)
    for address in (reverse("surveys:dashboard", args=[world.xuzhou.code]),
                    reverse("surveys:exports", args=[world.xuzhou.code]),
                    reverse("surveys:export_download", args=[world.xuzhou.code, export.code])):
        assert client.get(address).status_code == 404, address
    assert client.post(reverse("surveys:exports", args=[world.xuzhou.code]), {"format": "xlsx"}).status_code == 404
    assert AwarenessExport.objects.count() == 1


def test_unknown_codes_are_404_and_anonymous_visitors_sign_in(world: World, personas: Personas) -> None:
    client = personas.client(personas.evaluator)
    assert client.get(reverse("surveys:dashboard", args=["nope"])).status_code == 404
    assert client.get(reverse("surveys:dashboard", args=[world.heyuan.code])).status_code == 404
    assert client.get(reverse("surveys:export_download", args=[world.xuzhou.code, "nope"])).status_code == 404
    anonymous = personas.client(None).get(reverse("surveys:dashboard", args=[world.xuzhou.code]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_an_evaluator_builds_the_workbook_and_downloads_it(world: World, personas: Personas,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    client = personas.client(personas.evaluator)
    address = reverse("surveys:exports", args=[world.jiangsu.code])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(address, {"format": "xlsx"})
    export = AwarenessExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{address}?job={export.code}"
    assert export.status == JobStatus.DONE and export.region_id == "320300" and export.requested_by == personas.evaluator
    page = client.get(response["Location"]).content.decode()
    download = reverse("surveys:export_download", args=[world.jiangsu.code, export.code])
    assert f'href="{download}" data-testid="download"' in page and "已导出 2 份答卷" in page
    file = client.get(download)
    assert file.status_code == 200
    assert file["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert file["Content-Disposition"].startswith(f'attachment; filename="awareness-{world.jiangsu.code}-320300-')
    assert b"".join(file.streaming_content)[:2] == b"PK"
    # Another evaluator of the same wave neither sees nor downloads it.
    other = personas.client(world.jiangsu_evaluator)
    assert export.code not in other.get(address).content.decode()
    assert other.get(download).status_code == 404
    # A superuser sees every export of the wave, with who asked for it.
    listing = personas.client(personas.superuser).get(address).content.decode()
    assert f'data-export="{export.code}" data-status="done"' in listing and personas.evaluator.full_name in listing


def test_the_sav_button_and_a_bad_format(world: World, personas: Personas, django_capture_on_commit_callbacks: Any) -> None:
    client = personas.client(personas.evaluator)
    address = reverse("surveys:exports", args=[world.xuzhou.code])
    page = _page(client, world.xuzhou.code, "exports")
    assert 'name="format" value="xlsx"' in page and 'name="format" value="sav"' in page
    refused = client.post(address, {"format": "pdf"}, follow=True)
    assert "导出格式只能是 xlsx（Excel 工作簿）或 sav（SPSS 数据文件）" in refused.content.decode()
    assert not AwarenessExport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(address, {"format": "sav"})
    export = AwarenessExport.objects.get()
    file = client.get(reverse("surveys:export_download", args=[world.xuzhou.code, export.code]))
    assert file["Content-Type"] == "application/x-spss-sav" and file["Content-Disposition"].endswith('.sav"')


def test_a_queued_export_shows_its_progress_bar_and_the_requester_reads_its_progress(
        world: World, personas: Personas) -> None:
    client = personas.client(personas.evaluator)
    export = exports.awareness_export_start(actor=personas.evaluator, wave=world.xuzhou, format="xlsx",
                                            region_prefix=None)
    page = _page(client, world.xuzhou.code, "exports")
    progress = reverse("job_progress", args=["awareness-export", export.code])
    assert f'data-job-progress="{progress}"' in page
    answer = client.get(progress)
    assert answer.status_code == 200 and answer.json()["status"] == "queued" and answer.json()["total"] == 3
    assert personas.client(personas.outsider).get(progress).status_code == 404
    assert personas.client(world.heyuan_evaluator).get(progress).status_code == 404
