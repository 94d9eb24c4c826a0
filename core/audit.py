"""Who did what: every service that changes data records its actor here.

Entries are Wagtail's ``ModelLogEntry`` rows (``wagtail.log_actions.log``), so the admin's history
views show them. ``employer_id`` goes into the entry's data, so an employer admin can read their
own employer's log (``audit_entries``) and nobody else's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

# Action name -> label, registered with Wagtail by core.wagtail_hooks so its history views name them.
AUDIT_ACTIONS: dict[str, str] = {}


def register_audit_action(action: str, label: Any) -> None:
    AUDIT_ACTIONS[action] = label


def audit(actor: Any, action: str, instance: Model, *, employer_id: int | None = None,
          data: dict[str, Any] | None = None, title: str = "") -> ModelLogEntry | None:
    """Record ``action`` on ``instance`` by ``actor`` (None for the system: a beat task, a migration)."""
    payload = dict(data or {})
    if employer_id is not None:
        payload["employer"] = employer_id
    user = actor if getattr(actor, "pk", None) else None
    return log(instance, action, user=user, data=payload, title=title or None)


def audit_entries(*, employer_id: int) -> QuerySet[ModelLogEntry]:
    """An employer's log, newest first."""
    return ModelLogEntry.objects.filter(data__employer=employer_id).select_related("user").order_by("-timestamp")
