"""Run the benchmarks and print the table: `python -m bench [NAME …] [--quick]`.

Every benchmark measures ours and its reference in the same run. The table also goes to
bench/results/latest.json (git-ignored). The exit status is 1 when a benchmark failed to measure;
a goal that does not hold is a finding, not a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    awareness_workbook,
    certificates,
    exam_campaign,
    exam_surge,
    home_requests,
    kb_article_requests,
    kb_search,
    roster_import,
    study_heartbeat,
    survey_submit,
    survey_table,
    training_compliance,
    training_rollover,
)
from bench.common import (
    RESULTS_DIR,
    BenchError,
    BenchSkipped,
    Row,
    database_lock,
    database_url,
    ensure_database,
    table,
)

BENCHMARKS: dict[str, tuple[Callable[..., Row], str]] = {
    roster_import.NAME: (roster_import.run, roster_import.GOAL),
    roster_import.UPDATE_NAMES["postgresql"]: (roster_import.run_update_postgresql, roster_import.UPDATE_GOAL),
    roster_import.UPDATE_NAMES["sqlite"]: (roster_import.run_update_sqlite, roster_import.UPDATE_GOAL),
    home_requests.NAME: (home_requests.run, home_requests.GOAL),
    kb_article_requests.NAME: (kb_article_requests.run, kb_article_requests.GOAL),
    kb_search.NAME: (kb_search.run, kb_search.GOAL),
    exam_campaign.NAME: (exam_campaign.run, exam_campaign.GOAL),
    exam_campaign.ANSWER_NAME: (exam_campaign.run_answer_save, exam_campaign.ANSWER_GOAL),
    exam_surge.NAME: (exam_surge.run, exam_surge.GOAL),
    certificates.NAME: (certificates.run, certificates.GOAL),
    survey_submit.NAME: (survey_submit.run, survey_submit.GOAL),
    awareness_workbook.NAME: (awareness_workbook.run, awareness_workbook.GOAL),
    survey_table.NAME: (survey_table.run, survey_table.GOAL),
    study_heartbeat.NAME: (study_heartbeat.run, study_heartbeat.GOAL),
    training_compliance.NAME: (training_compliance.run, training_compliance.GOAL),
    training_rollover.NAME: (training_rollover.run, training_rollover.GOAL),
}


def run_benchmarks(names: list[str], *, quick: bool, url: str) -> list[Row]:
    rows: list[Row] = []
    # One run at a time per database: benchmarks clean and time the same tables.
    with database_lock(url):
        ensure_database(url)
        for name in names:
            measure, goal = BENCHMARKS[name]
            print(f"bench: {name}{' (quick)' if quick else ''} …", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                row = measure(quick=quick, database_url=url)
            except BenchSkipped as exc:
                row = Row(name, "", "", None, goal, None, skipped=str(exc))
            except (BenchError, OSError, subprocess.SubprocessError) as exc:
                row = Row(name, "", "", None, goal, None, error=f"{type(exc).__name__}: {exc}")
            row.details["wall_seconds"] = round(time.monotonic() - started, 1)
            print(f"bench: {name} done in {row.details['wall_seconds']:.0f} s", file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def write_results(rows: list[Row], path: Path, *, quick: bool, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_end": os.getloadavg()},
        "database": url.rsplit("/", 1)[-1],
        "rows": [row.as_dict() for row in rows],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the benchmarks and print the table.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smoke size: seconds, not minutes")
    parser.add_argument("--database-url", help="PostgreSQL database to use (default: $BENCH_DATABASE_URL or "
                                               "postgres://postgres@127.0.0.1:5432/bench); created and migrated")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json", help="where to write the JSON")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    url = database_url(args.database_url)
    rows = run_benchmarks(names, quick=args.quick, url=url)
    print(table(rows))
    write_results(rows, args.output, quick=args.quick, url=url)
    print(f"\nwritten to {args.output}")
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
