"""The sign-in backend: Django's ModelBackend, with the user of every signed-in request read by a
fixed statement (core.fixedsql) instead of a query compiled anew each time."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection

from core import fixedsql


@functools.cache
def _user_statement(vendor: str) -> tuple[str, tuple[fixedsql.Shape, ...]]:
    user_model = get_user_model()
    shapes = (fixedsql.Shape.of(user_model, "u"),)
    table = connection.ops.quote_name(user_model._meta.db_table)
    pk = connection.ops.quote_name(user_model._meta.pk.column)
    return f"SELECT {fixedsql.select_list(*shapes)} FROM {table} u WHERE u.{pk} = %s", shapes  # noqa: S608


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            user_pk = get_user_model()._meta.pk.to_python(user_id)
        except Exception:
            return None
        sql, shapes = _user_statement(connection.vendor)
        rows = fixedsql.read(sql, [user_pk], shapes)
        if not rows:
            return None
        user = rows[0][0]
        return user if self.user_can_authenticate(user) else None
