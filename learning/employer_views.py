"""The employer admin's 学时 pages: hours per worker, course and year; one worker's study sessions
with every heartbeat on demand; and the 学时 workbook.

Every page resolves its employer (or its worker) through the request's scope as exams' employer
pages do: the employer's admins and superusers get the page, an evaluator of its region 403 (the
region's statistics are another page), anyone else 404, the same as for an unknown code.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.exports import XLSX
from core.masking import phone_mask
from core.models import JobStatus
from core.pagination import ParamPageLinks, page_of
from core.scope import Owned, request_scope
from core.text import safe_parameter
from learning import reports
from learning.employer_access import address, owned_employer, owned_worker, public_code
from learning.models import CoursePage, StudyHoursExport, StudySession
from learning.services import reports_export
from orgs import selectors as roster
from orgs.models import Employer, PostRole, Worker

HOURS_PAGE_SIZE = 50
SESSIONS_PAGE_SIZE = 20
BEATS_PAGE_SIZE = 200
# The export form's year for "every year the ledger holds".
ALL_YEARS = "all"


def _refused_here() -> PermissionDenied:
    return PermissionDenied(_("学时明细和学习记录只有本单位管理员可以查看。"))


def _employer(request: HttpRequest, code: str) -> Owned:
    return owned_employer(request, code, refused=str(_refused_here()))


def _worker(request: HttpRequest, code: str) -> Owned:
    return owned_worker(request, code, refused=str(_refused_here()))


_code = public_code


@login_required
def hours_home(request: HttpRequest) -> HttpResponse:
    """/learning/employer/hours/: straight to the one employer an admin keeps, or a choice of them."""
    scope = request_scope(request)
    employers = list(Employer.objects.filter(pk__in=scope.employer_ids).only("code", "name").order_by("name"))
    if len(employers) == 1:
        return redirect("learning:employer_hours", employers[0].code)
    if employers:
        return render(request, "learning/employer/choose.html", {"employers": employers})
    if scope.has("evaluator"):
        raise _refused_here()
    raise Http404


def _filters(request: HttpRequest, employer: Employer) -> dict[str, Any]:
    """The table's filters from the address; a value that is not one is dropped with a message
    naming it, so the page is never a dead end."""
    params = request.GET
    chosen: dict[str, Any] = {"year": reports.this_year(), "course": None, "department": "", "post_role": "",
                              "q": safe_parameter(params.get("q", ""), 50).strip(), "sort": "name"}
    checks = (("year", lambda raw: reports.report_year(raw)),
              ("course", lambda raw: reports.report_course(employer=employer, raw=raw)),
              ("post_role", reports.report_post_role), ("sort", reports.report_sort))
    for name, check in checks:
        try:
            value = check(params.get(name, ""))
        except reports.ReportRefused as refused:
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


_address = address


@login_required
def employer_hours(request: HttpRequest, code: str) -> HttpResponse:
    owned = _employer(request, code)
    employer: Employer = owned.obj
    chosen = _filters(request, employer)
    course = chosen["course"]
    workers = reports.hours_workers(employer=employer, year=chosen["year"], course=course,
                                    department=chosen["department"], post_role=chosen["post_role"],
                                    search=chosen["q"], sort=chosen["sort"], sees_raw=owned.sees_raw)
    page = page_of(workers, request.GET, HOURS_PAGE_SIZE)
    base = {"year": chosen["year"], "course": course.pk if course else "", "department": chosen["department"],
            "post_role": chosen["post_role"], "q": chosen["q"], "sort": chosen["sort"]}
    # The hours column sorts most first, and the other way round when clicked again.
    sorts = {"name": _address(base, sort="name"), "department": _address(base, sort="department"),
             "hours": _address(base, sort="hours" if chosen["sort"] == "-hours" else "-hours"),
             "last": _address(base, sort="-last")}
    return render(request, "learning/employer/hours.html", {
        "employer": employer, "owned": owned, "page": page, "links": ParamPageLinks(page, base),
        "rows": reports.hours_rows(page.object_list, year=chosen["year"], course=course),
        "totals": reports.hours_totals(workers), "chosen": chosen, "sorts": sorts,
        "years": reports.report_years(employer=employer), "courses": reports.report_courses(employer=employer),
        "departments": roster.employer_departments(employer), "roles": PostRole.choices,
        "filtered": bool(course or chosen["department"] or chosen["post_role"] or chosen["q"]),
        "export_url": reverse("learning:employer_hours_export", args=[employer.code]),
        "minutes_per_hour": settings.MINUTES_PER_STUDY_HOUR,
    })


def _year(request: HttpRequest) -> int:
    try:
        return reports.report_year(request.GET.get("year", ""))
    except reports.ReportRefused as refused:
        messages.error(request, str(refused))
        return reports.this_year()


def _worker_years(worker: Worker) -> list[int]:
    years = set(worker.study_hours.values_list("year", flat=True).distinct())
    years.add(reports.this_year())
    return sorted(years, reverse=True)


@login_required
def worker_sessions(request: HttpRequest, code: str) -> HttpResponse:
    owned = _worker(request, code)
    worker: Worker = owned.obj
    year = _year(request)
    page = page_of(reports.worker_sessions(worker=worker, year=year), request.GET, SESSIONS_PAGE_SIZE)
    return render(request, "learning/employer/sessions.html", {
        "worker": worker, "employer": worker.employer, "phone": phone_mask(worker.phone), "year": year,
        "years": _worker_years(worker), "summary": reports.worker_year(worker=worker, year=year), "page": page,
        "links": ParamPageLinks(page, {"year": str(year)}), "rows": reports.session_rows(page.object_list),
    })


@login_required
def session_detail(request: HttpRequest, code: str, session_code: str) -> HttpResponse:
    """Every heartbeat of one long session, a page at a time."""
    owned = _worker(request, code)
    worker: Worker = owned.obj
    session = StudySession.objects.filter(worker=worker, code=_code(session_code)).select_related(
        "lesson", "enrolment__course").first() if _code(session_code) else None
    if session is None:
        raise Http404
    page = page_of(reports.session_heartbeats(session), request.GET, BEATS_PAGE_SIZE)
    [row] = reports.session_rows([session], beats_inline=0)
    return render(request, "learning/employer/session.html", {
        "worker": worker, "employer": worker.employer, "phone": phone_mask(worker.phone), "session": session,
        "row": row, "page": page, "links": ParamPageLinks(page, {}),
        "year": reports.this_year(session.started_at),
    })


def _export_or_404(request: HttpRequest, employer: Employer, code: str) -> StudyHoursExport:
    code = _code(code)
    if not code:
        raise Http404
    return request_scope(request).owned_or_404(StudyHoursExport.objects.filter(employer=employer), write=True,
                                                code=code).obj


def _described(export: StudyHoursExport) -> str:
    """What an export holds, for the list of recent ones."""
    filters = export.filters
    parts = [str(export.year) if export.year is not None else _("全部年度")]
    if filters.get("course"):
        title = CoursePage.objects.filter(pk=filters["course"]).values_list("title", flat=True).first()
        parts.append(title or _("课程 %(id)s") % {"id": filters["course"]})
    if filters.get("department"):
        parts.append(filters["department"])
    if filters.get("post_role"):
        parts.append(str(dict(PostRole.choices).get(filters["post_role"], filters["post_role"])))
    if filters.get("q"):
        parts.append(_("姓名含“%(q)s”") % {"q": filters["q"]})
    return " · ".join(parts)


def _export_start(request: HttpRequest, owned: Owned, address: str) -> HttpResponse:
    employer: Employer = owned.obj
    params = request.POST
    raw_year = safe_parameter(params.get("year", ""), 12).strip()
    try:
        year = None if raw_year == ALL_YEARS else reports.report_year(raw_year)
        course = reports.report_course(employer=employer, raw=params.get("course", ""))
        department = safe_parameter(params.get("department", ""), 64).strip()
        if department and department not in roster.employer_departments(employer):
            raise reports.ReportRefused(_("本单位没有这个部门：%(value)s") % {"value": department}, field="department")
        export = reports_export.study_hours_export_start(
            actor=request.user, employer=employer, year=year, course=course, department=department,
            post_role=params.get("post_role", ""), search=params.get("q", ""))
    except reports.ReportRefused as refused:
        messages.error(request, str(refused))
        return redirect(address)
    if export.status == JobStatus.DONE:
        return redirect(f"{address}?download={export.code}")
    return redirect(f"{address}?job={export.code}")


@login_required
def hours_export(request: HttpRequest, code: str) -> HttpResponse | FileResponse:
    """POST starts an export (written at once when small, in the background when large); GET shows
    the recent ones, one export's progress (?job=) or downloads its file (?download=)."""
    owned = _employer(request, code)
    employer: Employer = owned.obj
    address = reverse("learning:employer_hours_export", args=[employer.code])
    if request.method == "POST":
        return _export_start(request, owned, address)
    if "download" in request.GET:
        export = _export_or_404(request, employer, request.GET["download"])
        if export.status != JobStatus.DONE or not export.result_file:
            raise Http404
        return FileResponse(export.result_file.open("rb"), as_attachment=True,
                            filename=reports_export.study_hours_export_filename(export=export), content_type=XLSX)
    job = _export_or_404(request, employer, request.GET["job"]) if "job" in request.GET else None
    exports = list(StudyHoursExport.objects.filter(employer=employer).select_related("created_by")[:10])
    return render(request, "learning/employer/export.html", {
        "employer": employer, "owned": owned, "job": job, "job_filters": _described(job) if job else "",
        "exports": [(export, _described(export)) for export in exports],
        "years": reports.report_years(employer=employer), "courses": reports.report_courses(employer=employer),
        "departments": roster.employer_departments(employer), "roles": PostRole.choices,
        "all_years": ALL_YEARS, "current_year": reports.this_year(),
    })
