"""The awareness indicator of a wave, within a region part: every figure the dashboard, the API, the
workbook and the .sav show (docs/indicators.md defines each one, with a worked example).

Speed: a respondent's score is stored in columns on Response when it arrives, and a response's
weight depends only on its stratum, so every weighted sum is a sum over strata of
(weight × a count in that stratum). The strata × dimension table is thus one grouped query over
Response (counts with FILTER clauses, integer comparisons only), never a loop over responses;
items and behaviour indicators are one grouped query each over Answer.

Weights: population ÷ the stratum's responses in the whole wave, so that a city's part of a
provincial wave weighs its strata as the whole wave does; a rate over a sub-group (a dimension,
an item, a behaviour that applies to some) keeps those weights (domain estimation). Without a
frame every response weighs 1. A response without a stratum in a wave with a frame (the answering
service refuses them, so only old or hand-made rows) weighs 1 and shows as its own cell.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from orgs.models import Industry, LiteracyDimension, PostRole, Region
from surveys.models import DIMENSION_COLUMNS, Answer, Item, ItemKind, Response, Stratum, Target, Wave
from surveys.selectors import wave_responses
from surveys.services.targets import TargetLookup, target_lookup
from surveys.services.types import (
    AwarenessTable,
    BehaviourRow,
    DimensionRow,
    Estimate,
    ItemRow,
    StratumRow,
    TrendPoint,
)

Z_95 = 1.96
AWARENESS_INDICATOR = "awareness"
CellKey = tuple[str, str, str]  # (region, industry, group) of responses without a stratum


def wilson_interval(successes: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for ``successes`` out of ``n`` (both may be fractional: a weighted
    share p on Kish's effective n is passed as p × n_eff, n_eff). For n ≤ 0 it is (0, 1): nothing
    is known."""
    if n <= 0:
        return 0.0, 1.0
    p = min(max(successes / n, 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def kish_effective_n(weights: Iterable[float]) -> float:
    """Kish's effective sample size (Σw)² ÷ Σw²; n itself when all weights are equal; 0 for none."""
    total = squares = 0.0
    for weight in weights:
        total += weight
        squares += weight * weight
    return total * total / squares if squares > 0 else 0.0


@dataclass
class _Tally:
    """Weighted sums over respondents, added a stratum (one weight) at a time.

    ``share``: numerator and denominator are respondents (aware ÷ counted). Otherwise a ratio
    (correct answers ÷ items shown), whose interval is still on the respondents' effective n."""

    n: int = 0
    hits: int = 0
    weights: float = 0.0
    squares: float = 0.0
    numerator: float = 0.0
    denominator: float = 0.0
    first_weight: float | None = None
    uniform: bool = True

    def add(self, *, n: int, weight: float, numerator: float, denominator: float | None = None,
            hits: int | None = None) -> None:
        if n <= 0:
            return
        if self.first_weight is None:
            self.first_weight = weight
        elif weight != self.first_weight:
            self.uniform = False
        self.n += n
        self.hits += int(numerator if hits is None else hits)
        self.weights += weight * n
        self.squares += weight * weight * n
        self.numerator += weight * numerator
        self.denominator += weight * (n if denominator is None else denominator)

    def estimate(self, target: Target | None = None) -> Estimate:
        goal = float(target.value) if target is not None else None
        if self.n == 0 or self.denominator <= 0 or self.squares <= 0:
            return Estimate(None, self.n, 0.0 if self.n == 0 else float(self.n), None, None, goal, None, None)
        rate = min(max(self.numerator / self.denominator, 0.0), 1.0)
        # Equal weights: n itself, exactly (the float formula would give 2.9999999…).
        effective = float(self.n) if self.uniform else self.weights * self.weights / self.squares
        low, high = wilson_interval(rate * effective, effective)
        met = None if goal is None else rate >= goal
        clears = None if goal is None else low >= goal
        return Estimate(rate, self.n, effective, low, high, goal, met, clears)


# -- the grouped queries ---------------------------------------------------------------------------
def _threshold_percent(wave: Wave) -> int:
    # threshold has two decimal places, so × 100 is an exact integer: the comparison below stays
    # in integers on every database (no float rounding at exactly 80 %).
    return int(Decimal(wave.questionnaire.threshold) * 100)


def _reaches(earned: str, possible: str, percent: int) -> Any:
    """earned ÷ possible ≥ threshold, as earned × 100 ≥ threshold% × possible (possible > 0)."""
    return Q(**{f"{possible}__gt": 0}) & GreaterThanOrEqual(F(earned) * 100, F(possible) * percent)


def _aggregates(percent: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "responses": Count("pk"),
        "n": Count("pk", filter=Q(points_possible__gt=0)),
        "aware": Count("pk", filter=_reaches("points_earned", "points_possible", percent)),
        "item_n": Count("pk", filter=Q(knowledge_items__gt=0)),
        "correct": Sum("knowledge_correct", default=0),
        "shown": Sum("knowledge_items", default=0),
    }
    for code, (earned, possible) in DIMENSION_COLUMNS.items():
        values[f"dim_{code}_n"] = Count("pk", filter=Q(**{f"{possible}__gt": 0}))
        values[f"dim_{code}_aware"] = Count("pk", filter=_reaches(earned, possible, percent))
    return values


def _cells(responses: QuerySet[Response], keys: tuple[str, ...], percent: int) -> list[dict[str, Any]]:
    return list(responses.values(*keys).annotate(**_aggregates(percent)).order_by())


@dataclass
class _Counts:
    """The grouped counts of one wave part: per stratum id (frame) and per cell (no stratum)."""

    strata: dict[int, dict[str, Any]]
    cells: dict[CellKey, dict[str, Any]]
    weights: dict[int, float]  # stratum id → population ÷ its responses in the whole wave
    whole: dict[int, int]  # stratum id → its responses in the whole wave

    def weight_of(self, key: object) -> float:
        return self.weights.get(key, 0.0) if isinstance(key, int) else 1.0

    def groups(self) -> Iterable[tuple[object, dict[str, Any]]]:
        yield from self.strata.items()
        yield from self.cells.items()


def _counts(wave: Wave, prefix: str | None, weighted: bool) -> _Counts:
    percent = _threshold_percent(wave)
    part = wave_responses(wave, prefix)
    strata: dict[int, dict[str, Any]] = {}
    weights: dict[int, float] = {}
    whole: dict[int, int] = {}
    if weighted:
        strata = {row["stratum_id"]: row for row in _cells(part.filter(stratum__isnull=False), ("stratum_id",), percent)}
        if prefix:
            whole = dict(Response.objects.filter(wave=wave, stratum__isnull=False).values("stratum_id")
                         .annotate(count=Count("pk")).order_by().values_list("stratum_id", "count"))
        else:
            whole = {key: row["responses"] for key, row in strata.items()}
        populations = dict(Stratum.objects.filter(wave=wave).values_list("pk", "population"))
        weights = {key: populations.get(key, 0) / count for key, count in whole.items() if count}
    loose = part.filter(stratum__isnull=True)
    cells = {(row["region_id"] or "", row["industry_id"] or "", row["group"] or ""): row
             for row in _cells(loose, ("region_id", "industry_id", "group"), percent)}
    return _Counts(strata, cells, weights, whole)


def _awareness_tally(counts: _Counts) -> _Tally:
    tally = _Tally()
    for key, row in counts.groups():
        tally.add(n=row["n"], weight=counts.weight_of(key), numerator=row["aware"])
    return tally


# -- the table ---------------------------------------------------------------------------------------
def _part_region(wave: Wave, prefix: str | None) -> Region:
    if prefix:
        region = Region.objects.filter(code=prefix.ljust(6, "0")).first()
        if region is not None:
            return region
    return wave.region


def awareness_table(*, wave: Wave, region_prefix: str | None = None) -> AwarenessTable:
    """Every figure of ``wave`` within ``region_prefix`` (None: the whole wave; a prefix: the
    responses whose region starts with it and the strata that lie in it or hold such responses).
    Rates are None where nothing was counted."""
    wave = Wave.objects.select_related("questionnaire", "region").get(pk=wave.pk)
    prefix = region_prefix or None
    year = wave.year
    weighted = Stratum.objects.filter(wave=wave).exists()
    counts = _counts(wave, prefix, weighted)
    region = _part_region(wave, prefix)
    awareness_target = target_lookup(indicator_code=AWARENESS_INDICATOR, year=year)
    total = _awareness_tally(counts).estimate(awareness_target(region.code))
    strata = _strata_rows(wave, prefix, counts, awareness_target)
    item_tally = _Tally()
    for key, row in counts.groups():
        item_tally.add(n=row["item_n"], weight=counts.weight_of(key), numerator=row["correct"],
                       denominator=row["shown"])
    return AwarenessTable(
        wave_code=wave.code, wave_title=wave.title, questionnaire_title=wave.questionnaire.title,
        region_code=region.code, region_name=region.name, year=year,
        threshold=float(wave.questionnaire.threshold), weighted=weighted,
        respondents=sum(row["n"] for _key, row in counts.groups()),
        awareness=total, item_average=item_tally.estimate(),
        strata=strata, dimensions=_dimension_rows(wave, counts, [_row_key(row) for row in strata]),
        items=_item_rows(wave, prefix, counts),
        behaviours=_behaviour_rows(wave, prefix, counts, region, year),
        trend=_trend(wave, prefix, total, region),
    )


def quota_progress(*, wave: Wave, region_prefix: str | None = None) -> list[StratumRow]:
    """Responses against quotas per stratum of the part (the strata of awareness_table)."""
    return awareness_table(wave=wave, region_prefix=region_prefix).strata


def _strata_rows(wave: Wave, prefix: str | None, counts: _Counts,
                 awareness_target: TargetLookup) -> list[StratumRow]:
    frame = Stratum.objects.filter(wave=wave)
    if prefix:
        frame = frame.filter(Q(region__code__startswith=prefix) | Q(pk__in=list(counts.strata)))
    strata = list(frame.order_by("region_id", "industry_id", "group"))
    codes = {stratum.region_id for stratum in strata} | {key[0] for key in counts.cells}
    industries = {stratum.industry_id for stratum in strata} | {key[1] for key in counts.cells}
    region_names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    industry_names = dict(Industry.objects.filter(code__in=industries).values_list("code", "name"))
    groups = dict(PostRole.choices)
    awareness_target.prefetch(codes)
    rows: list[StratumRow] = []
    empty: dict[str, Any] = {"responses": 0, "n": 0, "aware": 0}
    for stratum in strata:
        row = counts.strata.get(stratum.pk, empty)
        weight = counts.weight_of(stratum.pk)
        tally = _Tally()
        tally.add(n=row["n"], weight=weight, numerator=row["aware"])
        rows.append(StratumRow(
            stratum_id=stratum.pk, region_code=stratum.region_id, region_name=region_names.get(stratum.region_id, ""),
            industry_code=stratum.industry_id, industry_name=industry_names.get(stratum.industry_id, ""),
            group=stratum.group, group_label=str(groups.get(stratum.group, stratum.group)),
            population=stratum.population, quota=stratum.quota, responses=row["responses"], weight=weight,
            awareness=tally.estimate(awareness_target(stratum.region_id)),
        ))
    for (region_code, industry_code, group), row in sorted(counts.cells.items()):
        tally = _Tally()
        tally.add(n=row["n"], weight=1.0, numerator=row["aware"])
        rows.append(StratumRow(
            stratum_id=None, region_code=region_code, region_name=region_names.get(region_code, ""),
            industry_code=industry_code, industry_name=industry_names.get(industry_code, ""), group=group,
            group_label=str(groups.get(group, group)), population=None, quota=None, responses=row["responses"],
            weight=1.0, awareness=tally.estimate(awareness_target(region_code or None)),
        ))
    return rows


def _row_key(row: StratumRow) -> object:
    """DimensionRow.by_stratum's key: the stratum id, or (region, industry, group) for a cell."""
    return row.stratum_id if row.stratum_id is not None else (row.region_code, row.industry_code, row.group)


def _dimension_rows(wave: Wave, counts: _Counts, keys: list[object]) -> list[DimensionRow]:
    items = dict(Item.objects.filter(questionnaire_id=wave.questionnaire_id, kind=ItemKind.KNOWLEDGE,
                                     dimension__isnull=False).values("dimension_id").annotate(count=Count("pk"))
                 .order_by().values_list("dimension_id", "count"))
    names = dict(LiteracyDimension.objects.values_list("code", "name"))
    positions = dict(LiteracyDimension.objects.values_list("code", "position"))
    rows: list[DimensionRow] = []
    for code in sorted((code for code in DIMENSION_COLUMNS if items.get(code)), key=lambda c: positions.get(c, 0)):
        total = _Tally()
        # Every row of the strata table has an entry, those with no response yet included.
        by_stratum: dict[object, Estimate] = {key: _Tally().estimate() for key in keys}
        for key, row in counts.groups():
            weight = counts.weight_of(key)
            n, aware = row[f"dim_{code}_n"], row[f"dim_{code}_aware"]
            total.add(n=n, weight=weight, numerator=aware)
            single = _Tally()
            single.add(n=n, weight=weight, numerator=aware)
            by_stratum[key] = single.estimate()
        rows.append(DimensionRow(code=code, name=names.get(code, code), items=items[code],
                                 awareness=total.estimate(), by_stratum=by_stratum))
    return rows


def _answers(wave: Wave, prefix: str | None) -> QuerySet[Answer]:
    answers = Answer.objects.filter(response__wave=wave)
    if prefix:
        answers = answers.filter(response__region__code__startswith=prefix)
    return answers


def _item_rows(wave: Wave, prefix: str | None, counts: _Counts) -> list[ItemRow]:
    items = list(Item.objects.filter(questionnaire_id=wave.questionnaire_id, kind=ItemKind.KNOWLEDGE)
                 .select_related("dimension").order_by("sort_order", "pk"))
    grouped = (_answers(wave, prefix).filter(item_id__in=[item.pk for item in items], correct__isnull=False)
               .values("item_id", "response__stratum_id")
               .annotate(n=Count("pk"), right=Count("pk", filter=Q(correct=True))).order_by())
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for row in grouped:
        tallies[row["item_id"]].add(n=row["n"], weight=counts.weight_of(row["response__stratum_id"]),
                                    numerator=row["right"])
    rows = [ItemRow(code=item.code, label=item.label, dimension_code=item.dimension_id or "",
                    dimension_name=item.dimension.name if item.dimension else "",
                    answered=tallies[item.pk].n, correct=tallies[item.pk].hits,
                    correct_rate=tallies[item.pk].estimate()) for item in items]
    # Weakest first; items nobody answered last.
    rows.sort(key=lambda row: (row.correct_rate.rate is None, row.correct_rate.rate or 0.0))
    return rows


def _behaviour_rows(wave: Wave, prefix: str | None, counts: _Counts, region: Region, year: int) -> list[BehaviourRow]:
    items = (Item.objects.filter(questionnaire_id=wave.questionnaire_id, kind=ItemKind.BEHAVIOUR,
                                 indicator__isnull=False).exclude(yes_value="")
             .select_related("indicator").order_by("sort_order", "pk"))
    rows: list[BehaviourRow] = []
    for item in items:
        applicable = _answers(wave, prefix).filter(item=item, value__isnull=False).exclude(value="")
        if item.not_applicable_value:
            applicable = applicable.exclude(value=item.not_applicable_value)
        tally = _Tally()
        for row in (applicable.values("response__stratum_id")
                    .annotate(n=Count("pk"), yes=Count("pk", filter=Q(value=item.yes_value))).order_by()):
            tally.add(n=row["n"], weight=counts.weight_of(row["response__stratum_id"]), numerator=row["yes"])
        assert item.indicator is not None
        target = target_lookup(indicator_code=item.indicator.code, year=year)(region.code)
        rows.append(BehaviourRow(item_code=item.code, label=item.label, indicator_code=item.indicator.code,
                                 indicator_name=item.indicator.name, applicable=tally.n, yes=tally.hits,
                                 rate=tally.estimate(target)))
    return rows


def _trend(wave: Wave, prefix: str | None, current: Estimate, region: Region) -> list[TrendPoint]:
    """The waves over the same region as this one, oldest first, each over the same part."""
    points: list[TrendPoint] = []
    waves = Wave.objects.filter(region_id=wave.region_id).select_related("questionnaire").order_by("opens_at", "pk")
    for other in waves:
        if other.pk == wave.pk:
            estimate = current
        else:
            weighted = Stratum.objects.filter(wave=other).exists()
            target = target_lookup(indicator_code=AWARENESS_INDICATOR, year=other.year)(region.code)
            estimate = _awareness_tally(_counts(other, prefix, weighted)).estimate(target)
        points.append(TrendPoint(wave_code=other.code, wave_title=other.title, year=other.year,
                                 opens_at=timezone.localtime(other.opens_at).isoformat(), awareness=estimate))
    return points
