"""The employer's results workbook: what it holds, masking by scope, formulas neutralised, every
export logged, the counted result as counted_attempt picks it, and the background path."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from core.masking import id_number_mask
from core.models import ExportLog, JobStatus
from exams.models import Attempt, Exam, GradedAttempt, ResultsExport
from exams.services.attempts import answer_save, attempt_open, attempt_start, attempt_submit
from exams.services.results import counted_attempt
from exams.services.results_export import employer_results, results_export_run, results_export_start
from tests.conftest import Personas
from tests.exams.helpers import answer_key, make_bank, make_exam
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "身份证号", "部门", "岗位角色", "考试", "成绩", "得分率（%）", "是否合格", "已考次数", "最近考试时间",
           "证书验证码", "证书状态"]


@pytest.fixture(autouse=True)
def no_files_left() -> Iterator[None]:
    yield
    for export in ResultsExport.objects.exclude(result_file=""):
        export.result_file.delete(save=False)


def sit(worker: Any, exam: Exam, *, right: int | None = None) -> Attempt:
    """Sit the exam, answering the first ``right`` questions correctly (all when None), the rest wrong."""
    attempt = attempt_start(worker=worker, exam=exam)
    token = attempt_open(attempt=attempt)
    for position, key in answer_key(attempt).items():
        correct = right is None or position <= right
        answer_save(attempt=attempt, device_token=token, position=position,
                    response=key if correct else ("B" if key[0] == "A" else "A"))
    return attempt_submit(attempt=attempt)


def _rows(export: ResultsExport) -> list[list[Any]]:
    with export.result_file.open("rb") as stream:
        sheet = openpyxl.load_workbook(io.BytesIO(stream.read()), read_only=True).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(workers=[personas.worker], attempts=3)


def test_the_workbook_holds_each_workers_counted_result(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam, right=0)
    best = sit(personas.worker, exam)
    waiting = WorkerFactory(employer=personas.employer, name="还没考")
    make_exam(workers=[waiting], title="另一场考试")
    sit(personas.other_worker, make_exam(open_to_all=True, title="外单位也考"))
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    assert export.status == JobStatus.DONE and export.progress_done == 2
    rows = _rows(export)
    assert rows[0] == HEADERS
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"王工", "还没考"}  # the other employer's worker is not there
    row = by_name["王工"]
    assert row[1] == personas.worker.id_number and row[3] == "接害劳动者" and row[4] == exam.title
    assert row[5] == float(best.score) and row[6] == 100.0 and row[7] == "合格" and row[8] == 2
    assert row[10] == best.certificate.verification and row[11] == "有效"
    assert by_name["还没考"][5:9] == [None, None, "尚无成绩", 0]


def test_one_exam_only(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam)
    make_exam(workers=[personas.worker], title="另一场考试")
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer, exam=exam)
    assert [row[4] for row in _rows(export)[1:]] == [exam.title]
    assert ExportLog.objects.get().filters == {"exam": exam.code}


def test_a_revoked_certificate_says_so(personas: Personas, exam: Exam) -> None:
    from django.utils import timezone

    certificate = sit(personas.worker, exam).certificate
    type(certificate).objects.filter(pk=certificate.pk).update(revoked_at=timezone.now(), revoked_reason="冒名顶替")
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    assert _rows(export)[1][10:] == [certificate.verification, "已撤销"]


def test_id_numbers_are_raw_for_the_employer_and_masked_for_anyone_else(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam)
    own = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    assert _rows(own)[1][1] == personas.worker.id_number
    # Were an export asked for by someone outside the roster (the pages refuse them), it is masked.
    masked = results_export_start(actor=personas.evaluator, employer=personas.employer)
    assert _rows(masked)[1][1] == id_number_mask(personas.worker.id_number)
    logs = {log.user: log.masked for log in ExportLog.objects.all()}
    assert logs == {personas.employer_admin: False, personas.evaluator: True}


def test_formula_like_names_are_neutralised(personas: Personas, exam: Exam) -> None:
    personas.worker.name = '=HYPERLINK("http://evil.example","点我")'
    personas.worker.save()
    sit(personas.worker, exam)
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    assert _rows(export)[1][0] == "'" + personas.worker.name


def test_every_export_is_logged_and_audited(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam)
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    log = ExportLog.objects.get()
    assert (log.kind, log.row_count, log.masked, log.employer_id, log.user) == (
        "exam-results", 1, False, personas.employer.pk, personas.employer_admin)
    entry = ModelLogEntry.objects.get(action="exams.results.export")
    assert entry.data["employer"] == personas.employer.pk and entry.data["rows"] == 1
    assert entry.object_id == str(export.pk)


def test_running_twice_writes_once(personas: Personas, exam: Exam) -> None:
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    assert not results_export_run(export_id=export.pk)
    assert ExportLog.objects.count() == 1


@pytest.mark.parametrize("rule", [GradedAttempt.BEST, GradedAttempt.FIRST, GradedAttempt.LAST])
def test_the_counted_result_is_the_one_counted_attempt_picks(personas: Personas, exam: Exam, rule: str) -> None:
    Exam.objects.filter(pk=exam.pk).update(graded_attempt=rule)
    exam.refresh_from_db()
    for right in (2, 6, 0):
        sit(personas.worker, exam, right=right)
    counted = counted_attempt(worker=personas.worker, exam=exam)
    assert counted is not None
    [row] = list(employer_results(employer=personas.employer, exam=exam))
    assert row["counted_id"] == counted.pk and row["counted_passed"] == counted.passed and row["used"] == 3
    passed = "passed" if counted.passed else "failed"
    assert employer_results(employer=personas.employer, exam=exam, passed=passed).count() == 1


def test_a_large_export_runs_in_the_background(personas: Personas, exam: Exam,
                                               django_capture_on_commit_callbacks: Any) -> None:
    WorkerFactory.create_batch(3, employer=personas.employer)
    make_exam(workers=list(personas.employer.workers.all()), title="全员考试")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        export = results_export_start(actor=personas.employer_admin, employer=personas.employer, background_rows=2)
    assert export.status == JobStatus.QUEUED and export.progress_total == 5 and len(queued) == 1
    client = personas.client(personas.employer_admin)
    address = reverse("exams:employer_results_export", args=[personas.employer.code])
    waiting = client.get(address, {"job": export.code}).content.decode()
    assert reverse("job_progress", args=["exam-results", export.code]) in waiting
    queued[0]()  # the task, run eagerly as a worker would
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.progress_done == 5 and len(_rows(export)) == 6
    done = client.get(address, {"job": export.code}).content.decode()
    assert f"?download={export.code}" in done
    download = client.get(address, {"download": export.code})
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"PK")


@override_settings(EXAM_RESULTS_BACKGROUND_ROWS=0)
def test_the_threshold_is_a_setting(personas: Personas, exam: Exam) -> None:
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    assert export.status == JobStatus.QUEUED


def test_the_progress_endpoint_is_for_the_employers_admins(personas: Personas, exam: Exam) -> None:
    export = ResultsExport.objects.create(employer=personas.employer, created_by=personas.employer_admin)
    address = reverse("job_progress", args=["exam-results", export.code])
    response = personas.client(personas.employer_admin).get(address)
    assert response.status_code == 200 and response.json()["running"] and response.json()["label"] == "排队中"
    assert personas.client(personas.evaluator).get(address).status_code == 403
    for persona in ("outsider", "worker_user", "editor"):
        assert personas.client(getattr(personas, persona)).get(address).status_code == 404, persona


def test_the_export_page_starts_and_downloads(personas: Personas, exam: Exam) -> None:
    sit(personas.worker, exam)
    client = personas.client(personas.employer_admin)
    address = reverse("exams:employer_results_export", args=[personas.employer.code])
    response = client.post(address, {"exam": exam.code})
    export = ResultsExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{address}?download={export.code}"
    download = client.get(response["Location"])
    # One exam's file is named after it (a Chinese title is sent as RFC 5987 filename*).
    assert download["Content-Disposition"].startswith("attachment; filename*=utf-8''exam-results-")
    assert quote(exam.title) in download["Content-Disposition"]
    assert client.get(address).status_code == 200
    # An unknown exam is not a dead end: the form again, with a message (test_employer).
    assert client.post(address, {"exam": "NoSuchExam12"})["Location"] == address
    assert client.get(address, {"download": "NoSuchCode12"}).status_code == 404
    assert client.get(address, {"download": "a\x00"}).status_code == 404


def test_no_one_else_reaches_an_export(personas: Personas, exam: Exam) -> None:
    export = results_export_start(actor=personas.employer_admin, employer=personas.employer)
    own = reverse("exams:employer_results_export", args=[personas.employer.code])
    for persona in ("outsider", "worker_user", "editor"):
        client = personas.client(getattr(personas, persona))
        assert client.get(own, {"download": export.code}).status_code == 404, persona
        assert client.post(own).status_code == 404, persona
    evaluator = personas.client(personas.evaluator)
    assert evaluator.get(own, {"download": export.code}).status_code == 403
    assert evaluator.post(own).status_code == 403
    # The outsider's own address with this employer's export code: unknown there.
    outsider = personas.client(personas.outsider)
    theirs = reverse("exams:employer_results_export", args=[personas.other_employer.code])
    assert outsider.get(theirs).status_code == 200
    assert outsider.get(theirs, {"download": export.code}).status_code == 404
    assert outsider.get(theirs, {"job": export.code}).status_code == 404
    assert ResultsExport.objects.count() == 1
