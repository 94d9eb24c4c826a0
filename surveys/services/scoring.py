"""A response's score, computed once when it arrives (docs/indicators.md gives the definitions).

Knowledge items score all or nothing (a multiple choice counts only when exactly the right set is
chosen); an item shown but left unanswered is wrong; an item the skip logic hid for this respondent
does not apply and is counted neither in what they earned nor in what they could have earned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.models import DIMENSION_COLUMNS, Item, ItemKind, ItemType
from surveys.services.relevance import relevant_evaluate


@dataclass
class Score:
    points_earned: int = 0
    points_possible: int = 0
    knowledge_correct: int = 0
    knowledge_items: int = 0
    # dimension code → (earned, possible)
    dimensions: dict[str, tuple[int, int]] = field(default_factory=dict)
    # knowledge item code → right or wrong; None when the item did not apply
    correct: dict[str, bool | None] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.points_earned / self.points_possible if self.points_possible else 0.0

    def columns(self) -> dict[str, int]:
        """The Response columns this score fills."""
        values = {"points_earned": self.points_earned, "points_possible": self.points_possible,
                  "knowledge_correct": self.knowledge_correct, "knowledge_items": self.knowledge_items}
        for code, (earned_column, possible_column) in DIMENSION_COLUMNS.items():
            earned, possible = self.dimensions.get(code, (0, 0))
            values[earned_column] = earned
            values[possible_column] = possible
        return values


def answer_is_correct(item: Item, value: Any) -> bool:
    expected = sorted(str(choice) for choice in item.answer)
    if value in (None, "", []):
        return False
    if item.type == ItemType.SELECT_MULTIPLE:
        given = sorted({str(choice) for choice in value}) if isinstance(value, list | tuple) else [str(value)]
        return given == expected
    return [str(value)] == expected


def item_applies(item: Item, answers: Mapping[str, Any]) -> bool:
    return relevant_evaluate(item.relevant, answers)


def response_score(items: Sequence[Item], answers: Mapping[str, Any]) -> Score:
    score = Score()
    for item in items:
        if item.kind != ItemKind.KNOWLEDGE:
            continue
        if not item_applies(item, answers):
            score.correct[item.code] = None
            continue
        right = answer_is_correct(item, answers.get(item.code))
        score.correct[item.code] = right
        score.knowledge_items += 1
        score.points_possible += item.points
        earned = item.points if right else 0
        score.points_earned += earned
        if right:
            score.knowledge_correct += 1
        code = _dimension_code(item)
        if code:
            old_earned, old_possible = score.dimensions.get(code, (0, 0))
            score.dimensions[code] = (old_earned + earned, old_possible + item.points)
    return score


def _dimension_code(item: Item) -> str:
    code = item.dimension_id
    return str(code) if code and code in DIMENSION_COLUMNS else ""
