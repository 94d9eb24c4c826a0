"""Waves: putting a questionnaire in the field, its links (and QR codes), and one-time answering codes.

Who: an evaluator sets up waves inside their own region (a Xuzhou evaluator cannot open a wave
over Jiangsu, nor over Heyuan), and hands out links and codes for the waves they can read
(surveys.selectors.waves_in_reach: a provincial wave's city evaluator gives links to the employers
of their city). Superusers and the system (``actor=None``: the demo, a command) reach everything.
Anyone else is refused with PermissionDenied, as core.scope refuses a write out of reach.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.scope import Scope, scope_for
from orgs.models import Employer, PostRole, Region
from surveys.models import Questionnaire, Response, ResponseToken, Wave, WaveLink
from surveys.selectors import waves_in_reach
from surveys.services.questionnaires import questionnaire_item_errors

TOKENS_MAX = 2000
TOKEN_BYTES = 12  # token_urlsafe(12): 16 characters, 96 bits


# The system (no actor: the demo seeder, a management command) reaches every region, as a superuser.
SYSTEM = Scope(None, True, frozenset({"superuser"}), frozenset(), (), (), {})


def _scope_of(actor: Any) -> Scope:
    if actor is None:
        return SYSTEM
    scope = scope_for(actor)
    if not (scope.is_superuser or (scope.has("evaluator") and scope.region_prefixes)):
        raise PermissionDenied(_("只有评估人员可以管理调查轮次"))
    return scope


def _region_in_scope(scope: Scope, region: Region) -> bool:
    """The whole of ``region`` lies inside the actor's region (a city's evaluator: the city and its
    counties, not the province)."""
    return scope.is_superuser or any(region.subtree_prefix.startswith(prefix) for prefix in scope.region_prefixes)


def _wave_in_reach(scope: Scope, wave: Wave) -> bool:
    return scope.is_superuser or waves_in_reach(scope).filter(pk=wave.pk).exists()


def _check_values(wave: Wave) -> None:
    if not (wave.title or "").strip():
        raise ServiceError(_("请填写名称"), field="title")
    if wave.opens_at is None or wave.closes_at is None:
        raise ServiceError(_("请填写开始时间和结束时间"), field="opens_at" if wave.opens_at is None else "closes_at")
    if wave.closes_at <= wave.opens_at:
        raise ServiceError(_("结束时间应晚于开始时间"), field="closes_at")
    groups = wave.groups if isinstance(wave.groups, list) else []
    unknown = [str(group) for group in groups if group not in PostRole.values]
    if unknown or not isinstance(wave.groups, list):
        raise ServiceError(_("不认识的重点人群 %(groups)s（可选：%(choices)s）") % {
            "groups": "、".join(unknown) or str(wave.groups),
            "choices": "、".join(f"{value} {label}" for value, label in PostRole.choices)}, field="groups")
    # Stored in PostRole's order, each once.
    wave.groups = [value for value in PostRole.values if value in groups]


@transaction.atomic
def wave_save(*, actor: Any, wave: Wave, create: bool) -> Wave:
    """Create or change a wave. Raises PermissionDenied for someone who sets up no waves, and
    ServiceError naming the field for a wave outside the actor's region, a bad period or group, a
    questionnaire with problems, or a change of questionnaire or region after responses arrived."""
    scope = _scope_of(actor)
    if create and wave.pk is not None:
        raise ServiceError(_("这个调查轮次已经存在"))
    if not create and wave.pk is None:
        raise ServiceError(_("这个调查轮次还不存在"))
    stored: Wave | None = None
    if not create:
        stored = Wave.objects.select_for_update().select_related("region").get(pk=wave.pk)
        if not _region_in_scope(scope, stored.region):
            raise PermissionDenied(_("这个调查轮次不在您负责的地区内"))
    wave.title = (wave.title or "").strip()
    _check_values(wave)
    region = Region.objects.filter(pk=wave.region_id).first() if wave.region_id else None
    if region is None:
        raise ServiceError(_("请选择调查地区"), field="region")
    if not _region_in_scope(scope, region):
        raise ServiceError(_("只能在您负责的地区内设立调查轮次，%(region)s 不在其中") % {"region": region}, field="region")
    questionnaire = Questionnaire.objects.filter(pk=wave.questionnaire_id).first() if wave.questionnaire_id else None
    if questionnaire is None:
        raise ServiceError(_("请选择问卷"), field="questionnaire")
    problems = questionnaire_item_errors(questionnaire)
    if problems:
        raise ServiceError(_("问卷“%(title)s”还有问题，请内容编辑先修改：%(problems)s") % {
            "title": questionnaire.title, "problems": "；".join(problem.message for problem in problems)},
            field="questionnaire")
    if stored is not None and Response.objects.filter(wave=stored).exists():
        if stored.questionnaire_id != wave.questionnaire_id:
            raise ServiceError(_("本轮调查已有答卷，不能更换问卷；请新建一个调查轮次"), field="questionnaire")
        if stored.region_id != wave.region_id:
            raise ServiceError(_("本轮调查已有答卷，不能更换调查地区；请新建一个调查轮次"), field="region")
    if create:
        wave.created_by = actor if getattr(actor, "pk", None) else None
    else:
        assert stored is not None
        wave.code, wave.created_by_id = stored.code, stored.created_by_id
    wave.save()
    audit(actor, "surveys.wave.create" if create else "surveys.wave.edit", wave,
          data={"questionnaire": questionnaire.code, "region": region.code, "groups": wave.groups,
                "opens_at": wave.opens_at.isoformat(), "closes_at": wave.closes_at.isoformat()})
    return wave


def link_for(*, actor: Any, wave: Wave, employer: Employer | None = None) -> WaveLink:
    """The wave's link (one for the whole wave, or one per employer, so that its responses carry
    the employer's region, industry and size), made the first time it is asked for."""
    scope = _scope_of(actor)
    if not _wave_in_reach(scope, wave):
        raise PermissionDenied(_("这个调查轮次不在您负责的地区内"))
    if employer is not None:
        region = Region.objects.get(pk=employer.region_id)
        if not Region.objects.get(pk=wave.region_id).contains(region.code):
            raise ServiceError(_("用人单位“%(name)s”不在本轮调查的地区内") % {"name": employer.name}, field="employer")
        if not (scope.is_superuser or scope.in_region(region.code)):
            raise ServiceError(_("用人单位“%(name)s”不在您负责的地区内") % {"name": employer.name}, field="employer")
    existing = WaveLink.objects.filter(wave=wave, employer=employer).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            link = WaveLink.objects.create(wave=wave, employer=employer)
    except IntegrityError:
        # Two evaluators asked at once; the first one's link is the link.
        return WaveLink.objects.get(wave=wave, employer=employer)
    audit(actor, "surveys.link.create", link, employer_id=employer.pk if employer else None,
          data={"wave": wave.code, "link": link.code})
    return link


@transaction.atomic
def tokens_issue(*, actor: Any, wave: Wave, count: int, link: WaveLink | None = None) -> list[ResponseToken]:
    """``count`` one-time answering codes (1–2000 at a time) for a wave, to print on sheets or send."""
    scope = _scope_of(actor)
    if not _wave_in_reach(scope, wave):
        raise PermissionDenied(_("这个调查轮次不在您负责的地区内"))
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise ServiceError(_("答题码数量应为整数"), field="count") from None
    if not 1 <= count <= TOKENS_MAX:
        raise ServiceError(_("每次可发放 1–%(limit)s 个答题码") % {"limit": TOKENS_MAX}, field="count")
    if link is not None and link.wave_id != wave.pk:
        raise ServiceError(_("这个调查链接不属于本轮调查"), field="link")
    # The system back-fills past waves (the demo's trend); people issue codes only while a wave runs.
    if actor is not None and timezone.now() >= wave.closes_at:
        raise ServiceError(_("本轮调查已结束，不能再发放答题码"), field="count")
    tokens = [ResponseToken(wave=wave, link=link, token=secrets.token_urlsafe(TOKEN_BYTES),
                            origin=ResponseToken.Origin.ISSUED) for _number in range(count)]
    ResponseToken.objects.bulk_create(tokens)
    audit(actor, "surveys.tokens.issue", wave, data={"count": count, "link": link.code if link else ""})
    return tokens
