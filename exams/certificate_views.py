"""Certificates: the holder's page and files, the public verify page, the employer's revocation.

The holder's page answers only the holder (everyone else gets 404); the files answer the holder and
the admins of the certificate's employer; the verify page answers anyone, with what the holder
consented to show. Rules are in exams.services.certificates.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.models import JobStatus
from core.scope import Reach, request_scope
from exams.models import Certificate
from exams.services import certificates as services
from exams.services.certificates import REASON_MAX, CertificateError, verification_display
from orgs.access import employer_or_404
from orgs.models import Worker

logger = logging.getLogger(__name__)
FILE_TYPES = {"png": "image/png", "pdf": "application/pdf"}


class ConsentForm(forms.Form):
    show_name = forms.BooleanField(required=False, label=gettext_lazy("显示我的姓名"))
    show_employer = forms.BooleanField(required=False, label=gettext_lazy("显示我的单位"))


class RevokeForm(forms.Form):
    # The service's own words for a missing reason, said once, instead of the generic "必需字段".
    reason = forms.CharField(label=gettext_lazy("撤销原因"), max_length=REASON_MAX,
                             error_messages={"required": gettext_lazy("请填写撤销原因")},
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("例如：考试由他人代考；持证人会在站内消息中看到原因，验证页不显示原因"))


class VerifyForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=40,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off",
                                                         "spellcheck": "false", "placeholder": "ABCD-EFGH-JKLM"}))


def _client_ip(request: HttpRequest) -> str:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or ""


def _holder_certificate(request: HttpRequest, verification: str) -> Certificate:
    """The signed-in worker's own certificate; anyone else's (or none) is 404."""
    certificates = Certificate.objects.filter(worker__user_id=request.user.pk).select_related("worker")
    return request_scope(request).owned_or_404(certificates, verification=verification).obj


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def certificate_page(request: HttpRequest, verification: str) -> HttpResponse:
    certificate = _holder_certificate(request, verification)
    form = ConsentForm(initial={"show_name": certificate.show_name, "show_employer": certificate.show_employer})
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "retry":
            if services.certificate_render_retry(certificate=certificate):
                messages.success(request, _("已重新开始生成证书"))
            return redirect("exams:certificate", certificate.verification)
        form = ConsentForm(request.POST)
        if form.is_valid():
            worker = Worker.objects.filter(user_id=request.user.pk).first()
            try:
                services.certificate_consent_set(worker=worker, certificate=certificate, **form.cleaned_data)
            except CertificateError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("已保存：验证页将按您的选择显示"))
            return redirect("exams:certificate", certificate.verification)
    return render(request, "exams/certificate.html", {
        "certificate": certificate, "form": form, "code_display": verification_display(certificate.verification),
        "verify_url": services.verify_url(certificate.verification), "rendered": certificate.status == JobStatus.DONE,
        "failed": certificate.status == JobStatus.FAILED,
    })


@login_required
@require_GET
def certificate_file(request: HttpRequest, verification: str, fmt: str) -> HttpResponse:
    """The PNG or PDF, to the holder and to the admins of the certificate's employer (an evaluator
    of the region reads statistics, not certificates: 404 like anyone else)."""
    if fmt not in FILE_TYPES:
        raise Http404
    owned = request_scope(request).owned_or_404(Certificate.objects.all(), verification=verification)
    certificate: Certificate = owned.obj
    if owned.reach not in (Reach.OWNER, Reach.EMPLOYER, Reach.ALL):
        raise Http404
    if not certificate.is_valid and owned.reach == Reach.OWNER:
        # A revoked certificate is not printed again by its holder; its page says why.
        raise Http404
    if certificate.status != JobStatus.DONE:
        return render(request, "exams/certificate_pending.html", {
            "certificate": certificate, "failed": certificate.status == JobStatus.FAILED,
            "is_holder": owned.reach == Reach.OWNER,
        }, status=202)
    stored = certificate.png if fmt == "png" else certificate.pdf
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError):
        logger.error("certificate %s: the %s file %r is missing", certificate.verification, fmt, stored.name)
        raise Http404 from None
    response = FileResponse(handle, content_type=FILE_TYPES[fmt], as_attachment=request.GET.get("download") == "1",
                            filename=f"certificate-{certificate.verification}.{fmt}")
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Public: type the code printed on a certificate."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        code = services.verification_normalise(form.cleaned_data["code"])
        if code:
            return redirect("exams:verify", code)
        form.add_error("code", _("验证码由字母和数字组成，见证书左下角"))
    response = render(request, "exams/verify_form.html", {"form": form})
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_GET
def verify(request: HttpRequest, verification: str) -> HttpResponse:
    """Public, no login: valid / revoked / unknown and what the holder consented to, nothing else."""
    code = services.verification_normalise(verification)
    if code and code != verification:
        return redirect("exams:verify", code)
    result, refusal = None, ""
    try:
        result = services.certificate_verify(verification=code, client_ip=_client_ip(request))
    except CertificateError as exc:  # too many unknown codes from this address
        refusal = str(exc)
    response = render(request, "exams/verify.html", {
        "result": result, "refusal": refusal, "code_display": verification_display(code[:12]),
        "form": VerifyForm(),
    }, status=429 if refusal else 200)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def certificate_revoke(request: HttpRequest, code: str, verification: str) -> HttpResponse:
    """The admins of the certificate's employer (and superusers) revoke it with a reason."""
    employer = employer_or_404(request, code, write=True).obj
    certificate: Certificate = request_scope(request).owned_or_404(
        Certificate.objects.filter(employer=employer).select_related("revoked_by", "exam"), write=True,
        verification=verification).obj
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"])
        except CertificateError as exc:
            form.add_error("reason" if exc.field else None, str(exc))
        else:
            messages.success(request, _("证书已撤销；验证页现在显示“已撤销”"))
            return redirect("exams:certificate_revoke", employer.code, certificate.verification)
    return render(request, "exams/certificate_revoke.html", {
        "employer": employer, "certificate": certificate, "form": form,
        "code_display": verification_display(certificate.verification),
    })
