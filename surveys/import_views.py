"""The survey file pages: XLSForm in the Wagtail admin for editors, the sampling frame and paper
questionnaires on the site for evaluators. Upload → check (every bad row and column listed, and
what was skipped) → confirm (all or nothing); templates to download. The views only call
surveys.services.imports and the format modules.

``admin_urlpatterns`` are mounted by surveys.wagtail_hooks under the admin at ``surveys/imports/``;
``urlpatterns`` are included into surveys.urls (namespace "surveys"). A wave is resolved through
surveys.selectors.waves_in_reach: another region's wave is a 404 exactly like an unknown code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.audit import audit
from core.errors import ServiceError
from core.exports import XLSX
from core.scope import request_scope
from surveys.models import Questionnaire, SurveyImport, Wave
from surveys.selectors import waves_in_reach
from surveys.services import imports
from surveys.services.frame import frame_template
from surveys.services.paper import paper_template
from surveys.services.xlsform import questionnaire_xlsform, xlsform_filename

ADD_PERMISSION = "surveys.add_questionnaire"
VIEW_PERMISSION = "surveys.view_questionnaire"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_text: str = _(".xlsx 文件，不超过 %(limit)s MB") % {"limit": imports.size_limit_text()}
        self.fields["file"].help_text = help_text


def _xlsx_download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    return response


def _code(value: str) -> str:
    # Codes are token_urlsafe: anything else (a NUL, which psycopg refuses) matches nothing.
    return value if len(value) <= 16 and value.isascii() and value.replace("-", "").replace("_", "").isalnum() else ""


def _start(request: HttpRequest, form: UploadForm, kind: str, wave: Wave | None) -> SurveyImport | None:
    upload = form.cleaned_data["file"]
    try:
        return imports.survey_import_start(actor=request.user, kind=kind, file=upload,
                                           original_name=upload.name or "upload.xlsx", wave=wave)
    except PermissionDenied:
        raise
    except ServiceError as error:
        form.add_error("file", error.message)
    return None


def _confirm(request: HttpRequest, job: SurveyImport) -> None:
    try:
        job = imports.survey_import_commit(actor=request.user, job=job)
    except ServiceError as error:
        messages.error(request, error.message)
        return
    job.refresh_from_db()
    if job.status == imports.SurveyImportStatus.IMPORTED:
        messages.success(request, _("已导入"))
    elif job.status == imports.SurveyImportStatus.REJECTED:
        messages.error(request, _("导入前再次检查发现问题，未写入任何数据；请查看下方列表"))


def _detail_context(job: SurveyImport) -> dict[str, Any]:
    summary = job.summary or {}
    return {"job": job, "summary": summary, "status_label": imports.survey_import_status_label(job),
            "can_confirm": job.status == imports.SurveyImportStatus.CHECKED,
            "running": job.status in (imports.SurveyImportStatus.QUEUED, imports.SurveyImportStatus.RUNNING),
            "errors_hidden": max(0, int(summary.get("error_count", 0)) - len(job.errors or []))}


# -- the Wagtail admin: XLSForm -----------------------------------------------------------------
def editor_required(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """403 for anyone without ``permission`` (the admin itself turns away whoever may not use it)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated or not request.user.has_perm(permission):
                return HttpResponseForbidden(_("只有内容编辑可以导入或导出调查问卷"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@editor_required(ADD_PERMISSION)
def xlsform_import(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = _start(request, form, SurveyImport.Kind.XLSFORM, None)
        if job is not None:
            return redirect("surveys_xlsform_import_detail", job.code)
    recent = imports.survey_imports_recent(kind=SurveyImport.Kind.XLSFORM)
    return TemplateResponse(request, "surveys/imports/xlsform_import.html", {
        "form": form, "recent": [(job, imports.survey_import_status_label(job)) for job in recent]})


def _xlsform_job_or_404(code: str) -> SurveyImport:
    job = SurveyImport.objects.filter(kind=SurveyImport.Kind.XLSFORM, code=_code(code)).select_related(
        "created_by").first() if _code(code) else None
    if job is None:
        raise Http404
    return job


@editor_required(ADD_PERMISSION)
def xlsform_import_detail(request: HttpRequest, code: str) -> HttpResponse:
    return TemplateResponse(request, "surveys/imports/xlsform_import_detail.html",
                            _detail_context(_xlsform_job_or_404(code)))


@require_POST
@editor_required(ADD_PERMISSION)
def xlsform_import_confirm(request: HttpRequest, code: str) -> HttpResponse:
    job = _xlsform_job_or_404(code)
    _confirm(request, job)
    return redirect("surveys_xlsform_import_detail", job.code)


@editor_required(VIEW_PERMISSION)
def xlsform_export(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = Questionnaire.objects.filter(code=_code(code)).first() if _code(code) else None
    if questionnaire is None:
        raise Http404
    content = questionnaire_xlsform(questionnaire=questionnaire)
    audit(request.user, "surveys.questionnaire.export", questionnaire,
          data={"form_id": questionnaire.form_id, "items": questionnaire.items.count()})
    return _xlsx_download(content, xlsform_filename(questionnaire))


admin_urlpatterns: list[Any] = [
    path("xlsform/", xlsform_import, name="surveys_xlsform_import"),
    path("xlsform/<str:code>/", xlsform_import_detail, name="surveys_xlsform_import_detail"),
    path("xlsform/<str:code>/confirm/", xlsform_import_confirm, name="surveys_xlsform_import_confirm"),
    path("questionnaires/<str:code>/xlsform/", xlsform_export, name="surveys_xlsform_export"),
]


# -- the site: a wave's frame and paper questionnaires --------------------------------------------
KINDS: dict[str, dict[str, Any]] = {
    SurveyImport.Kind.FRAME: {"title": gettext_lazy("导入抽样框"), "url": "frame",
                              "steps": (gettext_lazy("下载模板，每一行填一层：地区代码、行业代码、人群、总体人数、样本配额。"),
                                        gettext_lazy("上传后系统先检查每一行，并列出问题所在的行和列；此时不会写入任何数据。"),
                                        gettext_lazy("检查全部通过后确认导入：整体替换本轮调查现有的抽样框。已有答卷后不能再替换。"))},
    SurveyImport.Kind.PAPER: {"title": gettext_lazy("录入纸质问卷"), "url": "paper",
                              "steps": (gettext_lazy("下载本轮调查的录入模板：第 1 行是题目代码，第 2、3 行是题目和可填写的内容，"
                                                     "从第 4 行起每行录入一份问卷。"),
                                        gettext_lazy("上传后系统先按在线答卷的同样规则检查每一行（跳题、取值范围、调查期间、"
                                                     "抽样框和配额），列出问题所在的行和列；此时不会写入任何数据。"),
                                        gettext_lazy("检查全部通过后确认导入：所有问卷一次写入，问卷编号已录入过的会被指出。"))},
}


def _wave_or_404(request: HttpRequest, code: str) -> Wave:
    scope = request_scope(request)
    if not (scope.is_superuser or scope.has("evaluator")):
        raise Http404
    wave = waves_in_reach(scope).filter(code=_code(code)).select_related("region", "questionnaire").first() \
        if _code(code) else None
    if wave is None:
        raise Http404
    return wave


def _wave_import(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    wave = _wave_or_404(request, code)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        imports.wave_import_check(actor=request.user, wave=wave)
        if form.is_valid():
            job = _start(request, form, kind, wave)
            if job is not None:
                return redirect(f"surveys:{KINDS[kind]['url']}_import_detail", wave.code, job.code)
    recent = imports.survey_imports_recent(kind=kind, wave=wave)
    return render(request, "surveys/imports/wave_import.html", {
        "wave": wave, "form": form, "kind": kind, "info": KINDS[kind],
        "template_url": f"surveys:{KINDS[kind]['url']}_template",
        "detail_url": f"surveys:{KINDS[kind]['url']}_import_detail",
        "recent": [(job, imports.survey_import_status_label(job)) for job in recent]})


def _wave_job_or_404(request: HttpRequest, code: str, import_code: str, kind: str) -> SurveyImport:
    wave = _wave_or_404(request, code)
    job = SurveyImport.objects.filter(kind=kind, wave=wave, code=_code(import_code)).select_related(
        "wave", "wave__region", "created_by").first() if _code(import_code) else None
    if job is None:
        raise Http404
    return job


def _wave_detail(request: HttpRequest, code: str, import_code: str, kind: str) -> HttpResponse:
    job = _wave_job_or_404(request, code, import_code, kind)
    return render(request, "surveys/imports/wave_import_detail.html", {
        **_detail_context(job), "wave": job.wave, "kind": kind, "info": KINDS[kind],
        "back_url": f"surveys:{KINDS[kind]['url']}_import",
        "confirm_url": f"surveys:{KINDS[kind]['url']}_import_confirm"})


def _wave_confirm(request: HttpRequest, code: str, import_code: str, kind: str) -> HttpResponse:
    job = _wave_job_or_404(request, code, import_code, kind)
    _confirm(request, job)
    return redirect(f"surveys:{KINDS[kind]['url']}_import_detail", code, job.code)


@login_required
def frame_import(request: HttpRequest, code: str) -> HttpResponse:
    return _wave_import(request, code, SurveyImport.Kind.FRAME)


@login_required
def frame_import_detail(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    return _wave_detail(request, code, import_code, SurveyImport.Kind.FRAME)


@login_required
@require_POST
def frame_import_confirm(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    return _wave_confirm(request, code, import_code, SurveyImport.Kind.FRAME)


@login_required
def frame_template_download(request: HttpRequest, code: str) -> HttpResponse:
    _wave_or_404(request, code)
    return _xlsx_download(frame_template(), _("抽样框模板.xlsx"))


@login_required
def paper_import(request: HttpRequest, code: str) -> HttpResponse:
    return _wave_import(request, code, SurveyImport.Kind.PAPER)


@login_required
def paper_import_detail(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    return _wave_detail(request, code, import_code, SurveyImport.Kind.PAPER)


@login_required
@require_POST
def paper_import_confirm(request: HttpRequest, code: str, import_code: str) -> HttpResponse:
    return _wave_confirm(request, code, import_code, SurveyImport.Kind.PAPER)


@login_required
def paper_template_download(request: HttpRequest, code: str) -> HttpResponse:
    wave = _wave_or_404(request, code)
    return _xlsx_download(paper_template(wave=wave), _("纸质问卷录入模板-%(code)s.xlsx") % {"code": wave.code})


urlpatterns: list[Any] = [
    path("surveys/waves/<str:code>/frame/", frame_import, name="frame_import"),
    path("surveys/waves/<str:code>/frame/template/", frame_template_download, name="frame_template"),
    path("surveys/waves/<str:code>/frame/<str:import_code>/", frame_import_detail, name="frame_import_detail"),
    path("surveys/waves/<str:code>/frame/<str:import_code>/confirm/", frame_import_confirm,
         name="frame_import_confirm"),
    path("surveys/waves/<str:code>/paper/", paper_import, name="paper_import"),
    path("surveys/waves/<str:code>/paper/template/", paper_template_download, name="paper_template"),
    path("surveys/waves/<str:code>/paper/<str:import_code>/", paper_import_detail, name="paper_import_detail"),
    path("surveys/waves/<str:code>/paper/<str:import_code>/confirm/", paper_import_confirm,
         name="paper_import_confirm"),
]
