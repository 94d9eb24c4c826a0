"""The employer admin's exam pages: the exams to assign and their counts, assigning, each worker's
result, one worker's extra time or attempts, and the results workbook.

Every page resolves its employer through the request's scope as the roster's write pages do: the
employer's admins (and superusers) get the page, an evaluator of its region 403, anyone else 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.exports import XLSX
from core.models import JobStatus
from core.pagination import ParamPageLinks, page_of
from core.scope import Owned, request_scope
from core.text import ascii_int, safe_parameter
from exams.models import Exam, ExamAssignment, ExamOverride, ResultsExport
from exams.services import assignments
from exams.services import results_export as results
from orgs import selectors as roster
from orgs.access import employer_or_404
from orgs.models import Department, HazardFactor, PostRole, Worker

EXAMS_PAGE_SIZE = 20
RESULTS_PAGE_SIZE = 50
PICK_PAGE_SIZE = 50


def _employer(request: HttpRequest, code: str) -> Owned:
    # Results are exam records of named people (PIPL art. 28): the roster's write reach, not its read.
    try:
        return employer_or_404(request, code, write=True)
    except PermissionDenied:
        # The roster's 403 says a read-only role may look but not change; here it may not look either.
        raise PermissionDenied(_("考试安排和成绩只有本单位管理员可以查看。")) from None


def _code(value: str) -> str:
    """A public code as a lookup value; anything a code never contains matches nothing."""
    return value if len(value) <= 40 and value.isascii() and value.isprintable() else ""


def _exam_or_404(code: str, *, assignable: bool = False) -> Exam:
    exams = Exam.objects.filter(status=Exam.Status.PUBLISHED) if assignable else Exam.objects.exclude(
        status=Exam.Status.DRAFT)
    exam = exams.filter(code=_code(code)).first() if _code(code) else None
    if exam is None:
        raise Http404
    return exam


def _own_worker(employer: Any, code: str) -> Worker | None:
    code = _code(code)
    return Worker.objects.filter(employer=employer, code=code).first() if code else None


@login_required
def employer_exams(request: HttpRequest, code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer = owned.obj
    page = page_of(results.employer_exams(employer=employer), request.GET, EXAMS_PAGE_SIZE)
    now = timezone.now()
    items = [{"exam": exam, "summary": results.employer_exam_summary(employer=employer, exam=exam),
              "is_open": exam.is_open(now), "is_closed": exam.closes_at <= now,
              "assignable": exam.status == Exam.Status.PUBLISHED and exam.closes_at > now}
             for exam in page.object_list]
    return render(request, "exams/employer_exams.html", {
        "employer": employer, "owned": owned, "page": page, "links": ParamPageLinks(page, request.GET),
        "items": items,
    })


def _due_at(raw: str, exam: Exam) -> dt.datetime | None:
    """A date means the end of that day, or the end of the exam if it closes sooner that day."""
    raw = raw.strip()
    if not raw:
        return None
    day = None
    if len(raw) <= 10 and raw.isascii() and raw.isprintable():
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
    if day is None:
        raise assignments.AssignmentError(_("截止日期的格式应为 年-月-日，例如 2025-06-30"), field="due_at")
    return assignments.assignment_due_at(exam=exam, day=day)


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


def _picked(employer: Any, codes: list[str]) -> list[Worker]:
    """The employer's active workers among the ticked codes, kept from page to page; the service
    checks every code again when the form is sent."""
    codes = list(dict.fromkeys(_code(code) for code in codes if _code(code)))[:assignments.MAX_PICKED]
    return list(Worker.objects.filter(employer=employer, code__in=codes, is_active=True).only("pk", "code", "name")
                .order_by("name", "pk"))


def _unassign(request: HttpRequest, owned: Owned, exam: Exam) -> HttpResponse:
    worker = _own_worker(owned.obj, request.POST.get("worker", ""))
    try:
        if worker is None:
            raise assignments.AssignmentError(_("这名劳动者没有安排这场考试"))
        assignments.exam_unassign(actor=request.user, employer=owned.obj, exam=exam, worker=worker)
    except assignments.AssignmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已取消 %(name)s 的考试安排。") % {"name": worker.name})
    return redirect("exams:employer_results", owned.obj.code, exam.code)


@login_required
def exam_assign(request: HttpRequest, code: str, exam_code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer = owned.obj
    exam = _exam_or_404(exam_code, assignable=True)
    if request.method == "POST" and request.POST.get("action") == "unassign":
        return _unassign(request, owned, exam)
    error = ""
    chosen: dict[str, list[str]] = {name: request.POST.getlist(name) for name in
                                    ("post_role", "department", "hazard", "worker")}
    # "goto" is the list's search and paging: they resend the whole form, so what was ticked on
    # one page is still ticked on the next, and nothing is assigned until the admin says so.
    navigating = request.method == "POST" and "goto" in request.POST
    if request.method == "POST" and not navigating:
        try:
            outcome = assignments.exam_assign(
                actor=request.user, employer=employer, exam=exam, post_roles=chosen["post_role"],
                department_ids=chosen["department"], hazard_factor_ids=chosen["hazard"],
                worker_codes=chosen["worker"], due_at=_due_at(request.POST.get("due", ""), exam))
        except assignments.AssignmentError as refused:
            error = str(refused)
        else:
            messages.success(request, _("已新安排 %(assigned)s 人；%(already)s 人此前已安排。")
                             % {"assigned": outcome.assigned, "already": outcome.already})
            return redirect("exams:employer_results", employer.code, exam.code)
    active = Worker.objects.filter(employer=employer, is_active=True)
    by_role = dict(active.values_list("post_role").annotate(n=Count("pk")).order_by())
    departments = Department.objects.filter(employer=employer).annotate(
        n=Count("workers", filter=Q(workers__is_active=True))).order_by("name")
    hazards = HazardFactor.objects.filter(workers__employer=employer, workers__is_active=True).annotate(
        n=Count("workers", distinct=True)).select_related("hazard_class").order_by("hazard_class__position", "position")
    params = request.POST if request.method == "POST" else request.GET
    search = safe_parameter(params.get("q", ""), 50)
    candidates = roster.roster_workers(employer=employer, search=search, status="active", sees_raw=owned.sees_raw)
    page, page_note = _pick_page(candidates, request.POST.get("goto") or params.get("page", ""))
    on_page = {worker.code for worker in page.object_list}
    picked = _picked(employer, chosen["worker"])
    assigned = set(ExamAssignment.objects.filter(exam=exam, worker__in=list(page.object_list)).values_list(
        "worker_id", flat=True))
    return render(request, "exams/employer_assign.html", {
        "employer": employer, "owned": owned, "exam": exam, "error": error, "chosen": chosen,
        "roles": [(value, label, by_role.get(value, 0)) for value, label in PostRole.choices],
        "departments": departments, "hazards": hazards, "page": page, "page_note": page_note,
        "picked": picked, "picked_elsewhere": [worker for worker in picked if worker.code not in on_page],
        "assigned": assigned, "search": search, "due": request.POST.get("due", ""),
        "assigned_count": ExamAssignment.objects.filter(exam=exam, employer=employer).count(),
        "today": timezone.localdate().isoformat(),
    })


@login_required
def exam_results(request: HttpRequest, code: str, exam_code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer = owned.obj
    exam = _exam_or_404(exam_code)
    department = safe_parameter(request.GET.get("department", ""), 64)
    passed = request.GET.get("passed", "")
    if passed not in results.PASSED_FILTERS:
        passed = ""
    page = page_of(results.employer_results(employer=employer, exam=exam, department=department, passed=passed),
                   request.GET, RESULTS_PAGE_SIZE)
    return render(request, "exams/employer_results.html", {
        "employer": employer, "owned": owned, "exam": exam, "page": page, "links": ParamPageLinks(page, request.GET),
        "rows": results.result_rows(page.object_list, sees_raw=owned.sees_raw),
        "summary": results.employer_exam_summary(employer=employer, exam=exam),
        "departments": roster.employer_departments(employer), "department": department, "passed": passed,
        "assignable": exam.status == Exam.Status.PUBLISHED and exam.closes_at > timezone.now(),
    })


@login_required
def exam_overrides(request: HttpRequest, code: str, exam_code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer = owned.obj
    exam = _exam_or_404(exam_code, assignable=True)
    error = ""
    worker = _own_worker(employer, request.POST.get("worker") or request.GET.get("worker", ""))
    if request.method == "POST":
        try:
            if worker is None:
                # As the service words it: an unknown code and another employer's worker look alike.
                raise assignments.AssignmentError(_("本单位花名册中没有这名劳动者：%(value)s")
                                      % {"value": safe_parameter(request.POST.get("worker", ""), 40)})
            assignments.override_grant(actor=request.user, exam=exam, worker=worker,
                           extra_minutes=request.POST.get("extra_minutes", "0") or "0",
                           extra_attempts=request.POST.get("extra_attempts", "0") or "0",
                           reason=request.POST.get("reason", ""))
        except assignments.AssignmentError as refused:
            error = str(refused)
        else:
            messages.success(request, _("已保存 %(name)s 的个人考试设置。") % {"name": worker.name})
            return redirect(reverse("exams:employer_overrides", args=[employer.code, exam.code]))
    search = safe_parameter(request.GET.get("q", ""), 50).strip()
    matches: list[Worker] = []
    if search:
        matches = list(roster.roster_workers(employer=employer, search=search, status="active",
                                             sees_raw=owned.sees_raw)[:20])
    current = ExamOverride.objects.filter(exam=exam, worker=worker).first() if worker else None
    values = {name: request.POST.get(name, getattr(current, name, default)) for name, default in
              (("extra_minutes", 0), ("extra_attempts", 0), ("reason", ""))}
    return render(request, "exams/employer_overrides.html", {
        "employer": employer, "owned": owned, "exam": exam, "error": error, "worker": worker, "current": current,
        "search": search, "matches": matches, "values": values,
        "overrides": ExamOverride.objects.filter(exam=exam, worker__employer=employer).select_related(
            "worker", "granted_by").order_by("worker__name"),
        "max_minutes": assignments.MAX_EXTRA_MINUTES, "max_attempts": assignments.MAX_EXTRA_ATTEMPTS,
    })


def _exported_exam(code: str) -> Exam | None:
    try:
        return _exam_or_404(code)
    except Http404:
        return None


def _export_or_404(request: HttpRequest, employer: Any, code: str) -> ResultsExport:
    code = _code(code)
    if not code:
        raise Http404
    return request_scope(request).owned_or_404(
        ResultsExport.objects.filter(employer=employer).select_related("exam"), write=True, code=code).obj


@login_required
def results_export(request: HttpRequest, code: str) -> HttpResponse:
    """POST starts an export (written at once when small, in the background when large); GET shows
    the recent ones, one export's progress (?job=) or downloads its file (?download=)."""
    owned = _employer(request, code)
    employer = owned.obj
    address = reverse("exams:employer_results_export", args=[employer.code])
    if request.method == "POST":
        exam_code = request.POST.get("exam", "")
        exam = _exported_exam(exam_code) if exam_code else None
        if exam_code and exam is None:
            messages.error(request, _("没有这场考试：%(value)s。请从列表中选择要导出的考试。")
                           % {"value": safe_parameter(exam_code, 40)})
            return redirect(address)
        try:
            export = results.results_export_start(actor=request.user, employer=employer, exam=exam)
        except results.ResultsExportError as refused:
            messages.error(request, str(refused))
            return redirect(address)
        if export.status == JobStatus.DONE:
            return redirect(f"{address}?download={export.code}")
        return redirect(f"{address}?job={export.code}")
    if "download" in request.GET:
        export = _export_or_404(request, employer, request.GET["download"])
        if export.status != JobStatus.DONE or not export.result_file:
            raise Http404
        return FileResponse(export.result_file.open("rb"), as_attachment=True,
                            filename=results.results_export_filename(export=export), content_type=XLSX)
    job = _export_or_404(request, employer, request.GET["job"]) if "job" in request.GET else None
    exports = ResultsExport.objects.filter(employer=employer).select_related("exam", "created_by")[:10]
    return render(request, "exams/employer_export.html", {
        "employer": employer, "owned": owned, "job": job, "exports": exports,
        "exams": results.employer_exams(employer=employer)[:200],
        "selected": request.GET.get("exam", ""),
    })
