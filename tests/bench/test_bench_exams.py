"""The exam benchmarks at smoke size (`python -m bench exam_campaign exam_answer_save exam_surge --quick`),
so that they cannot rot between full runs.

They run on their own PostgreSQL database (bench_exams_smoke on the test settings' server, or
$BENCH_EXAMS_SMOKE_DATABASE_URL), created and migrated on first use, because the benchmarks
measure in child processes (a gunicorn, the seeding, the load generator) that cannot see the test
database's transaction. The figures at this size mean nothing and are not asserted; what is
asserted is that every simulated examinee went through the whole HTTP contract of the exam pages
(start → attempt page → 20 saves → submit) without one error, and that each row was measured.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from bench import exam_campaign, exam_surge
from bench.__main__ import main
from bench.exam_fixtures import QUESTIONS

pytestmark = pytest.mark.bench

NAMES = [exam_campaign.NAME, exam_campaign.ANSWER_NAME, exam_surge.NAME]
# Per examinee of a campaign: start, attempt page, every answer, submit.
REQUESTS_PER_EXAMINEE = QUESTIONS + 3


def _smoke_database_url() -> str:
    if os.environ.get("BENCH_EXAMS_SMOKE_DATABASE_URL"):
        return os.environ["BENCH_EXAMS_SMOKE_DATABASE_URL"]
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:  # TEST_DATABASE=sqlite: the machine's PostgreSQL all the same
        return "postgres://postgres@127.0.0.1:5432/bench_exams_smoke"
    user = quote(database.get("USER") or "postgres")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/bench_exams_smoke"


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, dict[str, Any]]]:
    output = tmp_path_factory.mktemp("bench-exams") / "latest.json"
    status = main([*NAMES, "--quick", "--database-url", _smoke_database_url(), "--output", str(output)])
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["quick"] is True
    return status, {row["name"]: row for row in document["rows"]}


def _measured(row: dict[str, Any]) -> dict[str, Any]:
    if row["skipped"]:
        pytest.skip(row["skipped"])  # only when no port can be bound on this machine
    assert not row["error"], row["error"]
    return row["details"]


def test_exam_campaign_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows[exam_campaign.NAME]
    details = _measured(row)

    levels = details["levels"]
    # The climb starts at the first level; how far it gets depends on the machine's load.
    assert levels and levels[0]["n"] == exam_campaign.QUICK.levels[0]
    for level in levels:
        # Every examinee started, loaded the paper, saved every answer and submitted, all accepted.
        assert level["errors"] == 0, level["error_samples"]
        assert level["completed"] == level["n"]
        assert level["requests"] == level["n"] * REQUESTS_PER_EXAMINEE
        assert level["kinds"]["answer"]["count"] == level["n"] * QUESTIONS
        assert {"start", "page", "answer", "submit"} <= set(level["kinds"])
        assert level["papers_seconds"] > 0  # drawn ahead by the papers job
    assert row["goal"] == exam_campaign.GOAL and row["reference"].startswith("Moodle 4.5")
    assert "10× compressed: N " in row["ours"]
    # Then the goal's own size at a real sitting's pace (at smoke size, a handful, briefly).
    real = details["real_pace"]
    assert real["n"] == exam_campaign.QUICK.real_n and real["think_seconds"] == exam_campaign.QUICK.real_think_seconds
    assert real["errors"] == 0, real["error_samples"]
    assert real["completed"] == real["n"] and real["requests"] == real["n"] * REQUESTS_PER_EXAMINEE
    assert row["ours"].startswith(f"N = {real['n']:,} at a real pace") == real["held"]
    assert row["holds"] is False  # a handful is not the goal's 10,000
    assert details["population"]["sessions"] >= max(*exam_campaign.QUICK.levels, exam_campaign.QUICK.real_n)


def test_exam_answer_save_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows[exam_campaign.ANSWER_NAME]
    details = _measured(row)

    assert len(details["answer_runs"]) == len(details["bare_runs"]) == exam_campaign.QUICK.runs
    assert all(run["requests"] > 0 and run["errors"] == 0 for run in details["answer_runs"] + details["bare_runs"])
    assert row["ratio"] > 0 and row["goal"] == exam_campaign.ANSWER_GOAL
    assert row["ours"].endswith("req/s") and row["reference"].endswith("req/s")


def test_exam_surge_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows[exam_surge.NAME]
    details = _measured(row)

    size = exam_surge.QUICK
    for variant, runs in details["runs"].items():
        assert len(runs) == size.runs
        for run in runs:
            assert run["errors"] == 0, run["error_samples"]
            assert run["completed"] == run["first_question"]["count"] == size.examinees
            # Ours has every paper drawn before the surge; the reference draws each in its start.
            assert run["papers"] == (size.examinees if variant == "ahead" else 0)
    assert row["ratio"] > 0 and row["goal"] == exam_surge.GOAL
    assert row["ours"].startswith("p95 ") and "drawn on demand" in row["reference"]


def test_the_exam_benchmarks_exit_cleanly(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    status, rows = quick_rows

    assert set(rows) == set(NAMES)
    assert status == 0, {name: row["error"] for name, row in rows.items()}
