"""Every definition of docs/indicators.md against numbers worked out by hand.

The worked example (docs/indicators.md, "Worked example"): five knowledge items of one point
(k1 k2 法律, k3 k4 防护知识, k5 防护技能 shown only to noise-exposed workers), threshold 0.80, and
a behaviour item 耳塞 (是 / 否 / 不适用, noise-exposed only), in two strata of 徐州:
A = 贾汪区 × 采矿业 × 接害劳动者, population 800, 4 respondents (weight 200);
B = 铜山区 × 制造业 × 接害劳动者, population 600, 6 respondents (weight 100).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.utils import timezone

from surveys.models import Stratum, Wave
from surveys.services.statistics import awareness_table, kish_effective_n, quota_progress, wilson_interval
from tests.surveys.factories import behaviour, knowledge, make_questionnaire, make_response, make_stratum, make_wave

pytestmark = pytest.mark.django_db

ITEMS = [
    dict(code="noise", kind="respondent", type="select_one", label="是否接触噪声",
         choices=[{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]),
    knowledge("k1", "law"), knowledge("k2", "law"),
    knowledge("k3", "protection_knowledge"), knowledge("k4", "protection_knowledge"),
    knowledge("k5", "protection_skills", relevant="${noise} = 'yes'"),
    behaviour("earplug", indicator="earplug", relevant="${noise} = 'yes'"),
]
# (wrong items, exposed to noise, earplug answer) per respondent
STRATUM_A = [(set(), True, "yes"), ({"k1", "k2"}, True, "no"), ({"k3"}, False, None),
             ({"k1", "k2", "k3"}, True, "na")]
STRATUM_B = [(set(), True, "yes"), (set(), True, "yes"), (set(), True, "no"), ({"k1", "k2"}, True, "yes"),
             (set(), False, None), ({"k4"}, True, "na")]


def answers_of(wrong: set[str], noise: bool, earplug: str | None) -> dict[str, tuple[Any, bool | None]]:
    answers: dict[str, tuple[Any, bool | None]] = {"noise": ("yes" if noise else "no", None)}
    for code in ("k1", "k2", "k3", "k4", "k5"):
        if code == "k5" and not noise:
            continue  # skipped by relevance: no answer row at all
        answers[code] = ("b", False) if code in wrong else ("a", True)
    if earplug is not None:
        answers["earplug"] = (earplug, None)
    return answers


def wilson(p: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """The closed form (2np + z² ± z√(z² + 4np(1−p))) ÷ 2(n + z²), written independently."""
    root = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    return (2 * n * p + z * z - root) / (2 * (n + z * z)), (2 * n * p + z * z + root) / (2 * (n + z * z))


def example_wave(*, frame: bool = True, threshold: str = "0.80", region: str = "320300", **wave: Any) -> Wave:
    made = make_wave(questionnaire=make_questionnaire(items=ITEMS, threshold=threshold), region=region, **wave)
    cells = [("320305", "B", 800, STRATUM_A), ("320312", "C", 600, STRATUM_B)]
    for code, industry, population, people in cells:
        stratum = make_stratum(made, region=code, industry=industry, population=population, quota=8) if frame else None
        for wrong, noise, earplug in people:
            make_response(made, stratum=stratum, region=code, industry=industry, answers=answers_of(wrong, noise, earplug))
    return made


# -- the two formulas --------------------------------------------------------------------------------
def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    assert wilson_interval(6, 10) == pytest.approx(wilson(0.6, 10), abs=1e-12)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_kish_effective_n() -> None:
    assert kish_effective_n([1.0] * 7) == pytest.approx(7.0)
    assert kish_effective_n([200.0] * 4 + [100.0] * 6) == pytest.approx(1400 ** 2 / 220_000)
    assert kish_effective_n([]) == 0.0


# -- the worked example, weighted -----------------------------------------------------------------
def test_the_worked_example_weighted() -> None:
    table = awareness_table(wave=example_wave())
    assert table.weighted is True and table.respondents == 10 and table.threshold == 0.8
    total = table.awareness
    # (200 × 1 + 100 × 5) ÷ (200 × 4 + 100 × 6) = 700 ÷ 1,400
    assert total.rate == pytest.approx(0.5) and total.n == 10
    n_eff = 1400 ** 2 / (4 * 200 ** 2 + 6 * 100 ** 2)
    assert total.n_effective == pytest.approx(n_eff) and round(n_eff, 3) == 8.909
    assert (total.low, total.high) == pytest.approx(wilson(0.5, n_eff), abs=1e-12)
    assert (round(total.low, 4), round(total.high, 4)) == (0.2256, 0.7744)
    # 徐州's own 90 % (surveys/migrations/0002).
    assert (total.target, total.met, total.lower_clears) == (0.9, False, False)
    assert (table.region_code, table.region_name) == ("320300", "徐州市")


def test_the_worked_example_strata() -> None:
    table = awareness_table(wave=example_wave())
    a, b = table.strata
    assert (a.region_code, a.region_name, a.industry_code, a.group, a.group_label) == (
        "320305", "贾汪区", "B", "exposed", "接害劳动者")
    assert (a.population, a.quota, a.responses, a.weight) == (800, 8, 4, 200.0)
    assert a.awareness.rate == pytest.approx(0.25) and a.awareness.n_effective == 4.0
    assert (a.awareness.low, a.awareness.high) == pytest.approx(wilson(0.25, 4), abs=1e-12)
    assert (round(a.awareness.low, 4), round(a.awareness.high, 4)) == (0.0456, 0.6994)
    assert (b.population, b.responses, b.weight) == (600, 6, 100.0)
    assert b.awareness.rate == pytest.approx(5 / 6) and b.awareness.n == 6
    # Each county inherits 徐州's target; B's 5 of 6 (0.833) is below it.
    assert (a.awareness.target, b.awareness.target, b.awareness.met) == (0.9, 0.9, False)


def test_the_worked_example_item_average_dimensions_items_and_behaviour() -> None:
    table = awareness_table(wave=example_wave())
    n_eff = 1400 ** 2 / 220_000
    # Correct ÷ shown: A 13 of 19, B 26 of 29 (k5 skipped for two respondents is out of both).
    assert table.item_average.rate == pytest.approx((200 * 13 + 100 * 26) / (200 * 19 + 100 * 29))
    assert table.item_average.n == 10 and table.item_average.n_effective == pytest.approx(n_eff)
    assert (round(table.item_average.low, 4), round(table.item_average.high, 4)) == (0.4495, 0.9364)
    dimensions = {row.code: row for row in table.dimensions}
    assert [row.code for row in table.dimensions] == ["law", "protection_knowledge", "protection_skills"]
    assert [row.items for row in table.dimensions] == [2, 2, 1]
    assert dimensions["law"].awareness.rate == pytest.approx((200 * 2 + 100 * 5) / 1400)
    assert dimensions["protection_knowledge"].awareness.rate == pytest.approx(900 / 1400)
    skills = dimensions["protection_skills"].awareness
    # Only the eight shown k5: A 3 × 200, B 5 × 100.
    assert skills.rate == 1.0 and skills.n == 8 and skills.n_effective == pytest.approx(1100 ** 2 / 170_000)
    strata = {row.region_code: row.stratum_id for row in table.strata}
    assert dimensions["law"].by_stratum[strata["320305"]].rate == pytest.approx(0.5)
    assert dimensions["law"].by_stratum[strata["320312"]].rate == pytest.approx(5 / 6)
    assert [row.code for row in table.items] == ["k1", "k2", "k3", "k4", "k5"]
    rates = {row.code: row.correct_rate.rate for row in table.items}
    assert rates == pytest.approx({"k1": 900 / 1400, "k2": 900 / 1400, "k3": 1000 / 1400, "k4": 1300 / 1400, "k5": 1.0})
    k5 = table.items[-1]
    assert (k5.answered, k5.correct, k5.dimension_code, k5.dimension_name) == (8, 8, "protection_skills", "职业健康保护基本技能")
    (earplug,) = table.behaviours
    # 不适用 (A4, B6) and the two not shown are out: A 1 of 2, B 3 of 4 → (200 + 300) ÷ (400 + 400).
    assert (earplug.item_code, earplug.indicator_code, earplug.indicator_name) == ("earplug", "earplug", "防噪音耳塞或耳罩正确佩戴率")
    assert (earplug.applicable, earplug.yes) == (6, 4)
    assert earplug.rate.rate == pytest.approx(0.625) and earplug.rate.n_effective == pytest.approx(800 ** 2 / 120_000)
    assert (round(earplug.rate.low, 4), round(earplug.rate.high, 4)) == (0.2551, 0.8903)
    assert earplug.rate.target is None and earplug.rate.met is None  # no 耳塞 target in 徐州 nor nationally


def test_the_worked_example_unweighted_without_a_frame() -> None:
    table = awareness_table(wave=example_wave(frame=False))
    assert table.weighted is False
    assert table.awareness.rate == pytest.approx(0.6) and table.awareness.n_effective == 10.0
    assert (table.awareness.low, table.awareness.high) == pytest.approx(wilson(0.6, 10), abs=1e-12)
    assert (round(table.awareness.low, 4), round(table.awareness.high, 4)) == (0.3127, 0.8318)
    assert table.item_average.rate == pytest.approx(39 / 48)
    assert {row.code: row.correct_rate.rate for row in table.items}["k1"] == pytest.approx(7 / 10)
    assert table.behaviours[0].rate.rate == pytest.approx(4 / 6)
    # One row per region × industry × group seen, weight 1.
    cells = [(row.stratum_id, row.region_code, row.industry_code, row.responses, row.weight, row.population)
             for row in table.strata]
    assert cells == [(None, "320305", "B", 4, 1.0, None), (None, "320312", "C", 6, 1.0, None)]
    law = {row.code: row for row in table.dimensions}["law"]
    assert law.by_stratum[("320305", "B", "exposed")].rate == pytest.approx(0.5)


def test_the_threshold_is_the_questionnaires() -> None:
    # At 0.75, A3's 3 of 4 is aware too: A 2 of 4, B 5 of 6.
    table = awareness_table(wave=example_wave(threshold="0.75"))
    assert table.awareness.rate == pytest.approx((200 * 2 + 100 * 5) / 1400)


# -- edge cases -------------------------------------------------------------------------------------
def test_nothing_counted_gives_no_rate_and_no_division() -> None:
    wave = make_wave(questionnaire=make_questionnaire(items=ITEMS))
    make_stratum(wave, region="320305", population=500, quota=10)
    table = awareness_table(wave=wave)
    assert table.respondents == 0
    assert table.awareness == table.awareness.__class__(None, 0, 0.0, None, None, 0.9, None, None)
    assert table.item_average.rate is None and table.behaviours[0].rate.rate is None
    (row,) = table.strata
    assert (row.responses, row.quota, row.weight, row.awareness.rate) == (0, 10, 0.0, None)
    assert [dimension.by_stratum[row.stratum_id].rate for dimension in table.dimensions] == [None, None, None]
    assert all(item.correct_rate.rate is None and item.answered == 0 for item in table.items)


def test_a_respondent_with_nothing_to_score_is_not_counted() -> None:
    wave = make_wave(questionnaire=make_questionnaire(items=ITEMS))
    make_response(wave, answers={"noise": ("no", None)})  # every knowledge item hidden
    make_response(wave, answers=answers_of(set(), False, None))
    table = awareness_table(wave=wave)
    assert table.respondents == 1 and table.awareness.n == 1 and table.awareness.rate == 1.0
    assert table.strata[0].responses == 2


def test_a_response_outside_the_frame_weighs_one_and_shows_as_its_own_cell() -> None:
    wave = example_wave()
    make_response(wave, stratum=None, region="320303", industry="E", answers=answers_of(set(), True, "yes"))
    table = awareness_table(wave=wave)
    assert table.awareness.rate == pytest.approx(701 / 1401)
    loose = table.strata[-1]
    assert (loose.stratum_id, loose.region_code, loose.industry_code, loose.weight) == (None, "320303", "E", 1.0)


def test_quota_progress_lists_every_stratum_of_the_part() -> None:
    wave = example_wave()
    make_stratum(wave, region="320311", population=100, quota=5)
    rows = quota_progress(wave=wave)
    assert [(row.region_code, row.responses, row.quota) for row in rows] == [
        ("320305", 4, 8), ("320311", 0, 5), ("320312", 6, 8)]


# -- an evaluator's part of a provincial wave --------------------------------------------------------
def provincial_wave() -> tuple[Wave, Stratum]:
    """江苏 wave: the example's two 徐州 strata, a 南京 stratum (population 1,000, 2 aware of 2) and
    a province-wide 建筑业 stratum (population 400) with one response in 徐州 and one in 南京."""
    wave = example_wave(region="320000")
    nanjing = make_stratum(wave, region="320100", industry="B", population=1000)
    for _number in range(2):
        make_response(wave, stratum=nanjing, region="320100", answers=answers_of(set(), True, "yes"))
    everywhere = make_stratum(wave, region="320000", industry="E", population=400)
    make_response(wave, stratum=everywhere, region="320303", answers=answers_of({"k1", "k2"}, True, "no"))
    make_response(wave, stratum=everywhere, region="320100", answers=answers_of(set(), True, "yes"))
    return wave, everywhere


def test_a_city_evaluator_reads_their_part_with_the_whole_waves_weights() -> None:
    wave, everywhere = provincial_wave()
    table = awareness_table(wave=wave, region_prefix="3203")
    assert (table.region_code, table.region_name, table.respondents) == ("320300", "徐州市", 11)
    # The province-wide stratum weighs 400 ÷ its 2 responses in the whole wave = 200, and only
    # its 徐州 response (not aware) is in the part: (700 + 0) ÷ (1,400 + 200).
    assert table.awareness.rate == pytest.approx(700 / 1600)
    assert (table.awareness.target, table.awareness.met) == (0.9, False)
    rows = {row.region_code: row for row in table.strata}
    assert set(rows) == {"320305", "320312", "320000"}
    assert (rows["320000"].responses, rows["320000"].weight) == (1, 200.0)
    assert rows["320000"].stratum_id == everywhere.pk
    assert {row.code: row for row in table.items}["k5"].answered == 9


def test_the_whole_provincial_wave_inherits_the_national_target() -> None:
    wave, _everywhere = provincial_wave()
    table = awareness_table(wave=wave)
    # 徐州 700 of 1,400; 南京 2 × 500 aware; province-wide 200 (not) + 200 (aware).
    assert table.awareness.rate == pytest.approx((700 + 1000 + 200) / (1400 + 1000 + 400))
    assert (table.region_code, table.awareness.target) == ("320000", 0.85)
    rows = {row.region_code: row for row in table.strata}
    # 南京 has no target of its own, nor has 江苏: the national 85 %; 徐州's counties 90 %.
    assert rows["320100"].awareness.target == 0.85 and rows["320100"].awareness.met is True
    assert rows["320305"].awareness.target == 0.9


def test_a_part_with_nothing_in_it() -> None:
    wave, _everywhere = provincial_wave()
    table = awareness_table(wave=wave, region_prefix="3202")
    assert table.respondents == 0 and table.awareness.rate is None and table.strata == []


# -- trend ---------------------------------------------------------------------------------------------
def test_the_trend_is_the_waves_over_the_same_region_each_over_the_same_part() -> None:
    now = timezone.now()
    earlier = make_wave(questionnaire=make_questionnaire(items=ITEMS), region="320000",
                        opens_at=now - dt.timedelta(days=400), title="上一轮")
    for region, aware in (("320303", True), ("320303", False), ("320100", True)):
        make_response(earlier, region=region, answers=answers_of(set() if aware else {"k1", "k2"}, True, "yes"))
    current, _everywhere = provincial_wave()
    make_wave(questionnaire=make_questionnaire(items=ITEMS), region="320300", title="徐州自己的轮次")
    table = awareness_table(wave=current, region_prefix="3203")
    assert [point.wave_title for point in table.trend] == ["上一轮", current.title]
    first, last = table.trend
    assert first.awareness.rate == pytest.approx(0.5) and first.awareness.n == 2
    assert first.year == timezone.localtime(earlier.opens_at).year
    assert first.opens_at == timezone.localtime(earlier.opens_at).isoformat()
    assert last.awareness == table.awareness and last.wave_code == current.code


def test_a_behaviour_rate_is_held_to_its_indicators_target() -> None:
    wave = make_wave(questionnaire=make_questionnaire(items=ITEMS), region="441600")
    for earplug in ("yes", "yes", "yes", "no", "na"):
        make_response(wave, region="441621", answers=answers_of(set(), True, earplug))
    (row,) = awareness_table(wave=wave).behaviours
    # 3 of the 4 it applies to; 河源's 80 %.
    assert (row.applicable, row.yes, row.rate.rate) == (4, 3, 0.75)
    assert (row.rate.target, row.rate.met, row.rate.lower_clears) == (0.8, False, False)
    table = awareness_table(wave=wave)
    assert (table.awareness.rate, table.awareness.target, table.awareness.met) == (1.0, 0.85, True)
