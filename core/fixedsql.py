"""Reads and writes of fixed shape for the hottest paths (a heartbeat, an answer saved).

Building an ORM query costs more Python than running it costs the database: a heartbeat spent
most of its time compiling the same dozen statements. Here each statement is written once per
process from the models' own metadata (table and column names, the fields' conversions to and
from the database), then only executed. Rows come back as model instances (``Model.from_db``,
the other fields deferred), so the code around them is the same as with the ORM.

Writes skip ``save()``: no signals, no ``auto_now``. Callers pass every value they mean to store.

On PostgreSQL the statements run as server-side prepared statements (``cursor()``), so the
database parses and plans each once per connection rather than on every request. ``row()``, for
the one statement of the hottest requests, goes further: outside a transaction it hands the
statement to libpq itself (psycopg's ``pq`` layer), values as text, without the cursor's Python. Django keeps its
own queries unprepared (it leaves psycopg's ``prepare_threshold`` off, as connection poolers in
transaction mode lose prepared statements); these are few and fixed, so they can be prepared on
purpose, and ``FIXEDSQL_PREPARED = False`` (``DATABASE_PREPARED_STATEMENTS=false``) turns it off
behind such a pooler.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.utils import CursorWrapper

__all__ = ["Shape", "Writes", "cursor", "database", "insert", "locking", "read", "row", "select", "select_list", "update",
           "value_from_db"]


@cache
def _preparing_cursor() -> tuple[type[Any], type[Any]]:
    from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor  # type: ignore[attr-defined]

    class PreparingCursor(ServerBindingCursor):
        """Parameters bound by the server, and every statement prepared on its first run (psycopg
        keeps the connection's prepared statements and names them)."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)

    class LoggedPreparing(CursorDebugWrapper):
        """The query log (DEBUG, tests) with the statement as written: Django reads the sent text
        back from the driver, which keeps none for a prepared statement."""

        def execute(self, sql: Any, params: Any = None) -> Any:
            with self.debug_sql(sql, params):
                return CursorWrapper.execute(self, sql, params)

    return PreparingCursor, LoggedPreparing


_ONLY_WHEN_ASKED = 2**31 - 1


def cursor() -> CursorWrapper:
    """A cursor for this module's fixed statements: Django's own (its execute wrappers, its query
    log, its error translation), prepared on PostgreSQL unless ``FIXEDSQL_PREPARED`` is off."""
    db = database()
    if db.vendor != "postgresql" or not getattr(settings, "FIXEDSQL_PREPARED", True):
        return db.cursor()
    db.close_if_health_check_failed()
    db.ensure_connection()
    pg = db.connection
    if pg.prepare_threshold is None:
        # Django leaves psycopg's preparing off (None), which refuses even prepare=True; a
        # threshold no count reaches prepares exactly what asks for it (Django's cursors bind on
        # the client and never do).
        pg.prepare_threshold = _ONLY_WHEN_ASKED
    preparing, logged = _preparing_cursor()
    with db.wrap_database_errors:
        raw = preparing(pg)
    db.validate_thread_sharing()
    return logged(raw, db) if db.queries_logged else db.make_cursor(raw)


def row(sql: str, params: Sequence[Any], columns: Sequence[Callable[[Any], Any]]) -> tuple[Any, ...] | None:
    """The first row of one fixed statement (``%s`` placeholders), each value passed through its
    ``columns`` converter (``as_int``, ``as_float``, ``as_text``, ``as_bool``: they take the
    driver's value or PostgreSQL's text alike); None when it returns no row.

    On PostgreSQL, outside a transaction and with no query log or execute wrapper watching, the
    statement goes to libpq directly: prepared once per connection (unless ``FIXEDSQL_PREPARED``
    is off), its parameters sent as text. That skips the cursor's Python (Django's wrapper,
    psycopg's dumpers and loaders), which on an answer save cost as much as the rest of the
    request's own code. Inside a transaction the cursor runs it, so that it joins the
    transaction psycopg opened. Errors are Django's, as from a cursor."""
    went, found = _direct_row(sql, params)
    if not went:
        with cursor() as rows:
            rows.execute(sql, params)
            found = rows.fetchone()
    if found is None:
        return None
    return tuple(convert(value) for convert, value in zip(columns, found, strict=True))


def _direct_row(sql: str, params: Sequence[Any]) -> tuple[bool, Sequence[Any] | None]:
    """Whether the statement went through libpq, and then its first row (None for no row); when it
    did not, the cursor runs it."""
    db = database()
    if db.vendor != "postgresql" or db.queries_logged or db.execute_wrappers:
        return False, None
    texts = _texts(params)
    if texts is None:
        return False, None
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    if not db.get_autocommit() or db.connection.pgconn.transaction_status != _idle():
        return False, None
    return True, _direct(db, sql, texts)


def as_int(value: Any) -> int | None:
    return None if value is None else int(value)


def as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def as_text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


def as_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return value in ("t", "true", "1", 1)


@cache
def _idle() -> Any:
    from psycopg import pq

    return pq.TransactionStatus.IDLE


def _texts(params: Sequence[Any]) -> list[bytes | None] | None:
    """The parameters as PostgreSQL reads them in text form; None for a value this path does not
    send (libpq would cut a text at a NUL where psycopg refuses it): the cursor takes those."""
    texts: list[bytes | None] = []
    for value in params:
        if value is None:
            texts.append(None)
        elif isinstance(value, str):
            if "\x00" in value:
                return None
            texts.append(value.encode())
        elif isinstance(value, bool):
            texts.append(b"t" if value else b"f")
        elif isinstance(value, int | Decimal | float):
            texts.append(str(value).encode())
        elif isinstance(value, dt.datetime) and value.tzinfo is not None:
            texts.append(value.isoformat().encode())
        else:
            return None
    return texts


_names = itertools.count(1)
_statement_names: dict[str, tuple[str, bytes]] = {}


def _numbered(sql: str) -> tuple[str, bytes]:
    """The statement's name for PREPARE and its text with $1, $2, … for %s."""
    known = _statement_names.get(sql)
    if known is None:
        parts = sql.split("%s")
        assert "%" not in "".join(parts), "a fixed statement's only % are its placeholders"
        text = parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))
        known = _statement_names.setdefault(sql, (f"fixedsql_{next(_names)}", text.encode()))
    return known


def _direct(db: Any, sql: str, texts: list[bytes | None]) -> list[str | None] | None:
    from psycopg import errors, pq

    pg = db.connection
    conn = pg.pgconn
    name, text = _numbered(sql)
    encoding = pg.info.encoding
    with db.wrap_database_errors:
        if getattr(settings, "FIXEDSQL_PREPARED", True):
            # Statements prepared here are this connection's, kept beside psycopg's own (other names).
            prepared = getattr(db, "_fixedsql_direct", None)
            if prepared is None or prepared[0] is not pg:
                prepared = db._fixedsql_direct = (pg, set[str]())
            if name not in prepared[1]:
                made = conn.prepare(name.encode(), text)
                if made.status != pq.ExecStatus.COMMAND_OK:
                    raise errors.error_from_result(made, encoding=encoding)
                prepared[1].add(name)
            result = conn.exec_prepared(name.encode(), texts)
        else:
            result = conn.exec_params(text, texts)
        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            if result.status == pq.ExecStatus.FATAL_ERROR or conn.status != pq.ConnStatus.OK:
                raise errors.error_from_result(result, encoding=encoding)
            raise errors.InterfaceError(f"unexpected result {result.status!r} of a fixed statement")
    if not result.ntuples:
        return None
    return [None if value is None else value.decode(encoding) for value in
            (result.get_value(0, column) for column in range(result.nfields))]


def database() -> Any:
    """This thread's default connection itself: ``django.db.connection`` looks it up again on
    every attribute read, which on these paths cost more than the statement's own Python."""
    return connections[DEFAULT_DB_ALIAS]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.concrete, name
    return field


@dataclass(frozen=True)
class Shape:
    """A model's columns in a SELECT. ``aliases`` name the table alias of each model whose table
    holds some of the fields: the model itself, and its parents under multi-table inheritance
    (a page type's own table and wagtailcore_page)."""

    model: type[models.Model]
    aliases: tuple[tuple[type[models.Model], str], ...]
    fields: tuple[str, ...]

    @classmethod
    def of(cls, model: type[models.Model], alias: str | Mapping[type[models.Model], str],
           fields: Iterable[str] | None = None) -> Shape:
        aliases = {model: alias} if isinstance(alias, str) else dict(alias)
        wanted = None if fields is None else set(fields)
        # In the model's own field order: Model.from_db takes the values in that order.
        names = tuple(field.name for field in model._meta.concrete_fields if wanted is None or field.name in wanted)
        if wanted is not None:
            assert len(names) == len(wanted), wanted - set(names)
        return cls(model, tuple(aliases.items()), names)

    def alias_of(self, field: models.Field) -> str:
        aliases = dict(self.aliases)
        for model in (field.model, *field.model._meta.get_parent_list()):
            if model in aliases:
                return aliases[model]
        return aliases[self.model]

    def columns(self) -> list[str]:
        columns = []
        for name in self.fields:
            field = _field(self.model, name)
            columns.append(f"{self.alias_of(field)}.{_quote(field.column)}")
        return columns


def select_list(*shapes: Shape) -> str:
    return ", ".join(column for shape in shapes for column in shape.columns())


def locking(sql: str, alias: str) -> str:
    """``sql`` locking the rows of the table aliased ``alias`` where the database can (SQLite's
    write transaction serialises instead)."""
    if not connection.features.has_select_for_update:
        return sql
    if connection.features.has_select_for_update_of:
        return f"{sql} FOR UPDATE OF {alias}"
    return f"{sql} FOR UPDATE"


@cache
def _readers(shapes: tuple[Shape, ...], vendor: str) -> list[tuple[type[models.Model], list[str], list[Any]]]:
    readers = []
    for shape in shapes:
        fields = [_field(shape.model, name) for name in shape.fields]
        converters = []
        for field in fields:
            column = field.get_col(shape.model._meta.db_table)
            chain = connection.ops.get_db_converters(column) + field.get_db_converters(connection)  # type: ignore[attr-defined]
            converters.append([(converter, column) for converter in chain])
        readers.append((shape.model, [field.attname for field in fields], converters))
    return readers


@cache
def _converters(model: type[models.Model], name: str, vendor: str) -> tuple[list[Any], Any]:
    field = _field(model, name)
    column = field.get_col(model._meta.db_table)
    return connection.ops.get_db_converters(column) + field.get_db_converters(connection), column  # type: ignore[attr-defined]


def value_from_db(model: type[models.Model], name: str, value: Any) -> Any:
    """A value of ``model``'s field ``name`` as a statement of the caller's returned it, converted
    as the ORM would (an aware datetime on SQLite, say)."""
    db = database()
    chain, column = _converters(model, name, db.vendor)
    for converter in chain:
        value = converter(value, column, db)
    return value


def read(sql: str, params: Sequence[Any], shapes: Sequence[Shape]) -> list[tuple[Any, ...]]:
    """Run ``sql`` (its select list from ``select_list(*shapes)``) and build one instance per shape
    and row; a shape whose primary key is NULL (the far side of an outer join) gives None."""
    db = database()
    readers = _readers(tuple(shapes), db.vendor)
    with cursor() as rows_cursor:
        rows_cursor.execute(sql, params)
        rows = rows_cursor.fetchall()
    out = []
    for row in rows:
        position = 0
        instances: list[models.Model | None] = []
        for model, attnames, converters in readers:
            values = list(row[position:position + len(attnames)])
            position += len(attnames)
            for index, chain in enumerate(converters):
                for converter, column in chain:
                    values[index] = converter(values[index], column, db)
            pk_index = attnames.index(model._meta.pk.attname) if model._meta.pk.attname in attnames else None
            if pk_index is not None and values[pk_index] is None:
                instances.append(None)
            else:
                instances.append(model.from_db(db.alias, attnames, values))
        out.append(tuple(instances))
    return out


@cache
def _select_statement(model: type[models.Model], condition: str, fields: tuple[str, ...] | None,
                      vendor: str) -> tuple[str, tuple[Shape, ...]]:
    shapes = (Shape.of(model, "t", fields),)
    return f"SELECT {select_list(*shapes)} FROM {_quote(model._meta.db_table)} t WHERE {condition}", shapes  # noqa: S608


def select(model: type[models.Model], condition: str, params: Sequence[Any],
           fields: Iterable[str] | None = None) -> list[Any]:
    """The rows of ``model`` (its table aliased ``t``) that meet ``condition``, a fixed string with
    its values in ``params``, as instances (only ``fields`` loaded when given)."""
    sql, shapes = _select_statement(model, condition, tuple(fields) if fields is not None else None,
                                    connection.vendor)
    return [row[0] for row in read(sql, params, shapes)]


@cache
def _insert_sql(model: type[models.Model], names: tuple[str, ...], vendor: str, returning: bool = True) -> str:
    table = _quote(model._meta.db_table)
    columns = ", ".join(_quote(_field(model, name).column) for name in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
    return f"{sql} RETURNING {_quote(model._meta.pk.column)}" if returning else sql


def _prepared(model: type[models.Model], values: Mapping[str, Any]) -> list[Any]:
    db = database()
    return [_field(model, name).get_db_prep_save(value, db) for name, value in values.items()]


def insert(model: type[models.Model], values: Mapping[str, Any]) -> Any:
    """Insert one row of ``values`` (field name → value) and return its primary key."""
    sql = _insert_sql(model, tuple(values), connection.vendor)
    with cursor() as db:
        db.execute(sql, _prepared(model, values))
        return db.fetchone()[0]


@cache
def _update_sql(model: type[models.Model], set_names: tuple[str, ...], add_names: tuple[str, ...], vendor: str) -> str:
    table = _quote(model._meta.db_table)
    parts = [f"{_quote(_field(model, name).column)} = %s" for name in set_names]
    parts += [f"{_quote(_field(model, name).column)} = {_quote(_field(model, name).column)} + %s" for name in add_names]
    return f"UPDATE {table} SET {', '.join(parts)} WHERE {_quote(model._meta.pk.column)} = %s"  # noqa: S608


def update(model: type[models.Model], pk: Any, *, set: Mapping[str, Any] | None = None,
           add: Mapping[str, int | float] | None = None, where: str = "", where_params: Sequence[Any] = ()) -> int:
    """``UPDATE … SET field = value, counter = counter + n WHERE pk = … [AND where]`` (the
    additions are atomic, as F() would write them); returns how many rows it changed. ``where``
    must be a fixed string (its values in ``where_params``): it is part of the statement kept."""
    set, add = dict(set or {}), dict(add or {})
    if not set and not add:
        return 0
    sql = _update_sql(model, tuple(set), tuple(add), connection.vendor)
    if where:
        sql = f"{sql} AND ({where})"
    with cursor() as db:
        db.execute(sql, [*_prepared(model, set), *add.values(), pk, *where_params])
        return int(db.rowcount)


class Writes:
    """Writes that depend on none of each other, and a last statement whose rows are wanted: one
    round trip on PostgreSQL (the writes as data-modifying WITH clauses, which all run, each on
    the statement's snapshot), one statement after another elsewhere. Only for writes to
    different rows that no other part of the batch reads."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, list[Any]]] = []

    def insert(self, model: type[models.Model], values: Mapping[str, Any]) -> None:
        self._parts.append((_insert_sql(model, tuple(values), connection.vendor, False), _prepared(model, values)))

    def update(self, model: type[models.Model], pk: Any, *, set: Mapping[str, Any] | None = None,
               add: Mapping[str, int | float] | None = None) -> None:
        set, add = dict(set or {}), dict(add or {})
        if set or add:
            sql = _update_sql(model, tuple(set), tuple(add), connection.vendor)
            self._parts.append((sql, [*_prepared(model, set), *add.values(), pk]))

    def statement(self, sql: str, params: Sequence[Any]) -> None:
        """A fixed data-modifying statement of the caller's (an upsert, say) among the writes."""
        self._parts.append((sql, list(params)))

    def run(self, last: str = "", params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Send the writes, then ``last`` (a fixed statement); its rows, or [] without one."""
        with cursor() as db:
            if connection.vendor == "postgresql" and self._parts:
                clauses = ", ".join(f"w{index} AS ({sql})" for index, (sql, _params) in enumerate(self._parts))
                values = [value for _sql, part in self._parts for value in part]
                db.execute(f"WITH {clauses} {last or 'SELECT 1'}", [*values, *params])
                return list(db.fetchall()) if last else []
            for sql, part in self._parts:
                db.execute(sql, part)
            if not last:
                return []
            db.execute(last, params)
            return list(db.fetchall())
