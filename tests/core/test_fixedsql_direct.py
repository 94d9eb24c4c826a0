"""core.fixedsql.row outside a transaction, where it hands the statement to libpq itself: the
same rows as through a cursor, prepared once per connection (or not, for a pooler), Django's
errors, no parameter that libpq would cut short, and a caller's transaction still its own.

These run without the test's wrapping transaction (``transaction=True``), as requests do."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from core import fixedsql
from orgs.models import Worker
from tests.conftest import Personas

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the direct path is PostgreSQL's"),
]

COLUMNS = (fixedsql.as_int, fixedsql.as_text, fixedsql.as_bool, fixedsql.as_float)


def _direct_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'fixedsql\\_%%'")
        return [row[0] for row in cursor.fetchall()]


def _worker_row(worker_id: int, marker: str) -> tuple[Any, ...] | None:
    return fixedsql.row(f"SELECT id, name, is_active, 1.5 FROM orgs_worker WHERE id = %s AND name <> %s -- {marker}",  # noqa: S608
                        [worker_id, "no such name"], COLUMNS)


def test_a_row_comes_back_as_the_cursor_gives_it(personas: Personas) -> None:
    worker = personas.worker
    direct = _worker_row(worker.pk, "alike")
    assert any("-- alike" in sql and "id = $1" in sql for sql in _direct_statements())
    with transaction.atomic():
        # In a transaction the cursor runs it (the same statement, prepared by psycopg).
        through_cursor = _worker_row(worker.pk, "alike")
    assert direct == through_cursor == (worker.pk, worker.name, True, 1.5)
    assert fixedsql.row("SELECT id FROM orgs_worker WHERE id = %s", [-1], (fixedsql.as_int,)) is None
    # NULLs, booleans and aware datetimes travel as text both ways.
    from django.utils import timezone

    now = timezone.now()
    got = fixedsql.row("SELECT %s::text, %s::boolean, %s::timestamptz = %s::timestamptz, %s::bigint",
                       [None, False, now, now, 2**40], (fixedsql.as_text, fixedsql.as_bool, fixedsql.as_bool,
                                                       fixedsql.as_int))
    assert got == (None, False, True, 2**40)


def test_a_statement_is_prepared_once_per_connection(personas: Personas) -> None:
    for _run in range(3):
        _worker_row(personas.worker.pk, "once")
    assert sum("-- once" in sql for sql in _direct_statements()) == 1
    connection.close()
    # A new connection has none of them; the next run prepares it there again.
    assert not _direct_statements()
    assert _worker_row(personas.worker.pk, "once") is not None
    assert sum("-- once" in sql for sql in _direct_statements()) == 1


def test_preparing_can_be_turned_off_for_a_pooler(personas: Personas, settings: Any) -> None:
    settings.FIXEDSQL_PREPARED = False
    assert _worker_row(personas.worker.pk, "unprepared") is not None
    assert not any("-- unprepared" in sql for sql in _direct_statements())


def test_errors_are_djangos_and_the_connection_goes_on(personas: Personas) -> None:
    worker = personas.worker
    with pytest.raises(IntegrityError):
        fixedsql.row("INSERT INTO orgs_worker SELECT * FROM orgs_worker WHERE id = %s RETURNING id", [worker.pk],
                     (fixedsql.as_int,))
    assert Worker.objects.filter(pk=worker.pk).count() == 1
    assert _worker_row(worker.pk, "after an error") is not None


def test_a_nul_is_refused_never_cut_short(personas: Personas) -> None:
    # libpq would end the text at the NUL and compare "abc"; the cursor refuses it instead.
    with pytest.raises(DataError):
        fixedsql.row("SELECT %s = 'abc'", ["abc\x00def"], (fixedsql.as_bool,))
    assert fixedsql.row("SELECT %s = 'abc'", ["abc"], (fixedsql.as_bool,)) == (True,)


def test_a_callers_transaction_stays_whole(personas: Personas) -> None:
    worker = personas.worker
    with pytest.raises(RuntimeError), transaction.atomic():
        fixedsql.row("UPDATE orgs_worker SET name = %s WHERE id = %s RETURNING id", ["改名", worker.pk],
                     (fixedsql.as_int,))
        raise RuntimeError("rolled back")
    assert Worker.objects.get(pk=worker.pk).name == worker.name
