"""What exam_campaign and exam_surge share: the examinees, their exams, and the simulated phones.

Two halves, each run as a child process that prints one JSON object on its last line:

- the database side, with Django set up (`bench/settings.py` on the bench database):
  - `population --workers N --out FILE`: the bench employer (考试基准单位) with at least N workers
    and their logins (inserted in bulk: benchmark setup, not the roster path), a bank of
    BANK_SIZE questions in the category BANK_CATEGORY saved through `question_save`, and a signed-in
    session for each of the first N workers, made directly as rows of Django's session table with
    the auth keys `login()` would write, plus a CSRF secret per worker. So signing in is not what
    is measured. FILE gets the session and CSRF cookies; workers and bank are kept between runs.
  - `exam --workers N [--ahead] --label L`: a fresh published exam with the 20-question blueprint
    (BLUEPRINT) over that bank, assigned to the first N workers; `--ahead` draws their papers
    through the product's own path (`papers_prepare_start` + `papers_prepare`, as the job does when
    a window opens) and times it.
  - `clean`: delete every bench exam with its attempts, and the result notifications they sent.
- the HTTP side, without Django (`drive PLAN`): asyncio examinees speaking the exam pages' HTTP
  contract, one new connection per request (gunicorn's sync workers close after every response):

  POST /exams/<exam>/start/                  → 302 to /exams/attempts/<attempt>/
  GET  /exams/attempts/<attempt>/            → 200, HTML with data-device="…" data-positions="1,2,…"
  POST /exams/attempts/<attempt>/answer/     → 200, JSON {"ok": true, …}; body {"device", "position", "response"}
  POST /exams/attempts/<attempt>/submit/     → 302 to the result page, /exams/attempts/<attempt>/result/

  CSRF stays on, as in production: every POST carries the csrftoken cookie and the same secret in
  X-CSRFToken (and the form field). Modes: `campaign` (arrive over a ramp, answer every question
  with think time, submit), `surge` (arrive over a window, start and load the first question) and
  `hammer` (closed-loop answer saves against the bare view, for requests per second). The driver
  reports its own CPU time, so that whether it could have been the bottleneck is measured, not
  assumed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import random
import re
import resource
import socket
import string
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

EMPLOYER_NAME = "考试基准单位"
EMPLOYER_BODY = "EXAMBENCH"  # the credit code's 9-character body; no I, O, S, V or Z in it
EMPLOYER_REGION = "320303"
# 丰县: no demo employer is there, and the certificates benchmark numbers its workers in 320303.
ID_REGION = "320321"
USERNAME_PREFIX = "exambench"
PHONE_PREFIX = "197"  # the demo draws 135…187 and roster_import 199
SESSION_PREFIX = "bexam"  # session keys are 32 characters of [a-z0-9]
BANK_CATEGORY = "基准测试/考试"
EXAM_TITLE = "基准测试考试"
# 20 questions, grouped by type as a paper exam is: (kind, count, bank size).
BLUEPRINT = (("single", 10, 40), ("multiple", 5, 20), ("truefalse", 5, 20))
BANK_SIZE = sum(size for _kind, _count, size in BLUEPRINT)
QUESTIONS = sum(count for _kind, count, _size in BLUEPRINT)
TIME_LIMIT_MINUTES = 120
CHUNK = 2000


def _setup_django() -> None:
    import django

    django.setup()


# --------------------------------------------------------------------------- population

def population(workers: int, out: Path) -> dict[str, Any]:
    from django.conf import settings

    started = time.monotonic()
    employer = _employer()
    created = _workers(employer, workers)
    bank = _bank()
    examinees = _sessions(employer, workers)
    out.write_text(json.dumps({
        "cookie_names": {"session": settings.SESSION_COOKIE_NAME, "csrf": settings.CSRF_COOKIE_NAME},
        "examinees": examinees,
    }), encoding="utf-8")
    return {"workers": workers, "workers_created": created, "bank": bank, "sessions": len(examinees),
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
    """Top the bench employer up to `wanted` workers, each with a login, in bulk."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from orgs.idnumbers import id_number_make
    from orgs.models import User, Worker

    _renumber(employer)
    have = Worker.objects.filter(employer=employer).count()
    if have >= wanted:
        return 0
    taken = set(Worker.objects.values_list("id_number", flat=True))
    usernames = set(User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", flat=True))
    # Unusable: these logins never sign in with a password (their sessions are made directly).
    unusable = make_password(None)
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
                User(username=f"{USERNAME_PREFIX}{number:05d}", full_name=f"考生{number:05d}", password=unusable)
                for number, _id_number in chunk])
            Worker.objects.bulk_create([
                Worker(user=user, employer=employer, name=user.full_name, id_number=id_number,
                       phone=f"{PHONE_PREFIX}{number:08d}")
                for user, (number, id_number) in zip(users, chunk, strict=True)])
    return len(fresh)


def _renumber(employer: Any) -> None:
    """Bench workers made before ID_REGION carry numbers of 320303, where the certificates benchmark
    numbers its own from the same dates: move them, so that neither benchmark's insert collides."""
    from orgs.idnumbers import id_number_make
    from orgs.models import Worker

    stale = list(Worker.objects.filter(employer=employer).exclude(id_number__startswith=ID_REGION).order_by("pk"))
    if not stale:
        return
    taken = set(Worker.objects.values_list("id_number", flat=True))
    index = 0
    for worker in stale:
        while True:
            number = id_number_make(ID_REGION, dt.date(1970, 1, 1) + dt.timedelta(days=index // 1000), index % 1000)
            index += 1
            if number not in taken:
                break
        worker.id_number = number
    Worker.objects.bulk_update(stale, ["id_number"], batch_size=CHUNK)


def _bank() -> int:
    """The bench bank, saved through the bank's own service (versions, fingerprints, category)."""
    from exams.models import Question
    from exams.services.bank import QuestionData, question_save

    have = set(Question.objects.filter(category__path=BANK_CATEGORY).values_list("stem", flat=True))
    number = 0
    for kind, _count, size in BLUEPRINT:
        for _ in range(size):
            number += 1
            # Plain punctuation: the stem is stored as written, so the check above finds it next time.
            stem = f"基准测试第 {number} 题 工作场所职业病危害因素的防护 {kind}"
            if stem in have:
                continue
            options = [] if kind == "truefalse" else [f"第{number}题的选项{letter}" for letter in "ABCD"]
            answer = {"single": "B", "multiple": "AC", "truefalse": "对" if number % 2 else "错"}[kind]
            question_save(actor=None, create_category=True, audit_action=False, data=QuestionData(
                kind=kind, stem=stem, options=options, answer=answer, explanation=f"第 {number} 题的解析",
                category_path=BANK_CATEGORY, difficulty=1 + number % 5))
    return Question.objects.filter(category__path=BANK_CATEGORY, is_active=True).count()


def _sessions(employer: Any, count: int) -> list[list[str]]:
    """A signed-in session for each of the first `count` workers: the rows `login()` would leave
    (user id, backend, session auth hash), inserted directly. Earlier bench sessions are dropped."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from core.models import UserSession as Session
    from core.sessions import SessionStore
    from orgs.models import User

    users = list(User.objects.filter(worker__employer=employer).order_by("worker__pk")[:count])
    Session.objects.filter(session_key__startswith=SESSION_PREFIX).delete()
    store = SessionStore()
    expires = timezone.now() + dt.timedelta(days=1)
    rows, examinees = [], []
    for user in users:
        key = SESSION_PREFIX + get_random_string(32 - len(SESSION_PREFIX), string.ascii_lowercase + string.digits)
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "core.auth.UserBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires, user_id=user.pk))
        examinees.append([key, get_random_string(32, string.ascii_letters + string.digits)])
    Session.objects.bulk_create(rows, batch_size=CHUNK)
    return examinees


# --------------------------------------------------------------------------- exam

def exam(workers: int, *, ahead: bool, label: str) -> dict[str, Any]:
    from django.utils import timezone

    from exams.models import Attempt, BlueprintRule, Category, Exam, ExamAssignment
    from exams.services.papers import blueprint_check, papers_prepare, papers_prepare_start
    from orgs.models import Worker

    employer = _employer()
    category = Category.objects.get(path=BANK_CATEGORY)
    now = timezone.now()
    created = Exam.objects.create(
        title=f"{EXAM_TITLE} {label}", status=Exam.Status.PUBLISHED, opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1), time_limit_minutes=TIME_LIMIT_MINUTES, attempts_allowed=1,
        # A certifying pass would render its certificate in-request here (Celery is eager in the
        # bench settings); that is the certificate benchmark's subject, not this one's.
        certifies=False)
    for position, (kind, count, _size) in enumerate(BLUEPRINT):
        BlueprintRule.objects.create(exam=created, category=category, kind=kind, count=count, position=position)
    problems = blueprint_check(created)
    if problems:
        raise SystemExit(f"the bench blueprint cannot draw: {problems}")
    ids = list(Worker.objects.filter(employer=employer).order_by("pk").values_list("pk", flat=True)[:workers])
    if len(ids) < workers:
        raise SystemExit(f"{len(ids)} bench workers, {workers} wanted: run `population` first")
    ExamAssignment.objects.bulk_create(
        [ExamAssignment(exam=created, worker_id=pk, employer=employer) for pk in ids], batch_size=CHUNK)
    papers, seconds = 0, 0.0
    if ahead:
        started = time.monotonic()
        job = papers_prepare_start(exam=created)
        # With an eager Celery (no broker) the job already ran on commit; then this claims nothing.
        if job is not None:
            papers_prepare(job_id=job.pk)
        seconds = time.monotonic() - started
        papers = Attempt.objects.filter(exam=created, status=Attempt.Status.READY, worker_id__in=ids).count()
        if papers != workers:
            raise SystemExit(f"{papers} papers drawn ahead for {workers} workers")
    return {"code": created.code, "workers": workers, "papers": papers, "papers_seconds": round(seconds, 2),
            "questions": QUESTIONS}


def clean() -> dict[str, Any]:
    """Every bench exam goes, with its attempts, papers, assignments and result notifications;
    then VACUUM, so that the next run does not wade through dead rows."""
    from django.db import connection

    from core.models import Notification
    from exams.models import Attempt, AttemptItem, BlueprintRule, Exam, ExamAssignment, ExamJob

    exams = list(Exam.objects.filter(title__startswith=EXAM_TITLE).values_list("pk", flat=True))
    attempts = Attempt.objects.filter(exam_id__in=exams)
    codes = [f"exam-result:{code}" for code in attempts.values_list("code", flat=True)]
    for start in range(0, len(codes), CHUNK):
        Notification.objects.filter(key__in=codes[start:start + CHUNK]).delete()
    items, _detail = AttemptItem.objects.filter(attempt__exam_id__in=exams).delete()
    deleted, _detail = attempts.delete()
    for model in (ExamAssignment, ExamJob, BlueprintRule):
        model.objects.filter(exam_id__in=exams).delete()
    Exam.objects.filter(pk__in=exams).delete()
    if connection.vendor == "postgresql" and exams:
        with connection.cursor() as cursor:
            for table in (AttemptItem, Attempt, ExamAssignment, Notification):
                cursor.execute(f"VACUUM ANALYZE {table._meta.db_table}")
    return {"exams": len(exams), "attempts": deleted, "items": items}


# --------------------------------------------------------------------------- the simulated phones

DEVICE = re.compile(rb'data-device="([^"]+)"')
POSITIONS = re.compile(rb'data-positions="([0-9][0-9,\s]*)"')


class Refused(Exception):
    """A response outside the contract: the examinee stops (the level has failed anyway)."""


@dataclass
class Examinee:
    session: str
    csrf: str
    attempt_path: str = ""
    device: str = ""
    positions: list[int] = field(default_factory=list)


@dataclass
class Load:
    """What one drive measured: latencies by request kind, failures with a sample of each."""

    host: str
    port: int
    cookie_names: dict[str, str]
    timeout: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    finished: list[float] = field(default_factory=list)  # when each request ended, for rates
    errors: Counter[str] = field(default_factory=Counter)
    # Of the errors: answers outside the contract (a wrong status or body), as against requests that
    # got no answer in time or lost their connection (a server overloaded, not one that is wrong).
    refused: int = 0
    timeouts: int = 0
    samples: list[str] = field(default_factory=list)
    abort_after: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def headers(self, who: Examinee) -> dict[str, str]:
        names = self.cookie_names
        return {"Cookie": f"{names['session']}={who.session}; {names['csrf']}={who.csrf}", "X-CSRFToken": who.csrf}

    async def request(self, kind: str, method: str, path: str, who: Examinee, *, form: dict[str, str] | None = None,
                      payload: dict[str, Any] | None = None, record: bool = True) -> tuple[int, dict[str, str], bytes]:
        headers = self.headers(who)
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                status, response_headers, content = await _exchange(self.host, self.port, method, path, headers, body)
        except TimeoutError as exc:
            self.timeouts += 1
            self.fail(kind, f"{kind}: no answer within {self.timeout:g} s")
            raise Refused(kind) from exc
        except (OSError, ValueError, IndexError) as exc:
            self.fail(kind, f"{kind}: {type(exc).__name__} {exc}")
            raise Refused(kind) from exc
        if record:
            self.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            self.finished.append(time.monotonic())
        return status, response_headers, content

    def fail(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 8:
            self.samples.append(detail[:300])
        if self.abort_after and sum(self.errors.values()) >= self.abort_after:
            self.stop.set()

    def expect(self, kind: str, ok: bool, status: int, content: bytes) -> None:
        if not ok:
            self.refused += 1
            self.fail(kind, f"{kind}: HTTP {status} {content[:200]!r}")
            raise Refused(kind)


async def _exchange(host: str, port: int, method: str, path: str, headers: dict[str, str],
                    body: bytes) -> tuple[int, dict[str, str], bytes]:
    # Bare non-blocking sockets on the event loop rather than asyncio streams: a third less CPU per
    # request, which is the generator's ceiling.
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    chunks = []
    try:
        await loop.sock_connect(sock, (host, port))
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
                 f"Content-Length: {len(body)}", *(f"{name}: {value}" for name, value in headers.items())]
        await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        # Connection: close, so the response ends where the stream does.
        while chunk := await loop.sock_recv(sock, 65536):
            chunks.append(chunk)
    finally:
        sock.close()
    head, _separator, content = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    response_headers = {}
    for line in header_lines:
        name, _colon, value = line.partition(":")
        response_headers[name.strip().lower()] = value.strip()
    return status, response_headers, content


async def start_and_open(load: Load, exam_code: str, who: Examinee) -> None:
    """Tap 开始考试 and load the first question: the attempt's address, device token and positions."""
    status, headers, content = await load.request("start", "POST", f"/exams/{exam_code}/start/", who,
                                                  form={"csrfmiddlewaretoken": who.csrf})
    location = headers.get("location", "")
    load.expect("start", status == 302 and "/exams/attempts/" in location, status, content)
    who.attempt_path = urlsplit(location).path
    status, _headers, content = await load.request("page", "GET", who.attempt_path, who)
    device, positions = DEVICE.search(content), POSITIONS.search(content)
    load.expect("page", status == 200 and device is not None and positions is not None, status, content)
    assert device is not None and positions is not None
    who.device = device.group(1).decode()
    who.positions = [int(part) for part in positions.group(1).decode().replace(" ", "").split(",") if part]


async def answer(load: Load, who: Examinee, position: int, response: str, *, kind: str = "answer") -> None:
    status, _headers, content = await load.request(
        kind, "POST", who.attempt_path + "answer/", who,
        payload={"device": who.device, "position": position, "response": response})
    load.expect(kind, status == 200 and _json_ok(content), status, content)


def _json_ok(content: bytes) -> bool:
    try:
        return json.loads(content).get("ok") is True
    except (ValueError, AttributeError):
        return False


async def submit(load: Load, who: Examinee) -> None:
    status, headers, content = await load.request("submit", "POST", who.attempt_path + "submit/", who,
                                                  form={"csrfmiddlewaretoken": who.csrf, "device": who.device})
    # A refused submit (another device holds the attempt) redirects too, but back to the exam.
    result_path = who.attempt_path + "result/"
    load.expect("submit", status == 302 and urlsplit(headers.get("location", "")).path == result_path, status,
                content)


async def _pause(load: Load, seconds: float) -> bool:
    """Sleep; True when the examinee should go on (the drive was not aborted meanwhile). A plain
    sleep: waiting on the stop event with a timeout would cost a task per pause."""
    if seconds > 0:
        await asyncio.sleep(seconds)
    return not load.stop.is_set()


async def _campaign_examinee(load: Load, plan: dict[str, Any], who: Examinee, arrival: float, rng: random.Random,
                             done: list[int]) -> None:
    think = float(plan["think_seconds"])
    try:
        if not await _pause(load, arrival - time.monotonic()):
            return
        await start_and_open(load, plan["exam"], who)
        for position in who.positions[: int(plan.get("answers", QUESTIONS))]:
            if not await _pause(load, think * rng.uniform(0.5, 1.5)):
                return
            await answer(load, who, position, rng.choice("AB"))
        if not await _pause(load, think * rng.uniform(0.5, 1.5)):
            return
        await submit(load, who)
        done.append(1)
    except Refused:
        pass


async def _surge_examinee(load: Load, plan: dict[str, Any], who: Examinee, arrival: float,
                          first_question: list[float]) -> None:
    try:
        if not await _pause(load, arrival - time.monotonic()):
            return
        started = time.perf_counter()
        await start_and_open(load, plan["exam"], who)
        first_question.append((time.perf_counter() - started) * 1000)
    except Refused:
        # Never got there: slower than any who did, so the percentiles are over every examinee.
        first_question.append(math.inf)


def _arrivals(count: int, window: float, seed: int, lead: float = 1.0) -> list[float]:
    """Arrival moments spread uniformly at random over the window, from a fixed seed."""
    rng = random.Random(seed)
    at = time.monotonic() + lead
    return sorted(at + rng.uniform(0, window) for _ in range(count))


async def _drive_open(plan: dict[str, Any]) -> dict[str, Any]:
    """campaign or surge: every examinee on their own clock (open-loop across examinees)."""
    load = _load(plan)
    load.abort_after = int(plan.get("abort_after_errors", 0))
    people = [Examinee(session, csrf) for session, csrf in plan["examinees"]]
    arrivals = _arrivals(len(people), float(plan["arrival_seconds"]), int(plan.get("seed", 8)))
    done: list[int] = []
    first_question: list[float] = []
    cpu, wall = time.process_time(), time.monotonic()
    if plan["mode"] == "campaign":
        tasks = [asyncio.create_task(_campaign_examinee(load, plan, who, at, random.Random(index), done))
                 for index, (who, at) in enumerate(zip(people, arrivals, strict=True))]
    else:
        tasks = [asyncio.create_task(_surge_examinee(load, plan, who, at, first_question))
                 for who, at in zip(people, arrivals, strict=True)]
    await asyncio.gather(*tasks)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    result = _report(load, plan, wall, cpu)
    reached = [value for value in first_question if value != math.inf]
    result.update(completed=len(done) if plan["mode"] == "campaign" else len(reached), aborted=load.stop.is_set())
    if plan["mode"] == "surge":
        result["first_question"] = _summary(first_question)
    return result


async def _drive_hammer(plan: dict[str, Any]) -> dict[str, Any]:
    """Closed loop: `clients` connections, each sending its next request as soon as the last one is
    answered, alternately at the answer-save URL and at the bare view with the same headers and body."""
    load = _load(plan)
    people = [Examinee(session, csrf) for session, csrf in plan["examinees"]]
    try:
        for who in people:  # one at a time: the setup is not what is measured
            await start_and_open(load, plan["exam"], who)
    except Refused:
        return {"setup_failed": True, "errors": dict(load.errors), "error_samples": load.samples}
    load.latencies.clear()
    load.finished.clear()
    runs: dict[str, list[dict[str, Any]]] = {"answer": [], "bare": []}
    for target in runs:
        await _closed_loop(load, plan, people, target, float(plan["warmup_seconds"]))
    for _ in range(int(plan["runs"])):
        for target in runs:
            runs[target].append(await _closed_loop(load, plan, people, target, float(plan["seconds"])))
    return {"runs": runs, "errors": dict(load.errors), "error_samples": load.samples, "clients": plan["clients"],
            "examinees": len(people)}


async def _closed_loop(load: Load, plan: dict[str, Any], people: list[Examinee], target: str,
                       seconds: float) -> dict[str, Any]:
    clients = int(plan["clients"])
    ok = [0] * clients
    latencies: list[float] = []
    errors_before = sum(load.errors.values())

    async def client(number: int) -> None:
        mine = people[number::clients] or people
        turn = 0
        while time.monotonic() < end:
            who = mine[turn % len(mine)]
            position = who.positions[(turn // len(mine)) % len(who.positions)]
            turn += 1
            started = time.perf_counter()
            try:
                if target == "answer":
                    await answer(load, who, position, "AB"[turn % 2], kind="hammer_answer")
                else:
                    status, _headers, content = await load.request(
                        "hammer_bare", "POST", "/bench/bare/", who,
                        payload={"device": who.device, "position": position, "response": "A"})
                    load.expect("hammer_bare", status == 200 and content == b"ok", status, content)
            except Refused:
                continue
            ok[number] += 1
            latencies.append((time.perf_counter() - started) * 1000)

    cpu = time.process_time()
    started = time.monotonic()
    end = started + seconds
    await asyncio.gather(*(client(number) for number in range(clients)))
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    done = sum(ok)
    return {"requests": done, "req_per_s": done / wall if wall else 0.0, "seconds": round(wall, 2),
            "errors": sum(load.errors.values()) - errors_before, "p50_ms": _p(latencies, 0.5),
            "p95_ms": _p(latencies, 0.95), "driver_cpu_seconds": round(cpu, 3),
            "driver_cpu_us_per_request": round(cpu / done * 1e6, 1) if done else None}


def _load(plan: dict[str, Any]) -> Load:
    base = urlsplit(plan["base"])
    return Load(host=base.hostname or "127.0.0.1", port=base.port or 80, cookie_names=plan["cookie_names"],
                timeout=float(plan.get("timeout", 30)))


def _p(values: list[float], share: float) -> float | None:
    """The percentile, or None when it falls among those who never got an answer (infinite)."""
    from bench.common import percentile

    if not values:
        return None
    value = percentile(values, share)
    return round(value, 1) if math.isfinite(value) else None


def _summary(values: list[float]) -> dict[str, Any]:
    finite = [value for value in values if math.isfinite(value)]
    return {"count": len(values), "unanswered": len(values) - len(finite), "p50_ms": _p(values, 0.5),
            "p95_ms": _p(values, 0.95), "p99_ms": _p(values, 0.99), "max_ms": round(max(finite), 1) if finite else None}


def _report(load: Load, plan: dict[str, Any], wall: float, cpu: float) -> dict[str, Any]:
    every = [value for values in load.latencies.values() for value in values]
    requests = len(every)
    buckets = Counter(int(moment) for moment in load.finished)
    return {
        "mode": plan["mode"], "examinees": len(plan["examinees"]), "requests": requests,
        "errors": sum(load.errors.values()), "refused": load.refused, "timeouts": load.timeouts,
        "errors_by_kind": dict(load.errors), "error_samples": load.samples,
        "all": _summary(every), "kinds": {kind: _summary(values) for kind, values in sorted(load.latencies.items())},
        "wall_seconds": round(wall, 1), "mean_req_per_s": round(requests / wall, 1) if wall else 0.0,
        "peak_req_per_s": max(buckets.values()) if buckets else 0,
        # The generator's own cost: if it used a good share of a core it may have been the limit.
        "driver_cpu_seconds": round(cpu, 2), "driver_core_share": round(cpu / wall, 3) if wall else 0.0,
        "driver_cpu_us_per_request": round(cpu / requests * 1e6, 1) if requests else None,
    }


def drive(plan_path: Path) -> dict[str, Any]:
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    # One descriptor per examinee in flight, at most.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    runner = _drive_hammer if plan["mode"] == "hammer" else _drive_open
    return asyncio.run(runner(plan))


# --------------------------------------------------------------------------- entry point

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exam_fixtures")
    commands = parser.add_subparsers(dest="command", required=True)
    populate = commands.add_parser("population")
    populate.add_argument("--workers", type=int, required=True)
    populate.add_argument("--out", type=Path, required=True)
    make = commands.add_parser("exam")
    make.add_argument("--workers", type=int, required=True)
    make.add_argument("--ahead", action="store_true", help="draw every assigned worker's paper ahead")
    make.add_argument("--label", default="")
    commands.add_parser("clean")
    driver = commands.add_parser("drive")
    driver.add_argument("plan", type=Path)
    args = parser.parse_args(argv)
    if args.command == "drive":
        result = drive(args.plan)
    else:
        _setup_django()
        if args.command == "population":
            result = population(args.workers, args.out)
        elif args.command == "exam":
            result = exam(args.workers, ahead=args.ahead, label=args.label)
        else:
            result = clean()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
