"""The training compliance workbook: 汇总 with the rates and a native chart, 明细 with a row per
cycle, no phones or ID numbers, formulas neutralised, every export logged and audited, running
twice writes once, the background path with its progress bar and download, and who reaches it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.storage import storages
from django.test import override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from core.models import ExportLog, JobStatus
from learning.models import ComplianceExport
from learning.services.compliance_export import (
    ComplianceExportError,
    compliance_export_filename,
    compliance_export_run,
    compliance_export_start,
)
from learning.tasks import compliance_export_task
from tests.conftest import Personas
from tests.learning.test_compliance_views import YEAR, Cycles, frozen, make_cycles  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
SUMMARY = ["分组", "名称", "应训人数", "已完成", "进行中", "已逾期", "合规率（%）", "培训任务数", "已完成任务数"]
DETAIL = ["姓名", "部门", "岗位", "岗位角色", "培训项目", "开始日期", "截止日期", "状态", "已得学时", "要求学时", "结业考试",
          "证书编号", "尚缺"]


@pytest.fixture(autouse=True)
def private_files_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Workbooks go to a folder of the test, not the tree."""
    storage = storages["private"]
    monkeypatch.setattr(storage, "location", str(tmp_path))
    monkeypatch.setattr(storage, "base_location", str(tmp_path), raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def no_files_left() -> Iterator[None]:
    yield
    for export in ComplianceExport.objects.exclude(result_file=""):
        export.result_file.delete(save=False)


@pytest.fixture
def cycles(personas: Personas) -> Cycles:
    return make_cycles(personas)


def _book(export: ComplianceExport) -> Any:
    with export.result_file.open("rb") as stream:
        return openpyxl.load_workbook(io.BytesIO(stream.read()))


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _table(sheet: Any) -> list[list[Any]]:
    """The summary's table, without the notes under it."""
    rows = _rows(sheet)
    return rows[:rows.index([None] * len(rows[0]))] if [None] * len(rows[0]) in rows else rows


def test_the_workbook_holds_the_rates_a_chart_and_every_cycle(personas: Personas, cycles: Cycles) -> None:
    export = compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    assert export.status == JobStatus.DONE and export.progress_done == 5
    book = _book(export)
    assert book.sheetnames == ["汇总", "明细"]
    summary, detail = book["汇总"], book["明细"]
    table = [row[:9] for row in _table(summary)]
    assert table[0] == SUMMARY
    assert table[1] == ["合计", "全部", 4, 2, 1, 1, 50, 4, 2]
    assert ["岗位角色", "主要负责人", 1, 1, 0, 0, 100, 1, 1] in table
    assert ["岗位角色", "接害劳动者", 3, 1, 1, 1, 33.3, 3, 1] in table
    assert ["部门", "机修车间", 1, 0, 1, 0, 0, 1, 0] in table
    assert ["部门", "未分部门", 1, 1, 0, 0, 100, 1, 1] in table
    assert ["培训项目", "测试培训 t-exposed", 3, 1, 1, 1, 33.3, 3, 1] in table
    assert any(str(row[0]).startswith("单位：徐州云龙矿业") for row in _rows(summary) if row[0])
    # Native charts of the rate, one by role and one by department.
    assert len(summary._charts) == 2
    rows = _rows(detail)
    assert rows[0] == DETAIL
    by_name = {row[0]: row for row in rows[1:]}
    assert sorted(by_name) == ["周工", "孙厂长", "王工", "赵工", "钱工"] and len(rows) == 6
    assert by_name["赵工"] == ["赵工", "采煤一队", "掘进工", "接害劳动者", "测试培训 t-exposed", f"{YEAR}-05-01",
                              f"{YEAR}-06-01", "已逾期", 0.5, 1, "无需考试", None, "还差 0.5 学时"]
    assert by_name["王工"][7:10] == ["已完成", 1, 1] and by_name["王工"][12] is None
    assert by_name["周工"][7] == "已撤销" and by_name["孙厂长"][3] == "主要负责人"
    everything = repr([_rows(sheet) for sheet in book.worksheets])
    for worker in (cycles.wang, cycles.zhao, cycles.sun):
        assert worker.phone not in everything and worker.id_number not in everything
    assert "李工" not in everything
    assert compliance_export_filename(export=export).startswith(f"training-compliance-{YEAR}-")


def test_formula_like_names_are_neutralised(personas: Personas, cycles: Cycles) -> None:
    cycles.zhao.name = '=HYPERLINK("http://evil.example","点我")'
    cycles.zhao.save()
    cycles.mining.name = "+cmd|' /C calc'!A0"
    cycles.mining.save()
    book = _book(compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR))
    names = [row[0] for row in _rows(book["明细"])[1:]]
    assert "'" + cycles.zhao.name in names and cycles.zhao.name not in names
    assert ["部门", "'" + cycles.mining.name] in [row[:2] for row in _table(book["汇总"])]


def test_every_export_is_logged_and_audited(personas: Personas, cycles: Cycles) -> None:
    export = compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    log = ExportLog.objects.get()
    assert (log.kind, log.row_count, log.masked, log.employer_id, log.user) == (
        "training_compliance", 5, True, personas.employer.pk, personas.employer_admin)
    assert log.filters == {"year": YEAR}
    entry = ModelLogEntry.objects.get(action="learning.compliance.export")
    assert entry.data["employer"] == personas.employer.pk and entry.data["rows"] == 5
    assert entry.object_id == str(export.pk)


def test_running_twice_writes_once(personas: Personas, cycles: Cycles) -> None:
    export = compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    assert not compliance_export_run(export_id=export.pk)
    assert not compliance_export_task(export.pk)
    assert ExportLog.objects.count() == 1


def test_a_bad_year_is_refused(personas: Personas, cycles: Cycles) -> None:
    for year in (1999, YEAR + 2, "2026", True):
        with pytest.raises(ComplianceExportError, match="year 应为"):
            compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=year)  # type: ignore[arg-type]
    assert not ComplianceExport.objects.exists()


@override_settings(TRAINING_EXPORT_BACKGROUND_ROWS=2)
def test_a_large_export_runs_in_the_background(personas: Personas, cycles: Cycles,
                                               django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        export = compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    assert export.status == JobStatus.QUEUED and export.progress_total == 5 and len(queued) == 1
    assert not ExportLog.objects.exists()
    client = personas.client(personas.employer_admin)
    address = reverse("learning:training_export", args=[personas.employer.code])
    waiting = client.get(address, {"job": export.code}).content.decode()
    progress = reverse("job_progress", args=["training-compliance", export.code])
    assert progress in waiting
    answer = client.get(progress).json()
    assert answer["running"] and answer["total"] == 5
    queued[0]()  # the task, run eagerly as a worker would
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.progress_done == 5
    assert len(_rows(_book(export)["明细"])) == 6 and ExportLog.objects.count() == 1
    done = client.get(address, {"job": export.code}).content.decode()
    assert f"?download={export.code}" in done
    download = client.get(address, {"download": export.code})
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"PK")
    assert download["Content-Disposition"].startswith(f'attachment; filename="training-compliance-{YEAR}-')


def test_the_page_starts_an_export(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    address = reverse("learning:training_export", args=[personas.employer.code])
    response = client.post(address, {"year": str(YEAR)})
    export = ComplianceExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{address}?download={export.code}"
    assert export.year == YEAR and export.created_by == personas.employer_admin
    assert client.get(response["Location"]).status_code == 200
    listing = client.get(address).content.decode()
    assert f"?download={export.code}" in listing
    # The dashboard's button posts here with its year.
    dashboard = client.get(reverse("learning:training_employer", args=[personas.employer.code])).content.decode()
    assert f'action="{address}"' in dashboard
    for year in ("20x6", "1999"):
        refused = client.post(address, {"year": year}, follow=True)
        assert "year 应为" in refused.content.decode(), year
    assert ComplianceExport.objects.count() == 1
    assert client.get(address, {"download": "NoSuchCode12"}).status_code == 404
    assert client.get(address, {"download": "a\x00"}).status_code == 404
    assert client.get(address, {"job": ""}).status_code == 404


def test_no_one_else_reaches_an_export(personas: Personas, cycles: Cycles) -> None:
    export = compliance_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    own = reverse("learning:training_export", args=[personas.employer.code])
    progress = reverse("job_progress", args=["training-compliance", export.code])
    for persona in ("outsider", "worker_user", "editor"):
        client = personas.client(getattr(personas, persona))
        assert client.get(own, {"download": export.code}).status_code == 404, persona
        assert client.post(own, {"year": str(YEAR)}).status_code == 404, persona
        assert client.get(progress).status_code == 404, persona
    evaluator = personas.client(personas.evaluator)
    assert evaluator.get(own, {"download": export.code}).status_code == 403
    assert evaluator.post(own, {"year": str(YEAR)}).status_code == 403
    assert evaluator.get(progress).status_code == 403
    # The outsider's own address with this employer's export code: unknown there.
    outsider = personas.client(personas.outsider)
    theirs = reverse("learning:training_export", args=[personas.other_employer.code])
    assert outsider.get(theirs).status_code == 200
    assert outsider.get(theirs, {"download": export.code}).status_code == 404
    assert outsider.get(theirs, {"job": export.code}).status_code == 404
    assert ComplianceExport.objects.count() == 1
