"""The employer admin's training pages: the compliance dashboard of a year (rates by role,
department and programme, a chart, the list of cycles to chase), one worker's cycles with the
withdraw form, assigning a programme, and the compliance workbook.

Every page resolves its employer (or its worker) through the request's scope as the 学时 pages
do (learning.employer_views): the employer's admins and superusers get the page, an evaluator of
its region 403 (the region's statistics are another page), anyone else 404, the same as for an
unknown code. Whether a cycle is met is learning.services.compliance's to say; the pages read it
through learning.training_reports and learning.compliance_selectors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exports import XLSX
from core.masking import phone_mask
from core.models import JobStatus
from core.pagination import ParamPageLinks, page_of
from core.scope import Owned, request_scope
from core.text import ascii_int, safe_parameter
from learning import compliance_selectors as selectors
from learning import reports
from learning.employer_access import address, owned_employer, owned_worker, public_code
from learning.models import ComplianceExport, TrainingAssignment
from learning.services import compliance_export
from learning.services.compliance import today_local
from learning.services.programmes import TrainingError, training_assign, training_withdraw
from learning.training_reports import employer_summary
from orgs import selectors as roster
from orgs.models import Employer, PostRole, Worker

LIST_PAGE_SIZE = 50
PICK_PAGE_SIZE = 50


def _refused_here() -> PermissionDenied:
    return PermissionDenied(_("培训完成情况只有本单位管理员可以查看。"))


def _employer(request: HttpRequest, code: str) -> Owned:
    return owned_employer(request, code, refused=str(_refused_here()))


def _worker(request: HttpRequest, code: str) -> Owned:
    return owned_worker(request, code, refused=str(_refused_here()))


_code = public_code
_address = address


# -- the dashboard --------------------------------------------------------------------------------

@login_required
def training_home(request: HttpRequest) -> HttpResponse:
    """/learning/employer/training/: straight to the one employer an admin keeps, or a choice."""
    scope = request_scope(request)
    employers = list(Employer.objects.filter(pk__in=scope.employer_ids).only("code", "name").order_by("name"))
    if len(employers) == 1:
        return redirect("learning:training_employer", employers[0].code)
    if employers:
        return render(request, "learning/compliance/choose.html", {"employers": employers})
    if scope.has("evaluator"):
        raise _refused_here()
    raise Http404


def _filters(request: HttpRequest, employer: Employer) -> dict[str, Any]:
    """The dashboard's filters from the address; a value that is not one is dropped with a
    message naming it, so the page is never a dead end."""
    params = request.GET
    chosen: dict[str, Any] = {"year": reports.this_year(), "status": selectors.OPEN, "role": "", "department": "",
                              "q": safe_parameter(params.get("q", ""), 50).strip()}
    checks = (("year", reports.report_year), ("status", selectors.dashboard_status), ("role", selectors.dashboard_role))
    for name, check in checks:
        try:
            value = check(params.get(name, ""))
        except (reports.ReportRefused, selectors.DashboardRefused) as refused:
            messages.error(request, str(refused))
            continue
        if value:
            chosen[name] = value
    department = safe_parameter(params.get("department", ""), 64).strip()
    if department and department not in roster.employer_departments(employer):
        messages.error(request, _("本单位没有这个部门：%(value)s") % {"value": department})
    else:
        chosen["department"] = department
    return chosen


def _bars(items: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The chart's bars: a label, the rate and a width (a group with nobody to count has no bar)."""
    return [{"label": label, "rate": tally.rate, "width": int(tally.rate or 0), "workers": tally.workers,
             "met": tally.met} for label, tally in items]


@login_required
def training_employer(request: HttpRequest, code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer: Employer = owned.obj
    chosen = _filters(request, employer)
    year = chosen["year"]
    summary = employer_summary(employer, year)
    departments = sorted(((name or _("未分部门"), tally) for name, tally in summary.by_department.items()),
                         key=lambda item: item[0])
    roles = [(label, tally) for _value, label, tally in summary.roles()]
    rows = selectors.dashboard_rows(employer, year, status=chosen["status"], role=chosen["role"],
                                    department=chosen["department"], q=chosen["q"])
    page = page_of(rows, request.GET, LIST_PAGE_SIZE)
    base = {key: chosen[key] for key in ("year", "status", "role", "department", "q")}
    this_year = reports.this_year()
    return render(request, "learning/compliance/dashboard.html", {
        "employer": employer, "owned": owned, "chosen": chosen, "summary": summary, "total": summary.total,
        "by_role": roles, "by_department": departments, "by_programme": sorted(summary.by_programme.items()),
        "role_bars": _bars(roles), "department_bars": _bars(departments),
        "page": page, "links": ParamPageLinks(page, base), "rows": page.object_list,
        "years": list(range(this_year + 1, this_year - 6, -1)), "statuses": selectors.status_choices(),
        "roles": PostRole.choices, "departments": roster.employer_departments(employer),
        "overdue_url": _address(base, status="overdue", page=""), "due_url": _address(base, status="due", page=""),
        "filtered": bool(chosen["role"] or chosen["department"] or chosen["q"]),
        "export_url": reverse("learning:training_export", args=[employer.code]),
        "assign_url": reverse("learning:training_assign", args=[employer.code]),
    })


# -- one worker -----------------------------------------------------------------------------------

def _withdraw(request: HttpRequest, assignments: Any) -> None:
    code = _code(safe_parameter(request.POST.get("assignment", ""), 40).strip())
    assignment = assignments.filter(code=code).first() if code else None
    if assignment is None:
        messages.error(request, _("没有这项培训任务。"))
        return
    try:
        training_withdraw(actor=request.user, assignment=assignment,
                          reason=safe_parameter(request.POST.get("reason", ""), 200))
    except TrainingError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已撤销“%(programme)s”（截止 %(day)s）。") % {
            "programme": assignment.programme.name, "day": assignment.due_on.isoformat()})


@login_required
@require_http_methods(["GET", "POST"])
def training_worker(request: HttpRequest, code: str) -> HttpResponse:
    """Every cycle of one worker with its standing, what is missing and the certificate; POST
    withdraws an unmet one (with a reason)."""
    owned = _worker(request, code)
    worker: Worker = owned.obj
    # The cycles this admin keeps: a former employer's cycles of a worker who moved stay theirs.
    assignments = request_scope(request).filter(TrainingAssignment.objects.filter(worker=worker), write=True)
    if request.method == "POST":
        _withdraw(request, assignments.select_related("programme"))
        return redirect("learning:training_worker", worker.code)
    return render(request, "learning/compliance/worker.html", {
        "worker": worker, "employer": worker.employer, "owned": owned, "phone": phone_mask(worker.phone),
        "cycles": selectors.worker_cycles(assignments), "year": reports.this_year(),
    })


# -- assigning ------------------------------------------------------------------------------------

def _pick_page(candidates: Any, raw: str) -> tuple[Page, str]:
    """The page of the hand-picked list: a page past the end shows the last one (and says so), a
    page number that is not one shows the first; the form is never a dead end."""
    raw = safe_parameter(raw, 12).strip()
    page = Paginator(candidates, PICK_PAGE_SIZE).get_page(ascii_int(raw) or 1)
    asked = ascii_int(raw)
    note = ""
    if raw and asked != page.number:
        note = _("没有第 %(asked)s 页，显示的是第 %(shown)s 页") % {"asked": raw, "shown": page.number}
    return page, note


def _assign(request: HttpRequest, employer: Employer, chosen: dict[str, list[str]]) -> str | HttpResponse:
    """Send the form to the service: the redirect on success, else the refusal in words."""
    programme = selectors.programme_by_code(request.POST.get("programme", ""))
    if programme is None:
        return _("请选择一个启用中的培训项目。")
    raw_due = request.POST.get("due_on", "")
    due_on = selectors.parse_due_on(raw_due)
    if due_on is None and safe_parameter(raw_due, 20).strip():
        return _("截止日期的格式应为 年-月-日，例如 %(day)s") % {"day": today_local().isoformat()}
    codes = selectors.assign_worker_codes(employer, programme, post_roles=chosen["post_role"],
                                          department_ids=chosen["department"], hazard_classes=chosen["hazard_class"],
                                          worker_codes=chosen["worker"])
    try:
        result = training_assign(actor=request.user, employer=employer, programme=programme, worker_codes=codes,
                                 due_on=due_on)
    except TrainingError as refused:
        return str(refused)
    messages.success(request, _("“%(programme)s”已布置给 %(created)s 人；%(already)s 人已有未完成的这项培训，未重复布置。")
                     % {"programme": programme.name, "created": result.created, "already": result.already})
    return redirect("learning:training_employer", employer.code)


@login_required
@require_http_methods(["GET", "POST"])
def training_assign_view(request: HttpRequest, code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer: Employer = owned.obj
    params = request.POST if request.method == "POST" else request.GET
    chosen = {name: [safe_parameter(value, 40) for value in params.getlist(name)][:selectors.MAX_PICKED]
              for name in ("post_role", "department", "hazard_class", "worker")}
    # "goto" is the list's search and paging: they resend the whole form, so what was ticked on
    # one page is still ticked on the next, and nothing is assigned until the admin says so.
    error = ""
    if request.method == "POST" and "goto" not in request.POST:
        outcome = _assign(request, employer, chosen)
        if isinstance(outcome, HttpResponse):
            return outcome
        error = outcome
    search = safe_parameter(params.get("q", ""), 50).strip()
    pick_role = params.get("pick_role", "")
    pick_role = pick_role if pick_role in PostRole.values else ""
    candidates = selectors.pick_candidates(employer, search=search, role=pick_role)
    page, page_note = _pick_page(candidates, request.POST.get("goto") or params.get("page", ""))
    on_page = {worker.code for worker in page.object_list}
    picked_codes = [code for code in dict.fromkeys(chosen["worker"]) if _code(code)]
    picked = list(Worker.objects.filter(employer=employer, is_active=True, code__in=picked_codes)
                  .only("pk", "code", "name").order_by("name", "pk"))
    programme_code = safe_parameter(params.get("programme", ""), 40).strip()
    return render(request, "learning/compliance/assign.html", {
        "employer": employer, "owned": owned, "error": error, "chosen": chosen,
        "programmes": list(selectors.assignable_programmes()), "programme_code": programme_code,
        "counts": selectors.assign_counts(employer), "page": page, "page_note": page_note, "search": search,
        "pick_role": pick_role, "roles": PostRole.choices, "picked": picked,
        "picked_elsewhere": [worker for worker in picked if worker.code not in on_page],
        "due_on": safe_parameter(params.get("due_on", ""), 20), "today": today_local().isoformat(),
    })


# -- the workbook ---------------------------------------------------------------------------------

def _export_or_404(request: HttpRequest, employer: Employer, code: str) -> ComplianceExport:
    code = _code(code)
    if not code:
        raise Http404
    return request_scope(request).owned_or_404(ComplianceExport.objects.filter(employer=employer), write=True,
                                                code=code).obj


def _export_start(request: HttpRequest, employer: Employer, address: str) -> HttpResponse:
    try:
        year = reports.report_year(request.POST.get("year", ""))
        export = compliance_export.compliance_export_start(actor=request.user, employer=employer, year=year)
    except (reports.ReportRefused, compliance_export.ComplianceExportError) as refused:
        messages.error(request, str(refused))
        return redirect(address)
    if export.status == JobStatus.DONE:
        return redirect(f"{address}?download={export.code}")
    return redirect(f"{address}?job={export.code}")


@login_required
@require_http_methods(["GET", "POST"])
def training_export(request: HttpRequest, code: str) -> HttpResponse | FileResponse:
    """POST starts an export (written at once when small, in the background when large); GET shows
    the recent ones, one export's progress (?job=) or downloads its file (?download=)."""
    owned = _employer(request, code)
    employer: Employer = owned.obj
    address = reverse("learning:training_export", args=[employer.code])
    if request.method == "POST":
        return _export_start(request, employer, address)
    if "download" in request.GET:
        export = _export_or_404(request, employer, request.GET["download"])
        if export.status != JobStatus.DONE or not export.result_file:
            raise Http404
        return FileResponse(export.result_file.open("rb"), as_attachment=True,
                            filename=compliance_export.compliance_export_filename(export=export), content_type=XLSX)
    job = _export_or_404(request, employer, request.GET["job"]) if "job" in request.GET else None
    this_year = reports.this_year()
    return render(request, "learning/compliance/export.html", {
        "employer": employer, "owned": owned, "job": job,
        "exports": list(ComplianceExport.objects.filter(employer=employer).select_related("created_by")[:10]),
        "years": list(range(this_year + 1, this_year - 6, -1)), "current_year": this_year,
    })
