"""The answering page a wave's link (and its QR code) opens: its states (not yet open, closed,
already answered, sign in or a code), the questionnaire, and the plain form post of a phone without
script, with every refusal shown next to its item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import views as auth_views
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from orgs.models import PostRole, Region
from surveys.api_answer import api_patterns
from surveys.models import Item, ItemKind, ItemType, Questionnaire, Response, ResponseToken, Stratum, Wave, WaveLink

# The answering pages and API as config/urls.py routes them (the lead adds api_patterns there under
# /api/v1/), without the rest of the site: these tests hold only to this part.
urlpatterns = [
    path("api/v1/", include(api_patterns)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/choose/<str:language>/", auth_views.LoginView.as_view(), name="language_choose"),
    path("", include("core.urls")),
    path("", include(("surveys.urls_answer", "surveys"))),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

YES_NO = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]
SEXES = [{"value": "male", "label": "男"}, {"value": "female", "label": "女"}]
GROUPS = [{"value": value, "label": str(label)} for value, label in PostRole.choices]


def make_questionnaire(form_id: str = "answer-test") -> Questionnaire:
    questionnaire = Questionnaire.objects.create(
        title="接害劳动者职业健康知识问卷", form_id=form_id, threshold=Decimal("0.80"),
        intro="本问卷了解职业健康知识的知晓情况，约 3 分钟。")
    rows: list[dict[str, Any]] = [
        dict(code="region", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="您工作所在的区县",
             respondent_field="region"),
        dict(code="group", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="您的岗位类别",
             respondent_field="group", choices=GROUPS),
        dict(code="sex", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="性别", respondent_field="sex",
             choices=SEXES),
        dict(code="years", kind=ItemKind.RESPONDENT, type=ItemType.INTEGER, label="接害工龄（年）",
             respondent_field="years_exposed", min_value=0, max_value=60, required=False),
        dict(code="noise", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="您的岗位是否接触噪声", choices=YES_NO),
        dict(code="intro", kind=ItemKind.NOTE, type=ItemType.NOTE, label="以下是知识题", required=False),
        dict(code="k1", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_ONE, label="职业病防治法何时施行", points=2,
             dimension_id="law", answer=["b"], required=False,
             choices=[{"value": "a", "label": "1999 年"}, {"value": "b", "label": "2002 年"}]),
        dict(code="k2", kind=ItemKind.KNOWLEDGE, type=ItemType.SELECT_MULTIPLE, label="防尘口罩怎样戴", points=1,
             dimension_id="protection_skills", answer=["a", "c"], required=False,
             choices=[{"value": "a", "label": "贴合面部"}, {"value": "b", "label": "松一点"},
                      {"value": "c", "label": "检查气密"}]),
        dict(code="k3", kind=ItemKind.KNOWLEDGE, type=ItemType.TRUE_FALSE, label="长期接触噪声会导致耳聋", points=1,
             dimension_id="protection_knowledge", answer=["true"], relevant="${noise} = 'yes'", required=False,
             choices=[{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]),
        dict(code="earplug", kind=ItemKind.BEHAVIOUR, type=ItemType.SELECT_ONE, label="您是否正确佩戴耳塞或耳罩",
             relevant="${noise} = 'yes'", yes_value="yes", not_applicable_value="na",
             choices=[*YES_NO, {"value": "na", "label": "不适用"}]),
    ]
    for position, row in enumerate(rows):
        Item.objects.create(questionnaire=questionnaire, sort_order=position, **row)
    return questionnaire


def make_wave(*, opens: dt.timedelta = dt.timedelta(days=-5), closes: dt.timedelta = dt.timedelta(days=25),
              open_link: bool = True, title: str = "2026 年徐州市重点人群知晓率调查", form_id: str = "answer-test") -> Wave:
    now = timezone.now()
    questionnaire = Questionnaire.objects.filter(form_id=form_id).first() or make_questionnaire(form_id)
    return Wave.objects.create(questionnaire=questionnaire, title=title, region=Region.objects.get(code="320300"),
                               opens_at=now + opens, closes_at=now + closes, open_link=open_link,
                               groups=[PostRole.EXPOSED, PostRole.MANAGER])


@pytest.fixture
def wave(personas: Any) -> Wave:
    return make_wave()


@pytest.fixture
def link(wave: Wave) -> WaveLink:
    return WaveLink.objects.create(wave=wave)


def issued(wave: Wave, value: str = "sheet-0001") -> str:
    ResponseToken.objects.create(wave=wave, token=value, origin=ResponseToken.Origin.ISSUED)
    return value


# All right: k1 (2) + k2 (1) + k3 (1) = 4 of 4.
ALL_RIGHT = {"region": "320303", "group": "exposed", "sex": "female", "years": "12", "noise": "yes",
             "k1": "b", "k2": ["a", "c"], "k3": "true", "earplug": "yes"}


def form_data(answers: dict[str, Any], **extra: str) -> dict[str, Any]:
    return {**{f"q_{code}": value for code, value in answers.items()}, **extra}


def page(client: Client, link: WaveLink, query: str = "") -> Any:
    return client.get(f"/s/{link.code}/{query}")


# -- what the page shows -----------------------------------------------------------------------
def test_an_open_link_shows_the_intro_the_promise_and_the_items_without_their_answers(client, link):
    response = page(client, link)
    assert response.status_code == 200
    html = response.content.decode()
    assert "本问卷了解职业健康知识的知晓情况，约 3 分钟。" in html
    assert "本调查匿名进行：不收集姓名、身份证号和手机号" in html
    assert response["Cache-Control"].startswith("max-age=0")
    # The region is chosen among the wave region's counties.
    assert '<option value="320303">云龙区</option>' in html
    assert 'value="320300"' not in html
    assert "您的岗位是否接触噪声" in html and "长期接触噪声会导致耳聋" in html
    # Sections, the skip logic for the phone, no correct answer anywhere.
    assert "基本情况" in html and "知识题" in html and "行为题" in html
    assert "data-relevant=\"${noise} = &#x27;yes&#x27;\"" in html
    assert "answer" not in response.context["items"][6].as_api()
    assert response.context["visit"].mode == "open"
    # Critical CSS inline, no stylesheet to wait for; the script deferred.
    assert "<style>" in html and "css/site.css" not in html
    assert 'src="/static/surveys/answer.js" defer' in html


def test_items_hidden_by_skip_logic_start_hidden(client, link):
    items = {item.code: item for item in page(client, link).context["items"]}
    assert items["k3"].skipped and items["earplug"].skipped
    assert not items["noise"].skipped and not items["k1"].skipped


def test_an_employer_link_does_not_ask_what_the_employer_settles(client, wave, personas):
    employer_link = WaveLink.objects.create(wave=wave, employer=personas.employer)
    response = page(client, employer_link)
    codes = [item.code for item in response.context["items"]]
    assert "region" not in codes
    assert codes[:2] == ["group", "sex"]
    assert "徐州云龙矿业有限公司" in response.content.decode()


def test_before_the_period_the_page_says_when_it_opens(client, personas):
    wave = make_wave(opens=dt.timedelta(days=2), closes=dt.timedelta(days=30))
    link = WaveLink.objects.create(wave=wave)
    response = page(client, link)
    opens = timezone.localtime(wave.opens_at).strftime("%Y-%m-%d %H:%M")
    assert response.status_code == 200
    assert f"调查尚未开始，将于 {opens} 开始，请届时再打开本链接。" in response.content.decode()
    assert response.context["visit"].state == "not_open"


def test_after_the_period_the_page_says_when_it_closed(client, personas):
    wave = make_wave(opens=dt.timedelta(days=-30), closes=dt.timedelta(days=-1))
    link = WaveLink.objects.create(wave=wave)
    response = page(client, link)
    closes = timezone.localtime(wave.closes_at).strftime("%Y-%m-%d %H:%M")
    assert f"调查已于 {closes} 结束，感谢您的关注。" in response.content.decode()


def test_a_worker_who_answered_is_told_so(wave, link, personas):
    client = personas.client(personas.worker_user)
    response = page(client, link)
    assert response.context["visit"].mode == "worker"
    # The worker's own record settles region, industry, size and group: those are not asked.
    assert [item.code for item in response.context["items"]][:2] == ["sex", "years"]
    assert client.post(f"/s/{link.code}/", form_data({"sex": "male", "noise": "no"})).status_code == 302
    response = page(client, link)
    assert response.context["visit"].state == "answered"
    assert "您已参加过本次调查，每人只能作答一次。感谢您参与本次调查！" in response.content.decode()


def test_an_issued_token_answers_once(client, wave, link):
    token = issued(wave)
    response = page(client, link, f"?t={token}")
    assert response.context["visit"].mode == "token"
    assert f'name="t" value="{token}"' in response.content.decode()
    posted = client.post(f"/s/{link.code}/", form_data(ALL_RIGHT, t=token))
    assert posted.status_code == 302 and posted["Location"] == f"/s/{link.code}/done/"
    again = page(client, link, f"?t={token}")
    assert "这个答题码已经用过，每个答题码只能作答一次" in again.content.decode()
    second = client.post(f"/s/{link.code}/", form_data(ALL_RIGHT, t=token))
    assert second.status_code == 409
    assert Response.objects.filter(wave=wave).count() == 1


def test_a_token_of_another_wave_or_none_at_all_is_named(client, wave, link, personas):
    other = make_wave(title="2026 年河源市调查")
    other_token = issued(other, "other-wave-1")
    response = page(client, link, f"?t={other_token}")
    assert "这个答题码属于另一次调查" in response.content.decode()
    assert "答题码无效" in page(client, link, "?t=no-such-code").content.decode()
    # A token no one could have been given (a NUL, control characters) is unknown too, not a 500.
    assert page(client, link, "?t=%00bad").context["visit"].state == "token_unknown"


def test_a_wave_closed_to_open_links_asks_to_sign_in_or_for_a_code(client, personas):
    wave = make_wave(open_link=False)
    link = WaveLink.objects.create(wave=wave)
    response = page(client, link)
    html = response.content.decode()
    assert response.status_code == 200
    assert "本次调查只接受登录的劳动者或调查员发放的答题码" in html
    assert f'href="/accounts/login/?next=/s/{link.code}/"' in html
    assert 'name="t"' in html
    # A form post without sign-in or code is refused the same way, not a 500.
    posted = client.post(f"/s/{link.code}/", form_data(ALL_RIGHT))
    assert posted.status_code == 400 and "本次调查只接受登录的劳动者或调查员发放的答题码" in posted.content.decode()


def test_an_outsider_signed_in_is_an_anonymous_respondent(wave, link, personas):
    # Another employer's admin is not a worker: an open link hands them a token like any phone.
    client = personas.client(personas.outsider)
    assert page(client, link).context["visit"].mode == "open"
    closed = WaveLink.objects.create(wave=make_wave(open_link=False, title="只限答题码"))
    assert page(client, closed).context["visit"].state == "sign_in"


def test_unknown_links_are_404(client, personas):
    assert client.get("/s/nosuchlink/").status_code == 404
    assert client.get("/s/nosuchlink/done/").status_code == 404
    assert client.get("/s/" + "x" * 40 + "/").status_code == 404


# -- the form post of a phone without script ----------------------------------------------------
def test_a_form_post_on_an_open_link_is_scored_and_thanked(client, wave, link):
    posted = client.post(f"/s/{link.code}/", form_data(ALL_RIGHT))
    assert posted.status_code == 302
    response = Response.objects.get(wave=wave)
    assert (response.points_earned, response.points_possible) == (4, 4)
    assert response.region_id == "320303" and response.group == "exposed" and response.years_exposed == 12
    assert response.token is not None and response.token.origin == ResponseToken.Origin.LINK
    done = client.get(posted["Location"])
    html = done.content.decode()
    assert "提交成功，感谢您的参与！" in html and 'href="/"' in html
    assert "得分" not in html and "正确答案" not in html


def test_skipped_items_and_a_wrong_answer_score_as_the_definitions_say(client, wave, link):
    answers = {"region": "320303", "group": "exposed", "sex": "male", "noise": "no", "k1": "a", "k2": ["a", "c"]}
    assert client.post(f"/s/{link.code}/", form_data(answers)).status_code == 302
    response = Response.objects.get(wave=wave)
    # k3 does not apply (no noise): 1 of 3 points.
    assert (response.points_earned, response.points_possible, response.knowledge_items) == (1, 3, 2)


@pytest.mark.parametrize(("answers", "field", "message"), [
    ({**ALL_RIGHT, "years": "99"}, "years", "不能大于 60"),
    ({**ALL_RIGHT, "sex": "other"}, "sex", "“other”不是本题的选项（可选：male、female）"),
    ({key: value for key, value in ALL_RIGHT.items() if key != "sex"}, "sex", "本题必答"),
    ({**ALL_RIGHT, "noise": "no"}, "k3", "按跳题规则本题不适用，不应作答"),
    ({**ALL_RIGHT, "group": "other"}, "group", "本次调查面向接害劳动者、职业卫生管理人员，其他不在其中"),
])
def test_a_refused_form_post_shows_the_message_next_to_its_item(client, wave, link, answers, field, message):
    posted = client.post(f"/s/{link.code}/", form_data(answers))
    assert posted.status_code == 400
    items = {item.code: item for item in posted.context["items"]}
    assert items[field].error == message
    assert message in posted.content.decode()
    # What was answered is put back.
    assert items["k1"].chosen == ["b"]
    assert not Response.objects.exists()


def test_the_group_label_in_a_refusal(wave):
    # The wording of group_not_in_wave comes from PostRole's labels: pinned here so the test above is exact.
    assert [str(PostRole(value).label) for value in ("exposed", "manager", "other")] == ["接害劳动者", "职业卫生管理人员", "其他"]


def test_a_full_quota_is_refused_at_the_top(client, wave, link):
    Stratum.objects.create(wave=wave, region=Region.objects.get(code="320300"), industry_id="B",
                           group=PostRole.EXPOSED, population=100, quota=0)
    employer_link = link
    posted = client.post(f"/s/{employer_link.code}/", form_data(ALL_RIGHT))
    assert posted.status_code == 400
    # No industry asked on a general link: the respondent is outside the frame, said at the top.
    assert posted.context["top_error"] == "您的地区、行业和岗位类别不在本次调查的抽样范围内"


def test_a_full_quota_on_an_employer_link(client, wave, personas):
    Stratum.objects.create(wave=wave, region=Region.objects.get(code="320300"), industry_id="B",
                           group=PostRole.EXPOSED, population=100, quota=0)
    employer_link = WaveLink.objects.create(wave=wave, employer=personas.employer)
    answers = {key: value for key, value in ALL_RIGHT.items() if key != "region"}
    posted = client.post(f"/s/{employer_link.code}/", form_data(answers))
    assert posted.status_code == 400
    assert posted.context["top_error"] == "该人群的样本已满，感谢您的参与"


def test_a_post_after_the_period_shows_the_closed_page(client, personas):
    wave = make_wave(opens=dt.timedelta(days=-30), closes=dt.timedelta(days=-1))
    link = WaveLink.objects.create(wave=wave)
    posted = client.post(f"/s/{link.code}/", form_data(ALL_RIGHT))
    assert posted.status_code == 400
    assert "调查已于" in posted.content.decode() and not Response.objects.exists()
