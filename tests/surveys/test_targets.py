"""Targets as data: the seeded plans' values, which target applies where and when (nearest region
up the chain, then the latest year not after), and the services that keep them."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from wagtail.models import ModelLogEntry

from core.errors import ServiceError
from orgs.models import Region
from surveys.models import Indicator, Target
from surveys.services.targets import indicator_save, target_for, target_save
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

seeding = importlib.import_module("surveys.migrations.0002_indicators_targets")


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def value_for(code: str, where: str | None, year: int) -> Decimal | None:
    target = target_for(indicator_code=code, region=region(where) if where else None, year=year)
    return target.value if target is not None else None


def test_the_plans_are_seeded() -> None:
    awareness = Indicator.objects.get(code="awareness")
    assert (awareness.name, awareness.kind) == ("重点人群职业健康知识知晓率", "awareness")
    assert "得分率" in awareness.definition and "Kish" in awareness.definition
    earplug = Indicator.objects.get(code="earplug")
    assert (earplug.name, earplug.kind) == ("防噪音耳塞或耳罩正确佩戴率", "behaviour")
    assert "不适用" in earplug.definition
    rows = {(t.indicator_id, t.region_id, t.year): (t.value, t.source) for t in Target.objects.all()}
    assert rows == {
        ("awareness", None, 2025): (Decimal("0.8500"), "国家职业病防治规划（2021-2025年），主要指标（5）"),
        ("awareness", "320300", 2025): (Decimal("0.9000"), "徐州市职业病防治规划（2021-2025年），主要指标（5）"),
        ("earplug", "441600", 2025): (Decimal("0.8000"), "河源市职业病防治“十四五”规划（征求意见稿），主要指标 10"),
    }


def test_the_seed_reverses_and_runs_again() -> None:
    seeding.unseed(django_apps, None)
    assert not Target.objects.exists() and not Indicator.objects.filter(code__in=["awareness", "earplug"]).exists()
    seeding.seed(django_apps, None)
    assert Target.objects.count() == 3 and Indicator.objects.filter(code__in=["awareness", "earplug"]).count() == 2


def test_a_region_inherits_the_nearest_target_up_the_chain() -> None:
    assert value_for("awareness", "320305", 2025) == Decimal("0.9")  # a 徐州 county: 徐州's
    assert value_for("awareness", "320300", 2025) == Decimal("0.9")
    assert value_for("awareness", "320100", 2025) == Decimal("0.85")  # 南京: neither it nor 江苏 has one
    assert value_for("awareness", "320000", 2025) == Decimal("0.85")
    assert value_for("awareness", "441621", 2025) == Decimal("0.85")
    assert value_for("awareness", None, 2025) == Decimal("0.85")
    assert value_for("earplug", "441621", 2025) == Decimal("0.8")  # 紫金县 inherits 河源's 80 %
    assert value_for("earplug", "320305", 2025) is None  # no 耳塞 target up 徐州's chain


def test_a_target_stands_after_its_year_and_not_before() -> None:
    assert value_for("awareness", "320305", 2026) == Decimal("0.9")  # the 2025 plan still stands
    assert value_for("awareness", "320305", 2024) is None  # nothing set for 2024 or before
    Target.objects.create(indicator_id="awareness", region=region("320300"), year=2027, value=Decimal("0.95"))
    assert value_for("awareness", "320305", 2026) == Decimal("0.9")
    assert value_for("awareness", "320305", 2030) == Decimal("0.95")
    # A region whose only target is for a later year has none yet: the search goes up the chain.
    Target.objects.filter(region_id="320300", year=2025).delete()
    assert value_for("awareness", "320305", 2026) == Decimal("0.85")


def test_a_countys_own_target_comes_first() -> None:
    Target.objects.create(indicator_id="awareness", region=region("320305"), year=2024, value=Decimal("0.7"))
    assert value_for("awareness", "320305", 2025) == Decimal("0.7")
    assert value_for("awareness", "320312", 2025) == Decimal("0.9")


# -- target_save ---------------------------------------------------------------------------------------
def new_target(**values: object) -> Target:
    fields: dict[str, object] = {"indicator_id": "earplug", "region_id": "320300", "year": 2025, "value": "0.85",
                                 "source": " 徐州市职业健康保护行动 "}
    fields.update(values)
    return Target(**fields)


def test_target_save_creates_and_edits_with_audit(personas: Personas) -> None:
    target = target_save(actor=personas.superuser, target=new_target(), create=True)
    target.refresh_from_db()
    assert (target.value, target.source) == (Decimal("0.8500"), "徐州市职业健康保护行动")
    entry = ModelLogEntry.objects.get(action="surveys.target.create")
    assert entry.user == personas.superuser and entry.data["value"] == "0.8500" and entry.data["region"] == "320300"
    target.value = Decimal("0.9")
    target_save(actor=personas.superuser, target=target, create=False)
    edit = ModelLogEntry.objects.get(action="surveys.target.edit")
    assert edit.data["before"]["value"] == "0.8500" and edit.data["value"] == "0.9000"
    assert value_for("earplug", "320305", 2026) == Decimal("0.9")


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"value": "1.2"}, "value", "目标值 1.2 不在 0 到 1 之间（填比例，例如 0.85 表示 85%）"),
    ({"value": "-0.1"}, "value", "目标值 -0.1 不在 0 到 1 之间（填比例，例如 0.85 表示 85%）"),
    ({"value": "八成"}, "value", "目标值应是 0 到 1 之间的比例，例如 0.85"),
    ({"year": 1999}, "year", "年度 1999 不在 2000–2100 之间"),
    ({"year": 2101}, "year", "年度 2101 不在 2000–2100 之间"),
    ({"region_id": "999999"}, "region", "地区代码 999999 不存在"),
    ({"indicator_id": "nope"}, "indicator", "请选择指标"),
    ({"indicator_id": "awareness"}, "year", "徐州市已有重点人群职业健康知识知晓率的 2025 年目标，请修改那一条"),
    ({"indicator_id": "awareness", "region_id": None}, "year", "全国已有重点人群职业健康知识知晓率的 2025 年目标，请修改那一条"),
])
def test_target_save_refuses_with_a_clear_message(personas: Personas, values: dict[str, object], field: str,
                                                   message: str) -> None:
    before = Target.objects.count()
    with pytest.raises(ServiceError) as refused:
        target_save(actor=personas.superuser, target=new_target(**values), create=True)
    assert (str(refused.value), refused.value.field) == (message, field)
    assert Target.objects.count() == before and not ModelLogEntry.objects.filter(action="surveys.target.create").exists()


def test_moving_a_target_onto_another_is_refused(personas: Personas) -> None:
    target = target_save(actor=personas.superuser, target=new_target(year=2024), create=True)
    target.year = 2025
    target_save(actor=personas.superuser, target=target, create=False)  # no clash: 徐州 has no 耳塞 2025
    other = Target.objects.get(indicator_id="earplug", region_id="441600")
    other.region_id = "320300"
    with pytest.raises(ServiceError, match="徐州市已有防噪音耳塞或耳罩正确佩戴率的 2025 年目标"):
        target_save(actor=personas.superuser, target=other, create=False)


# -- indicator_save ---------------------------------------------------------------------------------
def test_indicator_save_creates_and_edits_with_audit(personas: Personas) -> None:
    indicator = Indicator(code="gloves", name=" 防护手套正确佩戴率 ", kind="behaviour", definition="佩戴人数 ÷ 适用人数")
    indicator_save(actor=personas.superuser, indicator=indicator, create=True)
    assert Indicator.objects.get(code="gloves").name == "防护手套正确佩戴率"
    assert ModelLogEntry.objects.filter(action="surveys.indicator.create", object_id="gloves").exists()
    indicator.definition = "正确佩戴人数 ÷ 适用人数"
    indicator_save(actor=personas.superuser, indicator=indicator, create=False)
    edit = ModelLogEntry.objects.get(action="surveys.indicator.edit")
    assert edit.data["before"]["definition"] == "佩戴人数 ÷ 适用人数"


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"code": "awareness"}, "code", "已有代码为 awareness 的指标"),
    ({"code": "耳塞 率"}, "code", "代码 耳塞 率 只能用字母、数字、下划线和连字符，最多 40 个字符"),
    ({"code": ""}, "code", "请填写代码"),
    ({"name": "重点人群职业健康知识知晓率"}, "name", "已有名为“重点人群职业健康知识知晓率”的指标"),
    ({"name": "  "}, "name", "请填写名称"),
    ({"kind": "other"}, "kind", "类别只能是：知晓率、行为形成率"),
    ({"definition": ""}, "definition", "请写明定义：分子、分母和口径"),
])
def test_indicator_save_refuses_with_a_clear_message(personas: Personas, values: dict[str, str], field: str,
                                                      message: str) -> None:
    fields = {"code": "gloves", "name": "防护手套正确佩戴率", "kind": "behaviour", "definition": "佩戴人数 ÷ 适用人数"}
    fields.update(values)
    with pytest.raises(ServiceError) as refused:
        indicator_save(actor=personas.superuser, indicator=Indicator(**fields), create=True)
    assert (str(refused.value), refused.value.field) == (message, field)
    assert not Indicator.objects.filter(code="gloves").exists()


def test_editing_an_indicator_that_does_not_exist_is_refused(personas: Personas) -> None:
    indicator = Indicator(code="nope", name="不存在", kind="behaviour", definition="x")
    with pytest.raises(ServiceError, match="没有代码为 nope 的指标"):
        indicator_save(actor=personas.superuser, indicator=indicator, create=False)
