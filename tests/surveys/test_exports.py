"""The awareness workbook and the .sav: their sheets, figures, charts and de-identified rows, the
split at Excel's row limit, and the job that builds, keeps, logs and audits them.

The world (build_world, shared by test_dashboard, test_api and test_export_worker):
- 徐州 wave (320300, no frame): three paper responses in 云龙区 (320305): all right (4/4, aware),
  k1 wrong (2/4 = 0.5, not aware), no noise so k3 skipped (3/3, aware) → awareness 2/3;
- 江苏 wave (320000) over a frame of 320305 × B × 接害劳动者 (population 1,000, quota 4) and
  320100 × B × 接害劳动者 (3,000, quota 10): 320305 has one aware of two, 320100 three of three.
  The Xuzhou evaluator reads the 320305 part only: 1/2. Whole wave, weighted (500 and 1,000 each):
  (500 + 3 × 1,000) ÷ 4,000 = 0.875;
- 河源 wave (441600), one response: out of the Xuzhou evaluator's reach.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from core.models import ExportLog, JobStatus
from orgs.models import Evaluator, Industry, PostRole, Region
from surveys.models import AwarenessExport, Item, ItemKind, ItemType, Questionnaire, Stratum, Wave
from surveys.services import exports
from surveys.services.responses import response_paper_record
from surveys.services.types import (
    AwarenessTable,
    BehaviourRow,
    DimensionRow,
    Estimate,
    ItemRow,
    StratumRow,
    TrendPoint,
)
from tests.conftest import Personas
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

YES_NO = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]
ALL_RIGHT = {"sex": "female", "group": "exposed", "industry": "B", "noise": "yes", "k1": "b", "k2": ["a", "c"],
             "k3": "true", "earplug": "yes"}
HALF = {**ALL_RIGHT, "k1": "a", "earplug": "no"}
NO_NOISE = {"sex": "male", "group": "exposed", "industry": "B", "noise": "no", "k1": "b", "k2": ["c", "a"]}
PII_HEADERS = ("姓名", "身份证", "手机", "电话", "劳动者", "答题码", "token", "worker")


def make_questionnaire() -> Questionnaire:
    questionnaire = Questionnaire.objects.create(title="接害劳动者职业健康知识问卷", form_id="exports-test",
                                                 threshold=Decimal("0.80"))
    rows: list[dict[str, Any]] = [
        dict(code="region", kind=ItemKind.RESPONDENT, type=ItemType.TEXT, label="所在地区", respondent_field="region"),
        dict(code="industry", kind=ItemKind.RESPONDENT, type=ItemType.TEXT, label="行业", respondent_field="industry"),
        dict(code="group", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="岗位类别", respondent_field="group",
             choices=[{"value": value, "label": str(label)} for value, label in PostRole.choices]),
        dict(code="sex", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="性别", respondent_field="sex",
             choices=[{"value": "male", "label": "男"}, {"value": "female", "label": "女"}]),
        dict(code="noise", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="是否接触噪声", choices=YES_NO),
        dict(code="intro", kind=ItemKind.NOTE, type=ItemType.NOTE, label="以下是知识题", required=False),
        dict(code="k1", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_ONE, label="职业病防治法何时施行", points=2,
             dimension_id="law", answer=["b"], choices=[{"value": "a", "label": "1999"}, {"value": "b", "label": "2002"}]),
        dict(code="k2", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_MULTIPLE, label="防尘口罩怎样戴", points=1,
             dimension_id="protection_skills", answer=["a", "c"],
             choices=[{"value": "a", "label": "贴合"}, {"value": "b", "label": "松一点"}, {"value": "c", "label": "检查气密"}]),
        dict(code="k3", kind=ItemKind.KNOWLEDGE, type=ItemType.TRUE_FALSE, label="噪声会致聋", points=1,
             dimension_id="protection_knowledge", answer=["true"], relevant="${noise} = 'yes'",
             choices=[{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]),
        dict(code="earplug", kind=ItemKind.BEHAVIOUR, type=ItemType.SELECT_ONE, label="是否正确佩戴耳塞",
             relevant="${noise} = 'yes'", yes_value="yes", not_applicable_value="na",
             choices=[*YES_NO, {"value": "na", "label": "不适用"}]),
    ]
    for position, row in enumerate(rows):
        Item.objects.create(questionnaire=questionnaire, sort_order=position, **row)
    return questionnaire


@dataclass
class World:
    questionnaire: Questionnaire
    xuzhou: Wave
    jiangsu: Wave
    heyuan: Wave
    heyuan_evaluator: Any
    jiangsu_evaluator: Any


def _wave(questionnaire: Questionnaire, region: str, title: str, *, days_ago: int = 10) -> Wave:
    now = timezone.now()
    return Wave.objects.create(questionnaire=questionnaire, title=title, region=Region.objects.get(code=region),
                               opens_at=now - dt.timedelta(days=days_ago), closes_at=now + dt.timedelta(days=20),
                               groups=[PostRole.EXPOSED])


def _answer(wave: Wave, clerk: Any, number: int, region: str, answers: dict[str, Any]) -> None:
    response_paper_record(wave=wave, answers={**answers, "region": region}, paper_number=f"P{number:04d}",
                          filled_on=timezone.localdate(), entered_by=clerk)


def build_world(personas: Personas) -> World:
    questionnaire = make_questionnaire()
    clerk = personas.evaluator
    xuzhou = _wave(questionnaire, "320300", "2026 年徐州市知晓率调查")
    jiangsu = _wave(questionnaire, "320000", "2026 年江苏省知晓率调查", days_ago=30)
    heyuan = _wave(questionnaire, "441600", "2026 年河源市知晓率调查")
    section_b = Industry.objects.get(code="B")
    Stratum.objects.create(wave=jiangsu, region_id="320305", industry=section_b, group=PostRole.EXPOSED,
                           population=1000, quota=4)
    Stratum.objects.create(wave=jiangsu, region_id="320100", industry=section_b, group=PostRole.EXPOSED,
                           population=3000, quota=10)
    for number, answers in enumerate([ALL_RIGHT, HALF, NO_NOISE], start=1):
        _answer(xuzhou, clerk, number, "320305", answers)
    for number, (region, answers) in enumerate([("320305", ALL_RIGHT), ("320305", HALF), ("320100", ALL_RIGHT),
                                                ("320100", NO_NOISE), ("320100", ALL_RIGHT)], start=1):
        _answer(jiangsu, clerk, number, region, answers)
    _answer(heyuan, clerk, 1, "441621", ALL_RIGHT)
    heyuan_evaluator = UserFactory(username="heyuan-evaluator")
    Evaluator.objects.create(user=heyuan_evaluator, region=Region.objects.get(code="441600"))
    jiangsu_evaluator = UserFactory(username="jiangsu-evaluator")
    Evaluator.objects.create(user=jiangsu_evaluator, region=Region.objects.get(code="320000"))
    return World(questionnaire, xuzhou, jiangsu, heyuan, heyuan_evaluator, jiangsu_evaluator)


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


def sheet_values(workbook: Any, name: str) -> list[list[Any]]:
    return [list(row) for row in workbook[name].iter_rows(values_only=True)]


def summary_of(workbook: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in sheet_values(workbook, "汇总") if row[0]}


def run_export(export: AwarenessExport) -> AwarenessExport:
    exports.awareness_export_run(job_id=export.pk)
    export.refresh_from_db()
    return export


# -- the workbook writer, on a table made by hand --------------------------------------------------

def _estimate(rate: float | None, n: int, target: float | None = None) -> Estimate:
    low, high = (None, None) if rate is None else (max(0.0, rate - 0.1), min(1.0, rate + 0.1))
    met = None if target is None or rate is None else rate >= target
    clears = None if target is None or low is None else low >= target
    return Estimate(rate, n, float(n), low, high, target, met, clears)


def hand_table() -> AwarenessTable:
    return AwarenessTable(
        wave_code="W1", wave_title="手工轮次", questionnaire_title="手工问卷", region_code="320300", region_name="徐州市",
        year=2026, threshold=0.8, weighted=True, respondents=4, awareness=_estimate(0.75, 4, 0.9),
        item_average=_estimate(0.625, 8),
        strata=[StratumRow(7, "320305", "云龙区", "B", "采矿业", "exposed", "接害劳动者", 1000, 4, 4, 250.0,
                           _estimate(0.75, 4, 0.9))],
        dimensions=[DimensionRow("law", "法律法规", 1, _estimate(0.5, 4, 0.9)),
                    DimensionRow("protection_skills", "防护技能", 1, _estimate(1.0, 4, 0.9))],
        items=[ItemRow("k1", "职业病防治法何时施行", "law", "法律法规", 4, 2, _estimate(0.5, 4)),
               ItemRow("k2", "=SUM(A1)", "protection_skills", "防护技能", 4, 3, _estimate(0.75, 4))],
        behaviours=[BehaviourRow("earplug", "是否正确佩戴耳塞", "earplug", "耳塞佩戴率", 3, 2, _estimate(2 / 3, 3, 0.8))],
        trend=[TrendPoint("W0", "上一轮", 2025, "2025-06-01T00:00:00+08:00", _estimate(0.6, 10, 0.9)),
               TrendPoint("W1", "手工轮次", 2026, "2026-06-01T00:00:00+08:00", _estimate(0.75, 4, 0.9))],
    )


def hand_rows(count: int) -> list[exports.ResponseRow]:
    return [exports.ResponseRow(
        code=f"R{number}", submitted_on=dt.date(2026, 6, 2), source="paper", source_label="纸质录入",
        region_code="320305", region_name="云龙区", industry_code="B", industry_name="采矿业", group="exposed",
        group_label="接害劳动者", sex="female", sex_label="女", age_group="25-34", age_group_label="25–34岁",
        education="senior", education_label="高中/中专/技校", employer_size="small", employer_size_label="小型",
        years_exposed=number, hazards="粉尘、物理因素", stratum="云龙区·采矿业·接害劳动者", weight=250.0,
        score_rate=0.75, aware=number % 2 == 0, dimension_rates=(0.5, None),
        answers={"k1": "b", "k2": ["a", "c"], "years": number, "note_text": "=cmd|' /C calc'!A0"},
    ) for number in range(1, count + 1)]


HAND_ITEMS = (
    exports.ItemColumn("k1", "职业病防治法何时施行", ItemType.SELECT_ONE, ItemKind.KNOWLEDGE, (("a", "1999"), ("b", "2002"))),
    exports.ItemColumn("k2", "防尘口罩怎样戴", ItemType.SELECT_MULTIPLE, ItemKind.KNOWLEDGE,
                       (("a", "贴合"), ("b", "松一点"), ("c", "检查气密"))),
    exports.ItemColumn("years", "接害工龄", ItemType.INTEGER, ItemKind.RESPONDENT, ()),
    exports.ItemColumn("note_text", "建议", ItemType.TEXT, ItemKind.RESPONDENT, ()),
)


def hand_responses(count: int) -> exports.AwarenessResponses:
    return exports.AwarenessResponses(items=HAND_ITEMS, dimensions=(("law", "法律法规"), ("protection_skills", "防护技能")),
                                      period="2026-06-01 — 2026-06-30", count=count, rows=iter(hand_rows(count)))


def test_the_workbook_has_every_sheet_with_the_tables_figures_and_native_charts() -> None:
    stream = io.BytesIO()
    written = exports.awareness_workbook_write(hand_table(), hand_responses(3), stream)
    assert written == 3
    book = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert book.sheetnames == ["汇总", "分层", "维度", "题目", "行为", "趋势", "答卷"]
    summary = summary_of(book)
    assert summary["调查轮次"] == "手工轮次" and summary["问卷"] == "手工问卷" and summary["地区"] == "徐州市（320300）"
    assert summary["调查时间"] == "2026-06-01 — 2026-06-30" and summary["是否加权"] == "是"
    assert summary["知晓标准"] == 0.8 and summary["答卷数"] == 4
    assert summary["知晓率"] == 0.75 and summary["95%置信区间下限"] == pytest.approx(0.65)
    assert summary["目标值"] == 0.9 and summary["是否达标"] == "未达标" and summary["区间下限是否达标"] == "否"
    assert summary["题目平均正确率"] == 0.625 and summary["有效样本量"] == 4
    assert any("Kish" in str(row[1]) for row in sheet_values(book, "汇总"))
    strata = sheet_values(book, "分层")
    assert strata[1][:10] == ["320305", "云龙区", "B", "采矿业", "接害劳动者", 1000, 4, 4, 1.0, 250]
    assert strata[1][10] == 0.75 and strata[1][16:18] == ["未达标", "否"]
    items = sheet_values(book, "题目")
    assert [row[0] for row in items[1:]] == ["k1", "k2"]
    # A label that looks like a formula stays text.
    assert items[2][1] == "'=SUM(A1)"
    assert sheet_values(book, "行为")[1][:6] == ["earplug", "是否正确佩戴耳塞", "earplug", "耳塞佩戴率", 3, 2]
    assert [row[0] for row in sheet_values(book, "趋势")[1:]] == ["W0", "W1"]
    with zipfile.ZipFile(io.BytesIO(stream.getvalue())) as archive:
        charts = sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))
        assert len(charts) == 3
        kinds = "".join(archive.read(name).decode() for name in charts)
    assert "<c:barChart>" in kinds and "<c:lineChart>" in kinds and "<c:barDir val=\"bar\"/>" in kinds


def test_the_responses_sheet_is_de_identified_and_splits_at_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "SHEET_ROWS", 3)  # a header and two rows a sheet
    stream = io.BytesIO()
    exports.awareness_workbook_write(hand_table(), hand_responses(5), stream)
    book = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert book.sheetnames[-3:] == ["答卷", "答卷2", "答卷3"]
    first, second, third = (sheet_values(book, name) for name in ("答卷", "答卷2", "答卷3"))
    assert first[0] == second[0] == third[0]
    assert [row[0] for row in first[1:] + second[1:] + third[1:]] == ["R1", "R2", "R3", "R4", "R5"]
    header = first[0]
    assert header[:18] == ["答卷编号", "提交日期", "来源", "地区代码", "地区", "行业代码", "行业", "人群", "性别", "年龄组",
                           "文化程度", "企业规模", "接害工龄", "接触危害因素", "抽样层", "权重", "得分率", "是否知晓"]
    assert header[18:] == ["法律法规得分率", "防护技能得分率", "k1", "k2", "years", "note_text"]
    assert not [title for title in header if any(word in title for word in PII_HEADERS)]
    row = dict(zip(header, first[1], strict=True))
    assert row["提交日期"] == "2026-06-02" and row["权重"] == 250 and row["得分率"] == 0.75 and row["是否知晓"] == "否"
    assert row["法律法规得分率"] == 0.5 and row["防护技能得分率"] is None
    assert row["k1"] == "b" and row["k2"] == "a c" and row["years"] == 1
    assert row["note_text"] == "'=cmd|' /C calc'!A0"


def test_spss_names_are_ascii_unique_and_not_keywords() -> None:
    taken: set[str] = set()
    assert [exports.spss_name(code, taken) for code in ("k-1", "k_1", "1st", "and", "AND", "知识", "x" * 80)] == [
        "k_1", "k_1_2", "v_1st", "and_", "AND__2", "v", "x" * 64]


def test_the_sav_has_variable_and_value_labels(tmp_path: Path) -> None:
    import pyreadstat

    path = tmp_path / "out.sav"
    assert exports.responses_sav_write(hand_table(), hand_responses(2), path) == 2
    frame, meta = pyreadstat.read_sav(str(path))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["k1"] == "k1 职业病防治法何时施行" and labels["aware"] == "是否知晓" and labels["group"] == "人群"
    assert labels["k2_c"] == "k2 防尘口罩怎样戴：检查气密"
    assert meta.variable_value_labels["k1"] == {1.0: "1999", 2.0: "2002"}
    assert meta.variable_value_labels["sex"][2.0] == "女"
    assert meta.variable_value_labels["k2_a"] == {0.0: "未选", 1.0: "选中"}
    assert list(frame["response"]) == ["R1", "R2"]
    assert list(frame["k1"]) == [2.0, 2.0] and list(frame["k2_a"]) == [1.0, 1.0] and list(frame["k2_b"]) == [0.0, 0.0]
    assert list(frame["aware"]) == [0.0, 1.0] and list(frame["years_exposed"]) == [1.0, 2.0]
    assert list(frame["weight"]) == [250.0, 250.0] and list(frame["note_text"]) == ["=cmd|' /C calc'!A0"] * 2
    assert str(frame["submitted"][0])[:10] == "2026-06-02"
    assert not [name for name in meta.column_names if name in ("name", "id_number", "phone", "worker", "token")]


# -- the job, on the real statistics ----------------------------------------------------------------

def test_an_evaluator_exports_their_part_and_its_figures_are_the_tables(
        world: World, personas: Personas, django_capture_on_commit_callbacks: Any) -> None:
    from surveys.services.statistics import awareness_table

    with django_capture_on_commit_callbacks(execute=True):
        export = exports.awareness_export_start(actor=personas.evaluator, wave=world.jiangsu, format="xlsx",
                                                region_prefix="3203")
    export.refresh_from_db()
    assert export.status == JobStatus.DONE, export.message
    assert export.region_id == "320300" and export.progress_done == export.progress_total == 2
    assert export.message == "已导出 2 份答卷"
    table = awareness_table(wave=world.jiangsu, region_prefix="3203")
    assert table.awareness.rate == pytest.approx(0.5)
    with export.result_file.open("rb") as stream:
        book = openpyxl.load_workbook(io.BytesIO(stream.read()))
    summary = summary_of(book)
    assert summary["知晓率"] == pytest.approx(table.awareness.rate, abs=1e-12)
    assert summary["95%置信区间下限"] == pytest.approx(table.awareness.low, abs=1e-12)
    assert summary["答卷数"] == table.respondents == 2
    responses = sheet_values(book, "答卷")
    assert len(responses) == 3 and {row[3] for row in responses[1:]} == {"320305"}
    log = ExportLog.objects.get(kind="surveys.awareness")
    assert (log.user, log.region_code, log.masked, log.row_count) == (personas.evaluator, "320300", True, 2)
    assert log.filters == {"wave": world.jiangsu.code, "format": "xlsx"}
    from wagtail.models import ModelLogEntry

    entry = ModelLogEntry.objects.get(action="surveys.awareness.export")
    assert entry.user == personas.evaluator and entry.data["rows"] == 2 and entry.data["region"] == "320300"


def test_the_sav_job_writes_the_parts_responses(world: World, personas: Personas,
                                                django_capture_on_commit_callbacks: Any, tmp_path: Path) -> None:
    import pyreadstat

    with django_capture_on_commit_callbacks(execute=True):
        export = exports.awareness_export_start(actor=personas.superuser, wave=world.xuzhou, format="sav",
                                                region_prefix=None)
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.result_file.name.endswith(".sav")
    path = tmp_path / "copy.sav"
    with export.result_file.open("rb") as stream:
        path.write_bytes(stream.read())
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) == 3 and list(frame["aware"]) == [1.0, 0.0, 1.0]
    assert list(frame["score_rate"]) == [1.0, 0.5, 1.0]
    # k3 was not shown to the third respondent: missing, not wrong.
    assert list(frame["k3"][:2]) == [1.0, 1.0] and frame["k3"].isna().tolist() == [False, False, True]
    assert meta.variable_value_labels["k3"] == {1.0: "对", 2.0: "错"}
    assert ExportLog.objects.get().region_code == "320300"


def test_refusals_name_what_is_wrong(world: World, personas: Personas) -> None:
    cases = [
        (dict(actor=personas.evaluator, wave=world.xuzhou, format="csv", region_prefix=None),
         "导出格式只能是 xlsx（Excel 工作簿）或 sav（SPSS 数据文件）"),
        (dict(actor=personas.evaluator, wave=world.heyuan, format="xlsx", region_prefix=None), "没有这个调查轮次，或您无权查看"),
        (dict(actor=personas.outsider, wave=world.xuzhou, format="xlsx", region_prefix=None), "没有这个调查轮次，或您无权查看"),
        (dict(actor=personas.evaluator, wave=world.jiangsu, format="xlsx", region_prefix=None), "只能导出您所辖地区内的答卷"),
        (dict(actor=personas.evaluator, wave=world.jiangsu, format="xlsx", region_prefix="3201"), "只能导出您所辖地区内的答卷"),
        (dict(actor=personas.superuser, wave=world.xuzhou, format="xlsx", region_prefix="4416"),
         "地区不在这一调查轮次的范围内：4416"),
    ]
    for kwargs, message in cases:
        with pytest.raises(exports.AwarenessExportError) as refused:
            exports.awareness_export_start(**kwargs)
        assert str(refused.value) == message
    assert not AwarenessExport.objects.exists()


def test_an_export_whose_requester_lost_the_reach_fails_without_a_file(world: World, personas: Personas) -> None:
    export = exports.awareness_export_start(actor=personas.evaluator, wave=world.xuzhou, format="xlsx", region_prefix=None)
    Evaluator.objects.filter(user=personas.evaluator).delete()
    export = run_export(export)
    assert export.status == JobStatus.FAILED and not export.result_file
    assert export.message == "申请导出的账号已无权查看这一调查轮次，未生成文件"
    assert not ExportLog.objects.exists()
    # Run twice: the finished job is not claimed again.
    assert exports.awareness_export_run(job_id=export.pk) == 0
