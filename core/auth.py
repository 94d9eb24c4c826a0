"""The sign-in backend: Django's ModelBackend, with the user of every signed-in request read with its
session (core.sessions), or else by a fixed statement (core.fixedsql), instead of a query compiled
anew each time."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core import fixedsql, sessions


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            user_pk = get_user_model()._meta.pk.to_python(user_id)
        except Exception:
            return None
        user = sessions.user_read_with_session(user_pk)
        if user is not sessions.NOT_READ:
            return user if self.user_can_authenticate(user) else None
        users = fixedsql.select(get_user_model(), "t.id = %s", [user_pk])
        return users[0] if users and self.user_can_authenticate(users[0]) else None
