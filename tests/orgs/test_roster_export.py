"""Roster export and template: full ID numbers for the employer's admins, formula-like text
neutralised, every export logged, and an exported roster imports again."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import ExportLog
from orgs.idnumbers import id_number_mask
from orgs.models import Employer, HazardFactor, Worker
from orgs.services import roster_export_write
from orgs.services.roster_columns import COLUMNS
from tests.conftest import Personas
from tests.factories import WorkerFactory
from tests.orgs.rosterfiles import HEADERS, XLSX_TYPE, check, counts, import_file, make_id, person, read_xlsx, table, xlsx_bytes

EXPORT_HEADERS = [*HEADERS, "在岗"]
FORMULA_LIKE = ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1:A2)"]


@pytest.fixture
def admin_client(personas: Personas) -> Client:
    return personas.client(personas.employer_admin)


def _export(client: Client, personas: Personas) -> bytes:
    response = client.get(reverse("orgs:roster_export", args=[personas.employer.code]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _export_with_service(personas: Personas, *, sees_raw: bool = True) -> bytes:
    stream = io.BytesIO()
    roster_export_write(actor=personas.employer_admin, employer=personas.employer, stream=stream,
                        sees_raw=sees_raw)
    return stream.getvalue()


def _rows_by_id(content: bytes) -> dict[str, list[Any]]:
    return {row[1]: row for row in read_xlsx(content)[1:]}


def _state(employer: Employer) -> list[tuple[Any, ...]]:
    return [(worker.id_number, worker.name, worker.phone, worker.department.name if worker.department else "",
             worker.post, worker.post_role, worker.hire_date, worker.is_active,
             tuple(sorted(worker.exposures.values_list("name", flat=True))))
            for worker in Worker.objects.filter(employer=employer).order_by("id_number")]


# --- export --------------------------------------------------------------------------------------


def test_it_exports_as_an_xlsx_attachment(personas: Personas, admin_client: Client) -> None:
    response = admin_client.get(reverse("orgs:roster_export", args=[personas.employer.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="roster-{timezone.localdate():%Y%m%d}.xlsx"'
    content = b"".join(response.streaming_content)
    assert content.startswith(b"PK\x03\x04")


def test_it_exports_the_template_headers_plus_status(personas: Personas, admin_client: Client) -> None:
    rows = read_xlsx(_export(admin_client, personas))
    assert rows[0] == EXPORT_HEADERS


def test_it_exports_full_id_numbers_to_the_employer_admin(personas: Personas, admin_client: Client) -> None:
    worker = personas.worker
    row = _rows_by_id(_export(admin_client, personas))[worker.id_number]
    assert row == [worker.name, worker.id_number, worker.phone, "", worker.post, "接害劳动者", "煤尘、噪声", "", "是"]


def test_it_exports_only_the_employers_workers(personas: Personas, admin_client: Client) -> None:
    WorkerFactory(employer=personas.employer, name="离职者", is_active=False)
    rows = _rows_by_id(_export(admin_client, personas))
    assert personas.other_worker.id_number not in rows
    assert len(rows) == Worker.objects.filter(employer=personas.employer).count() == 2
    assert [row[8] for row in rows.values() if row[0] == "离职者"] == ["否"]


def test_it_logs_the_export(personas: Personas, admin_client: Client) -> None:
    WorkerFactory(employer=personas.employer)
    _export(admin_client, personas)
    log = ExportLog.objects.get()
    assert (log.user, log.employer_id, log.kind, log.row_count, log.masked) == (
        personas.employer_admin, personas.employer.pk, "roster", 2, False)


def test_it_masks_id_numbers_when_asked(personas: Personas) -> None:
    rows = read_xlsx(_export_with_service(personas, sees_raw=False))
    assert rows[1][1] == id_number_mask(personas.worker.id_number)
    assert personas.worker.id_number not in {row[1] for row in rows}
    assert ExportLog.objects.get().masked is True


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_it_neutralises_formula_like_text(personas: Personas, admin_client: Client, name: str) -> None:
    worker = WorkerFactory(employer=personas.employer, name=name, post=name)
    workbook = openpyxl.load_workbook(io.BytesIO(_export(admin_client, personas)))
    sheet = workbook.worksheets[0]
    [row] = [row for row in sheet.iter_rows(min_row=2) if row[1].value == worker.id_number]
    for cell in (row[0], row[4]):  # 姓名, 岗位
        assert cell.data_type == "s"
        assert isinstance(cell.value, str)
        assert cell.value == "'" + name


def test_it_writes_id_and_phone_as_text(personas: Personas, admin_client: Client) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_export(admin_client, personas))).worksheets[0]
    assert [(cell.data_type, type(cell.value)) for cell in (sheet["B2"], sheet["C2"])] == [("s", str), ("s", str)]


def test_it_logs_nothing_when_the_evaluator_is_refused(personas: Personas) -> None:
    response = personas.client(personas.evaluator).get(reverse("orgs:roster_export", args=[personas.employer.code]))
    assert response.status_code == 403
    assert ExportLog.objects.count() == 0


# --- template ------------------------------------------------------------------------------------


def _template(client: Client, personas: Personas) -> bytes:
    response = client.get(reverse("orgs:roster_template", args=[personas.employer.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    return response.content


def test_it_puts_the_headers_in_row_one_in_column_order(personas: Personas, admin_client: Client) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_template(admin_client, personas))).worksheets[0]
    assert sheet.title == "花名册"
    assert [cell.value for cell in sheet[1]] == [column.header for column in COLUMNS]
    assert sheet.max_row == 1


def test_it_formats_the_id_and_phone_columns_as_text(personas: Personas, admin_client: Client) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_template(admin_client, personas))).worksheets[0]
    assert sheet.column_dimensions["B"].number_format == "@"  # 身份证号
    phone = sheet.column_dimensions["C"]  # 手机号: may share a <col> range with the next columns
    assert phone.min <= 3 <= phone.max
    assert phone.number_format == "@"


def test_it_offers_the_roles_as_a_drop_down(personas: Personas, admin_client: Client) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_template(admin_client, personas))).worksheets[0]
    [validation] = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert str(validation.sqref) == "F2:F20001"
    assert validation.formula1 == '"主要负责人,职业卫生管理人员,接害劳动者,其他"'


def test_it_lists_the_hazard_catalogue_in_the_template(personas: Personas, admin_client: Client) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(_template(admin_client, personas)))
    assert workbook.sheetnames == ["花名册", "填写说明", "危害因素目录"]
    catalogue = list(workbook["危害因素目录"].iter_rows(values_only=True))
    assert catalogue[0] == ("类别", "序号", "名称", "备注", "也可写作")
    assert len(catalogue) - 1 == HazardFactor.objects.filter(in_catalogue=True).count()
    assert ("物理因素", "1", "噪声", "", "噪音、生产性噪声") in catalogue
    assert ("其他因素", "2", "井下不良作业条件", "限于井下工人", "井下作业、井下不良作业条件（限于井下工人）") in catalogue


def test_it_imports_a_filled_in_template(personas: Personas, admin_client: Client) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(_template(admin_client, personas)))
    sheet = workbook["花名册"]
    sheet.append(person(1, "张三", hire_date="2023-09-01"))
    sheet.append(person(2, "李四", role="其他", exposures=""))
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_file(personas.employer, buffer.getvalue())
    assert (result.new, result.warnings) == (2, [])
    assert Worker.objects.get(id_number=make_id(1)).hire_date == dt.date(2023, 9, 1)


# --- round trip ----------------------------------------------------------------------------------


def test_it_reimports_an_exported_roster_unchanged(personas: Personas, admin_client: Client) -> None:
    import_file(personas.employer, xlsx_bytes(table(
        person(1, "张三", department="采掘一队", exposures="矽尘、噪声", hire_date="2019-04-01"),
        person(2, "李四", department="", post="", role="主要负责人", exposures="", hire_date=""),
        person(3, "王五", department="机修车间", role="职业卫生管理人员", exposures="电焊烟尘"),
    )))
    before_state, before_counts = _state(personas.employer), counts()
    result = check(personas.employer, _export(admin_client, personas))
    assert result.ok, result.errors
    assert (result.new, result.updated) == (0, 4)
    assert result.warnings == []
    import_file(personas.employer, _export(admin_client, personas))
    assert _state(personas.employer) == before_state
    assert counts() == before_counts


def test_it_keeps_departed_workers_departed_on_round_trip(personas: Personas, admin_client: Client) -> None:
    departed = WorkerFactory(employer=personas.employer, name="离职者", is_active=False)
    import_file(personas.employer, _export(admin_client, personas))
    departed.refresh_from_db()
    assert not departed.is_active


def test_it_keeps_formula_like_text_on_round_trip(personas: Personas, admin_client: Client) -> None:
    worker = WorkerFactory(employer=personas.employer, name="-2", post="-")
    import_file(personas.employer, _export(admin_client, personas))
    worker.refresh_from_db()
    assert (worker.name, worker.post) == ("-2", "-")
