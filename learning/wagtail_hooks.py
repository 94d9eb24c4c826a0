"""Admin screens of the course catalogue, grouped under 培训课程: flat lists of the courses (with the
training duties they serve) and of the lessons (with the minutes each credits), next to Wagtail's
page tree where editors write them. Courses and lessons are pages, so they go through the same
revisions and moderation workflow (科普内容审核) as the knowledge base's articles.

The training programmes are edited here too, through learning.services.programmes.programme_save
(core.admin's service views); the assignments are listed read-only (only the services write them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.actions.base import BaseAction
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.listing import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from core.admin import ReadOnlyPermissionPolicy, ServiceCreateView, ServiceEditView
from learning.models import CoursePage, LessonPage, Programme, TrainingAssignment
from learning.services.programmes import programme_save
from orgs.models import PostRole

_ROLE_LABELS = dict(PostRole.choices)


def _roles_label(page: Any) -> str:
    roles = page.audience_roles if isinstance(page.audience_roles, list) else []
    return "、".join(str(_ROLE_LABELS.get(value, value)) for value in roles) or "—"


def _columns_with(*extra: Column) -> list[Column]:
    """Wagtail's flat page listing columns with ours after the title and parent."""
    base = list(IndexView.base_columns)
    at = next((i + 1 for i, column in enumerate(base) if column.name == "parent"), len(base))
    return [*base[:at], *extra, *base[at:]]


class CourseListingViewSet(PageListingViewSet):
    model = CoursePage
    name = "courses"
    icon = "folder-open-inverse"
    menu_label = _("课程")
    columns = _columns_with(Column("audience_roles", label=_("面向岗位角色"), accessor=_roles_label))


class LessonListingViewSet(PageListingViewSet):
    model = LessonPage
    name = "lessons"
    icon = "doc-full"
    menu_label = _("课时")
    columns = _columns_with(
        Column("credited_minutes", label=_("学习时长（分钟）"), sort_key="credited_minutes", width="12%"),
    )


class _ProgrammeAction(BaseAction):
    def __init__(self, instance: Any, user: Any = None, *, form: Any = None, **kwargs: Any) -> None:
        super().__init__(instance, user=user)
        self.form = form

    def execute(self, skip_permission_checks: bool = False) -> Programme:
        self.check(skip_permission_checks)
        data = self.form.cleaned_data
        # The form wrote its values onto the instance; the service checks them and sets the relations.
        self.instance = programme_save(actor=self.user, programme=self.instance, courses=data.get("courses"),
                                       hazard_classes=data.get("hazard_classes"), hazard_factors=data.get("hazard_factors"))
        return self.instance


class ProgrammeCreateAction(_ProgrammeAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")


class ProgrammeEditAction(_ProgrammeAction):
    action_name = "edit"
    permission_policy_action = "change"


def _hours(programme: Programme) -> str:
    return f"{programme.required_hours:g}"


class ProgrammeViewSet(ModelViewSet):
    model = Programme
    name = "programmes"
    url_prefix = "learning/programmes"
    icon = "list-ul"
    menu_label = _("培训项目")
    list_display = ["name", "role", "kind", Column("required_hours", label=_("要求学时"), accessor=_hours),
                    "exam", "auto_assign", "is_active"]
    list_filter = ["role", "kind", "auto_assign", "is_active"]
    search_fields = ["name", "code"]
    search_backend_name = None
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    panels = [
        FieldPanel("name"), FieldPanel("code"),
        MultiFieldPanel([FieldPanel("role"), FieldPanel("kind"), FieldPanel("hazard_classes",
                         widget=forms.CheckboxSelectMultiple), FieldPanel("hazard_factors")],
                        heading=_("面向谁")),
        MultiFieldPanel([FieldPanel("required_hours"), FieldPanel("courses"), FieldPanel("exam"),
                         FieldPanel("due_days")], heading=_("要求")),
        MultiFieldPanel([FieldPanel("auto_assign"), FieldPanel("is_active"), FieldPanel("legal_basis")],
                        heading=_("布置")),
    ]


class AssignmentViewSet(ModelViewSet):
    """Written only by the programme services (the employer's pages and the rules)."""

    model = TrainingAssignment
    name = "training_assignments"
    url_prefix = "learning/assignments"
    icon = "tasks"
    menu_label = _("培训任务")
    list_display = ["worker", "employer", "programme", "starts_on", "due_on", "source", "withdrawn_on"]
    list_filter = ["source", "programme"]
    search_fields = ["worker__name", "code"]
    search_backend_name = None
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields: list[str] = []


class LearningViewSetGroup(ViewSetGroup):
    menu_label = _("培训课程")
    menu_icon = "folder-open-inverse"
    menu_order = 160
    items = (CourseListingViewSet, LessonListingViewSet, ProgrammeViewSet, AssignmentViewSet)


@hooks.register("register_actions")
def register_programme_actions(registry: Any) -> None:
    registry.register(Programme, ProgrammeCreateAction)
    registry.register(Programme, ProgrammeEditAction)


class NoDeletePermissionPolicy(ModelPermissionPolicy):
    """Assignments point at programmes: one is deactivated, never deleted, by anyone."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "delete" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> Any:
        return super().users_with_any_permission([action for action in actions if action != "delete"])


register_permission_policy(Programme, NoDeletePermissionPolicy(Programme))
register_permission_policy(TrainingAssignment, ReadOnlyPermissionPolicy(TrainingAssignment))


@hooks.register("register_admin_viewset")
def register_learning_listings() -> LearningViewSetGroup:
    return LearningViewSetGroup()
