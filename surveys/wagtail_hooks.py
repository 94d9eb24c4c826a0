"""Admin screens of the surveys app, grouped under 知晓率调查: questionnaires with their items (and
从题库选题, 复制), indicators and their targets, and the survey file imports (surveys.import_views).

Questionnaires, indicators and targets are written through surveys.services (questionnaire_save,
indicator_save, target_save) by actions registered for the generic views (core.admin's
ServiceCreateView / ServiceEditView), so the admin checks and audits exactly as the XLSForm import,
the demo and the API do. Nothing here is deleted: a questionnaire in use is copied, an indicator
or a target is corrected.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import include, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.actions.base import BaseAction
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from core.admin import ServiceCreateView, ServiceEditView
from core.errors import ServiceError
from surveys.admin_views import BankPickView, QuestionnaireCopyView
from surveys.forms_admin import ChoicesWidget, CodeLockedForm, ValueListWidget
from surveys.models import Indicator, ItemKind, Questionnaire, Response, Target
from surveys.services.questionnaires import QuestionnaireInvalid, questionnaire_save


class NoDeletePermissionPolicy(ModelPermissionPolicy):
    """Questionnaires are answered against (responses point at their items), indicators are named
    by behaviour items and targets by the workbooks already handed out: kept, never deleted."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "delete" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> Any:
        return super().users_with_any_permission([action for action in actions if action != "delete"])


for _model in (Questionnaire, Indicator, Target):
    register_permission_policy(_model, NoDeletePermissionPolicy(_model))


class _FormAction(BaseAction):
    """An admin action that takes the validated form and hands its values to a service."""

    def __init__(self, instance: Any, user: Any = None, *, form: Any = None, **kwargs: Any) -> None:
        super().__init__(instance, user=user)
        self.form = form


# -- questionnaires ----------------------------------------------------------------------------
class QuestionnaireCreateAction(_FormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Questionnaire:
        self.check(skip_permission_checks)
        # save(commit=False) puts the formset's items on the questionnaire, in memory, in order.
        questionnaire = self.form.save(commit=False)
        self.instance = questionnaire_save(actor=self.user, questionnaire=questionnaire, create=True)
        return self.instance


class QuestionnaireEditAction(_FormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Questionnaire:
        self.check(skip_permission_checks)
        questionnaire = self.form.save(commit=False)
        return questionnaire_save(actor=self.user, questionnaire=questionnaire, create=False)


class _ItemErrorsMixin:
    """Each problem questionnaire_save finds is shown on the item field it names ("q3.answer"); what
    names no field of the form stays at the top."""

    form: Any

    def save_instance(self) -> Any:
        try:
            return super().save_instance()  # type: ignore[misc]
        except QuestionnaireInvalid as invalid:
            remaining = [error.message for error in invalid.errors if not self._place(error)]
            shown = len(invalid.errors) - len(remaining)
            if shown:
                remaining.insert(0, _("问卷有 %(count)s 处问题，已在下方题目中标出") % {"count": shown})
            raise ServiceError("；".join(remaining), field=invalid.field if invalid.field in self.form.fields else "") \
                from invalid

    def _place(self, error: ServiceError) -> bool:
        if error.field in self.form.fields:
            self.form.add_error(error.field, error.message)
            return True
        code, _dot, what = error.field.partition(".")
        formset = getattr(self.form, "formsets", {}).get("items")
        if formset is None or not what:
            return False
        deleted = set(formset.deleted_forms) if formset.can_delete else set()
        live = [form for form in getattr(formset, "ordered_forms", formset.forms) if form not in deleted]
        target = None
        if code.startswith("#") and code[1:].isdigit() and 0 < int(code[1:]) <= len(live):
            target = live[int(code[1:]) - 1]
        else:
            target = next((form for form in live if (form.cleaned_data or {}).get("code") == code), None)
        if target is None or what not in target.fields:
            return False
        target.add_error(what, error.message)
        return True


class QuestionnaireCreateView(_ItemErrorsMixin, ServiceCreateView):
    pass


class QuestionnaireEditView(_ItemErrorsMixin, ServiceEditView):
    pass


class QuestionnaireFilterSet(WagtailFilterSet):
    in_use = django_filters.BooleanFilter(label=gettext_lazy("已用于调查轮次"), method="filter_in_use")
    frozen = django_filters.BooleanFilter(label=gettext_lazy("已有答卷（计分内容已冻结）"), method="filter_frozen")

    class Meta:
        model = Questionnaire
        fields: list[str] = []

    def filter_in_use(self, queryset: QuerySet[Questionnaire], name: str, value: bool | None) -> QuerySet[Questionnaire]:
        if value is None:
            return queryset
        return queryset.filter(waves__isnull=False).distinct() if value else queryset.filter(waves__isnull=True)

    def filter_frozen(self, queryset: QuerySet[Questionnaire], name: str, value: bool | None) -> QuerySet[Questionnaire]:
        if value is None:
            return queryset
        answered = Exists(Response.objects.filter(wave__questionnaire=OuterRef("pk")))
        return queryset.filter(answered) if value else queryset.exclude(answered)


class QuestionnaireIndexView(IndexView):
    def get_base_queryset(self) -> QuerySet[Any]:
        def items(kind: str) -> Count:
            return Count("items", filter=Q(items__kind=kind), distinct=True)

        return super().get_base_queryset().annotate(
            knowledge_count=items(ItemKind.KNOWLEDGE), behaviour_count=items(ItemKind.BEHAVIOUR),
            respondent_count=items(ItemKind.RESPONDENT), wave_count=Count("waves", distinct=True))


ITEM_PANELS = [
    FieldRowPanel([FieldPanel("code"), FieldPanel("kind"), FieldPanel("type")]),
    FieldPanel("label"),
    FieldPanel("hint"),
    FieldPanel("choices", widget=ChoicesWidget(), help_text=gettext_lazy(
        "每行一个选项：选项值 = 选项文字，例如 a = 职业健康监护档案；只写文字时选项值依次为 a、b、c…；"
        "判断题不用填，固定为 true = 对、false = 错")),
    MultiFieldPanel([
        FieldRowPanel([FieldPanel("answer", widget=ValueListWidget(), help_text=gettext_lazy(
            "正确选项的选项值，多选题用空格分隔，例如 a c；判断题填 对 或 错")),
            FieldPanel("points"), FieldPanel("dimension")]),
    ], heading=gettext_lazy("知识题：答案、分值、素养维度")),
    MultiFieldPanel([
        FieldRowPanel([FieldPanel("yes_value"), FieldPanel("not_applicable_value"), FieldPanel("indicator")]),
    ], heading=gettext_lazy("行为题：计为“是”的选项、“不适用”选项、指标")),
    FieldPanel("respondent_field"),
    MultiFieldPanel([
        FieldPanel("relevant"),
        FieldRowPanel([FieldPanel("required"), FieldPanel("min_value"), FieldPanel("max_value")]),
    ], heading=gettext_lazy("显示条件与作答要求")),
]


class QuestionnaireViewSet(ModelViewSet):
    model = Questionnaire
    index_view_class = QuestionnaireIndexView
    name = "survey_questionnaires"
    url_prefix = "surveys/questionnaires"
    icon = "form"
    menu_label = gettext_lazy("调查问卷")
    list_display = [
        "title", "form_id", "version",
        Column("knowledge_count", label=gettext_lazy("知识题"), sort_key="knowledge_count"),
        Column("behaviour_count", label=gettext_lazy("行为题"), sort_key="behaviour_count"),
        Column("respondent_count", label=gettext_lazy("基本情况题"), sort_key="respondent_count"),
        Column("wave_count", label=gettext_lazy("调查轮次"), sort_key="wave_count"),
        Column("updated_at", label=gettext_lazy("修改时间"), sort_key="updated_at"),
    ]
    filterset_class = QuestionnaireFilterSet
    search_fields = ["title", "form_id"]
    search_backend_name = None
    add_view_class = QuestionnaireCreateView
    edit_view_class = QuestionnaireEditView
    copy_view_enabled = False
    panels = [
        MultiFieldPanel([FieldPanel("title"), FieldPanel("intro")], heading=gettext_lazy("问卷")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("form_id"), FieldPanel("version"), FieldPanel("threshold")])],
                        heading=gettext_lazy("代码与计分"),
                        help_text=gettext_lazy("已有答卷的问卷不能再修改计分内容（题目增删、答案、分值、维度、选项值、题型、显示条件、知晓标准），"
                                               "文字仍可修改；要改计分内容请复制问卷")),
        InlinePanel("items", panels=ITEM_PANELS, heading=gettext_lazy("题目"), label=gettext_lazy("题目")),
    ]

    @property
    def bank_pick_view(self) -> Any:
        return BankPickView.as_view(index_url_name=self.get_url_name("index"), edit_url_name=self.get_url_name("edit"))

    @property
    def duplicate_view(self) -> Any:
        return QuestionnaireCopyView.as_view(index_url_name=self.get_url_name("index"),
                                             edit_url_name=self.get_url_name("edit"))

    def get_urlpatterns(self) -> list[Any]:
        return [*super().get_urlpatterns(),
                path("from-bank/<int:pk>/", self.bank_pick_view, name="from_bank"),
                path("duplicate/<int:pk>/", self.duplicate_view, name="duplicate")]

    @property
    def index_view(self) -> Any:
        bank_url, copy_url = self.get_url_name("from_bank"), self.get_url_name("duplicate")

        class ListingView(self.index_view_class):  # type: ignore[name-defined,misc]
            def get_list_more_buttons(self, instance: Questionnaire) -> list[Any]:
                from wagtail.admin.ui.menus import MenuItem as ListMenuItem

                buttons = super().get_list_more_buttons(instance)
                if self.permission_policy.user_has_permission(self.request.user, "change"):
                    buttons.append(ListMenuItem(_("从题库选题"), url=reverse(bank_url, args=[instance.pk]),
                                                icon_name="list-ul", priority=15))
                if self.permission_policy.user_has_permission(self.request.user, "add"):
                    buttons.append(ListMenuItem(_("复制"), url=reverse(copy_url, args=[instance.pk]), icon_name="copy",
                                                priority=20))
                return buttons

        return self.construct_view(ListingView, **self.get_index_view_kwargs())

    @property
    def edit_view(self) -> Any:
        bank_url, copy_url = self.get_url_name("from_bank"), self.get_url_name("duplicate")

        class EditView(self.edit_view_class):  # type: ignore[name-defined,misc]
            @cached_property
            def header_buttons(self) -> list[Any]:
                return [*super().header_buttons,
                        HeaderButton(_("从题库选题"), url=reverse(bank_url, args=[self.object.pk]), icon_name="list-ul"),
                        HeaderButton(_("复制"), url=reverse(copy_url, args=[self.object.pk]), icon_name="copy")]

        return self.construct_view(EditView, **self.get_edit_view_kwargs())


# -- indicators and targets (surveys.services.targets) ----------------------------------------
class IndicatorCreateAction(_FormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Indicator:
        from surveys.services.targets import indicator_save

        self.check(skip_permission_checks)
        self.instance = indicator_save(actor=self.user, indicator=self.instance, create=True)
        return self.instance


class IndicatorEditAction(_FormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Indicator:
        from surveys.services.targets import indicator_save

        self.check(skip_permission_checks)
        return indicator_save(actor=self.user, indicator=self.instance, create=False)


class TargetCreateAction(_FormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Target:
        from surveys.services.targets import target_save

        self.check(skip_permission_checks)
        self.instance = target_save(actor=self.user, target=self.instance, create=True)
        return self.instance


class TargetEditAction(_FormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Target:
        from surveys.services.targets import target_save

        self.check(skip_permission_checks)
        return target_save(actor=self.user, target=self.instance, create=False)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:g}%"


class IndicatorViewSet(ModelViewSet):
    model = Indicator
    name = "survey_indicators"
    url_prefix = "surveys/indicators"
    icon = "crosshairs"
    menu_label = gettext_lazy("指标")
    list_display = ["name", "code", "kind",
                    Column("targets", label=gettext_lazy("目标数"), accessor=lambda indicator: indicator.targets.count())]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    search_backend_name = None
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    copy_view_enabled = False
    # The code is the primary key (behaviour items and targets point at it): typed once.
    edit_handler = ObjectList([FieldRowPanel([FieldPanel("code"), FieldPanel("kind")]), FieldPanel("name"),
                               FieldPanel("definition")], base_form_class=CodeLockedForm)


class TargetFilterSet(WagtailFilterSet):
    class Meta:
        model = Target
        fields = ["indicator", "year"]


class TargetViewSet(ModelViewSet):
    model = Target
    name = "survey_targets"
    url_prefix = "surveys/targets"
    icon = "pick"
    menu_label = gettext_lazy("指标目标")
    list_display = [
        "indicator", Column("region", label=gettext_lazy("地区"), accessor=lambda target: target.region or _("全国")),
        "year", Column("value", label=gettext_lazy("目标值"), accessor=lambda target: _percent(target.value),
                       sort_key="value"), "source",
    ]
    filterset_class = TargetFilterSet
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    copy_view_enabled = False
    panels = [FieldPanel("indicator"), FieldRowPanel([FieldPanel("region"), FieldPanel("year"), FieldPanel("value")]),
              FieldPanel("source")]

    @property
    def index_view(self) -> Any:
        class TargetIndexView(self.index_view_class):  # type: ignore[name-defined,misc]
            def get_base_queryset(self) -> QuerySet[Any]:
                return super().get_base_queryset().select_related("indicator", "region")

        return self.construct_view(TargetIndexView, **self.get_index_view_kwargs())


@hooks.register("register_actions")
def register_surveys_actions(registry: Any) -> None:
    for model, create, edit in ((Questionnaire, QuestionnaireCreateAction, QuestionnaireEditAction),
                                (Indicator, IndicatorCreateAction, IndicatorEditAction),
                                (Target, TargetCreateAction, TargetEditAction)):
        registry.register(model, create)
        registry.register(model, edit)


# -- the group, with the survey file imports of surveys.import_views ---------------------------
class SurveysGroup(ViewSetGroup):
    menu_label = gettext_lazy("知晓率调查")
    menu_icon = "form"
    menu_order = 220
    submenu_hook = "register_surveys_menu_item"
    items = (QuestionnaireViewSet, IndicatorViewSet, TargetViewSet)


@hooks.register("register_admin_viewset")
def register_surveys_viewsets() -> SurveysGroup:
    return SurveysGroup()


@hooks.register("register_admin_urls")
def register_survey_import_urls() -> list[Any]:
    from surveys.import_views import admin_urlpatterns

    # No namespace: the import views' URL names reverse as surveys.import_views names them.
    return [path("surveys/imports/", include(admin_urlpatterns))]
