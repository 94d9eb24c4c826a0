"""kb_article_requests: requests per second of a knowledge-base article against a bare Wagtail page.

Ours is an anonymous GET of a published ArticlePage as readers get it: routed by Wagtail through
the home page and the knowledge base, with a cover picture, several body blocks (paragraphs, key
points, callout or FAQ, the editor's related-articles block), tags and the related articles
chosen by shared tags, rendered with its `{% wagtailpagecache %}` fragment. The reference is a
plain `wagtail.models.Page` under the home page, served by Wagtail's own routing and rendered
with Wagtail's own `wagtailcore/page.html`: what any Wagtail page costs at the least.

Both pages are created by a child process (`python -m bench.kb_fixtures article-page`, through the
demo's own publishing path) on the bench database seeded with the demo data, then served by one
gunicorn and loaded alternately by the same generator, exactly as home_requests does
(bench/server.py). The figure of interest is the ratio article / bare page.
"""

from __future__ import annotations

import os

from bench.common import Row, median, run_child
from bench.loadgen import CLIENTS
from bench.server import (
    WORKERS,
    alternating_load,
    check,
    default_tool,
    generator_label,
    seed_demo,
    served,
    server_env,
)

NAME = "kb_article_requests"
RUNS, SECONDS, WARMUP_SECONDS = 3, 10.0, 3.0
QUICK_RUNS, QUICK_SECONDS, QUICK_WARMUP_SECONDS = 1, 1.0, 0.5
GOAL_RATIO = 0.8
GOAL = f"≥ {GOAL_RATIO:.1f}"
FIXTURE_TIMEOUT = 600.0


def run(*, quick: bool, database_url: str, tool: str | None = None) -> Row:
    runs, seconds, warmup = (QUICK_RUNS, QUICK_SECONDS, QUICK_WARMUP_SECONDS) if quick else (RUNS, SECONDS, WARMUP_SECONDS)
    tool = tool or default_tool()
    seed_demo(database_url)
    fixture = run_child(["-m", "bench.kb_fixtures", "article-page"], server_env(database_url), timeout=FIXTURE_TIMEOUT)
    load_average = os.getloadavg()[0]
    with served(database_url, prefix="bench-kb-article-") as base:
        article_url, bare_url = base + fixture["article_path"], base + fixture["bare_path"]
        # The first request renders the cover's renditions and fills the page's fragment cache;
        # the load then measures what every later reader gets.
        article_bytes = check(article_url, b'data-testid="article"')
        check(article_url, b'data-testid="related"')
        bare_bytes = check(bare_url, f"<h1>{fixture['bare_title']}</h1>".encode())
        results = alternating_load({"article": article_url, "bare": bare_url}, runs=runs, seconds=seconds,
                                   warmup=warmup, tool=tool)
    article, bare = results["article"], results["bare"]
    article_rate = median([result.requests_per_s for result in article])
    bare_rate = median([result.requests_per_s for result in bare])
    ratio = article_rate / bare_rate
    note = (
        f"anonymous GET {fixture['article_path']} ({article_bytes:,} bytes; {len(fixture['article_blocks'])} body "
        f"blocks, cover, {len(fixture['article_tags'])} tags, related articles; depth {fixture['article_depth']}) vs "
        f"a plain wagtail Page at {fixture['bare_path']} ({bare_bytes:,} bytes, {fixture['bare_template']}; "
        f"depth {fixture['bare_depth']}); gunicorn {WORKERS} sync workers, production settings; "
        f"{generator_label(tool)} on the same cores; median of {runs} × {seconds:g} s each, alternating; "
        f"load average at start {load_average:.2f}"
    )
    return Row(
        name=NAME,
        ours=f"{article_rate:,.0f} req/s",
        reference=f"{bare_rate:,.0f} req/s",
        ratio=ratio,
        goal=GOAL,
        holds=ratio >= GOAL_RATIO,
        note=note,
        details={"article_req_per_s": [result.requests_per_s for result in article],
                 "bare_req_per_s": [result.requests_per_s for result in bare],
                 "tool": tool, "clients": CLIENTS, "workers": WORKERS, "seconds": seconds, "runs": runs,
                 "article_bytes": article_bytes, "bare_bytes": bare_bytes, "fixture": fixture,
                 "requests": sum(result.ok for result in (*article, *bare))},
    )
