"""The evaluator's regional training figures (issue 11, item 6), read by learning.region_views:
compliance by employer, by industry (GB/T 4754 section) and by county in a region subtree, the
region choices, and the same tables as a workbook. Counts only: no row carries a worker.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exports import ExportColumn, ExportWorkbook
from core.scope import Scope
from core.text import safe_parameter
from learning import reports
from learning.models import TrainingAssignment
from learning.training_reports import Tally, region_summary
from orgs.models import Employer, Industry, Region

EXPORT_KIND = "training_region"
# The export log needs a region; a superuser's view of the whole country is logged under this code.
WHOLE_COUNTRY = "000000"
_REGION_CODE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class RegionRow:
    """One line of a table: what it counts (an employer, an industry section, a county) and the
    tally. ``code`` is a public code (employer code, GB/T 4754 letter, GB/T 2260 code)."""

    code: str
    name: str
    tally: Tally
    region: str = ""
    industry: str = ""


@dataclass
class RegionTables:
    year: int
    region: Region | None
    total: Tally
    employers: list[RegionRow] = field(default_factory=list)
    industries: list[RegionRow] = field(default_factory=list)
    counties: list[RegionRow] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.employers) + len(self.industries) + len(self.counties)


@dataclass(frozen=True)
class Chosen:
    year: int
    region: Region | None
    errors: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        return {"year": str(self.year), **({"region": self.region.code} if self.region else {})}


# -- reads -------------------------------------------------------------------------------------

def region_assignments_in_reach(scope: Scope) -> QuerySet[TrainingAssignment]:
    """The assignments the scope reads, kept to its region subtree: an evaluator who also keeps a
    roster (or is a worker) elsewhere reads those rows through the scope too, but the region's
    figures must count only the region's employers."""
    assignments = scope.filter(TrainingAssignment.objects.all())
    if scope.is_superuser:
        return assignments
    inside = Q(pk__in=[])
    for prefix in scope.region_prefixes:
        inside |= Q(employer__region__code__startswith=prefix)
    return assignments.filter(inside)


def region_choices(scope: Scope) -> list[Region]:
    """The regions offered in the filter: those of employers in reach and their parents, so the
    list is as long as the data, not the catalogue (about 3,000 codes for a superuser)."""
    employers = scope.filter(Employer.objects.all()).values_list("region_id", flat=True).distinct()
    codes: set[str] = set()
    for code in employers:
        codes |= {code[:2] + "0000", code[:4] + "00", code}
    regions = Region.objects.filter(code__in=codes).order_by("code")
    return [region for region in regions if scope.is_superuser or scope.in_region(region.code)]


def _region_label(region: Region) -> str:
    parent = region.parent
    return f"{parent.name} {region.name}" if parent is not None and region.level == Region.Level.COUNTY else region.name


def region_tables(scope: Scope, year: int, region: Region | None, *, today: dt.date | None = None) -> RegionTables:
    """The three tables with names for their codes (the summary counts by code)."""
    summary = region_summary(region_assignments_in_reach(scope), year, region_code=region.code if region else "",
                             today=today)
    employer_codes = [code for code, _name, _tally in summary["employers"]]
    places: dict[str, dict[str, Any]] = {row["code"]: dict(row) for row in Employer.objects.filter(code__in=employer_codes).values(
        "code", "region__name", "industry__parent__name", "industry__name")}
    industries = dict(Industry.objects.filter(code__in=[code for code, _tally in summary["industries"]])
                      .values_list("code", "name"))
    counties = {item.code: item for item in Region.objects.filter(
        code__in=[code for code, _tally in summary["counties"]]).select_related("parent")}
    tables = RegionTables(year=year, region=region, total=summary["total"])
    for code, name, tally in summary["employers"]:
        place = places.get(code, {})
        tables.employers.append(RegionRow(code, name, tally, region=place.get("region__name") or "",
                                          industry=place.get("industry__parent__name") or place.get("industry__name") or ""))
    tables.industries = [RegionRow(code, industries.get(code, code), tally) for code, tally in summary["industries"]]
    tables.counties = [RegionRow(code, _region_label(counties[code]) if code in counties else code, tally)
                       for code, tally in summary["counties"]]
    return tables


# -- parameters --------------------------------------------------------------------------------

def region_chosen(scope: Scope, params: Mapping[str, Any]) -> Chosen:
    """``year`` (this year when empty) and ``region`` (a code inside the user's subtree, or the
    whole subtree when empty). A value that is not one falls back, with a message naming it."""
    errors: list[str] = []
    try:
        year = reports.report_year(params.get("year", ""))
    except reports.ReportRefused as refused:
        errors.append(str(refused))
        year = reports.this_year()
    raw = safe_parameter(params.get("region", ""), 12).strip()
    region = None
    if raw:
        region = Region.objects.filter(code=raw).select_related("parent").first() if _REGION_CODE.fullmatch(raw) else None
        # An unknown code and one outside the subtree get the same words.
        if region is None or not (scope.is_superuser or scope.in_region(region.code)):
            errors.append(_("region 应为您辖区内的 6 位行政区划代码，没有这个地区：%(value)s；已显示整个辖区。")
                          % {"value": raw})
            region = None
    return Chosen(year, region, tuple(errors))


def region_log_code(scope: Scope, chosen: Chosen) -> str:
    if chosen.region is not None:
        return chosen.region.code
    if scope.region_prefixes:
        return scope.region_prefixes[0].ljust(6, "0")
    return WHOLE_COUNTRY


# -- the workbook ------------------------------------------------------------------------------

def _figure_columns() -> tuple[ExportColumn, ...]:
    # Built per export, so the headers are in the language of the request.
    return (ExportColumn(_("人数"), 8, text=False), ExportColumn(_("已完成"), 8, text=False),
            ExportColumn(_("进行中"), 8, text=False), ExportColumn(_("已逾期"), 8, text=False),
            ExportColumn(_("合规率（%）"), 10, text=False), ExportColumn(_("培训任务"), 10, text=False),
            ExportColumn(_("已完成任务"), 10, text=False))


def _figures(tally: Tally) -> list[Any]:
    return [tally.workers, tally.met, tally.due, tally.overdue, tally.rate, tally.cycles, tally.cycles_met]


def region_workbook_write(tables: RegionTables, stream: IO[bytes], *, area: str) -> int:
    """The page's tables as sheets (counts only, so small enough to write in the request)."""
    workbook = ExportWorkbook(stream)
    figures = _figure_columns()
    summary = workbook.add_sheet(_("汇总"), (ExportColumn(_("项目"), 16), ExportColumn(_("内容"), 40, text=False)),
                                header=False)
    summary.write([_("年度"), str(tables.year)])
    summary.write([_("地区"), area])
    summary.write([_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for label, value in zip((column.header for column in figures), _figures(tables.total), strict=True):
        summary.write([label, "—" if value is None else value])
    summary.write([_("说明"), _("按年度内到期的培训任务统计；一人有多项任务时以最差的一项计；已撤销的任务不计。")])
    sheets = (
        (_("按单位"), (ExportColumn(_("单位"), 30), ExportColumn(_("所在地区"), 14), ExportColumn(_("行业门类"), 24)),
         [[row.name, row.region, row.industry] for row in tables.employers], tables.employers),
        (_("按行业"), (ExportColumn(_("行业代码"), 8), ExportColumn(_("行业门类"), 30)),
         [[row.code, row.name] for row in tables.industries], tables.industries),
        (_("按县区"), (ExportColumn(_("区划代码"), 10), ExportColumn(_("县区"), 24)),
         [[row.code, row.name] for row in tables.counties], tables.counties),
    )
    count = 0
    for title, columns, labels, rows in sheets:
        sheet = workbook.add_sheet(str(title), (*columns, *figures))
        for cells, row in zip(labels, rows, strict=True):
            sheet.write([*cells, *_figures(row.tally)])
        sheet.finish()
        count += sheet.data_rows
    workbook.close()
    return count


# -- pages -------------------------------------------------------------------------------------

def region_area(scope: Scope, chosen: Chosen) -> str:
    if chosen.region is not None:
        return _region_label(chosen.region)
    return _("全部辖区") if scope.region_prefixes or not scope.is_superuser else _("全国")
