"""home_requests: requests per second of the Wagtail home page against a bare Django view.

Both are served by one gunicorn (2 sync workers, bench/settings.py = production settings over
plain HTTP, persistent database connections) on the bench database seeded with the demo data,
and loaded alternately by the same generator (wrk if installed, else bench/loadgen.py) from the
same machine. The figure of interest is the ratio home / bare: what the page costs on top of
Django's own request cycle and middleware.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import ROOT, BenchError, BenchSkipped, Row, child_env, manage, median
from bench.loadgen import CLIENTS, LoadResult, load, wrk_available

NAME = "home_requests"
SETTINGS = "bench.settings"
WORKERS = 2
RUNS, SECONDS, WARMUP_SECONDS = 3, 10.0, 3.0
QUICK_RUNS, QUICK_SECONDS, QUICK_WARMUP_SECONDS = 1, 1.0, 0.5
GOAL_RATIO = 0.10
GOAL = f"≥ {GOAL_RATIO:.2f}"
START_TIMEOUT = 60.0
BIND_ERRORS = ("Address already in use", "Can't connect to", "Permission denied", "Cannot assign requested address")


def run(*, quick: bool, database_url: str, tool: str | None = None) -> Row:
    runs, seconds, warmup = (QUICK_RUNS, QUICK_SECONDS, QUICK_WARMUP_SECONDS) if quick else (RUNS, SECONDS, WARMUP_SECONDS)
    tool = tool or ("wrk" if wrk_available() else "python")
    port = _free_port()
    # Idempotent: the demo's employers and workers, and the site's page tree from the migrations.
    manage(database_url, "seed_demo")
    with tempfile.TemporaryDirectory(prefix="bench-home-") as workdir:
        static_root = Path(workdir) / "static"
        # Production stores static files with whitenoise's manifest, so {% static %} needs one.
        manage(database_url, "collectstatic", "--noinput", "-v0", settings=SETTINGS, STATIC_ROOT=str(static_root))
        env = child_env(database_url, SETTINGS, STATIC_ROOT=str(static_root))
        base = f"http://127.0.0.1:{port}"
        home_url, bare_url = f"{base}/", f"{base}/bench/bare/"
        with _gunicorn(env, port, Path(workdir) / "gunicorn.log"):
            page_bytes = _check(home_url, b'class="home"')
            _check(bare_url, b"ok")
            load(home_url, seconds=warmup, tool=tool)
            load(bare_url, seconds=warmup, tool=tool)
            home: list[LoadResult] = []
            bare: list[LoadResult] = []
            for _ in range(runs):  # alternate, so a disturbance on the machine hits both alike
                home.append(load(home_url, seconds=seconds, tool=tool))
                bare.append(load(bare_url, seconds=seconds, tool=tool))
    for result in (*home, *bare):
        if result.bad or result.errors:
            raise BenchError(f"{result.bad} bad responses and {result.errors} errors under load; see the server log")
    home_rate = median([result.requests_per_s for result in home])
    bare_rate = median([result.requests_per_s for result in bare])
    ratio = home_rate / bare_rate
    generator = f"wrk -t1 -c{CLIENTS}" if tool == "wrk" else f"bench/loadgen.py, {CLIENTS} processes"
    note = (
        f"anonymous GET / ({page_bytes:,} bytes) vs a bare HttpResponse view behind the same middleware; "
        f"gunicorn {WORKERS} sync workers, production settings; {generator} on the same cores; "
        f"median of {runs} × {seconds:g} s each, alternating; load average at start {os.getloadavg()[0]:.2f}"
    )
    return Row(
        name=NAME,
        ours=f"{home_rate:,.0f} req/s",
        reference=f"{bare_rate:,.0f} req/s",
        ratio=ratio,
        goal=GOAL,
        holds=ratio >= GOAL_RATIO,
        note=note,
        details={"home_req_per_s": [result.requests_per_s for result in home],
                 "bare_req_per_s": [result.requests_per_s for result in bare],
                 "tool": tool, "clients": CLIENTS, "workers": WORKERS, "seconds": seconds, "runs": runs,
                 "page_bytes": page_bytes, "requests": sum(result.ok for result in (*home, *bare))},
    )


def _free_port() -> int:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise BenchSkipped(f"cannot bind a port on 127.0.0.1: {exc}") from exc


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(WORKERS),
               "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--error-logfile", str(log),
               "--log-level", "info"]
    # Its own session, so that stopping it reaches its workers and nothing else.
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        _wait_until_up(server, port, log)
        yield
    finally:
        _stop(server)


def _wait_until_up(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            if any(marker in text for marker in BIND_ERRORS):
                raise BenchSkipped(f"gunicorn cannot bind 127.0.0.1:{port}: {text.strip().splitlines()[-1]}")
            raise BenchError(f"gunicorn exited with {server.returncode}:\n{text[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _check(url: str, expected: bytes) -> int:
    """The page must really be served (a fast 500 or redirect would flatter the figure)."""
    parts = urlsplit(url)
    # http.client rather than urllib: no proxy from the environment, no redirect followed.
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        body, status = response.read(), response.status
    finally:
        connection.close()
    if status != 200 or expected not in body:
        raise BenchError(f"GET {url} answered {status} without {expected!r}")
    return len(body)
