"""roster_import: rows per second of our roster import against django-import-export's default path.

Ours is what the upload page runs: orgs.services.read_roster + roster_check (every row validated)
+ roster_write (one transaction), into a fresh employer. The reference is
orgs.resources.RosterResource(employer).import_data(dataset, dry_run=False) on a tablib Dataset
read from the same workbook by import-export's own XLSX format, as its admin does.

Both run on PostgreSQL with config.settings.test pointed at the bench database, each measurement
in its own child process (`python -m bench.roster_import ours|reference|generate|clean …`) that
first deletes every worker a previous run left, so each run inserts into the same tables.
The parent reads the child's peak resident memory (getrusage RUSAGE_SELF ru_maxrss, reported by
the child itself when it is done).

roster_update_postgresql and roster_update_sqlite: re-importing a roster of UPDATE_ROWS workers
that are all on the employer's roster already, every row with a change, against inserting the same
workers, on each database (`python -m bench.roster_import update …`). SQLite is a file in
bench/results/sqlite/, configured exactly as the embedded default (base.py's DATABASES).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import RESULTS_DIR, BenchError, Row, child_env, manage, median, run_child

NAME = "roster_import"
FULL_ROWS = 100_000
# The reference imports a row at a time (about a dozen queries per row); on 100,000 rows one run
# would take many minutes, so it is timed on the first REFERENCE_ROWS rows of the same roster and
# the two are compared in rows per second.
REFERENCE_ROWS = 20_000
QUICK_ROWS = 200
OURS_RUNS = 3
REFERENCE_RUNS = 3
QUICK_REFERENCE_RUNS = 3
GOAL_RATIO = 10.0
GOAL = f"≥ {GOAL_RATIO:.0f}×"
SEED = 2025
CHILD_TIMEOUT = 3600

# The update benchmarks: the size of the issue that prompted them (a 20,000-row re-import).
UPDATE_NAMES = {"postgresql": "roster_update_postgresql", "sqlite": "roster_update_sqlite"}
UPDATE_ROWS = 20_000
QUICK_UPDATE_ROWS = 200
UPDATE_RUNS = 3
UPDATE_GOAL_RATIO = 1.5
UPDATE_GOAL = f"≤ {UPDATE_GOAL_RATIO}"
# Production settings: base.py's DATABASES, so SQLite gets exactly the options the embedded default has.
UPDATE_SETTINGS = "bench.settings"
SQLITE_DIR = RESULTS_DIR / "sqlite"

# A bench employer's credit code starts with this (prefix 91, region 320303, body BENCH…): the
# clean-up deletes exactly those employers and their workers, never the demo data beside them.
BENCH_CREDIT_PREFIX = "91320303BENCH"


# --------------------------------------------------------------------------- parent (no Django)

def run(*, quick: bool, database_url: str) -> Row:
    rows = QUICK_ROWS if quick else FULL_ROWS
    reference_rows = min(rows, REFERENCE_ROWS)
    reference_runs = QUICK_REFERENCE_RUNS if quick else REFERENCE_RUNS
    env = child_env(database_url)
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as workdir:
        roster = Path(workdir) / f"roster-{rows}.xlsx"
        reference_file = Path(workdir) / f"roster-{reference_rows}.xlsx"
        try:
            generated = _child(env, "generate", "--rows", str(rows), "--out", str(roster),
                               "--prefix-rows", str(reference_rows), "--prefix-out", str(reference_file))
            ours = [_child(env, "ours", "--file", str(roster), "--rows", str(rows)) for _ in range(OURS_RUNS)]
            reference = [_child(env, "reference", "--file", str(reference_file), "--rows", str(reference_rows))
                         for _ in range(reference_runs)]
        finally:
            # Leave the bench database with the demo data only; a failed clean-up must not hide
            # the failure that brought us here (the next run cleans up before measuring anyway).
            with contextlib.suppress(BenchError):
                _child(env, "clean")
    ours_rate = rows / median([run["seconds"] for run in ours])
    reference_rate = reference_rows / median([run["seconds"] for run in reference])
    ratio = ours_rate / reference_rate
    peak_mb = max(run["maxrss_kb"] for run in ours) / 1024
    baseline_mb = median([run["baseline_kb"] for run in ours]) / 1024
    note = (
        f"ours: {rows:,} rows, median of {OURS_RUNS} runs, peak RSS {peak_mb:,.0f} MB "
        f"({baseline_mb:,.0f} MB of it is the process before reading; child's getrusage ru_maxrss); "
        f"reference: django-import-export {generated['import_export_version']} default path on the first "
        f"{reference_rows:,} rows of the same roster, {reference_runs} run{'s' if reference_runs > 1 else ''}"
        f"{' (median)' if reference_runs > 1 else ''}; workbook {generated['bytes'] / 1024:,.0f} KiB; PostgreSQL"
    )
    return Row(
        name=NAME,
        ours=f"{ours_rate:,.0f} rows/s",
        reference=f"{reference_rate:,.0f} rows/s",
        ratio=ratio,
        goal=GOAL,
        holds=ratio >= GOAL_RATIO,
        note=note,
        details={"rows": rows, "reference_rows": reference_rows, "ours_runs": ours, "reference_runs": reference,
                 "ours_rows_per_s": ours_rate, "reference_rows_per_s": reference_rate,
                 "ours_peak_rss_mb": peak_mb, "ours_baseline_rss_mb": baseline_mb,
                 "memory_method": "child process getrusage(RUSAGE_SELF).ru_maxrss"},
    )


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    return run_child(["-m", "bench.roster_import", *args], env, timeout=CHILD_TIMEOUT)


def run_update_postgresql(*, quick: bool, database_url: str) -> Row:
    return _run_update("postgresql", database_url, quick=quick)


def run_update_sqlite(*, quick: bool, database_url: str) -> Row:
    return _run_update("sqlite", _sqlite_database(database_url), quick=quick)


def _sqlite_database(database_url: str) -> str:
    """A migrated SQLite file for this run, kept between runs (migrating a new one takes ~20 s).
    Named after the PostgreSQL database whose advisory lock the whole run holds, so two runs on
    different bench databases never share it. Rebuilt when its migration history no longer fits."""
    name = urlsplit(database_url).path.lstrip("/") or "bench"
    SQLITE_DIR.mkdir(parents=True, exist_ok=True)
    path = SQLITE_DIR / f"{name}.sqlite3"
    url = f"sqlite:///{path}"
    try:
        manage(url, "migrate", "--noinput", "-v0", settings=UPDATE_SETTINGS)
    except BenchError:
        for leftover in SQLITE_DIR.glob(f"{name}.sqlite3*"):
            leftover.unlink()
        manage(url, "migrate", "--noinput", "-v0", settings=UPDATE_SETTINGS)
    return url


def _run_update(vendor: str, url: str, *, quick: bool) -> Row:
    rows = QUICK_UPDATE_ROWS if quick else UPDATE_ROWS
    env = child_env(url, UPDATE_SETTINGS)
    with tempfile.TemporaryDirectory(prefix="bench-roster-update-") as workdir:
        base, changed = Path(workdir) / f"roster-{rows}.xlsx", Path(workdir) / f"roster-{rows}-changed.xlsx"
        try:
            _child(env, "generate", "--rows", str(rows), "--out", str(base), "--changed-out", str(changed))
            measured = _child(env, "update", "--base", str(base), "--changed", str(changed), "--rows", str(rows),
                              "--runs", str(UPDATE_RUNS))
        finally:
            with contextlib.suppress(BenchError):
                _child(env, "clean")
    runs = measured["runs"]
    if measured["vendor"] != vendor:
        raise BenchError(f"the {vendor} benchmark ran on {measured['vendor']}")

    def seconds(kind: str, part: str = "seconds") -> float:
        return median([run[kind][part] for run in runs])

    insert, update, unchanged = seconds("insert"), seconds("update"), seconds("unchanged")
    insert_write, update_write = seconds("insert", "write_seconds"), seconds("update", "write_seconds")
    ratio = update / insert
    changes = ", ".join(f"{share} {what}" for what, share in measured["changes"].items())
    pragmas = "".join(f", {key} {value}" for key, value in measured.get("pragmas", {}).items())
    note = (
        f"{rows:,} workers, median of {UPDATE_RUNS} runs in one process, read + check + write each; insert into a "
        f"fresh employer, then the update: the same people with a change in every row ({changes}); the write "
        f"alone (one transaction) {update_write:,.2f} s against {insert_write:,.2f} s; re-importing the changed "
        f"file once more (nothing to change) {unchanged:,.2f} s; {vendor}{pragmas}"
    )
    return Row(
        name=UPDATE_NAMES[vendor],
        ours=f"update {update:,.2f} s",
        reference=f"insert {insert:,.2f} s",
        ratio=ratio,
        goal=UPDATE_GOAL,
        holds=ratio <= UPDATE_GOAL_RATIO,
        note=note,
        details={"rows": rows, "vendor": vendor, "runs": runs, "insert_seconds": insert, "update_seconds": update,
                 "unchanged_seconds": unchanged, "insert_write_seconds": insert_write,
                 "update_write_seconds": update_write, "write_ratio": update_write / insert_write,
                 "changes": measured["changes"], "pragmas": measured.get("pragmas", {})},
    )


# --------------------------------------------------------------------------- children (Django)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志海燕红梅文斌玉俊峰晓东春生德"
DEPARTMENTS = (
    ("综采一队", "采煤机司机"), ("综采二队", "支架工"), ("掘进一队", "掘进工"), ("掘进二队", "锚杆工"),
    ("机电队", "维修电工"), ("运输队", "皮带司机"), ("通风区", "测风工"), ("选煤厂", "洗选工"),
    ("炼铁厂", "高炉炉前工"), ("炼钢厂", "转炉工"), ("轧钢厂", "轧钢工"), ("焊装车间", "电焊工"),
    ("涂装车间", "喷漆工"), ("总装车间", "装配工"), ("质检中心", "化验员"), ("仓储部", "叉车司机"),
    ("安全环保部", "职业卫生专员"), ("综合办公室", "文员"),
)
ROLES = ("接害劳动者",) * 14 + ("劳动者", "职业卫生管理人员", "其他", "其他", "主要负责人")
# The reference's ManyToManyWidget splits the cell on "、" alone, so a catalogue name containing
# it (e.g. "磷化氢、磷化锌、磷化铝") cannot be written for the reference; the generator leaves such
# names out. Names with commas ("1,3-丁二烯") stay: ours must recognise them whole.
REFERENCE_SEPARATOR = "、"
# Phones 199xxxxxxxx: the demo seeder never draws 199, so the roster cannot collide with it.
PHONE_PREFIX = "199"
CHANGED_PHONE_PREFIX = "198"  # nor 198: a changed phone is nobody's yet


def _setup_django() -> None:
    import django

    django.setup()


def _generate(rows: int, out: Path, prefix_rows: int, prefix_out: Path | None,
              changed_out: Path | None = None) -> dict[str, Any]:
    import random

    import import_export
    import xlsxwriter

    from orgs.demo import EMPLOYERS
    from orgs.idnumbers import id_number_make
    from orgs.models import HazardFactor, Region
    from orgs.resources import ROSTER_KEYS

    rng = random.Random(SEED)
    hazards = [name for name in HazardFactor.objects.order_by("pk").values_list("name", flat=True)
               if REFERENCE_SEPARATOR not in name]
    demo_counties = {demo.county for demo in EMPLOYERS}
    # Counties the demo does not use, so generated ID numbers never collide with demo workers.
    counties = [code for code in Region.objects.filter(level=3).order_by("code").values_list("code", flat=True)
                if code not in demo_counties][:12] or ["110101"]
    today = dt.date.today()
    seen: set[str] = set()
    data: list[list[Any]] = []
    for number in range(rows):
        id_number = ""
        while not id_number or id_number in seen:
            birth = dt.date(rng.randint(1966, 2004), rng.randint(1, 12), rng.randint(1, 28))
            id_number = id_number_make(rng.choice(counties), birth, rng.randint(0, 999))
        seen.add(id_number)
        department, post = rng.choice(DEPARTMENTS)
        role = rng.choice(ROLES)
        exposed = role in ("接害劳动者", "劳动者")
        factors = rng.sample(hazards, rng.randint(1, 3)) if exposed else []
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        hired = today - dt.timedelta(days=rng.randint(30, 365 * 20))
        data.append([name, id_number, f"{PHONE_PREFIX}{number:08d}", department, post, role,
                     REFERENCE_SEPARATOR.join(factors), hired])
    _write_workbook(xlsxwriter, out, data, ROSTER_KEYS)
    if prefix_out is not None and prefix_rows < rows:
        _write_workbook(xlsxwriter, prefix_out, data[:prefix_rows], ROSTER_KEYS)
    result = {"rows": rows, "bytes": out.stat().st_size, "hazards_used": len(hazards),
              "import_export_version": import_export.__version__}
    if changed_out is not None:
        _write_workbook(xlsxwriter, changed_out, _changed(data, rng, hazards), (*ROSTER_KEYS, "is_active"))
    return result


# What the update file changes, by row number modulo 10: every row has one change, so none can be
# skipped as unchanged; phone swaps between two workers ride on top, as the release path must
# handle them. A mix of what offices really change between two uploads.
CHANGES = {0: "department and post", 1: "department and post", 2: "department and post",
           3: "exposures", 4: "exposures", 5: "phone", 6: "name", 7: "post role",
           8: "hire date", 9: "在岗 否"}
SWAP_EVERY = 50  # rows 50k+6 and 50k+7 swap phones (on top of their own change)


def changes_summary() -> dict[str, str]:
    shares: dict[str, int] = {}
    for what in CHANGES.values():
        shares[what] = shares.get(what, 0) + 10
    return {what: f"{share} %" for what, share in shares.items()} | {"phones swapped": f"{200 // SWAP_EVERY} %"}


def _changed(data: list[list[Any]], rng: Any, hazards: list[str]) -> list[list[Any]]:
    """The same people as `data`, each with a change (CHANGES), and the 在岗 column."""
    changed = []
    for number, original in enumerate(data):
        name, id_number, phone, department, post, role, factors, hired = original
        kind = CHANGES[number % 10]
        active = "是"
        if kind == "department and post":
            department, post = DEPARTMENTS[(DEPARTMENTS.index((department, post)) + 1 + number % 5) % len(DEPARTMENTS)]
        elif kind == "exposures":
            current = set(factors.split(REFERENCE_SEPARATOR)) if factors else set()
            fresh = [factor for factor in rng.sample(hazards, 4) if factor not in current][:2]
            factors = REFERENCE_SEPARATOR.join([*sorted(current)[:1], *fresh])
        elif kind == "phone":
            phone = f"{CHANGED_PHONE_PREFIX}{number:08d}"
        elif kind == "name":
            name = name[:1] + ("晓" if name[1:2] != "晓" else "小") + name[2:]
        elif kind == "post role":
            role = "其他" if role != "其他" else "接害劳动者"
        elif kind == "hire date":
            hired = hired - dt.timedelta(days=1 + number % 365)
        else:
            active = "否"
        changed.append([name, id_number, phone, department, post, role, factors, hired, active])
    for first in range(6, len(changed) - 1, SWAP_EVERY):
        changed[first][2], changed[first + 1][2] = changed[first + 1][2], changed[first][2]
    return changed


def _write_workbook(xlsxwriter: Any, path: Path, data: list[list[Any]], keys: tuple[str, ...]) -> None:
    """As an office sends it: the template's headers, ID and phone as text, hire date as a date cell."""
    from orgs.services.roster_columns import COLUMN_BY_KEY

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("花名册")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    # The columns both importers read (the reference has no 在岗 column; blank means 在岗 in ours).
    sheet.write_row(0, 0, [COLUMN_BY_KEY[key].header for key in keys])
    for row_number, row in enumerate(data, start=1):
        for column, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(row_number, column, value, date_format)
            else:
                sheet.write_string(row_number, column, value)
    workbook.close()


def _clean() -> dict[str, Any]:
    """Delete the bench employers and everything a run created for them, then (PostgreSQL) VACUUM
    so the next run does not pay for the dead rows (the same ID numbers are inserted again)."""
    from django.db import connection, transaction

    from orgs.models import Department, Employer, User, Worker

    employers = list(Employer.objects.filter(credit_code__startswith=BENCH_CREDIT_PREFIX).values_list("pk", flat=True))
    deleted = 0
    if employers:
        worker, user = Worker._meta.db_table, User._meta.db_table
        exposures = Worker.exposures.through._meta.db_table
        # Plain SQL: the ORM's delete() would first load 100,000 workers to cascade in Python.
        # Table names come from the models, never from input; the employers are a handful of ids.
        # Logins go before their workers: the foreign key is only checked at commit.
        among = ", ".join(["%s"] * len(employers))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {exposures} WHERE worker_id IN "  # noqa: S608
                f"(SELECT id FROM {worker} WHERE employer_id IN ({among}))", employers)
            cursor.execute(
                f"DELETE FROM {user} WHERE id IN "  # noqa: S608
                f"(SELECT user_id FROM {worker} WHERE employer_id IN ({among}))", employers)
            cursor.execute(f"DELETE FROM {worker} WHERE employer_id IN ({among})", employers)  # noqa: S608
            deleted = cursor.rowcount
            Department.objects.filter(employer_id__in=employers).delete()
            Employer.objects.filter(pk__in=employers).delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in (exposures, worker, user, Department._meta.db_table):
                    cursor.execute(f"VACUUM ANALYZE {table}")
    return {"deleted_workers": deleted}


def _fresh_employer() -> Any:
    from orgs.idnumbers import uscc_make
    from orgs.services import employer_create

    _clean()
    return employer_create(actor=None, name="基准测试单位", credit_code=uscc_make("91", "320303", "BENCH0001"),
                           region_code="320303", industry_code="06", size_class="large")


def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _ours(path: Path, rows: int) -> dict[str, Any]:
    from orgs.models import Worker
    from orgs.services import read_roster, roster_check, roster_write

    employer = _fresh_employer()
    baseline = _maxrss_kb()
    started = time.perf_counter()
    with path.open("rb") as stream:
        table = read_roster(stream, path.name)
        check = roster_check(employer=employer, table=table)
    if not check.ok:
        raise SystemExit(f"ours rejected the roster: {[error.as_dict() for error in check.errors[:5]]}")
    roster_write(employer=employer, check=check)
    seconds = time.perf_counter() - started
    imported = Worker.objects.filter(employer=employer).count()
    if imported != rows:
        raise SystemExit(f"ours imported {imported} workers, expected {rows}")
    return {"seconds": seconds, "rows": imported, "maxrss_kb": _maxrss_kb(), "baseline_kb": baseline}


def _reference(path: Path, rows: int) -> dict[str, Any]:
    from import_export.formats.base_formats import XLSX

    from orgs.models import Worker
    from orgs.resources import RosterResource

    employer = _fresh_employer()
    baseline = _maxrss_kb()
    started = time.perf_counter()
    dataset = XLSX().create_dataset(path.read_bytes())
    result = RosterResource(employer=employer).import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        errors = [str(error.error) for _row, row_errors in result.row_errors()[:3] for error in row_errors]
        errors += [str(invalid.error_dict) for invalid in result.invalid_rows[:3]]
        raise SystemExit(f"the reference rejected the roster: {errors}")
    imported = Worker.objects.filter(employer=employer).count()
    if imported != rows:
        raise SystemExit(f"the reference imported {imported} workers, expected {rows}")
    return {"seconds": seconds, "rows": imported, "maxrss_kb": _maxrss_kb(), "baseline_kb": baseline}


def _timed_import(employer: Any, path: Path) -> tuple[dict[str, Any], Any]:
    """Read + check + write one file, as the upload does; the write (the transaction) timed apart."""
    from orgs.services import read_roster, roster_check, roster_write

    started = time.perf_counter()
    with path.open("rb") as stream:
        check = roster_check(employer=employer, table=read_roster(stream, path.name))
    if not check.ok:
        raise SystemExit(f"ours rejected {path.name}: {[error.as_dict() for error in check.errors[:5]]}")
    checked = time.perf_counter()
    roster_write(employer=employer, check=check)
    done = time.perf_counter()
    return ({"seconds": done - started, "read_check_seconds": checked - started, "write_seconds": done - checked,
             "new": check.new, "updated": check.updated}, check)


def _verify(employer: Any, check: Any) -> None:
    """Every worker of the employer is exactly what the file says, logins included."""
    from orgs.models import Worker

    expected = {row.id_number: (row.name, row.phone, row.department, row.post, row.post_role, row.hire_date,
                                row.is_active, row.phone, row.name, frozenset(row.exposure_ids))
                for row in check.rows}
    exposures: dict[str, set[int]] = {}
    for id_number, factor_id in Worker.exposures.through.objects.filter(worker__employer=employer).values_list(
            "worker__id_number", "hazardfactor_id"):
        exposures.setdefault(id_number, set()).add(factor_id)
    actual = {values[0]: (*values[1:], frozenset(exposures.get(values[0], ())))
              for values in Worker.objects.filter(employer=employer).values_list(
                  "id_number", "name", "phone", "department__name", "post", "post_role", "hire_date", "is_active",
                  "user__username", "user__full_name")}
    if actual != expected:
        wrong = sorted(key for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key))
        raise SystemExit(f"{len(wrong)} workers differ from the file, e.g. {wrong[0]}: "
                         f"{actual.get(wrong[0])} instead of {expected.get(wrong[0])}")


def _update(base: Path, changed: Path, rows: int, runs: int) -> dict[str, Any]:
    from django.db import connection

    results = []
    for _ in range(runs):
        employer = _fresh_employer()
        insert, check = _timed_import(employer, base)
        if check.new != rows:
            raise SystemExit(f"the insert saw {check.new} new rows, expected {rows}")
        _verify(employer, check)
        update, check = _timed_import(employer, changed)
        if check.updated != rows:
            raise SystemExit(f"the update saw {check.updated} known rows, expected {rows}")
        _verify(employer, check)
        unchanged, check = _timed_import(employer, changed)
        _verify(employer, check)
        results.append({"insert": insert, "update": update, "unchanged": unchanged})
    pragmas = {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for pragma in ("journal_mode", "synchronous", "busy_timeout"):
                pragmas[pragma] = cursor.execute(f"PRAGMA {pragma}").fetchone()[0]
    return {"vendor": connection.vendor, "runs": results, "changes": changes_summary(), "pragmas": pragmas}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.roster_import", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate")
    generate.add_argument("--rows", type=int, required=True)
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--prefix-rows", type=int, default=0)
    generate.add_argument("--prefix-out", type=Path)
    generate.add_argument("--changed-out", type=Path, help="also write the same people, each with a change")
    for command in ("ours", "reference"):
        measure = commands.add_parser(command)
        measure.add_argument("--file", type=Path, required=True)
        measure.add_argument("--rows", type=int, required=True)
    update = commands.add_parser("update")
    update.add_argument("--base", type=Path, required=True)
    update.add_argument("--changed", type=Path, required=True)
    update.add_argument("--rows", type=int, required=True)
    update.add_argument("--runs", type=int, required=True)
    commands.add_parser("clean")
    args = parser.parse_args(argv)
    _setup_django()
    if args.command == "generate":
        result = _generate(args.rows, args.out, args.prefix_rows, args.prefix_out, args.changed_out)
    elif args.command == "ours":
        result = _ours(args.file, args.rows)
    elif args.command == "reference":
        result = _reference(args.file, args.rows)
    elif args.command == "update":
        result = _update(args.base, args.changed, args.rows, args.runs)
    else:
        result = _clean()
    # The parent reads the last line of output.
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
