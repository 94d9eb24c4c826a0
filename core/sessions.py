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

A request on the hottest path (an exam's answer save) may skip even that read: ``signed_in`` gives
the session Django's authentication accepted earlier in this process, and ``condition_sql``
(with ``SignedIn.condition_params``) is the SQL the caller's own statement adds so that it writes only if that acceptance still holds
now: the row is there (no sign-out), unexpired, for the same user, who is still active and whose
password is the one it was accepted with (Django's session hash is derived from nothing else). A
statement that finds no row then takes Django's path, which gives the refusal.
"""

from __future__ import annotations

import contextlib
import functools
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection, models
from django.http import HttpRequest
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

    def delete(self, session_key: str | None = None) -> None:
        forget(session_key or self.session_key)
        super().delete(session_key)

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


# Sessions Django's authentication accepted in this process, by key: the user's id and the
# password (hash) it was accepted with. Bounded, least recently used first out.
_accepted: OrderedDict[str, tuple[Any, str]] = OrderedDict()
ACCEPTED_KEPT = 20_000


@dataclass(frozen=True)
class SignedIn:
    """A session accepted earlier in this process, for a statement that must find it still valid
    (``condition_sql``, with ``condition_params``)."""

    session_key: str
    user_id: Any
    password: str

    def condition_params(self, now: datetime, db: Any = None) -> list[Any]:
        """The parameters of ``condition_sql``, in its order (``db``: the connection, if at hand)."""
        ops = (db or connection).ops
        params: list[Any] = [self.session_key, ops.adapt_datetimefield_value(now), self.user_id]
        if _has_is_active():
            params.append(True)
        params.append(self.password)
        return params


@functools.cache
def _has_is_active() -> bool:
    return any(field.name == "is_active" for field in get_user_model()._meta.concrete_fields)


@functools.lru_cache(maxsize=64)
def condition_sql(vendor: str, user_id_sql: str) -> str:
    """SQL true only while a ``SignedIn`` session is as it was accepted, for the user whose id is
    ``user_id_sql`` (an expression of the caller's statement)."""
    from core.models import UserSession

    user_model = get_user_model()
    q = connection.ops.quote_name
    pk = q(user_model._meta.pk.column)
    # ModelBackend.user_can_authenticate is is_active; the session hash, a keyed hash of the password.
    active = f" AND su.{q(user_model._meta.get_field('is_active').column)} = %s" if _has_is_active() else ""
    return (f"EXISTS (SELECT 1 FROM {q(UserSession._meta.db_table)} ss "  # noqa: S608
            f"INNER JOIN {q(user_model._meta.db_table)} su ON su.{pk} = ss.user_id "
            f"WHERE ss.session_key = %s AND ss.expire_date > %s AND ss.user_id = %s AND ss.user_id = {user_id_sql}"
            f"{active} AND su.{q(user_model._meta.get_field('password').column)} = %s)")


def accepted(request: HttpRequest, user: Any) -> None:
    """Django's authentication accepted ``user`` for this request's session."""
    key = getattr(request.session, "session_key", None)
    password = getattr(user, "password", None)
    if not key or not getattr(user, "is_authenticated", False) or not isinstance(password, str):
        return
    # No step here can fail when another thread (runserver's) changes the dict meanwhile.
    _accepted.pop(key, None)
    _accepted[key] = (user.pk, password)
    while len(_accepted) > ACCEPTED_KEPT:
        try:
            _accepted.popitem(last=False)
        except KeyError:
            break


def forget(session_key: str | None) -> None:
    if session_key:
        _accepted.pop(session_key, None)


def signed_in(request: HttpRequest) -> SignedIn | None:
    """The session this request's cookie names, if Django's authentication accepted it earlier in
    this process; no query. What it says must be re-checked by ``condition_sql``."""
    key = getattr(request.session, "session_key", None)
    known = _accepted.get(key) if isinstance(key, str) else None
    if known is None:
        return None
    return SignedIn(str(key), known[0], known[1])
