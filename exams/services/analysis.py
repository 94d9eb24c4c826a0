"""Item analysis (being built, issue 8)."""

from __future__ import annotations


def analysis_run(*, job_id: int) -> int:
    return 0
