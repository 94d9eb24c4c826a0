"""The evaluator's wave pages: the list, creating and editing, the frame's progress, links and
posters, one-time codes, and the home page's steps, for every persona.

Waves used: 徐州 (320300, the evaluator's own), 江苏 (320000, a provincial wave of which the Xuzhou
evaluator reads only the Xuzhou part) and 河源 (441600, out of reach)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.errors import ServiceError
from core.nextsteps import NextSteps
from core.qr import qr_svg
from orgs.models import Evaluator, Industry, PostRole, Region, User
from surveys import nextsteps
from surveys.models import Item, ItemKind, ItemType, Questionnaire, Response, ResponseToken, Stratum, Wave, WaveLink
from surveys.wave_views import answer_path, optional_url
from tests.conftest import Personas
from tests.factories import EmployerFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "https://survey.example.cn"


@pytest.fixture(autouse=True)
def base_url(settings: Any) -> None:
    settings.WAGTAILADMIN_BASE_URL = BASE


def _questionnaire() -> Questionnaire:
    questionnaire = Questionnaire.objects.create(title="职业健康知识问卷", form_id="wave-views-test",
                                                 threshold=Decimal("0.80"))
    Item.objects.create(questionnaire=questionnaire, sort_order=0, code="k1", kind=ItemKind.KNOWLEDGE,
                        type=ItemType.SELECT_ONE, label="职业病防治法何时施行", points=1, dimension_id="law",
                        answer=["b"], choices=[{"value": "a", "label": "1999"}, {"value": "b", "label": "2002"}])
    return questionnaire


def _wave(questionnaire: Questionnaire, region: str, title: str, *, groups: list[str] | None = None,
          days_open: int = 10, days_left: int = 20) -> Wave:
    now = timezone.now()
    return Wave.objects.create(questionnaire=questionnaire, title=title, region=Region.objects.get(code=region),
                               opens_at=now - dt.timedelta(days=days_open), closes_at=now + dt.timedelta(days=days_left),
                               groups=groups if groups is not None else [PostRole.EXPOSED])


def _responses(wave: Wave, region: str, count: int, stratum: Stratum | None = None) -> None:
    for _number in range(count):
        Response.objects.create(wave=wave, region_id=region, stratum=stratum, group=PostRole.EXPOSED)


@pytest.fixture
def world(personas: Personas) -> dict[str, Any]:
    questionnaire = _questionnaire()
    xuzhou = _wave(questionnaire, "320300", "2026 年徐州市知晓率调查")
    jiangsu = _wave(questionnaire, "320000", "2026 年江苏省知晓率调查", days_open=30)
    heyuan = _wave(questionnaire, "441600", "2026 年河源市知晓率调查")
    mining = Industry.objects.get(code="06")
    in_xuzhou = Stratum.objects.create(wave=jiangsu, region_id="320305", industry=mining, group=PostRole.EXPOSED,
                                       population=1000, quota=4)
    in_nanjing = Stratum.objects.create(wave=jiangsu, region_id="320100", industry=mining, group=PostRole.EXPOSED,
                                        population=3000, quota=10)
    _responses(xuzhou, "320305", 3)
    _responses(jiangsu, "320305", 2, in_xuzhou)
    _responses(jiangsu, "320100", 3, in_nanjing)
    _responses(heyuan, "441621", 7)
    heyuan_evaluator = UserFactory(username="heyuan-evaluator")
    Evaluator.objects.create(user=heyuan_evaluator, region=Region.objects.get(code="441600"))
    jiangsu_evaluator = UserFactory(username="jiangsu-evaluator")
    Evaluator.objects.create(user=jiangsu_evaluator, region=Region.objects.get(code="320000"))
    nanjing_employer = EmployerFactory(name="南京某化工有限公司", region=Region.objects.get(code="320100"))
    return {"questionnaire": questionnaire, "xuzhou": xuzhou, "jiangsu": jiangsu, "heyuan": heyuan,
            "in_xuzhou": in_xuzhou, "in_nanjing": in_nanjing, "heyuan_evaluator": heyuan_evaluator,
            "jiangsu_evaluator": jiangsu_evaluator, "nanjing_employer": nanjing_employer}


def _row(content: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', content, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(1)


def _count(fragment: str, name: str) -> str:
    match = re.search(rf'data-count="{name}">([^<]*)<', fragment)
    assert match, f"no count {name}"
    return match.group(1).strip()


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_waves_in_reach_with_counts_of_the_evaluators_part(personas: Personas, world: dict) -> None:
    response = personas.client(personas.evaluator).get(reverse("surveys:wave_list"))
    assert response.status_code == 200
    content = _text(response)
    assert _count(_row(content, "data-wave", world["xuzhou"].code), "responses") == "3"
    jiangsu = _row(content, "data-wave", world["jiangsu"].code)
    assert _count(jiangsu, "responses") == "2"  # the Xuzhou part only, not Nanjing's 3
    assert "仅统计徐州市" in jiangsu
    assert world["heyuan"].code not in content and "河源市知晓率" not in content
    assert 'data-status="open"' in jiangsu and "接害劳动者" in jiangsu
    assert reverse("surveys:wave_create") in content and "新建调查轮次" in content


def test_the_list_for_the_provinces_evaluator_and_superusers_counts_everything(personas: Personas,
                                                                               world: dict) -> None:
    content = _text(personas.client(world["jiangsu_evaluator"]).get(reverse("surveys:wave_list")))
    assert _count(_row(content, "data-wave", world["jiangsu"].code), "responses") == "5"
    assert _count(_row(content, "data-wave", world["xuzhou"].code), "responses") == "3"
    assert world["heyuan"].code not in content
    content = _text(personas.client(personas.superuser).get(reverse("surveys:wave_list")))
    assert _count(_row(content, "data-wave", world["heyuan"].code), "responses") == "7"


def test_the_list_shows_a_closed_wave_as_closed(personas: Personas, world: dict) -> None:
    closed = _wave(world["questionnaire"], "320300", "2025 年徐州市调查", days_open=400, days_left=-300)
    content = _text(personas.client(personas.evaluator).get(reverse("surveys:wave_list")))
    assert 'data-status="closed"' in _row(content, "data-wave", closed.code)


@pytest.mark.parametrize("who", ["worker_user", "employer_admin", "outsider", "editor"])
def test_the_list_does_not_exist_for_anyone_but_evaluators(personas: Personas, world: dict, who: str) -> None:
    client = personas.client(getattr(personas, who))
    assert client.get(reverse("surveys:wave_list")).status_code == 404
    assert client.get(reverse("surveys:wave_create")).status_code == 404
    assert client.post(reverse("surveys:wave_create"), {"title": "x"}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(personas: Personas, world: dict) -> None:
    client = personas.client(None)
    link = WaveLink.objects.create(wave=world["xuzhou"])
    for url in [reverse("surveys:wave_list"), reverse("surveys:wave_create"), *_object_urls(world["xuzhou"], link)]:
        for response in (client.get(url), client.post(url, {"action": "general", "count": "3"})):
            assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert not ResponseToken.objects.exists() and WaveLink.objects.count() == 1


# --- object pages: who gets a 404 ----------------------------------------------------------------


def _object_urls(wave: Wave, link: WaveLink) -> list[str]:
    return [reverse("surveys:wave_detail", args=[wave.code]), reverse("surveys:wave_edit", args=[wave.code]),
            reverse("surveys:wave_links", args=[wave.code]), reverse("surveys:wave_tokens", args=[wave.code]),
            reverse("surveys:wave_poster", args=[wave.code, link.code])]


@pytest.mark.parametrize("who", ["heyuan_evaluator", "worker_user", "employer_admin", "outsider"])
def test_every_object_page_is_a_404_out_of_reach(personas: Personas, world: dict, who: str) -> None:
    user = world[who] if who in world else getattr(personas, who)
    wave = world["xuzhou"]
    link = WaveLink.objects.create(wave=wave)
    client = personas.client(user)
    for url in _object_urls(wave, link):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "general", "count": "3"}).status_code == 404, url
    assert not WaveLink.objects.filter(wave=wave).exclude(pk=link.pk).exists()
    assert not ResponseToken.objects.filter(wave=wave).exists()


def test_a_wave_of_another_region_looks_exactly_like_an_unknown_code(personas: Personas, world: dict) -> None:
    client = personas.client(personas.evaluator)
    other = client.get(reverse("surveys:wave_detail", args=[world["heyuan"].code]))
    unknown = client.get(reverse("surveys:wave_detail", args=["no-such-wave"]))
    assert other.status_code == unknown.status_code == 404
    # The pages differ only in the address they echo (the language switch's ?next=) and the CSRF token.
    def page(response: Any, code: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode().replace(code, "X"))

    assert page(other, world["heyuan"].code) == page(unknown, "no-such-wave")
    assert client.get(reverse("surveys:wave_detail", args=["a" * 60])).status_code == 404


def test_a_poster_of_another_waves_link_is_a_404(personas: Personas, world: dict) -> None:
    other_link = WaveLink.objects.create(wave=world["heyuan"])
    url = reverse("surveys:wave_poster", args=[world["xuzhou"].code, other_link.code])
    assert personas.client(personas.evaluator).get(url).status_code == 404


# --- creating and editing ------------------------------------------------------------------------


def _form_data(questionnaire: Questionnaire, **changes: Any) -> dict[str, Any]:
    data = {"questionnaire": questionnaire.pk, "title": "2026 年贾汪区调查", "region": "320305",
            "opens_at": "2026-09-01T08:00", "closes_at": "2026-09-30T18:00",
            "groups": [PostRole.EXPOSED, PostRole.PRINCIPAL], "open_link": "on"}
    data.update(changes)
    return data


def test_the_form_offers_only_regions_in_the_evaluators_subtree(personas: Personas, world: dict) -> None:
    content = _text(personas.client(personas.evaluator).get(reverse("surveys:wave_create")))
    assert 'value="320305"' in content and 'value="320300"' in content
    assert 'value="320000"' not in content and 'value="441600"' not in content
    assert 'type="datetime-local"' in content and 'type="checkbox"' in content


def test_an_evaluator_creates_a_wave_in_their_region(personas: Personas, world: dict) -> None:
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_create"),
                                                        _form_data(world["questionnaire"]))
    wave = Wave.objects.get(title="2026 年贾汪区调查")
    assert response.status_code == 302 and response.url == reverse("surveys:wave_detail", args=[wave.code])
    assert wave.region_id == "320305" and wave.open_link is True
    assert wave.groups == [PostRole.PRINCIPAL, PostRole.EXPOSED]  # PostRole's order
    assert timezone.localtime(wave.opens_at).strftime("%Y-%m-%d %H:%M") == "2026-09-01 08:00"
    assert wave.created_by == personas.evaluator


def test_a_region_outside_the_evaluators_is_refused_on_its_field(personas: Personas, world: dict) -> None:
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_create"),
                                                        _form_data(world["questionnaire"], region="441600"))
    assert response.status_code == 200
    assert response.context["form"].errors["region"]
    assert not Wave.objects.filter(title="2026 年贾汪区调查").exists()


def test_the_services_refusal_is_shown_on_its_field(personas: Personas, world: dict) -> None:
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_create"), _form_data(
        world["questionnaire"], opens_at="2026-09-30T18:00", closes_at="2026-09-01T08:00"))
    assert response.status_code == 200
    assert response.context["form"].errors["closes_at"] == ["结束时间应晚于开始时间"]
    assert "结束时间应晚于开始时间" in _text(response)
    assert not Wave.objects.filter(title="2026 年贾汪区调查").exists()


def test_a_refusal_about_no_field_is_shown_above_the_form(personas: Personas, world: dict,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from surveys.services import waves

    def refuse(**kwargs: Any) -> Wave:
        raise ServiceError("这个调查轮次已经存在")

    monkeypatch.setattr(waves, "wave_save", refuse)
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_create"),
                                                        _form_data(world["questionnaire"]))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["这个调查轮次已经存在"]
    assert 'data-testid="form-error">这个调查轮次已经存在' in response.content.decode()


def test_missing_and_malformed_values_are_named(personas: Personas, world: dict) -> None:
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_create"), _form_data(
        world["questionnaire"], title="", opens_at="明天", groups=["boss"]))
    errors = response.context["form"].errors
    assert response.status_code == 200 and set(errors) == {"title", "opens_at", "groups"}


def test_an_evaluator_edits_their_wave(personas: Personas, world: dict) -> None:
    wave = world["xuzhou"]
    client = personas.client(personas.evaluator)
    page = _text(client.get(reverse("surveys:wave_edit", args=[wave.code])))
    assert f'value="{wave.title}"' in page
    data = _form_data(world["questionnaire"], title="徐州市调查（延长）", region="320300",
                      opens_at=timezone.localtime(wave.opens_at).strftime("%Y-%m-%dT%H:%M"),
                      closes_at=timezone.localtime(wave.closes_at + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    response = client.post(reverse("surveys:wave_edit", args=[wave.code]), data)
    assert response.status_code == 302
    wave.refresh_from_db()
    assert wave.title == "徐州市调查（延长）" and wave.groups == [PostRole.PRINCIPAL, PostRole.EXPOSED]


def test_the_city_evaluator_may_read_but_not_edit_a_provincial_wave(personas: Personas, world: dict) -> None:
    wave = world["jiangsu"]
    client = personas.client(personas.evaluator)
    detail = _text(client.get(reverse("surveys:wave_detail", args=[wave.code])))
    assert 'data-testid="part-note"' in detail and 'data-testid="wave-edit"' not in detail
    for response in (client.get(reverse("surveys:wave_edit", args=[wave.code])),
                     client.post(reverse("surveys:wave_edit", args=[wave.code]),
                                 _form_data(world["questionnaire"], region="320300", title="改了"))):
        assert response.status_code == 403
        assert "您可以查看您所辖部分，但不能修改" in _text(response)
    wave.refresh_from_db()
    assert wave.title == "2026 年江苏省知晓率调查" and wave.region_id == "320000"
    # The province's evaluator may.
    assert personas.client(world["jiangsu_evaluator"]).get(
        reverse("surveys:wave_edit", args=[wave.code])).status_code == 200


# --- one wave: the frame -------------------------------------------------------------------------


def test_the_frame_of_a_provincial_wave_counts_only_the_evaluators_part(personas: Personas, world: dict) -> None:
    content = _text(personas.client(personas.evaluator).get(
        reverse("surveys:wave_detail", args=[world["jiangsu"].code])))
    row = _row(content, "data-stratum", "320305-06-exposed")
    assert ">1000<" in row and ">4<" in row
    assert _count(row, "responses") == "2" and _count(row, "percent") == "50%"
    assert 'data-stratum="320100-06-exposed"' not in content  # Nanjing's stratum
    assert _count(content, "in-frame") == "2" and _count(content, "population") == "1000"
    assert _count(content, "quota-percent") == "50%"
    assert re.search(r'data-count="responses">2<', content)


def test_the_frame_of_the_whole_wave_for_the_provinces_evaluator(personas: Personas, world: dict) -> None:
    _responses(world["jiangsu"], "320100", 1)  # out of the frame
    content = _text(personas.client(world["jiangsu_evaluator"]).get(
        reverse("surveys:wave_detail", args=[world["jiangsu"].code])))
    assert _count(_row(content, "data-stratum", "320100-06-exposed"), "percent") == "30%"  # 3 of 10
    assert _count(content, "in-frame") == "5" and _count(content, "population") == "4000"
    assert _count(content, "quota-percent") == "36%"  # 5 of 14
    assert _count(content, "responses") == "6"
    assert "另有 1 份答卷不在抽样框内" in content
    assert 'data-testid="wave-edit"' in content


def test_a_wave_without_frame_says_so(personas: Personas, world: dict) -> None:
    content = _text(personas.client(personas.evaluator).get(reverse("surveys:wave_detail",
                                                                    args=[world["xuzhou"].code])))
    assert "还没有抽样框" in content and _count(content, "responses") == "3"


def test_links_to_other_parts_appear_only_once_they_exist(personas: Personas, world: dict) -> None:
    assert optional_url("surveys:no_such_page", "abc") == ""
    assert optional_url("surveys:wave_detail", "abc") == reverse("surveys:wave_detail", args=["abc"])
    assert optional_url("surveys:wave_list", "abc") == reverse("surveys:wave_list")  # takes no code
    content = _text(personas.client(personas.evaluator).get(reverse("surveys:wave_detail",
                                                                    args=[world["xuzhou"].code])))
    dashboard = optional_url("surveys:dashboard", world["xuzhou"].code)
    assert ('data-testid="dashboard-link"' in content) == bool(dashboard)


# --- links and posters ---------------------------------------------------------------------------


def _answer(link: WaveLink, token: str = "") -> str:
    return f"{BASE}{answer_path(link.code)}" + (f"?t={token}" if token else "")


def test_links_general_and_per_employer(personas: Personas, world: dict) -> None:
    wave = world["xuzhou"]
    client = personas.client(personas.evaluator)
    url = reverse("surveys:wave_links", args=[wave.code])
    page = _text(client.get(url))
    assert 'data-testid="make-general"' in page and personas.employer.name in page
    assert personas.other_employer.name not in page  # Heyuan's employer is not in the wave's region
    assert client.post(url, {"action": "general"}).status_code == 302
    assert client.post(url, {"action": "employers",
                             "employer": [personas.employer.code, personas.other_employer.code]}).status_code == 302
    general = WaveLink.objects.get(wave=wave, employer=None)
    own = WaveLink.objects.get(wave=wave, employer=personas.employer)
    assert WaveLink.objects.filter(wave=wave).count() == 2  # Heyuan's employer was ignored
    page = _text(client.get(url))
    assert 'data-testid="make-general"' not in page
    for link in (general, own):
        assert f'<p class="url" data-testid="link-url">{_answer(link)}</p>' in page
    assert answer_path(general.code) in (reverse("surveys:answer", args=[general.code])
                                         if optional_url("surveys:answer", general.code) else f"/s/{general.code}/")
    assert page.count("<svg") >= 2


def test_choosing_no_employer_of_the_wave_is_refused(personas: Personas, world: dict) -> None:
    url = reverse("surveys:wave_links", args=[world["xuzhou"].code])
    response = personas.client(personas.evaluator).post(url, {"action": "employers",
                                                              "employer": [personas.other_employer.code, "\x00"]},
                                                        follow=True)
    assert "请先勾选要生成链接的用人单位。" in _text(response)
    assert not WaveLink.objects.filter(wave=world["xuzhou"]).exists()


def test_the_city_evaluator_links_only_their_employers_of_a_provincial_wave(personas: Personas,
                                                                            world: dict) -> None:
    wave = world["jiangsu"]
    nanjing_link = WaveLink.objects.create(wave=wave, employer=world["nanjing_employer"])
    page = _text(personas.client(personas.evaluator).get(reverse("surveys:wave_links", args=[wave.code])))
    assert personas.employer.name in page
    assert "南京某化工" not in page and nanjing_link.code not in page
    poster = reverse("surveys:wave_poster", args=[wave.code, nanjing_link.code])
    assert personas.client(personas.evaluator).get(poster).status_code == 404
    assert personas.client(world["jiangsu_evaluator"]).get(poster).status_code == 200


def test_the_poster_carries_the_qr_of_the_links_address(personas: Personas, world: dict) -> None:
    link = WaveLink.objects.create(wave=world["xuzhou"], employer=personas.employer)
    response = personas.client(personas.evaluator).get(reverse("surveys:wave_poster",
                                                               args=[world["xuzhou"].code, link.code]))
    content = response.content.decode()
    assert response.status_code == 200
    assert qr_svg(_answer(link), cache_result=False) in content
    assert f'data-testid="poster-url">{_answer(link)}<' in content
    assert "2026 年徐州市知晓率调查" in content and personas.employer.name in content
    assert "用手机微信或相机扫描上方二维码" in content and "@page { size: A4" in content


# --- one-time codes ------------------------------------------------------------------------------


def _slips(content: str) -> list[str]:
    return re.findall(r'data-testid="token-slip" data-url="([^"]+)"', content)


def test_an_evaluator_issues_codes_and_prints_their_sheet(personas: Personas, world: dict) -> None:
    wave = world["xuzhou"]
    client = personas.client(personas.evaluator)
    url = reverse("surveys:wave_tokens", args=[wave.code])
    response = client.post(url, {"count": "3", "link": ""})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    content = html.unescape(response.content.decode())
    tokens = list(ResponseToken.objects.filter(wave=wave, origin=ResponseToken.Origin.ISSUED))
    general = WaveLink.objects.get(wave=wave, employer=None)  # made for the codes' QR
    assert len(tokens) == 3 and all(token.link is None for token in tokens)
    assert sorted(_slips(content)) == sorted(_answer(general, token.token) for token in tokens)
    for token in tokens:
        assert qr_svg(_answer(general, token.token), cache_result=False) in content
    assert "已生成 3 张答题码" in content
    page = _text(client.get(url))
    assert _count(page, "issued") == "3" and _count(page, "used") == "0"


def test_codes_for_an_employers_link_carry_that_link(personas: Personas, world: dict) -> None:
    wave = world["xuzhou"]
    link = WaveLink.objects.create(wave=wave, employer=personas.employer)
    content = _text(personas.client(personas.evaluator).post(reverse("surveys:wave_tokens", args=[wave.code]),
                                                              {"count": "2", "link": link.code}))
    tokens = list(ResponseToken.objects.filter(wave=wave))
    assert {token.link_id for token in tokens} == {link.pk}
    assert sorted(_slips(content)) == sorted(_answer(link, token.token) for token in tokens)
    assert personas.employer.name in content


def test_unused_codes_can_be_printed_again(personas: Personas, world: dict) -> None:
    wave = world["xuzhou"]
    client = personas.client(personas.evaluator)
    url = reverse("surveys:wave_tokens", args=[wave.code])
    assert client.post(url, {"action": "reprint"}, follow=True).redirect_chain  # none yet
    client.post(url, {"count": "3"})
    used = ResponseToken.objects.filter(wave=wave).first()
    assert used is not None
    ResponseToken.objects.filter(pk=used.pk).update(used_at=timezone.now())
    page = _text(client.get(url))
    assert _count(page, "issued") == "3" and _count(page, "used") == "1"
    response = client.post(url, {"action": "reprint"})
    slips = _slips(html.unescape(response.content.decode()))
    assert len(slips) == 2 and not any(used.token in slip for slip in slips)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("count", "field"), [("0", "count"), ("501", "count"), ("三", "count")])
def test_a_bad_number_of_codes_is_refused(personas: Personas, world: dict, count: str, field: str) -> None:
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_tokens", args=[world["xuzhou"].code]),
                                                        {"count": count})
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert not ResponseToken.objects.exists()


def test_codes_for_a_closed_wave_are_refused_with_the_services_message(personas: Personas, world: dict) -> None:
    closed = _wave(world["questionnaire"], "320300", "2025 年徐州市调查", days_open=400, days_left=-300)
    response = personas.client(personas.evaluator).post(reverse("surveys:wave_tokens", args=[closed.code]),
                                                        {"count": "5"})
    assert response.context["form"].errors["count"] == ["本轮调查已结束，不能再发放答题码"]
    assert not ResponseToken.objects.exists() and not WaveLink.objects.filter(wave=closed).exists()


def test_the_city_evaluator_issues_codes_only_for_their_employers_links(personas: Personas, world: dict) -> None:
    wave = world["jiangsu"]
    own = WaveLink.objects.create(wave=wave, employer=personas.employer)
    nanjing = WaveLink.objects.create(wave=wave, employer=world["nanjing_employer"])
    ResponseToken.objects.create(wave=wave, link=nanjing, token="nanjing-1", origin=ResponseToken.Origin.ISSUED)
    client = personas.client(personas.evaluator)
    url = reverse("surveys:wave_tokens", args=[wave.code])
    page = _text(client.get(url))
    assert own.code in page and nanjing.code not in page and _count(page, "issued") == "0"
    refused = client.post(url, {"count": "2", "link": ""})
    assert "请选择所辖单位的链接" in refused.context["form"].errors["link"][0]
    assert client.post(url, {"count": "2", "link": nanjing.code}).context["form"].errors["link"]
    assert client.post(url, {"count": "2", "link": own.code}).status_code == 200
    assert ResponseToken.objects.filter(wave=wave, link=own).count() == 2
    assert _count(_text(client.get(url)), "issued") == "2"
    reprinted = _slips(html.unescape(client.post(url, {"action": "reprint"}).content.decode()))
    assert len(reprinted) == 2 and not any("nanjing-1" in slip for slip in reprinted)


# --- the home page and the header ----------------------------------------------------------------


def _steps(user: User) -> NextSteps:
    request = RequestFactory().get("/")
    request.user = user
    result = NextSteps(roles=frozenset())
    nextsteps.next_steps(request, result)
    return result


def _nav(user: User | None) -> list[str]:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return [str(item.label) for item in nextsteps.navigation(request)]


def test_evaluators_get_the_open_waves_and_a_link_in_the_header(personas: Personas, world: dict) -> None:
    steps = _steps(personas.evaluator)
    titles = [step.title for step in steps.steps]
    assert titles == ["2026 年徐州市知晓率调查", "2026 年江苏省知晓率调查"]  # the nearest end first
    jiangsu = steps.steps[1]
    assert jiangsu.url == reverse("surveys:wave_detail", args=[world["jiangsu"].code])
    assert "已收到答卷 2 份" in jiangsu.text  # their part
    assert _nav(personas.evaluator) == ["调查轮次"]
    for user in (personas.worker_user, personas.employer_admin, personas.outsider, None):
        assert _nav(user) == []


def test_a_worker_is_asked_to_answer_the_open_waves_of_their_region_and_group(personas: Personas,
                                                                              world: dict) -> None:
    xuzhou, jiangsu = world["xuzhou"], world["jiangsu"]
    WaveLink.objects.create(wave=world["heyuan"])
    manager_only = _wave(world["questionnaire"], "320300", "管理人员调查", groups=[PostRole.MANAGER])
    WaveLink.objects.create(wave=manager_only)
    assert _steps(personas.worker_user).steps == []  # no links yet: nowhere to answer
    general = WaveLink.objects.create(wave=xuzhou)
    own = WaveLink.objects.create(wave=xuzhou, employer=personas.employer)
    province = WaveLink.objects.create(wave=jiangsu)
    steps = _steps(personas.worker_user).steps
    assert [(step.title, step.url) for step in steps] == [
        ("2026 年徐州市知晓率调查", answer_path(own.code)),  # their employer's link, not the general one
        ("2026 年江苏省知晓率调查", answer_path(province.code)),
    ]
    assert general.code not in "".join(step.url for step in steps)
    Response.objects.create(wave=xuzhou, worker=personas.worker, region_id="320305")
    assert [step.title for step in _steps(personas.worker_user).steps] == ["2026 年江苏省知晓率调查"]
    # Heyuan's worker sees neither Xuzhou's nor Jiangsu's waves, only Heyuan's.
    assert [step.title for step in _steps(personas.other_worker.user).steps] == ["2026 年河源市知晓率调查"]


def test_employer_admins_and_outsiders_get_no_survey_steps(personas: Personas, world: dict) -> None:
    WaveLink.objects.create(wave=world["xuzhou"])
    for user in (personas.employer_admin, personas.outsider, personas.editor):
        assert _steps(user).steps == []
