"""training_rollover: the yearly training rollover as a Celery job for 1,000,000 workers, with
constant memory (issue 11), against the same job for 100,000 workers, in the same run.

Ours is the beat's task, `learning.tasks.training_rollover_task`, run through Celery's own
`apply(kwargs={"year": Y})` in a child process of its own (the task body, eagerly, in its process:
no broker, no worker pool, so the child's peak RSS is the job's and nothing else's). The task calls
`learning.services.programmes.training_rollover`, which walks the active workers in primary-key
batches and gives each whose earlier cycle in their role began before Y this year's annual cycle.
The child reads its peak resident set (getrusage RUSAGE_SELF ru_maxrss) when the job is done, and
the same figure before it started (Django and Celery loaded), so the growth shows.

The reference is the same job on a tenth of the workers. Constant memory means the peak does not
grow with the count: the goal is peak at 1,000,000 ≤ 1.2 × peak at 100,000. Time is reported too.

The data (setup child, for each size): bench employers (100, or fewer for small counts) whose
workers and logins are inserted by INSERT … SELECT generate_series (bench/training_compliance.py's
`workers_insert`: 0.5 % principals, 2 % managers, the rest exposed), each with one earlier cycle of
their role's statutory programme that began last year (four in five last year's annual cycle, one
in five their initial / pre-job cycle), by one INSERT … SELECT per employer; then VACUUM ANALYZE.
Each rollover child checks that every bench worker got exactly one new cycle; a second run must
create none. The clean-up deletes the bench employers with everything of theirs, and any cycle the
runs gave workers outside them (the job is global: in a bench database with the demo seeded, the
demo's workers are rolled over too), so the database is left as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from typing import Any

from bench.common import BenchError, Row, child_env, run_child
from bench.training_compliance import EMPLOYER_REGION, bench_employer, employers_clean, vacuum, workers_insert

NAME = "training_rollover"
GOAL_RATIO = 1.2
FULL_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (200, 2_000)
GOAL = f"peak RSS at {FULL_SIZES[1]:,} ≤ {GOAL_RATIO:g} × at {FULL_SIZES[0]:,}"
CHILD_TIMEOUT = 3 * 3600
EMPLOYERS = 100
WORKERS_PER_EMPLOYER_MIN = 1000
EMPLOYER_NAME = "培训续训基准单位"
CREDIT_BODY = "TRNRL"  # + 4 digits: the credit code's 9-character body; no I, O, S, V or Z in it
CREDIT_PREFIX = f"91{EMPLOYER_REGION}{CREDIT_BODY}"
NUMBERING = {"username": "trrbench", "code": "trr", "id_number": "TRR", "phone": "193", "name": "续训"}


# --------------------------------------------------------------------------- parent (no Django)

def run(*, quick: bool, database_url: str) -> Row:
    small, large = QUICK_SIZES if quick else FULL_SIZES
    env = child_env(database_url)
    measured = {count: _size(env, count) for count in (small, large)}
    one, ten = measured[small], measured[large]
    ratio = ten["first"]["peak_kb"] / one["first"]["peak_kb"]

    def figure(count: int, result: dict[str, Any]) -> str:
        return f"{count:,}: {result['first']['seconds']:,.1f} s, peak {result['first']['peak_kb'] / 1024:,.0f} MB"

    def detail(count: int, result: dict[str, Any]) -> str:
        first, second = result["first"], result["second"]
        employers = result["setup"]["employers"]
        return (f"{count:,} workers in {employers} employer{'s' if employers > 1 else ''}: {first['seconds']:,.1f} s "
                f"({count / first['seconds']:,.0f} workers/s), RSS before {first['before_kb'] / 1024:,.0f} MB, peak "
                f"{first['peak_kb'] / 1024:,.0f} MB (+{(first['peak_kb'] - first['before_kb']) / 1024:,.0f} MB), "
                f"{first['bench_created']:,} new cycles for {first['bench_workers']:,} workers; the second run "
                f"{second['seconds']:,.1f} s, created {second['created']}, peak {second['peak_kb'] / 1024:,.0f} MB; "
                f"setup {result['setup']['seconds']:,.0f} s")

    note = (f"learning.tasks.training_rollover_task.apply(kwargs={{'year': {one['setup']['year']}}}) in its own child "
            f"process (Celery's eager path: the task body, no broker), peak RSS from the child's getrusage "
            f"ru_maxrss; {detail(large, ten)}; {detail(small, one)}; peak ratio {ratio:.2f} (goal ≤ {GOAL_RATIO:g})")
    return Row(
        name=NAME, ours=figure(large, ten), reference=figure(small, one), ratio=ratio, goal=GOAL,
        holds=ratio <= GOAL_RATIO if not quick else None, note=note,
        details={"sizes": [small, large], "measured": {str(count): result for count, result in measured.items()},
                 "peak_ratio": ratio, "seconds_ratio": ten["first"]["seconds"] / one["first"]["seconds"],
                 "memory_method": "child process getrusage(RUSAGE_SELF).ru_maxrss, before and after the job"},
    )


def _size(env: dict[str, str], count: int) -> dict[str, Any]:
    """Set up ``count`` workers, run the job twice (each in its own child), clean up."""
    made: dict[str, Any] = {}
    try:
        made = _child(env, "setup", "--workers", str(count))
        year = str(made["year"])
        first = _child(env, "rollover", "--year", year)
        second = _child(env, "rollover", "--year", year)
    finally:
        _child(env, "clean", *(["--after", str(made["watermark"]), "--year", str(made["year"])] if made else []))
    if first["bench_created"] != count or first["bench_workers"] != count:
        raise BenchError(f"the rollover gave {first['bench_workers']:,} of {count:,} bench workers "
                         f"{first['bench_created']:,} new cycles; exactly one each expected")
    if second["created"] != 0 or second["bench_created"] != count:
        raise BenchError(f"running the rollover again created {second['created']} cycles; none expected")
    return {"setup": made, "first": first, "second": second}


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    return run_child(["-m", "bench.training_rollover", *args], env, timeout=CHILD_TIMEOUT)


# --------------------------------------------------------------------------- children (Django)

def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _setup(count: int) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Max

    from learning.models import Programme, TrainingAssignment
    from learning.models.programmes import FIRST_KINDS
    from learning.services.compliance import today_local
    from learning.services.programmes import programme_basis

    employers_clean(CREDIT_PREFIX)
    started = time.perf_counter()
    year = today_local().year
    statutory = {(programme.role, programme.kind): programme.pk
                 for programme in Programme.objects.filter(statutory=True, auto_assign=True, is_active=True)}
    first_kind = {role: next((statutory[(role, kind)] for kind in FIRST_KINDS if (role, kind) in statutory), None)
                  for role in ("principal", "manager", "exposed")}
    annual = {role: statutory.get((role, "annual")) for role in first_kind}
    if None in first_kind.values() or None in annual.values():
        raise SystemExit(f"the bench database lacks statutory programmes: {statutory}")
    employers = max(1, min(EMPLOYERS, count // WORKERS_PER_EMPLOYER_MIN))
    last_year = dt.date(year - 1, 1, 1)
    params = {"jan1": last_year, "dec31": dt.date(year - 1, 12, 31),
              # The digest a rule would have stored for the bench's exposed post with no factors.
              "basis": programme_basis("exposed", "操作工", ()),
              **{f"{role}_first": pk for role, pk in first_kind.items()},
              **{f"{role}_annual": pk for role, pk in annual.items()}}
    first = 1
    for number in range(employers):
        employer = bench_employer(f"{CREDIT_BODY}{number + 1:04d}", f"{EMPLOYER_NAME}{number + 1:03d}")
        last = count * (number + 1) // employers
        workers_insert(employer.pk, first, last, NUMBERING)
        first = last + 1
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO learning_trainingassignment (code, role, starts_on, due_on, ends_on, source, basis,"
                " assigned_at, withdrawn_reason, employer_id, programme_id, worker_id) "
                "SELECT 'tra' || lpad(w.id::text, 13, '0'), w.post_role,"
                " CASE WHEN w.first THEN %(jan1)s::date + (w.id %% 300)::int ELSE %(jan1)s::date END,"
                " CASE WHEN w.first THEN %(jan1)s::date + (w.id %% 300)::int + 30 ELSE %(dec31)s::date END,"
                " CASE WHEN w.first THEN NULL ELSE %(dec31)s::date END,"
                " CASE WHEN w.first THEN 'hire' ELSE 'rollover' END,"
                " CASE WHEN w.post_role = 'exposed' THEN %(basis)s ELSE '' END, now(), '', w.employer_id,"
                " CASE w.post_role"
                "  WHEN 'principal' THEN CASE WHEN w.first THEN %(principal_first)s ELSE %(principal_annual)s END"
                "  WHEN 'manager' THEN CASE WHEN w.first THEN %(manager_first)s ELSE %(manager_annual)s END"
                "  ELSE CASE WHEN w.first THEN %(exposed_first)s ELSE %(exposed_annual)s END END, w.id "
                "FROM (SELECT id, post_role, employer_id, id %% 5 = 0 AS first FROM orgs_worker"
                " WHERE employer_id = %(employer)s) AS w",
                {**params, "employer": employer.pk})
    vacuum("orgs_user", "orgs_worker", "learning_trainingassignment")
    watermark = TrainingAssignment.objects.aggregate(top=Max("pk"))["top"] or 0
    return {"workers": count, "employers": employers, "year": year, "watermark": watermark,
            "seconds": round(time.perf_counter() - started, 1)}


def _rollover(year: int) -> dict[str, Any]:
    from learning.models import AssignmentSource, TrainingAssignment
    from learning.tasks import training_rollover_task

    before = _maxrss_kb()
    started = time.perf_counter()
    result = training_rollover_task.apply(kwargs={"year": year})
    seconds = time.perf_counter() - started
    peak = _maxrss_kb()
    if not result.successful():
        raise SystemExit(f"the rollover task failed: {result.traceback}")
    new = TrainingAssignment.objects.filter(employer__credit_code__startswith=CREDIT_PREFIX,
                                            starts_on=dt.date(year, 1, 1), source=AssignmentSource.ROLLOVER)
    return {"seconds": seconds, "created": result.get(), "before_kb": before, "peak_kb": peak,
            "bench_created": new.count(), "bench_workers": new.values("worker_id").distinct().count()}


def _clean(after: int | None, year: int | None) -> dict[str, Any]:
    from learning.models import AssignmentSource, TrainingAssignment

    others = 0
    if after is not None and year is not None:
        # The cycles the runs gave workers outside the bench employers (the demo's, say).
        others, _detail = (TrainingAssignment.objects.filter(pk__gt=after, starts_on=dt.date(year, 1, 1),
                                                             source=AssignmentSource.ROLLOVER)
                           .exclude(employer__credit_code__startswith=CREDIT_PREFIX).delete())
    return {**employers_clean(CREDIT_PREFIX), "other_cycles": others}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.training_rollover")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup")
    setup.add_argument("--workers", type=int, required=True)
    rollover = commands.add_parser("rollover")
    rollover.add_argument("--year", type=int, required=True)
    clean = commands.add_parser("clean")
    clean.add_argument("--after", type=int)
    clean.add_argument("--year", type=int)
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.command == "setup":
        result = _setup(args.workers)
    elif args.command == "rollover":
        result = _rollover(args.year)
    else:
        result = _clean(args.after, args.year)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
