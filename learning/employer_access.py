"""How the employer admin's learning pages (学时 and training) find what they show: the employer
or the worker through the request's scope with the roster's write reach (records of named
people), and the same small reading of the address. An evaluator of the region gets 403 with the
page's own words, anyone else 404, the same as for an unknown code."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied

from core.scope import Owned, request_scope
from orgs.access import employer_or_404
from orgs.models import Worker


def owned_employer(request: Any, code: str, *, refused: str) -> Owned:
    # The roster's 403 says a read-only role may look but not change; here it may not look either.
    try:
        return employer_or_404(request, code, write=True)
    except PermissionDenied:
        raise PermissionDenied(refused) from None


def owned_worker(request: Any, code: str, *, refused: str) -> Owned:
    try:
        return request_scope(request).owned_or_404(
            Worker.objects.select_related("employer", "department"), write=True, code=code)
    except PermissionDenied:
        raise PermissionDenied(refused) from None


def public_code(value: str) -> str:
    """A public code as a lookup value; anything a code never contains matches nothing."""
    return value if 0 < len(value) <= 40 and value.isascii() and value.isprintable() else ""


def address(base: dict[str, Any], **changes: Any) -> str:
    """The query string of ``base`` with ``changes``, empty values left out."""
    params = {**base, **changes}
    return "?" + urlencode({key: value for key, value in params.items() if value not in ("", None)})
