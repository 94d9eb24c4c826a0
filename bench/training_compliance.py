"""training_compliance: an employer's training compliance for the year, 20,000 workers, against
one indexed COUNT of the same cycles, in the same run (issue 11: "< 2 s").

Ours is `learning.training_reports.employer_summary(employer, year)`, as the dashboard, the
workbook and the API call it: every cycle due in the year decided by learning.services.compliance
(one statement: the day ledger summed over the programme's courses within the cycle's window and
the closing exam's passing attempt, per assignment), streamed and tallied per worker (worst
cycle), by role, department and programme. The reference is the floor:
`TrainingAssignment.objects.filter(employer=…, due_on__range=(Jan 1, Dec 31)).count()` on the
(employer, due_on) index, the least any figure over these cycles costs.

The data (setup child): one bench employer (12 departments) with N active workers inserted by one
INSERT … SELECT generate_series (logins too), 0.5 % principals, 2 % managers, the rest exposed;
copies of the seven statutory programmes (same roles, kinds, hours and terms; `auto_assign` off, so
no rule and no rollover ever touches them) linked to two bench courses and one bench exam, a third
course that no programme counts; per worker 1–2 cycles due this year (this year's annual cycle; a
fifth are new in post with only their initial / pre-job cycle, a fifth of the exposed also have a
re-training cycle after a change), 3–10 StudyDay rows on the courses and, for most, a graded exam
attempt (passed or failed) on a day of this year. Every expected status is computed in the setup
from the generated rows, and the measure must agree with it exactly, so it is real work that is
timed. Then VACUUM ANALYZE, as autovacuum would have done. Timed in a separate child: one warm-up
of each, then RUNS of ours and the reference in turn; medians.

The bulk population helpers here (`workers_insert`, `employers_clean`) are shared with
bench/training_rollover.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench.common import BenchError, Row, child_env, median, run_child

NAME = "training_compliance"
GOAL_SECONDS = 2.0
FULL_WORKERS, QUICK_WORKERS = 20_000, 300
GOAL = f"< {GOAL_SECONDS:g} s for {FULL_WORKERS:,} workers"
RUNS = 5
CHILD_TIMEOUT = 1800
SEED = 20261111

EMPLOYER_NAME = "培训合规基准单位"
EMPLOYER_REGION = "320303"
EMPLOYER_BODY = "TRNCMPL01"  # the credit code's 9-character body; no I, O, S, V or Z in it
CREDIT_PREFIX = f"91{EMPLOYER_REGION}TRNCMPL"
# Logins trcbench0000001…, worker codes trc…, phones 194… (the demo draws 135…187, the other
# benchmarks 195…199), ID numbers TRC…: not GB 11643 numbers, so they can never be anyone's.
NUMBERING = {"username": "trcbench", "code": "trc", "id_number": "TRC", "phone": "194", "name": "合规"}
DEPARTMENTS = ("综采一队", "综采二队", "掘进一队", "机电队", "运输队", "通风区", "选煤厂", "焊装车间", "涂装车间",
               "总装车间", "质检中心", "安全环保部")
COURSE_SLUG = "bench-training-compliance"
COURSE_TITLE = "基准测试课程（培训合规）"
PROGRAMME_PREFIX = "bench-tc-"
EXAM_TITLE = "基准测试培训结业考试"
CHUNK = 5000


# --------------------------------------------------------------------------- parent (no Django)

def run(*, quick: bool, database_url: str) -> Row:
    workers = QUICK_WORKERS if quick else FULL_WORKERS
    env = child_env(database_url)
    try:
        made = run_child(["-m", "bench.training_compliance", "setup", "--workers", str(workers)], env,
                         timeout=CHILD_TIMEOUT)
        measured = run_child(["-m", "bench.training_compliance", "measure", "--runs", str(RUNS), "--today",
                              made["today"]], env, timeout=CHILD_TIMEOUT)
    finally:
        run_child(["-m", "bench.training_compliance", "clean"], env, timeout=CHILD_TIMEOUT)
    expected, total = made["expected"], measured["total"]
    # The summary must say exactly what the generated rows mean, or the figure measures nothing.
    wrong = {key: (total[key], value) for key, value in expected.items() if total[key] != value}
    if wrong or total["workers"] != workers or measured["counted"] != expected["cycles"]:
        raise BenchError(f"employer_summary disagrees with the data (got, expected): {wrong}; "
                         f"{total['workers']} workers of {workers}; COUNT {measured['counted']}")
    ours, reference = median(measured["ours"]), median(measured["reference"])
    ratio = ours / reference if reference > 0 else None
    jit_off = (f"with PostgreSQL's JIT off for the session {median(measured['ours_jit_off']):.2f} s (information)"
               if measured["ours_jit_off"] else "no JIT (not PostgreSQL)")
    statements = f"{measured['queries']} SQL statement{'s' if measured['queries'] > 1 else ''}"
    note = (
        f"{workers:,} workers, {expected['cycles']:,} cycles due {made['year']} ({total['met']:,} workers met, "
        f"{total['due']:,} due, {total['overdue']:,} overdue, rate {total['rate']} %), {made['study_days']:,} "
        f"StudyDay rows, {made['attempts']:,} exam attempts ({made['passed']:,} passed); employer_summary "
        f"{ours:.2f} s (median of {RUNS} after one warm-up; runs {', '.join(f'{s:.2f}' for s in measured['ours'])}; "
        f"{statements}; {len(measured['roles'])} roles, {measured['departments']} departments, "
        f"{measured['programmes']} programmes) against the {GOAL_SECONDS:g} s goal; {jit_off}; every figure checked against "
        f"the statuses computed from the generated rows; reference: the indexed COUNT of the same cycles, "
        f"{reference * 1000:.1f} ms (median of {RUNS}), the ratio is information; setup {made['seconds']:.0f} s"
    )
    return Row(
        name=NAME, ours=f"{ours:.2f} s", reference=f"{reference * 1000:.1f} ms COUNT", ratio=ratio, goal=GOAL,
        holds=ours < GOAL_SECONDS if workers >= FULL_WORKERS else None, note=note,
        details={"workers": workers, "runs": RUNS, "ours_seconds": ours, "reference_seconds": reference,
                 "setup": made, **measured},
    )


# --------------------------------------------------------------------------- shared bulk helpers (Django)

# Worker number n's post role: 0.5 % principals, 2 % managers, the rest exposed.
_ROLE_SQL = "CASE WHEN n %% 200 = 0 THEN 'principal' WHEN n %% 200 <= 4 THEN 'manager' ELSE 'exposed' END"


def workers_insert(employer_id: int, first: int, last: int, numbering: dict[str, str],
                   departments: Sequence[int] = ()) -> int:
    """Active workers number ``first``…``last`` of a bench employer, each with a login, in one
    INSERT … SELECT generate_series on the server (a million ORM objects would take many minutes).
    Benchmark setup, not the roster path, which has a benchmark of its own."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    params = {"password": make_password(None), "first": first, "last": last, "employer": employer_id,
              "departments": list(departments), "cut": len(numbering["username"]) + 1, **numbering}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "WITH u AS ("  # noqa: S608 (the role expression is a constant of this module)
            " INSERT INTO orgs_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            "  is_active, date_joined, full_name)"
            " SELECT %(password)s, false, %(username)s || lpad(n::text, 7, '0'), '', '', '', false, true, now(),"
            "  %(name)s || lpad(n::text, 7, '0')"
            " FROM generate_series(%(first)s::int, %(last)s::int) AS n RETURNING id, username, full_name) "
            "INSERT INTO orgs_worker (code, name, id_number, phone, post, post_role, hire_date, is_active, created_at,"
            " updated_at, department_id, employer_id, user_id) "
            "SELECT %(code)s || lpad(n::text, 9, '0'), full_name, %(id_number)s || lpad(n::text, 15, '0'),"
            f" %(phone)s || lpad(n::text, 8, '0'), CASE WHEN {_ROLE_SQL} = 'exposed' THEN '操作工' ELSE '管理' END,"
            f" {_ROLE_SQL}, date '2012-01-01' + n %% 3650, true, now(), now(),"
            " CASE WHEN cardinality(%(departments)s::bigint[]) > 0"
            "  THEN (%(departments)s::bigint[])[1 + n %% greatest(cardinality(%(departments)s::bigint[]), 1)] END,"
            " %(employer)s, id "
            "FROM (SELECT id, full_name, substr(username, %(cut)s)::int AS n FROM u) AS made",
            params)
        return cursor.rowcount


def employers_clean(credit_prefix: str) -> dict[str, int]:
    """Delete the bench employers whose credit code starts with ``credit_prefix`` and everything a
    run made for their workers, in plain SQL (the ORM's delete() would load every row to cascade
    in Python), then VACUUM ANALYZE so the next run does not wade through dead rows."""
    from django.db import connection, transaction

    from orgs.models import Department, Employer

    employers = list(Employer.objects.filter(credit_code__startswith=credit_prefix).values_list("pk", flat=True))
    if not employers:
        return {"employers": 0, "workers": 0}
    workers = "SELECT id FROM orgs_worker WHERE employer_id = ANY(%(employers)s)"
    params = {"employers": employers}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM learning_studyday WHERE worker_id IN ({workers})", params)  # noqa: S608
        cursor.execute(f"DELETE FROM exams_attempt WHERE worker_id IN ({workers})", params)  # noqa: S608
        cursor.execute("DELETE FROM learning_trainingassignment WHERE employer_id = ANY(%(employers)s) "  # noqa: S608
                       f"OR worker_id IN ({workers})", params)
        cursor.execute(f"DELETE FROM orgs_worker_exposures WHERE worker_id IN ({workers})", params)  # noqa: S608
        # Logins before their workers: the foreign key is only checked at commit.
        cursor.execute("DELETE FROM orgs_user WHERE id IN "
                       "(SELECT user_id FROM orgs_worker WHERE employer_id = ANY(%(employers)s))", params)
        cursor.execute("DELETE FROM orgs_worker WHERE employer_id = ANY(%(employers)s)", params)
        deleted = cursor.rowcount
        Department.objects.filter(employer_id__in=employers).delete()
        Employer.objects.filter(pk__in=employers).delete()
    vacuum("learning_studyday", "exams_attempt", "learning_trainingassignment", "orgs_worker", "orgs_user")
    return {"employers": len(employers), "workers": deleted}


def vacuum(*tables: str) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")


def bench_employer(body: str, name: str) -> Any:
    from orgs.idnumbers import uscc_make
    from orgs.services import employer_create

    return employer_create(actor=None, name=name, credit_code=uscc_make("91", EMPLOYER_REGION, body),
                           region_code=EMPLOYER_REGION, industry_code="06", size_class="large")


# --------------------------------------------------------------------------- children (Django)

def _courses() -> list[Any]:
    """Three published bench courses under the catalogue (made if the bench database has none):
    the programmes count the first two."""
    from wagtail.models import Site

    from cms.models import HomePage
    from learning.models import CourseIndexPage, CoursePage

    index = CourseIndexPage.objects.first()
    if index is None:
        home = Site.objects.get(is_default_site=True).root_page.specific
        if not isinstance(home, HomePage):
            home = HomePage.objects.first() or home
        index = CourseIndexPage(title="培训课程", slug="courses")
        home.add_child(instance=index)
        index.save_revision().publish()
    courses = []
    for number in range(3):
        course = CoursePage(title=f"{COURSE_TITLE}{number + 1}", slug=f"{COURSE_SLUG}-{number + 1}",
                            summary="培训合规基准测试用课程，测试结束即删除。",
                            audience_roles=["principal", "manager", "exposed"])
        index.add_child(instance=course)
        course.save_revision().publish()
        courses.append(course)
    return courses


def _programmes(courses: list[Any], exam: Any) -> dict[tuple[str, str], Any]:
    """Copies of the statutory programmes, counting ``courses`` and closed by ``exam``: the
    shipped ones stay as they are, and with auto_assign off no rule sets cycles of these."""
    from learning.models import Programme

    statutory = list(Programme.objects.filter(statutory=True).order_by("position"))
    if len(statutory) < 7:
        raise SystemExit(f"{len(statutory)} statutory programmes in the bench database, 7 expected")
    made = {}
    for programme in statutory:
        copy = Programme.objects.create(
            code=f"{PROGRAMME_PREFIX}{programme.code}", name=f"{programme.name}（基准）"[:80], role=programme.role,
            kind=programme.kind, required_hours=programme.required_hours, due_days=programme.due_days,
            auto_assign=False, legal_basis=programme.legal_basis, exam=exam, position=programme.position)
        copy.courses.set(courses)
        made[(copy.role, copy.kind)] = copy
    return made


def _exam() -> Any:
    from django.utils import timezone

    from exams.models import Exam

    now = timezone.now()
    return Exam.objects.create(title=EXAM_TITLE, status=Exam.Status.PUBLISHED, opens_at=now - dt.timedelta(days=400),
                               closes_at=now + dt.timedelta(days=60), certifies=False)


def _setup(count: int) -> dict[str, Any]:
    from django.conf import settings
    from django.utils import timezone

    from learning.services.compliance import today_local
    from orgs.models import Department, Worker

    _clean()
    started = time.perf_counter()
    today = today_local()
    year = today.year
    employer = bench_employer(EMPLOYER_BODY, EMPLOYER_NAME)
    departments = Department.objects.bulk_create([Department(employer=employer, name=name) for name in DEPARTMENTS])
    workers_insert(employer.pk, 1, count, NUMBERING, [department.pk for department in departments])
    courses = _courses()
    exam = _exam()
    programmes = _programmes(courses[:2], exam)
    people = list(Worker.objects.filter(employer=employer).order_by("pk").values_list("pk", "code", "post_role"))
    generated = _generate(people, programmes, courses, year, today)
    zone = timezone.get_default_timezone() if settings.USE_TZ else None
    counts = _write(employer, exam, generated, zone)
    vacuum("learning_trainingassignment", "learning_studyday", "exams_attempt", "orgs_worker", "orgs_user")
    return {"today": today.isoformat(), "year": year, "workers": len(people), **counts,
            "expected": generated["expected"], "seconds": round(time.perf_counter() - started, 1)}


def _generate(people: list[tuple[int, str, str]], programmes: dict[tuple[str, str], Any], courses: list[Any],
              year: int, today: dt.date) -> dict[str, Any]:
    """Each worker's cycles, study days and attempts, and what the compliance rules make of them
    (worked out here on their own, to check the summary with)."""
    rng = random.Random(SEED)
    january, december = dt.date(year, 1, 1), dt.date(year, 12, 31)
    span = max((min(today, december) - january).days, 0)  # days of this year so far
    counted = {course.pk for course in courses[:2]}
    cycles, days, attempts = [], [], []
    statuses: dict[int, list[str]] = defaultdict(list)
    for number, (worker_id, _code, role) in enumerate(people, start=1):
        first_kind = "pre_job" if role == "exposed" else "initial"
        mine = []
        if number % 5 == 1:  # new in post this year: only the first cycle
            mine.append(programmes[(role, first_kind)])
        else:
            mine.append(programmes[(role, "annual")])
            if role == "exposed" and number % 5 == 2:  # a change of post: re-training too
                mine.append(programmes[(role, "retraining")])
        worker_cycles = []
        for programme in mine:
            if programme.kind == "annual":
                starts, ends, due = january, december, december
            else:
                starts = january + dt.timedelta(days=rng.randint(0, span))
                ends, due = None, min(starts + dt.timedelta(days=programme.due_days), december)
            worker_cycles.append((programme, starts, ends, due))
        picked = rng.sample(range(span + 1), min(rng.randint(3, 10), span + 1))
        worker_days = [(courses[2].pk if rng.random() < 0.125 else courses[rng.randrange(2)].pk,
                        january + dt.timedelta(days=offset), rng.randint(900, 5400)) for offset in picked]
        draw = rng.random()
        worker_attempts = []
        if draw < 0.8:
            worker_attempts.append((january + dt.timedelta(days=rng.randint(0, span)), draw < 0.65))
        for programme, starts, ends, due in worker_cycles:
            end = ends or today
            seconds = sum(s for course, day, s in worker_days if course in counted and starts <= day <= end)
            passed = any(ok and starts <= day <= end for day, ok in worker_attempts)
            met = seconds >= programme.required_seconds and passed
            statuses[worker_id].append("met" if met else "overdue" if due < today else "due")
            cycles.append((worker_id, programme, starts, ends, due))
        days += [(worker_id, course, day, seconds) for course, day, seconds in worker_days]
        attempts += [(worker_id, day, ok) for day, ok in worker_attempts]
    expected = {"workers": len(statuses), "met": 0, "due": 0, "overdue": 0, "cycles": len(cycles), "cycles_met": 0}
    for worker_statuses in statuses.values():
        worst = "overdue" if "overdue" in worker_statuses else "due" if "due" in worker_statuses else "met"
        expected[worst] += 1
        expected["cycles_met"] += worker_statuses.count("met")
    return {"cycles": cycles, "days": days, "attempts": attempts, "expected": expected}


def _write(employer: Any, exam: Any, generated: dict[str, Any], zone: Any) -> dict[str, int]:
    from decimal import Decimal

    from django.db import transaction

    from exams.models import Attempt, AttemptMode
    from learning.models import AssignmentSource, StudyDay, TrainingAssignment

    with transaction.atomic():
        TrainingAssignment.objects.bulk_create([
            TrainingAssignment(worker_id=worker_id, employer=employer, programme=programme, role=programme.role,
                               starts_on=starts, due_on=due, ends_on=ends,
                               source=AssignmentSource.ROLLOVER if programme.kind == "annual" else AssignmentSource.HIRE)
            for worker_id, programme, starts, ends, due in generated["cycles"]], batch_size=CHUNK)
        StudyDay.objects.bulk_create([
            StudyDay(worker_id=worker_id, course_id=course, day=day, seconds=seconds)
            for worker_id, course, day, seconds in generated["days"]], batch_size=CHUNK)
        rows = []
        for worker_id, day, passed in generated["attempts"]:
            # Mid-morning where the training is owed, so the graded day is that day in local time.
            graded = dt.datetime.combine(day, dt.time(10, 0), tzinfo=zone)
            score = Decimal("86") if passed else Decimal("42")
            rows.append(Attempt(mode=AttemptMode.EXAM, exam=exam, worker_id=worker_id, employer=employer,
                                status=Attempt.Status.GRADED, number=1, started_at=graded - dt.timedelta(minutes=40),
                                deadline=graded + dt.timedelta(minutes=20), graded_at=graded, score=score,
                                max_score=Decimal("100"), percent=float(score), passed=passed))
        Attempt.objects.bulk_create(rows, batch_size=CHUNK)
    return {"cycles": len(generated["cycles"]), "study_days": len(generated["days"]),
            "attempts": len(generated["attempts"]), "passed": sum(ok for _w, _d, ok in generated["attempts"])}


def _measure(runs: int, today: dt.date) -> dict[str, Any]:
    from django.db import connection

    from learning.models import TrainingAssignment
    from learning.training_reports import employer_summary
    from orgs.models import Employer

    employer = Employer.objects.get(credit_code__startswith=CREDIT_PREFIX)
    year = today.year
    january, december = dt.date(year, 1, 1), dt.date(year, 12, 31)

    def reference() -> int:
        return TrainingAssignment.objects.filter(employer=employer, due_on__range=(january, december)).count()

    queries: list[str] = []

    def count_queries(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # Warm-up (code paths, the buffer cache), counting the statements ours sends.
    with connection.execute_wrapper(count_queries):
        summary = employer_summary(employer, year, today=today)
    counted = reference()
    ours_seconds, reference_seconds = [], []
    for _number in range(runs):
        started = time.perf_counter()
        summary = employer_summary(employer, year, today=today)
        ours_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        counted = reference()
        reference_seconds.append(time.perf_counter() - started)
    # For information: the same with PostgreSQL's JIT off for the session. The statement's estimated
    # cost is far above jit_above_cost, so by default every call compiles it first (about a second).
    jit_off: list[float] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        for _number in range(runs):
            started = time.perf_counter()
            employer_summary(employer, year, today=today)
            jit_off.append(time.perf_counter() - started)
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    return {"ours": ours_seconds, "reference": reference_seconds, "counted": counted, "queries": len(queries),
            "ours_jit_off": jit_off,
            "total": summary.total.as_dict(), "roles": {role: tally.as_dict() for role, tally in summary.by_role.items()},
            "departments": len(summary.by_department), "programmes": len(summary.by_programme)}


def _clean() -> dict[str, Any]:
    from exams.models import Attempt, Exam
    from learning.models import CoursePage, Programme, StudyDay

    result = employers_clean(CREDIT_PREFIX)
    courses = list(CoursePage.objects.filter(slug__startswith=COURSE_SLUG))
    # Study days of the bench courses left by anyone else (none in a run that finished).
    StudyDay.objects.filter(course__in=courses).delete()
    Programme.courses.through.objects.filter(programme__code__startswith=PROGRAMME_PREFIX).delete()
    Programme.objects.filter(code__startswith=PROGRAMME_PREFIX).delete()
    Attempt.objects.filter(exam__title=EXAM_TITLE).delete()
    Exam.objects.filter(title=EXAM_TITLE).delete()
    for course in courses:
        course.delete()
    return {**result, "courses": len(courses)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.training_compliance")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup")
    setup.add_argument("--workers", type=int, required=True)
    measure = commands.add_parser("measure")
    measure.add_argument("--runs", type=int, required=True)
    measure.add_argument("--today", type=dt.date.fromisoformat, required=True)
    commands.add_parser("clean")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.command == "setup":
        result = _setup(args.workers)
    elif args.command == "measure":
        result = _measure(args.runs, args.today)
    else:
        result = _clean()
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
