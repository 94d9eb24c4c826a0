"""The inbox: one signed-in person's notifications (core.notifications); and the page a refused
CSRF check shows (settings.CSRF_FAILURE_VIEW)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
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


def _referer_path(request: HttpRequest) -> str:
    """The page the refused form was on, as a path of this site; "" for another site's or none."""
    referer = request.headers.get("referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    if not referer or not url_has_allowed_host_and_scheme(referer, allowed_hosts={host},
                                                          require_https=request.is_secure()):
        return ""
    parts = urlsplit(referer)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    # A Referer is absolute; and its path must stay a path here ("//other.host/" is not).
    if not parts.netloc or not path.startswith("/") or not url_has_allowed_host_and_scheme(path, allowed_hosts={host}):
        return ""
    return path


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form or a page's request whose CSRF token no longer matches — a session that expired, a
    sign-in in another tab, a cookie the browser dropped. Not an attack a person can do anything
    about, so they get a way back instead of Django's technical page; ``reason`` stays in Django's
    security log."""
    message = _("页面已过期，请刷新后重试")
    if "application/json" in request.headers.get("accept", "") or request.content_type == "application/json":
        return JsonResponse({"ok": False, "code": "csrf", "message": message}, status=403)
    back = _referer_path(request)
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    login = reverse("login")
    if signed_in:
        link, label = back or "/", _("返回刚才的页面") if back else _("回到首页")
    elif back and urlsplit(back).path == login:
        link, label = back, _("重新登录")
    else:
        link, label = (f"{login}?{urlencode({'next': back})}" if back else login), _("重新登录")
    return render(request, "403_csrf.html", {"message": message, "link": link, "link_label": label,
                                             "signed_in": signed_in}, status=403)
