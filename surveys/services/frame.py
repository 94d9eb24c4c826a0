"""A wave's sampling frame from xlsx: one row per stratum (region × industry × group) with its
population and quota, replacing the wave's strata all at once.

Industries fold into their GB/T 4754 section, as a respondent's industry does
(surveys.services.responses), so a stratum is found for every respondent in it. A frame is
replaced only before the first response: responses were placed in strata and weighted by them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook
from orgs.models import Industry, PostRole, Region
from surveys.models import Response, Stratum, SurveyImport, Wave
from surveys.services.imports import (
    HEADER_SEARCH_ROWS,
    ImportReport,
    RowError,
    SurveyFileError,
    cell_text,
    column_letter,
    file_content,
    read_workbook,
    wave_import_check,
)

REGION, INDUSTRY, GROUP, POPULATION, QUOTA = "地区代码", "行业代码", "人群", "总体人数", "样本配额"
HEADERS = (REGION, INDUSTRY, GROUP, POPULATION, QUOTA)
REQUIRED = (REGION, INDUSTRY, GROUP, POPULATION)
MAX_STRATA = 5000
DATA_SHEET = "抽样框"
NOTES_SHEET = "填写说明"


def _groups() -> dict[str, str]:
    """A group as written: its PostRole value or its Chinese label."""
    return {**{value: value for value in PostRole.values}, **{str(label): value for value, label in PostRole.choices}}


def _header(rows: Sequence[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    for index, values in enumerate(rows[:HEADER_SEARCH_ROWS]):
        positions: dict[str, int] = {}
        for position, cell in enumerate(values):
            text = cell_text(cell)
            if text in HEADERS and text not in positions:
                positions[text] = position
        if REGION in positions and INDUSTRY in positions:
            missing = [header for header in REQUIRED if header not in positions]
            if missing:
                raise SurveyFileError(_("缺少必需的列：%(headers)s（请使用下载的模板）") % {"headers": "、".join(missing)})
            return index + 1, positions
    raise SurveyFileError(_("在前 %(rows)s 行中找不到表头（地区代码、行业代码、人群、总体人数、样本配额）；请使用下载的模板")
                          % {"rows": HEADER_SEARCH_ROWS})


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 9 else None


def frame_import(*, actor: Any, wave: Wave, file: Any, dry_run: bool) -> ImportReport:
    """Replace ``wave``'s strata with the file's, all or nothing. Every bad row is named with its
    column; a wave that already has responses keeps its frame."""
    wave_import_check(actor=actor, wave=wave)
    report = ImportReport(kind=SurveyImport.Kind.FRAME)
    sheets = read_workbook(file_content(file))
    sheet = sheets.get(DATA_SHEET) or next(iter(sheets.values()), None)
    if sheet is None:
        raise SurveyFileError(_("文件里没有工作表"))
    header_row, positions = _header(sheet.rows)
    letters = {header: column_letter(position) for header, position in positions.items()}

    def error(row: int, header: str, message: str) -> None:
        report.errors.append(RowError("", row, letters.get(header, ""), header, message))

    responses = Response.objects.filter(wave=wave).count()
    if responses:
        report.errors.append(RowError("", 0, "", "", _(
            "本轮调查已有 %(count)s 份答卷，它们已按现在的抽样框分层并加权；替换抽样框会让这些答卷的权重失去依据，"
            "因此不能再替换。如需新的抽样框，请新建一个调查轮次。") % {"count": responses}))
    regions = {region.code: region for region in Region.objects.all()}
    industries = dict(Industry.objects.values_list("code", "parent_id"))
    names = dict(Industry.objects.values_list("code", "name"))
    groups = _groups()
    seen: dict[tuple[str, str, str], int] = {}
    strata: list[Stratum] = []
    for number, values in sheet.numbered(start=header_row + 1):
        report.total += 1
        def cell(header: str, values: tuple[Any, ...] = values) -> str:
            position = positions.get(header)
            return cell_text(values[position]) if position is not None and position < len(values) else ""

        before = len(report.errors)
        region_code, industry_code, group_text = cell(REGION), cell(INDUSTRY).upper(), cell(GROUP)
        region = regions.get(region_code)
        if not region_code:
            error(number, REGION, _("请填写地区代码"))
        elif region is None:
            error(number, REGION, _("地区代码 %(code)s 不存在") % {"code": region_code})
        elif not wave.region.contains(region.code):
            error(number, REGION, _("%(region)s 不在本轮调查的地区（%(wave)s）内") % {
                "region": region, "wave": wave.region})
        section = None
        if not industry_code:
            error(number, INDUSTRY, _("请填写行业代码"))
        elif industry_code not in industries:
            error(number, INDUSTRY, _("行业代码 %(code)s 不存在（填国民经济行业分类的门类字母或两位大类代码）") % {
                "code": industry_code})
        else:
            # Respondents carry their industry's section: a division's stratum is its section's.
            section = industries[industry_code] or industry_code
        group = groups.get(group_text) or groups.get(group_text.lower())
        if not group_text:
            error(number, GROUP, _("请填写人群"))
        elif group is None:
            error(number, GROUP, _("不认识的人群“%(value)s”（可填：%(choices)s）") % {
                "value": group_text, "choices": "、".join(f"{value} {label}" for value, label in PostRole.choices)})
        elif wave.groups and group not in wave.groups:
            error(number, GROUP, _("%(group)s 不在本轮调查的重点人群（%(groups)s）中") % {
                "group": PostRole(group).label, "groups": "、".join(wave.group_labels)})
        population = _count(cell(POPULATION))
        if population is None or population < 1:
            error(number, POPULATION, _("总体人数应为正整数，不能是“%(value)s”") % {"value": cell(POPULATION) or _("空")})
        quota_text = cell(QUOTA)
        quota = _count(quota_text) if quota_text else None
        if quota_text and (quota is None or quota < 1):
            error(number, QUOTA, _("样本配额应为正整数（留空表示不限），不能是“%(value)s”") % {"value": quota_text})
        elif quota is not None and population is not None and quota > population:
            error(number, QUOTA, _("样本配额 %(quota)s 大于总体人数 %(population)s") % {
                "quota": quota, "population": population})
        if len(report.errors) > before or region is None or section is None or group is None or population is None:
            continue
        key = (region.code, section, group)
        if key in seen:
            folded = _("（%(code)s 属于门类 %(section)s %(name)s）") % {
                "code": industry_code, "section": section, "name": names.get(section, "")} \
                if industry_code != section else ""
            error(number, INDUSTRY, _("与第 %(row)s 行是同一层（地区、行业、人群都相同）%(folded)s") % {
                "row": seen[key], "folded": folded})
            continue
        seen[key] = number
        strata.append(Stratum(wave=wave, region=region, industry_id=section, group=group, population=population,
                              quota=quota))
    if not strata and report.ok:
        report.errors.append(RowError("", 0, "", "", _("文件里没有抽样层（表头下面是空的）")))
    if len(strata) > MAX_STRATA:
        report.errors.append(RowError("", 0, "", "", _("抽样层超过 %(limit)s 个") % {"limit": MAX_STRATA}))
    report.created = len(strata)
    report.details.update({
        "wave": wave.code, "population": sum(stratum.population for stratum in strata),
        "quota": sum(stratum.quota or 0 for stratum in strata),
        "replaced": Stratum.objects.filter(wave=wave).count(),
    })
    if not report.ok:
        return report
    with transaction.atomic():
        # Locked: a response arriving now waits, and finds the new frame (or this import sees it).
        Wave.objects.select_for_update().filter(pk=wave.pk).first()
        if Response.objects.filter(wave=wave).exists():
            raise ServiceError(_("本轮调查刚刚收到答卷，不能再替换抽样框"))
        Stratum.objects.filter(wave=wave).delete()
        Stratum.objects.bulk_create(strata)
        audit(actor, "surveys.frame.import", wave, data={
            "strata": len(strata), "population": report.details["population"], "quota": report.details["quota"],
            "replaced": report.details["replaced"], "dry_run": dry_run})
        if dry_run:
            transaction.set_rollback(True)
    report.committed = not dry_run
    return report


def frame_template() -> bytes:
    """The blank frame: the five columns, a drop-down for 人群, and a sheet explaining each."""
    stream = io.BytesIO()
    workbook = ExportWorkbook(stream, constant_memory=False)
    sheet = workbook.add_sheet(DATA_SHEET, [ExportColumn(REGION, 12), ExportColumn(INDUSTRY, 10),
                                            ExportColumn(GROUP, 18), ExportColumn(POPULATION, 12, text=False),
                                            ExportColumn(QUOTA, 12, text=False)])
    sheet.sheet.data_validation(1, 2, 5000, 2, {"validate": "list", "source": [str(label) for label in PostRole.labels],
                                                "error_title": GROUP, "error_message": _("请从下拉列表中选择")})
    for column in (3, 4):
        sheet.sheet.data_validation(1, column, 5000, column, {
            "validate": "integer", "criteria": ">=", "value": 1, "error_message": _("请填正整数")})
    sheet.finish()
    notes = workbook.add_sheet(NOTES_SHEET, [ExportColumn("列", 12), ExportColumn("说明", 90)])
    notes.write_many([
        [REGION, _("六位行政区划代码（GB/T 2260），须在本轮调查的地区内，例如 320303")],
        [INDUSTRY, _("国民经济行业分类（GB/T 4754-2017）门类字母（如 B 采矿业）或两位大类代码（如 06，按所属门类计）")],
        [GROUP, _("可填：") + "、".join(f"{label}（{value}）" for value, label in PostRole.choices)],
        [POPULATION, _("该层的总体人数，正整数；用于加权（权重 = 总体人数 ÷ 该层答卷数）")],
        [QUOTA, _("该层最多收多少份答卷，正整数，不大于总体人数；留空表示不限")],
        [],
        [_("提示"), _("每一行是一层：地区、行业、人群的组合只能出现一次。导入会整体替换本轮调查现有的抽样框；已有答卷后不能再替换。")],
        [_("提示"), _("整份文件要么全部导入，要么一行也不导入：先检查，所有问题改正后才能确认导入。")],
    ])
    notes.finish(autofilter=False)
    workbook.close()
    return stream.getvalue()
