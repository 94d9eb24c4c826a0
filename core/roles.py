"""The role registry. Each app that grants a role registers a provider for it in its AppConfig's
``ready()``; the shared layer never imports an app to find out who someone is.

A role adds to a ``ScopeBuilder``: the role's name, and whatever the role reaches (employers it
keeps, a region subtree it reads, a review level, the user's own records). It says so from the rows
of a query (``RoleQuery``), which the scope runs together with every other role's, or, where one
statement cannot say it, from a provider function of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass
class ScopeBuilder:
    roles: set[str] = field(default_factory=set)
    # Employers whose roster this user keeps: write access, raw ID numbers and phones.
    employer_ids: set[int] = field(default_factory=set)
    # GB/T 2260 code prefixes this user reads: read-only, masked personal numbers.
    region_prefixes: set[str] = field(default_factory=set)
    # 达人 review: (region prefix, level) pairs, level 3 county / 2 city / 1 province.
    review_regions: set[tuple[str, int]] = field(default_factory=set)
    # Anything else an app wants to carry in the scope, by name.
    extra: dict[str, Any] = field(default_factory=dict)


RoleProvider = Callable[[Any, ScopeBuilder], None]


@dataclass(frozen=True)
class RoleQuery:
    """A role read by one SELECT of two columns named ``a`` and ``b`` (``sql()``, with the
    parameters ``params(user)``), its rows handed to ``apply`` as text. scope_for runs the queries
    of every role as one statement: a signed-in request reads all its roles in one round trip."""

    sql: Callable[[], str]
    apply: Callable[[list[tuple[str, str]], ScopeBuilder], None]
    params: Callable[[Any], list[Any]] = lambda user: [user.pk]


@dataclass(frozen=True)
class Role:
    name: str
    label: str | Promise
    provider: RoleProvider | None = None
    order: int = 100
    query: RoleQuery | None = None


_ROLES: dict[str, Role] = {}


def register_role(name: str, label: str | Promise, provider: RoleProvider | None = None, *, order: int = 100,
                  query: RoleQuery | None = None) -> None:
    """Register (or replace, on a reload) role ``name``: a ``query`` (preferred) or a ``provider``
    that looks at the user and fills in the builder itself."""
    if (provider is None) == (query is None):
        raise ValueError(f"role {name}: give a provider or a query, not both")
    _ROLES[name] = Role(name, label, provider, order, query)


def registered_roles() -> list[Role]:
    return sorted(_ROLES.values(), key=lambda role: (role.order, role.name))
