"""The shapes the awareness statistics come in: the dashboard, the API, the workbook and the .sav
export all read these, filled by surveys.services.statistics, so their numbers cannot differ."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Estimate:
    """A rate with its sample and 95 % Wilson interval, and how it stands against its target.

    ``n`` is the unweighted count of respondents it is computed over; ``n_effective`` is Kish's
    (Σw)² ÷ Σw² (equal to n without a frame); the interval is Wilson's on ``n_effective``.
    ``rate``, ``low`` and ``high`` are None when n is 0. ``target`` is a fraction or None;
    ``met`` is rate ≥ target and ``lower_clears`` is low ≥ target (None without a target or a rate).
    """

    rate: float | None
    n: int
    n_effective: float
    low: float | None
    high: float | None
    target: float | None = None
    met: bool | None = None
    lower_clears: bool | None = None


@dataclass(frozen=True)
class StratumRow:
    """One stratum of the frame (or, without a frame, one region × industry × group cell seen)."""

    stratum_id: int | None
    region_code: str
    region_name: str
    industry_code: str
    industry_name: str
    group: str
    group_label: str
    population: int | None
    quota: int | None
    responses: int
    weight: float
    awareness: Estimate


@dataclass(frozen=True)
class DimensionRow:
    code: str
    name: str
    items: int
    awareness: Estimate
    # Per stratum, keyed by StratumRow.stratum_id (None without a frame: keyed by (region, industry, group)).
    by_stratum: dict[object, Estimate] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemRow:
    code: str
    label: str
    dimension_code: str
    dimension_name: str
    answered: int
    correct: int
    correct_rate: Estimate


@dataclass(frozen=True)
class BehaviourRow:
    item_code: str
    label: str
    indicator_code: str
    indicator_name: str
    applicable: int
    yes: int
    rate: Estimate


@dataclass(frozen=True)
class TrendPoint:
    wave_code: str
    wave_title: str
    year: int
    opens_at: str
    awareness: Estimate


@dataclass(frozen=True)
class AwarenessTable:
    """Everything the evaluator reads for one wave, within their region (``region_prefix``)."""

    wave_code: str
    wave_title: str
    questionnaire_title: str
    region_code: str
    region_name: str
    year: int
    threshold: float
    weighted: bool
    respondents: int
    awareness: Estimate
    item_average: Estimate
    strata: list[StratumRow]
    dimensions: list[DimensionRow]
    items: list[ItemRow]  # weakest first
    behaviours: list[BehaviourRow]
    trend: list[TrendPoint]
