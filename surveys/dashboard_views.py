"""The evaluator's awareness dashboard and the exports they take away (the workbook, the .sav).

Who: evaluators (and superusers). Every wave is resolved through surveys.selectors.waves_in_reach,
so a wave of another region is a 404 exactly like an unknown code, and every figure is limited to
the evaluator's part of a wave over a larger area (wave_region_prefix). Signed-in people who are
not evaluators (workers, employer admins) get a 404 as well; anonymous visitors are sent to sign in.

Every figure comes from surveys.services.statistics.awareness_table, the same table the API and
the workbook are written from. The tables hold the numbers; the charts (Chart.js, served from our
own static files) are drawn from the same figures embedded as JSON, and the page reads without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.models import JobStatus
from core.scope import Scope
from orgs.access import region_or_404
from orgs.models import Region
from surveys.models import AwarenessExport, Wave
from surveys.selectors import wave_region_prefix, waves_in_reach
from surveys.services import exports as export_services
from surveys.services.types import AwarenessTable, Estimate

EXPORTS_SHOWN = 30


@dataclass(frozen=True)
class _Reach:
    wave: Wave
    scope: Scope
    prefix: str | None  # None: the whole wave

    @property
    def part(self) -> Region | None:
        return None if self.prefix is None else Region.objects.filter(code=self.prefix.ljust(6, "0")).first()


def _code(value: str) -> str:
    """A public code as a lookup value; anything a code never contains matches nothing."""
    return value if len(value) <= 40 and value.isascii() and value.isprintable() else ""


def _wave_or_404(request: HttpRequest, code: str) -> _Reach:
    scope = region_or_404(request)
    code = _code(code)
    wave = waves_in_reach(scope).select_related("questionnaire", "region").filter(code=code).first() if code else None
    if wave is None:
        raise Http404
    return _Reach(wave, scope, wave_region_prefix(scope, wave))


# -- figures for people ----------------------------------------------------------------------------

def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Shown:
    """An estimate as the page writes it: percentages, and its standing against the target in words."""

    estimate: Estimate

    @property
    def rate(self) -> str:
        return percent(self.estimate.rate)

    @property
    def interval(self) -> str:
        if self.estimate.low is None or self.estimate.high is None:
            return "—"
        return f"{percent(self.estimate.low)} – {percent(self.estimate.high)}"

    @property
    def target(self) -> str:
        return percent(self.estimate.target)

    @property
    def n_effective(self) -> str:
        return f"{self.estimate.n_effective:.1f}"

    @property
    def standing(self) -> str:
        """"met", "not-met" or "none": the class that colours the words below (never alone)."""
        if self.estimate.met is None:
            return "none"
        return "met" if self.estimate.met else "not-met"

    @property
    def met_text(self) -> str:
        if self.estimate.met is None:
            return _("无目标") if self.estimate.rate is not None else _("暂无数据")
        return _("达标") if self.estimate.met else _("未达标")

    @property
    def lower_text(self) -> str:
        if self.estimate.lower_clears is None:
            return ""
        return _("区间下限达到目标") if self.estimate.lower_clears else _("区间下限未达到目标")


def _quota_percent(responses: int, quota: int | None) -> int | None:
    return None if not quota else min(999, round(100 * responses / quota))


def _charts(table: AwarenessTable) -> dict[str, Any]:
    """The figures the charts draw, as fractions (the tables show the same numbers)."""
    return {
        "labels": {"rate": _("知晓率"), "target": _("目标值"), "low": _("95%置信区间下限"), "high": _("95%置信区间上限"),
                   "correct": _("正确率")},
        "target": table.awareness.target,
        "dimensions": [{"label": row.name, "rate": row.awareness.rate, "target": row.awareness.target}
                       for row in table.dimensions],
        "items": [{"label": f"{row.code} {row.label[:24]}", "rate": row.correct_rate.rate} for row in table.items],
        "trend": [{"label": f"{point.opens_at[:7]} {point.wave_title[:16]}", "rate": point.awareness.rate,
                   "low": point.awareness.low, "high": point.awareness.high, "target": point.awareness.target}
                  for point in table.trend],
    }


@login_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    from surveys.services.statistics import awareness_table

    reach = _wave_or_404(request, code)
    table = awareness_table(wave=reach.wave, region_prefix=reach.prefix)
    strata = [{"row": row, "shown": Shown(row.awareness), "quota_percent": _quota_percent(row.responses, row.quota)}
              for row in table.strata]
    return render(request, "surveys/dashboard/dashboard.html", {
        "wave": reach.wave, "reach": reach, "part": reach.part, "table": table,
        "total": Shown(table.awareness), "item_average": Shown(table.item_average), "strata": strata,
        "dimensions": [{"row": row, "shown": Shown(row.awareness)} for row in table.dimensions],
        "items": [{"row": row, "shown": Shown(row.correct_rate)} for row in table.items],
        "behaviours": [{"row": row, "shown": Shown(row.rate)} for row in table.behaviours],
        "trend": [{"point": point, "shown": Shown(point.awareness)} for point in table.trend],
        "charts": _charts(table), "threshold": percent(table.threshold),
        "quota_total": sum(row.quota or 0 for row in table.strata),
        "quota_responses": sum(row.responses for row in table.strata if row.quota),
    })


# -- exports ---------------------------------------------------------------------------------------

def _exports_of(reach: _Reach, request: HttpRequest) -> Any:
    exports = AwarenessExport.objects.filter(wave=reach.wave).select_related("region", "requested_by")
    # A superuser sees every export of the wave; an evaluator only their own (their part's files).
    return exports if reach.scope.is_superuser else exports.filter(requested_by_id=request.user.pk)


@login_required
@require_http_methods(["GET", "POST"])
def exports(request: HttpRequest, code: str) -> HttpResponse:
    """GET lists this wave's exports (one's own; every one for superusers) with their progress;
    POST format=xlsx|sav queues a new one."""
    reach = _wave_or_404(request, code)
    address = reverse("surveys:exports", args=[reach.wave.code])
    if request.method == "POST":
        try:
            export = export_services.awareness_export_start(actor=request.user, wave=reach.wave,
                                                            format=request.POST.get("format", ""),
                                                            region_prefix=reach.prefix)
        except export_services.AwarenessExportError as refused:
            messages.error(request, str(refused))
            return redirect(address)
        messages.success(request, _("已开始生成，完成后可在本页下载。"))
        return redirect(f"{address}?job={export.code}")
    listed = list(_exports_of(reach, request)[:EXPORTS_SHOWN])
    job_code = _code(request.GET.get("job", ""))
    job = next((item for item in listed if item.code == job_code), None) if job_code else None
    if job is None:
        job = next((item for item in listed if item.is_running), None)
    return render(request, "surveys/dashboard/exports.html", {
        "wave": reach.wave, "reach": reach, "part": reach.part, "exports": listed, "job": job,
        "formats": AwarenessExport.Format.choices,
    })


@login_required
def export_download(request: HttpRequest, code: str, export_code: str) -> FileResponse:
    """The file of a finished export, streamed from the private storage; the scope is checked again
    (the wave in reach, the export one's own) so a copied address is of no use to anyone else."""
    reach = _wave_or_404(request, code)
    export_code = _code(export_code)
    export = _exports_of(reach, request).filter(code=export_code).first() if export_code else None
    if export is None or export.status != JobStatus.DONE or not export.result_file:
        raise Http404
    return FileResponse(export.result_file.open("rb"), as_attachment=True,
                        filename=export_services.awareness_export_filename(export=export),
                        content_type=export_services.CONTENT_TYPES.get(export.format, "application/octet-stream"))
