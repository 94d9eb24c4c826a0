"""The editorial roles, as providers for the shared role registry, and cms's part of the home page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.nextsteps import NavItem, NextStep, NextSteps
from core.roles import ScopeBuilder, register_role
from core.scope import request_scope

# Created by migration cms/0006_editorial_groups: editors write and submit, reviewers approve.
EDITOR_GROUP = "内容编辑"
REVIEWER_GROUP = "内容审核"


def _editorial_roles(user: Any, builder: ScopeBuilder) -> None:
    groups = set(user.groups.filter(name__in=[EDITOR_GROUP, REVIEWER_GROUP]).values_list("name", flat=True))
    if EDITOR_GROUP in groups:
        builder.roles.add("editor")
    if REVIEWER_GROUP in groups:
        builder.roles.add("reviewer")


def register_roles() -> None:
    # One provider answers both roles (one query); the registry keys it under "editor".
    register_role("editor", gettext_lazy("内容编辑"), _editorial_roles, order=40)


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    if request_scope(request).has("editor", "reviewer", "superuser"):
        result.steps.append(NextStep(_("内容管理"), _("在后台编写和审核科普内容。"), "/admin/", _("进入后台"), order=50))


def navigation(request: HttpRequest) -> list[NavItem]:
    if request_scope(request).has("editor", "reviewer", "superuser"):
        return [NavItem(_("后台"), "/admin/", order=90)]
    return []
