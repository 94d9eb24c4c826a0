"""The request's user and scope: the user read with the session (core.sessions), the scope
(core.scope) resolved once, lazily, after authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from core import sessions
from core.scope import scope_for


def _user(request: HttpRequest) -> Any:
    with sessions.reading_user_of(request.session):
        user = auth_middleware.get_user(request)
    sessions.accepted(request, user)
    return user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user the session's row brought along (one statement for both)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))  # type: ignore[assignment]


class ScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Lazy: pages that never ask (static, anonymous knowledge base) cost nothing.
        request.scope = SimpleLazyObject(lambda: scope_for(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)
