"""Bank import and export in the Wagtail admin, for editors (exams.add_question) and superusers.

Upload → check (a dry run, at once: files are small) → preview with every bad row and column, the
questions to create and the types skipped → confirm (all or nothing); a template to download; the
bank as xlsx or Moodle XML. The views only call exams.services.bank_files. exams.wagtail_hooks
mounts ``admin_urlpatterns`` under the admin at ``exams/bank/``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from core.errors import ServiceError
from core.exports import xlsx_response
from exams.models import BankImport, Category
from exams.services import bank_files

PERMISSION = "exams.add_question"


def editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for anyone who may not add questions (the admin itself turns away whoever may not use it)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or not request.user.has_perm(PERMISSION):
            return HttpResponseForbidden(_("只有题库编辑可以导入或导出题库"))
        return view(request, *args, **kwargs)

    return wrapped


class BankUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("题库文件"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xml"}))
    create_categories = forms.BooleanField(
        label=gettext_lazy("自动建立文件中的新分类"), required=False,
        help_text=gettext_lazy("不勾选时，文件中出现题库里没有的分类会报错"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("题库模板（.xlsx）或 Moodle XML（.xml），按扩展名识别，不超过 %(limit)s MB") % {
            "limit": bank_files.size_limit_text()}


class BankExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("格式"), initial="xlsx", widget=forms.RadioSelect, choices=(
        ("xlsx", gettext_lazy("Excel 题库模板格式（.xlsx，可再导入）")), ("moodle", gettext_lazy("Moodle XML（.xml）"))))
    category = forms.ModelChoiceField(label=pgettext_lazy("question bank", "分类"), queryset=Category.objects.all(), required=False,
                                      empty_label=gettext_lazy("全部分类"), help_text=gettext_lazy("含下级分类"))
    active_only = forms.BooleanField(label=gettext_lazy("只导出启用的试题"), required=False)


def _status_label(bank_import: BankImport) -> str:
    try:
        return str(bank_files.BankImportStatus(bank_import.status).label)
    except ValueError:
        return bank_import.status


@editor_required
def bank_import(request: HttpRequest) -> HttpResponse:
    form = BankUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = bank_files.bank_import_start(actor=request.user, upload=form.cleaned_data["file"],
                                                  create_categories=form.cleaned_data["create_categories"])
        except ServiceError as error:
            form.add_error("file", error.message)
        else:
            return redirect("exams_bank_import_detail", record.code)
    imports = [(record, _status_label(record)) for record in BankImport.objects.select_related("created_by")[:10]]
    return TemplateResponse(request, "exams/admin/bank_import.html", {"form": form, "imports": imports})


def _import_or_404(code: str) -> BankImport:
    record = BankImport.objects.select_related("created_by").filter(code=code[:16]).first()
    if record is None:
        raise Http404
    return record


@editor_required
def bank_import_detail(request: HttpRequest, code: str) -> HttpResponse:
    record = _import_or_404(code)
    summary = record.summary or {}
    return TemplateResponse(request, "exams/admin/bank_import_detail.html", {
        "record": record, "status_label": _status_label(record), "summary": summary,
        "is_moodle": record.format == BankImport.Format.MOODLE,
        "can_confirm": record.status == bank_files.BankImportStatus.CHECKED,
        "errors_hidden": max(0, summary.get("error_count", 0) - len(record.errors)),
        "preview_hidden": max(0, summary.get("create", 0) - len(summary.get("preview", []))),
    })


@require_POST
@editor_required
def bank_import_confirm(request: HttpRequest, code: str) -> HttpResponse:
    record = _import_or_404(code)
    try:
        record = bank_files.bank_import_confirm(actor=request.user, bank_import=record)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        if record.status == bank_files.BankImportStatus.IMPORTED:
            messages.success(request, _("已导入 %(count)s 道试题") % {"count": (record.summary or {}).get("create", 0)})
        else:
            messages.error(request, _("导入前再次检查发现问题，未写入任何数据；请查看下方列表"))
    return redirect("exams_bank_import_detail", record.code)


@editor_required
def bank_template(request: HttpRequest) -> HttpResponse:
    stream = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    bank_files.bank_template_write(stream)
    return xlsx_response(stream, "题库导入模板.xlsx")


@editor_required
def bank_export(request: HttpRequest) -> HttpResponse:
    form = BankExportForm(request.GET if "format" in request.GET else None)
    if form.is_bound and form.is_valid():
        category = form.cleaned_data["category"]
        active_only = form.cleaned_data["active_only"]
        stamp = timezone.localdate().strftime("%Y%m%d")
        if form.cleaned_data["format"] == "moodle":
            text, _count = bank_files.bank_export_moodle(actor=request.user, category=category, active_only=active_only)
            response = HttpResponse(text.encode(), content_type="application/xml; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(True, f"题库-{stamp}.xml")
            return response
        stream = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
        bank_files.bank_export_xlsx(actor=request.user, stream=stream, category=category, active_only=active_only)
        return xlsx_response(stream, f"题库-{stamp}.xlsx")
    return TemplateResponse(request, "exams/admin/bank_export.html", {"form": form})


admin_urlpatterns: list[Any] = [
    path("import/", bank_import, name="exams_bank_import"),
    path("import/<str:code>/", bank_import_detail, name="exams_bank_import_detail"),
    path("import/<str:code>/confirm/", bank_import_confirm, name="exams_bank_import_confirm"),
    path("template/", bank_template, name="exams_bank_template"),
    path("export/", bank_export, name="exams_bank_export"),
]
