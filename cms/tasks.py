"""Celery tasks of the editorial side: thin, idempotent, calling one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cms.publish_scheduled")
def publish_scheduled() -> str:
    from cms.services import scheduled_pages_publish

    return scheduled_pages_publish()
