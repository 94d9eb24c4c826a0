"""Questionnaires, waves, strata and responses made directly with the ORM, for tests that need
exact numbers without going through answering (tests of the answering services use those).

make_response fills the score columns from ``answers`` ({item code: (value, correct)}) the way
surveys.services.scoring would: a knowledge item present with correct True/False is shown
(counted in possible), an absent one was skipped by relevance; any column may be given instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from orgs.models import Industry, PostRole, Region
from surveys.models import DIMENSION_COLUMNS, Answer, Item, ItemKind, ItemType, Questionnaire, Response, Stratum, Wave

_numbers = itertools.count(1)

YES_NO_NA = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}, {"value": "na", "label": "不适用"}]


def knowledge(code: str, dimension: str, *, points: int = 1, relevant: str = "", **extra: Any) -> dict[str, Any]:
    """A single-choice knowledge item whose right answer is "a"."""
    return dict(code=code, kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_ONE, label=f"知识题 {code}", points=points,
                dimension_id=dimension, answer=["a"], relevant=relevant,
                choices=[{"value": "a", "label": "对的"}, {"value": "b", "label": "错的"}], **extra)


def behaviour(code: str, *, indicator: str | None = None, relevant: str = "", **extra: Any) -> dict[str, Any]:
    """A 是 / 否 / 不适用 behaviour item counted in ``indicator``."""
    return dict(code=code, kind=ItemKind.BEHAVIOUR, type=ItemType.SELECT_ONE, label=f"行为题 {code}",
                indicator_id=indicator, yes_value="yes", not_applicable_value="na", relevant=relevant,
                choices=YES_NO_NA, **extra)


def make_questionnaire(*, items: Sequence[Mapping[str, Any]] = (), threshold: str | Decimal = "0.80",
                       title: str = "测试问卷") -> Questionnaire:
    number = next(_numbers)
    questionnaire = Questionnaire.objects.create(title=title, form_id=f"factory-{number}",
                                                 threshold=Decimal(str(threshold)))
    for position, values in enumerate(items):
        Item.objects.create(questionnaire=questionnaire, sort_order=position, **values)
    return questionnaire


def make_wave(*, questionnaire: Questionnaire | None = None, region: str = "320300", title: str = "",
              opens_at: dt.datetime | None = None, days: int = 30, groups: Sequence[str] = (PostRole.EXPOSED,)) -> Wave:
    opens = opens_at or timezone.now() - dt.timedelta(days=1)
    return Wave.objects.create(questionnaire=questionnaire or make_questionnaire(), title=title or f"测试轮次 {next(_numbers)}",
                               region=Region.objects.get(code=region), opens_at=opens,
                               closes_at=opens + dt.timedelta(days=days), groups=list(groups))


def make_stratum(wave: Wave, *, region: str, industry: str = "B", group: str = PostRole.EXPOSED,
                 population: int = 1000, quota: int | None = None) -> Stratum:
    return Stratum.objects.create(wave=wave, region_id=region, industry=Industry.objects.get(code=industry), group=group,
                                  population=population, quota=quota)


def make_response(wave: Wave, *, stratum: Stratum | None = None, region: str | None = None,
                  industry: str | None = None, group: str | None = None,
                  answers: Mapping[str, tuple[Any, bool | None]] | None = None, **columns: Any) -> Response:
    """One response. Respondent facts default to the stratum's (else 320303 · B · exposed); score
    columns (points_earned, earned_law, knowledge_items …) given in ``columns`` win over those
    computed from ``answers``."""
    answers = dict(answers or {})
    items = {item.code: item for item in Item.objects.filter(questionnaire_id=wave.questionnaire_id)}
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise ValueError(f"not in the questionnaire: {unknown}")
    score: dict[str, int] = {"points_earned": 0, "points_possible": 0, "knowledge_correct": 0, "knowledge_items": 0}
    for earned_column, possible_column in DIMENSION_COLUMNS.values():
        score[earned_column] = score[possible_column] = 0
    for code, (_value, correct) in answers.items():
        item = items[code]
        if item.kind != ItemKind.KNOWLEDGE or correct is None:
            continue
        earned = item.points if correct else 0
        score["knowledge_items"] += 1
        score["knowledge_correct"] += int(bool(correct))
        score["points_possible"] += item.points
        score["points_earned"] += earned
        if item.dimension_id in DIMENSION_COLUMNS:
            earned_column, possible_column = DIMENSION_COLUMNS[item.dimension_id]
            score[earned_column] += earned
            score[possible_column] += item.points
    score.update(columns)
    response = Response.objects.create(
        wave=wave, stratum=stratum, source=Response.Source.PAPER, paper_number=f"F{next(_numbers):06d}",
        region_id=region or (stratum.region_id if stratum else "320303"),
        industry_id=industry or (stratum.industry_id if stratum else "B"),
        group=group or (stratum.group if stratum else PostRole.EXPOSED), **score,
    )
    Answer.objects.bulk_create([Answer(response=response, item=items[code], value=value,
                                       correct=correct if items[code].kind == ItemKind.KNOWLEDGE else None)
                                for code, (value, correct) in answers.items()])
    return response


def make_responses(wave: Wave, count: int, **kwargs: Any) -> list[Response]:
    return [make_response(wave, **kwargs) for _number in range(count)]
