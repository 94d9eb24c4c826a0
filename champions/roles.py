"""The 达人 reviewer role, for the shared role registry."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from champions.models import ChampionReviewer
from core.roles import ScopeBuilder, register_role
from orgs.models import Region


def _reviewer_role(user: Any, builder: ScopeBuilder) -> None:
    regions = list(ChampionReviewer.objects.filter(user=user).values_list("region__code", "region__level"))
    if regions:
        builder.roles.add("champion_reviewer")
        builder.review_regions |= {(Region.prefix_of(code, level), level) for code, level in regions}


def register_roles() -> None:
    register_role("champion_reviewer", _("达人评审人员"), _reviewer_role, order=50)
