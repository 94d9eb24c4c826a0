"""Waves are set up by evaluators inside their own region; links and one-time codes are handed out
for waves in reach; an evaluator of another region and the outsider are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core.errors import ServiceError
from orgs.models import Evaluator, Region
from surveys.models import Item, Questionnaire, Response, ResponseToken, Wave, WaveLink
from surveys.services.waves import link_for, tokens_issue, wave_save
from tests.conftest import Personas
from tests.factories import UserFactory
from tests.surveys.test_questionnaires import make_questionnaire

pytestmark = pytest.mark.django_db


def new_wave(questionnaire: Questionnaire, *, region: str = "320300", **fields: object) -> Wave:
    now = timezone.now()
    values: dict[str, object] = {"title": "2025 年徐州市重点人群知晓率调查", "opens_at": now - dt.timedelta(hours=1),
                                 "closes_at": now + dt.timedelta(days=30), "groups": ["exposed", "principal"]}
    values.update(fields)
    return Wave(questionnaire=questionnaire, region_id=region, **values)


def heyuan_evaluator() -> object:
    user = UserFactory(username="heyuan-evaluator")
    Evaluator.objects.create(user=user, region=Region.objects.get(code="441600"))
    return user


def test_an_evaluator_sets_up_a_wave_in_their_region(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    wave = wave_save(actor=personas.evaluator, wave=new_wave(questionnaire, region="320305"), create=True)
    # Groups are kept in PostRole's order.
    assert wave.pk and wave.groups == ["principal", "exposed"] and wave.created_by == personas.evaluator
    entry = ModelLogEntry.objects.get(action="surveys.wave.create", object_id=str(wave.pk))
    assert entry.user == personas.evaluator and entry.data["region"] == "320305"
    wave.title = "2025 年云龙区调查"
    wave_save(actor=personas.evaluator, wave=wave, create=False)
    assert Wave.objects.get(pk=wave.pk).title == "2025 年云龙区调查"
    assert ModelLogEntry.objects.filter(action="surveys.wave.edit", object_id=str(wave.pk)).count() == 1


def test_a_wave_outside_the_evaluators_region_is_refused(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    with pytest.raises(ServiceError) as caught:
        wave_save(actor=personas.evaluator, wave=new_wave(questionnaire, region="320000"), create=True)
    assert caught.value.field == "region"
    assert caught.value.message == "只能在您负责的地区内设立调查轮次，江苏省（320000） 不在其中"
    with pytest.raises(ServiceError, match="441600"):
        wave_save(actor=personas.evaluator, wave=new_wave(questionnaire, region="441600"), create=True)
    # Someone else's wave cannot be changed at all.
    heyuan = wave_save(actor=heyuan_evaluator(), wave=new_wave(questionnaire, region="441600"), create=True)
    heyuan.title = "改名"
    with pytest.raises(PermissionDenied):
        wave_save(actor=personas.evaluator, wave=heyuan, create=False)
    for user in (personas.outsider, personas.editor, personas.worker_user, personas.employer_admin, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            wave_save(actor=user, wave=new_wave(questionnaire), create=True)
    assert Wave.objects.count() == 1
    # Superusers reach every region.
    assert wave_save(actor=personas.superuser, wave=new_wave(questionnaire, region="320000"), create=True).pk


def test_the_period_groups_and_questionnaire_are_checked(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    now = timezone.now()
    cases = [
        (new_wave(questionnaire, closes_at=now - dt.timedelta(days=1)), "closes_at", "结束时间应晚于开始时间"),
        (new_wave(questionnaire, groups=["exposed", "boss"]), "groups",
         "不认识的重点人群 boss（可选：principal 主要负责人、manager 职业卫生管理人员、exposed 接害劳动者、other 其他）"),
        (new_wave(questionnaire, title=" "), "title", "请填写名称"),
    ]
    for wave, field, message in cases:
        with pytest.raises(ServiceError) as caught:
            wave_save(actor=personas.evaluator, wave=wave, create=True)
        assert (caught.value.field, caught.value.message) == (field, message)
    # A questionnaire that went wrong (written around the service) cannot go into the field.
    Item.objects.filter(questionnaire=questionnaire, code="k1").update(answer=["z"])
    with pytest.raises(ServiceError) as caught:
        wave_save(actor=personas.evaluator, wave=new_wave(questionnaire), create=True)
    assert caught.value.field == "questionnaire"
    assert caught.value.message == "问卷“职业健康知识知晓率调查”还有问题，请内容编辑先修改：题目 k1：答案 z 不在选项中"
    assert not Wave.objects.exists()


def test_a_wave_with_responses_keeps_its_questionnaire_and_region(personas: Personas) -> None:
    questionnaire, other = make_questionnaire(), make_questionnaire(form_id="other")
    wave = wave_save(actor=personas.evaluator, wave=new_wave(questionnaire), create=True)
    Response.objects.create(wave=wave)
    wave.questionnaire = other
    with pytest.raises(ServiceError, match="本轮调查已有答卷，不能更换问卷；请新建一个调查轮次"):
        wave_save(actor=personas.evaluator, wave=wave, create=False)
    wave = Wave.objects.get(pk=wave.pk)
    wave.region_id = "320305"
    with pytest.raises(ServiceError, match="本轮调查已有答卷，不能更换调查地区"):
        wave_save(actor=personas.evaluator, wave=wave, create=False)
    wave = Wave.objects.get(pk=wave.pk)
    wave.closes_at = wave.closes_at + dt.timedelta(days=7)
    wave_save(actor=personas.evaluator, wave=wave, create=False)


def test_links_one_per_wave_and_one_per_employer(personas: Personas) -> None:
    wave = wave_save(actor=personas.evaluator, wave=new_wave(make_questionnaire()), create=True)
    general = link_for(actor=personas.evaluator, wave=wave)
    assert link_for(actor=personas.evaluator, wave=wave) == general and general.employer is None
    own = link_for(actor=personas.evaluator, wave=wave, employer=personas.employer)
    assert own.employer == personas.employer and own != general
    assert WaveLink.objects.filter(wave=wave).count() == 2
    assert ModelLogEntry.objects.filter(action="surveys.link.create").count() == 2
    with pytest.raises(ServiceError) as caught:
        link_for(actor=personas.evaluator, wave=wave, employer=personas.other_employer)
    assert (caught.value.field, caught.value.message) == ("employer", "用人单位“河源紫金矿产有限公司”不在本轮调查的地区内")
    for user in (heyuan_evaluator(), personas.outsider, personas.editor):
        with pytest.raises(PermissionDenied):
            link_for(actor=user, wave=wave)


def test_a_city_evaluator_gives_links_of_a_provincial_wave_to_their_employers_only(personas: Personas) -> None:
    wave = wave_save(actor=personas.superuser, wave=new_wave(make_questionnaire(), region="320000"), create=True)
    assert link_for(actor=personas.evaluator, wave=wave, employer=personas.employer).employer == personas.employer
    nanjing = personas.other_employer
    nanjing.region_id, nanjing.name = "320100", "南京某厂"
    nanjing.save()
    with pytest.raises(ServiceError, match="用人单位“南京某厂”不在您负责的地区内"):
        link_for(actor=personas.evaluator, wave=wave, employer=nanjing)


def test_tokens_are_issued_in_batches_of_1_to_2000(personas: Personas) -> None:
    wave = wave_save(actor=personas.evaluator, wave=new_wave(make_questionnaire()), create=True)
    link = link_for(actor=personas.evaluator, wave=wave, employer=personas.employer)
    tokens = tokens_issue(actor=personas.evaluator, wave=wave, count=3, link=link)
    assert len(tokens) == 3 and len({token.token for token in tokens}) == 3
    stored = ResponseToken.objects.filter(wave=wave)
    assert stored.count() == 3 and {token.origin for token in stored} == {"issued"} and {t.link_id for t in stored} == {link.pk}
    assert all(len(token.token) == 16 and token.used_at is None for token in stored)
    entry = ModelLogEntry.objects.get(action="surveys.tokens.issue", object_id=str(wave.pk))
    assert entry.data["count"] == 3 and entry.user == personas.evaluator
    assert len(tokens_issue(actor=personas.evaluator, wave=wave, count=2000)) == 2000
    for count in (0, 2001, "many"):
        with pytest.raises(ServiceError) as caught:
            tokens_issue(actor=personas.evaluator, wave=wave, count=count)  # type: ignore[arg-type]
        assert caught.value.field == "count"
    other = wave_save(actor=personas.evaluator, wave=new_wave(make_questionnaire(form_id="f2")), create=True)
    with pytest.raises(ServiceError, match="这个调查链接不属于本轮调查"):
        tokens_issue(actor=personas.evaluator, wave=other, count=1, link=link)
    for user in (heyuan_evaluator(), personas.outsider, personas.worker_user):
        with pytest.raises(PermissionDenied):
            tokens_issue(actor=user, wave=wave, count=1)
    assert ResponseToken.objects.filter(wave=wave).count() == 2003


def test_no_tokens_for_a_wave_that_has_closed(personas: Personas) -> None:
    now = timezone.now()
    wave = wave_save(actor=personas.evaluator, wave=new_wave(make_questionnaire(), opens_at=now - dt.timedelta(days=10),
                                                             closes_at=now - dt.timedelta(days=1)), create=True)
    with pytest.raises(ServiceError, match="本轮调查已结束，不能再发放答题码"):
        tokens_issue(actor=personas.evaluator, wave=wave, count=1)
    # The system (the demo) back-fills a past wave.
    assert len(tokens_issue(actor=None, wave=wave, count=2)) == 2
