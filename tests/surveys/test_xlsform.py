"""XLSForm in and out: the round trip, pyxform reading our file, a Kobo/ODK-made form, every error
named by sheet, row and column, all-or-nothing writes, the admin pages and the commands."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook
from wagtail.models import ModelLogEntry

from surveys.models import Item, ItemKind, ItemType, Questionnaire, SurveyImport
from surveys.services.imports import SurveyImportStatus, survey_import_commit, survey_import_start
from surveys.services.xlsform import questionnaire_import, questionnaire_xlsform

pytestmark = pytest.mark.django_db

YES_NO = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]
ITEM_FIELDS = ("code", "kind", "type", "label", "hint", "choices", "answer", "points", "dimension_id",
               "respondent_field", "yes_value", "not_applicable_value", "relevant", "required", "min_value",
               "max_value")


def _questionnaire() -> Questionnaire:
    questionnaire = Questionnaire.objects.create(title="接害劳动者职业健康知识问卷", form_id="awareness_2026",
                                                 version="2026.1", threshold=Decimal("0.75"), intro="匿名填写")
    rows: list[dict[str, Any]] = [
        dict(code="sex", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="性别", respondent_field="sex",
             choices=[{"value": "male", "label": "男"}, {"value": "female", "label": "女"}]),
        dict(code="years", kind=ItemKind.RESPONDENT, type=ItemType.INTEGER, label="接害工龄", hint="整年",
             respondent_field="years_exposed", min_value=0, max_value=60, required=False),
        dict(code="noise", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="是否接触噪声", choices=YES_NO),
        dict(code="intro", kind=ItemKind.NOTE, type=ItemType.NOTE, label="以下是知识题", required=False),
        dict(code="k1", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_ONE, label="职业病防治法何时施行", points=2,
             dimension_id="law", answer=["b"],
             choices=[{"value": "a", "label": "1999"}, {"value": "b", "label": "2002"}]),
        dict(code="k2", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_MULTIPLE, label="防尘口罩怎样戴", points=1,
             dimension_id="protection_skills", answer=["a", "c"],
             choices=[{"value": "a", "label": "贴合"}, {"value": "b", "label": "松一点"}, {"value": "c", "label": "检查气密"}]),
        dict(code="k3", kind=ItemKind.KNOWLEDGE, type=ItemType.TRUE_FALSE, label="噪声会致聋", points=1,
             dimension_id="protection_knowledge", answer=["true"], relevant="${noise} = 'yes'",
             choices=[{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]),
        dict(code="earplug", kind=ItemKind.BEHAVIOUR, type=ItemType.SELECT_ONE, label="是否正确佩戴耳塞",
             relevant="${noise} = 'yes'", yes_value="yes", not_applicable_value="na",
             choices=[*YES_NO, {"value": "na", "label": "不适用"}]),
        dict(code="remark", kind=ItemKind.RESPONDENT, type=ItemType.TEXT, label="其他意见", required=False),
    ]
    for position, row in enumerate(rows):
        Item.objects.create(questionnaire=questionnaire, sort_order=position, **row)
    return questionnaire


def _fields(questionnaire: Questionnaire) -> list[tuple[Any, ...]]:
    return [tuple(getattr(item, name) for name in ITEM_FIELDS)
            for item in questionnaire.items.order_by("sort_order", "pk")]


def _xlsx(survey: list[list[Any]], choices: list[list[Any]] | None = None,
          settings: list[list[Any]] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        choice_sheet = workbook.create_sheet("choices")
        for row in choices:
            choice_sheet.append(row)
    if settings is not None:
        settings_sheet = workbook.create_sheet("settings")
        for row in settings:
            settings_sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_export_then_import_gives_the_same_items(personas):
    source = _questionnaire()
    expected = _fields(source)
    content = questionnaire_xlsform(questionnaire=source)
    # Imported as a new questionnaire: the original moves out of the way of its form_id.
    Questionnaire.objects.filter(pk=source.pk).update(form_id="moved_away")
    report = questionnaire_import(actor=personas.editor, file=content, dry_run=False, name="awareness_2026.xlsx")
    assert report.errors == [] and report.skipped == []
    imported = Questionnaire.objects.get(form_id="awareness_2026")
    assert (imported.title, imported.version, imported.threshold, imported.intro) == (
        "接害劳动者职业健康知识问卷", "2026.1", Decimal("0.75"), "匿名填写")
    assert _fields(imported) == expected
    assert report.committed and report.created == 9
    assert ModelLogEntry.objects.filter(action="surveys.questionnaire.import", object_id=str(imported.pk)).count() == 1


def test_pyxform_reads_the_exported_form(personas):
    from pyxform.xls2xform import convert

    result = convert(xlsform=questionnaire_xlsform(questionnaire=_questionnaire()), validate=False,
                     form_name="awareness_2026")
    xform = result.xform
    for code in ("sex", "years", "noise", "k1", "k2", "k3", "earplug", "remark"):
        assert f"/awareness_2026/{code}" in xform
    binds = {re.search(r'nodeset="([^"]+)"', bind).group(1): bind for bind in re.findall(r"<bind [^>]*>", xform)}
    assert 'relevant=" /awareness_2026/noise  = \'yes\'"' in binds["/awareness_2026/k3"]
    assert 'relevant=" /awareness_2026/noise  = \'yes\'"' in binds["/awareness_2026/earplug"]
    assert 'constraint=". &gt;= 0 and . &lt;= 60"' in binds["/awareness_2026/years"]
    assert 'required="true()"' in binds["/awareness_2026/sex"]
    assert 'required="false()"' in binds["/awareness_2026/years"]
    assert "<name>na</name>" in xform and "2002" in xform


def test_a_form_made_the_kobo_way_imports_and_lists_what_it_leaves_out(personas):
    content = _xlsx(
        [["type", "name", "label::Chinese (zh)", "label::English (en)", "required", "relevant", "appearance",
          "calculation", "answer", "points", "dimension"],
         ["start", "start", "", "", "", "", "", "", "", "", ""],
         ["begin_group", "basic", "基本情况", "Basics", "", "", "field-list", "", "", "", ""],
         ["select_one yn", "noise", "是否接触噪声", "Noise?", "yes", "", "", "", "", "", ""],
         ["integer", "age", "年龄", "Age", "TRUE()", "", "", "", "", "", ""],
         ["end_group", "", "", "", "", "", "", "", "", "", ""],
         ["calculate", "double_age", "", "", "", "", "", "${age} * 2", "", "", ""],
         ["geopoint", "where", "位置", "Where", "", "", "", "", "", "", ""],
         ["begin group", "noisy", "", "", "", "${noise} = 'yes'", "", "", "", "", ""],
         ["select_one tf", "k1", "噪声会致聋", "Noise deafens", "yes", "", "", "", "对", "2", "职业健康保护基本知识"],
         ["end group", "", "", "", "", "", "", "", "", "", ""]],
        [["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
         ["yn", "yes", "是", "Yes"], ["yn", "no", "否", "No"], ["tf", "对", "对", "True"], ["tf", "错", "错", "False"]],
        [["form_title", "form_id", "version"], ["噪声调查", "noise_kobo", "3"]],
    )
    report = questionnaire_import(actor=personas.editor, file=content, dry_run=False, name="noise.xlsx")
    assert report.errors == []
    assert [skipped.text for skipped in report.skipped] == [
        "survey 表第 2 行 type=start：不支持，已跳过",
        "survey 表第 3 行 appearance=field-list：不支持，已忽略",
        "survey 表第 7 行 calculation=${age} * 2：不支持，已忽略",
        "survey 表第 7 行 type=calculate：不支持，已跳过",
        "survey 表第 8 行 type=geopoint：不支持，已跳过",
    ]
    assert report.notes == ["只导入了一种语言的文字（label::Chinese (zh)），未导入：label::English (en)"]
    questionnaire = Questionnaire.objects.get(form_id="noise_kobo")
    items = list(questionnaire.items.order_by("sort_order"))
    assert [(item.code, item.kind, item.type) for item in items] == [
        ("basic", "note", "note"), ("noise", "respondent", "select_one"), ("age", "respondent", "integer"),
        ("k1", "knowledge", "true_false")]
    k1 = items[3]
    assert (k1.answer, k1.points, k1.dimension_id, k1.relevant, k1.label) == (
        ["true"], 2, "protection_knowledge", "${noise} = 'yes'", "噪声会致聋")
    assert items[2].required is True and items[1].choices == YES_NO


def test_every_error_names_sheet_row_and_column_and_nothing_is_written(personas):
    content = _xlsx(
        [["type", "name", "label", "required", "relevant", "answer", "points", "dimension", "kind"],
         ["select_one yesno", "noise", "是否接触噪声", "yes", "", "", "", "", ""],
         ["select_one ab", "k1", "第一题", "maybe", "", "c", "0", "", ""],
         ["select_one ab", "k2", "第二题", "yes", "${later} = 'a'", "a", "1", "law", ""],
         ["integer", "k1", "重复", "", "", "", "", "", "quiz"],
         ["select_one ab", "k3", "第三题", "", "", "a", "1", "天文", ""]],
        [["list_name", "name", "label"], ["ab", "a", "甲"], ["ab", "b", "乙"], ["ab", "b", "丙"], ["ab", "", "丁"]],
        [["form_title", "form_id"], ["坏问卷", "bad_form"]],
    )
    report = questionnaire_import(actor=personas.editor, file=content, dry_run=False, name="bad.xlsx")
    assert [error.text for error in report.errors] == [
        "choices 表第 4 行，name 列：选项值 b 与第 3 行重复",
        "choices 表第 5 行，name 列：请填写选项值",
        "survey 表第 2 行，type 列：选项列表 yesno 不存在",
        "survey 表第 3 行，required 列：应为 yes 或 no，不能是“maybe”",
        "survey 表第 3 行，points 列：分值应为正整数，不能是“0”",
        "survey 表第 3 行，answer 列：题目 k1：答案 c 不在选项中",
        "survey 表第 3 行，dimension 列：题目 k1：请选择素养维度",
        "survey 表第 4 行，relevant 列：" + report.errors[7].message,
        "survey 表第 5 行，kind 列：不认识的类别“quiz”（可填：respondent 基本情况、knowledge 知识题、behaviour 行为题）",
        "survey 表第 5 行，name 列：题目 k1：题目代码与第 2 题重复",
        "survey 表第 6 行，dimension 列：不认识的素养维度“天文”（可填：healthy_behaviour、law、protection_knowledge、protection_skills）",
    ]
    assert "later" in report.errors[7].message
    assert not report.committed
    assert not Questionnaire.objects.filter(form_id="bad_form").exists()
    assert not Item.objects.exists()


def test_a_dry_run_checks_through_the_same_save_and_writes_nothing(personas):
    content = questionnaire_xlsform(questionnaire=_questionnaire())
    Questionnaire.objects.all().update(form_id="moved_away")
    report = questionnaire_import(actor=personas.editor, file=content, dry_run=True, name="a.xlsx")
    assert report.ok and report.created == 9 and not report.committed
    assert report.details["create"] is True
    assert [row["code"] for row in report.details["items"]][:3] == ["sex", "years", "noise"]
    assert not Questionnaire.objects.filter(form_id="awareness_2026").exists()
    assert not ModelLogEntry.objects.filter(action="surveys.questionnaire.import").exists()


def test_an_unexpressible_constraint_is_listed_and_the_item_kept(personas):
    content = _xlsx([["type", "name", "label", "constraint", "answer", "dimension"],
                     ["integer", "age", "年龄", "regex(., '^[0-9]+$')", "", ""],
                     ["text", "name2", "备注", ". != ''", "", ""],
                     ["integer", "years", "工龄", ". > 0 and . < 61", "", ""],
                     ["select_one ab", "k1", "题", "", "a", "law"]],
                    [["list_name", "name", "label"], ["ab", "a", "甲"], ["ab", "b", "乙"]])
    report = questionnaire_import(actor=personas.editor, file=content, dry_run=False, name="limits.xlsx")
    assert report.ok
    assert [skipped.text for skipped in report.skipped] == [
        "survey 表第 2 行 constraint=regex(., '^[0-9]+$')：无法表达（只支持整数题的 . >= N and . <= M），已忽略",
        "survey 表第 3 行 constraint=. != ''：无法表达（只支持整数题的 . >= N and . <= M），已忽略",
    ]
    years = Item.objects.get(code="years")
    assert (years.min_value, years.max_value) == (1, 60)
    assert Questionnaire.objects.get().form_id == "limits"


def test_importing_a_known_form_id_updates_that_questionnaire_keeping_item_rows(personas):
    questionnaire = _questionnaire()
    k1 = questionnaire.items.get(code="k1")
    content = questionnaire_xlsform(questionnaire=questionnaire)
    report = questionnaire_import(actor=personas.editor, file=content, dry_run=False, name="again.xlsx")
    assert report.ok and report.details["create"] is False
    assert Questionnaire.objects.count() == 1
    assert questionnaire.items.get(code="k1").pk == k1.pk


def test_only_editors_may_import(personas):
    content = questionnaire_xlsform(questionnaire=_questionnaire())
    Questionnaire.objects.all().update(form_id="moved_away")
    report = questionnaire_import(actor=personas.outsider, file=content, dry_run=False, name="a.xlsx")
    assert [error.text for error in report.errors] == ["survey 表：只有内容编辑可以修改调查问卷"]
    assert Questionnaire.objects.count() == 1


def test_a_file_that_is_not_an_xlsform_is_refused_whole(personas):
    from surveys.services.imports import SurveyFileError

    with pytest.raises(SurveyFileError, match=r"只接受 \.xlsx"):
        questionnaire_import(actor=personas.editor, file=b"type,name\n", dry_run=True)
    with pytest.raises(SurveyFileError, match="找不到 survey 表"):
        workbook = Workbook()
        stream = io.BytesIO()
        workbook.save(stream)
        questionnaire_import(actor=personas.editor, file=stream.getvalue(), dry_run=True)


# -- the job record and the admin pages ----------------------------------------------------------
def test_the_upload_is_checked_then_written_on_confirm(personas):
    content = questionnaire_xlsform(questionnaire=_questionnaire())
    Questionnaire.objects.all().update(form_id="moved_away")
    job = survey_import_start(actor=personas.editor, kind=SurveyImport.Kind.XLSFORM, file=content,
                              original_name="awareness.xlsx")
    assert job.status == SurveyImportStatus.CHECKED and job.errors == []
    assert not Questionnaire.objects.filter(form_id="awareness_2026").exists()
    job = survey_import_commit(actor=personas.editor, job=job)
    job.refresh_from_db()
    assert job.status == SurveyImportStatus.IMPORTED
    assert Questionnaire.objects.get(form_id="awareness_2026").items.count() == 9
    with pytest.raises(Exception, match="只有检查通过"):
        survey_import_commit(actor=personas.editor, job=job)


def test_admin_upload_check_page_and_confirm(personas):
    content = questionnaire_xlsform(questionnaire=_questionnaire())
    Questionnaire.objects.all().update(form_id="moved_away")
    client = personas.client(personas.editor)
    upload = io.BytesIO(content)
    upload.name = "awareness.xlsx"
    response = client.post(reverse("surveys_xlsform_import"), {"file": upload})
    assert response.status_code == 302
    job = SurveyImport.objects.get()
    page = client.get(reverse("surveys_xlsform_import_detail", args=[job.code]))
    assert page.status_code == 200
    assert "检查通过" in page.content.decode() and "防尘口罩怎样戴" in page.content.decode()
    response = client.post(reverse("surveys_xlsform_import_confirm", args=[job.code]))
    assert response.status_code == 302
    assert Questionnaire.objects.filter(form_id="awareness_2026").exists()


def test_admin_check_page_lists_errors_and_skipped_rows(personas):
    content = _xlsx([["type", "name", "label", "answer", "dimension"],
                     ["geopoint", "where", "位置", "", ""],
                     ["select_one nope", "k1", "题", "a", "law"]], [["list_name", "name", "label"]])
    client = personas.client(personas.editor)
    upload = io.BytesIO(content)
    upload.name = "bad.xlsx"
    client.post(reverse("surveys_xlsform_import"), {"file": upload})
    job = SurveyImport.objects.get()
    assert job.status == SurveyImportStatus.REJECTED
    text = client.get(reverse("surveys_xlsform_import_detail", args=[job.code])).content.decode()
    assert "选项列表 nope 不存在" in text and "type=geopoint" in text
    assert "确认导入</button>" not in text


def test_admin_xlsform_download_is_audited(personas):
    questionnaire = _questionnaire()
    response = personas.client(personas.editor).get(reverse("surveys_xlsform_export", args=[questionnaire.code]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('awareness_2026.xlsx"')
    assert ModelLogEntry.objects.filter(action="surveys.questionnaire.export").count() == 1


@pytest.mark.parametrize("name", ["surveys_xlsform_import", "surveys_xlsform_export", "surveys_xlsform_import_detail"])
def test_outsiders_get_nothing_from_the_admin_pages(personas, name):
    questionnaire = _questionnaire()
    job = SurveyImport.objects.create(kind=SurveyImport.Kind.XLSFORM, original_name="x.xlsx", file="x.xlsx")
    args = {"surveys_xlsform_import": [], "surveys_xlsform_export": [questionnaire.code],
            "surveys_xlsform_import_detail": [job.code]}[name]
    for user in (personas.outsider, personas.evaluator, personas.worker_user):
        response = personas.client(user).get(reverse(name, args=args))
        # Wagtail sends whoever may not use the admin to its sign-in page; others get 403.
        assert response.status_code in (302, 403)
        assert "awareness_2026" not in response.content.decode()


# -- the commands --------------------------------------------------------------------------------
def test_commands_export_then_dry_run_import(personas, tmp_path, capsys):
    _questionnaire()
    target = tmp_path / "form.xlsx"
    call_command("questionnaire_export", "awareness_2026", "--output", str(target))
    assert target.stat().st_size > 0
    Questionnaire.objects.all().update(form_id="moved_away")
    call_command("questionnaire_import", str(target), "--dry-run")
    out = capsys.readouterr().out
    assert "检查通过（未写入）：将新建问卷 awareness_2026，9 道题" in out
    assert not Questionnaire.objects.filter(form_id="awareness_2026").exists()
    call_command("questionnaire_import", str(target))
    assert Questionnaire.objects.filter(form_id="awareness_2026").exists()


def test_command_prints_the_same_errors_and_fails(personas, tmp_path, capsys):
    target = tmp_path / "bad.xlsx"
    target.write_bytes(_xlsx([["type", "name", "label", "answer", "dimension"],
                              ["select_one nope", "k1", "题", "a", "law"]], [["list_name", "name", "label"]]))
    with pytest.raises(CommandError, match=r"发现 \d+ 处问题，未写入任何数据"):
        call_command("questionnaire_import", str(target), "--dry-run")
    assert "survey 表第 2 行，type 列：选项列表 nope 不存在" in capsys.readouterr().out
