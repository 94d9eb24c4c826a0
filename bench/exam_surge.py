"""exam_surge: 2,000 examinees start one exam within 10 s; p95 time to the first question.

Each simulated examinee (signed in by a session made in setup) arrives at a random moment of the
window, taps 开始考试 (POST /exams/<exam>/start/, CSRF-checked), follows the redirect and loads the
attempt page with its first question; the time from sending the start to having the whole page is
what is measured. Ours: the exam's papers drawn ahead (`papers_prepare`, as the job does when a
window opens), so a start claims a row. Reference: the same exam with no paper drawn ahead, so
each start draws its paper in the request, which is what the start costs without the papers job
(and what Moodle's quiz does). Both run on one gunicorn (bench/server.py: 2 sync workers,
production settings), alternately, each on a fresh exam assigned to the same examinees, RUNS
times; the figures are the medians of the runs' p95. The issue sets no number for this one: the
goal is one second, the limit within which a tap still feels answered.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Row, median
from bench.exam_campaign import contract_error, drive, driver_note, fixture, population, warm_up
from bench.server import WORKERS, check, served, server_env

NAME = "exam_surge"
GOAL_MS = 1000.0
GOAL = f"p95 < {GOAL_MS / 1000:g} s"
# Long: under a surge the queue is the finding, so a wait shows as time rather than as a failure.
REQUEST_TIMEOUT = 300.0
RUNS_ENV = "BENCH_EXAM_SURGE_RUNS"


@dataclass(frozen=True)
class Size:
    examinees: int
    window_seconds: float
    runs: int


FULL = Size(examinees=2000, window_seconds=10.0, runs=3)
QUICK = Size(examinees=20, window_seconds=1.0, runs=1)


def run(*, quick: bool, database_url: str) -> Row:
    size = QUICK if quick else FULL
    if not quick and os.environ.get(RUNS_ENV):
        size = Size(examinees=size.examinees, window_seconds=size.window_seconds, runs=int(os.environ[RUNS_ENV]))
    env = server_env(database_url)
    load_average = os.getloadavg()[0]
    results: dict[str, list[dict[str, Any]]] = {"ahead": [], "on_demand": []}
    with tempfile.TemporaryDirectory(prefix="bench-exam-surge-") as tmp:
        workdir = Path(tmp)
        people = population(env, size.examinees, workdir)
        fixture(env, "clean")
        with served(database_url, prefix="bench-exam-surge-") as base:
            check(f"{base}/bench/bare/", b"ok")
            # Both paths warm: a sitting with papers drawn ahead, then one drawing on demand.
            warm_up(env, workdir, base, people)
            warm_up(env, workdir, base, people, ahead=False)
            for number in range(size.runs):
                # Which goes first alternates, so that a disturbance on the machine hits both alike.
                order = ("ahead", "on_demand") if number % 2 == 0 else ("on_demand", "ahead")
                for variant in order:
                    results[variant].append(_surge(env, workdir, base, people, size, variant, number))
        fixture(env, "clean")
    return _row(size, results, load_average)


def _surge(env: dict[str, str], workdir: Path, base: str, people: dict[str, Any], size: Size, variant: str,
           number: int) -> dict[str, Any]:
    args = ["exam", "--workers", str(size.examinees), "--label", f"surge {variant} {number}"]
    made = fixture(env, *args, *(["--ahead"] if variant == "ahead" else []))
    plan = {"mode": "surge", "base": base, "exam": made["code"], "cookie_names": people["cookie_names"],
            "examinees": people["examinees"][: size.examinees], "arrival_seconds": size.window_seconds,
            "timeout": REQUEST_TIMEOUT, "seed": 8 + number}
    result = drive(env, workdir, plan, size.window_seconds + REQUEST_TIMEOUT * 2 + 300)
    if result["completed"] == 0 and result["refused"]:
        raise contract_error(result)
    result.update(variant=variant, papers=made["papers"], papers_seconds=made["papers_seconds"])
    return result


def _row(size: Size, results: dict[str, list[dict[str, Any]]], load_average: float) -> Row:
    def median_of(variant: str, key: str) -> float:
        # A run whose percentile fell among examinees who never got the page counts as infinite.
        return median([run["first_question"][key] or math.inf for run in results[variant]])

    def shown(value: float) -> str:
        return f"{value:,.0f} ms" if math.isfinite(value) else f"> {REQUEST_TIMEOUT:g} s"

    ours, reference = median_of("ahead", "p95_ms"), median_of("on_demand", "p95_ms")
    p50 = {variant: median_of(variant, "p50_ms") for variant in results}
    errors = {variant: sum(run["errors"] for run in runs) for variant, runs in results.items()}
    timeouts = {variant: sum(run["timeouts"] for run in runs) for variant, runs in results.items()}
    refused = {variant: sum(run["refused"] for run in runs) for variant, runs in results.items()}
    papers = median([run["papers_seconds"] for run in results["ahead"]])
    note = (
        f"{size.examinees:,} signed-in examinees arrive at random within {size.window_seconds:g} s; time from the "
        f"start POST to the attempt page with its first question (302 followed, page read to the end), over every "
        f"examinee (one who got no answer within {REQUEST_TIMEOUT:g} s counts as slower than all); ours: papers "
        f"drawn ahead ({papers:,.1f} s for {size.examinees:,} through papers_prepare, before the surge); reference: "
        f"no papers drawn ahead, each start draws its own; median of {size.runs} run(s) each, alternating; p50 "
        f"{shown(p50['ahead'])} vs {shown(p50['on_demand'])}; errors {errors['ahead']} vs {errors['on_demand']} "
        f"(timeouts {timeouts['ahead']} vs {timeouts['on_demand']}, refused {refused['ahead']} vs "
        f"{refused['on_demand']}); peak {max(run['peak_req_per_s'] for run in results['ahead']):,} req/s answered; "
        f"{driver_note(results['ahead'] + results['on_demand'])}; gunicorn {WORKERS} sync workers, production "
        f"settings; load average at start {load_average:.2f}"
    )
    both = math.isfinite(ours) and math.isfinite(reference)
    return Row(
        name=NAME, ours=f"p95 {shown(ours)}", reference=f"p95 {shown(reference)} (drawn on demand)",
        ratio=ours / reference if both and reference else None, goal=GOAL,
        holds=ours < GOAL_MS and errors["ahead"] == 0, note=note,
        details={"runs": results, "examinees": size.examinees, "window_seconds": size.window_seconds,
                 "runs_each": size.runs, "workers": WORKERS, "errors": errors, "timeouts": timeouts,
                 "refused": refused, "load_average": load_average,
                 "ours_p95_ms": ours if math.isfinite(ours) else None,
                 "reference_p95_ms": reference if math.isfinite(reference) else None},
    )
