"""Writes and rules of the editorial side. Pages themselves are written through Wagtail's admin and
its actions (revisions, workflow, publishing); what remains is scheduling and the editorial roles."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from cms.roles import EDITOR_GROUP, REVIEWER_GROUP

__all__ = ["EDITOR_GROUP", "REVIEWER_GROUP", "REVIEW_WORKFLOW", "scheduled_pages_publish"]

REVIEW_WORKFLOW = "科普内容审核"


def scheduled_pages_publish() -> str:
    """Publish revisions whose go-live time has come and unpublish expired pages.

    Wagtail's own command does the work (with its log entries and signals); beat runs it every
    minute, and running it twice publishes nothing twice.
    """
    out = StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue()
