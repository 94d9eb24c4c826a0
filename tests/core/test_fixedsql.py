"""core.fixedsql and what stands on it (the session engine, the sign-in backend): the rows and
values are exactly what the ORM would give, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import fixedsql
from core.auth import UserBackend
from core.models import UserSession
from core.sessions import SessionStore
from orgs.models import Employer, HazardFactor, Worker
from tests.conftest import PASSWORD, Personas

pytestmark = pytest.mark.django_db


def _worker_and_employer(user_id: int) -> list[tuple[Any, ...]]:
    shapes = (fixedsql.Shape.of(Worker, "w"), fixedsql.Shape.of(Employer, "e", ["id", "name", "created_at"]))
    q = connection.ops.quote_name
    sql = (f"SELECT {fixedsql.select_list(*shapes)} FROM {q('orgs_worker')} w "  # noqa: S608
           f"LEFT JOIN {q('orgs_employer')} e ON e.id = w.employer_id AND e.name = %s WHERE w.user_id = %s")
    return fixedsql.read(sql, ["no such name", user_id], shapes)


def test_rows_are_the_instances_the_orm_would_build(personas: Personas) -> None:
    [(worker, employer)] = _worker_and_employer(personas.worker.user_id)
    expected = Worker.objects.get(pk=personas.worker.pk)
    assert {field.attname: getattr(worker, field.attname) for field in Worker._meta.concrete_fields} == {
        field.attname: getattr(expected, field.attname) for field in Worker._meta.concrete_fields}
    assert isinstance(worker.hire_date, dt.date | type(None))
    # The far side of an outer join that matched nothing is None, not an empty instance.
    assert employer is None
    assert worker._state.adding is False


def test_a_shape_takes_fields_in_the_models_order_and_defers_the_rest(personas: Personas) -> None:
    shape = fixedsql.Shape.of(Employer, "e", ["created_at", "name", "id"])
    assert shape.fields == ("id", "name", "created_at")
    sql = f"SELECT {fixedsql.select_list(shape)} FROM orgs_employer e WHERE e.id = %s"  # noqa: S608
    [(employer,)] = fixedsql.read(sql, [personas.employer.pk], (shape,))
    assert employer.name == personas.employer.name
    assert timezone.is_aware(employer.created_at)
    assert employer.get_deferred_fields() >= {"credit_code"}


def test_insert_and_update_store_what_the_orm_would_read_back(personas: Personas) -> None:
    moment = timezone.now().replace(microsecond=123000)
    pk = fixedsql.insert(Session, {"session_key": "fixedsql-test-key", "session_data": "x", "expire_date": moment})
    assert pk == "fixedsql-test-key"
    assert Session.objects.get(pk=pk).expire_date == moment
    factor = HazardFactor.objects.get(name="噪声")
    fixedsql.update(HazardFactor, factor.pk, set={"remark": "备注"}, add={"position": 5})
    fixedsql.update(HazardFactor, factor.pk)  # nothing to write
    changed = HazardFactor.objects.get(pk=factor.pk)
    assert (changed.remark, changed.position) == ("备注", factor.position + 5)


def test_the_session_engine_reads_a_live_session_and_nothing_else(personas: Personas) -> None:
    store = SessionStore()
    store["answer"] = 42
    store.save()
    assert SessionStore(store.session_key).load() == {"answer": 42}
    UserSession.objects.filter(pk=store.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    for key in ("a" * 7, "abcdefgh\x00ij", "不存在的会话键不存在的会话键"):
        assert SessionStore(key).load() == {}


def test_signing_in_and_staying_signed_in_go_through_the_fixed_reads(personas: Personas) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": personas.worker_user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "core.auth.UserBackend"
    assert client.get("/api/v1/me/").status_code == 200
    backend = UserBackend()
    assert backend.get_user(personas.worker_user.pk) == personas.worker_user
    assert backend.get_user("not a number") is None
    assert backend.get_user(10**9) is None
    personas.worker_user.is_active = False
    personas.worker_user.save(update_fields=["is_active"])
    assert backend.get_user(personas.worker_user.pk) is None
    assert client.get("/api/v1/me/").status_code == 403


def test_writes_go_together_and_the_last_statement_gives_its_rows(personas: Personas) -> None:
    noise, heat = HazardFactor.objects.get(name="噪声"), HazardFactor.objects.get(name="高温")
    writes = fixedsql.Writes()
    writes.update(HazardFactor, noise.pk, set={"remark": "甲"}, add={"position": 1})
    writes.update(HazardFactor, heat.pk, add={"position": 2})
    writes.update(HazardFactor, heat.pk)  # nothing to write: left out
    writes.insert(Session, {"session_key": "fixedsql-writes-key", "session_data": "x", "expire_date": timezone.now()})
    rows = writes.run("SELECT COUNT(*) FROM orgs_hazardfactor WHERE remark = %s", ["甲"])
    # On PostgreSQL the last statement sees the snapshot before the writes; elsewhere after them.
    assert rows in ([(0,)], [(1,)])
    assert HazardFactor.objects.get(pk=noise.pk).remark == "甲"
    assert HazardFactor.objects.get(pk=noise.pk).position == noise.position + 1
    assert HazardFactor.objects.get(pk=heat.pk).position == heat.position + 2
    assert Session.objects.filter(pk="fixedsql-writes-key").exists()
    assert fixedsql.Writes().run() == []


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_fixed_statements_are_prepared_once_per_connection(personas: Personas, settings: Any) -> None:
    settings.FIXEDSQL_PREPARED = True
    first = _worker_and_employer(personas.worker.user_id)
    assert any("e.name = $1 WHERE w.user_id = $2" in sql for sql in _prepared_statements())
    # Run again, it is the same prepared statement and the same rows; the query log (tests,
    # DEBUG) still names the statement as written.
    from django.test.utils import CaptureQueriesContext

    before = len(_prepared_statements())
    with CaptureQueriesContext(connection) as queries:
        again = _worker_and_employer(personas.worker.user_id)
    assert [row[0].pk for row in again] == [row[0].pk for row in first]
    assert len(_prepared_statements()) == before
    assert any("orgs_worker" in query["sql"] for query in queries.captured_queries)
    # Django's own queries stay unprepared (a pooler in transaction mode would lose them), however
    # often they run: more often than psycopg's own threshold (5) would allow.
    for _run in range(6):
        list(Worker.objects.filter(pk=personas.worker.pk))
    assert len(_prepared_statements()) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_preparing_can_be_turned_off_for_a_pooler(personas: Personas, settings: Any) -> None:
    settings.FIXEDSQL_PREPARED = False
    # A statement no other test runs, so that one prepared earlier on this connection cannot hide
    # a setting that was ignored.
    [worker] = fixedsql.select(Worker, "t.id = %s AND t.user_id = %s AND t.id > -1", [personas.worker.pk,
                                                                                       personas.worker.user_id])
    assert worker.pk == personas.worker.pk
    assert not any("t.id > -1" in sql for sql in _prepared_statements())
    settings.FIXEDSQL_PREPARED = True
    fixedsql.select(Worker, "t.id = %s AND t.user_id = %s AND t.id > -1", [personas.worker.pk, personas.worker.user_id])
    assert any("t.id > -1" in sql for sql in _prepared_statements())
