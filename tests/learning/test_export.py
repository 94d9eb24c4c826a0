"""The 学时 workbook: both sheets, masked phones and no ID numbers, formulas neutralised, every
export logged, the table's filters, running twice writes once, and the background path with its
progress bar and download."""

from __future__ import annotations

import datetime as dt
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

from core.masking import phone_mask
from core.models import ExportLog, JobStatus
from learning.models import CoursePage, Enrolment, StudyHoursExport
from learning.services.reports_export import study_hours_export_run, study_hours_export_start
from learning.tasks import study_hours_export_task
from orgs.models import Department
from tests.conftest import Personas
from tests.factories import WorkerFactory
from tests.learning.employer_helpers import CREDITED, HIDDEN, IDLE, START, enrol, ledger, local, report_course, study

pytestmark = pytest.mark.django_db
YEAR = dt.date.today().year
SUMMARY = ["姓名", "手机号", "部门", "岗位角色", "课程", "年度", "学时", "计入秒数", "已完成课时", "课时总数", "完成时间"]
RECORDS = ["姓名", "手机号", "部门", "课程", "课时", "设备", "开始时间", "结束时间", "心跳次数", "计入秒数", "未计入秒数",
           "未计入原因"]


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
    for export in StudyHoursExport.objects.exclude(result_file=""):
        export.result_file.delete(save=False)


@pytest.fixture
def dust(db: None) -> CoursePage:
    return report_course("粉尘与噪声防护")


@pytest.fixture
def enrolment(personas: Personas, dust: CoursePage) -> Enrolment:
    mining = Department.objects.create(employer=personas.employer, name="采煤一队")
    personas.worker.department = mining
    personas.worker.save()
    enrolment = enrol(personas.worker, dust, completed=3, completed_at=local(YEAR, 1, 8, 10, 30))
    ledger(personas.worker, dust, YEAR, 2710)
    ledger(personas.worker, dust, YEAR - 1, 900)
    study(enrolment, started_at=local(YEAR, 1, 8, 10), beats=[START, CREDITED, IDLE, IDLE, HIDDEN, CREDITED],
          device_token="abcdef0123456789")
    return enrolment


def _sheets(export: StudyHoursExport) -> dict[str, list[list[Any]]]:
    with export.result_file.open("rb") as stream:
        book = openpyxl.load_workbook(io.BytesIO(stream.read()), read_only=True)
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_the_workbook_holds_the_summary_and_every_session(personas: Personas, enrolment: Enrolment) -> None:
    enrol(personas.other_worker, enrolment.course)
    ledger(personas.other_worker, enrolment.course, YEAR, 4500)
    export = study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    assert export.status == JobStatus.DONE and export.progress_done == 2
    sheets = _sheets(export)
    assert list(sheets) == ["学时汇总", "学习记录"]
    summary, records = sheets["学时汇总"], sheets["学习记录"]
    assert summary[0] == SUMMARY and records[0] == RECORDS
    phone = phone_mask(personas.worker.phone)
    assert summary[1:] == [["王工", phone, "采煤一队", "接害劳动者", "粉尘与噪声防护", YEAR, 1.0, 2710, 3, 3,
                            f"{YEAR}-01-08 10:30:00"]]
    [row] = records[1:]
    assert row[:6] == ["王工", phone, "采煤一队", "粉尘与噪声防护", "粉尘与噪声防护 第1课", "Android · 微信 · abcdef"]
    assert row[6] == f"{YEAR}-01-08 10:00:00" and row[7] == f"{YEAR}-01-08 10:02:30"
    assert row[8:] == [6, 60, 90, "无操作 ×2；页面不在前台 ×1"]
    everything = repr(sheets)
    assert personas.worker.id_number not in everything and personas.worker.phone not in everything
    assert "李工" not in everything


def test_every_year_and_the_tables_filters(personas: Personas, enrolment: Enrolment) -> None:
    law = report_course("职业卫生法律与职责", lessons=2)
    boss = WorkerFactory(employer=personas.employer, name="张厂长", post_role="principal")
    enrol(boss, law)
    ledger(boss, law, YEAR, 1350)
    every = _sheets(study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=None))
    assert sorted((row[0], row[5]) for row in every["学时汇总"][1:]) == [("张厂长", YEAR), ("王工", YEAR - 1), ("王工", YEAR)]
    one = _sheets(study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR,
                                           course=law))
    assert [row[0] for row in one["学时汇总"][1:]] == ["张厂长"] and one["学习记录"][1:] == []
    department = _sheets(study_hours_export_start(actor=personas.employer_admin, employer=personas.employer,
                                                  year=YEAR, department="采煤一队"))
    assert [row[0] for row in department["学时汇总"][1:]] == ["王工"] and len(department["学习记录"]) == 2
    role = _sheets(study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=None,
                                            post_role="principal", search="张"))
    assert [row[0] for row in role["学时汇总"][1:]] == ["张厂长"]
    log = ExportLog.objects.order_by("pk").last()
    assert log.filters == {"post_role": "principal", "q": "张", "year": None}


def test_formula_like_names_are_neutralised(personas: Personas, enrolment: Enrolment) -> None:
    personas.worker.name = '=HYPERLINK("http://evil.example","点我")'
    personas.worker.save()
    sheets = _sheets(study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR))
    assert sheets["学时汇总"][1][0] == "'" + personas.worker.name
    assert sheets["学习记录"][1][0] == "'" + personas.worker.name


def test_every_export_is_logged_and_audited(personas: Personas, enrolment: Enrolment) -> None:
    export = study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR,
                                      course=enrolment.course)
    log = ExportLog.objects.get()
    assert (log.kind, log.row_count, log.masked, log.employer_id, log.user) == (
        "study_hours", 2, True, personas.employer.pk, personas.employer_admin)
    assert log.filters == {"course": enrolment.course.pk, "year": YEAR}
    entry = ModelLogEntry.objects.get(action="learning.hours.export")
    assert entry.data["employer"] == personas.employer.pk and entry.data["rows"] == 2
    assert entry.object_id == str(export.pk)


def test_running_twice_writes_once(personas: Personas, enrolment: Enrolment) -> None:
    export = study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    assert not study_hours_export_run(export_id=export.pk)
    assert not study_hours_export_task(export.pk)
    assert ExportLog.objects.count() == 1


def test_a_large_export_runs_in_the_background(personas: Personas, enrolment: Enrolment,
                                               django_capture_on_commit_callbacks: Any) -> None:
    for number in range(3):
        worker = WorkerFactory(employer=personas.employer, name=f"工人{number}")
        ledger(worker, enrol(worker, enrolment.course).course, YEAR, 600)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        export = study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR,
                                          background_rows=2)
    assert export.status == JobStatus.QUEUED and export.progress_total == 5 and len(queued) == 1
    client = personas.client(personas.employer_admin)
    address = reverse("learning:employer_hours_export", args=[personas.employer.code])
    waiting = client.get(address, {"job": export.code}).content.decode()
    progress = reverse("job_progress", args=["study-hours", export.code])
    assert progress in waiting
    answer = client.get(progress).json()
    assert answer["running"] and answer["total"] == 5
    queued[0]()  # the task, run eagerly as a worker would
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.progress_done == 5
    assert len(_sheets(export)["学时汇总"]) == 5
    done = client.get(address, {"job": export.code}).content.decode()
    assert f"?download={export.code}" in done
    download = client.get(address, {"download": export.code})
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"PK")
    assert download["Content-Disposition"].startswith(f'attachment; filename="study-hours-{YEAR}-')


@override_settings(STUDY_HOURS_BACKGROUND_ROWS=0)
def test_the_threshold_is_a_setting(personas: Personas, enrolment: Enrolment) -> None:
    export = study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    assert export.status == JobStatus.QUEUED


def test_the_page_starts_an_export_with_the_tables_filters(personas: Personas, enrolment: Enrolment) -> None:
    client = personas.client(personas.employer_admin)
    address = reverse("learning:employer_hours_export", args=[personas.employer.code])
    response = client.post(address, {"year": str(YEAR), "course": str(enrolment.course.pk), "department": "采煤一队",
                                     "post_role": "", "q": ""})
    export = StudyHoursExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{address}?download={export.code}"
    assert export.year == YEAR and export.filters == {"course": enrolment.course.pk, "department": "采煤一队"}
    assert client.get(response["Location"]).status_code == 200
    listing = client.get(address).content.decode()
    assert "粉尘与噪声防护" in listing and "采煤一队" in listing and f"?download={export.code}" in listing
    everything = client.post(address, {"year": "all"})
    assert StudyHoursExport.objects.filter(year__isnull=True).count() == 1 and everything.status_code == 302
    # A wrong value is named and starts nothing.
    for params, message in (({"year": "20x6"}, "year 应为"), ({"course": "999999"}, "没有这门课程"),
                            ({"department": "没有的部门"}, "本单位没有这个部门"), ({"post_role": "boss"}, "post_role")):
        refused = client.post(address, params, follow=True)
        assert message in refused.content.decode(), params
    assert StudyHoursExport.objects.count() == 2
    assert client.get(address, {"download": "NoSuchCode12"}).status_code == 404
    assert client.get(address, {"download": "a\x00"}).status_code == 404
    assert client.get(address, {"job": ""}).status_code == 404


def test_no_one_else_reaches_an_export(personas: Personas, enrolment: Enrolment) -> None:
    export = study_hours_export_start(actor=personas.employer_admin, employer=personas.employer, year=YEAR)
    own = reverse("learning:employer_hours_export", args=[personas.employer.code])
    progress = reverse("job_progress", args=["study-hours", export.code])
    for persona in ("outsider", "worker_user", "editor"):
        client = personas.client(getattr(personas, persona))
        assert client.get(own, {"download": export.code}).status_code == 404, persona
        assert client.post(own, {"year": str(YEAR)}).status_code == 404, persona
        assert client.get(progress).status_code == 404, persona
    evaluator = personas.client(personas.evaluator)
    assert evaluator.get(own, {"download": export.code}).status_code == 403
    assert evaluator.post(own).status_code == 403
    assert evaluator.get(progress).status_code == 403
    # The outsider's own address with this employer's export code: unknown there.
    outsider = personas.client(personas.outsider)
    theirs = reverse("learning:employer_hours_export", args=[personas.other_employer.code])
    assert outsider.get(theirs).status_code == 200
    assert outsider.get(theirs, {"download": export.code}).status_code == 404
    assert outsider.get(theirs, {"job": export.code}).status_code == 404
    assert StudyHoursExport.objects.count() == 1
