"""Forget the cached anonymous home page when pages are published or unpublished."""

from __future__ import annotations

from typing import Any


def forget_anonymous_home(**kwargs: Any) -> None:
    from cms.views import forget_anonymous_home as forget

    forget()


def register_signal_handlers() -> None:
    from wagtail.signals import page_published, page_unpublished

    page_published.connect(forget_anonymous_home, dispatch_uid="cms-forget-home-published")
    page_unpublished.connect(forget_anonymous_home, dispatch_uid="cms-forget-home-unpublished")
