"""The header's unread count and navigation, for base.html."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from core.nextsteps import NavItem, navigation_for
from core.notifications import unread_count


class HeaderContext:
    """Lazy: every template rendered with a request context (Wagtail's admin too) gets one, and
    only a page that shows the header pays for it. The count is asked only for a signed-in person,
    so anonymous pages, which are cached, make no query."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def unread_count(self) -> int:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return unread_count(user)

    @cached_property
    def navigation(self) -> list[NavItem]:
        return navigation_for(self._request)


def header(request: HttpRequest) -> dict[str, Any]:
    # Not "site_header": Django's admin uses that name for its title.
    return {"core_header": HeaderContext(request)}
