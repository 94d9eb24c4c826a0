"""The evaluator's take-away: the awareness workbook (xlsx) and the de-identified responses as an
SPSS .sav file, built by a background job (core.jobs) with a progress bar, kept in the private
storage, logged (core.exports.export_log) and audited.

Every figure comes from one ``AwarenessTable`` (surveys.services.statistics.awareness_table), the
same the dashboard and the API show, so the three cannot disagree. The responses sheet and the
.sav hold de-identified rows only: a Response has no name, ID number or phone, and the worker,
token, link and paper number it may be tied to are never written out.

The workbook is written in XlsxWriter's constant-memory mode: each sheet's rows go out in order,
its data first and the native chart (which only references the cells) after, so a wave of a
million responses takes the memory of one row. The responses are split over 答卷, 答卷2, … at
Excel's row limit (``SHEET_ROWS``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook, SheetWriter, export_log
from core.jobs import job_claim, job_finish, job_progress
from core.models import JobStatus
from core.scope import scope_for
from orgs.models import HazardClass, Industry, PostRole, Region
from surveys.models import (
    DIMENSION_COLUMNS,
    AgeGroup,
    Answer,
    AwarenessExport,
    Education,
    Item,
    ItemKind,
    ItemType,
    Response,
    Sex,
    Wave,
)
from surveys.selectors import wave_region_prefix, wave_responses, waves_in_reach
from surveys.services.types import AwarenessTable, Estimate

logger = logging.getLogger(__name__)

# Excel's rows per worksheet, the header included; a test lowers it to see the split.
SHEET_ROWS = 1_048_576
_CHUNK = 2000
EXPORT_KIND = "surveys.awareness"
CONTENT_TYPES = {
    AwarenessExport.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    AwarenessExport.Format.SAV: "application/x-spss-sav",
}
# SPSS keywords cannot name a variable.
_SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
_SPSS_NAME_BYTES = 64


class AwarenessExportError(ServiceError):
    pass


class _ClaimLost(Exception):
    """Another worker took the export over: this one's file is thrown away."""


# -- the de-identified responses -----------------------------------------------------------------

@dataclass(frozen=True)
class ItemColumn:
    """One item's column in the responses sheet and the .sav: its code, label and choices."""

    code: str
    label: str
    type: str
    kind: str
    choices: tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True)
class ResponseRow:
    """One respondent, de-identified: the facts asked, the score, and the answers by item code."""

    code: str
    submitted_on: dt.date
    source: str
    source_label: str
    region_code: str
    region_name: str
    industry_code: str
    industry_name: str
    group: str
    group_label: str
    sex: str
    sex_label: str
    age_group: str
    age_group_label: str
    education: str
    education_label: str
    employer_size: str
    employer_size_label: str
    years_exposed: int | None
    hazards: str
    stratum: str
    weight: float | None
    score_rate: float | None
    aware: bool
    dimension_rates: tuple[float | None, ...]  # in the order of AwarenessTable.dimensions
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AwarenessResponses:
    """What the responses sheet and the .sav are written from: the columns, the period, and the
    rows (an iterator read once, in order). ``progress`` is told the rows written so far and
    returns False to stop (the job lost its claim)."""

    items: tuple[ItemColumn, ...]
    dimensions: tuple[tuple[str, str], ...]  # (code, name)
    period: str
    count: int
    rows: Iterable[ResponseRow]


def _labels(choices: Any) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices}


def _aware(earned: int, possible: int, threshold: Decimal) -> bool:
    # In exact arithmetic, as the statistics count it: 4 of 5 at 0.80 is aware.
    return possible > 0 and Decimal(earned) >= threshold * Decimal(possible)


def _period(wave: Wave) -> str:
    opens, closes = timezone.localtime(wave.opens_at), timezone.localtime(wave.closes_at)
    return f"{opens:%Y-%m-%d} — {closes:%Y-%m-%d}"


def item_columns(wave: Wave) -> tuple[ItemColumn, ...]:
    """The items that take an answer (notes do not), in the questionnaire's order."""
    items = Item.objects.filter(questionnaire_id=wave.questionnaire_id).exclude(type=ItemType.NOTE).exclude(
        kind=ItemKind.NOTE).order_by("sort_order", "pk")
    columns = []
    for item in items:
        choices = tuple((str(choice.get("value", "")), str(choice.get("label", ""))) for choice in item.choices)
        if item.type == ItemType.TRUE_FALSE and not choices:
            choices = (("true", _("对")), ("false", _("错")))
        columns.append(ItemColumn(item.code, item.label, item.type, item.kind, choices))
    return tuple(columns)


def awareness_responses(*, wave: Wave, region_prefix: str | None, table: AwarenessTable) -> AwarenessResponses:
    """The wave's responses within ``region_prefix``, de-identified, oldest first, with their
    weights and strata taken from ``table`` (so the rows and the figures agree)."""
    items = item_columns(wave)
    item_codes = dict(Item.objects.filter(questionnaire_id=wave.questionnaire_id).values_list("pk", "code"))
    dimensions = tuple((row.code, row.name) for row in table.dimensions)
    queryset = wave_responses(wave, region_prefix)
    return AwarenessResponses(items=items, dimensions=dimensions, period=_period(wave), count=queryset.count(),
                              rows=_response_rows(wave, queryset, table, item_codes, [code for code, _n in dimensions]))


class _RowMaker:
    """Turns chunks of Response values into rows: the catalogues' names are read once."""

    def __init__(self, wave: Wave, table: AwarenessTable, item_codes: dict[int, str], dimension_codes: list[str]) -> None:
        from orgs.models import Employer

        self.threshold = Decimal(wave.questionnaire.threshold)
        self.item_codes = item_codes
        self.weighted = table.weighted
        self.regions = dict(Region.objects.values_list("code", "name"))
        self.industries = dict(Industry.objects.values_list("code", "name"))
        self.hazards = dict(HazardClass.objects.values_list("code", "name"))
        self.groups, self.sexes = _labels(PostRole.choices), _labels(Sex.choices)
        self.ages, self.educations = _labels(AgeGroup.choices), _labels(Education.choices)
        self.sizes, self.sources = _labels(Employer.Size.choices), _labels(Response.Source.choices)
        self.strata = {row.stratum_id: row for row in table.strata if row.stratum_id is not None}
        self.dimension_fields = [DIMENSION_COLUMNS[code] for code in dimension_codes if code in DIMENSION_COLUMNS]
        self.fields = ["pk", "code", "submitted_at", "source", "region_id", "industry_id", "group", "sex", "age_group",
                       "education", "employer_size", "years_exposed", "hazards", "stratum_id", "points_earned",
                       "points_possible", *[name for pair in self.dimension_fields for name in pair]]

    def rows(self, chunk: list[dict[str, Any]]) -> Iterator[ResponseRow]:
        answers: dict[int, dict[str, Any]] = {values["pk"]: {} for values in chunk}
        for response_id, item_id, value in Answer.objects.filter(response_id__in=list(answers)).values_list(
                "response_id", "item_id", "value"):
            code = self.item_codes.get(item_id)
            if code is not None:
                answers[response_id][code] = value
        for values in chunk:
            yield self.row(values, answers[values["pk"]])

    def row(self, values: dict[str, Any], answers: dict[str, Any]) -> ResponseRow:
        stratum = self.strata.get(values["stratum_id"])
        if stratum is not None:
            weight: float | None = stratum.weight
            stratum_label = f"{stratum.region_name}·{stratum.industry_name}·{stratum.group_label}"
        else:
            # Without a frame every response weighs 1; so does one outside the frame (the answering
            # service refuses those, but the statistics count an old one at 1, and so does this row).
            weight, stratum_label = 1.0, ""
        earned, possible = values["points_earned"], values["points_possible"]
        region, industry = values["region_id"] or "", values["industry_id"] or ""
        group, sex, age, education = values["group"], values["sex"], values["age_group"], values["education"]
        return ResponseRow(
            code=values["code"], submitted_on=timezone.localtime(values["submitted_at"]).date(),
            source=values["source"], source_label=self.sources.get(values["source"], values["source"]),
            region_code=region, region_name=self.regions.get(region, ""), industry_code=industry,
            industry_name=self.industries.get(industry, ""), group=group, group_label=self.groups.get(group, group),
            sex=sex, sex_label=self.sexes.get(sex, sex), age_group=age, age_group_label=self.ages.get(age, age),
            education=education, education_label=self.educations.get(education, education),
            employer_size=values["employer_size"],
            employer_size_label=self.sizes.get(values["employer_size"], values["employer_size"]),
            years_exposed=values["years_exposed"],
            hazards="、".join(self.hazards.get(str(code), str(code)) for code in (values["hazards"] or [])),
            stratum=stratum_label, weight=weight, score_rate=earned / possible if possible else None,
            aware=_aware(earned, possible, self.threshold),
            dimension_rates=tuple(values[e] / values[p] if values[p] else None for e, p in self.dimension_fields),
            answers=answers,
        )


def _response_rows(wave: Wave, queryset: Any, table: AwarenessTable, item_codes: dict[int, str],
                   dimension_codes: list[str]) -> Iterator[ResponseRow]:
    maker = _RowMaker(wave, table, item_codes, dimension_codes)
    chunk: list[dict[str, Any]] = []
    # Constant memory: a chunk of responses at a time, and its answers in one query.
    for values in queryset.order_by("submitted_at", "pk").values(*maker.fields).iterator(chunk_size=_CHUNK):
        chunk.append(values)
        if len(chunk) == _CHUNK:
            yield from maker.rows(chunk)
            chunk = []
    if chunk:
        yield from maker.rows(chunk)


def answer_text(value: Any) -> str | int | float | None:
    """An answer as a cell: a choice value, the values of a multiple choice separated by spaces
    (as XLSForm writes them), a number or the text."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return " ".join(str(part) for part in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return str(value)


# -- the workbook ----------------------------------------------------------------------------------

class _Book:
    """ExportWorkbook plus the number formats of the figures (a fraction shown as a percentage)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.export = ExportWorkbook(stream)
        self.book = self.export.book
        self.percent = self.book.add_format({"num_format": "0.0%"})
        self.decimal = self.book.add_format({"num_format": "0.000"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})

    def sheet(self, name: str, columns: Sequence[tuple[str, int, str]]) -> SheetWriter:
        """Columns as (header, width, kind): kind "text", "number", "percent" or "decimal"."""
        writer = self.export.add_sheet(name, [ExportColumn(header, width, text=kind == "text")
                                              for header, width, kind in columns])
        for position, (_header, width, kind) in enumerate(columns):
            if kind in ("percent", "decimal"):
                writer.sheet.set_column(position, position, width, self.percent if kind == "percent" else self.decimal)
        return writer


def _standing(estimate: Estimate) -> tuple[str, str]:
    """Met and lower-bound words, as the dashboard shows them."""
    if estimate.met is None:
        return _("无目标"), ""
    met = _("达标") if estimate.met else _("未达标")
    clears = _("是") if estimate.lower_clears else _("否")
    return met, clears


def _estimate_cells(estimate: Estimate) -> list[Any]:
    met, clears = _standing(estimate)
    return [estimate.rate, estimate.low, estimate.high, estimate.n, estimate.n_effective, estimate.target, met, clears]


def _estimate_columns() -> list[tuple[str, int, str]]:
    return [(_("比率"), 9, "percent"), (_("95%置信区间下限"), 11, "percent"), (_("95%置信区间上限"), 11, "percent"),
            (_("样本量 n"), 9, "number"), (_("有效样本量"), 10, "decimal"), (_("目标值"), 8, "percent"),
            (_("是否达标"), 9, "text"), (_("区间下限是否达标"), 11, "text")]


def _definitions(threshold: float) -> list[str]:
    return [
        _("得分率 = 知识题得分 ÷ 应得分（多选题全对才得分，未答按答错计；按显示条件跳过的题不计入）。"),
        _("知晓 = 得分率 ≥ 知晓标准（本问卷为 %(threshold)s）。") % {"threshold": f"{threshold:.0%}"},
        _("知晓率 = 知晓者的加权比例；权重 = 该层总体人数 ÷ 该层答卷数（没有抽样框时权重为 1）。"),
        _("维度知晓率 = 该维度内得分率 ≥ 知晓标准的答卷比例。"),
        _("题目平均正确率 = 答对题数 ÷（题目数 × 答卷数）。"),
        _("95% 置信区间：Wilson 区间，按样本量 n（不加权）或 Kish 有效样本量 (Σw)² ÷ Σw²（加权）计算。"),
        _("行为形成率 = 适用者中回答“是”的加权比例。"),
        _("是否达标：比率 ≥ 目标值；区间下限是否达标：置信区间下限 ≥ 目标值。"),
    ]


def _summary(book: _Book, table: AwarenessTable, responses: AwarenessResponses) -> None:
    sheet = book.sheet(_("汇总"), [(_("项目"), 22, "text"), (_("值"), 40, "number")])
    met, clears = _standing(table.awareness)
    average = table.item_average
    rows: list[tuple[str, Any, Any]] = [
        (_("调查轮次"), table.wave_title, None), (_("调查轮次代码"), table.wave_code, None),
        (_("问卷"), table.questionnaire_title, None), (_("地区"), f"{table.region_name}（{table.region_code}）", None),
        (_("调查时间"), responses.period, None), (_("年度"), table.year, None),
        (_("知晓标准"), table.threshold, book.percent), (_("是否加权"), _("是") if table.weighted else _("否"), None),
        (_("答卷数"), table.respondents, None),
        (_("知晓率"), table.awareness.rate, book.percent),
        (_("95%置信区间下限"), table.awareness.low, book.percent),
        (_("95%置信区间上限"), table.awareness.high, book.percent),
        (_("样本量 n"), table.awareness.n, None), (_("有效样本量"), table.awareness.n_effective, book.decimal),
        (_("目标值"), table.awareness.target, book.percent), (_("是否达标"), met, None),
        (_("区间下限是否达标"), clears, None),
        (_("题目平均正确率"), average.rate, book.percent),
        (_("题目平均正确率区间下限"), average.low, book.percent),
        (_("题目平均正确率区间上限"), average.high, book.percent),
        (_("题目平均正确率样本量（题次）"), average.n, None),
    ]
    for label, value, number_format in rows:
        sheet.write([label])
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.sheet.write_number(sheet.row - 1, 1, value, number_format)
        elif value is not None:
            sheet.sheet.write_string(sheet.row - 1, 1, str(value))
    sheet.write([])
    sheet.write([_("定义")])
    for text in _definitions(table.threshold):
        sheet.write(["", text])
    sheet.finish(autofilter=False)


def _strata(book: _Book, table: AwarenessTable) -> None:
    sheet = book.sheet(_("分层"), [
        (_("地区代码"), 9, "text"), (_("地区"), 12, "text"), (_("行业代码"), 8, "text"), (_("行业"), 18, "text"),
        (_("人群"), 14, "text"), (_("总体人数"), 10, "number"), (_("样本配额"), 9, "number"), (_("答卷数"), 8, "number"),
        (_("配额完成率"), 10, "percent"), (_("权重"), 10, "decimal"), *_estimate_columns(),
    ])
    for row in table.strata:
        done = row.responses / row.quota if row.quota else None
        sheet.write([row.region_code, row.region_name, row.industry_code, row.industry_name, row.group_label,
                     row.population, row.quota, row.responses, done, row.weight, *_estimate_cells(row.awareness)])
    sheet.finish()


def _chart_size(rows: int) -> dict[str, Any]:
    return {"x_scale": 1.6, "y_scale": max(1.0, min(6.0, rows / 12))}


def _dimensions(book: _Book, table: AwarenessTable) -> None:
    name = _("维度")
    sheet = book.sheet(name, [(_("维度代码"), 20, "text"), (_("维度"), 16, "text"), (_("题目数"), 8, "number"),
                              *_estimate_columns()])
    for row in table.dimensions:
        sheet.write([row.code, row.name, row.items, *_estimate_cells(row.awareness)])
    sheet.finish()
    count = len(table.dimensions)
    if not count:
        return
    chart = book.book.add_chart({"type": "column"})
    chart.add_series({"name": _("维度知晓率"), "categories": [name, 1, 1, count, 1], "values": [name, 1, 3, count, 3],
                      "fill": {"color": "#0B6B3A"}, "data_labels": {"value": True, "num_format": "0.0%"}})
    if any(row.awareness.target is not None for row in table.dimensions):
        target = book.book.add_chart({"type": "line"})
        target.add_series({"name": _("目标值"), "categories": [name, 1, 1, count, 1], "values": [name, 1, 8, count, 8],
                           "line": {"color": "#B42318", "dash_type": "dash"}, "marker": {"type": "none"}})
        chart.combine(target)
    chart.set_title({"name": _("各维度知晓率")})
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_legend({"position": "bottom"})
    sheet.sheet.insert_chart(count + 3, 1, chart, {"x_scale": 1.4})


def _items(book: _Book, table: AwarenessTable) -> None:
    name = _("题目")
    sheet = book.sheet(name, [(_("题目代码"), 12, "text"), (_("题目"), 40, "text"), (_("维度"), 14, "text"),
                              (_("作答人数"), 9, "number"), (_("答对人数"), 9, "number"), *_estimate_columns()])
    for row in table.items:
        sheet.write([row.code, row.label, row.dimension_name, row.answered, row.correct, *_estimate_cells(row.correct_rate)])
    sheet.finish()
    count = len(table.items)
    if not count:
        return
    chart = book.book.add_chart({"type": "bar"})
    chart.add_series({"name": _("正确率"), "categories": [name, 1, 0, count, 0], "values": [name, 1, 5, count, 5],
                      "fill": {"color": "#0B6B3A"}, "data_labels": {"value": True, "num_format": "0%"}})
    chart.set_title({"name": _("各题正确率（由低到高）")})
    # Bars are drawn bottom-up: reversed, the weakest item is on top as in the table.
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_legend({"none": True})
    sheet.sheet.insert_chart(1, 14, chart, _chart_size(count))


def _behaviours(book: _Book, table: AwarenessTable) -> None:
    sheet = book.sheet(_("行为"), [(_("题目代码"), 12, "text"), (_("题目"), 36, "text"), (_("指标代码"), 16, "text"),
                                 (_("指标"), 24, "text"), (_("适用人数"), 9, "number"), (_("回答“是”人数"), 10, "number"),
                                 *_estimate_columns()])
    for row in table.behaviours:
        sheet.write([row.item_code, row.label, row.indicator_code, row.indicator_name, row.applicable, row.yes,
                     *_estimate_cells(row.rate)])
    sheet.finish()


def _trend(book: _Book, table: AwarenessTable) -> None:
    name = _("趋势")
    sheet = book.sheet(name, [(_("调查轮次代码"), 14, "text"), (_("调查轮次"), 30, "text"), (_("年度"), 6, "number"),
                              (_("开始日期"), 11, "text"), *_estimate_columns()])
    for point in table.trend:
        sheet.write([point.wave_code, point.wave_title, point.year, point.opens_at[:10], *_estimate_cells(point.awareness)])
    sheet.finish()
    count = len(table.trend)
    if not count:
        return
    chart = book.book.add_chart({"type": "line"})
    for column, label, line in ((4, _("知晓率"), {"color": "#0B6B3A", "width": 2.25}),
                                (5, _("95%置信区间下限"), {"color": "#7FA98F", "dash_type": "dash"}),
                                (6, _("95%置信区间上限"), {"color": "#7FA98F", "dash_type": "dash"}),
                                (9, _("目标值"), {"color": "#B42318", "dash_type": "long_dash"})):
        chart.add_series({"name": label, "categories": [name, 1, 1, count, 1], "values": [name, 1, column, count, column],
                          "line": line, "marker": {"type": "circle" if column == 4 else "none"}})
    chart.set_title({"name": _("知晓率趋势")})
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_legend({"position": "bottom"})
    sheet.sheet.insert_chart(count + 3, 1, chart, {"x_scale": 1.6})


def response_headers(responses: AwarenessResponses) -> list[tuple[str, int, str]]:
    return [
        (_("答卷编号"), 14, "text"), (_("提交日期"), 11, "text"), (_("来源"), 8, "text"), (_("地区代码"), 9, "text"),
        (_("地区"), 12, "text"), (_("行业代码"), 8, "text"), (_("行业"), 18, "text"), (_("人群"), 14, "text"),
        (_("性别"), 6, "text"), (_("年龄组"), 10, "text"), (_("文化程度"), 12, "text"), (_("企业规模"), 8, "text"),
        (_("接害工龄"), 8, "number"), (_("接触危害因素"), 20, "text"), (_("抽样层"), 26, "text"),
        (_("权重"), 10, "decimal"), (_("得分率"), 8, "percent"), (_("是否知晓"), 8, "text"),
        *[(_("%(name)s得分率") % {"name": name}, 10, "percent") for _code, name in responses.dimensions],
        *[(item.code, 10, "number" if item.type == ItemType.INTEGER else "text") for item in responses.items],
    ]


def response_cells(row: ResponseRow, items: Sequence[ItemColumn]) -> list[Any]:
    return [row.code, f"{row.submitted_on:%Y-%m-%d}", row.source_label, row.region_code, row.region_name,
            row.industry_code, row.industry_name, row.group_label, row.sex_label, row.age_group_label,
            row.education_label, row.employer_size_label, row.years_exposed, row.hazards, row.stratum, row.weight,
            row.score_rate, _("是") if row.aware else _("否"), *row.dimension_rates,
            *[answer_text(row.answers.get(item.code)) for item in items]]


def _responses(book: _Book, responses: AwarenessResponses, progress: Callable[[int], bool] | None) -> int:
    columns = response_headers(responses)
    per_sheet = SHEET_ROWS - 1
    base = _("答卷")
    number, written = 1, 0
    sheet = book.sheet(base, columns)
    for row in responses.rows:
        if sheet.data_rows == per_sheet:
            sheet.finish()
            number += 1
            sheet = book.sheet(f"{base}{number}", columns)
        sheet.write(response_cells(row, responses.items))
        written += 1
        if progress is not None and written % _CHUNK == 0 and not progress(written):
            raise _ClaimLost
    sheet.finish()
    return written


def awareness_workbook_write(table: AwarenessTable, responses: AwarenessResponses, stream: IO[bytes], *,
                             progress: Callable[[int], bool] | None = None) -> int:
    """Write the awareness workbook to ``stream``; returns the response rows written."""
    book = _Book(stream)
    _summary(book, table, responses)
    _strata(book, table)
    _dimensions(book, table)
    _items(book, table)
    _behaviours(book, table)
    _trend(book, table)
    written = _responses(book, responses, progress)
    book.export.close()
    return written


# -- the .sav --------------------------------------------------------------------------------------

def spss_name(code: str, taken: set[str]) -> str:
    """An SPSS variable name from an item code: ASCII letters, digits and underscores, starting
    with a letter, at most 64 bytes, not a keyword, unique among ``taken`` (which it joins)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", code) or "v"
    if not name[0].isalpha():
        name = f"v_{name}"
    name = name[:_SPSS_NAME_BYTES].rstrip("_") or "v"
    if name.upper() in _SPSS_RESERVED:
        name = f"{name}_"
    candidate, number = name, 1
    while candidate.lower() in {taken_name.lower() for taken_name in taken}:
        number += 1
        suffix = f"_{number}"
        candidate = name[:_SPSS_NAME_BYTES - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _coded(choices: Sequence[tuple[str, str]]) -> tuple[dict[str, int], dict[float, str]]:
    codes = {value: position for position, (value, _label) in enumerate(choices, start=1)}
    return codes, {float(position): label for position, (_value, label) in enumerate(choices, start=1)}


def responses_sav_write(table: AwarenessTable, responses: AwarenessResponses, path: str | Path, *,
                        progress: Callable[[int], bool] | None = None) -> int:
    """Write the de-identified responses as an SPSS .sav at ``path``: variable labels in Chinese,
    categories coded 1, 2, … with value labels, a multiple choice as one 0/1 variable per choice
    (SPSS's multiple dichotomy set). Returns the rows written."""
    import pandas as pd
    import pyreadstat

    taken: set[str] = set()
    columns: dict[str, list[Any]] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    getters: list[tuple[str, Callable[[ResponseRow], Any]]] = []

    def add(code: str, label: str, getter: Callable[[ResponseRow], Any], values: dict[float, str] | None = None) -> None:
        name = spss_name(code, taken)
        columns[name] = []
        labels[name] = label
        if values:
            value_labels[name] = values
        getters.append((name, getter))

    def category(code: str, label: str, choices: Sequence[tuple[str, str]], attribute: str) -> None:
        codes, values = _coded(choices)
        add(code, label, lambda row: codes.get(getattr(row, attribute)), values)

    add("response", _("答卷编号"), lambda row: row.code)
    add("submitted", _("提交日期"), lambda row: row.submitted_on)
    category("source", _("来源"), [(str(v), str(lab)) for v, lab in Response.Source.choices], "source")
    add("region_code", _("地区代码"), lambda row: row.region_code)
    add("region", _("地区"), lambda row: row.region_name)
    add("industry_code", _("行业代码"), lambda row: row.industry_code)
    add("industry", _("行业"), lambda row: row.industry_name)
    category("group", _("人群"), [(str(v), str(lab)) for v, lab in PostRole.choices], "group")
    category("sex", _("性别"), [(str(v), str(lab)) for v, lab in Sex.choices], "sex")
    category("age_group", _("年龄组"), [(str(v), str(lab)) for v, lab in AgeGroup.choices], "age_group")
    category("education", _("文化程度"), [(str(v), str(lab)) for v, lab in Education.choices], "education")
    from orgs.models import Employer

    category("employer_size", _("企业规模"), [(str(v), str(lab)) for v, lab in Employer.Size.choices], "employer_size")
    add("years_exposed", _("接害工龄"), lambda row: row.years_exposed)
    add("hazards", _("接触危害因素"), lambda row: row.hazards)
    add("stratum", _("抽样层"), lambda row: row.stratum)
    add("weight", _("权重"), lambda row: row.weight)
    add("score_rate", _("得分率"), lambda row: row.score_rate)
    add("aware", _("是否知晓"), lambda row: 1 if row.aware else 0, {0.0: _("否"), 1.0: _("是")})
    for position, (code, name) in enumerate(responses.dimensions):
        add(f"rate_{code}", _("%(name)s得分率") % {"name": name}, _dimension_getter(position))
    for item in responses.items:
        label = f"{item.code} {item.label}"[:250]
        if item.type in (ItemType.SELECT_ONE, ItemType.TRUE_FALSE):
            codes, values = _coded(item.choices)
            add(item.code, label, _choice_getter(item.code, codes), values)
        elif item.type == ItemType.SELECT_MULTIPLE:
            for value, choice_label in item.choices:
                add(f"{item.code}_{value}", f"{item.code} {item.label}：{choice_label}"[:250],
                    _chosen_getter(item.code, value), {0.0: _("未选"), 1.0: _("选中")})
        elif item.type == ItemType.INTEGER:
            add(item.code, label, _number_getter(item.code))
        else:
            add(item.code, label, _text_getter(item.code))
    written = 0
    for row in responses.rows:
        for name, getter in getters:
            columns[name].append(getter(row))
        written += 1
        if progress is not None and written % _CHUNK == 0 and not progress(written):
            raise _ClaimLost
    frame = pd.DataFrame({name: _series(pd, values) for name, values in columns.items()})
    pyreadstat.write_sav(frame, str(path), column_labels=dict[str, str | None](labels), variable_value_labels=value_labels,
                         file_label=f"{table.wave_title} {table.region_name}"[:64])
    return written


Getter = Callable[[ResponseRow], Any]


def _dimension_getter(position: int) -> Getter:
    return lambda row: row.dimension_rates[position]


def _choice_getter(code: str, codes: dict[str, int]) -> Getter:
    return lambda row: codes.get(str(row.answers.get(code)))


def _chosen_getter(code: str, choice: str) -> Getter:
    return lambda row: _chosen(row.answers.get(code), choice)


def _number_getter(code: str) -> Getter:
    return lambda row: _number(row.answers.get(code))


def _text_getter(code: str) -> Getter:
    return lambda row: str(answer_text(row.answers.get(code)) or "")


def _chosen(value: Any, choice: str) -> int | None:
    if value is None or value == "" or value == []:
        return None  # not asked or not answered: missing, not "not chosen"
    chosen = value if isinstance(value, list) else str(value).split()
    return 1 if choice in [str(part) for part in chosen] else 0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _series(pd: Any, values: list[Any]) -> Any:
    """A column pyreadstat writes with the right SPSS type: dates, numbers (None missing) or text."""
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, dt.date) for value in present):
        return pd.Series(pd.to_datetime(values))
    if not present or all(isinstance(value, int | float) and not isinstance(value, bool) for value in present):
        return pd.Series([float("nan") if value is None else float(value) for value in values], dtype="float64")
    return pd.Series(["" if value is None else str(value) for value in values], dtype="object")


# -- the job ---------------------------------------------------------------------------------------

def _part_prefix(wave: Wave, region: Region | None) -> str | None:
    if region is None or region.code == wave.region_id:
        return None
    return Region.prefix_of(region.code, region.level)


def _allowed_prefix(actor: Any, wave: Wave) -> str | None:
    """The part of ``wave`` the actor reads, or refuse: a wave out of reach is refused as unknown."""
    scope = scope_for(actor)
    if not waves_in_reach(scope).filter(pk=wave.pk).exists():
        raise AwarenessExportError(_("没有这个调查轮次，或您无权查看"), field="wave")
    return wave_region_prefix(scope, wave)


def awareness_export_start(*, actor: Any, wave: Wave, format: str, region_prefix: str | None) -> AwarenessExport:
    """Queue the awareness workbook (``format`` "xlsx") or the .sav ("sav") of ``wave`` within
    ``region_prefix`` (None: the whole wave), which must lie inside the actor's part of it."""
    if format not in AwarenessExport.Format.values:
        raise AwarenessExportError(_("导出格式只能是 xlsx（Excel 工作簿）或 sav（SPSS 数据文件）"), field="format")
    allowed = _allowed_prefix(actor, wave)
    if allowed is not None and (region_prefix is None or not region_prefix.startswith(allowed)):
        raise AwarenessExportError(_("只能导出您所辖地区内的答卷"), field="region")
    region = wave.region
    if region_prefix is not None:
        found = Region.objects.filter(code=region_prefix.ljust(6, "0")).first()
        if found is None or not found.code.startswith(Region.prefix_of(wave.region.code, wave.region.level)):
            raise AwarenessExportError(_("地区不在这一调查轮次的范围内：%(code)s") % {"code": region_prefix[:6]},
                                       field="region")
        region = found
    total = wave_responses(wave, _part_prefix(wave, region)).count()
    export = AwarenessExport.objects.create(wave=wave, format=format, region=region, requested_by=actor,
                                            progress_total=total,
                                            language=translation.get_language() or settings.LANGUAGE_CODE)
    from surveys.tasks import awareness_export_task

    transaction.on_commit(lambda: awareness_export_task.delay(export.pk))
    return export


def awareness_export_run(*, job_id: int) -> int:
    """Build one export. Safe to run twice: only a queued export (or one whose worker died and
    whose lease ran out) is built, and only the current claim may finish it. Returns the rows."""
    token = job_claim(AwarenessExport, job_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return 0
    export = AwarenessExport.objects.select_related("wave__questionnaire", "wave__region", "region",
                                                    "requested_by").get(pk=job_id)
    with translation.override(export.language):
        return _run_claimed(export, token)


def awareness_export_filename(*, export: AwarenessExport) -> str:
    stamp = f"{timezone.localtime(export.finished_at or export.created_at):%Y%m%d-%H%M}"
    return f"awareness-{export.wave.code}-{export.region_id or 'all'}-{stamp}.{export.format}"


def _run_claimed(export: AwarenessExport, token: str) -> int:
    from surveys.services.statistics import awareness_table

    stored = ""
    try:
        actor = export.requested_by
        prefix = _part_prefix(export.wave, export.region)
        # Checked again when the file is written: the reach may have changed since it was asked for.
        try:
            allowed = _allowed_prefix(actor, export.wave) if actor is not None else None
            lost = actor is None or (allowed is not None and (prefix is None or not prefix.startswith(allowed)))
        except AwarenessExportError:
            lost = True
        if lost:
            job_finish(AwarenessExport, export.pk, token, status=JobStatus.FAILED,
                       message=_("申请导出的账号已无权查看这一调查轮次，未生成文件"))
            return 0
        table = awareness_table(wave=export.wave, region_prefix=prefix)
        responses = awareness_responses(wave=export.wave, region_prefix=prefix, table=table)
        job_progress(AwarenessExport, export.pk, token, done=0, total=responses.count)

        def progress(done: int) -> bool:
            return job_progress(AwarenessExport, export.pk, token, done=done)

        with tempfile.TemporaryDirectory(prefix="awareness-") as folder:
            path = Path(folder) / f"export.{export.format}"
            if export.format == AwarenessExport.Format.SAV:
                count = responses_sav_write(table, responses, path, progress=progress)
            else:
                with path.open("wb") as stream:
                    count = awareness_workbook_write(table, responses, stream, progress=progress)
            with path.open("rb") as saved:
                export.result_file.save(awareness_export_filename(export=export), File(saved), save=False)
            stored = export.result_file.name or ""
        with transaction.atomic():
            if not job_finish(AwarenessExport, export.pk, token, status=JobStatus.DONE, result_file=stored,
                              progress_done=count, progress_total=count,
                              message=_("已导出 %(count)s 份答卷") % {"count": count}):
                raise _ClaimLost
            region_code = export.region_id or export.wave.region_id
            filters = {"wave": export.wave.code, "format": export.format}
            export_log(actor=actor, kind=EXPORT_KIND, row_count=count, masked=True, region_code=region_code,
                       filters=filters)
            audit(actor, "surveys.awareness.export", export,
                  data={"rows": count, "masked": True, "region": region_code, **filters})
    except _ClaimLost:
        _discard(stored)
        return 0
    except Exception:
        logger.exception("awareness export %s failed", export.pk)
        _discard(stored)
        job_finish(AwarenessExport, export.pk, token, status=JobStatus.FAILED,
                   message=_("导出失败，请稍后重试；如仍失败请联系平台管理员"))
        return 0
    return count


def _discard(name: str) -> None:
    if name:
        AwarenessExport._meta.get_field("result_file").storage.delete(name)
