"""Pages for employer admins (roster), evaluators (region) and everyone's account."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgs import selectors, services
from orgs.access import employer_access, employers_visible_to, region_access, worker_access
from orgs.forms import ActivationForm, RosterUploadForm
from orgs.models import RosterImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def activate(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_account_activate(phone=form.cleaned_data["phone"],
                                             id_number=form.cleaned_data["id_number"],
                                             password=form.cleaned_data["password1"])
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("账号已激活，请用手机号和新密码登录。"))
            return redirect("login")
    return render(request, "registration/activate.html", {"form": form})


@login_required
def employer_home(request: HttpRequest) -> HttpResponse:
    employers = list(employers_visible_to(request.user).filter(admins__user=request.user)[:2])
    if len(employers) == 1:
        return redirect("orgs:roster", employers[0].code)
    raise Http404


@login_required
def roster(request: HttpRequest, code: str) -> HttpResponse:
    access = employer_access(request.user, code)
    workers = selectors.roster_workers(employer=access.employer, search=request.GET.get("q", ""),
                                       department=request.GET.get("department", ""),
                                       status=request.GET.get("status", "active"))
    page = Paginator(workers, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/roster.html", {
        "access": access, "employer": access.employer, "page": page,
        "stats": selectors.roster_stats(access.employer),
        "departments": selectors.employer_departments(access.employer),
        "imports": access.employer.roster_imports.all()[:5] if access.can_write else [],
        "query": request.GET,
    })


@login_required
def roster_template(request: HttpRequest, code: str) -> HttpResponse:
    employer_access(request.user, code, write=True)
    response = HttpResponse(content_type=XLSX)
    services.roster_template_write(response)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''roster-template.xlsx"
    return response


@login_required
def roster_export(request: HttpRequest, code: str) -> HttpResponse:
    access = employer_access(request.user, code, write=True)
    # A temporary file rather than memory: with constant_memory XlsxWriter streams rows to disk.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after streaming
    services.roster_export_write(employer=access.employer, user=request.user, stream=spool,
                                 sees_id_numbers=access.sees_id_numbers)
    spool.seek(0)
    filename = f"roster-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
def roster_import(request: HttpRequest, code: str) -> HttpResponse:
    access = employer_access(request.user, code, write=True)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            roster_import = services.roster_import_start(employer=access.employer, user=request.user,
                                                         upload=form.cleaned_data["file"])
        except services.RosterUploadError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("orgs:roster_import_detail", code, roster_import.code)
    return render(request, "orgs/roster_import.html", {"employer": access.employer, "form": form})


def _import_for(request: HttpRequest, code: str, import_code: str) -> RosterImport:
    access = employer_access(request.user, code, write=True)
    return get_object_or_404(RosterImport, employer=access.employer, code=import_code)


@login_required
def roster_import_detail(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    roster_import = _import_for(request, code, import_code)
    return render(request, "orgs/roster_import_detail.html", {
        "employer": roster_import.employer, "roster_import": roster_import,
    })


@login_required
def roster_import_progress(request: HttpRequest, code: str, import_code: str) -> JsonResponse:
    roster_import = _import_for(request, code, import_code)
    return JsonResponse({"status": roster_import.status, "percent": roster_import.progress_percent,
                         "processed": roster_import.processed_rows, "running": roster_import.is_running})


@login_required
@require_POST
def roster_import_confirm(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    roster_import = _import_for(request, code, import_code)
    try:
        services.roster_import_confirm(roster_import=roster_import)
    except services.RosterUploadError as exc:
        messages.error(request, str(exc))
    return redirect("orgs:roster_import_detail", code, import_code)


@login_required
def worker_detail(request: HttpRequest, code: str) -> HttpResponse:
    worker, access = worker_access(request.user, code)
    return render(request, "orgs/worker_detail.html", {"worker": worker, "access": access})


@login_required
@require_POST
def worker_status(request: HttpRequest, code: str) -> HttpResponse:
    worker, _access = worker_access(request.user, code, write=True)
    action = request.POST.get("action")
    if action == "deactivate":
        services.worker_set_active(worker=worker, active=False)
    elif action == "activate":
        services.worker_set_active(worker=worker, active=True)
    elif action == "reset-password":
        services.worker_password_reset(worker=worker)
        messages.success(request, _("已重置：该劳动者需用手机号和身份证号重新激活账号。"))
    else:
        raise PermissionDenied
    return redirect(reverse("orgs:worker", args=[code]))


@login_required
def region(request: HttpRequest) -> HttpResponse:
    region_access(request.user)
    employers = selectors.region_employers(request.user)
    page = Paginator(employers, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/region.html", {"page": page})
