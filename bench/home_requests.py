"""home_requests: requests per second of the Wagtail home page against a bare Django view.

Both are served by one gunicorn (2 sync workers, bench/settings.py = production settings over
plain HTTP, persistent database connections) on the bench database seeded with the demo data,
and loaded alternately by the same generator (wrk if installed, else bench/loadgen.py) from the
same machine. The figure of interest is the ratio home / bare: what the page costs on top of
Django's own request cycle and middleware. The server and load helpers live in bench/server.py.
"""

from __future__ import annotations

import os

from bench.common import Row, median
from bench.loadgen import CLIENTS
from bench.server import WORKERS, alternating_load, check, default_tool, generator_label, seed_demo, served

NAME = "home_requests"
RUNS, SECONDS, WARMUP_SECONDS = 3, 10.0, 3.0
QUICK_RUNS, QUICK_SECONDS, QUICK_WARMUP_SECONDS = 1, 1.0, 0.5
GOAL_RATIO = 0.10
GOAL = f"≥ {GOAL_RATIO:.2f}"


def run(*, quick: bool, database_url: str, tool: str | None = None) -> Row:
    runs, seconds, warmup = (QUICK_RUNS, QUICK_SECONDS, QUICK_WARMUP_SECONDS) if quick else (RUNS, SECONDS, WARMUP_SECONDS)
    tool = tool or default_tool()
    # Idempotent: the demo's employers and workers, and the site's page tree from the migrations.
    seed_demo(database_url)
    load_average = os.getloadavg()[0]
    with served(database_url, prefix="bench-home-") as base:
        home_url, bare_url = f"{base}/", f"{base}/bench/bare/"
        page_bytes = check(home_url, b'class="home"')
        check(bare_url, b"ok")
        results = alternating_load({"home": home_url, "bare": bare_url}, runs=runs, seconds=seconds,
                                   warmup=warmup, tool=tool)
    home, bare = results["home"], results["bare"]
    home_rate = median([result.requests_per_s for result in home])
    bare_rate = median([result.requests_per_s for result in bare])
    ratio = home_rate / bare_rate
    note = (
        f"anonymous GET / ({page_bytes:,} bytes) vs a bare HttpResponse view behind the same middleware; "
        f"gunicorn {WORKERS} sync workers, production settings; {generator_label(tool)} on the same cores; "
        f"median of {runs} × {seconds:g} s each, alternating; load average at start {load_average:.2f}"
    )
    return Row(
        name=NAME,
        ours=f"{home_rate:,.0f} req/s",
        reference=f"{bare_rate:,.0f} req/s",
        ratio=ratio,
        goal=GOAL,
        holds=ratio >= GOAL_RATIO,
        note=note,
        details={"home_req_per_s": [result.requests_per_s for result in home],
                 "bare_req_per_s": [result.requests_per_s for result in bare],
                 "tool": tool, "clients": CLIENTS, "workers": WORKERS, "seconds": seconds, "runs": runs,
                 "page_bytes": page_bytes, "requests": sum(result.ok for result in (*home, *bare))},
    )
