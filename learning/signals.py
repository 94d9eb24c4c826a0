"""Signal receivers: they only hand over to a service (rules live in services)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def issue_study_device(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every login makes its session the person's one study device (learning.services.study)."""
    from learning.services.study import device_issue

    if request is None or not hasattr(request, "session"):
        return
    device_issue(user=user, session=request.session, user_agent=request.META.get("HTTP_USER_AGENT", ""))


def training_sync_later(sender: Any, employer_id: int, worker_ids: list[int] | None = None, **kwargs: Any) -> None:
    """A roster change (orgs.signals.workers_changed): the training rules run in the background."""
    from learning.tasks import training_sync_task

    training_sync_task.delay(employer_id, worker_ids)
