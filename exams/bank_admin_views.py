"""Bank import and export in the Wagtail admin (being built, issue 8)."""

from __future__ import annotations

from typing import Any

admin_urlpatterns: list[Any] = []
