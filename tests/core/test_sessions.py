"""core.sessions: a signed-in request reads its session, its user and the user's worker record in one
statement, and django.contrib.auth's checks (active user, password hash) still decide who it is."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import sessions
from core.models import UserSession
from core.sessions import SessionStore
from tests.conftest import PASSWORD, Personas

pytestmark = pytest.mark.django_db


def _signed_in(personas: Personas, user: Any) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_signing_in_stores_the_user_beside_the_session(personas: Personas) -> None:
    client = _signed_in(personas, personas.worker_user)
    row = UserSession.objects.get(pk=client.session.session_key)
    assert row.user_id == personas.worker_user.pk
    assert SessionStore(row.session_key).load()[SESSION_KEY] == str(personas.worker_user.pk)
    # Signing out removes the row; an anonymous session carries no user.
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(pk=row.session_key).exists()
    anonymous = SessionStore()
    anonymous["seen"] = True
    anonymous.save()
    assert UserSession.objects.get(pk=anonymous.session_key).user_id is None


def test_the_session_the_user_and_the_worker_come_in_one_statement(personas: Personas) -> None:
    client = _signed_in(personas, personas.worker_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me/")
    assert response.status_code == 200
    reads = [query["sql"] for query in queries.captured_queries]
    assert any("core_usersession" in sql and "orgs_user" in sql and "orgs_worker" in sql for sql in reads), reads
    assert not any(sql.lstrip().upper().startswith("SELECT") and "FROM \"orgs_user\"" in sql for sql in reads), reads


def test_the_worker_read_with_the_session_is_the_users_own(personas: Personas) -> None:
    store = SessionStore(_signed_in(personas, personas.worker_user).session.session_key)
    store.load()
    user = store.user_read_with(personas.worker_user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert user.worker == personas.worker
    assert queries.captured_queries == []
    # Someone without a worker record: the cache says so, and the accessor raises as Django's does.
    admin_store = SessionStore(_signed_in(personas, personas.employer_admin).session.session_key)
    admin_store.load()
    admin = admin_store.user_read_with(personas.employer_admin.pk)
    with CaptureQueriesContext(connection) as queries, pytest.raises(type(personas.worker).DoesNotExist):
        admin.worker  # noqa: B018
    assert queries.captured_queries == []


def test_a_user_read_with_the_session_serves_only_its_own_request(personas: Personas) -> None:
    store = SessionStore(_signed_in(personas, personas.worker_user).session.session_key)
    store.load()
    # Outside AuthenticationMiddleware's resolution nothing is handed over.
    assert sessions.user_read_with_session(personas.worker_user.pk) is sessions.NOT_READ
    with sessions.reading_user_of(store):
        assert sessions.user_read_with_session(personas.worker_user.pk) == personas.worker_user
        # Another id than the session's: the backend reads that user itself.
        assert sessions.user_read_with_session(personas.employer_admin.pk) is sessions.NOT_READ
    assert sessions.user_read_with_session(personas.worker_user.pk) is sessions.NOT_READ


def test_a_changed_password_or_a_deactivated_user_ends_the_session(personas: Personas) -> None:
    client = _signed_in(personas, personas.worker_user)
    assert client.get("/api/v1/me/").status_code == 200
    user = personas.worker_user
    user.set_password("another-Pass-2026")
    user.save()
    # The hash in the session no longer matches the user read with it: signed out.
    assert client.get("/api/v1/me/").status_code == 403
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": "another-Pass-2026"}).status_code == 302
    assert client.get("/api/v1/me/").status_code == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/api/v1/me/").status_code == 403


def test_sessions_in_djangos_table_are_carried_over(personas: Personas) -> None:
    """What migration core 0003 does on an upgrade: live sessions move with their user's id."""
    from importlib import import_module

    migration = import_module("core.migrations.0003_user_session")
    old = DjangoSessionStore()
    old[SESSION_KEY] = str(personas.worker_user.pk)
    old.create()
    anonymous = DjangoSessionStore()
    anonymous["cart"] = 1
    anonymous.create()
    gone = DjangoSessionStore()
    gone[SESSION_KEY] = "999999999"
    gone.create()
    Session.objects.create(session_key="x" * 32, session_data="not signed data",
                           expire_date=Session.objects.get(pk=old.session_key).expire_date)
    migration.sessions_carry_over(apps, None)
    moved = {row.session_key: row.user_id for row in UserSession.objects.all()}
    assert moved[old.session_key] == personas.worker_user.pk
    assert moved[anonymous.session_key] is None
    assert gone.session_key not in moved and "x" * 32 not in moved
    # The carried-over session still signs its holder in.
    assert SessionStore(old.session_key).load()[SESSION_KEY] == str(personas.worker_user.pk)
