"""The 达人 reviewer role, for the shared role registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from champions.models import ChampionReviewer
from core.roles import RoleQuery, ScopeBuilder, register_role
from orgs.access import region_rows_sql
from orgs.models import Region


def _reviewer_rows(rows: list[tuple[str, str]], builder: ScopeBuilder) -> None:
    if rows:
        builder.roles.add("champion_reviewer")
        builder.review_regions |= {(Region.prefix_of(code, int(level)), int(level)) for code, level in rows}


def register_roles() -> None:
    register_role("champion_reviewer", _("达人评审人员"), order=50, query=RoleQuery(
        lambda: region_rows_sql(ChampionReviewer._meta.db_table), _reviewer_rows))
