"""The roles orgs grants, as providers for the shared role registry (core.roles), and the
resolvers its views use. Who may see what is decided by core.scope; this module only says what
each orgs role reaches."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from core.roles import ScopeBuilder, register_role
from core.scope import Owned, Scope, request_scope
from orgs.models import Employer, EmployerAdmin, Evaluator, Region, Worker


def _worker_role(user: Any, builder: ScopeBuilder) -> None:
    worker = Worker.objects.filter(user=user).values_list("pk", "employer_id").first()
    if worker is not None:
        builder.roles.add("worker")
        builder.extra["worker_id"] = worker[0]


def _employer_admin_role(user: Any, builder: ScopeBuilder) -> None:
    employer_ids = set(EmployerAdmin.objects.filter(user=user).values_list("employer_id", flat=True))
    if employer_ids:
        builder.roles.add("employer_admin")
        builder.employer_ids |= employer_ids


def _evaluator_role(user: Any, builder: ScopeBuilder) -> None:
    regions = list(Evaluator.objects.filter(user=user).values_list("region__code", "region__level"))
    if regions:
        builder.roles.add("evaluator")
        builder.region_prefixes |= {Region.prefix_of(code, level) for code, level in regions}


def register_roles() -> None:
    register_role("worker", _("劳动者"), _worker_role, order=10)
    register_role("employer_admin", _("用人单位管理员"), _employer_admin_role, order=20)
    register_role("evaluator", _("评估人员"), _evaluator_role, order=30)


def employer_or_404(request: HttpRequest, code: str, *, write: bool = False) -> Owned:
    """An employer by its public code: 404 out of reach, 403 read-only when ``write``."""
    return request_scope(request).owned_or_404(Employer.objects.select_related("region", "industry"),
                                                write=write, code=code)


def worker_or_404(request: HttpRequest, code: str, *, write: bool = False) -> Owned:
    """A worker record: its employer's admins may change it; the worker and the employer's
    evaluators may read it."""
    return request_scope(request).owned_or_404(Worker.objects.select_related("employer", "department", "user"),
                                                write=write, code=code)


def region_or_404(request: HttpRequest) -> Scope:
    """The region overview is for evaluators (and superusers); for anyone else it does not exist."""
    scope = request_scope(request)
    if not (scope.is_superuser or scope.has("evaluator")):
        raise Http404
    return scope
