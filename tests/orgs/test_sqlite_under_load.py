"""The SQLite default under use: page views and logins keep answering while a 20,000-row roster
re-import is written (before WAL, immediate transactions and a short write, they failed with
HTTP 500 "database is locked").

pytest-django's SQLite database lives in this process's memory, so the test builds the set-up a
small office runs instead: a database file migrated once, the development server on it in its own
process, and the roster written by a third process, as the Celery task would, while threads here
load pages, and sign in, throughout the write. The server and the writer use config.settings.dev
with DATABASE_URL pointing at the file, i.e. base.py's DATABASES as the embedded default has it.

`python tests/orgs/test_sqlite_under_load.py seed|write` is what the two helper processes run.
Not marked: it runs in the SQLite pass of `make test` and is skipped in the PostgreSQL one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
LOGIN, PASSWORD = "under-load", "pass-Word-123"
# Page views must answer while the roster is written, without waiting for it (WAL). A login writes
# (its session, the last-login time), so it queues for the write lock, up to the busy timeout, and
# must succeed all the same. "/" is requested signed in too: rendered for the person, from the database.
PAGES = ("/accounts/login/", "/")
SERVER_START_SECONDS = 60
STEP_TIMEOUT = 120
CHECKED = "checked"

pytestmark = pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
                                reason="SQLite's locking; PostgreSQL has no database-wide write lock")


# --------------------------------------------------------------------------- helper processes

def _rows(changed: bool) -> list[tuple[int, list[object]]]:
    """ROWS people; `changed`: the same people, each with a new post and other exposures."""
    import datetime as dt

    from orgs.idnumbers import id_number_make

    rows = []
    for number in range(ROWS):
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=number // 1000)
        id_number = id_number_make("110105", birth, number % 1000)
        post, exposures = ("调度员", "高温") if changed else ("采煤工", "煤尘、噪声")
        rows.append((number + 2, [f"工人{number}", id_number, f"139{number:08d}", "采掘一队", post, "接害劳动者",
                                  exposures, "2020-03-01"]))
    return rows


def _table(changed: bool) -> object:
    from orgs.services.roster_read import RosterTable

    columns = {key: position for position, key in enumerate(
        ("name", "id_number", "phone", "department", "post", "post_role", "exposures", "hire_date"))}
    return RosterTable(columns=columns, header_row=1, rows=iter(_rows(changed)),
                       column_letters={key: "" for key in columns})


def _seed() -> dict[str, object]:
    """The employer with ROWS workers on its roster, and a login to sign in with."""
    from orgs.models import User
    from orgs.services import roster_check, roster_write
    from tests.factories import EmployerFactory

    employer = EmployerFactory(name="负载测试单位")
    User.objects.create_user(LOGIN, password=PASSWORD)
    check = roster_check(employer=employer, table=_table(changed=False))
    assert check.ok and check.new == ROWS, [error.as_dict() for error in check.errors[:3]]
    roster_write(employer=employer, check=check)
    return {"employer": employer.pk}


def _write(employer_id: int) -> dict[str, object]:
    """The re-import: checked first (reads only), then, once the test says go, written; the write's
    start and end times (the transaction and its lock lie between them) for the test to line the
    requests up with."""
    from orgs.models import Employer, Worker
    from orgs.services import roster_check, roster_write

    employer = Employer.objects.get(pk=employer_id)
    check = roster_check(employer=employer, table=_table(changed=True))
    assert check.ok and check.updated == ROWS, [error.as_dict() for error in check.errors[:3]]
    sys.stdout.write(f"{CHECKED}\n")
    sys.stdout.flush()
    sys.stdin.readline()
    started = time.time()
    roster_write(employer=employer, check=check)
    ended = time.time()
    return {"started": started, "ended": ended,
            "written": Worker.objects.filter(employer=employer, post="调度员").count()}


def _main(command: str, *args: str) -> None:
    import django

    django.setup()
    result = _seed() if command == "seed" else _write(int(args[0]))
    sys.stdout.write(json.dumps(result) + "\n")


# --------------------------------------------------------------------------- the test

def _environment(database: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=f"sqlite:///{database}", DEBUG="0",
               CELERY_BROKER_URL="", MEDIA_ROOT=str(database.parent / "media"),
               PRIVATE_MEDIA_ROOT=str(database.parent / "private"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    return env


def _run(env: dict[str, str], *args: str) -> dict[str, object]:
    completed = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                               timeout=STEP_TIMEOUT, check=False)
    assert completed.returncode == 0, f"{' '.join(args)} failed:\n{completed.stderr[-3000:]}"
    lines = completed.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}


@contextlib.contextmanager
def _writer(env: dict[str, str], employer: object, log: Path) -> Iterator[subprocess.Popen[str]]:
    """The re-import's process, once it has checked the file (a few seconds of reading that need
    not compete with the load for the CPU): write "go" to its stdin to have it write."""
    with log.open("w") as errors:
        writer = subprocess.Popen([sys.executable, __file__, "write", str(employer)], cwd=ROOT, env=env,  # noqa: S603
                                  text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
    try:
        assert writer.stdout is not None
        line = writer.stdout.readline().strip()
        assert line == CHECKED, f"the writer did not get through the check:\n{line}\n{log.read_text()[-3000:]}"
        yield writer
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


def _written(writer: subprocess.Popen[str], log: Path) -> dict[str, object]:
    out, _err = writer.communicate("go\n", timeout=STEP_TIMEOUT)
    assert writer.returncode == 0, f"the write failed:\n{log.read_text()[-3000:]}"
    return json.loads(out.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[int]:
    port = _free_port()
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],  # noqa: S603
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            assert server.poll() is None, f"the server exited:\n{log.read_text(errors='replace')[-3000:]}"
            with contextlib.suppress(OSError):
                if _Visitor(port).get("/accounts/login/").status == 200:
                    break
            assert time.monotonic() < deadline, f"no answer from the server:\n{log.read_text(errors='replace')[-3000:]}"
            time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@dataclass
class Answer:
    path: str
    status: int
    started: float
    ended: float
    body: bytes = b""


@dataclass
class _Visitor:
    """A browser, as far as this test needs one: cookies and the login form's CSRF token."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/"}
        started = time.time()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Answer(path, response.status, started, time.time(), content)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def sign_in(self) -> Answer:
        page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token, page.body[:500]
        answer = self.request("POST", "/accounts/login/", {
            "csrfmiddlewaretoken": token.group(1).decode(), "username": LOGIN, "password": PASSWORD})
        answer.path = "POST /accounts/login/"
        return answer


def _keep_loading(visitor: _Visitor, paths: tuple[str, ...], answers: list[Answer], stop: threading.Event) -> None:
    while not stop.is_set():
        for path in paths:
            try:
                answers.append(visitor.get(path))
            except OSError as exc:  # a refused or dropped connection is a failure too
                answers.append(Answer(f"{path} ({exc})", 0, time.time(), time.time()))


def _keep_signing_in(port: int, answers: list[Answer], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            answers.append(_Visitor(port).sign_in())
        except OSError as exc:
            answers.append(Answer(f"POST /accounts/login/ ({exc})", 0, time.time(), time.time()))


def test_pages_and_logins_answer_while_a_large_roster_is_written(tmp_path: Path) -> None:
    database = tmp_path / "site.sqlite3"
    env = _environment(database)
    _run(env, "manage.py", "migrate", "--noinput", "-v0")
    employer = _run(env, __file__, "seed")["employer"]
    with _server(env, tmp_path / "server.log") as port, _writer(env, employer, tmp_path / "writer.log") as writer:
        signed_in = _Visitor(port)
        assert signed_in.sign_in().status == 302
        answers: list[Answer] = []
        logins: list[Answer] = []
        stop = threading.Event()
        threads = [threading.Thread(target=_keep_loading, args=(_Visitor(port), PAGES, answers, stop)),
                   threading.Thread(target=_keep_loading, args=(signed_in, ("/",), answers, stop)),
                   threading.Thread(target=_keep_signing_in, args=(port, logins, stop))]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)  # the load is under way before the write begins
            written = _written(writer, tmp_path / "writer.log")
            time.sleep(0.5)  # and goes on a little after it
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        log = (tmp_path / "server.log").read_text(errors="replace")

    assert written["written"] == ROWS
    started, ended = written["started"], written["ended"]
    during = [answer for answer in answers if answer.started >= started and answer.ended <= ended]
    failed = [(answer.path, answer.status) for answer in (*answers, *logins) if answer.status not in (200, 302)]
    assert not failed, f"{len(failed)} failed, e.g. {failed[:5]}; server log:\n{log[-3000:]}"
    assert all(answer.status == 302 for answer in logins)
    # The write must really have overlapped with page views, or the test shows nothing: several
    # answers that began after the write started and were complete before it ended.
    assert len(during) >= 5, (f"only {len(during)} page views inside the {ended - started:.2f} s write "
                              f"({len(answers)} in all)")
    assert {answer.path for answer in during} == {*PAGES}
    # Logins queue for the write lock: each one completes, at the latest soon after the write.
    assert any(login.started < ended and login.ended > started for login in logins), "no login overlapped the write"


if __name__ == "__main__":
    _main(*sys.argv[1:])
