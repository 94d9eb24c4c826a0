"""Forget the anonymous visitors' cached pages whenever the page tree changes what they see."""

from __future__ import annotations

from typing import Any


def forget_anonymous_pages(**kwargs: Any) -> None:
    from cms.caching import forget_anonymous_pages as forget

    forget()


def forget_on_page_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    from wagtail.models import Page

    if isinstance(instance, Page):
        forget_anonymous_pages()


def register_signal_handlers() -> None:
    from django.db.models.signals import post_delete
    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    page_published.connect(forget_anonymous_pages, dispatch_uid="cms-forget-pages-published")
    page_unpublished.connect(forget_anonymous_pages, dispatch_uid="cms-forget-pages-unpublished")
    post_page_move.connect(forget_anonymous_pages, dispatch_uid="cms-forget-pages-moved")
    page_slug_changed.connect(forget_anonymous_pages, dispatch_uid="cms-forget-pages-slug")
    post_delete.connect(forget_on_page_delete, dispatch_uid="cms-forget-pages-deleted")
