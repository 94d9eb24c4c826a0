"""Paper questionnaires from the data-entry template: the template a clerk reads, rows checked like
online responses and named by row and column, all or nothing, the pages (scoped) and the command."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from orgs.models import PostRole, Region
from surveys.models import Response, SurveyImport, Wave
from surveys.services.imports import SurveyImportStatus
from surveys.services.paper import paper_import, paper_template
from tests.surveys.test_frame import import_urls  # noqa: F401  (the pages' URLs)
from tests.surveys.test_xlsform import _questionnaire

pytestmark = pytest.mark.django_db

OPENS = timezone.make_aware(dt.datetime(2026, 6, 5, 9, 0))
CODES = ["问卷编号", "填表日期", "sex", "years", "noise", "k1", "k2", "k3", "earplug", "remark"]


@pytest.fixture
def wave(personas) -> Wave:
    return Wave.objects.create(questionnaire=_questionnaire(), title="2026 年徐州市重点人群调查",
                               region=Region.objects.get(code="320300"), opens_at=OPENS,
                               closes_at=OPENS + dt.timedelta(days=30), groups=[PostRole.EXPOSED])


def _filled(wave: Wave, rows: list[list[Any]]) -> bytes:
    workbook = load_workbook(io.BytesIO(paper_template(wave=wave)))
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


GOOD = [["P001", "2026-06-12", "女", 12, "是", "b", "a c", "对", "yes", ""],
        ["P002", dt.datetime(2026, 6, 13), "male", "3", "no", "A", "a", None, None, "无"]]


def test_the_template_shows_codes_then_wording_then_what_to_write(personas, wave):
    sheet = load_workbook(io.BytesIO(paper_template(wave=wave))).worksheets[0]
    assert [cell.value for cell in sheet[1]] == CODES
    assert [cell.value for cell in sheet[2]][:4] == ["【题目】", "例：2026-06-15", "性别", "接害工龄"]
    helps = [cell.value for cell in sheet[3]]
    assert helps[0] == "【填写说明】"
    assert helps[2] == "单选，填选项代码或文字：male 男；female 女。必填"
    assert helps[3] == "整数 0–60"
    assert helps[7] == "填 对 或 错。仅当 ${noise} = 'yes' 时填写，否则留空"


def test_good_rows_become_paper_responses(personas, wave):
    report = paper_import(actor=personas.evaluator, wave=wave, file=_filled(wave, GOOD), dry_run=False)
    assert report.errors == [] and report.committed and report.created == 2
    first, second = Response.objects.filter(wave=wave).order_by("paper_number")
    assert (first.paper_number, first.source, first.sex, first.years_exposed, first.entered_by_id) == (
        "P001", "paper", "female", 12, personas.evaluator.pk)
    # k1 (2 points) + k2 (1) + k3 (1) right: 4 of 4; P002 saw no k3 (noise = no): k1 wrong, k2 wrong.
    assert (first.points_earned, first.points_possible) == (4, 4)
    assert (second.points_earned, second.points_possible) == (0, 3)
    assert timezone.localtime(first.submitted_at).date() == dt.date(2026, 6, 12)
    entry = ModelLogEntry.objects.get(action="surveys.paper.import")
    assert entry.data == {"responses": 2, "dry_run": False}


def test_one_bad_row_writes_nothing_and_every_bad_cell_is_named(personas, wave):
    rows = [*GOOD,
            ["P003", "2026-06-14", "female", 99, "no", "b", "a", None, None, None],
            ["P001", "2026-06-14", "female", 1, "no", "b", "a", None, None, None],
            ["P004", "2026-05-01", "female", 1, "no", "b", "a", None, None, None],
            ["P005", "2026-06-14", "female", 1, "no", "b", "z", None, "yes", None],
            ["P006", "不知道", "", 1, "no", "b", "a", None, None, None]]
    report = paper_import(actor=personas.evaluator, wave=wave, file=_filled(wave, rows), dry_run=False)
    assert [error.text for error in report.errors] == [
        "第 6 行 D 列（years）：不能大于 60",
        "第 7 行 A 列（问卷编号）：问卷编号 P001 与第 4 行重复",
        "第 8 行 B 列（填表日期）：填表日期 2026-05-01 早于调查开始（2026-06-05）",
        "第 9 行 G 列（k2）：“z”不是本题的选项（可选：a、b、c）",
        "第 9 行 I 列（earplug）：按跳题规则本题不适用，不应作答",
        "第 10 行 B 列（填表日期）：请填写日期，例如 2026-06-15，不能是“不知道”",
        "第 10 行 C 列（sex）：本题必答",
    ]
    assert not report.committed
    assert not Response.objects.exists()
    assert not ModelLogEntry.objects.filter(action="surveys.paper.import").exists()


def test_a_dry_run_goes_through_the_writes_and_keeps_none(personas, wave):
    report = paper_import(actor=personas.evaluator, wave=wave, file=_filled(wave, GOOD), dry_run=True)
    assert report.ok and report.created == 2 and not report.committed
    assert not Response.objects.exists()


def test_a_sheet_entered_before_is_refused(personas, wave):
    paper_import(actor=personas.evaluator, wave=wave, file=_filled(wave, GOOD[:1]), dry_run=False)
    report = paper_import(actor=personas.evaluator, wave=wave, file=_filled(wave, GOOD), dry_run=False)
    assert [error.text for error in report.errors] == ["第 4 行 A 列（问卷编号）：问卷编号 P001 已经录入过"]
    assert Response.objects.count() == 1


def test_an_unknown_column_is_named(personas, wave):
    content = _filled(wave, GOOD)
    workbook = load_workbook(io.BytesIO(content))
    workbook.worksheets[0].cell(row=1, column=11, value="k9")
    stream = io.BytesIO()
    workbook.save(stream)
    report = paper_import(actor=personas.evaluator, wave=wave, file=stream.getvalue(), dry_run=True)
    assert [error.text for error in report.errors] == ["第 1 行 K 列（k9）：问卷中没有题目 k9"]


# -- the pages -----------------------------------------------------------------------------------
def test_evaluator_downloads_the_template_uploads_and_confirms(personas, wave):
    client = personas.client(personas.evaluator)
    template = client.get(reverse("surveys:paper_template", args=[wave.code]))
    assert template.status_code == 200 and template.content.startswith(b"PK")
    upload = io.BytesIO(_filled(wave, GOOD))
    upload.name = "paper.xlsx"
    assert client.post(reverse("surveys:paper_import", args=[wave.code]), {"file": upload}).status_code == 302
    job = SurveyImport.objects.get()
    assert job.status == SurveyImportStatus.CHECKED
    text = client.get(reverse("surveys:paper_import_detail", args=[wave.code, job.code])).content.decode()
    assert "将录入 2 份纸质问卷" in text
    client.post(reverse("surveys:paper_import_confirm", args=[wave.code, job.code]))
    job.refresh_from_db()
    assert job.status == SurveyImportStatus.IMPORTED and Response.objects.filter(wave=wave).count() == 2


def test_outsiders_get_404_on_every_paper_page(personas, wave):
    job = SurveyImport.objects.create(kind=SurveyImport.Kind.PAPER, wave=wave, original_name="p.xlsx", file="p.xlsx",
                                      status=SurveyImportStatus.CHECKED)
    pages = [("get", "surveys:paper_import", [wave.code]), ("get", "surveys:paper_template", [wave.code]),
             ("get", "surveys:paper_import_detail", [wave.code, job.code]),
             ("post", "surveys:paper_import_confirm", [wave.code, job.code]),
             ("post", "surveys:paper_import", [wave.code])]
    for user in (personas.outsider, personas.employer_admin, personas.worker_user, personas.editor):
        client = personas.client(user)
        for method, name, args in pages:
            assert getattr(client, method)(reverse(name, args=args)).status_code == 404, (user, name)
    assert not Response.objects.exists()


# -- the command ---------------------------------------------------------------------------------
def test_command_prints_the_same_errors(personas, wave, tmp_path, capsys):
    target = tmp_path / "paper.xlsx"
    target.write_bytes(_filled(wave, [*GOOD, ["P003", "2026-06-14", "female", 99, "no", "b", "a"]]))
    with pytest.raises(CommandError, match="发现 1 处问题，未写入任何数据"):
        call_command("paper_import", wave.code, str(target), "--dry-run", "--user", "evaluator")
    assert "第 6 行 D 列（years）：不能大于 60" in capsys.readouterr().out
    target.write_bytes(_filled(wave, GOOD))
    call_command("paper_import", wave.code, str(target), "--user", "evaluator")
    assert "已导入：2 份纸质问卷" in capsys.readouterr().out
    assert Response.objects.filter(wave=wave, source="paper").count() == 2
