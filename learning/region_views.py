"""The evaluator's regional view of mandatory training (issue 11, item 6): compliance by employer,
by industry (GB/T 4754 section) and by county in their region subtree, and the same tables as a
workbook.

Who: evaluators (and superusers), as every other region page: orgs.access.region_or_404 answers
404 to a signed-in worker or employer admin and sends anonymous visitors to sign in. Every figure is
counted by learning.training_reports.region_summary from assignments narrowed by the scope, so the
page, the workbook and the API cannot disagree. De-identified: counts and rates only; no row here
ever carries a worker's name, phone or ID number (small groups are shown, as counts).
"""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exports import export_log, xlsx_response
from core.text import safe_parameter
from learning import reports
from learning.region_reports import (
    EXPORT_KIND,
    region_area,
    region_choices,
    region_chosen,
    region_log_code,
    region_tables,
    region_workbook_write,
)
from orgs.access import region_or_404


@login_required
def training_region(request: HttpRequest) -> HttpResponse:
    scope = region_or_404(request)
    chosen = region_chosen(scope, request.GET)
    for error in chosen.errors:
        messages.error(request, error)
    tables = region_tables(scope, chosen.year, chosen.region)
    sections = [
        {"title": _("按单位"), "kind": "employer", "testid": "by-employer", "rows": tables.employers,
         "headers": [_("单位"), _("所在地区"), _("行业门类")]},
        {"title": _("按行业"), "kind": "industry", "testid": "by-industry", "rows": tables.industries,
         "headers": [_("行业代码"), _("行业门类")]},
        {"title": _("按县区"), "kind": "county", "testid": "by-county", "rows": tables.counties,
         "headers": [_("区划代码"), _("县区")]},
    ]
    return render(request, "learning/region/training.html", {
        "tables": tables, "sections": sections, "chosen": chosen, "area": region_area(scope, chosen), "regions": region_choices(scope),
        "years": sorted({*range(reports.this_year() - 5, reports.this_year() + 2), chosen.year}, reverse=True),
        "export_url": reverse("learning:training_region_export"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def training_region_export(request: HttpRequest) -> HttpResponseBase:
    """The page's tables as xlsx. A bad value is not exported around: back to the page, which
    names it."""
    scope = region_or_404(request)
    params = request.POST if request.method == "POST" else request.GET
    chosen = region_chosen(scope, params)
    if chosen.errors:
        raw = {name: safe_parameter(params.get(name, ""), 12) for name in ("year", "region")}
        return redirect(f"{reverse('learning:training_region')}?{urlencode(raw)}")
    tables = region_tables(scope, chosen.year, chosen.region)
    # A temporary file rather than memory: with constant_memory XlsxWriter streams rows to disk.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after streaming
    count = region_workbook_write(tables, spool, area=region_area(scope, chosen))
    export_log(actor=request.user, kind=EXPORT_KIND, row_count=count, masked=True,
               region_code=region_log_code(scope, chosen), filters=chosen.params())
    suffix = f"-{chosen.region.code}" if chosen.region else ""
    return xlsx_response(spool, f"training-region-{chosen.year}{suffix}-{timezone.localdate():%Y%m%d}.xlsx")
