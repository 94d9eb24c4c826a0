"""Notifications: an in-site inbox for everyone, e-mail when configured, SMS through a provider you add.

Apps call ``notify`` (a course reminder, an exam result, a compliance due date). The inbox row is
always written, and it is what makes a message go out once: ``(recipient, key)`` is unique, so a
job that runs twice, or two workers that race, write one row, and only rows written by this call
are e-mailed or texted, after the caller's transaction commits (docs/notifications.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Iterator
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.text import Truncator

from core.models import Notification

logger = logging.getLogger(__name__)

INBOX = "inbox"
EMAIL = "email"
SMS = "sms"
CHANNELS = frozenset({INBOX, EMAIL, SMS})
# SMS costs money per message and Chinese providers need an approved template per kind of message,
# so a caller asks for it explicitly.
DEFAULT_CHANNELS: tuple[str, ...] = (INBOX, EMAIL)

_TITLE_MAX = Notification._meta.get_field("title").max_length or 200
_KEY_MAX = Notification._meta.get_field("key").max_length or 200
_URL_MAX = Notification._meta.get_field("url").max_length or 500
# Rows written (and looked up) per statement: well below SQLite's limit on query parameters.
_CHUNK = 500
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f\\]")


def is_site_relative(url: str) -> bool:
    """"/learning/courses/x/" yes; "https://…", "//host/…", "/\\host", "javascript:…" and
    "relative/path" no. The inbox redirects to the url, so only this site's paths are allowed."""
    if not url.startswith("/") or url.startswith("//") or _UNSAFE_URL.search(url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set())


# -- channels ------------------------------------------------------------------------------------

class SmsChannel(Protocol):
    """What an SMS provider implements. None is bundled: write a class with these two methods (it
    may subclass ``SmsChannelBase``) and name it in ``NOTIFY_SMS_BACKEND``."""

    def phone_for(self, user: Any) -> str:
        """The recipient's mobile number, "" when there is none (the message is then not texted)."""
        ...

    def send(self, *, phone: str, notification: Notification) -> None:
        """Send one message; raise on failure (it is logged and not retried)."""
        ...


class SmsChannelBase:
    """A starting point for a provider: workers log in with their mobile number (orgs.User), so
    the username is used when it is one. ``send`` is the provider's own."""

    _MOBILE = re.compile(r"1[3-9]\d{9}")

    def phone_for(self, user: Any) -> str:
        username = str(getattr(user, "username", "") or "")
        return username if self._MOBILE.fullmatch(username) else ""

    def send(self, *, phone: str, notification: Notification) -> None:
        raise NotImplementedError("an SMS provider implements send()")


def email_enabled() -> bool:
    return bool(getattr(settings, "NOTIFY_EMAIL", False) and settings.DEFAULT_FROM_EMAIL)


def sms_channel() -> SmsChannel | None:
    """The configured SMS provider, or None (the default: no provider is bundled)."""
    path = getattr(settings, "NOTIFY_SMS_BACKEND", "")
    return import_string(path)() if path else None


# -- services ------------------------------------------------------------------------------------

def notify(*, recipients: Iterable[Any], key: str, title: str, body: str, url: str = "",
           channels: Collection[str] = DEFAULT_CHANNELS) -> int:
    """Put a message in the inbox of each recipient (users or user ids) that has none with this
    ``key`` yet, and send the new ones by the other ``channels`` that are configured once the
    transaction commits. Returns how many were new."""
    if not key or len(key) > _KEY_MAX:
        raise ValueError(f"a notification key has 1 to {_KEY_MAX} characters")
    if url and (len(url) > _URL_MAX or not is_site_relative(url)):
        raise ValueError(f"a notification links to a path of this site, not {url!r}")
    unknown = set(channels) - CHANNELS
    if unknown:
        raise ValueError(f"unknown notification channels: {sorted(unknown)}")
    title = Truncator(title).chars(_TITLE_MAX)
    recipient_ids = sorted({getattr(recipient, "pk", recipient) for recipient in recipients})
    created: list[int] = []
    for chunk in _chunks(recipient_ids):
        created.extend(_write_inbox(chunk, key=key, title=title, body=body, url=url))
    if created:
        extra = set(channels) - {INBOX}
        # robust: a mail server that is down must not turn a committed request into an error page.
        transaction.on_commit(lambda: _deliver(created, extra), robust=True)
    return len(created)


def _write_inbox(recipient_ids: list[int], *, key: str, title: str, body: str, url: str) -> list[int]:
    """Ids of the rows this call wrote. A row a concurrent call wrote first is skipped by the
    database (ignore_conflicts), silently; the codes generated here tell which rows are ours."""
    existing = _already_notified(recipient_ids, key)
    fresh = [Notification(recipient_id=pk, key=key, title=title, body=body, url=url)
             for pk in recipient_ids if pk not in existing]
    if not fresh:
        return []
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return list(Notification.objects.filter(code__in=[row.code for row in fresh]).values_list("pk", flat=True))


def _already_notified(recipient_ids: list[int], key: str) -> set[int]:
    return set(Notification.objects.filter(key=key, recipient_id__in=recipient_ids).values_list("recipient_id", flat=True))


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _deliver(notification_ids: list[int], channels: set[str]) -> None:
    if EMAIL in channels and email_enabled():
        notifications_email(notification_ids)
    if SMS in channels:
        channel = sms_channel()
        if channel is not None:
            notifications_text(notification_ids, channel)


def _claim(notification_id: int, field: str) -> bool:
    """Healthchecks' rule: go on only if exactly one row changed, so a retried delivery (or two
    at once) sends nothing twice."""
    return Notification.objects.filter(pk=notification_id, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}) == 1


def notifications_email(notification_ids: Iterable[int]) -> int:
    """E-mail the given notifications to active recipients with an address, each at most once.
    Returns how many were sent."""
    email_field = get_user_model().get_email_field_name()
    rows = list(Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True,
                                            recipient__is_active=True)
                .exclude(**{f"recipient__{email_field}": ""}).select_related("recipient"))
    if not rows:
        return 0
    sent = 0
    with get_connection(fail_silently=False) as connection:
        for notification in rows:
            if not _claim(notification.pk, "emailed_at"):
                continue
            message = EmailMessage(subject=notification.title, body=_email_body(notification),
                                   from_email=settings.DEFAULT_FROM_EMAIL,
                                   to=[getattr(notification.recipient, email_field)], connection=connection)
            try:
                message.send()
            except Exception:
                # Claimed and not sent: it stays in the inbox; sending it again could send it twice.
                logger.exception("notification %s: e-mail failed", notification.pk)
                continue
            sent += 1
    return sent


def _email_body(notification: Notification) -> str:
    parts = [notification.body] if notification.body else []
    if notification.url:
        parts.append(settings.WAGTAILADMIN_BASE_URL.rstrip("/") + notification.url)
    return "\n\n".join(parts) or notification.title


def notifications_text(notification_ids: Iterable[int], channel: SmsChannel) -> int:
    """Text the given notifications through ``channel``, each at most once. Returns how many were sent."""
    rows = Notification.objects.filter(pk__in=list(notification_ids), texted_at__isnull=True,
                                       recipient__is_active=True).select_related("recipient")
    sent = 0
    for notification in rows:
        phone = channel.phone_for(notification.recipient)
        if not phone or not _claim(notification.pk, "texted_at"):
            continue
        try:
            channel.send(phone=phone, notification=notification)
        except Exception:
            logger.exception("notification %s: SMS failed", notification.pk)
            continue
        sent += 1
    return sent


def notification_mark_read(*, user: Any, notification_code_or_id: str | int) -> Notification:
    """Mark one of ``user``'s notifications read (the first reading time stays) and return it.
    Another person's notification is answered like an unknown one: 404."""
    notification = notification_of(user, notification_code_or_id)
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


# -- selectors -----------------------------------------------------------------------------------

def inbox_for(user: Any) -> QuerySet[Notification]:
    """``user``'s notifications, newest first. Even a superuser sees only their own: an inbox is
    personal, whatever else the scope reaches."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    """One COUNT over the partial index of unread rows."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_of(user: Any, notification_code_or_id: str | int) -> Notification:
    """One of ``user``'s notifications by public code (a str) or id (an int), else 404."""
    lookup: dict[str, Any]
    if isinstance(notification_code_or_id, int):
        lookup = {"pk": notification_code_or_id}
    else:
        code = str(notification_code_or_id)
        # PostgreSQL refuses a NUL in a query; such a code cannot exist anyway.
        if not code or "\x00" in code or len(code) > 16:
            raise Http404
        lookup = {"code": code}
    notification = inbox_for(user).filter(**lookup).first()
    if notification is None:
        raise Http404
    return notification
