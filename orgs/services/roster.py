"""Roster import: check every row (dry run), then write all rows in one transaction or none.

Fast enough for 100,000 rows because nothing here queries per row: rows are cleaned in Python,
existing people are looked up in chunks, and writes are bulk inserts and updates.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Field, Model
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.text import clean_text, fold
from orgs.idnumbers import InvalidIdNumber, id_number_clean
from orgs.models import Department, Employer, User, Worker
from orgs.selectors import hazard_factor_words
from orgs.services.roster_columns import ACTIVE_WORDS, COLUMN_BY_KEY, POST_ROLE_LABELS, POST_ROLE_WORDS
from orgs.services.roster_read import RosterFileError, RosterTable, excel_serial_to_date
from orgs.services.transfers import transfers_from_roster
from orgs.signals import workers_changed_on_commit

LOOKUP_CHUNK = 5000
WRITE_BATCH = 2000
PROGRESS_EVERY = 2000
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_HAZARD_SPLIT = re.compile(r"[、,，;；/\n]+")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)

ProgressCallback = Callable[[int], None]


@dataclass
class RowError:
    row: int
    column: str  # the header as the admin sees it; "" for the whole row
    letter: str  # spreadsheet column letter, "" when unknown
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "letter": self.letter, "message": self.message}


@dataclass
class RosterRow:
    row: int
    name: str
    id_number: str
    phone: str
    department: str
    post: str
    post_role: str
    exposure_ids: list[int]
    hire_date: dt.date | None
    is_active: bool = True


class Existing(NamedTuple):
    """A worker already in the database that a row of the file will update."""

    pk: int
    user_id: int
    phone: str
    active: bool
    same_employer: bool
    username: str = ""


@dataclass
class RosterCheck:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total_rows: int = 0
    new: int = 0  # includes people on other rosters: the check must not tell them apart
    updated: int = 0
    # the column keys the file has: an optional column that is absent leaves that field alone
    columns: set[str] = field(default_factory=set)
    # id_number -> the existing worker of this employer; filled by the database pass
    existing: dict[str, Existing] = field(default_factory=dict)
    # ID numbers on another employer's roster (they join through orgs.services.transfers), and
    # phones that are already someone's login: never shown to the uploader.
    elsewhere: set[str] = field(default_factory=set)
    logins_taken: dict[str, int] = field(default_factory=dict)  # login name -> user id

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {"new": self.new, "updated": self.updated, "rows": self.total_rows, "warnings": self.warnings}

    @property
    def outside_roster(self) -> int:
        """Numbers checked that are not on the uploader's roster (audited and rate-limited)."""
        return self.new


def hazard_lookup() -> dict[str, int]:
    """Catalogue names, aliases and former names, folded the way cells are folded, to factor ids."""
    return {word: found[0] for word, found in hazard_factor_words().items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # our own export's formula guard coming back
    return text


def clean_phone(value: Any) -> str:
    text = re.sub(r"[\s\-()]", "", _text(value))
    text = re.sub(r"^(\+?86)(?=1\d{10}$)", "", text)
    if not _PHONE.match(text):
        raise ValueError(_("手机号应为11位中国大陆手机号码（以1开头）"))
    return text


def clean_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value.date()
    elif isinstance(value, dt.date):
        parsed = value
    elif isinstance(value, int | float) and 1 <= value < 80000:
        parsed = excel_serial_to_date(value)
    else:
        text = _text(value).split(" ")[0]
        parsed = None
        # A CSV has no number cells: a date Excel showed as a serial is saved as the text "45292".
        # Five digits are no other date spelling; outside 1950-01-01 (18264) to 2099-12-31 (73050)
        # they are more likely a wrong cell than a hire date, so they stay unreadable.
        if len(text) == 5 and text.isascii() and text.isdigit() and 18264 <= int(text) <= 73050:
            parsed = excel_serial_to_date(int(text))
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    parsed = dt.date(*(int(part) for part in match.groups()))
                except ValueError as exc:
                    raise ValueError(_("日期“%(text)s”不存在") % {"text": text}) from exc
                break
        if parsed is None:
            raise ValueError(_("无法识别的日期“%(text)s”，请写成 2024-03-01") % {"text": text})
    assert parsed is not None
    if parsed > timezone.localdate():
        raise ValueError(_("入职日期 %(date)s 晚于今天") % {"date": f"{parsed:%Y-%m-%d}"})
    if parsed.year < 1950:
        raise ValueError(_("入职日期 %(date)s 早于1950年") % {"date": f"{parsed:%Y-%m-%d}"})
    return parsed


class _RowCleaner:
    """Turns one raw row into a RosterRow, collecting every problem in it rather than the first."""

    def __init__(self, table: RosterTable, hazards: dict[str, int]) -> None:
        self.table = table
        self.hazards = hazards
        # Catalogue names that themselves contain a separator (1,3-丁二烯; 麻尘（亚麻、黄麻和苎麻）…)
        # are taken out whole before the cell is split, longest first.
        self.compound_hazards = sorted((name for name in hazards if _HAZARD_SPLIT.search(name)), key=len, reverse=True)

    def cell(self, raw: list[Any], key: str) -> Any:
        position = self.table.columns.get(key)
        if position is None or position >= len(raw):
            return None
        return raw[position]

    def error(self, number: int, key: str, message: str) -> RowError:
        return RowError(number, COLUMN_BY_KEY[key].header, self.table.column_letters.get(key, ""), message)

    def clean(self, number: int, raw: list[Any]) -> tuple[RosterRow | None, list[RowError], dict[str, Any]]:
        """The row (None when it has errors), its errors, and whatever values could be cleaned."""
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        for key in ("name", "department", "post"):
            values[key] = _text(self.cell(raw, key))
            if len(values[key]) > 64:
                errors.append(self.error(number, key, _("内容过长（最多64个字）")))
        if not values["name"]:
            errors.append(self.error(number, "name", _("必填项为空")))
        self._clean_field(number, raw, "id_number", errors, values)
        self._clean_field(number, raw, "phone", errors, values)
        self._clean_field(number, raw, "post_role", errors, values)
        self._clean_field(number, raw, "exposures", errors, values)
        self._clean_field(number, raw, "hire_date", errors, values)
        self._clean_field(number, raw, "is_active", errors, values)
        if errors:
            return None, errors, values
        return RosterRow(number, values["name"], values["id_number"], values["phone"], values["department"],
                         values["post"], values["post_role"], values["exposures"], values["hire_date"],
                         values["is_active"]), [], values

    def _clean_field(self, number: int, raw: list[Any], key: str, errors: list[RowError],
                     values: dict[str, Any]) -> None:
        value = self.cell(raw, key)
        try:
            values[key] = getattr(self, f"_clean_{key}")(value)
        except (ValueError, InvalidIdNumber) as exc:
            errors.append(self.error(number, key, str(exc)))

    @staticmethod
    def _clean_id_number(value: Any) -> str:
        if value in (None, ""):
            raise ValueError(_("必填项为空"))
        return id_number_clean(value)

    @staticmethod
    def _clean_phone(value: Any) -> str:
        if value in (None, ""):
            raise ValueError(_("必填项为空"))
        return clean_phone(value)

    @staticmethod
    def _clean_post_role(value: Any) -> str:
        text = re.sub(r"\s+", "", _text(value))
        if not text:
            # The accepted words are the file format's (roster_columns), so they stay in Chinese.
            raise ValueError(_("必填项为空；可填：%(choices)s") % {"choices": "、".join(POST_ROLE_LABELS.values())})
        if text in POST_ROLE_WORDS:
            return POST_ROLE_WORDS[text]
        raise ValueError(_("不认识的岗位角色“%(text)s”；可填：%(choices)s")
                         % {"text": text, "choices": "、".join(POST_ROLE_LABELS.values())})

    def _clean_exposures(self, value: Any) -> list[int]:
        ids: list[int] = []
        unknown: list[str] = []
        text = re.sub(r"[^\S\n]+", "", _text(value))
        for name in self.compound_hazards:
            if name in text:
                ids.append(self.hazards[name])
                text = text.replace(name, "、")
        for word in _HAZARD_SPLIT.split(text):
            word = word.strip()
            if not word or word in {"无", "没有"}:
                continue
            factor_id = self.hazards.get(fold(word))
            if factor_id is None:
                unknown.append(word)
            elif factor_id not in ids:
                ids.append(factor_id)
        if unknown:
            raise ValueError(_("不在《职业病危害因素分类目录》中：%(names)s（请用目录中的名称）")
                             % {"names": "、".join(unknown)})
        return ids

    @staticmethod
    def _clean_hire_date(value: Any) -> dt.date | None:
        return clean_date(value)

    @staticmethod
    def _clean_is_active(value: Any) -> bool:
        text = _text(value).upper()
        if text not in ACTIVE_WORDS:
            raise ValueError(_("“在岗”一列请填“是”或“否”，这里是“%(text)s”") % {"text": text})
        return ACTIVE_WORDS[text]


def roster_check(*, employer: Employer, table: RosterTable,
                 on_progress: ProgressCallback | None = None) -> RosterCheck:
    """The dry run: every problem of every row, and what an import would do. Writes nothing."""
    result = RosterCheck(columns=set(table.columns))
    if table.ignored_headers:
        result.warnings.append(_("以下列不会导入：%(headers)s") % {"headers": "、".join(table.ignored_headers)})
    cleaner = _RowCleaner(table, hazard_lookup())
    first_seen_id: dict[str, int] = {}
    first_seen_phone: dict[str, int] = {}
    for number, raw in table.rows:
        result.total_rows += 1
        row, errors, values = cleaner.clean(number, raw)
        # Duplicates are looked for in rows with other errors too, so one upload shows them all.
        id_number, phone = values.get("id_number"), values.get("phone")
        if id_number in first_seen_id:
            errors.append(cleaner.error(number, "id_number",
                                        _("与第 %(row)s 行的身份证号重复") % {"row": first_seen_id[id_number]}))
        elif id_number:
            first_seen_id[id_number] = number
        if phone in first_seen_phone:
            errors.append(cleaner.error(number, "phone",
                                        _("与第 %(row)s 行的手机号重复") % {"row": first_seen_phone[phone]}))
        elif phone:
            first_seen_phone[phone] = number
        result.errors.extend(errors)
        if row is not None and not errors:
            result.rows.append(row)
        if on_progress and result.total_rows % PROGRESS_EVERY == 0:
            on_progress(result.total_rows)
    if result.total_rows == 0:
        raise RosterFileError(_("表头下面没有数据行"))
    _check_against_database(employer, result, cleaner)
    return result


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def _check_against_database(employer: Employer, result: RosterCheck, cleaner: _RowCleaner) -> None:
    """What the rows would do to this employer's roster. Nothing said here depends on other
    employers' people: a number on another roster reads exactly like an unknown one (the file
    check must not be an oracle on other tenants); such rows join through a transfer at write time."""
    ids = [row.id_number for row in result.rows]
    phones = [row.phone for row in result.rows]
    by_id: dict[str, tuple[int, int, int, bool, str, str]] = {}
    for chunk in _chunks(ids):
        for pk, user_id, employer_id, active, id_number, phone, username in Worker.objects.filter(
            id_number__in=chunk
        ).values_list("pk", "user_id", "employer_id", "is_active", "id_number", "phone", "user__username"):
            by_id[id_number] = (pk, user_id, employer_id, active, phone, username)
    # Phones held by this employer's own workers (another person here: a real mistake to report),
    # and logins held by anyone else (accepted silently; the new login becomes another name).
    own_phone: dict[str, str] = {}
    for chunk in _chunks(phones):
        for phone, id_number in Worker.objects.filter(employer=employer, phone__in=chunk).values_list(
            "phone", "id_number"
        ):
            own_phone[phone] = id_number
        result.logins_taken.update(User.objects.filter(username__in=chunk).values_list("username", "pk"))
    # Phones that workers of this file give up: another row may take them (two workers swapping).
    released = {by_id[row.id_number][4] for row in result.rows
                if row.id_number in by_id and by_id[row.id_number][2] == employer.pk
                and by_id[row.id_number][4] != row.phone}
    for row in result.rows:
        found = by_id.get(row.id_number)
        owner = own_phone.get(row.phone)
        if owner is not None and owner != row.id_number and row.phone not in released:
            result.errors.append(cleaner.error(row.row, "phone", _("该手机号已登记给本单位另一名劳动者")))
            continue
        if found is None or found[2] != employer.pk:
            result.new += 1
            if found is not None:
                result.elsewhere.add(row.id_number)
            continue
        pk, user_id, employer_id, active, phone, username = found
        result.updated += 1
        result.existing[row.id_number] = Existing(pk, user_id, phone, active, True, username)


def roster_write(*, employer: Employer, check: RosterCheck,
                 on_progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Write a clean check in one transaction: new workers get a login (phone, no password until
    they activate it), known ones are updated in place, matched by ID number.

    The transaction is kept short, because on SQLite nobody else can write while it lasts (logins
    wait for it): the new rows are turned into plain values before it begins, and inside it every
    WRITE_BATCH rows cost a few bulk statements. Rows the file does not change are not written."""
    if not check.ok:
        raise ValueError("roster_write needs a check without errors")
    # People on another employer's roster join through orgs.services.transfers, called after this.
    new_rows = [row for row in check.rows if row.id_number not in check.existing and row.id_number not in check.elsewhere]
    old_rows = [row for row in check.rows if row.id_number in check.existing]
    names = {row.department for row in check.rows if row.department}
    # Logins that workers of this file give up (their phone changes) are free for other rows.
    movers = {check.existing[row.id_number].user_id for row in old_rows
              if check.existing[row.id_number].username != row.phone}
    taken = {login: user_id for login, user_id in check.logins_taken.items() if user_id not in movers}
    new = _new_workers(employer, new_rows, taken)
    with transaction.atomic():
        departments = _departments_for(employer, names)
        # Before any insert or update: a new or updated row may take a phone another row gives up.
        _release_changed_phones(old_rows, check.existing)
        done = 0
        for start in range(0, len(new_rows), WRITE_BATCH):
            batch = new_rows[start : start + WRITE_BATCH]
            _insert_workers(employer, batch, departments, new.batch(start, start + WRITE_BATCH))
            done += len(batch)
            if on_progress:
                on_progress(done)
        for start in range(0, len(old_rows), WRITE_BATCH):
            batch = old_rows[start : start + WRITE_BATCH]
            _update_workers(employer, batch, departments, check.existing, check.columns, taken)
            done += len(batch)
            if on_progress:
                on_progress(done)
    return check.summary()


def _departments_for(employer: Employer, names: set[str]) -> dict[str, int]:
    known = dict(Department.objects.filter(employer=employer).values_list("name", "pk"))
    missing = [Department(employer=employer, name=name) for name in sorted(names - known.keys())]
    Department.objects.bulk_create(missing)
    if missing:
        known = dict(Department.objects.filter(employer=employer).values_list("name", "pk"))
    return known


def login_name_for(phone: str, logins_taken: dict[str, int]) -> str:
    """The phone is the login, unless it already is someone's login (told to the worker when they
    activate the account, never to the uploader)."""
    return phone if phone not in logins_taken else f"u{secrets.token_hex(5)}"


@dataclass
class _NewWorkers:
    """The INSERT values of new rows' logins and workers, worked out before the transaction; only
    the ids the database hands out (the login's, the department's) are added inside it."""

    user_fields: list[str]
    users: list[tuple[Any, ...]]
    worker_fields: list[str]  # user_id and department_id first, then what `workers` hold
    workers: list[tuple[Any, ...]]

    def batch(self, start: int, stop: int) -> _NewWorkers:
        return _NewWorkers(self.user_fields, self.users[start:stop], self.worker_fields, self.workers[start:stop])


def _new_workers(employer: Employer, rows: list[RosterRow], logins_taken: dict[str, int]) -> _NewWorkers:
    unusable = make_password(None)  # one unusable hash is enough: nobody can log in until activation
    user_fields = ["username", "full_name", "password", "is_active"]
    worker_fields = ["user_id", "department_id", "employer_id", "name", "id_number", "phone", "post", "post_role",
                     "hire_date", "is_active"]
    user_more, user_defaults = _defaults(User, user_fields)
    worker_more, worker_defaults = _defaults(Worker, worker_fields)
    return _NewWorkers(
        [*user_fields, *user_more],
        [(login_name_for(row.phone, logins_taken), row.name, unusable, row.is_active, *user_defaults()) for row in rows],
        [*worker_fields, *worker_more],
        [(employer.pk, row.name, row.id_number, row.phone, row.post, row.post_role, row.hire_date, row.is_active,
          *worker_defaults()) for row in rows],
    )


def _defaults(model: type[Model], given: list[str]) -> tuple[list[str], Callable[[], tuple[Any, ...]]]:
    """The other columns an INSERT of `model` fills, and a function giving their values for one
    row: the defaults an instance built the ORM way gets (so a field added to the model later is
    filled too), with callable defaults such as Worker.code drawn for every row and the auto_now
    stamps taken once. Columns with a database default are left to the database."""
    template = model()
    names: list[str] = []
    fixed: list[Any] = []
    drawn: list[tuple[int, Field]] = []
    for model_field in model._meta.concrete_fields:
        if model_field is model._meta.auto_field or model_field.attname in given:
            continue
        value = model_field.pre_save(template, add=True)
        if isinstance(value, DatabaseDefault):
            continue
        if model_field.has_default() and callable(model_field.default):
            drawn.append((len(names), model_field))
        names.append(model_field.attname)
        fixed.append(model_field.get_db_prep_save(value, connection))

    def values() -> tuple[Any, ...]:
        row = list(fixed)
        for position, model_field in drawn:
            row[position] = model_field.get_db_prep_save(model_field.get_default(), connection)
        return tuple(row)

    return names, values


def _insert_workers(employer: Employer, rows: list[RosterRow], departments: dict[str, int],
                    new: _NewWorkers) -> None:
    user_ids = _insert_rows(User, new.user_fields, new.users, key="username")
    worker_ids = _insert_rows(Worker, new.worker_fields, [
        (user_ids[user[0]], departments.get(row.department), *worker)
        for user, worker, row in zip(new.users, new.workers, rows, strict=True)
    ], key="id_number")
    _set_exposures({worker_ids[row.id_number]: row.exposure_ids for row in rows}, replace=False)


# roster column -> Worker attribute, for the columns a file may leave out
_OPTIONAL_FIELDS = {"department": "department_id", "post": "post", "hire_date": "hire_date"}


def _update_workers(employer: Employer, rows: list[RosterRow], departments: dict[str, int],
                    existing: dict[str, Existing], columns: set[str], logins_taken: dict[str, int]) -> None:
    fields = ["employer_id", "name", "phone", "post_role", "is_active",
              *(name for key, name in _OPTIONAL_FIELDS.items() if key in columns)]
    workers = []
    users = []
    exposures = {}
    for row in rows:
        known = existing[row.id_number]
        # A departed worker listed again is back at work, unless the file's 在岗 column says 否
        # (our own export has it, so an exported roster re-imports without reviving anyone).
        values = {"employer_id": employer.pk, "department_id": departments.get(row.department), "name": row.name,
                  "phone": row.phone, "post": row.post, "post_role": row.post_role, "hire_date": row.hire_date,
                  "is_active": row.is_active}
        workers.append((known.pk, *(values[name] for name in fields)))
        # The phone becomes the login unless it is someone else's login; then the login stays.
        login = row.phone if logins_taken.get(row.phone, known.user_id) == known.user_id else known.username
        # A worker the file marks as left cannot sign in (as when the admin marks them on the page).
        users.append((known.user_id, login, row.name, row.is_active))
        exposures[known.pk] = row.exposure_ids
    _update_rows(User, ["username", "full_name", "is_active"], users)
    _update_rows(Worker, fields, workers, stamp={"updated_at": timezone.now()})
    if "exposures" in columns:
        _set_exposures(exposures, replace=True)


def _release_changed_phones(rows: list[RosterRow], existing: dict[str, Existing]) -> None:
    """Two workers of one file may swap phone numbers. A single UPDATE would hit the unique index
    half-way, so the old numbers of changed rows are first parked on placeholders."""
    changed = [existing[row.id_number] for row in rows if existing[row.id_number].phone != row.phone]
    _update_rows(Worker, ["phone"], [(known.pk, f"~{known.pk}"[:11]) for known in changed], only_changed=False)
    _update_rows(User, ["username"], [(known.user_id, f"~moving-{known.user_id}") for known in changed],
                 only_changed=False)


def _set_exposures(exposures: dict[int, list[int]], *, replace: bool) -> None:
    """Each worker's exposures become exactly the factors given; only pairs that come or go are
    written. replace=False is for new workers, who have none yet."""
    through = Worker.exposures.through
    wanted = [(worker_id, factor_id) for worker_id, factor_ids in exposures.items() for factor_id in factor_ids]
    if replace and connection.vendor == "postgresql":
        _replace_exposures_postgresql(list(exposures), wanted)
        return
    if replace:
        # SQLite: this transaction holds the database's one write lock (IMMEDIATE), so the pairs
        # read here are the ones the statements below change.
        table, worker, factor = _columns(through, "worker_id", "hazardfactor_id")
        workers = list(exposures)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {worker}, {factor} FROM {table} "  # noqa: S608
                           f"WHERE {worker} IN ({', '.join(['%s'] * len(workers))})", workers)
            current = set(cursor.fetchall())
            gone = current.difference(wanted)
            if gone:
                cursor.executemany(f"DELETE FROM {table} WHERE {worker} = %s AND {factor} = %s", list(gone))  # noqa: S608
        wanted = [pair for pair in wanted if pair not in current]
    _insert_rows(through, ["worker_id", "hazardfactor_id"], wanted)


def _replace_exposures_postgresql(workers: list[int], wanted: list[tuple[int, int]]) -> None:
    """Compared in the statements themselves, so that an exposure someone else changes meanwhile
    is seen as it is at that moment (as the old delete-all-then-insert did), not as read before."""
    table, worker, factor = _columns(Worker.exposures.through, "worker_id", "hazardfactor_id")
    wanted_workers, wanted_factors = [pair[0] for pair in wanted], [pair[1] for pair in wanted]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {worker} = ANY(%s::bigint[]) AND NOT EXISTS ("  # noqa: S608
            f"SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS keep(worker, factor) "
            f"WHERE keep.worker = {table}.{worker} AND keep.factor = {table}.{factor})",
            [workers, wanted_workers, wanted_factors])
        # NOT EXISTS passes over the pairs already there (drawing no ids for them); ON CONFLICT
        # covers a pair another transaction adds at the same moment.
        cursor.execute(
            f"INSERT INTO {table} ({worker}, {factor}) SELECT want.worker, want.factor "  # noqa: S608
            f"FROM unnest(%s::bigint[], %s::bigint[]) AS want(worker, factor) WHERE NOT EXISTS ("
            f"SELECT 1 FROM {table} WHERE {table}.{worker} = want.worker AND {table}.{factor} = want.factor) "
            f"ON CONFLICT DO NOTHING",
            [wanted_workers, wanted_factors])


# Django's bulk_create and bulk_update are not used for the batches: on SQLite bulk_create sends
# at most 999 values per statement (83 workers), each statement compiled afresh in Python, and
# bulk_update writes one CASE WHEN pk = … THEN … per field over the whole batch, which the database
# evaluates row by row (the cost grows with the square of the batch). Below, PostgreSQL gets one
# statement per batch with one array per column, and SQLite one prepared statement run for every
# row (executemany loops in C, in-process). Values are plain str, int, bool, date, datetime and
# None: Django's get_db_prep_save has made the defaults so, and both drivers take the rest as is.

def _field(model: type[Model], name: str) -> Field[Any, Any]:
    found = model._meta.get_field(name)
    if not isinstance(found, Field) or not found.column:
        raise TypeError(f"{model.__name__}.{name} is no column of its table")
    return found


def _columns(model: type[Model], *names: str) -> list[str]:
    """The model's quoted table name, then the quoted columns of the attributes named."""
    quote = connection.ops.quote_name
    return [quote(model._meta.db_table), *(quote(str(_field(model, name).column)) for name in names)]


def _array_type(model: type[Model], name: str) -> str:
    """The PostgreSQL array type for a field's values (varchar without its length: the column
    itself refuses what is too long, where a cast would cut it silently)."""
    return str(_field(model, name).db_type(connection)).split("(")[0] + "[]"


def _insert_rows(model: type[Model], fields: list[str], rows: list[tuple[Any, ...]], *,
                 key: str | None = None) -> dict[Any, int]:
    """INSERT rows of values in the order of `fields`; with `key` (a unique field among them),
    return each row's key -> its new primary key."""
    if not rows:
        return {}
    table, pk, *columns = _columns(model, model._meta.pk.name, *fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            source = ", ".join(f"%s::{_array_type(model, name)}" for name in fields)
            returning = f" RETURNING {_columns(model, key)[1]}, {pk}" if key else ""
            cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({source}){returning}",  # noqa: S608
                           [list(values) for values in zip(*rows, strict=True)])
            return dict(cursor.fetchall()) if key else {}
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",  # noqa: S608
                           rows)
        if key is None:
            return {}
        column, position = _columns(model, key)[1], fields.index(key)
        keys = [row[position] for row in rows]
        cursor.execute(f"SELECT {column}, {pk} FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(keys))})",  # noqa: S608
                       keys)
        return dict(cursor.fetchall())


def _update_rows(model: type[Model], fields: list[str], rows: list[tuple[Any, ...]], *, only_changed: bool = True,
                 stamp: dict[str, Any] | None = None) -> None:
    """Set the attributes `fields` of many objects, each row being (pk, *values). With
    only_changed, rows that hold these values already are not written (nor stamped)."""
    if not rows:
        return
    table, pk, *columns = _columns(model, model._meta.pk.name, *fields)
    stamp = stamp or {}
    stamp_columns = _columns(model, *stamp)[1:]
    stamp_values = [_field(model, name).get_db_prep_save(value, connection) for name, value in stamp.items()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assignments = ", ".join([*(f"{column} = %s" for column in stamp_columns),
                                     *(f"{column} = new.{column}" for column in columns)])
            source = ", ".join(f"%s::{_array_type(model, name)}" for name in (model._meta.pk.name, *fields))
            differs = " OR ".join(f"{table}.{column} IS DISTINCT FROM new.{column}" for column in columns)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({source}) AS new({pk}, {', '.join(columns)}) "  # noqa: S608
                f"WHERE {table}.{pk} = new.{pk}" + (f" AND ({differs})" if only_changed else ""),
                [*stamp_values, *([list(values) for values in zip(*rows, strict=True)])])
            return
        # `IS NOT` is SQLite's comparison that takes two NULLs as equal.
        assignments = ", ".join(f"{column} = %s" for column in (*stamp_columns, *columns))
        differs = " OR ".join(f"{column} IS NOT %s" for column in columns)
        if only_changed:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s AND ({differs})",  # noqa: S608
                               [(*stamp_values, *values, key, *values) for key, *values in rows])
        else:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                               [(*stamp_values, *values, key) for key, *values in rows])


def roster_rows_import(*, actor: User | None, employer: Employer, rows: Iterable[tuple[int, list[Any]]],
                       columns: dict[str, int]) -> RosterCheck:
    """Check and write rows that come from code rather than a file (the demo seeder, the API)."""
    table = RosterTable(columns=columns, header_row=1, rows=iter(rows),
                        column_letters={key: "" for key in columns})
    check = roster_check(employer=employer, table=table)
    if check.ok:
        with transaction.atomic():
            roster_write(employer=employer, check=check)
            roster_transfers(actor=actor, employer=employer, check=check)
            audit(actor, "orgs.roster.import", employer, employer_id=employer.pk, data=check.summary())
            workers_changed_on_commit(employer_id=employer.pk)
    return check


def roster_transfers(*, actor: User | None, employer: Employer, check: RosterCheck,
                     roster_import: Any = None) -> dict[str, int]:
    """The rows of a written check whose people are on another employer's roster."""
    moving = [row for row in check.rows if row.id_number in check.elsewhere]
    if not moving:
        return {"joined": 0, "pending": 0}
    return transfers_from_roster(actor=actor, employer=employer, rows=moving, columns=check.columns,
                                 roster_import=roster_import)
