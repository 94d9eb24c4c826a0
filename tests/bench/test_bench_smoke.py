"""Every benchmark at smoke size, so that none of them can rot between full runs (`python -m bench`).

They run in their own PostgreSQL database (bench_smoke on the test settings' server, or
$BENCH_SMOKE_DATABASE_URL), created and migrated on first use, because the benchmarks measure in
child processes that cannot see the test database's transaction. Figures at this size mean
nothing; only that each benchmark measures ours and its reference and prints its row is checked.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from bench.__main__ import BENCHMARKS, main
from bench.loadgen import load

# The benchmarks run on their own PostgreSQL database: once per suite, not again in the SQLite pass.
pytestmark = pytest.mark.bench
# The exam benchmarks and the certificates one have smoke files of their own
# (tests/bench/test_bench_exams.py, test_bench_certificates.py).
SMOKED_ELSEWHERE = {"exam_campaign", "exam_answer_save", "exam_surge", "certificates", "survey_submit",
                    "awareness_workbook", "survey_table", "study_heartbeat"}
SMOKED_HERE = [name for name in BENCHMARKS if name not in SMOKED_ELSEWHERE]


def _smoke_database_url() -> str:
    if os.environ.get("BENCH_SMOKE_DATABASE_URL"):
        return os.environ["BENCH_SMOKE_DATABASE_URL"]
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:  # TEST_DATABASE=sqlite: the machine's PostgreSQL all the same
        return "postgres://postgres@127.0.0.1:5432/bench_smoke"
    user = quote(database.get("USER") or "postgres")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/bench_smoke"


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, dict[str, Any]]]:
    """`python -m bench --quick` once for the module: one migration check, every benchmark."""
    output = tmp_path_factory.mktemp("bench") / "latest.json"
    status = main([*SMOKED_HERE, "--quick", "--database-url", _smoke_database_url(), "--output", str(output)])
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["quick"] is True
    return status, {row["name"]: row for row in document["rows"]}


def test_roster_import_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows["roster_import"]

    assert not row["error"]
    assert row["details"]["rows"] == 200
    assert all(run["rows"] == 200 for run in row["details"]["ours_runs"])
    assert all(run["rows"] == 200 for run in row["details"]["reference_runs"])
    assert row["ratio"] > 0 and row["goal"] == "≥ 10×"
    assert row["ours"].endswith("rows/s") and row["reference"].endswith("rows/s")
    assert row["details"]["ours_peak_rss_mb"] > 0


@pytest.mark.parametrize("name", ["roster_update_postgresql", "roster_update_sqlite"])
def test_roster_update_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]], name: str) -> None:
    _status, rows = quick_rows
    row = rows[name]

    assert not row["error"]
    details = row["details"]
    assert details["rows"] == 200 and len(details["runs"]) == 3
    # Each run checked that every worker is what the file says after the insert, the update and
    # the unchanged re-import; here, that the update really found everyone on the roster.
    assert all(run["insert"]["new"] == 200 and run["update"]["updated"] == 200 for run in details["runs"])
    assert row["ratio"] > 0 and row["goal"] == "≤ 1.5"
    assert row["ours"].startswith("update ") and row["reference"].startswith("insert ")
    assert details["vendor"] == name.rsplit("_", 1)[1]
    if details["vendor"] == "sqlite":  # the embedded default's settings, as base.py gives them
        assert details["pragmas"]["journal_mode"] == "wal" and details["pragmas"]["busy_timeout"] > 0


def test_home_requests_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows["home_requests"]

    if row["skipped"]:
        pytest.skip(row["skipped"])  # only when no port can be bound on this machine
    assert not row["error"]
    assert row["details"]["requests"] >= 100
    assert row["ratio"] > 0 and row["goal"] == "≥ 0.10"
    assert row["ours"].endswith("req/s") and row["reference"].endswith("req/s")


def test_kb_article_requests_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows["kb_article_requests"]

    if row["skipped"]:
        pytest.skip(row["skipped"])  # only when no port can be bound on this machine
    assert not row["error"]
    # The article is served at about half the bare page's rate, so fewer requests fit in the second.
    assert row["details"]["requests"] >= 50
    assert row["ratio"] > 0 and row["goal"] == "≥ 0.8"
    assert row["ours"].endswith("req/s") and row["reference"].endswith("req/s")
    fixture = row["details"]["fixture"]
    # A real article: cover, several blocks including the editor's related articles, tags.
    assert fixture["article_has_cover"] and fixture["article_tags"]
    assert len(fixture["article_blocks"]) >= 3 and "related" in fixture["article_blocks"]
    assert fixture["bare_template"] == "wagtailcore/page.html"
    assert row["details"]["article_bytes"] > row["details"]["bare_bytes"]


def test_kb_search_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows["kb_search"]

    assert not row["error"]
    details = row["details"]
    assert details["size"] == 200
    assert len(details["queries"]) >= 30
    assert details["searches"] == len(details["queries"]) * details["repeat"]
    assert row["ratio"] > 0 and row["goal"] == "p95 < 100 ms"
    assert row["ours"].startswith("p95 ") and row["reference"].startswith("p95 ")
    # Both find the same articles for a plain word, everything for 职业 and nothing for the query
    # no article contains; ours never finds fewer than the substring scan.
    assert details["ours_count"]["噪声"] == details["reference_count"]["噪声"] > 0
    assert details["ours_count"]["职业"] == details["reference_count"]["职业"] == 200
    assert details["ours_count"]["火星探测器"] == details["reference_count"]["火星探测器"] == 0
    assert details["fewer_matches_than_reference"] == []


def test_training_compliance_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows["training_compliance"]

    assert not row["error"]
    details = row["details"]
    # The run itself compared every figure of the summary with the statuses worked out from the
    # generated rows; here, that it counted every worker and that both figures were measured.
    assert details["workers"] == 300 and details["total"]["workers"] == 300
    assert details["total"] == {**details["setup"]["expected"], "rate": details["total"]["rate"]}
    assert details["counted"] == details["setup"]["expected"]["cycles"] >= 300
    assert len(details["ours"]) == len(details["reference"]) == len(details["ours_jit_off"]) == 5
    assert row["ratio"] > 0 and row["goal"] == "< 2 s for 20,000 workers" and row["holds"] is None
    assert row["ours"].endswith(" s") and row["reference"].endswith("ms COUNT")


def test_training_rollover_smoke(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    _status, rows = quick_rows
    row = rows["training_rollover"]

    assert not row["error"]
    details = row["details"]
    assert details["sizes"] == [200, 2000]
    for count, measured in details["measured"].items():
        # Exactly one new cycle per bench worker, and none the second time.
        assert measured["first"]["bench_created"] == measured["first"]["bench_workers"] == int(count)
        assert measured["second"]["created"] == 0
        assert measured["first"]["peak_kb"] >= measured["first"]["before_kb"] > 0
    assert row["ratio"] > 0 and row["goal"] == "peak RSS at 1,000,000 ≤ 1.2 × at 100,000" and row["holds"] is None
    assert row["ours"].startswith("2,000: ") and row["reference"].startswith("200: ")


def test_the_entry_point_exits_cleanly(quick_rows: tuple[int, dict[str, dict[str, Any]]]) -> None:
    status, rows = quick_rows

    assert set(rows) == set(SMOKED_HERE)
    # Every benchmark is smoked here or in its own file, and only once.
    assert set(BENCHMARKS) == set(SMOKED_HERE) | SMOKED_ELSEWHERE
    assert status == 0, {name: row["error"] for name, row in rows.items()}


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_python_load_generator_counts_responses() -> None:
    """The fallback used where wrk is not installed."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    except OSError as exc:
        pytest.skip(f"cannot bind a port: {exc}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = load(f"http://127.0.0.1:{server.server_port}/", seconds=0.5, clients=2, tool="python")
    finally:
        server.shutdown()
        server.server_close()

    assert result.tool == "python"
    assert result.ok > 10
    assert result.bad == 0 and result.errors == 0
    assert result.requests_per_s == pytest.approx(result.ok / 0.5)
