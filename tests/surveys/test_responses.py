"""Answering: who may answer, what is refused and why, and the score a response carries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from orgs.models import PostRole, Region
from surveys.models import Answer, Item, ItemKind, ItemType, Questionnaire, Response, ResponseToken, Stratum, Wave, WaveLink
from surveys.services.responses import (
    ResponseRefused,
    answers_clean,
    open_token_issue,
    response_paper_record,
    response_submit,
)
from surveys.services.scoring import response_score
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))
YES_NO = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]


def _questionnaire() -> Questionnaire:
    questionnaire = Questionnaire.objects.create(title="接害劳动者职业健康知识问卷", form_id="awareness-test",
                                                 threshold=Decimal("0.80"))
    rows = [
        dict(code="sex", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="性别", respondent_field="sex",
             choices=[{"value": "male", "label": "男"}, {"value": "female", "label": "女"}]),
        dict(code="years", kind=ItemKind.RESPONDENT, type=ItemType.INTEGER, label="接害工龄",
             respondent_field="years_exposed", min_value=0, max_value=60, required=False),
        dict(code="noise", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="是否接触噪声", choices=YES_NO),
        dict(code="intro", kind=ItemKind.NOTE, type=ItemType.NOTE, label="以下是知识题", required=False),
        dict(code="k1", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_ONE, label="职业病防治法何时施行", points=2,
             dimension_id="law", answer=["b"],
             choices=[{"value": "a", "label": "1999"}, {"value": "b", "label": "2002"}]),
        dict(code="k2", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_MULTIPLE, label="防尘口罩怎样戴", points=1,
             dimension_id="protection_skills", answer=["a", "c"],
             choices=[{"value": "a", "label": "贴合"}, {"value": "b", "label": "松一点"}, {"value": "c", "label": "检查气密"}]),
        dict(code="k3", kind=ItemKind.KNOWLEDGE, type=ItemType.TRUE_FALSE, label="噪声会致聋", points=1,
             dimension_id="protection_knowledge", answer=["true"], relevant="${noise} = 'yes'",
             choices=[{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]),
        dict(code="earplug", kind=ItemKind.BEHAVIOUR, type=ItemType.SELECT_ONE, label="是否正确佩戴耳塞",
             relevant="${noise} = 'yes'", yes_value="yes", not_applicable_value="na",
             choices=[*YES_NO, {"value": "na", "label": "不适用"}]),
    ]
    for position, row in enumerate(rows):
        Item.objects.create(questionnaire=questionnaire, sort_order=position, **row)
    return questionnaire


@pytest.fixture
def wave(personas) -> Wave:
    return Wave.objects.create(
        questionnaire=_questionnaire(), title="2026 年徐州市重点人群调查", region=Region.objects.get(code="320300"),
        opens_at=NOW - dt.timedelta(days=10), closes_at=NOW + dt.timedelta(days=20),
        groups=[PostRole.EXPOSED, PostRole.MANAGER],
    )


@pytest.fixture
def link(wave, personas) -> WaveLink:
    return WaveLink.objects.create(wave=wave, employer=personas.employer)


def _token(wave: Wave, value: str = "t-1") -> str:
    ResponseToken.objects.create(wave=wave, token=value, origin=ResponseToken.Origin.ISSUED)
    return value


ALL_RIGHT = {"sex": "female", "years": "12", "noise": "yes", "k1": "b", "k2": ["c", "a"], "k3": "对", "earplug": "yes"}


def test_a_worker_answers_once_and_the_response_is_scored_into_its_columns(wave, personas):
    response = response_submit(wave=wave, answers=ALL_RIGHT, worker=personas.worker, now=NOW)
    assert (response.points_earned, response.points_possible) == (4, 4)
    assert (response.knowledge_correct, response.knowledge_items) == (3, 3)
    assert (response.earned_law, response.possible_law) == (2, 2)
    assert (response.earned_skills, response.possible_skills) == (1, 1)
    assert (response.earned_knowledge, response.possible_knowledge) == (1, 1)
    assert (response.earned_behaviour, response.possible_behaviour) == (0, 0)
    # The worker's employer settles region, industry (division 06 → section B), size and group.
    assert (response.region_id, response.industry_id, response.group) == ("320305", "B", PostRole.EXPOSED)
    assert (response.sex, response.years_exposed) == ("female", 12)
    answers = {answer.item.code: (answer.value, answer.correct) for answer in response.answers.select_related("item")}
    assert answers["k2"] == (["c", "a"], True) and answers["k3"] == ("true", True)
    assert answers["earplug"] == ("yes", None) and "intro" not in answers
    with pytest.raises(ResponseRefused) as refused:
        response_submit(wave=wave, answers=ALL_RIGHT, worker=personas.worker, now=NOW)
    assert refused.value.code == "duplicate" and str(refused.value) == "您已参加过本次调查，每人只能作答一次"


def test_skipped_knowledge_items_count_neither_way_and_blanks_count_wrong(wave, personas, link):
    answers = {"sex": "male", "noise": "no", "k1": "a"}
    response = response_submit(wave=wave, answers=answers, link=link, token=_token(wave), now=NOW)
    # k3 does not apply (no noise): possible = k1 (2) + k2 (1); k1 wrong, k2 blank = wrong.
    assert (response.points_earned, response.points_possible, response.knowledge_items) == (0, 3, 2)
    assert Answer.objects.get(response=response, item__code="k2").correct is False
    assert not Answer.objects.filter(response=response, item__code="k3").exists()


def test_a_multiple_choice_scores_all_or_nothing():
    questionnaire = _questionnaire()
    items = list(questionnaire.items.order_by("sort_order"))
    assert response_score(items, {"noise": "no", "k1": "b", "k2": ["a"]}).points_earned == 2
    assert response_score(items, {"noise": "no", "k1": "b", "k2": ["a", "b", "c"]}).points_earned == 2
    assert response_score(items, {"noise": "no", "k1": "b", "k2": ["a", "c"]}).points_earned == 3


def test_a_token_answers_once_and_only_its_own_wave(wave, link, personas):
    token = _token(wave)
    response_submit(wave=wave, answers=ALL_RIGHT, link=link, token=token, now=NOW)
    assert ResponseToken.objects.get(token=token).used_at == NOW
    cases = [
        (dict(token=token), "token_used", "这个答题码已经用过，每个答题码只能作答一次"),
        (dict(token="nope"), "token_unknown", "答题码无效"),
        (dict(), "sign_in_required", "请先登录，或使用调查员发放的答题码"),
    ]
    other = Wave.objects.create(questionnaire=wave.questionnaire, title="另一轮", region=wave.region,
                                opens_at=wave.opens_at, closes_at=wave.closes_at)
    ResponseToken.objects.create(wave=other, token="other", origin=ResponseToken.Origin.ISSUED)
    cases.append((dict(token="other"), "token_other_wave", "这个答题码属于另一次调查"))
    for kwargs, code, message in cases:
        with pytest.raises(ResponseRefused) as refused:
            response_submit(wave=wave, answers=ALL_RIGHT, link=link, now=NOW, **kwargs)
        assert (refused.value.code, str(refused.value)) == (code, message)


def test_the_period_is_kept(wave, link):
    token = _token(wave)
    with pytest.raises(ResponseRefused) as early:
        response_submit(wave=wave, answers=ALL_RIGHT, link=link, token=token, now=wave.opens_at - dt.timedelta(minutes=1))
    assert early.value.code == "not_open" and str(early.value).startswith("调查尚未开始（2026-06-05 10:00")
    with pytest.raises(ResponseRefused) as late:
        response_submit(wave=wave, answers=ALL_RIGHT, link=link, token=token, now=wave.closes_at)
    assert late.value.code == "closed" and str(late.value) == "调查已于 2026-07-05 10:00 结束"
    assert not Response.objects.exists()


def test_bad_answers_name_their_item(wave):
    items = list(wave.questionnaire.items.order_by("sort_order"))
    clean, errors = answers_clean(items=items, answers={
        "sex": "x", "years": "70", "noise": "no", "k1": ["a", "b"], "k2": "a z", "k3": "对", "ghost": 1})
    found = {(error.field, error.code, str(error)) for error in errors}
    assert found == {
        ("ghost", "unknown_item", "问卷中没有题目 ghost"),
        ("sex", "invalid_value", "“x”不是本题的选项（可选：male、female）"),
        ("years", "invalid_value", "不能大于 60"),
        ("k1", "invalid_value", "单选题只能选一项"),
        ("k2", "invalid_value", "“z”不是本题的选项（可选：a、b、c）"),
        ("k3", "invalid_value", "按跳题规则本题不适用，不应作答"),
    }
    _, errors = answers_clean(items=items, answers={"noise": "yes"})
    assert {(error.field, error.code) for error in errors} == {("sex", "required"), ("earplug", "required")}
    clean, errors = answers_clean(items=items, answers={"sex": "male", "noise": "yes", "k2": "a、c", "k3": "×",
                                                         "earplug": "na", "years": 3})
    assert not errors and clean["k2"] == ["a", "c"] and clean["k3"] == "false" and clean["years"] == 3


def test_the_first_refusal_is_raised_with_all_of_them(wave, link):
    with pytest.raises(ResponseRefused) as refused:
        response_submit(wave=wave, answers={"sex": "x", "noise": "maybe"}, link=link, token=_token(wave), now=NOW)
    assert refused.value.field == "sex" and [error.field for error in refused.value.errors] == ["sex", "noise"]
    assert not ResponseToken.objects.get(token="t-1").used_at


def test_the_frame_places_responses_and_a_full_quota_refuses(wave, personas, link):
    Stratum.objects.create(wave=wave, region_id="320300", industry_id="B", group=PostRole.EXPOSED,
                           population=900, quota=1)
    county = Stratum.objects.create(wave=wave, region_id="320305", industry_id="B", group=PostRole.EXPOSED,
                                    population=300, quota=1)
    response = response_submit(wave=wave, answers=ALL_RIGHT, worker=personas.worker, now=NOW)
    assert response.stratum == county  # the narrowest region that holds the respondent
    with pytest.raises(ResponseRefused) as full:
        response_submit(wave=wave, answers=ALL_RIGHT, worker=WorkerFactory(employer=personas.employer), now=NOW)
    assert (full.value.code, str(full.value)) == ("quota_full", "该人群的样本已满，感谢您的参与")
    # From the employer's link without a group the frame cannot place the respondent.
    with pytest.raises(ResponseRefused) as unplaced:
        response_submit(wave=wave, answers=ALL_RIGHT, link=link, token=_token(wave), now=NOW)
    assert unplaced.value.code == "out_of_frame"


def test_out_of_frame_and_groups_outside_the_wave_are_refused(wave, personas, link):
    Stratum.objects.create(wave=wave, region_id="320300", industry_id="C", group=PostRole.EXPOSED, population=10)
    with pytest.raises(ResponseRefused) as outside:
        response_submit(wave=wave, answers=ALL_RIGHT, worker=personas.worker, now=NOW)
    assert (outside.value.code, str(outside.value)) == ("out_of_frame", "您的地区、行业和岗位类别不在本次调查的抽样范围内")
    personas.worker.post_role = PostRole.PRINCIPAL
    personas.worker.save()
    with pytest.raises(ResponseRefused) as group:
        response_submit(wave=wave, answers=ALL_RIGHT, worker=personas.worker, now=NOW)
    assert group.value.code == "group_not_in_wave"
    assert str(group.value) == "本次调查面向接害劳动者、职业卫生管理人员，主要负责人不在其中"


def test_a_worker_of_another_region_is_refused(wave, personas):
    with pytest.raises(ResponseRefused) as refused:
        response_submit(wave=wave, answers=ALL_RIGHT, worker=personas.other_worker, now=NOW)
    assert refused.value.code == "invalid_value" and "不在本次调查的地区（徐州市）内" in str(refused.value)


def test_open_links_hand_out_tokens_and_closed_ones_do_not(wave, link):
    token = open_token_issue(link=link, now=NOW)
    assert token.origin == ResponseToken.Origin.LINK and token.wave == wave and len(token.token) >= 20
    response = response_submit(wave=wave, answers=ALL_RIGHT, link=link, token=token.token, now=NOW)
    assert response.link == link and response.region_id == "320305"
    wave.open_link = False
    wave.save()
    with pytest.raises(ResponseRefused) as refused:
        open_token_issue(link=link, now=NOW)
    assert refused.value.code == "sign_in_required"


def test_paper_sheets_keep_the_period_and_their_numbers(wave, personas):
    answers = {"sex": "男", "noise": "no", "k1": "b", "k2": "a c"}
    with pytest.raises(ResponseRefused) as wrong_choice:
        response_paper_record(wave=wave, answers=answers, paper_number="P-1", filled_on=dt.date(2026, 6, 10),
                              entered_by=personas.evaluator)
    assert wrong_choice.value.field == "sex"
    answers["sex"] = "male"
    response = response_paper_record(wave=wave, answers=answers, paper_number="P-1", filled_on=dt.date(2026, 6, 10),
                                     entered_by=personas.evaluator)
    assert response.source == Response.Source.PAPER and response.points_earned == 3 and response.region_id == "320300"
    assert response.entered_by == personas.evaluator
    for number, filled, code in [("P-1", dt.date(2026, 6, 10), "duplicate"), ("P-2", dt.date(2026, 6, 4), "not_open"),
                                 ("P-3", dt.date(2026, 7, 6), "closed"), ("", dt.date(2026, 6, 10), "required")]:
        with pytest.raises(ResponseRefused) as refused:
            response_paper_record(wave=wave, answers=answers, paper_number=number, filled_on=filled,
                                  entered_by=personas.evaluator)
        assert refused.value.code == code
    assert Response.objects.count() == 1
