"""Results workbook for employer admins (being built, issue 8)."""

from __future__ import annotations


def results_export_run(*, export_id: int) -> bool:
    return False
