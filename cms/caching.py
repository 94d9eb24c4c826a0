"""Whole-page cache for anonymous readers of the pages that opt in (home, knowledge-base listing,
articles).

Anonymous visitors all get the same page, and Wagtail's routing (site, one query per level of the
tree) and the base template cost far more than the page itself. A page marks the request as
cacheable while serving it; ``cms.views.serve`` keeps such responses for a few minutes, keyed by
host, language and full path. Any publish, unpublish, move or delete bumps a generation number in
the key, so every cached page is forgotten at once.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation

ANONYMOUS_PAGE_SECONDS = 300
# Cookies that make a visitor's page personal (a session, pending messages); without them every
# visitor gets the same page.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
_GENERATION_KEY = "cms:anonymous-page:generation"
_FLAG = "anonymous_cacheable"


def allow_anonymous_cache(request: HttpRequest, *, query_names: frozenset[str] = frozenset()) -> None:
    """Called by a page while it serves ``request``: the page is the same for every anonymous
    visitor. Only query strings made of ``query_names`` are cached, so junk parameters cannot fill
    the cache."""
    if set(request.GET) <= query_names:
        setattr(request, _FLAG, True)


def is_cacheable(request: HttpRequest) -> bool:
    return bool(getattr(request, _FLAG, False))


def anonymous_page_key(request: HttpRequest) -> str:
    generation = cache.get_or_set(_GENERATION_KEY, 1, timeout=None)
    # Hashed: an address can be longer than any cache backend's key limit.
    address = hashlib.sha256(f"{request.get_host()}|{request.get_full_path()}".encode()).hexdigest()
    return f"cms:anonymous-page:{generation}:{translation.get_language()}:{address}"


def forget_anonymous_pages() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 1, timeout=None)
