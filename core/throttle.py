"""Counting attempts in the cache: activation, and roster checks of numbers outside one's roster.

A fixed window per key is enough here: the point is that guessing costs days, not seconds.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

# Tests give each test its own namespace, so counts never carry over from one to the next.
NAMESPACE = "core:throttle"


def _key(scope: str, ident: str) -> str:
    return f"{NAMESPACE}:{scope}:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"


def throttle_count(scope: str, ident: str) -> int:
    return int(cache.get(_key(scope, ident)) or 0)


def throttle_exceeded(scope: str, ident: str, limit: int) -> bool:
    return throttle_count(scope, ident) >= limit


def throttle_add(scope: str, ident: str, window_seconds: int, amount: int = 1) -> int:
    """Add ``amount`` to the counter and return the new value; the window starts at the first hit."""
    key = _key(scope, ident)
    if cache.add(key, amount, window_seconds):
        return amount
    try:
        return int(cache.incr(key, amount))
    except ValueError:  # expired between add and incr
        cache.set(key, amount, window_seconds)
        return amount


def throttle_reset(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))
