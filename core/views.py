"""The inbox: one signed-in person's notifications (core.notifications)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.notifications import (
    inbox_for,
    is_site_relative,
    notification_mark_read,
    notifications_mark_all_read,
    unread_count,
)
from core.pagination import ParamPageLinks, page_of

logger = logging.getLogger(__name__)
INBOX_PAGE_SIZE = 30


# never_cache: after opening a message and going back, the phone must not show the stale list.
@never_cache
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = page_of(inbox_for(request.user), request.GET, INBOX_PAGE_SIZE)
    return render(request, "core/inbox.html", {
        "page": page, "links": ParamPageLinks(page, request.GET), "unread": unread_count(request.user),
    })


@never_cache
@login_required
@require_GET
def notification_open(request: HttpRequest, code: str) -> HttpResponse:
    """Opening a message reads it and follows its link; one without a link (or with a link that
    is not this site's, written by other means than ``notify``) is shown here instead."""
    notification = notification_mark_read(user=request.user, notification_code_or_id=code)
    if notification.url and is_site_relative(notification.url):
        return HttpResponseRedirect(notification.url)
    if notification.url:
        logger.warning("notification %s: refused to follow %r", notification.pk, notification.url)
    return render(request, "core/notification_detail.html", {"notification": notification})


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    if notifications_mark_all_read(user=request.user):
        messages.success(request, _("已全部标为已读"))
    return redirect("core:inbox")
