"""The role registry. Each app that grants a role registers a provider for it in its AppConfig's
``ready()``; the shared layer never imports an app to find out who someone is.

A provider looks at one user and adds to a ``ScopeBuilder``: the role's name, and whatever the role
reaches (employers it keeps, a region subtree it reads, a review level, the user's own records).
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
class Role:
    name: str
    label: str | Promise
    provider: RoleProvider
    order: int = 100


_ROLES: dict[str, Role] = {}


def register_role(name: str, label: str | Promise, provider: RoleProvider, *, order: int = 100) -> None:
    """Register (or replace, on a reload) the provider of role ``name``."""
    _ROLES[name] = Role(name, label, provider, order)


def registered_roles() -> list[Role]:
    return sorted(_ROLES.values(), key=lambda role: (role.order, role.name))

