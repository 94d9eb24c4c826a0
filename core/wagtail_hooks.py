"""Register the audit actions with Wagtail, so its history views label them."""

from __future__ import annotations

from typing import Any

from wagtail import hooks

from core.audit import AUDIT_ACTIONS


@hooks.register("register_log_actions")
def register_audit_actions(actions: Any) -> None:
    for action, label in AUDIT_ACTIONS.items():
        actions.register_action(action, label, label)
