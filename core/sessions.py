"""The session engine: Django's database sessions, with the session of every request read by a
fixed statement (core.fixedsql) instead of a query compiled anew each time."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from core import fixedsql


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if key is None or "\x00" in key:
            self._session_key = None
            return None
        sessions = fixedsql.select(Session, "t.session_key = %s AND t.expire_date > %s",
                                   [key, connection.ops.adapt_datetimefield_value(timezone.now())])
        if not sessions:
            self._session_key = None
            return None
        return sessions[0]
