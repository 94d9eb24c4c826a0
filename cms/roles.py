"""The editorial roles, as providers for the shared role registry, and cms's part of the home page."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.nextsteps import NavItem, NextStep, NextSteps
from core.roles import RoleQuery, ScopeBuilder, register_role
from core.scope import request_scope

# Created by migration cms/0006_editorial_groups: editors write and submit, reviewers approve.
EDITOR_GROUP = "内容编辑"
REVIEWER_GROUP = "内容审核"


def _editorial_sql() -> str:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    q = connection.ops.quote_name
    groups = get_user_model().groups.through._meta.db_table
    return (f"SELECT g.name AS a, '' AS b FROM {q(Group._meta.db_table)} g "  # noqa: S608
            f"INNER JOIN {q(groups)} ug ON ug.group_id = g.id WHERE ug.user_id = %s AND g.name IN (%s, %s)")


def _editorial_rows(rows: list[tuple[str, str]], builder: ScopeBuilder) -> None:
    groups = {name for name, _blank in rows}
    if EDITOR_GROUP in groups:
        builder.roles.add("editor")
    if REVIEWER_GROUP in groups:
        builder.roles.add("reviewer")


def register_roles() -> None:
    # One query answers both roles; the registry keys it under "editor".
    register_role("editor", gettext_lazy("内容编辑"), order=40, query=RoleQuery(
        _editorial_sql, _editorial_rows, params=lambda user: [user.pk, EDITOR_GROUP, REVIEWER_GROUP]))


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    if request_scope(request).has("editor", "reviewer", "superuser"):
        result.steps.append(NextStep(_("内容管理"), _("在后台编写和审核科普内容。"), "/admin/", _("进入后台"), order=50))


def navigation(request: HttpRequest) -> list[NavItem]:
    if request_scope(request).has("editor", "reviewer", "superuser"):
        return [NavItem(_("后台"), "/admin/", order=90)]
    return []
