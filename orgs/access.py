"""The roles orgs grants, as providers for the shared role registry (core.roles), and the
resolvers its views use. Who may see what is decided by core.scope; this module only says what
each orgs role reaches."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from core.roles import RoleQuery, ScopeBuilder, register_role
from core.scope import Owned, Scope, request_scope
from orgs.models import Employer, EmployerAdmin, Evaluator, Region, Worker


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _worker_sql() -> str:
    return f"SELECT id AS a, employer_id AS b FROM {_q(Worker._meta.db_table)} WHERE user_id = %s"  # noqa: S608


def _worker_rows(rows: list[tuple[str, str]], builder: ScopeBuilder) -> None:
    if rows:
        builder.roles.add("worker")
        builder.extra["worker_id"] = int(rows[0][0])


def _employer_admin_sql() -> str:
    return f"SELECT employer_id AS a, '' AS b FROM {_q(EmployerAdmin._meta.db_table)} WHERE user_id = %s"  # noqa: S608


def _employer_admin_rows(rows: list[tuple[str, str]], builder: ScopeBuilder) -> None:
    if rows:
        builder.roles.add("employer_admin")
        builder.employer_ids |= {int(employer_id) for employer_id, _blank in rows}


def region_rows_sql(table: str) -> str:
    """The regions (code, level) a role table of (user, region) rows gives its user."""
    return (f"SELECT r.code AS a, r.level AS b FROM {_q(table)} t "  # noqa: S608
            f"INNER JOIN {_q(Region._meta.db_table)} r ON r.code = t.region_id WHERE t.user_id = %s")


def _evaluator_rows(rows: list[tuple[str, str]], builder: ScopeBuilder) -> None:
    if rows:
        builder.roles.add("evaluator")
        builder.region_prefixes |= {Region.prefix_of(code, int(level)) for code, level in rows}


def register_roles() -> None:
    register_role("worker", _("劳动者"), query=RoleQuery(_worker_sql, _worker_rows), order=10)
    register_role("employer_admin", _("用人单位管理员"), query=RoleQuery(_employer_admin_sql, _employer_admin_rows),
                  order=20)
    register_role("evaluator", _("评估人员"),
                  query=RoleQuery(lambda: region_rows_sql(Evaluator._meta.db_table), _evaluator_rows), order=30)


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
