"""The session engine: Django's database sessions in core.UserSession, whose rows carry the signed-in
user's id, so that a signed-in request reads its session and its user in one fixed statement
(core.fixedsql) instead of two queries compiled anew each time.

The user read with the session is handed to the sign-in backend (core.auth) only while
``core.middleware.AuthenticationMiddleware`` resolves ``request.user`` for this very request, so
it can never serve another request. django.contrib.auth still checks it: the backend's
``user_can_authenticate`` and the session's auth hash against the password, as for a user it reads.

An app whose model is one-to-one with the user and wanted on most signed-in requests (orgs' worker
record) registers it with ``read_with_user``: it joins the same statement and lands in the user's
relation cache, so ``request.user.worker`` costs no query.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection, models
from django.utils import timezone

from core import fixedsql

# What user_read_with_session answers when this request's session did not read that user: the
# caller reads the user itself.
NOT_READ = object()
_reading: ContextVar[SessionStore | None] = ContextVar("core_sessions_reading", default=None)
_with_user: list[tuple[type[models.Model], models.OneToOneField]] = []


def read_with_user(model: type[models.Model]) -> None:
    """Read ``model``'s row of the signed-in user (by its one-to-one field to the user model) with
    every signed-in session, into the user's relation cache. Call from an AppConfig.ready()."""
    user_model = get_user_model()
    field = next(field for field in model._meta.concrete_fields
                 if isinstance(field, models.OneToOneField) and field.related_model is user_model)
    if all(known is not model for known, _field in _with_user):
        _with_user.append((model, field))
        _statement.cache_clear()


@functools.cache
def _statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    from core.models import UserSession

    user_model = get_user_model()
    q = connection.ops.quote_name
    shapes = [fixedsql.Shape.of(UserSession, "s"), fixedsql.Shape.of(user_model, "u")]
    joins = [f"LEFT OUTER JOIN {q(user_model._meta.db_table)} u ON u.{q(user_model._meta.pk.column)} = s.user_id"]
    for index, (model, field) in enumerate(_with_user):
        alias = f"r{index}"
        shapes.append(fixedsql.Shape.of(model, alias))
        joins.append(f"LEFT OUTER JOIN {q(model._meta.db_table)} {alias} ON {alias}.{q(field.column)} = u.id")
    return (f"SELECT {fixedsql.select_list(*shapes)} FROM {q(UserSession._meta.db_table)} s "  # noqa: S608
            f"{' '.join(joins)} WHERE s.session_key = %s AND s.expire_date > %s"), tuple(shapes)


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._user: Any = NOT_READ

    @classmethod
    def get_model_class(cls) -> Any:
        from core.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        try:
            instance.user_id = int(data[SESSION_KEY]) if SESSION_KEY in data else None  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            instance.user_id = None  # type: ignore[attr-defined]
        return instance

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        self._user = NOT_READ
        if key is None or "\x00" in key:
            self._session_key = None
            return None
        sql, shapes = _statement(connection.vendor)
        rows = fixedsql.read(sql, [key, connection.ops.adapt_datetimefield_value(timezone.now())], shapes)
        if not rows:
            self._session_key = None
            return None
        session, user, *related = rows[0]
        if user is not None:
            for (_model, field), instance in zip(_with_user, related, strict=True):
                # What the reverse accessor (user.worker) looks for before it queries; None there
                # means "has none", as Django caches it.
                field.remote_field.set_cached_value(user, instance)
                if instance is not None:
                    field.set_cached_value(instance, user)
        self._user = user
        return session

    def user_read_with(self, user_id: Any) -> Any:
        """The user this session's row named when it was read, if that is ``user_id``; else
        ``NOT_READ`` (the caller reads the user itself)."""
        user = self._user
        if user is NOT_READ or user is None or str(user.pk) != str(user_id):
            return NOT_READ
        return user


@contextlib.contextmanager
def reading_user_of(session: Any) -> Iterator[None]:
    """While django.contrib.auth resolves the request's user: the session's own row may serve it."""
    token = _reading.set(session if isinstance(session, SessionStore) else None)
    try:
        yield
    finally:
        _reading.reset(token)


def user_read_with_session(user_id: Any) -> Any:
    session = _reading.get()
    return NOT_READ if session is None else session.user_read_with(user_id)


