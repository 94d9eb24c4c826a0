"""Indicators and their targets, kept as data (docs/indicators.md, "Targets").

Which target applies to a region in a year: the nearest region up the parent chain that has a
target for the indicator (the region itself, then its city, then its province, then the national
target, region empty); within that region the target of the year itself, else its latest earlier
one, because a plan's 2025 target stands until a new plan replaces it. A region whose only targets
are for later years has none yet for this year, and the search goes on up the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from orgs.models import Region
from surveys.models import Indicator, Target

YEAR_MIN, YEAR_MAX = 2000, 2100


class TargetLookup:
    """Resolves many regions against one indicator and year with one query for the targets and one
    per level of the region tree (the strata table asks for hundreds of regions at once)."""

    def __init__(self, indicator_code: str, year: int) -> None:
        self.year = year
        # The latest target of the year or before, per region code ("" for the national one).
        self.by_region: dict[str, Target] = {}
        for target in Target.objects.filter(indicator_id=indicator_code, year__lte=year).order_by("-year"):
            self.by_region.setdefault(target.region_id or "", target)
        self.parents: dict[str, str | None] = {}

    def _learn_parents(self, codes: Iterable[str]) -> None:
        wanted = {code for code in codes if code and code not in self.parents}
        while wanted:
            found = dict(Region.objects.filter(code__in=wanted).values_list("code", "parent_id"))
            for code in wanted:
                self.parents[code] = found.get(code)
            wanted = {parent for parent in found.values() if parent and parent not in self.parents}

    def chain(self, code: str | None) -> list[str]:
        """``code`` and its ancestors, nearest first."""
        if not code:
            return []
        self._learn_parents([code])
        codes: list[str] = []
        current: str | None = code
        while current and current not in codes:
            codes.append(current)
            if current not in self.parents:
                self._learn_parents([current])
            current = self.parents.get(current)
        return codes

    def prefetch(self, codes: Iterable[str]) -> None:
        self._learn_parents(codes)

    def __call__(self, code: str | None) -> Target | None:
        for candidate in [*self.chain(code), ""]:
            target = self.by_region.get(candidate)
            if target is not None:
                return target
        return None


def target_lookup(*, indicator_code: str, year: int) -> TargetLookup:
    """A resolver from region code (None: national) to the target that applies in ``year``."""
    return TargetLookup(indicator_code, year)


def target_for(*, indicator_code: str, region: Region | None, year: int) -> Target | None:
    """The target of ``indicator_code`` that applies to ``region`` (None: the nation) in ``year``:
    the nearest region up the parent chain with a target of that year or an earlier one; within
    that region the one of the latest such year. None when no region up the chain has one."""
    return TargetLookup(indicator_code, year)(region.code if region is not None else None)


# -- writing -------------------------------------------------------------------------------------
def _target_values_check(target: Target) -> None:
    if not target.indicator_id or not Indicator.objects.filter(pk=target.indicator_id).exists():
        raise ServiceError(_("请选择指标"), field="indicator")
    if target.region_id and not Region.objects.filter(pk=target.region_id).exists():
        raise ServiceError(_("地区代码 %(code)s 不存在") % {"code": target.region_id}, field="region")
    try:
        year = int(target.year)
    except (TypeError, ValueError):
        raise ServiceError(_("请填写年度（%(low)s–%(high)s）") % {"low": YEAR_MIN, "high": YEAR_MAX},
                           field="year") from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ServiceError(_("年度 %(year)s 不在 %(low)s–%(high)s 之间") % {
            "year": year, "low": YEAR_MIN, "high": YEAR_MAX}, field="year")
    target.year = year
    try:
        value = Decimal(str(target.value))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("目标值应是 0 到 1 之间的比例，例如 0.85"), field="value") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise ServiceError(_("目标值 %(value)s 不在 0 到 1 之间（填比例，例如 0.85 表示 85%%）") % {"value": target.value},
                           field="value")
    target.value = value.quantize(Decimal("0.0001"))
    target.source = (target.source or "").strip()
    if len(target.source) > 200:
        raise ServiceError(_("依据最多 200 字"), field="source")


def _duplicate_message(target: Target) -> str:
    where = target.region.name if target.region_id and target.region else _("全国")
    return _("%(where)s已有%(indicator)s的 %(year)s 年目标，请修改那一条") % {
        "where": where, "indicator": target.indicator.name, "year": target.year}


@transaction.atomic
def target_save(*, actor: Any, target: Target, create: bool) -> Target:
    """Create or change a target. ServiceError naming the field for a missing indicator, an unknown
    region, a year outside 2000–2100, a value outside 0–1, or a second target for the same
    indicator, region and year."""
    if create and target.pk is not None:
        raise ServiceError(_("这条目标已经存在"))
    if not create and (target.pk is None or not Target.objects.filter(pk=target.pk).exists()):
        raise ServiceError(_("没有这条目标"))
    _target_values_check(target)
    clash = Target.objects.filter(indicator_id=target.indicator_id, year=target.year, region_id=target.region_id)
    if target.pk is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise ServiceError(_duplicate_message(target), field="year")
    before = None if create else Target.objects.get(pk=target.pk)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        # Another editor saved the same target in between.
        raise ServiceError(_duplicate_message(target), field="year") from None
    data: dict[str, Any] = {"indicator": target.indicator_id, "region": target.region_id or "", "year": target.year,
                            "value": str(target.value), "source": target.source}
    if before is not None:
        data["before"] = {"region": before.region_id or "", "year": before.year, "value": str(before.value),
                          "source": before.source}
    audit(actor, "surveys.target.create" if create else "surveys.target.edit", target, data=data)
    return target


@transaction.atomic
def indicator_save(*, actor: Any, indicator: Indicator, create: bool) -> Indicator:
    """Create or change an indicator. Its code is its key and is typed once, at creation."""
    indicator.code = (indicator.code or "").strip()
    indicator.name = (indicator.name or "").strip()
    indicator.definition = (indicator.definition or "").strip()
    field = Indicator._meta.get_field("code")
    if not indicator.code:
        raise ServiceError(_("请填写代码"), field="code")
    for validator in field.validators:
        try:
            validator(indicator.code)
        except Exception:
            raise ServiceError(_("代码 %(code)s 只能用字母、数字、下划线和连字符，最多 40 个字符") % {
                "code": indicator.code}, field="code") from None
    exists = Indicator.objects.filter(pk=indicator.code).exists()
    if create and exists:
        raise ServiceError(_("已有代码为 %(code)s 的指标") % {"code": indicator.code}, field="code")
    if not create and not exists:
        raise ServiceError(_("没有代码为 %(code)s 的指标") % {"code": indicator.code}, field="code")
    if not indicator.name:
        raise ServiceError(_("请填写名称"), field="name")
    if len(indicator.name) > 80:
        raise ServiceError(_("名称最多 80 字"), field="name")
    if Indicator.objects.filter(name=indicator.name).exclude(pk=indicator.code).exists():
        raise ServiceError(_("已有名为“%(name)s”的指标") % {"name": indicator.name}, field="name")
    if indicator.kind not in Indicator.Kind.values:
        raise ServiceError(_("类别只能是：%(choices)s") % {
            "choices": "、".join(str(label) for label in Indicator.Kind.labels)}, field="kind")
    if not indicator.definition:
        raise ServiceError(_("请写明定义：分子、分母和口径"), field="definition")
    before = None if create else Indicator.objects.get(pk=indicator.code)
    try:
        with transaction.atomic():
            indicator.save(force_insert=create)
    except IntegrityError:
        raise ServiceError(_("已有代码为 %(code)s 或名为“%(name)s”的指标") % {
            "code": indicator.code, "name": indicator.name}, field="code") from None
    data: dict[str, Any] = {"name": indicator.name, "kind": indicator.kind}
    if before is not None:
        data["before"] = {"name": before.name, "kind": before.kind, "definition": before.definition}
    audit(actor, "surveys.indicator.create" if create else "surveys.indicator.edit", indicator, data=data)
    return indicator
