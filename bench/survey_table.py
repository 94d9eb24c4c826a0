"""survey_table: the awareness table of a wave of 1,000,000 responses over ~300 strata on
PostgreSQL, against one COUNT(*) over the same rows, in the same run.

Ours is `surveys.services.statistics.awareness_table(wave=…)` as the dashboard, the API and the
workbook call it: the strata × dimension table (one grouped query over Response: per stratum the
counted, aware, item and per-dimension counts), the whole-wave totals, the item and behaviour
rates (grouped queries over Answer), the targets and the trend. The reference is
`SELECT COUNT(*) FROM surveys_response WHERE wave_id = …`: the least any figure over these rows
costs, so the ratio says how much more than reading the rows the statistics cost. The goal is
the issue's absolute one: the full table in < 5 s.

The wave (setup child): a questionnaire of 20 one-point knowledge items (five per dimension) and
one behaviour item (耳塞, with 不适用); 300 strata = 10 徐州 counties × 10 industry sections × 3
groups; N responses written with COPY, their score columns drawn at random; Answer rows for
ANSWERED_ITEMS of the knowledge items and the behaviour item of every response, made by one
INSERT … SELECT on the server (a real wave has 20 answers a response; the item query grows with
them, which the note says). Then ANALYZE, as autovacuum would have done. Timed in a separate
child: one warm-up call, then RUNS calls each of ours and the reference, taking turns; medians.

N defaults to 1,000,000 (SURVEY_TABLE_BENCH_RESPONSES overrides it; --quick: 2,000).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from typing import Any

from bench.common import Row, child_env, median, run_child

NAME = "survey_table"
GOAL_SECONDS = 5.0
GOAL = f"< {GOAL_SECONDS:g} s for 1,000,000 responses"
FULL_COUNT, FULL_RUNS = 1_000_000, 3
QUICK_COUNT, QUICK_RUNS = 2_000, 1
SIZE_ENV = "SURVEY_TABLE_BENCH_RESPONSES"
ANSWERED_ITEMS = 5
CHILD_TIMEOUT = 3600
FORM_ID = "bench-survey-table"
WAVE_TITLE = "bench survey_table"
COUNTIES = ("320302", "320303", "320305", "320311", "320312", "320321", "320322", "320324", "320381", "320382")
SECTIONS = tuple("ABCDEFGHIJ")
GROUPS = ("principal", "manager", "exposed")
DIMENSIONS = ("law", "protection_knowledge", "protection_skills", "healthy_behaviour")
ITEMS_PER_DIMENSION = 5


def response_count(quick: bool) -> int:
    explicit = os.environ.get(SIZE_ENV, "")
    return int(explicit) if explicit.isdigit() and int(explicit) > 0 else (QUICK_COUNT if quick else FULL_COUNT)


# --------------------------------------------------------------------------- parent (no Django)

def run(*, quick: bool, database_url: str) -> Row:
    count = response_count(quick)
    runs = QUICK_RUNS if quick else FULL_RUNS
    env = child_env(database_url)
    try:
        made = run_child(["-m", "bench.survey_table", "setup", "--count", str(count)], env, timeout=CHILD_TIMEOUT)
        measured = run_child(["-m", "bench.survey_table", "measure", "--runs", str(runs)], env, timeout=CHILD_TIMEOUT)
    finally:
        run_child(["-m", "bench.survey_table", "clean"], env, timeout=CHILD_TIMEOUT)
    ours, reference = median(measured["ours"]), median(measured["reference"])
    ratio = ours / reference if reference > 0 else None
    note = (
        f"{measured['responses']:,} responses in {measured['strata']} strata, {made['answers']:,} answer rows "
        f"({ANSWERED_ITEMS} knowledge items + 1 behaviour item a response); awareness_table {ours:.2f} s "
        f"(median of {runs}, after one warm-up; {measured['strata_rows']} strata rows × {measured['dimensions']} "
        f"dimensions, {measured['items']} items, {measured['behaviours']} behaviour row; of which the grouped "
        f"Response query alone {median(measured['strata_counts']):.2f} s, the rest the Answer queries) against the "
        f"{GOAL_SECONDS:g} s goal; reference: one COUNT(*) over the same rows, {reference * 1000:.0f} ms, "
        f"measured in the same child; load {made['load_seconds']:.0f} s (COPY + INSERT … SELECT + ANALYZE)"
    )
    return Row(
        name=NAME, ours=f"{ours:.2f} s", reference=f"{reference:.3f} s COUNT(*)", ratio=ratio, goal=GOAL,
        holds=ours < GOAL_SECONDS if count >= FULL_COUNT else None, note=note,
        details={"count": count, "runs": runs, **measured, "setup": made},
    )


# --------------------------------------------------------------------------- children (Django)

def _setup(count: int) -> dict[str, Any]:
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from orgs.models import Industry, Region
    from surveys.models import Indicator, Item, ItemKind, ItemType, Questionnaire, Stratum, Wave

    _clean()
    started = time.perf_counter()
    with transaction.atomic():
        questionnaire = Questionnaire.objects.create(title="基准测试问卷", form_id=FORM_ID)
        position = 0
        for dimension in DIMENSIONS:
            for number in range(ITEMS_PER_DIMENSION):
                Item.objects.create(questionnaire=questionnaire, sort_order=position, code=f"k{position + 1:02d}",
                                    kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_ONE, label=f"{dimension} {number}",
                                    dimension_id=dimension, answer=["a"],
                                    choices=[{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}])
                position += 1
        indicator = Indicator.objects.filter(code="earplug").first()
        Item.objects.create(questionnaire=questionnaire, sort_order=position, code="earplug", kind=ItemKind.BEHAVIOUR,
                            type=ItemType.SELECT_ONE, label="耳塞", indicator=indicator, yes_value="yes",
                            not_applicable_value="na",
                            choices=[{"value": value, "label": value} for value in ("yes", "no", "na")])
        now = timezone.now()
        wave = Wave.objects.create(questionnaire=questionnaire, title=WAVE_TITLE, region=Region.objects.get(code="320300"),
                                   opens_at=now - dt.timedelta(days=10), closes_at=now + dt.timedelta(days=10))
        industries = {industry.code: industry for industry in Industry.objects.filter(code__in=SECTIONS)}
        strata = Stratum.objects.bulk_create([
            Stratum(wave=wave, region_id=county, industry=industries[section], group=group,
                    population=1000 + 37 * number, quota=None)
            for number, (county, section, group) in enumerate(
                (c, s, g) for c in COUNTIES for s in SECTIONS for g in GROUPS)])
    rng = random.Random(20260615)
    columns = ("code", "wave_id", "stratum_id", "source", "paper_number", "region_id", "industry_id", "employer_size",
               "group", "sex", "age_group", "education", "hazards", "points_earned", "points_possible",
               "knowledge_correct", "knowledge_items", "earned_law", "possible_law", "earned_knowledge",
               "possible_knowledge", "earned_skills", "possible_skills", "earned_behaviour", "possible_behaviour",
               "submitted_at")
    quoted = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY surveys_response ({quoted}) FROM STDIN") as copy:
            for number in range(count):
                stratum = strata[rng.randrange(len(strata))]
                # Each stratum has its own ability, so that strata differ as in the demo.
                ability = 0.45 + (stratum.pk % 50) / 100
                earned = [sum(rng.random() < ability for _ in range(ITEMS_PER_DIMENSION)) for _ in DIMENSIONS]
                possible = ITEMS_PER_DIMENSION * len(DIMENSIONS)
                copy.write_row((f"B{number:09d}", wave.pk, stratum.pk, "online", "", stratum.region_id,
                                stratum.industry_id, "", stratum.group, "", "", "", "[]", sum(earned), possible,
                                sum(earned), possible, earned[0], 5, earned[1], 5, earned[2], 5, earned[3], 5, now))
        knowledge_ids = list(Item.objects.filter(questionnaire=questionnaire, kind=ItemKind.KNOWLEDGE)
                             .order_by("sort_order").values_list("pk", flat=True)[:ANSWERED_ITEMS])
        behaviour_id = Item.objects.get(questionnaire=questionnaire, code="earplug").pk
        cursor.execute(
            "INSERT INTO surveys_answer (response_id, item_id, value, correct) "
            "SELECT r.id, i.id, CASE WHEN abs(hashtext(r.code || i.id::text)) %% 10 < 7 THEN '\"a\"'::jsonb "
            "ELSE '\"b\"'::jsonb END, abs(hashtext(r.code || i.id::text)) %% 10 < 7 "
            "FROM surveys_response r CROSS JOIN unnest(%s::bigint[]) AS i(id) WHERE r.wave_id = %s",
            [knowledge_ids, wave.pk])
        cursor.execute(
            "INSERT INTO surveys_answer (response_id, item_id, value, correct) "
            "SELECT r.id, %s, to_jsonb((ARRAY['yes', 'yes', 'no', 'na'])[1 + abs(hashtext(r.code)) %% 4]), NULL "
            "FROM surveys_response r WHERE r.wave_id = %s", [behaviour_id, wave.pk])
        cursor.execute("ANALYZE surveys_response")
        cursor.execute("ANALYZE surveys_answer")
        cursor.execute("SELECT count(*) FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id "
                       "WHERE r.wave_id = %s", [wave.pk])
        answers = cursor.fetchone()[0]
    return {"wave": wave.code, "responses": count, "strata": len(strata), "answers": answers,
            "load_seconds": time.perf_counter() - started}


def _measure(runs: int) -> dict[str, Any]:
    from surveys.models import Response, Wave
    from surveys.services import statistics
    from surveys.services.statistics import awareness_table

    wave = Wave.objects.get(title=WAVE_TITLE)
    table = awareness_table(wave=wave)  # warm-up: code paths, catalogues, the buffer cache
    ours: list[float] = []
    reference: list[float] = []
    counts_only: list[float] = []
    for _number in range(runs):
        started = time.perf_counter()
        table = awareness_table(wave=wave)
        ours.append(time.perf_counter() - started)
        # The Response part alone (strata × dimension counts), to tell it from the Answer queries.
        started = time.perf_counter()
        statistics._counts(wave, None, True)
        counts_only.append(time.perf_counter() - started)
        started = time.perf_counter()
        counted = Response.objects.filter(wave=wave).count()
        reference.append(time.perf_counter() - started)
    if counted != table.respondents:
        raise RuntimeError(f"COUNT(*) says {counted}, the table {table.respondents}")
    return {"ours": ours, "reference": reference, "strata_counts": counts_only, "responses": counted, "strata": len(table.strata),
            "strata_rows": len(table.strata), "dimensions": len(table.dimensions), "items": len(table.items),
            "behaviours": len(table.behaviours), "awareness": table.awareness.rate,
            "n_effective": table.awareness.n_effective}


def _clean() -> dict[str, Any]:
    from django.db import connection

    from surveys.models import Questionnaire, Wave

    waves = list(Wave.objects.filter(title=WAVE_TITLE).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        if waves:
            # Raw deletes: the ORM would load a million rows to cascade them one by one.
            cursor.execute("DELETE FROM surveys_answer WHERE response_id IN "
                           "(SELECT id FROM surveys_response WHERE wave_id = ANY(%s))", [waves])
            cursor.execute("DELETE FROM surveys_response WHERE wave_id = ANY(%s)", [waves])
    Wave.objects.filter(pk__in=waves).delete()
    deleted, _ = Questionnaire.objects.filter(form_id=FORM_ID).delete()
    return {"waves": len(waves), "deleted": deleted}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.survey_table")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup")
    setup.add_argument("--count", type=int, required=True)
    measure = commands.add_parser("measure")
    measure.add_argument("--runs", type=int, required=True)
    commands.add_parser("clean")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.command == "setup":
        result = _setup(args.count)
    elif args.command == "measure":
        result = _measure(args.runs)
    else:
        result = _clean()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
