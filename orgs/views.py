"""Pages for employer admins (roster, activation sheets), evaluators (region), workers (transfers)
and everyone's account. Every owned object is resolved through the request's scope."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import audit_entries
from core.exports import XLSX, xlsx_response
from core.pagination import ParamPageLinks, page_of
from core.qr import qr_svg
from core.scope import request_scope
from orgs import selectors, services
from orgs.access import employer_or_404, region_or_404, worker_or_404
from orgs.forms import ActivationForm, RosterUploadForm
from orgs.models import Employer, RosterImport, Worker
from orgs.services.transfers import pending_transfer_of

ROSTER_PAGE_SIZE = 50


def _client_ip(request: HttpRequest) -> str:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or ""


def activate(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(request.POST or None, initial={"code": request.GET.get("code", "")[:20]})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.worker_account_activate(phone=form.cleaned_data["phone"], code=form.cleaned_data["code"],
                                                    password=form.cleaned_data["password1"],
                                                    client_ip=_client_ip(request))
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("账号已激活，请用 %(login)s 和新密码登录。") % {"login": user.username})
            return redirect("login")
    return render(request, "registration/activate.html", {"form": form})


@login_required
def employer_home(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    employers = list(Employer.objects.filter(pk__in=scope.employer_ids).values_list("code", flat=True)[:2])
    if len(employers) == 1:
        return redirect("orgs:roster", employers[0])
    raise Http404


@login_required
def roster(request: HttpRequest, code: str) -> HttpResponse:
    owned = employer_or_404(request, code)
    employer: Employer = owned.obj
    status = request.GET.get("status", "active")
    if status not in selectors.ROSTER_STATUSES:
        status = "active"
    workers = selectors.roster_workers(employer=employer, search=request.GET.get("q", ""),
                                       department=request.GET.get("department", ""), status=status,
                                       sees_raw=owned.sees_raw)
    page = page_of(workers, request.GET, ROSTER_PAGE_SIZE)
    return render(request, "orgs/roster.html", {
        "owned": owned, "employer": employer, "page": page, "links": ParamPageLinks(page, request.GET),
        "stats": selectors.roster_stats(employer),
        "departments": selectors.employer_departments(employer),
        "imports": employer.roster_imports.all()[:5] if owned.can_write else [],
        "pending": selectors.pending_transfers_to(employer)[:50] if owned.can_write else [],
        "former": selectors.former_workers(employer)[:50] if owned.can_write else [],
        "query": request.GET, "status": status,
    })


@login_required
def roster_template(request: HttpRequest, code: str) -> HttpResponse:
    employer_or_404(request, code, write=True)
    response = HttpResponse(content_type=XLSX)
    services.roster_template_write(response)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''roster-template.xlsx"
    return response


@login_required
def roster_export(request: HttpRequest, code: str) -> HttpResponse:
    owned = employer_or_404(request, code, write=True)
    # A temporary file rather than memory: with constant_memory XlsxWriter streams rows to disk.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after streaming
    services.roster_export_write(actor=request.user, employer=owned.obj, stream=spool, sees_raw=owned.sees_raw)
    return xlsx_response(spool, f"roster-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def roster_import(request: HttpRequest, code: str) -> HttpResponse:
    owned = employer_or_404(request, code, write=True)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            roster_import = services.roster_import_start(actor=request.user, employer=owned.obj,
                                                         upload=form.cleaned_data["file"])
        except services.RosterUploadError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("orgs:roster_import_detail", code, roster_import.code)
    return render(request, "orgs/roster_import.html", {"employer": owned.obj, "form": form})


def _import_for(request: HttpRequest, code: str, import_code: str) -> RosterImport:
    employer = employer_or_404(request, code, write=True).obj
    return request_scope(request).owned_or_404(RosterImport.objects.filter(employer=employer).select_related("employer"),
                                               write=True, code=import_code).obj


@login_required
def roster_import_detail(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    roster_import = _import_for(request, code, import_code)
    return render(request, "orgs/roster_import_detail.html", {
        "employer": roster_import.employer, "roster_import": roster_import,
    })


@login_required
@require_POST
def roster_import_confirm(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    roster_import = _import_for(request, code, import_code)
    try:
        services.roster_import_confirm(actor=request.user, roster_import=roster_import)
    except services.RosterUploadError as exc:
        messages.error(request, str(exc))
    return redirect("orgs:roster_import_detail", code, import_code)


def _activation_url(request: HttpRequest, code: str) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    return f"{base}{reverse('activate')}?code={code}"


def _sheet(request: HttpRequest, employer: Employer, issued: list[services.IssuedCode]) -> HttpResponse:
    cards = [{"worker": item.worker, "code": item.code, "expires_at": item.expires_at,
              "qr": qr_svg(_activation_url(request, item.code), cache_result=False)} for item in issued]
    response = render(request, "orgs/activation_sheet.html", {"employer": employer, "cards": cards})
    # The codes are secrets: never keep this page anywhere.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def activation_codes(request: HttpRequest, code: str) -> HttpResponse:
    """The admin picks workers who have not activated their accounts and prints a sheet of codes."""
    owned = employer_or_404(request, code, write=True)
    employer: Employer = owned.obj
    waiting = selectors.workers_to_activate(employer)
    if request.method == "POST":
        # Codes are letters, digits, - and _: anything else (a NUL psycopg refuses) matches nobody.
        chosen = [value for value in request.POST.getlist("worker") if value.isascii() and value.isprintable()]
        workers = list(waiting.filter(code__in=chosen[:2000])) if chosen else list(waiting[:2000])
        if not workers:
            messages.error(request, _("没有需要激活账号的劳动者。"))
            return redirect("orgs:activation_codes", code)
        issued = services.activation_codes_issue(actor=request.user, employer=employer, workers=workers)
        return _sheet(request, employer, issued)
    page = page_of(waiting, request.GET, 200)
    return render(request, "orgs/activation_codes.html", {"employer": employer, "page": page,
                                                          "links": ParamPageLinks(page, request.GET)})


@login_required
def audit_log(request: HttpRequest, code: str) -> HttpResponse:
    """What was done to this employer's records, and by whom."""
    owned = employer_or_404(request, code, write=True)
    page = page_of(audit_entries(employer_id=owned.obj.pk), request.GET, 50)
    return render(request, "orgs/audit_log.html", {"employer": owned.obj, "page": page,
                                                   "links": ParamPageLinks(page, request.GET)})


@login_required
def worker_detail(request: HttpRequest, code: str) -> HttpResponse:
    owned = worker_or_404(request, code)
    return render(request, "orgs/worker_detail.html", {"worker": owned.obj, "owned": owned})


@login_required
@require_POST
def worker_status(request: HttpRequest, code: str) -> HttpResponse:
    owned = worker_or_404(request, code, write=True)
    worker: Worker = owned.obj
    action = request.POST.get("action")
    if action == "deactivate":
        services.worker_set_active(actor=request.user, worker=worker, active=False)
    elif action == "activate":
        services.worker_set_active(actor=request.user, worker=worker, active=True)
    elif action in ("reset-password", "issue-code"):
        if action == "reset-password":
            issued = services.worker_password_reset(actor=request.user, worker=worker)
        else:
            issued = services.activation_code_issue(actor=request.user, worker=worker)
        return _sheet(request, worker.employer, [issued])
    else:
        raise PermissionDenied
    return redirect(reverse("orgs:worker", args=[code]))


@login_required
def transfer(request: HttpRequest, code: str) -> HttpResponse:
    """The worker's own page for a pending request of another employer: confirm or decline."""
    transfer = pending_transfer_of(request.user, code)
    if transfer is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                services.transfer_confirm(actor=request.user, code=code)
                messages.success(request, _("已加入 %(employer)s。") % {"employer": transfer.to_employer.name})
            else:
                services.transfer_decline(actor=request.user, code=code)
                messages.info(request, _("已拒绝。"))
        except services.TransferError as exc:
            raise Http404 from exc
        return redirect("/")
    return render(request, "orgs/transfer.html", {"transfer": transfer})


@login_required
def region(request: HttpRequest) -> HttpResponse:
    scope = region_or_404(request)
    page = page_of(selectors.region_employers(scope), request.GET, 50)
    return render(request, "orgs/region.html", {"page": page, "links": ParamPageLinks(page, request.GET)})
