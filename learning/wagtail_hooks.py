"""Admin screens of the course catalogue, grouped under 培训课程: flat lists of the courses (with the
training duties they serve) and of the lessons (with the minutes each credits), next to Wagtail's
page tree where editors write them. Courses and lessons are pages, so they go through the same
revisions and moderation workflow (科普内容审核) as the knowledge base's articles."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.listing import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.pages import PageListingViewSet

from learning.models import CoursePage, LessonPage
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


class LearningViewSetGroup(ViewSetGroup):
    menu_label = _("培训课程")
    menu_icon = "folder-open-inverse"
    menu_order = 160
    items = (CourseListingViewSet, LessonListingViewSet)


@hooks.register("register_admin_viewset")
def register_learning_listings() -> LearningViewSetGroup:
    return LearningViewSetGroup()
