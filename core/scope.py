"""Who sees what: one scope per request, used by every view, API route and export.

A model that belongs to someone says where its owner is with ``scope_paths``:

    class Worker(models.Model):
        scope_paths = ScopePaths(employer="employer_id", region="employer__region_id", owner="user_id")

``scope.filter(queryset)`` keeps the rows the user may read (or change, with ``write=True``), and
``scope.owned_or_404(queryset, code=…)`` resolves one object: 404 when it is out of reach (an
outsider cannot tell it exists), 403 when the user may only read it and asked to change it.

Reach, from most to least:
- superuser: everything, raw personal numbers;
- employer admin: the employers they keep, write, raw numbers;
- owner (a worker's own records): read, raw numbers;
- evaluator: employers in their region subtree, read, masked numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404, HttpRequest

from core.masking import id_number_shown, phone_shown
from core.roles import ScopeBuilder, registered_roles

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class ScopePaths:
    """Lookups from a model to its employer id, its region code and the user who owns it."""

    employer: str | None = None
    region: str | None = None
    owner: str | None = None


class Reach(IntEnum):
    NONE = 0
    REGION = 1  # read, masked
    OWNER = 2  # read, raw (one's own record)
    EMPLOYER = 3  # write, raw
    ALL = 4  # superuser


@dataclass(frozen=True)
class Owned:
    """An object resolved through the scope, with what this user may do with it."""

    obj: Any
    reach: Reach

    @property
    def can_write(self) -> bool:
        return self.reach >= Reach.EMPLOYER

    @property
    def sees_raw(self) -> bool:
        """Raw ID numbers and phones: inside the employer's own roster, one's own record, superusers."""
        return self.reach >= Reach.OWNER

    def id_number(self, value: str) -> str:
        return id_number_shown(value, raw=self.sees_raw)

    def phone(self, value: str) -> str:
        return phone_shown(value, raw=self.sees_raw)


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_superuser: bool
    roles: frozenset[str]
    employer_ids: frozenset[int]
    region_prefixes: tuple[str, ...]
    review_regions: tuple[tuple[str, int], ...]
    extra: dict[str, Any]

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def sees_raw(self, employer_id: int | None) -> bool:
        """May this user see raw ID numbers and phones of this employer's people?"""
        return self.is_superuser or (employer_id is not None and employer_id in self.employer_ids)

    def in_region(self, region_code: str) -> bool:
        return any(region_code.startswith(prefix) for prefix in self.region_prefixes)

    # -- querysets ---------------------------------------------------------------------------
    def condition(self, model: type[Model], *, write: bool = False) -> Q | None:
        """The rows of ``model`` within reach as a Q, or None for "all rows" (superusers)."""
        if self.is_superuser:
            return None
        paths: ScopePaths = getattr(model, "scope_paths", ScopePaths())
        condition = Q(pk__in=[])
        if not self.is_authenticated:
            return condition
        if paths.employer and self.employer_ids:
            condition |= Q(**{f"{paths.employer}__in": sorted(self.employer_ids)})
        if not write:
            if paths.owner:
                condition |= Q(**{paths.owner: self.user_id})
            if paths.region:
                for prefix in self.region_prefixes:
                    condition |= Q(**{f"{paths.region}__startswith": prefix})
        return condition

    def filter(self, queryset: QuerySet[M], *, write: bool = False) -> QuerySet[M]:
        condition = self.condition(queryset.model, write=write)
        if condition is None:
            return queryset
        # One object may match several branches (an admin who is also an evaluator).
        return queryset.filter(condition).distinct()

    def reach(self, model: type[Model], values: dict[str, Any]) -> Reach:
        """How far this user reaches one row, from the values of its scope paths."""
        if self.is_superuser:
            return Reach.ALL
        if not self.is_authenticated:
            return Reach.NONE
        paths: ScopePaths = getattr(model, "scope_paths", ScopePaths())
        if paths.employer and values.get("employer") in self.employer_ids:
            return Reach.EMPLOYER
        if paths.owner and values.get("owner") == self.user_id:
            return Reach.OWNER
        region = values.get("region")
        if paths.region and region and self.in_region(str(region)):
            return Reach.REGION
        return Reach.NONE

    def owned_or_404(self, queryset: QuerySet[M], *, write: bool = False, **lookup: Any) -> Owned:
        """One object of ``queryset`` by ``lookup``: 404 when it does not exist or is out of reach
        (the same answer, so another tenant's objects look like unknown ones), 403 when the user
        may read it but asked to change it."""
        model = queryset.model
        paths: ScopePaths = getattr(model, "scope_paths", ScopePaths())
        # psycopg refuses a NUL in a parameter (a 500), and no code contains one.
        if any("\x00" in str(value) for value in lookup.values()):
            raise Http404
        names = {name: path for name, path in (("employer", paths.employer), ("region", paths.region),
                                                 ("owner", paths.owner)) if path}
        # One query: the object with the values of its scope paths (each path leads to one row).
        obj = queryset.filter(**lookup).annotate(**{f"_scope_{name}": F(path) for name, path in names.items()}).first()
        if obj is None:
            raise Http404
        reach = self.reach(model, {name: getattr(obj, f"_scope_{name}") for name in names})
        if reach is Reach.NONE:
            raise Http404
        if write and reach < Reach.EMPLOYER:
            raise PermissionDenied
        return Owned(obj, reach)


ANONYMOUS = Scope(None, False, frozenset(), frozenset(), (), (), {})


@functools.cache
def _roles_statement(names: tuple[str, ...], vendor: str) -> str:
    """Every role's query as one statement: (role name, a, b) rows, a and b as text. Each query is
    a subquery, so it may order or limit itself on SQLite too."""
    queries = {role.name: role.query for role in registered_roles()}
    parts = []
    for name in names:
        query = queries[name]
        assert query is not None
        parts.append(f"SELECT CAST(%s AS {_TEXT}), CAST(q.a AS {_TEXT}), CAST(q.b AS {_TEXT}) FROM ({query.sql()}) q")  # noqa: S608
    return " UNION ALL ".join(parts)


_TEXT = "VARCHAR(200)"


def scope_for(user: Any) -> Scope:
    """Resolve the scope of ``user`` by asking every registered role provider."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    builder = ScopeBuilder()
    if user.is_superuser:
        builder.roles.add("superuser")
    roles = registered_roles()
    queried = [role for role in roles if role.query is not None]
    if queried:
        found: dict[str, list[tuple[str, str]]] = {role.name: [] for role in queried}
        params: list[Any] = []
        for role in queried:
            assert role.query is not None
            params += [role.name, *role.query.params(user)]
        with connection.cursor() as cursor:
            cursor.execute(_roles_statement(tuple(role.name for role in queried), connection.vendor), params)
            for name, a, b in cursor.fetchall():
                found[name].append((a, b))
        for role in queried:
            assert role.query is not None
            role.query.apply(found[role.name], builder)
    for role in roles:
        if role.provider is not None:
            role.provider(user, builder)
    return Scope(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        roles=frozenset(builder.roles),
        employer_ids=frozenset(builder.employer_ids),
        region_prefixes=tuple(sorted(builder.region_prefixes)),
        review_regions=tuple(sorted(builder.review_regions)),
        extra=dict(builder.extra),
    )


def request_scope(request: HttpRequest | Any) -> Scope:
    """The request's scope, resolved once (ScopeMiddleware) or now for a request without it
    (a DRF request proxies to the Django one, so both work)."""
    scope = getattr(request, "scope", None)
    if scope is None:
        scope = scope_for(getattr(request, "user", None))
        request.scope = scope  # type: ignore[union-attr]
    return scope
