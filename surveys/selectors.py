"""Reads shared by the evaluator's pages, the API and the exports."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.scope import Scope
from orgs.models import Region
from surveys.models import Response, Wave

NO_REGION = "-"


def waves_in_reach(scope: Scope) -> QuerySet[Wave]:
    """Waves an evaluator may read: those inside their region, and those over a larger area that
    contains it (of which they see their own part). Superusers see all; anyone else none."""
    if scope.is_superuser:
        return Wave.objects.all()
    if not scope.has("evaluator") or not scope.region_prefixes:
        return Wave.objects.none()
    condition = Q(pk__in=[])
    for prefix in scope.region_prefixes:
        condition |= Q(region__code__startswith=prefix)
        # A wave over an ancestor area: its region's own prefix begins the evaluator's.
        for length in (2, 4):
            if len(prefix) > length:
                ancestor = prefix[:length].ljust(6, "0")
                condition |= Q(region__code=ancestor)
    return Wave.objects.filter(condition).select_related("questionnaire", "region")


def wave_region_prefix(scope: Scope, wave: Wave) -> str | None:
    """The part of ``wave`` this user reads: None for all of it, else the prefix of the evaluator's
    region within it (the narrower of the two)."""
    if scope.is_superuser:
        return None
    own = Region.prefix_of(wave.region.code, wave.region.level)
    for prefix in scope.region_prefixes:
        if own.startswith(prefix):
            return None  # the whole wave lies inside the evaluator's region
    for prefix in scope.region_prefixes:
        if prefix.startswith(own):
            return prefix
    # Not in reach at all: a prefix no region code has, so that nothing is counted.
    return NO_REGION


def wave_responses(wave: Wave, prefix: str | None) -> QuerySet[Response]:
    responses = Response.objects.filter(wave=wave)
    if prefix:
        responses = responses.filter(region__code__startswith=prefix)
    return responses
