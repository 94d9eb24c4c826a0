"""A real Celery worker process over Redis builds the awareness workbook: the export is asked for
in this process, the task goes through the broker, the worker reads the responses, writes the
workbook to the private storage and finishes the job. Its figures, read back with openpyxl,
equal awareness_table's and the API's. World: tests/surveys/test_exports.build_world."""

from __future__ import annotations

import io
import subprocess
import time

import openpyxl
import pytest
from django.urls import include, path

from config.celery import app as celery_app
from config.urls import urlpatterns as site_patterns
from core.models import ExportLog, JobStatus
from surveys import api as surveys_api
from surveys.services import exports
from tests.celery_workers import worker_log
from tests.conftest import Personas
from tests.surveys.test_exports import build_world, sheet_values, summary_of

urlpatterns = [path("api/v1/", include(surveys_api.api_patterns)), *site_patterns]


pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.urls(__name__)]


def test_a_real_worker_builds_the_workbook_with_the_dashboards_figures(
        personas: Personas, celery_worker_process: subprocess.Popen[bytes]) -> None:
    from surveys.services.statistics import awareness_table

    world = build_world(personas)
    celery_app.conf.task_always_eager = False
    try:
        export = exports.awareness_export_start(actor=personas.evaluator, wave=world.jiangsu, format="xlsx",
                                                region_prefix="3203")
    finally:
        celery_app.conf.task_always_eager = True
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if not export.is_running:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not build the workbook in 90 s:\n" + worker_log(celery_worker_process)[-3000:])
    try:
        assert export.status == JobStatus.DONE, export.message
        table = awareness_table(wave=world.jiangsu, region_prefix="3203")
        api = personas.client(personas.evaluator).get(f"/api/v1/survey-waves/{world.jiangsu.code}/indicators/").json()
        with export.result_file.open("rb") as stream:
            book = openpyxl.load_workbook(io.BytesIO(stream.read()))
        summary = summary_of(book)
        for label, figure, served in (("知晓率", table.awareness.rate, api["total"]["rate"]),
                                      ("95%置信区间下限", table.awareness.low, api["total"]["low"]),
                                      ("95%置信区间上限", table.awareness.high, api["total"]["high"]),
                                      ("有效样本量", table.awareness.n_effective, api["total"]["n_effective"]),
                                      ("题目平均正确率", table.item_average.rate, api["item_average"]["rate"])):
            assert summary[label] == pytest.approx(figure, abs=1e-12) == served, label
        assert summary["答卷数"] == table.respondents == api["respondents"] == 2
        assert table.awareness.rate == pytest.approx(0.5)
        items = sheet_values(book, "题目")[1:]
        assert [row[0] for row in items] == [row.code for row in table.items] == [row["code"] for row in api["items"]]
        assert [row[5] for row in items] == pytest.approx([row.correct_rate.rate for row in table.items], abs=1e-12)
        dimensions = sheet_values(book, "维度")[1:]
        assert [row[3] for row in dimensions] == pytest.approx(
            [row["awareness"]["rate"] for row in api["dimensions"]], abs=1e-12)
        assert len(sheet_values(book, "答卷")) == 1 + 2
        assert ExportLog.objects.filter(kind="surveys.awareness", region_code="320300", row_count=2).exists()
        log = worker_log(celery_worker_process)
        assert "surveys.tasks.awareness_export" in log and "succeeded" in log
    finally:
        if export.result_file:
            export.result_file.storage.delete(export.result_file.name)
