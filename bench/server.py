"""What the HTTP benchmarks share: the demo data, one gunicorn on the bench database, the checks that
a page is really served, and alternating load on several URLs.

Every HTTP benchmark serves with bench/settings.py (production settings over plain HTTP) from a
gunicorn of WORKERS sync workers, and loads its URLs alternately with the same generator (wrk if
installed, else bench/loadgen.py), so that figures taken by different benchmarks are comparable.
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
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import ROOT, BenchError, BenchSkipped, child_env, manage, run_child
from bench.loadgen import CLIENTS, LoadResult, load, wrk_available

SETTINGS = "bench.settings"
# As docs/deployment.md runs it (`--workers 4`): a request that waits on PostgreSQL (a commit, a
# round trip) leaves the cores to another worker, which two workers on two cores could not.
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
START_TIMEOUT = 60.0
SEED_TIMEOUT = 1800.0
BIND_ERRORS = ("Address already in use", "Can't connect to", "Permission denied", "Cannot assign requested address")
DEMO_ARTICLES = ROOT / "cms" / "demo" / "articles.json"


def media_env(database_url: str) -> dict[str, str]:
    """Uploaded files of the bench database, kept beside it: images created while seeding must be
    found by the server that renders them, and survive between runs as the database rows do.
    (The test settings pin MEDIA_ROOT to media/test, which is why seeding for the HTTP benchmarks
    runs with bench/settings.py too.)"""
    name = urlsplit(database_url).path.lstrip("/") or "bench"
    return {"MEDIA_ROOT": str(ROOT / "media" / "bench" / name),
            "PRIVATE_MEDIA_ROOT": str(ROOT / "private" / "bench" / name)}


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return child_env(database_url, SETTINGS, **media_env(database_url), **extra)


def seed_demo(database_url: str) -> None:
    """The demo data (idempotent): `manage.py seed_demo`. Until the demo's articles file exists that
    command cannot run, so then the same seeding is done without the articles."""
    if DEMO_ARTICLES.exists():
        manage(database_url, "seed_demo", settings=SETTINGS, timeout=SEED_TIMEOUT, **media_env(database_url))
    else:
        run_child(["-m", "bench.kb_fixtures", "seed-demo"], server_env(database_url), timeout=SEED_TIMEOUT)


@contextlib.contextmanager
def served(database_url: str, prefix: str, **extra_env: str) -> Iterator[str]:
    """A gunicorn on a free loopback port serving the bench database; yields its base URL.
    ``extra_env``: settings of the benchmark's own in the server's environment."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        static_root = Path(workdir) / "static"
        # Production stores static files with whitenoise's manifest, so {% static %} needs one.
        manage(database_url, "collectstatic", "--noinput", "-v0", settings=SETTINGS, STATIC_ROOT=str(static_root))
        env = server_env(database_url, STATIC_ROOT=str(static_root), **extra_env)
        with gunicorn(env, port, Path(workdir) / "gunicorn.log"):
            yield f"http://127.0.0.1:{port}"


def alternating_load(urls: Mapping[str, str], *, runs: int, seconds: float, warmup: float,
                     tool: str) -> dict[str, list[LoadResult]]:
    """Warm every URL up, then load them in turn `runs` times, so that a disturbance on the machine
    hits all of them alike. Any failed response fails the benchmark: a fast error would flatter it."""
    for url in urls.values():
        load(url, seconds=warmup, tool=tool)
    results: dict[str, list[LoadResult]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, url in urls.items():
            results[name].append(load(url, seconds=seconds, tool=tool))
    for result in (result for name_results in results.values() for result in name_results):
        if result.bad or result.errors:
            raise BenchError(f"{result.bad} bad responses and {result.errors} errors under load; see the server log")
    return results


def default_tool() -> str:
    return "wrk" if wrk_available() else "python"


def generator_label(tool: str) -> str:
    return f"wrk -t1 -c{CLIENTS}" if tool == "wrk" else f"bench/loadgen.py, {CLIENTS} processes"


def free_port() -> int:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise BenchSkipped(f"cannot bind a port on 127.0.0.1: {exc}") from exc


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[None]:
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


def check(url: str, expected: bytes) -> int:
    """The page must really be served (a fast 500 or redirect would flatter the figure); returns its
    size in bytes."""
    parts = urlsplit(url)
    # http.client rather than urllib: no proxy from the environment, no redirect followed.
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        body, status = response.read(), response.status
    finally:
        connection.close()
    if status != 200 or expected not in body:
        raise BenchError(f"GET {url} answered {status} without {expected!r}")
    return len(body)
