"""The session engine: Django's database sessions, with the session of every request read by a
fixed statement (core.fixedsql) instead of a query compiled anew each time."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from core import fixedsql


@functools.cache
def _statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    shapes = (fixedsql.Shape.of(Session, "s"),)
    table = connection.ops.quote_name(Session._meta.db_table)
    return (f"SELECT {fixedsql.select_list(*shapes)} FROM {table} s "  # noqa: S608
            f"WHERE s.session_key = %s AND s.expire_date > %s"), shapes


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if key is None or "\x00" in key:
            self._session_key = None
            return None
        sql, shapes = _statement(connection.vendor)
        rows = fixedsql.read(sql, [key, connection.ops.adapt_datetimefield_value(timezone.now())], shapes)
        if not rows:
            self._session_key = None
            return None
        return rows[0][0]
