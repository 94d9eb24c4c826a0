"""What every benchmark shares: the result row, medians, the bench database and child processes.

The orchestrating process never imports Django. Every measurement runs in a child process with
its own settings and database, so that each one starts from the same state, its peak memory can be
read on its own, and a benchmark can be driven from inside pytest (whose process already has
Django set up on the test database) without the two getting mixed.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
# Redis database 13: the test suite uses 14 and 15, so a benchmark never shares a cache with it.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
TEST_SETTINGS = "config.settings.test"


class BenchError(RuntimeError):
    """A benchmark could not measure (a child failed, a server did not start)."""


class BenchSkipped(RuntimeError):
    """The machine cannot run this benchmark at all (e.g. no port can be bound); the reason says why."""


@dataclass
class Row:
    """One line of the table."""

    name: str
    ours: str
    reference: str
    ratio: float | None
    goal: str
    holds: bool | None
    note: str = ""
    skipped: str = ""  # why the machine could not run it
    error: str = ""  # why it failed to measure
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` (0–1) of the values lie, interpolated between neighbours."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance_url(url: str) -> str:
    """The same server, database `postgres`: where databases are created and locks are taken."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", parts.query, ""))


def child_env(url: str, settings: str = TEST_SETTINGS, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # TEST_DATABASE=sqlite would make the test settings ignore DATABASE_URL.
    env.pop("TEST_DATABASE", None)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_child(args: Sequence[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run `python ARGS` and return the JSON object it prints on its last line of output."""
    completed = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"`python {' '.join(args)}` failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    lines = completed.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise BenchError(f"`python {' '.join(args)}` printed no JSON result:\n{completed.stdout[-2000:]}") from exc


def manage(url: str, *args: str, settings: str = TEST_SETTINGS, timeout: float = 600, **extra: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=child_env(url, settings, **extra),
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


@contextlib.contextmanager
def database_lock(url: str) -> Iterator[None]:
    """Serialise benchmark runs on one database (two engineers' test runs, say): both migrate,
    clean and time the same tables, so they must not overlap. A session-level advisory lock is
    released when its connection closes, even if this process dies."""
    key = zlib.crc32(f"bench:{_database_name(url)}".encode())
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", [key])
        yield


def ensure_database(url: str) -> None:
    """Create the database if it is missing and migrate it. A bench database whose migration
    history no longer matches the code (migrations rewritten during development) is rebuilt."""
    name = _database_name(url)
    _create_database(url, name)
    try:
        manage(url, "migrate", "--noinput", "-v0")
    except BenchError:
        if not name.startswith("bench"):
            raise  # never drop a database this module did not name
        with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _create_database(url, name)
        manage(url, "migrate", "--noinput", "-v0")


def _create_database(url: str, name: str) -> None:
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.1f}×" if ratio >= 1 else f"{ratio:.3f}"


def table(rows: Sequence[Row]) -> str:
    """The table as text: one line per benchmark, then the notes that qualify the figures."""
    header = ("benchmark", "ours", "reference", "ratio", "goal", "holds")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        if row.skipped or row.error:
            lines.append((row.name, "skipped" if row.skipped else "FAILED", "", "", row.goal, ""))
            continue
        holds = "—" if row.holds is None else ("yes" if row.holds else "no")
        lines.append((row.name, row.ours, row.reference, format_ratio(row.ratio), row.goal, holds))
    widths = [max(_width(line[column]) for line in lines) for column in range(len(header))]
    text = []
    for number, line in enumerate(lines):
        text.append("  ".join(cell + " " * (widths[column] - _width(cell)) for column, cell in enumerate(line)).rstrip())
        if number == 0:
            text.append("  ".join("-" * width for width in widths))
    notes = [f"  {row.name}: {row.error or row.skipped or row.note}" for row in rows if row.error or row.skipped or row.note]
    if notes:
        text += ["", "notes:", *notes]
    return "\n".join(text)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)
