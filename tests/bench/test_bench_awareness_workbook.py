"""The awareness workbook benchmark at smoke size (2,000 responses, one run each), so that it cannot
rot between full runs. The figures at this size mean nothing; what is asserted is that ours wrote
every response, that the reference wrote exactly our responses cells, and that the row prints in
the table's format."""

from __future__ import annotations

import pytest

from bench import awareness_workbook
from bench.common import table
from tests.bench.test_bench_smoke import _smoke_database_url

pytestmark = pytest.mark.bench


def test_awareness_workbook_smoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWARENESS_BENCH_RESPONSES", raising=False)
    row = awareness_workbook.run(quick=True, database_url=_smoke_database_url())

    assert not row.error and row.name == "awareness_workbook" and row.goal == "≤ 1.5× time, RSS < 300 MB"
    details = row.details
    assert details["count"] == awareness_workbook.QUICK_COUNT and details["runs"] == awareness_workbook.QUICK_RUNS
    # The reference is only a reference if it writes the very cells ours does.
    assert details["identical"] is True
    assert details["ours"][0]["columns"] == 18 + 4 + len(awareness_workbook.item_codes())
    assert details["ours"][0]["cells"] == details["reference"][0]["cells"] > 100_000
    assert details["peak_rss_mb"] > 0 and row.ratio is not None and row.ratio > 0
    assert row.ours.endswith(" MB") and row.reference.endswith(" s")
    printed = table([row])
    print(printed)
    assert printed.splitlines()[0].split() == ["benchmark", "ours", "reference", "ratio", "goal", "holds"]
    assert printed.splitlines()[2].startswith("awareness_workbook")
    assert "awareness_workbook" in capsys.readouterr().out
