"""awareness_workbook: the awareness workbook for N responses against raw XlsxWriter writing the
same cells, and the workbook's peak memory.

Ours is `surveys.services.exports.awareness_workbook_write`: the export layer (core.exports:
constant-memory ExportWorkbook, the formula guard on every string, the column formats), the six
figure sheets with their three native charts, and the responses sheet(s) from de-identified
`ResponseRow`s (labels, dates, percentages, one column per item, split at Excel's row limit).
The reference is a plain XlsxWriter script in constant-memory mode writing the same responses
cells (the same values in the same places, header included) with no formats, guard or charts.
Both read the same deterministic rows from one generator (no database: the job's query is not
what this compares), and at smoke size the parent checks that the two responses sheets hold
identical cells, so the reference cannot drift from ours unnoticed.

Every run is its own child process (`python -m bench.awareness_workbook measure …`), so its
peak resident memory (getrusage RUSAGE_SELF ru_maxrss) is that run's alone; ours and the
reference take turns, and the time is the median over the runs. N defaults to 100,000 responses
(AWARENESS_BENCH_RESPONSES overrides it; --quick writes 2,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import BenchError, Row, child_env, median, run_child

NAME = "awareness_workbook"
GOAL_RATIO = 1.5
GOAL_RSS_MB = 300
GOAL = f"≤ {GOAL_RATIO}× time, RSS < {GOAL_RSS_MB} MB"
FULL_COUNT, FULL_RUNS = 100_000, 2
QUICK_COUNT, QUICK_RUNS = 2_000, 1
CHILD_TIMEOUT = 1800
KNOWLEDGE_ITEMS = 30
DIMENSIONS = (("law", "法律法规"), ("protection_knowledge", "防护知识"), ("protection_skills", "防护技能"),
              ("healthy_behaviour", "健康行为"))
REGIONS = (("320302", "鼓楼区"), ("320303", "云龙区"), ("320305", "贾汪区"), ("320311", "泉山区"), ("320312", "铜山区"))
INDUSTRIES = (("B", "采矿业"), ("C", "制造业"), ("E", "建筑业"))
GROUPS = (("exposed", "接害劳动者"), ("manager", "职业卫生管理人员"))


def response_count(quick: bool) -> int:
    explicit = os.environ.get("AWARENESS_BENCH_RESPONSES", "")
    return int(explicit) if explicit.isdigit() and int(explicit) > 0 else (QUICK_COUNT if quick else FULL_COUNT)


# --------------------------------------------------------------------------- parent (no Django)

def run(*, quick: bool, database_url: str) -> Row:
    count = response_count(quick)
    runs = QUICK_RUNS if quick else FULL_RUNS
    ours: list[dict[str, Any]] = []
    reference: list[dict[str, Any]] = []
    identical: bool | None = None
    with tempfile.TemporaryDirectory(prefix="bench-awareness-") as workdir:
        env = child_env(database_url)
        for number in range(runs):
            order = ("ours", "reference") if number % 2 == 0 else ("reference", "ours")
            for which in order:
                out = Path(workdir) / f"{which}-{number}.xlsx"
                measured = run_child(["-m", "bench.awareness_workbook", "measure", "--which", which, "--count",
                                      str(count), "--out", str(out)], env, timeout=CHILD_TIMEOUT)
                measured["bytes"] = out.stat().st_size
                (ours if which == "ours" else reference).append(measured)
        if quick:
            identical = run_child(["-m", "bench.awareness_workbook", "compare", str(Path(workdir) / "ours-0.xlsx"),
                                   str(Path(workdir) / "reference-0.xlsx")], env, timeout=CHILD_TIMEOUT)["identical"]
    ours_seconds = median([entry["seconds"] for entry in ours])
    reference_seconds = median([entry["seconds"] for entry in reference])
    ratio = ours_seconds / reference_seconds
    peak_mb = max(entry["maxrss_kb"] for entry in ours) / 1024
    baseline_mb = max(entry["baseline_kb"] for entry in ours) / 1024
    cells = ours[0]["cells"]
    holds = ratio <= GOAL_RATIO and peak_mb < GOAL_RSS_MB and identical is not False
    note = (
        f"{count:,} responses ({cells:,} response cells, {ours[0]['columns']} columns) plus the six figure sheets and "
        f"three native charts; median of {runs} run(s) each, every run its own child process, ours and the reference "
        f"taking turns; ours peak RSS {peak_mb:,.0f} MB (of which {baseline_mb:,.0f} MB is the process with Django "
        f"loaded before writing; child's getrusage ru_maxrss), reference peak "
        f"{max(entry['maxrss_kb'] for entry in reference) / 1024:,.0f} MB; files {ours[0]['bytes'] // 1024:,} KiB "
        f"ours, {reference[0]['bytes'] // 1024:,} KiB reference; "
        + ("responses cells identical to the reference's" if identical else
           "RESPONSES CELLS DIFFER" if identical is False else "cells compared at smoke size only")
        + "; no database (rows from one generator)"
    )
    return Row(
        name=NAME, ours=f"{ours_seconds:,.2f} s, {peak_mb:,.0f} MB", reference=f"{reference_seconds:,.2f} s",
        ratio=ratio, goal=GOAL, holds=holds, note=note,
        details={"count": count, "runs": runs, "ours": ours, "reference": reference, "ours_seconds": ours_seconds,
                 "reference_seconds": reference_seconds, "peak_rss_mb": peak_mb, "baseline_rss_mb": baseline_mb,
                 "identical": identical, "memory_method": "child process getrusage(RUSAGE_SELF).ru_maxrss"},
    )


# --------------------------------------------------------------------------- the rows (no Django)

def item_codes() -> list[str]:
    return [f"k{number:02d}" for number in range(1, KNOWLEDGE_ITEMS + 1)] + ["k_multi", "earplug", "years", "advice"]


def raw_rows(count: int) -> Iterator[dict[str, Any]]:
    """Deterministic respondents: the same for ours and the reference, whichever process draws them."""
    rng = random.Random(20260615)
    codes = item_codes()
    start = dt.date(2026, 6, 1)
    for number in range(count):
        region = REGIONS[number % len(REGIONS)]
        industry = INDUSTRIES[number % len(INDUSTRIES)]
        group = GROUPS[number % len(GROUPS)]
        answers: dict[str, Any] = {code: rng.choice("abcd") for code in codes[:KNOWLEDGE_ITEMS]}
        answers["k_multi"] = sorted(rng.sample(["a", "b", "c", "d"], rng.randint(1, 3)))
        answers["earplug"] = rng.choice(["yes", "no", "na"])
        answers["years"] = rng.randint(0, 30)
        if number % 7 == 0:
            answers["advice"] = "希望多开展培训"
        earned = rng.randint(0, 40)
        rates = tuple(rng.randint(0, 10) / 10 if rng.random() > 0.05 else None for _dimension in DIMENSIONS)
        yield {
            "code": f"R{number:08d}", "submitted_on": start + dt.timedelta(days=number % 28),
            "source": ("online", "在线") if number % 5 else ("paper", "纸质录入"), "region": region, "industry": industry,
            "group": group, "sex": ("male", "男") if number % 2 else ("female", "女"), "age": ("25-34", "25–34岁"),
            "education": ("senior", "高中/中专/技校"), "size": ("small", "小型"), "years": answers["years"],
            "hazards": "粉尘、物理因素" if number % 3 else "化学因素", "stratum": f"{region[1]}·{industry[1]}·{group[1]}",
            "weight": 1000 / (1 + number % 17), "score_rate": earned / 40, "aware": earned >= 32,
            "dimension_rates": rates, "answers": answers,
        }


def reference_cells(row: dict[str, Any], codes: list[str]) -> list[Any]:
    """The responses sheet's cells written by hand, as a plain script would."""
    cells: list[Any] = [row["code"], row["submitted_on"].strftime("%Y-%m-%d"), row["source"][1], row["region"][0],
                        row["region"][1], row["industry"][0], row["industry"][1], row["group"][1], row["sex"][1],
                        row["age"][1], row["education"][1], row["size"][1], row["years"], row["hazards"],
                        row["stratum"], row["weight"], row["score_rate"], "是" if row["aware"] else "否",
                        *row["dimension_rates"]]
    for code in codes:
        value = row["answers"].get(code)
        cells.append(" ".join(value) if isinstance(value, list) else value)
    return cells


# --------------------------------------------------------------------------- children

def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _measure_reference(count: int, out: str) -> dict[str, Any]:
    import xlsxwriter

    codes = item_codes()
    baseline = _maxrss_kb()
    started = time.perf_counter()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    sheet = book.add_worksheet("答卷")
    header = _headers(codes)
    for column, title in enumerate(header):
        sheet.write_string(0, column, title)
    cells = 0
    for number, row in enumerate(raw_rows(count), start=1):
        for column, value in enumerate(reference_cells(row, codes)):
            if value is None:
                continue
            if isinstance(value, int | float):
                sheet.write_number(number, column, value)
            else:
                sheet.write_string(number, column, value)
            cells += 1
    book.close()
    return {"seconds": time.perf_counter() - started, "cells": cells, "columns": len(header), "maxrss_kb": _maxrss_kb(),
            "baseline_kb": baseline}


def _headers(codes: list[str]) -> list[str]:
    return ["答卷编号", "提交日期", "来源", "地区代码", "地区", "行业代码", "行业", "人群", "性别", "年龄组", "文化程度", "企业规模",
            "接害工龄", "接触危害因素", "抽样层", "权重", "得分率", "是否知晓", *[f"{name}得分率" for _code, name in DIMENSIONS],
            *codes]


def _measure_ours(count: int, out: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.utils import translation

    from surveys.services import exports

    translation.activate("zh-hans")
    codes = item_codes()
    table = _table(count)
    columns = tuple(exports.ItemColumn(code, f"第{position}题", "integer" if code == "years" else
                                       "text" if code == "advice" else "select_multiple" if code == "k_multi" else
                                       "select_one", "knowledge", ())
                    for position, code in enumerate(codes, start=1))

    def rows() -> Iterator[exports.ResponseRow]:
        for row in raw_rows(count):
            yield exports.ResponseRow(
                code=row["code"], submitted_on=row["submitted_on"], source=row["source"][0],
                source_label=row["source"][1], region_code=row["region"][0], region_name=row["region"][1],
                industry_code=row["industry"][0], industry_name=row["industry"][1], group=row["group"][0],
                group_label=row["group"][1], sex=row["sex"][0], sex_label=row["sex"][1], age_group=row["age"][0],
                age_group_label=row["age"][1], education=row["education"][0], education_label=row["education"][1],
                employer_size=row["size"][0], employer_size_label=row["size"][1], years_exposed=row["years"],
                hazards=row["hazards"], stratum=row["stratum"], weight=row["weight"], score_rate=row["score_rate"],
                aware=row["aware"], dimension_rates=row["dimension_rates"], answers=row["answers"],
            )

    responses = exports.AwarenessResponses(items=columns, dimensions=DIMENSIONS, period="2026-06-01 — 2026-06-30",
                                           count=count, rows=rows())
    baseline = _maxrss_kb()
    started = time.perf_counter()
    with open(out, "wb") as stream:
        written = exports.awareness_workbook_write(table, responses, stream)
    seconds = time.perf_counter() - started
    if written != count:
        raise BenchError(f"ours wrote {written} of {count} responses")
    header = exports.response_headers(responses)
    cells = sum(1 for row in raw_rows(count) for value in reference_cells(row, codes) if value is not None)
    return {"seconds": seconds, "cells": cells, "columns": len(header), "maxrss_kb": _maxrss_kb(),
            "baseline_kb": baseline}


def _table(count: int) -> Any:
    from surveys.services.types import AwarenessTable, DimensionRow, Estimate, ItemRow, StratumRow, TrendPoint

    def estimate(rate: float, n: int) -> Estimate:
        return Estimate(rate, n, n * 0.8, max(0.0, rate - 0.03), min(1.0, rate + 0.03), 0.9, rate >= 0.9, False)

    strata = [StratumRow(number, region[0], region[1], industry[0], industry[1], group[0], group[1], 10_000, 2_000,
                         count // 30, 3.0, estimate(0.5 + number / 100, count // 30))
              for number, (region, industry, group) in enumerate(
                  (r, i, g) for r in REGIONS for i in INDUSTRIES for g in GROUPS)]
    return AwarenessTable(
        wave_code="BENCH", wave_title="基准测试轮次", questionnaire_title="基准测试问卷", region_code="320300",
        region_name="徐州市", year=2026, threshold=0.8, weighted=True, respondents=count,
        awareness=estimate(0.62, count), item_average=estimate(0.7, count * KNOWLEDGE_ITEMS), strata=strata,
        dimensions=[DimensionRow(code, name, 8, estimate(0.6, count)) for code, name in DIMENSIONS],
        items=[ItemRow(f"k{number:02d}", f"第{number}题", "law", "法律法规", count, count // 2, estimate(number / 40, count))
               for number in range(1, KNOWLEDGE_ITEMS + 1)],
        behaviours=[],
        trend=[TrendPoint(f"T{year}", f"{year} 年", year, f"{year}-06-01", estimate(0.5 + (year - 2023) / 20, 3000))
               for year in (2023, 2024, 2025, 2026)],
    )


def _compare(ours: str, reference: str) -> dict[str, Any]:
    import openpyxl

    left = openpyxl.load_workbook(ours, read_only=True)["答卷"]
    right = openpyxl.load_workbook(reference, read_only=True)["答卷"]
    identical = all(a == b for a, b in zip(left.iter_rows(values_only=True), right.iter_rows(values_only=True),
                                           strict=True))
    return {"identical": identical}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.awareness_workbook")
    commands = parser.add_subparsers(dest="command", required=True)
    measure = commands.add_parser("measure")
    measure.add_argument("--which", choices=["ours", "reference"], required=True)
    measure.add_argument("--count", type=int, required=True)
    measure.add_argument("--out", required=True)
    compare = commands.add_parser("compare")
    compare.add_argument("ours")
    compare.add_argument("reference")
    args = parser.parse_args(argv)
    if args.command == "measure":
        result = (_measure_ours if args.which == "ours" else _measure_reference)(args.count, args.out)
    else:
        result = _compare(args.ours, args.reference)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
