"""study_heartbeat at smoke size (`bench.study_heartbeat.run(quick=True)`), so that it cannot rot
between full runs. It runs on its own PostgreSQL database (bench_learning_smoke on the test
settings' server), as the other HTTP benchmarks do: the gunicorn and the load generator are child
processes that cannot see the test database's transaction. The figures at this size mean nothing
and are not asserted; what is asserted is that every learner's page opened its study session, that
every beat under load was answered 200 with a result and credited, that the 学时 ledger agrees with
the stored heartbeats, that the row was measured, and that the bench course was cleaned away."""

from __future__ import annotations

import pytest

from bench import study_heartbeat
from bench.common import BenchSkipped, ensure_database, run_child
from bench.server import server_env
from tests.bench.test_bench_exams import _smoke_database_url

pytestmark = pytest.mark.bench


def test_study_heartbeat_smoke() -> None:
    url = _smoke_database_url().rsplit("/", 1)[0] + "/bench_learning_smoke"
    ensure_database(url)
    try:
        row = study_heartbeat.run(quick=True, database_url=url)
    except BenchSkipped as exc:
        pytest.skip(str(exc))
    details = row.details
    learners = study_heartbeat.QUICK.learners
    assert details["opened"]["ok"] == learners and details["opened"]["reasons"] == {"start": learners}
    for level in [*details["levels"], details["paced"]]:
        assert level["ok"] > 0 and level["bad"] == 0 and level["errors"] == 0, level["samples"]
        # Every beat after the opening one continues its page's session and is credited.
        assert level["credited"] == level["ok"] and set(level["reasons"]) == {"credited"}
    assert details["paced"]["rate"] == pytest.approx(study_heartbeat.GOAL_RATE)
    stored = details["stored"]
    assert stored["sessions"] == learners and stored["ledger_agrees"] and stored["credited_seconds"] > 0
    assert stored["heartbeats"] == learners + sum(level["ok"] for level in [*details["levels"], details["paced"]])
    assert details["credited_share"] == 1.0
    assert details["bare_req_per_s"] > 0 and (row.ratio is None or row.ratio > 0)
    assert row.goal == study_heartbeat.GOAL and row.ours.endswith(("beats/s", "clients)"))
    # Cleaned up: the bench course and everything learners did in it are gone.
    after = run_child(["-m", "bench.study_heartbeat", "count"], server_env(url), timeout=300)
    assert after["heartbeats"] == 0 and after["sessions"] == 0
