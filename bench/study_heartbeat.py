"""study_heartbeat: lesson-page heartbeats sustained per second at p95 < 100 ms, ÷ a bare Django
view's requests per second, in the same run; and whether the issue's load holds: 10,000 learners
at one heartbeat a minute (≈ 170 requests/s) with p95 < 100 ms and no errors.

Ours: POST /api/v1/learning/heartbeats/ with one live beat each, as static/learning/study.js sends
it: session cookie + CSRF (the csrftoken cookie and the same secret in X-CSRFToken), JSON
{"beats": [{"lesson", "session", "seq", "at", "active", "visible"}]}; the server locks the
learner's study device, records the Heartbeat, credits the time since the previous beat and adds it
to the 学时 ledger, all in one transaction (learning.services.study). The learners are N workers of
a bench employer, each signed in (a session row with the auth keys and the study device token
login() would leave) and enrolled in one course of one lesson whose credited minutes are a day, so
no beat meets the lesson cap. Each learner has one page view open (one study session), opened by a
first pass over all of them (its "start" beat credits nothing, as on a phone); after that every
beat is a continuation of its session.

The load, on one gunicorn (bench/server.py: WORKERS sync workers, production settings):

- closed-loop levels of CLIENTS processes, each cycling through its share of the learners, so each
  learner beats every N ÷ rate seconds; the figure is the highest rate whose p95 stays under
  100 ms with no error;
- a paced level at the issue's rate (N ÷ 60 per second for 10,000 learners: each learner once a
  minute) for PACED seconds, open loop (a request late because the one before it was slow counts
  from when it was due), which says whether the goal holds.

STUDY_GAP_SECONDS is raised for the server (GAP_SECONDS), so a learner whose turn comes round
after more than 75 s — every one of them at the lower levels — is still credited: the crediting
path is what is measured, and the share of beats credited is reported. Reference: GET /bench/bare/
through every middleware on the same gunicorn with the same generator as the other HTTP benchmarks
(bench/loadgen.py, or wrk).

Child commands (bench database, bench/settings.py): `python -m bench.study_heartbeat setup
--learners N --out FILE` (workers and logins kept between runs; course, enrolments, sessions made
fresh), `count` (what was stored, and whether the ledger agrees with the credited beats) and
`clean` (the bench course with every heartbeat, session, progress, ledger row and enrolment of it,
and the bench sessions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import BenchError, Row, percentile, run_child
from bench.loadgen import load
from bench.server import WORKERS, check, served, server_env

NAME = "study_heartbeat"
GOAL_MS = 100.0
GOAL_LEARNERS = 10_000
GOAL_RATE = GOAL_LEARNERS / 60  # one heartbeat a minute each: 166.7/s, the "≈ 170 requests/s"
GOAL = "beats/s at p95 < 100 ms ÷ bare view req/s; 10,000 learners at 1/min (≈ 170/s) p95 < 100 ms"
# Longer than any learner waits for their turn at the slowest level (see the module docstring).
GAP_SECONDS = 3600
PATH = "/api/v1/learning/heartbeats/"
REQUEST_TIMEOUT = 30.0

EMPLOYER_NAME = "学时基准单位"
EMPLOYER_BODY = "LEARNBEAT"  # the credit code's 9-character body; no I, O, S, V or Z in it
EMPLOYER_REGION = "320303"
ID_REGION = "320324"  # 睢宁县: no demo employer and no other benchmark numbers its workers there
USERNAME_PREFIX = "studybench"
PHONE_PREFIX = "195"  # the demo draws 135…187, roster_import 199/198, exams 197, certificates 196
SESSION_PREFIX = "bstudy"  # Django session keys: 32 characters of [a-z0-9]
COURSE_SLUG = "bench-study-heartbeat"
COURSE_TITLE = "基准测试课程（学习心跳）"
LESSON_SLUG = "beat"
LESSON_MINUTES = 24 * 60  # a day: no beat of a run meets the lesson's cap
CHUNK = 2000


@dataclass(frozen=True)
class Size:
    learners: int
    seconds: float          # per closed-loop level
    levels: tuple[int, ...]
    paced_seconds: float
    paced_clients: int
    bare_seconds: float
    warm_clients: int


FULL = Size(learners=GOAL_LEARNERS, seconds=10.0, levels=(1, 2, 4, 8), paced_seconds=60.0, paced_clients=8,
            bare_seconds=10.0, warm_clients=4)
# Enough learners that, at the smoke's rates, no one beats twice within a second (a beat less than
# a whole second after the previous one credits 0 s, which the smoke would read as a failure).
QUICK = Size(learners=500, seconds=1.0, levels=(2,), paced_seconds=1.0, paced_clients=2, bare_seconds=1.0,
             warm_clients=2)


def run(*, quick: bool, database_url: str) -> Row:
    size = QUICK if quick else FULL
    env = server_env(database_url)
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-study-heartbeat-") as tmp:
        plan_file = Path(tmp) / "learners.json"
        made = run_child(["-m", "bench.study_heartbeat", "setup", "--learners", str(size.learners), "--out",
                          str(plan_file)], env, timeout=1800)
        plan: dict[str, Any] = json.loads(plan_file.read_text(encoding="utf-8"))
        try:
            with served(database_url, "bench-study-heartbeat-", STUDY_GAP_SECONDS=str(GAP_SECONDS)) as base:
                check(f"{base}/bench/bare/", b"ok")
                url = f"{base}{PATH}"
                # Every learner's page opens its study session (a "start" beat): also the warm-up.
                opened = beat_load(url, plan, clients=size.warm_clients, seconds=None)
                _require(opened, "opening the learners' sessions")
                if opened["reasons"].get("start", 0) != size.learners:
                    raise BenchError(f"{size.learners} sessions to open, answers: {opened['reasons']}")
                levels = []
                for clients in size.levels:
                    result = beat_load(url, plan, clients=clients, seconds=size.seconds)
                    _require(result, f"{clients} client(s)")
                    levels.append(result)
                paced = beat_load(url, plan, clients=size.paced_clients, seconds=size.paced_seconds, rate=GOAL_RATE)
                _require(paced, "the paced level")
                bare = load(f"{base}/bench/bare/", seconds=size.bare_seconds)
                if bare.bad or bare.errors:
                    raise BenchError("the bare view failed under load")
                stored = run_child(["-m", "bench.study_heartbeat", "count"], env, timeout=600)
        finally:
            run_child(["-m", "bench.study_heartbeat", "clean"], env, timeout=1800)
    return _row(size, made, opened, levels, paced, bare.requests_per_s, bare.tool, stored, load_average)


def _require(result: dict[str, Any], what: str) -> None:
    """An answer outside the contract (not 200 with one result) fails the benchmark: a fast
    refusal would flatter the figure. Connection errors and timeouts only disqualify a level."""
    if result["bad"]:
        raise BenchError(f"{what}: {result['bad']} heartbeats answered outside the contract: {result['samples']}")


def _row(size: Size, made: dict[str, Any], opened: dict[str, Any], levels: list[dict[str, Any]],
         paced: dict[str, Any], bare_rate: float, tool: str, stored: dict[str, Any], load_average: float) -> Row:
    within = [level for level in levels if level["p95_ms"] < GOAL_MS and not level["errors"]]
    best = max(within, key=lambda level: level["per_s"]) if within else None
    ours = best["per_s"] if best else 0.0
    measured = [*levels, paced]
    ok = sum(level["ok"] for level in measured)
    credited_share = sum(level["credited"] for level in measured) / ok if ok else 0.0
    paced_holds = (paced["p95_ms"] < GOAL_MS and not paced["errors"] and paced["per_s"] >= 0.97 * paced["rate"])
    shown = "; ".join(f"{level['clients']} client(s): {level['per_s']:,.0f}/s p95 {level['p95_ms']:,.0f} ms"
                      + (f" {level['errors']} errors" if level["errors"] else "") for level in levels)
    note = (f"{size.learners:,} signed-in learners, one live beat per POST (session + CSRF), closed loop "
            f"({size.seconds:g} s per level): {shown}; paced at {paced['rate']:,.0f}/s for {size.paced_seconds:g} s "
            f"({paced['clients']} clients, open loop): {paced['per_s']:,.0f}/s p95 {paced['p95_ms']:,.0f} ms, "
            f"{paced['errors']} errors — {'holds' if paced_holds else 'does not hold'}; {credited_share:.0%} of beats "
            f"credited; {stored['heartbeats']:,} heartbeats stored, ledger "
            f"{'agrees' if stored['ledger_agrees'] else 'DISAGREES'} with them; reference GET /bench/bare/ ({tool}, "
            f"{size.bare_seconds:g} s): {bare_rate:,.0f} req/s; gunicorn {WORKERS} sync workers, production settings, "
            f"STUDY_GAP_SECONDS={GAP_SECONDS}; load average at start {load_average:.2f}")
    return Row(
        name=NAME, ours=f"{ours:,.0f} beats/s" + (f" ({best['clients']} clients)" if best else ""),
        reference=f"{bare_rate:,.0f} req/s (bare view)", ratio=ours / bare_rate if bare_rate and best else None,
        goal=GOAL, holds=paced_holds, note=note,
        details={"learners": size.learners, "setup": made, "opened": _brief(opened), "levels": levels,
                 "paced": paced, "bare_req_per_s": bare_rate, "stored": stored, "workers": WORKERS,
                 "sustained_per_s": ours, "credited_share": round(credited_share, 4), "goal_rate": GOAL_RATE,
                 "paced_holds": paced_holds, "gap_seconds": GAP_SECONDS},
    )


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result[key] for key in ("clients", "ok", "bad", "errors", "seconds", "p95_ms", "reasons")}


# -- the beating clients ---------------------------------------------------------------------------

def beat_load(url: str, plan: dict[str, Any], *, clients: int, seconds: float | None,
              rate: float | None = None) -> dict[str, Any]:
    """``clients`` processes, each with its share of the learners (learners[i::clients]), cycling
    through them for ``seconds`` (None: one pass over every learner, then stop). ``rate``: paced,
    the clients together sending that many beats a second on a fixed schedule."""
    parts = urlsplit(url)
    learners = plan["learners"]
    if len(learners) < clients:
        raise BenchError("fewer learners than clients")
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=clients, mp_context=context) as pool:
        start_at = time.time() + 1.0 + 0.2 * clients
        futures = [pool.submit(_client, parts.hostname or "127.0.0.1", parts.port or 80, parts.path,
                               plan["cookie_names"], plan["lesson"], plan["seq_epoch"], learners[index::clients],
                               start_at, seconds, rate / clients if rate else None)
                   for index in range(clients)]
        results = [future.result() for future in futures]
    window = seconds if seconds is not None else max(result["elapsed"] for result in results)
    latencies = [value for result in results for value in result["latencies_ms"]]
    ok = sum(result["ok"] for result in results)
    reasons: Counter[str] = Counter()
    for result in results:
        reasons.update(result["reasons"])
    return {
        "clients": clients, "seconds": round(window, 2), "rate": rate, "sent": len(latencies) + sum(
            result["errors"] for result in results),
        "ok": ok, "bad": sum(result["bad"] for result in results), "errors": sum(result["errors"] for result in results),
        "credited": sum(result["credited"] for result in results), "reasons": dict(reasons),
        "per_s": ok / window if window else 0.0,
        "p50_ms": percentile(latencies, 0.5) if latencies else float("inf"),
        "p95_ms": percentile(latencies, 0.95) if latencies else float("inf"),
        "p99_ms": percentile(latencies, 0.99) if latencies else float("inf"),
        "samples": [sample for result in results for sample in result["samples"]][:3],
        "wall_seconds": round(time.monotonic() - started, 1),
    }


def _client(host: str, port: int, path: str, cookie_names: dict[str, str], lesson: int, seq_epoch: float,
            learners: list[list[str]], start_at: float, seconds: float | None,
            rate: float | None) -> dict[str, Any]:
    ok = bad = errors = credited = 0
    latencies: list[float] = []
    samples: list[str] = []
    reasons: Counter[str] = Counter()
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    time.sleep(max(0.0, start_at - time.time()))
    end = start_at + seconds if seconds is not None else float("inf")
    turn = 0
    while time.time() < end and (seconds is not None or turn < len(learners)):
        session, csrf, page = learners[turn % len(learners)]
        due = start_at + turn / rate if rate else None
        turn += 1
        if due is not None:
            if due >= end:
                break
            time.sleep(max(0.0, due - time.time()))
        # seq: milliseconds since setup, so it only ever grows for a page, across levels too.
        body = json.dumps({"beats": [{
            "lesson": lesson, "session": page, "seq": int((time.time() - seq_epoch) * 1000),
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "active": True, "visible": True,
        }]})
        headers = {"Host": f"{host}:{port}", "Content-Type": "application/json", "Accept": "application/json",
                   "Cookie": f"{cookie_names['session']}={session}; {cookie_names['csrf']}={csrf}",
                   "X-CSRFToken": csrf}
        started = time.perf_counter()
        # Open loop: a beat sent late because the one before it was slow counts from when it was due.
        lateness = max(0.0, time.time() - due) if due is not None else 0.0
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read()
            latencies.append((time.perf_counter() - started + lateness) * 1000)
            answer = _answer(response.status, text)
            if answer is None:
                bad += 1
                if len(samples) < 3:
                    samples.append(f"{response.status} {text[:300]!r}")
            else:
                ok += 1
                reasons[answer["reason"] or "credited"] += 1
                credited += int(answer["credited"] > 0)
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            errors += 1
            if len(samples) < 3:
                samples.append(repr(exc))
            connection.close()
    connection.close()
    return {"ok": ok, "bad": bad, "errors": errors, "credited": credited, "latencies_ms": latencies,
            "samples": samples, "reasons": dict(reasons), "elapsed": time.time() - start_at}


def _answer(status: int, text: bytes) -> dict[str, Any] | None:
    """The one result of a 200 answer, or None for anything outside the contract."""
    if status != 200:
        return None
    try:
        results = json.loads(text)["results"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(results, list) or len(results) != 1 or not isinstance(results[0], dict):
        return None
    return results[0]


# -- child commands, in the bench database -------------------------------------------------------

def _setup(learners: int, out: Path) -> dict[str, Any]:
    from django.conf import settings

    started = time.monotonic()
    _clean()
    employer = _employer()
    created = _workers(employer, learners)
    lesson = _course()
    people = _learners(employer, learners, lesson)
    out.write_text(json.dumps({
        "cookie_names": {"session": settings.SESSION_COOKIE_NAME, "csrf": settings.CSRF_COOKIE_NAME},
        "lesson": lesson.pk, "seq_epoch": time.time(), "learners": people,
    }), encoding="utf-8")
    return {"learners": len(people), "workers_created": created, "lesson": lesson.pk,
            "seconds": round(time.monotonic() - started, 1)}


def _employer() -> Any:
    from orgs.idnumbers import uscc_make
    from orgs.models import Employer
    from orgs.services import employer_create

    credit_code = uscc_make("91", EMPLOYER_REGION, EMPLOYER_BODY)
    employer = Employer.objects.filter(credit_code=credit_code).first()
    if employer is None:
        employer = employer_create(actor=None, name=EMPLOYER_NAME, credit_code=credit_code,
                                   region_code=EMPLOYER_REGION, industry_code="06", size_class="large")
    return employer


def _workers(employer: Any, wanted: int) -> int:
    """Top the bench employer up to ``wanted`` exposed workers with logins, in bulk (benchmark
    setup, not the roster path: the roster import has a benchmark of its own)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from orgs.idnumbers import id_number_make
    from orgs.models import PostRole, User, Worker

    have = Worker.objects.filter(employer=employer).count()
    if have >= wanted:
        return 0
    taken = set(Worker.objects.filter(id_number__startswith=ID_REGION).values_list("id_number", flat=True))
    usernames = set(User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", flat=True))
    unusable = make_password(None)  # never signs in with a password: the sessions are made directly
    fresh: list[tuple[int, str]] = []
    index = 0
    while len(fresh) < wanted - have:
        # Birth dates a day apart and 1,000 sequence numbers each: unique, valid GB 11643 numbers.
        id_number = id_number_make(ID_REGION, dt.date(1970, 1, 1) + dt.timedelta(days=index // 1000), index % 1000)
        if id_number not in taken and f"{USERNAME_PREFIX}{index:05d}" not in usernames:
            fresh.append((index, id_number))
        index += 1
    for start in range(0, len(fresh), CHUNK):
        chunk = fresh[start:start + CHUNK]
        with transaction.atomic():
            users = User.objects.bulk_create([
                User(username=f"{USERNAME_PREFIX}{number:05d}", full_name=f"学员{number:05d}", password=unusable)
                for number, _id_number in chunk])
            Worker.objects.bulk_create([
                Worker(user=user, employer=employer, name=user.full_name, id_number=id_number,
                       phone=f"{PHONE_PREFIX}{number:08d}", post="操作工", post_role=PostRole.EXPOSED)
                for user, (number, id_number) in zip(users, chunk, strict=True)])
    return len(fresh)


def _course() -> Any:
    """A fresh bench course of one reading lesson, published like any course, under the catalogue
    (made if the bench database has none)."""
    from wagtail.models import Site

    from cms.models import HomePage
    from learning.models import CourseIndexPage, CoursePage, LessonPage

    index = CourseIndexPage.objects.first()
    if index is None:
        home = Site.objects.get(is_default_site=True).root_page.specific
        if not isinstance(home, HomePage):
            home = HomePage.objects.first() or home
        index = CourseIndexPage(title="培训课程", slug="courses")
        home.add_child(instance=index)
        index.save_revision().publish()
    course = CoursePage(title=COURSE_TITLE, slug=COURSE_SLUG, summary="学习心跳基准测试用课程，测试结束即删除。",
                        audience_roles=["exposed"])
    index.add_child(instance=course)
    course.save_revision().publish()
    body = [{"type": "paragraph", "value": "<p>基准测试课时：页面每 30 秒发送一次学习心跳。</p>"}]
    lesson = LessonPage(title="基准测试课时", slug=LESSON_SLUG, credited_minutes=LESSON_MINUTES,
                        body=json.dumps(body, ensure_ascii=False))
    course.add_child(instance=lesson)
    lesson.save_revision().publish()
    return lesson


def _learners(employer: Any, count: int, lesson: Any) -> list[list[str]]:
    """Enrol the first ``count`` bench workers in the bench course and sign each in: a session row
    with the auth keys login() would write and the study device token the login signal would
    issue (and its StudyDevice row), plus a CSRF secret. Returns [session key, CSRF secret, page
    key] per learner: the page key names the lesson page's study session."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from core.models import UserSession as Session
    from core.sessions import SessionStore
    from learning.models import Enrolment, StudyDevice
    from learning.services.study import DEVICE_SESSION_KEY
    from orgs.models import Worker

    course = lesson.get_parent().specific
    workers = list(Worker.objects.filter(employer=employer).select_related("user").order_by("pk")[:count])
    if len(workers) < count:
        raise SystemExit(f"{len(workers)} bench workers, {count} wanted")
    now = timezone.now()
    store = SessionStore()
    expires = now + dt.timedelta(days=1)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    sessions, devices, enrolments, people = [], [], [], []
    for number, worker in enumerate(workers):
        user = worker.user
        token = get_random_string(32, "0123456789abcdef")
        key = SESSION_PREFIX + get_random_string(32 - len(SESSION_PREFIX), alphabet)
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "core.auth.UserBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(), DEVICE_SESSION_KEY: token}
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires, user_id=user.pk))
        devices.append(StudyDevice(user=user, token=token, since=now, user_agent="bench"))
        enrolments.append(Enrolment(worker=worker, course=course, source=Enrolment.Source.ASSIGNED, enrolled_at=now,
                                    lessons_total=1))
        people.append([key, get_random_string(32), f"bench-page-{number:05d}-{get_random_string(8)}"])
    with transaction.atomic():
        StudyDevice.objects.filter(user__in=[worker.user for worker in workers]).delete()
        StudyDevice.objects.bulk_create(devices, batch_size=CHUNK)
        Session.objects.bulk_create(sessions, batch_size=CHUNK)
        Enrolment.objects.bulk_create(enrolments, batch_size=CHUNK)
    return people


def _bench_courses() -> Any:
    from learning.models import CoursePage

    return CoursePage.objects.filter(slug=COURSE_SLUG)


def _count() -> dict[str, Any]:
    from django.db.models import Count, Sum

    from learning.models import Heartbeat, StudyHours, StudySession

    courses = _bench_courses()
    beats = Heartbeat.objects.filter(session__enrolment__course__in=courses)
    credited = beats.aggregate(total=Sum("credited_seconds"))["total"] or 0
    ledger = StudyHours.objects.filter(course__in=courses).aggregate(total=Sum("seconds"))["total"] or 0
    reasons = dict(beats.values_list("reason").annotate(n=Count("pk")).order_by())
    return {"heartbeats": beats.count(), "sessions": StudySession.objects.filter(enrolment__course__in=courses).count(),
            "credited_seconds": credited, "ledger_seconds": ledger, "ledger_agrees": credited == ledger,
            "reasons": {reason or "credited": number for reason, number in reasons.items()}}


def _clean() -> dict[str, Any]:
    """The bench course goes with every learner record of it (heartbeats are evidence in the
    product, never deleted by a service; these are a benchmark's), and the bench sessions."""
    from django.db import connection, transaction
    from django.db.models import Q

    from core.models import UserSession as Session
    from learning.models import Enrolment, Heartbeat, LessonPage, LessonProgress, StudyDay, StudyHours, StudySession

    courses = list(_bench_courses())
    deleted = 0
    with transaction.atomic():
        for course in courses:
            lessons = LessonPage.objects.child_of(course)
            deleted += Heartbeat.objects.filter(Q(lesson__in=lessons) | Q(session__enrolment__course=course)).delete()[0]
            StudySession.objects.filter(enrolment__course=course).delete()
            LessonProgress.objects.filter(enrolment__course=course).delete()
            StudyHours.objects.filter(course=course).delete()
            StudyDay.objects.filter(course=course).delete()
            Enrolment.objects.filter(course=course).delete()
            course.delete()
        Session.objects.filter(session_key__startswith=SESSION_PREFIX).delete()
    if connection.vendor == "postgresql" and deleted:
        with connection.cursor() as cursor:
            for model in (Heartbeat, StudySession, LessonProgress, Enrolment, Session):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return {"courses": len(courses), "heartbeats": deleted}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.study_heartbeat")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup")
    setup.add_argument("--learners", type=int, required=True)
    setup.add_argument("--out", type=Path, required=True)
    commands.add_parser("count")
    commands.add_parser("clean")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.command == "setup":
        result = _setup(args.learners, args.out)
    elif args.command == "count":
        result = _count()
    else:
        result = _clean()
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
