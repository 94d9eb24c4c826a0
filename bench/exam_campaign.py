"""exam_campaign and exam_answer_save: an employer's exam campaign on gunicorn + PostgreSQL.

exam_campaign: N simulated examinees, each signed in (a session made in setup), start the exam
(papers drawn ahead), load the attempt page, save 20 answers with think time and submit. Arrivals
are spread at random over a ramp; think time is compressed (RAMP_SECONDS and THINK_SECONDS below,
10× shorter than a real sitting of ~30 s a question with starts spread over ~10 minutes), so the
server gets ten times the request rate that N real examinees would give it. N climbs LEVELS within
a time budget until a level misses p95 < 300 ms over all its requests or has any error; the
largest level that held is run again (CONFIRM_RUNS in all) and must hold on the median p95 with no
error in any run. Then the goal's own N (10,000) sits the exam at a real sitting's pace (30 s a
question, arrivals over 10 minutes; BENCH_EXAM_REAL_PACE=0 leaves it out): the issue's goal is N
examinees, and only this run holds that many sessions, open attempts and papers at once. The
reference is the issue's cited figure for Moodle 4.5 (2,000 on 12 + 4 vCPU), not measured here: it
says what the goal is measured against, not what ran on this machine.

exam_answer_save: requests per second of the answer save (POST …/answer/, a signed-in worker's
session, CSRF-checked, JSON) against a bare Django view answering the same request (same cookies,
CSRF header and body, POST /bench/bare/) on the same server, loaded alternately by the same
closed-loop generator with CLIENTS connections, median of RUNS.

Both serve with bench/server.py (bench.server.WORKERS sync gunicorn workers, production settings)
on the bench database, with their own employer, workers, bank and exams (bench/exam_fixtures.py; no demo data
is needed, the catalogues come with the migrations). A few examinees sit a throwaway exam first, so
that no measured request pays for a cold worker. The generator is
bench/exam_fixtures.py's asyncio driver in its own process; it reports its CPU time per request,
from which its ceiling on one core and its share of a core during each run are given.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import BenchError, Row, median, run_child
from bench.exam_fixtures import QUESTIONS
from bench.server import WORKERS, check, served, server_env

NAME = "exam_campaign"
ANSWER_NAME = "exam_answer_save"
P95_LIMIT_MS = 300.0
GOAL_N = 10_000
MOODLE_N = 2_000  # the figure: Moodle 4.5 on 12 + 4 vCPU (cited, not measured here)
GOAL = f"N ≥ {GOAL_N:,}"
ANSWER_GOAL_RATIO = 0.5
ANSWER_GOAL = f"≥ {ANSWER_GOAL_RATIO:.1f}"
SETUP_TIMEOUT = 1800.0
ABORT_AFTER_ERRORS = 50
BUDGET_ENV = "BENCH_EXAM_BUDGET_SECONDS"
WARM_UP_EXAMINEES = 4


@dataclass(frozen=True)
class Size:
    levels: tuple[int, ...]
    think_seconds: float
    ramp_seconds: float
    confirm_runs: int
    budget_seconds: float
    # the goal's own size at a real sitting's pace, after the compressed climb
    real_n: int
    real_think_seconds: float
    real_ramp_seconds: float
    # exam_answer_save
    examinees: int
    clients: int
    runs: int
    seconds: float
    warmup_seconds: float


FULL = Size(levels=(100, 250, 500, 1000, 2000, 5000, 10_000), think_seconds=3.0, ramp_seconds=60.0, confirm_runs=3,
            budget_seconds=2400.0, real_n=GOAL_N, real_think_seconds=30.0, real_ramp_seconds=600.0,
            examinees=64, clients=4, runs=5, seconds=10.0, warmup_seconds=3.0)
QUICK = Size(levels=(4, 8), think_seconds=0.05, ramp_seconds=0.5, confirm_runs=1, budget_seconds=300.0,
             real_n=8, real_think_seconds=0.1, real_ramp_seconds=1.0,
             examinees=4, clients=2, runs=1, seconds=1.0, warmup_seconds=0.3)
REAL_PACE_ENV = "BENCH_EXAM_REAL_PACE"


def fixture(env: dict[str, str], *args: str, timeout: float = SETUP_TIMEOUT) -> dict[str, Any]:
    return run_child(["-m", "bench.exam_fixtures", *args], env, timeout=timeout)


def population(env: dict[str, str], workers: int, workdir: Path) -> dict[str, Any]:
    """The signed-in examinees (see bench/exam_fixtures.py); returns the cookies file's content."""
    out = workdir / "population.json"
    summary = fixture(env, "population", "--workers", str(workers), "--out", str(out))
    people = json.loads(out.read_text(encoding="utf-8"))
    people["summary"] = summary
    return people


def drive(env: dict[str, str], workdir: Path, plan: dict[str, Any], timeout: float) -> dict[str, Any]:
    path = workdir / f"plan-{plan['mode']}-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    try:
        return run_child(["-m", "bench.exam_fixtures", "drive", str(path)], env, timeout=timeout)
    finally:
        path.unlink(missing_ok=True)


def warm_up(env: dict[str, str], workdir: Path, base: str, people: dict[str, Any], *, ahead: bool = True) -> None:
    """A few examinees through the whole sitting first: a fresh gunicorn worker's first requests
    load code and templates and open its database connection, which no later request pays."""
    count = min(WARM_UP_EXAMINEES, len(people["examinees"]))
    made = fixture(env, "exam", "--workers", str(count), "--label", "warm-up", *(["--ahead"] if ahead else []))
    plan = {"mode": "campaign", "base": base, "exam": made["code"], "cookie_names": people["cookie_names"],
            "examinees": people["examinees"][:count], "arrival_seconds": 0.5, "think_seconds": 0.01,
            "answers": QUESTIONS, "timeout": 60}
    result = drive(env, workdir, plan, timeout=300)
    if result["errors"]:
        raise contract_error(result)


def contract_error(result: dict[str, Any]) -> BenchError:
    samples = "\n".join(result.get("error_samples", [])) or "(no sample)"
    return BenchError(f"the exam pages did not answer as their HTTP contract says (bench/exam_fixtures.py):\n{samples}")


def driver_note(results: list[dict[str, Any]]) -> str:
    """The generator's cost per request and its share of a core: whether it could have been the limit."""
    costs = [result["driver_cpu_us_per_request"] for result in results if result.get("driver_cpu_us_per_request")]
    shares = [result["driver_core_share"] for result in results if "driver_core_share" in result]
    if not costs:
        return ""
    cost = median(costs)
    return (f"the generator (one asyncio process, a new connection per request) spent {cost:,.0f} µs of CPU per "
            f"request, a ceiling of about {1e6 / cost:,.0f} req/s on one core; it used at most "
            f"{max(shares, default=0) * 100:.0f} % of a core")


# --------------------------------------------------------------------------- exam_campaign

def run(*, quick: bool, database_url: str) -> Row:
    size = QUICK if quick else FULL
    budget = float(os.environ.get(BUDGET_ENV, size.budget_seconds))
    real_pace = os.environ.get(REAL_PACE_ENV, "1") != "0"
    env = server_env(database_url)
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-exam-campaign-") as tmp:
        workdir = Path(tmp)
        people = population(env, max(*size.levels, size.real_n if real_pace else 0), workdir)
        with served(database_url, prefix="bench-exam-campaign-") as base:
            check(f"{base}/bench/bare/", b"ok")
            warm_up(env, workdir, base, people)
            levels, confirmed, skipped = _search(env, workdir, base, people, size, budget)
            real = (_level(env, workdir, base, people, size.real_n, f"N={size.real_n} real pace",
                           think_seconds=size.real_think_seconds, ramp_seconds=size.real_ramp_seconds)
                    if real_pace else None)
        fixture(env, "clean")
    return _campaign_row(size, levels, confirmed, skipped, real, people, load_average, budget)


def _level(env: dict[str, str], workdir: Path, base: str, people: dict[str, Any], count: int, label: str, *,
           think_seconds: float, ramp_seconds: float) -> dict[str, Any]:
    fixture(env, "clean")
    made = fixture(env, "exam", "--workers", str(count), "--ahead", "--label", label)
    plan = {"mode": "campaign", "base": base, "exam": made["code"], "cookie_names": people["cookie_names"],
            "examinees": people["examinees"][:count], "arrival_seconds": ramp_seconds,
            "think_seconds": think_seconds, "answers": QUESTIONS, "timeout": 30,
            "abort_after_errors": ABORT_AFTER_ERRORS}
    timeout = ramp_seconds + think_seconds * (QUESTIONS + 1) * 1.5 + 600
    result = drive(env, workdir, plan, timeout)
    result["n"] = count
    result["think_seconds"] = think_seconds
    result["ramp_seconds"] = ramp_seconds
    result["papers_seconds"] = made["papers_seconds"]
    p95 = result["all"]["p95_ms"]
    result["held"] = (result["errors"] == 0 and not result["aborted"] and result["completed"] == count
                      and p95 is not None and p95 < P95_LIMIT_MS)
    return result


def _estimate(size: Size, count: int) -> float:
    """Seconds a level takes: papers (about 10 ms each), the ramp, the sitting, clean-up."""
    return count * 0.012 + size.ramp_seconds + size.think_seconds * (QUESTIONS + 1) * 1.5 + 20


def _search(env: dict[str, str], workdir: Path, base: str, people: dict[str, Any], size: Size,
            budget: float) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[int]]:
    """Climb the levels until one fails (or the budget ends), then confirm the largest that held,
    stepping down when the confirmation does not hold."""
    deadline = time.monotonic() + budget
    levels: list[dict[str, Any]] = []
    skipped: list[int] = []
    for count in size.levels:
        if time.monotonic() + _estimate(size, count) > deadline:
            skipped = [level for level in size.levels if level >= count]
            break
        result = _level(env, workdir, base, people, count, f"N={count}", think_seconds=size.think_seconds,
                        ramp_seconds=size.ramp_seconds)
        levels.append(result)
        if not levels[:-1] and result["completed"] == 0 and result["refused"]:
            raise contract_error(result)
        if not result["held"]:
            break
    held = [result for result in levels if result["held"]]
    confirmed = None
    while held and confirmed is None:
        first = held.pop()
        runs = [first]
        for number in range(2, size.confirm_runs + 1):
            if time.monotonic() + _estimate(size, first["n"]) > deadline + budget * 0.25:
                break  # a confirmation may overrun the budget a little, not without end
            runs.append(_level(env, workdir, base, people, first["n"], f"N={first['n']} run {number}",
                               think_seconds=size.think_seconds, ramp_seconds=size.ramp_seconds))
        p95 = median([run["all"]["p95_ms"] for run in runs if run["all"]["p95_ms"] is not None])
        if all(run["errors"] == 0 and run["completed"] == first["n"] for run in runs) and p95 < P95_LIMIT_MS:
            confirmed = {"n": first["n"], "p95_ms": p95, "runs": [_brief(run) for run in runs]}
        else:
            levels.extend(runs[1:])
    return levels, confirmed, skipped


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result[key] for key in ("n", "requests", "errors", "completed", "wall_seconds", "mean_req_per_s",
                                         "peak_req_per_s", "driver_core_share") if key in result} | {
        "p95_ms": result["all"]["p95_ms"], "p50_ms": result["all"]["p50_ms"]}


def _campaign_row(size: Size, levels: list[dict[str, Any]], confirmed: dict[str, Any] | None, skipped: list[int],
                  real: dict[str, Any] | None, people: dict[str, Any], load_average: float, budget: float) -> Row:
    ladder = "; ".join(_level_summary(level) for level in levels)
    compressed = confirmed["n"] if confirmed else 0
    climbed = f"N = {compressed:,} (p95 {confirmed['p95_ms']:,.0f} ms)" if confirmed else f"N < {size.levels[0]:,}"
    real_held = real is not None and real["held"]
    # At a real pace the goal's own N is what is asked; the compressed climb is the harder test, so
    # when the real pace does not hold, its N is the figure (a lower bound of the real pace's).
    n = real["n"] if real_held else compressed
    if real_held:
        ours = f"N = {n:,} at a real pace (p95 {real['all']['p95_ms']:,.0f} ms); 10× compressed: {climbed}"
    else:
        ours = f"10× compressed: {climbed}"
    real_think = size.think_seconds * 10
    pace = ("not run" if real is None else
            f"N={real['n']:,} arriving over {real['ramp_seconds']:g} s and thinking {real['think_seconds']:g} s "
            f"(±50 %): {_level_summary(real)}, {'held' if real_held else 'did not hold'}")
    note = (
        f"compressed climb: examinees arrive at random over {size.ramp_seconds:g} s, think {size.think_seconds:g} s "
        f"(±50 %) before each of {QUESTIONS} answers and the submit: 10× compressed, so N simulated examinees offer "
        f"the request rate of 10 N real ones thinking {real_think:g} s; levels: {ladder}"
        f"{'; not tried within the budget of ' + format(budget, '.0f') + ' s: ' + ', '.join(map(str, skipped)) if skipped else ''}; "
        f"real pace: {pace}; each examinee: start → attempt page → {QUESTIONS} saves → submit, papers drawn ahead, "
        f"sessions made in setup, CSRF on; bar p95 < {P95_LIMIT_MS:.0f} ms over every request and 0 errors; "
        f"{driver_note(levels + ([real] if real else []))}; gunicorn {WORKERS} sync workers, production settings; "
        f"load average at start {load_average:.2f}; reference: the issue's cited Moodle 4.5 figure (12 + 4 vCPU), "
        f"not measured here"
    )
    return Row(
        name=NAME, ours=ours, reference=f"Moodle 4.5: {MOODLE_N:,} (cited)", ratio=n / MOODLE_N if n else 0.0,
        goal=GOAL, holds=real_held and n >= GOAL_N, note=note,
        details={"confirmed": confirmed, "levels": [_level_details(level) for level in levels], "skipped": skipped,
                 "real_pace": None if real is None else _level_details(real),
                 "think_seconds": size.think_seconds, "ramp_seconds": size.ramp_seconds, "workers": WORKERS,
                 "p95_limit_ms": P95_LIMIT_MS, "population": people["summary"], "load_average": load_average},
    )


def _level_summary(level: dict[str, Any]) -> str:
    return (f"N={level['n']:,}: p95 {level['all']['p95_ms'] or 0:,.0f} ms, {level['errors']} errors"
            f"{', aborted' if level['aborted'] else ''}, peak {level['peak_req_per_s']:,} req/s")


def _level_details(level: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in level.items() if key != "mode"}


# --------------------------------------------------------------------------- exam_answer_save

def run_answer_save(*, quick: bool, database_url: str) -> Row:
    size = QUICK if quick else FULL
    env = server_env(database_url)
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-exam-answer-") as tmp:
        workdir = Path(tmp)
        people = population(env, size.examinees, workdir)
        fixture(env, "clean")
        made = fixture(env, "exam", "--workers", str(size.examinees), "--ahead", "--label", "answer-save")
        with served(database_url, prefix="bench-exam-answer-") as base:
            check(f"{base}/bench/bare/", b"ok")
            plan = {"mode": "hammer", "base": base, "exam": made["code"], "cookie_names": people["cookie_names"],
                    "examinees": people["examinees"][: size.examinees], "clients": size.clients, "runs": size.runs,
                    "seconds": size.seconds, "warmup_seconds": size.warmup_seconds, "timeout": 30}
            timeout = (size.seconds * size.runs + size.warmup_seconds) * 2 + size.examinees * 2 + 300
            result = drive(env, workdir, plan, timeout)
        fixture(env, "clean")
    if result.get("setup_failed"):
        raise contract_error(result)
    if result["errors"]:
        raise BenchError(f"errors under load: {result['errors']}\n" + "\n".join(result["error_samples"]))
    answer_runs, bare_runs = result["runs"]["answer"], result["runs"]["bare"]
    answer_rate = median([run["req_per_s"] for run in answer_runs])
    bare_rate = median([run["req_per_s"] for run in bare_runs])
    ratio = answer_rate / bare_rate
    cost = median([run["driver_cpu_us_per_request"] for run in bare_runs + answer_runs])
    share = max(run["driver_cpu_seconds"] / run["seconds"] for run in bare_runs + answer_runs)
    note = (
        f"POST …/answer/ (JSON, a signed-in worker's session, CSRF-checked, {size.examinees} open attempts in turn) vs "
        f"a bare HttpResponse view behind the same middleware answering the same request (POST /bench/bare/, same "
        f"cookies, header and body); closed loop, {size.clients} connections, a new connection per request; median "
        f"of {size.runs} × {size.seconds:g} s each, alternating; answer p95 "
        f"{median([run['p95_ms'] or 0 for run in answer_runs]):,.1f} ms, bare p95 "
        f"{median([run['p95_ms'] or 0 for run in bare_runs]):,.1f} ms; the generator spent {cost:,.0f} µs of CPU per "
        f"request (ceiling about {1e6 / cost:,.0f} req/s on one core) and used at most {share * 100:.0f} % of a core, "
        f"on the same 2 cores as the server; gunicorn {WORKERS} sync workers, production settings; load average at "
        f"start {load_average:.2f}"
    )
    return Row(
        name=ANSWER_NAME, ours=f"{answer_rate:,.0f} req/s", reference=f"{bare_rate:,.0f} req/s", ratio=ratio,
        goal=ANSWER_GOAL, holds=ratio >= ANSWER_GOAL_RATIO, note=note,
        details={"answer_runs": answer_runs, "bare_runs": bare_runs, "clients": size.clients,
                 "examinees": size.examinees, "seconds": size.seconds, "runs": size.runs, "workers": WORKERS,
                 "requests": sum(run["requests"] for run in answer_runs + bare_runs),
                 "papers_seconds": made["papers_seconds"], "load_average": load_average},
    )
