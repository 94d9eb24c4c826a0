"""Admin screens of the exams app, grouped under 考试与题库: the question bank (with a preview of a
question as a worker sees it, and its versions), categories, exams with their blueprint and item
analysis, and read-only lists of attempts, certificates and exam jobs.

Questions, categories and exams are written through exams.services (bank.question_save,
setup.exam_save, setup.category_save) by actions registered for the generic views
(core.admin.ServiceCreateView / ServiceEditView), so the admin checks and audits exactly as the
importers, the demo and the API do. Nothing here is deleted: questions are deactivated, exams
archived, certificates revoked.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.actions.base import BaseAction
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, Panel
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton, ListingButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from core.admin import ReadOnlyPermissionPolicy, ServiceCreateView, ServiceEditView
from core.models import JobStatus
from exams.models import (
    OPTION_LETTERS,
    Attempt,
    Category,
    Certificate,
    Exam,
    ExamJob,
    Question,
    QuestionKind,
)
from exams.services import analysis
from exams.services.bank import BankError, QuestionData, question_save
from exams.services.papers import blueprint_check, rule_label
from exams.services.setup import RuleData, category_save, exam_create, exam_update

OPTION_FIELDS = [f"option_{letter.lower()}" for letter in OPTION_LETTERS]
# A BankError about the options as a whole is shown on the first option's field.
BANK_FIELD_ON_FORM = {"options": "option_a"}


class NoDeletePermissionPolicy(ModelPermissionPolicy):
    """Questions keep their versions (attempts point at them), exams their attempts and
    certificates: they are deactivated or archived, never deleted, by anyone."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "delete" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> Any:
        return super().users_with_any_permission([action for action in actions if action != "delete"])


for _model in (Question, Category, Exam):
    register_permission_policy(_model, NoDeletePermissionPolicy(_model))
for _model in (Attempt, Certificate, ExamJob):
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))


class _FormAction(BaseAction):
    """An admin action that takes the validated form and hands its values to a service."""

    def __init__(self, instance: Any, user: Any = None, *, form: Any = None, **kwargs: Any) -> None:
        super().__init__(instance, user=user)
        self.form = form


# -- questions ---------------------------------------------------------------------------------
def _question_data(form: Any) -> QuestionData:
    data = form.cleaned_data
    category, dimension, hazard_class = data.get("category"), data.get("dimension"), data.get("hazard_class")
    hazard_factor, disease, image = data.get("hazard_factor"), data.get("disease"), data.get("image")
    return QuestionData(
        kind=data.get("kind") or "", stem=data.get("stem") or "",
        options=[data.get(name) or "" for name in OPTION_FIELDS], answer=data.get("answer") or "",
        explanation=data.get("explanation") or "", category_path=category.path if category else "",
        difficulty=data.get("difficulty") or 3, dimension_code=dimension.pk if dimension else "",
        hazard_class_code=hazard_class.pk if hazard_class else "",
        hazard_factor_id=hazard_factor.pk if hazard_factor else None, disease_id=disease.pk if disease else None,
        audience_codes=[audience.pk for audience in data.get("audiences") or []],
        image_id=image.pk if image else None, is_active=bool(data.get("is_active")),
    )


def _question_write(action: _FormAction, question: Question | None) -> Question:
    try:
        return question_save(actor=action.user, data=_question_data(action.form), question=question)
    except BankError as error:
        if error.field in BANK_FIELD_ON_FORM:
            raise BankError(error.message, field=BANK_FIELD_ON_FORM[error.field]) from error
        raise


class QuestionCreateAction(_FormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Question:
        self.check(skip_permission_checks)
        self.instance = _question_write(self, None)
        return self.instance


class QuestionEditAction(_FormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Question:
        self.check(skip_permission_checks)
        # The form wrote its values onto the instance; the service compares against the stored one.
        return _question_write(self, Question.objects.get(pk=self.instance.pk))


class QuestionFilterSet(WagtailFilterSet):
    poor = django_filters.BooleanFilter(label=gettext_lazy("待改进的试题"), method="filter_poor",
                                        help_text=gettext_lazy("按试题分析的标记筛选（通过率或区分度不理想）"))

    class Meta:
        model = Question
        fields = ["kind", "category", "dimension", "hazard_class", "difficulty", "is_active"]

    def filter_poor(self, queryset: QuerySet[Question], name: str, value: bool | None) -> QuerySet[Question]:
        if value is None:
            return queryset
        condition = analysis.poor_items_q()
        return queryset.filter(condition) if value else queryset.exclude(condition)


def _figure(value: float | None, *, below: tuple[float, ...] = (), above: tuple[float, ...] = ()) -> str:
    """Two decimals, or three where two would put the value on the wrong side of a flag's
    threshold: a discrimination of 0.197 flagged "低于 0.20" is shown as 0.197, not 0.20."""
    if value is None:
        return "—"
    def misplaced(text: str) -> bool:
        shown = float(text)
        return any(value < threshold <= shown for threshold in below) or any(
            shown <= threshold < value for threshold in above)

    for text in (f"{value:.2f}", f"{value:.3f}"):
        if not misplaced(text):
            return text
    # Closer still (0.1996): three decimals rounded away from the threshold, towards the value.
    rounding = ROUND_FLOOR if any(value < threshold for threshold in below) else ROUND_CEILING
    return str(Decimal(value).quantize(Decimal("0.001"), rounding=rounding))


def facility_text(value: float | None) -> str:
    return _figure(value, below=(analysis.FACILITY_LOW,), above=(analysis.FACILITY_HIGH,))


def discrimination_text(value: float | None) -> str:
    # Below 0 is "负区分度", below DISCRIMINATION_LOW "区分度低".
    return _figure(value, below=(0.0, analysis.DISCRIMINATION_LOW))


class YesNoColumn(BooleanColumn):
    """BooleanColumn's tick or cross with 是 / 否 written beside it (its icon's title would be
    "True" / "False"); empty shows —."""

    cell_template_name = "exams/admin/yes_no_cell.html"


def _yes_no(model: Any, name: str) -> YesNoColumn:
    return YesNoColumn(name, label=model._meta.get_field(name).verbose_name)


class ReadableInspectView(InspectView):
    """The inspect page as a person reads it: 是 / 否 rather than True / False, and — for a value
    left empty rather than None or a blank."""

    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if value is None or (isinstance(value, str) and value.strip() in ("", "-")):
            return "—"
        return value


def question_preview(question: Question) -> dict[str, Any]:
    """What the worker's screen shows of this question (in the bank's option order; a paper
    shuffles it), and, apart, what it hides until the paper is graded."""
    options = [(OPTION_LETTERS[index], text) for index, text in enumerate(question.options)]
    answer_shown = question.answer
    if question.kind == QuestionKind.TRUE_FALSE:
        answer_shown = _("对（正确）") if question.answer == "A" else _("错（错误）")
    return {"question": question, "options": options, "answer": answer_shown, "explanation": question.explanation,
            "multiple": question.kind == QuestionKind.MULTIPLE}


class QuestionInspectView(ReadableInspectView):
    template_name = "exams/admin/question_inspect.html"

    def get_facility_display_value(self) -> str:
        return facility_text(self.object.facility)

    def get_discrimination_display_value(self) -> str:
        return discrimination_text(self.object.discrimination)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        question = self.object
        context["preview"] = question_preview(question)
        context["versions"] = question.versions.select_related("created_by").order_by("-number")
        context["flags"] = [str(analysis.FLAG_LABELS[flag]) for flag in analysis.question_flags(question)]
        return context


def _index_selecting(*related: str) -> type[IndexView]:
    """The generic listing, with the relations its columns show fetched in the same query."""

    class SelectingIndexView(IndexView):
        def get_base_queryset(self) -> QuerySet[Any]:
            return super().get_base_queryset().select_related(*related)

    return SelectingIndexView


class QuestionIndexView(_index_selecting("category")):  # type: ignore[misc]
    """The bank's list, with the worker-view preview one click from each question (the title still
    opens the edit form)."""

    def get_list_more_buttons(self, instance: Question) -> list[Any]:
        buttons = super().get_list_more_buttons(instance)
        inspect_url = self.get_inspect_url(instance)
        if inspect_url:
            buttons.append(ListingButton(_("预览"), url=inspect_url, icon_name="view", priority=5,
                                         attrs={"aria-label": _("预览“%(question)s”") % {"question": instance}}))
        return buttons


class QuestionViewSet(ModelViewSet):
    model = Question
    index_view_class = QuestionIndexView
    name = "exam_questions"
    url_prefix = "exams/questions"
    icon = "help"
    menu_label = gettext_lazy("试题")
    list_display = [
        "__str__", "kind", "category", "difficulty", YesNoColumn("is_active", label=gettext_lazy("启用")),
        Column("facility", label=gettext_lazy("通过率"), accessor=lambda q: facility_text(q.facility), sort_key="facility"),
        Column("discrimination", label=gettext_lazy("区分度"), accessor=lambda q: discrimination_text(q.discrimination),
               sort_key="discrimination"),
        Column("stats_responses", label=gettext_lazy("作答人次"), sort_key="stats_responses"),
        Column("flags", label=gettext_lazy("标记"), accessor=lambda q: "、".join(
            re.split("：|: ", str(analysis.FLAG_LABELS[flag]))[0] for flag in analysis.question_flags(q) if flag in analysis.POOR_FLAGS)),
    ]
    filterset_class = QuestionFilterSet
    search_fields = ["stem"]
    search_backend_name = None
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    inspect_view_class = QuestionInspectView
    inspect_view_enabled = True
    # Stem, image, options, answer and 解析 are in the preview above these.
    inspect_view_fields = ["kind", "category", "dimension", "hazard_class", "hazard_factor", "disease",
                           "audiences", "difficulty", "is_active", "facility", "discrimination", "stats_responses"]
    copy_view_enabled = False
    panels = [
        FieldPanel("kind"),
        FieldPanel("stem"),
        FieldPanel("image"),
        MultiFieldPanel([FieldPanel(name) for name in OPTION_FIELDS], heading=gettext_lazy("选项"),
                        help_text=gettext_lazy("依次填写，2–8 个；判断题不用填，固定为 正确 / 错误")),
        FieldPanel("answer"),
        FieldPanel("explanation"),
        MultiFieldPanel([
            FieldPanel("category"), FieldPanel("dimension"), FieldPanel("hazard_class"), FieldPanel("hazard_factor"),
            FieldPanel("disease"), FieldPanel("audiences", widget=forms.CheckboxSelectMultiple), FieldPanel("difficulty"),
            FieldPanel("is_active"),
        ], heading=gettext_lazy("分类与标签"), help_text=gettext_lazy("修改分类、标签或启用状态不会产生新版本")),
    ]


# -- categories --------------------------------------------------------------------------------
class CategoryCreateAction(_FormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Category:
        self.check(skip_permission_checks)
        self.instance = category_save(actor=self.user, path=self.form.cleaned_data["path"])
        return self.instance


class CategoryEditAction(_FormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Category:
        self.check(skip_permission_checks)
        return category_save(actor=self.user, path=self.form.cleaned_data["path"],
                             category=Category.objects.get(pk=self.instance.pk))


class CategoryViewSet(ModelViewSet):
    model = Category
    name = "exam_categories"
    url_prefix = "exams/categories"
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("题库分类")
    list_display = ["path", "name", Column("depth", label=gettext_lazy("层级"))]
    search_fields = ["path"]
    search_backend_name = None
    form_fields = ["path"]
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    copy_view_enabled = False


# -- exams -------------------------------------------------------------------------------------
def _exam_rules(form: Any) -> list[RuleData]:
    rules = []
    for subform in form.formsets["rules"].forms:
        data = getattr(subform, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or data.get("count") is None:
            continue
        category, dimension, hazard_class = data.get("category"), data.get("dimension"), data.get("hazard_class")
        rules.append(RuleData(count=data["count"], category_id=category.pk if category else None,
                              dimension_id=dimension.pk if dimension else None,
                              hazard_class_id=hazard_class.pk if hazard_class else None,
                              kind=data.get("kind") or "", difficulty=data.get("difficulty")))
    return rules


class ExamCreateAction(_FormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Exam:
        self.check(skip_permission_checks)
        self.instance = exam_create(actor=self.user, exam=self.instance, rules=_exam_rules(self.form),
                                    audiences=self.form.cleaned_data.get("audiences"))
        return self.instance


class ExamEditAction(_FormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Exam:
        self.check(skip_permission_checks)
        # The form wrote its values onto the instance; the service compares with the stored exam.
        result = exam_update(actor=self.user, exam=self.instance, rules=_exam_rules(self.form),
                             audiences=self.form.cleaned_data.get("audiences"))
        return result.exam


class BlueprintCheckPanel(Panel):
    """Whether the saved blueprint can draw a paper now, and how large the paper is."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "exams/admin/blueprint_check_panel.html"

        def get_context_data(self, parent_context: Any = None) -> Any:
            context = super().get_context_data(parent_context)
            exam = self.instance
            context["saved"] = bool(exam and exam.pk)
            if context["saved"]:
                rules = list(exam.rules.select_related("category", "dimension", "hazard_class"))
                context["problems"] = blueprint_check(exam, rules)
                context["rules"] = [(rule_label(rule), rule.count) for rule in rules]
                context["paper_size"] = sum(rule.count for rule in rules)
                context["blueprint_version"] = exam.blueprint_version
            return context


RULE_PANELS = [
    FieldRowPanel([FieldPanel("category"), FieldPanel("dimension"), FieldPanel("hazard_class")]),
    FieldRowPanel([FieldPanel("kind"), FieldPanel("difficulty"), FieldPanel("count")]),
]


class ExamAnalysisView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """试题分析 of one exam: the distribution of scores, KR-20, the items with their flags, and a
    button to recompute (editors)."""

    model = Exam
    permission_required = "view"
    template_name = "exams/admin/exam_analysis.html"
    page_title = gettext_lazy("试题分析")
    header_icon = "table"
    index_url_name = ""
    edit_url_name = ""

    @cached_property
    def exam(self) -> Exam:
        return get_object_or_404(Exam, pk=self.kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.exam)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        items = [{"url": reverse(self.index_url_name), "label": _("考试")}]
        if self.user_has_permission("change"):
            items.append({"url": reverse(self.edit_url_name, args=[self.exam.pk]), "label": str(self.exam)})
        items.append({"url": "", "label": _("试题分析"), "sublabel": str(self.exam)})
        return [*self.breadcrumbs_items, *items]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.user_has_permission("change"):
            raise PermissionDenied
        job = analysis.analysis_start(exam=self.exam, actor=request.user)
        if job.is_running:
            messages.info(request, _("已开始重新分析，完成后本页会自动刷新"))
        elif job.status == JobStatus.DONE:
            messages.success(request, job.message or _("分析完成"))
        else:
            messages.error(request, job.message or _("分析未完成"))
        return HttpResponseRedirect(request.path)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = analysis.analysis_report(self.exam)
        computed_at = None
        if report is not None:
            with contextlib.suppress(ValueError):
                computed_at = timezone.localtime(datetime.fromisoformat(report.computed_at))
        # Each figure is shown as its flag compares it (facility_text / discrimination_text).
        items = [{"item": item, "facility": facility_text(item.facility),
                  "discrimination": discrimination_text(item.point_biserial), "upper_lower": _figure(item.upper_lower)}
                 for item in (report.items if report else [])]
        context.update(exam=self.exam, report=report, items=items, computed_at=computed_at,
                       running=analysis.analysis_job_running(self.exam),
                       can_recompute=self.user_has_permission("change"),
                       chart=score_chart(report.histogram, report.pass_percent) if report else None)
        return context


def score_chart(counts: list[int], pass_percent: int) -> dict[str, Any]:
    """Bar geometry of the score distribution for an inline SVG (no script, no library)."""
    width, height, left, bottom, top = 560, 240, 36, 28, 30
    plot_width, plot_height = width - left - 8, height - bottom - top
    peak = max(counts) if counts and max(counts) else 1
    band = plot_width / max(1, len(counts))
    step = 100 / max(1, len(counts))
    bars = []
    for index, count in enumerate(counts):
        bar_height = plot_height * count / peak
        bars.append({
            "x": round(left + index * band + 2, 1), "y": round(top + plot_height - bar_height, 1),
            "width": round(band - 4, 1), "height": round(bar_height, 1), "count": count,
            "count_y": round(top + plot_height - bar_height - 3, 1),
            "label": f"{round(index * step)}–{round((index + 1) * step)}", "label_x": round(left + index * band + band / 2, 1),
            "passing": index * step >= pass_percent,
        })
    return {"width": width, "height": height, "bars": bars, "axis_y": top + plot_height, "left": left, "top": top,
            "peak": peak, "pass_x": round(left + plot_width * pass_percent / 100, 1), "label_y": height - 10,
            "pass_label_y": 12}


class ExamViewSet(ModelViewSet):
    model = Exam
    name = "exam_exams"
    url_prefix = "exams/exams"
    icon = "form"
    menu_label = gettext_lazy("考试")
    list_display = [
        "title", "status", "opens_at", "closes_at", _yes_no(Exam, "open_to_all"), _yes_no(Exam, "certifies"),
        Column("kr20", label="KR-20", accessor=lambda exam: _figure(exam.kr20)),
        Column("stats_attempts", label=gettext_lazy("已分析答卷")),
    ]
    list_filter = ["status", "certifies", "open_to_all"]
    search_fields = ["title"]
    search_backend_name = None
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    copy_view_enabled = False
    panels = [
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel([FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]), FieldPanel("time_limit_minutes")],
                        heading=gettext_lazy("考试窗口与时长")),
        MultiFieldPanel([FieldPanel("pass_percent"), FieldPanel("attempts_allowed"), FieldPanel("graded_attempt"),
                         FieldPanel("partial_credit"), FieldPanel("review")], heading=gettext_lazy("及格、次数与评分")),
        MultiFieldPanel([FieldPanel("certifies"), FieldPanel("certificate_hours")], heading=gettext_lazy("证书")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("points_single"), FieldPanel("points_multiple"),
                                        FieldPanel("points_truefalse")]),
                         FieldRowPanel([FieldPanel("facility_min"), FieldPanel("facility_max")])],
                        heading=gettext_lazy("分值与抽题偏好"),
                        help_text=gettext_lazy("修改组卷规则、分值或通过率范围会更新组卷版本：已预生成未开始的试卷作废，作答中的试卷不变")),
        InlinePanel("rules", panels=RULE_PANELS, heading=gettext_lazy("组卷规则"), label=gettext_lazy("规则"), min_num=1),
        BlueprintCheckPanel(heading=gettext_lazy("组卷检查")),
        MultiFieldPanel([FieldPanel("status"), FieldPanel("open_to_all")], heading=gettext_lazy("发布")),
    ]

    @property
    def analysis_view(self) -> Any:
        return ExamAnalysisView.as_view(index_url_name=self.get_url_name("index"), edit_url_name=self.get_url_name("edit"))

    def get_urlpatterns(self) -> list[Any]:
        return [*super().get_urlpatterns(), path("analysis/<int:pk>/", self.analysis_view, name="analysis")]

    @property
    def index_view(self) -> Any:
        analysis_url = self.get_url_name("analysis")

        class ExamIndexView(self.index_view_class):  # type: ignore[name-defined,misc]
            def get_list_more_buttons(self, instance: Exam) -> list[Any]:
                from wagtail.admin.ui.menus import MenuItem as ListMenuItem

                buttons = super().get_list_more_buttons(instance)
                buttons.append(ListMenuItem(_("试题分析"), url=reverse(analysis_url, args=[instance.pk]), icon_name="table",
                                            priority=15))
                return buttons

        return self.construct_view(ExamIndexView, **self.get_index_view_kwargs())

    @property
    def edit_view(self) -> Any:
        analysis_url = self.get_url_name("analysis")

        class ExamEditView(self.edit_view_class):  # type: ignore[name-defined,misc]
            @cached_property
            def header_buttons(self) -> list[Any]:
                return [*super().header_buttons,
                        HeaderButton(_("试题分析"), url=reverse(analysis_url, args=[self.object.pk]), icon_name="table")]

        return self.construct_view(ExamEditView, **self.get_edit_view_kwargs())


@hooks.register("register_actions")
def register_exams_actions(registry: Any) -> None:
    for model, create, edit in ((Question, QuestionCreateAction, QuestionEditAction),
                                (Category, CategoryCreateAction, CategoryEditAction),
                                (Exam, ExamCreateAction, ExamEditAction)):
        registry.register(model, create)
        registry.register(model, edit)


# -- read-only records -------------------------------------------------------------------------
class AttemptViewSet(ModelViewSet):
    """Written only by the attempt services: listed and inspected here."""

    model = Attempt
    index_view_class = _index_selecting("exam", "worker")
    name = "exam_attempts"
    url_prefix = "exams/attempts"
    icon = "doc-full"
    menu_label = gettext_lazy("答卷")
    list_display = ["code", "exam", "worker", "mode", "status", "number", "score", "percent", _yes_no(Attempt, "passed"),
                    "graded_at"]
    list_filter = ["exam", "mode", "status", "passed"]
    search_fields = ["code"]
    search_backend_name = None
    form_fields: list[str] = []
    inspect_view_class = ReadableInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["code", "exam", "worker", "employer", "mode", "status", "number", "blueprint_version",
                           "started_at", "deadline", "graded_at", "score", "max_score", "percent", "passed",
                           "submitted_by_deadline"]
    copy_view_enabled = False


class CertificateViewSet(ModelViewSet):
    """Issued and revoked by the certificate services; never deleted."""

    model = Certificate
    name = "exam_certificates"
    url_prefix = "exams/certificates"
    icon = "success"
    menu_label = gettext_lazy("证书")
    list_display = ["verification", "holder_name", "exam_title", "employer_name", "issued_on", "revoked_at", "status"]
    list_filter = ["exam", "issued_on"]
    search_fields = ["verification", "holder_name"]
    search_backend_name = None
    form_fields: list[str] = []
    inspect_view_class = ReadableInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["verification", "holder_name", "holder_id_masked", "employer_name", "exam_title", "hours",
                           "score_percent", "issued_on", "status", "revoked_at", "revoked_reason", "show_name",
                           "show_employer"]
    copy_view_enabled = False


class ExamJobViewSet(ModelViewSet):
    model = ExamJob
    index_view_class = _index_selecting("exam")
    name = "exam_jobs"
    url_prefix = "exams/jobs"
    icon = "cogs"
    menu_label = gettext_lazy("考试任务")
    list_display = ["kind", "exam", "status", "progress_done", "progress_total", "message", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    form_fields: list[str] = []
    inspect_view_class = ReadableInspectView
    inspect_view_enabled = True
    inspect_view_fields = ["kind", "exam", "status", "progress_done", "progress_total", "message", "created_by",
                           "created_at", "finished_at"]
    copy_view_enabled = False


# -- the group, with the bank import and export of exams.bank_admin_views ----------------------
class BankMenuItem(MenuItem):
    """A link to a bank import/export page; hidden while that page is not there (a stub module
    has no URLs) or for whoever may not add questions."""

    def __init__(self, label: Any, url_name: str, **kwargs: Any) -> None:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = ""
        super().__init__(label, url, **kwargs)

    def is_shown(self, request: HttpRequest) -> bool:
        return bool(self.url) and policy_registry.get_by_type(Question).user_has_permission(request.user, "add")


class ExamsGroup(ViewSetGroup):
    menu_label = gettext_lazy("考试与题库")
    menu_icon = "form"
    menu_order = 210
    submenu_hook = "register_exams_menu_item"
    items = (QuestionViewSet, CategoryViewSet, ExamViewSet, AttemptViewSet, CertificateViewSet, ExamJobViewSet)


@hooks.register("register_admin_viewset")
def register_exams_viewsets() -> ExamsGroup:
    return ExamsGroup()


@hooks.register("register_exams_menu_item")
def bank_import_menu_item() -> MenuItem:
    return BankMenuItem(gettext_lazy("导入题库"), "exams_bank_import", icon_name="upload", order=100)


@hooks.register("register_exams_menu_item")
def bank_export_menu_item() -> MenuItem:
    return BankMenuItem(gettext_lazy("导出题库"), "exams_bank_export", icon_name="download", order=101)


@hooks.register("register_admin_urls")
def register_bank_admin_urls() -> list[Any]:
    from exams.bank_admin_views import admin_urlpatterns

    # No namespace: the bank views' URL names ("exams_bank_import", …) reverse as they are.
    return [path("exams/bank/", include(admin_urlpatterns))]
