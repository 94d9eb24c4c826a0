"""What the home page offers a signed-in person, and the header's navigation, as registries.

Each app registers a provider in its AppConfig's ``ready()``: a function of the request (with its
scope) that returns the app's steps or links for this person. The home page lists what the
providers return, so a new app adds its own tasks without any other app knowing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass
class NextStep:
    title: str
    text: str
    url: str = ""
    action: str = ""
    order: int = 100


@dataclass
class NavItem:
    label: str
    url: str
    order: int = 100


@dataclass
class NextSteps:
    roles: frozenset[str]
    steps: list[NextStep] = field(default_factory=list)
    # Filled by providers for the page's own use (the worker's record card, for instance).
    context: dict[str, Any] = field(default_factory=dict)
    empty_message: str = ""


StepProvider = Callable[[HttpRequest, NextSteps], None]
NavProvider = Callable[[HttpRequest], list[NavItem]]

_STEP_PROVIDERS: dict[str, StepProvider] = {}
_NAV_PROVIDERS: dict[str, NavProvider] = {}


def register_next_steps(name: str, provider: StepProvider) -> None:
    _STEP_PROVIDERS[name] = provider


def register_navigation(name: str, provider: NavProvider) -> None:
    _NAV_PROVIDERS[name] = provider


def next_steps_for(request: HttpRequest) -> NextSteps:
    """Only real tasks are listed; when there are none the page says so plainly."""
    from core.scope import request_scope

    scope = request_scope(request)
    result = NextSteps(roles=scope.roles)
    if scope.is_authenticated:
        for provider in _STEP_PROVIDERS.values():
            provider(request, result)
    result.steps.sort(key=lambda step: step.order)
    return result


def navigation_for(request: HttpRequest) -> list[NavItem]:
    items: list[NavItem] = []
    for provider in _NAV_PROVIDERS.values():
        items.extend(provider(request))
    return sorted(items, key=lambda item: (item.order, str(item.label)))
