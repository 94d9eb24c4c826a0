"""The public answering API: a link's questionnaire, a phone's one-time token, and submissions,
refused with a code, the item and the exact message, and idempotent for a phone that sends again."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgs.models import PostRole, Region
from surveys.models import Response, ResponseToken, Stratum, WaveLink
from tests.surveys.test_answer_views import ALL_RIGHT, issued, make_wave
from tests.surveys.test_answer_views import link as link
from tests.surveys.test_answer_views import wave as wave

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.test_answer_views")]


def definition(client: Client, link: WaveLink) -> Any:
    return client.get(f"/api/v1/surveys/{link.code}/")


def submit(client: Client, link: WaveLink, answers: dict[str, Any], **extra: Any) -> Any:
    return client.post(f"/api/v1/surveys/{link.code}/responses/", json.dumps({"answers": answers, **extra}),
                       content_type="application/json")


def take_token(client: Client, link: WaveLink) -> str:
    response = client.post(f"/api/v1/surveys/{link.code}/tokens/")
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


def refusal(response: Any) -> tuple[str, str, str]:
    assert response.status_code == 400, response.content
    body = response.json()
    return body["code"], body["field"], body["message"]


# -- the questionnaire ---------------------------------------------------------------------------
def test_the_definition_never_carries_the_knowledge_answers(client, wave, link):
    response = definition(client, link)
    assert response.status_code == 200
    body = response.json()
    assert body["wave"]["state"] == "open" and body["wave"]["open_link"] is True
    assert body["questionnaire"]["intro"] == "本问卷了解职业健康知识的知晓情况，约 3 分钟。"
    items = {item["code"]: item for item in body["items"]}
    assert list(items) == ["region", "group", "sex", "years", "noise", "intro", "k1", "k2", "k3", "earplug"]
    assert set(items["k1"]) == {"code", "kind", "type", "label", "hint", "choices", "required", "relevant",
                                "min_value", "max_value"}
    assert "2002" in json.dumps(items["k1"]["choices"], ensure_ascii=False)
    assert items["k3"]["relevant"] == "${noise} = 'yes'"
    assert items["years"]["min_value"] == 0 and items["years"]["max_value"] == 60
    assert {"value": "320303", "label": "云龙区"} in items["region"]["choices"]
    assert body["fixed"] == []


def test_an_employer_link_fixes_region_industry_and_size(client, wave, personas):
    employer_link = WaveLink.objects.create(wave=wave, employer=personas.employer)
    body = definition(client, employer_link).json()
    assert body["fixed"] == ["employer_size", "industry", "region"]
    assert "region" not in [item["code"] for item in body["items"]]


def test_an_unknown_link_is_404(client, personas):
    assert client.get("/api/v1/surveys/nosuchlink/").status_code == 404
    assert client.post("/api/v1/surveys/nosuchlink/tokens/").status_code == 404
    assert submit(client, WaveLink(code="nosuchlink"), ALL_RIGHT).status_code == 404


# -- tokens -------------------------------------------------------------------------------------
def test_an_open_link_hands_out_one_time_tokens_a_few_per_address(client, wave, link, settings):
    settings.SURVEY_OPEN_TOKENS_PER_HOUR = 2
    first, second = take_token(client, link), take_token(client, link)
    assert first != second
    assert ResponseToken.objects.get(token=first).origin == ResponseToken.Origin.LINK
    third = client.post(f"/api/v1/surveys/{link.code}/tokens/")
    assert third.status_code == 429
    assert third.json()["message"] == "这个网络地址一小时内领取了过多答题码，请稍后再试"


def test_a_wave_closed_to_open_links_hands_out_no_token(client, personas):
    link = WaveLink.objects.create(wave=make_wave(open_link=False))
    response = client.post(f"/api/v1/surveys/{link.code}/tokens/")
    assert refusal(response) == ("sign_in_required", "", "本次调查只接受登录的劳动者或调查员发放的答题码")
    assert not ResponseToken.objects.exists()


# -- submissions --------------------------------------------------------------------------------
def test_a_submission_is_scored_and_a_resend_is_the_same_success(client, wave, link):
    token = take_token(client, link)
    started = (timezone.now() - dt.timedelta(minutes=4)).isoformat()
    response = submit(client, link, ALL_RIGHT, token=token, started_at=started)
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    stored = Response.objects.get(code=code)
    assert (stored.points_earned, stored.points_possible, stored.knowledge_correct) == (4, 4, 3)
    assert (stored.earned_law, stored.possible_law) == (2, 2)
    assert stored.started_at is not None and abs((stored.started_at - timezone.now()).total_seconds() - (-240)) < 30
    # The reply was lost on the way back; the phone sends the same answers again.
    again = submit(client, link, ALL_RIGHT, token=token, started_at=started)
    assert again.status_code == 200
    assert again.json() == {"code": code, "already_received": True}
    assert Response.objects.count() == 1


def test_a_second_response_with_the_same_token_is_refused(client, wave, link):
    token = take_token(client, link)
    assert submit(client, link, ALL_RIGHT, token=token).status_code == 201
    other = {**ALL_RIGHT, "k1": "a"}
    assert refusal(submit(client, link, other, token=token)) == (
        "token_used", "", "这个答题码已经用过，每个答题码只能作答一次")


def test_a_worker_answers_once(wave, link, personas):
    client = personas.client(personas.worker_user)
    answers = {"sex": "male", "noise": "no", "k1": "b"}
    first = submit(client, link, answers)
    assert first.status_code == 201
    assert Response.objects.get(code=first.json()["code"]).worker == personas.worker
    assert submit(client, link, answers).json()["already_received"] is True
    assert refusal(submit(client, link, {**answers, "k1": "a"})) == (
        "duplicate", "", "您已参加过本次调查，每人只能作答一次")


def test_a_signed_in_worker_needs_the_pages_csrf_token(wave, link, personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.worker_user)
    assert submit(client, link, {"sex": "male", "noise": "no"}).status_code == 403
    client.get(f"/s/{link.code}/")
    csrf = client.cookies["csrftoken"].value
    response = client.post(f"/api/v1/surveys/{link.code}/responses/",
                           json.dumps({"answers": {"sex": "male", "noise": "no"}}),
                           content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


def test_an_anonymous_submission_needs_no_csrf_token(wave, link):
    client = Client(enforce_csrf_checks=True)
    token = take_token(client, link)
    assert submit(client, link, ALL_RIGHT, token=token).status_code == 201


def test_without_sign_in_or_token(client, wave, link):
    assert refusal(submit(client, link, ALL_RIGHT)) == ("sign_in_required", "", "请先登录，或使用调查员发放的答题码")


def test_a_token_of_another_wave(client, wave, link, personas):
    other = make_wave(title="2026 年另一次调查")
    token = issued(other, "other-1")
    assert refusal(submit(client, link, ALL_RIGHT, token=token)) == (
        "token_other_wave", "", "这个答题码属于另一次调查")


def test_unknown_tokens_are_counted_against_the_address(client, wave, link, settings):
    settings.SURVEY_TOKEN_GUESSES_PER_HOUR = 2
    for guess in ("guess-1", "guess-2"):
        assert refusal(submit(client, link, ALL_RIGHT, token=guess)) == ("token_unknown", "", "答题码无效")
    real = issued(wave)
    assert refusal(submit(client, link, ALL_RIGHT, token=real)) == (
        "token_unknown", "", "这个网络地址一小时内提交了过多无效的答题码，请稍后再试")


def test_before_and_after_the_period(client, personas):
    early = make_wave(opens=dt.timedelta(days=3), closes=dt.timedelta(days=30))
    early_link = WaveLink.objects.create(wave=early)
    opens = timezone.localtime(early.opens_at).strftime("%Y-%m-%d %H:%M")
    assert refusal(submit(client, early_link, ALL_RIGHT, token=issued(early, "early-1"))) == (
        "not_open", "", f"调查尚未开始（{opens} 开始）")
    assert refusal(client.post(f"/api/v1/surveys/{early_link.code}/tokens/"))[0] == "not_open"
    late = make_wave(opens=dt.timedelta(days=-30), closes=dt.timedelta(days=-2), title="去年的调查")
    late_link = WaveLink.objects.create(wave=late)
    closes = timezone.localtime(late.closes_at).strftime("%Y-%m-%d %H:%M")
    assert refusal(submit(client, late_link, ALL_RIGHT, token=issued(late, "late-1"))) == (
        "closed", "", f"调查已于 {closes} 结束")
    assert definition(client, late_link).json()["wave"]["state"] == "closed"


@pytest.mark.parametrize(("answers", "code", "field", "message"), [
    ({**ALL_RIGHT, "zzz": "1"}, "unknown_item", "zzz", "问卷中没有题目 zzz"),
    ({**ALL_RIGHT, "years": 61}, "invalid_value", "years", "不能大于 60"),
    ({**ALL_RIGHT, "years": -1}, "invalid_value", "years", "不能小于 0"),
    ({**ALL_RIGHT, "years": "十二"}, "invalid_value", "years", "“十二”不是整数"),
    ({**ALL_RIGHT, "k2": ["a", "d"]}, "invalid_value", "k2", "“d”不是本题的选项（可选：a、b、c）"),
    ({**ALL_RIGHT, "region": "440100"}, "invalid_value", "region", "广州市 不在本次调查的地区（徐州市）内"),
    ({key: value for key, value in ALL_RIGHT.items() if key != "noise"}, "required", "noise", "本题必答"),
])
def test_bad_answers_are_refused_naming_the_item(client, wave, link, answers, code, field, message):
    response = submit(client, link, answers, token=take_token(client, link))
    got_code, got_field, got_message = refusal(response)
    assert (got_code, got_field) == (code, field)
    assert got_message.startswith(message)
    assert not Response.objects.exists()
    assert not ResponseToken.objects.filter(used_at__isnull=False).exists()


def test_every_problem_is_listed(client, wave, link):
    answers = {**ALL_RIGHT, "years": 99, "sex": "x", "zzz": 1}
    body = submit(client, link, answers, token=take_token(client, link)).json()
    assert [(error["field"], error["message"]) for error in body["errors"]] == [
        ("zzz", "问卷中没有题目 zzz"), ("sex", "“x”不是本题的选项（可选：male、female）"), ("years", "不能大于 60")]


def test_a_full_quota(client, wave, personas):
    Stratum.objects.create(wave=wave, region=Region.objects.get(code="320300"), industry_id="B",
                           group=PostRole.EXPOSED, population=100, quota=1)
    employer_link = WaveLink.objects.create(wave=wave, employer=personas.employer)
    answers = {key: value for key, value in ALL_RIGHT.items() if key != "region"}
    assert submit(client, employer_link, answers, token=take_token(client, employer_link)).status_code == 201
    assert refusal(submit(client, employer_link, answers, token=take_token(client, employer_link))) == (
        "quota_full", "", "该人群的样本已满，感谢您的参与")


def test_a_malformed_body_is_a_400_not_a_500(client, wave, link):
    response = client.post(f"/api/v1/surveys/{link.code}/responses/", "[1, 2]", content_type="application/json")
    assert refusal(response)[0] == "invalid"
    response = client.post(f"/api/v1/surveys/{link.code}/responses/", json.dumps({"answers": "k1=b"}),
                           content_type="application/json")
    code, _field, message = refusal(response)
    assert code == "invalid" and message.startswith("请求格式不对：answers")
    assert client.post(f"/api/v1/surveys/{link.code}/responses/", "{", content_type="application/json").status_code == 400


def test_the_routes_are_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="tests.surveys.test_answer_views").get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths["/api/v1/surveys/{link_code}/responses/"]["post"]["responses"]) == {"200", "201", "400", "403", "404"}
    assert "429" in paths["/api/v1/surveys/{link_code}/tokens/"]["post"]["responses"]
    assert "/api/v1/surveys/{link_code}/" in paths


