"""The certificate benchmark at smoke size (`python -m bench certificates --quick`), so that it cannot
rot between full runs. It shares the smoke benchmarks' PostgreSQL database (bench_smoke, or
$BENCH_CERTIFICATES_SMOKE_DATABASE_URL). The figures at this size mean nothing; what is asserted is
that ours rendered every certificate, and that the reference drew exactly our image."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from bench import certificates
from bench.__main__ import main
from tests.bench.test_bench_smoke import _smoke_database_url

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def row(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    output = tmp_path_factory.mktemp("bench-certificates") / "latest.json"
    url = os.environ.get("BENCH_CERTIFICATES_SMOKE_DATABASE_URL") or _smoke_database_url()
    status = main([certificates.NAME, "--quick", "--database-url", url, "--output", str(output)])
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["quick"] is True
    return status, document["rows"][0]


def test_certificates_smoke(row: tuple[int, dict[str, Any]]) -> None:
    status, measured = row

    assert status == 0 and not measured["error"], measured["error"]
    assert measured["name"] == "certificates" and measured["goal"] == "≥ 0.8"
    details = measured["details"]
    assert details["count"] == certificates.QUICK_COUNT and details["runs"] == certificates.QUICK_RUNS
    assert len(details["ours_seconds"]) == len(details["reference_seconds"]) == certificates.QUICK_RUNS
    assert details["rendered"] == certificates.QUICK_COUNT * certificates.QUICK_RUNS
    assert details["files_checked"] is True
    # The reference is only a reference if it draws the very image ours does.
    assert details["identical"] is True
    assert details["prepared"]["width"] == 2480 and details["prepared"]["height"] == 1754
    assert details["png_bytes"] > 10_000 and details["pdf_bytes"] > 10_000
    assert measured["ratio"] > 0
    assert measured["ours"].endswith("cert/s") and measured["reference"].endswith("cert/s")
