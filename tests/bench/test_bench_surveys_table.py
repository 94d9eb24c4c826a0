"""survey_table at smoke size (2,000 responses, one run), so that it cannot rot between full runs.
It runs on its own PostgreSQL database (bench_survey_table_smoke on the test settings' server): the
measuring children cannot see the test database's transaction. The figures at this size mean
nothing; what is asserted is that the table counted every response, listed every stratum, and
that the row prints in the table's format."""

from __future__ import annotations

import pytest

from bench import survey_table
from bench.common import ensure_database, table
from tests.bench.test_bench_smoke import _smoke_database_url

pytestmark = pytest.mark.bench


def test_survey_table_smoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(survey_table.SIZE_ENV, raising=False)
    url = _smoke_database_url().rsplit("/", 1)[0] + "/bench_survey_table_smoke"
    ensure_database(url)
    row = survey_table.run(quick=True, database_url=url)

    assert not row.error and row.name == "survey_table" and row.goal == "< 5 s for 1,000,000 responses"
    details = row.details
    assert details["count"] == survey_table.QUICK_COUNT == details["responses"]
    assert details["strata"] == 300 and details["dimensions"] == 4 and details["items"] == 20
    assert details["behaviours"] == 1 and len(details["strata_counts"]) == survey_table.QUICK_RUNS
    assert details["setup"]["answers"] == survey_table.QUICK_COUNT * (survey_table.ANSWERED_ITEMS + 1)
    assert 0 < details["awareness"] < 1 and details["n_effective"] > 0
    assert row.holds is None  # the goal is about a million responses, not the smoke size
    assert row.ours.endswith(" s") and row.reference.endswith("COUNT(*)") and row.ratio and row.ratio > 0
    printed = table([row])
    print(printed)
    assert printed.splitlines()[2].startswith("survey_table")
    assert "survey_table" in capsys.readouterr().out
