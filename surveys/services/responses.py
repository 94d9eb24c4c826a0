"""Responses arrive here, from a phone or from a paper questionnaire entered by a clerk.

One response per person: a signed-in worker answers once per wave; anyone else needs a one-time
token (printed on a sheet, or handed to the phone that opened an open link). Every refusal is a
``ResponseRefused`` with a code the phone and the API act on and a message a person can read.
A response is scored, placed in its stratum and counted against the stratum's quota in one
transaction, with the stratum row locked, so two phones cannot both take the last place.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from orgs.models import Employer, HazardClass, Industry, PostRole, Region, Worker
from surveys.models import (
    Answer,
    ItemKind,
    ItemType,
    RespondentField,
    Response,
    ResponseToken,
    Stratum,
    Wave,
    WaveLink,
)
from surveys.models import (
    Item as SurveyItem,
)
from surveys.services.relevance import relevant_evaluate
from surveys.services.scoring import response_score

MAX_TEXT_LENGTH = 500
TRUE_WORDS = {"true", "对", "是", "√", "✓", "t", "1", "yes", "y", "正确"}
FALSE_WORDS = {"false", "错", "否", "×", "✗", "f", "0", "no", "n", "错误"}
_SEPARATORS = re.compile(r"[\s,，、;；]+")


class ResponseRefused(ServiceError):
    """A response (or one of its answers) that cannot be taken. ``code`` says which rule:
    not_open, closed, duplicate, token_unknown, token_used, token_other_wave, sign_in_required,
    unknown_item, invalid_value, required, out_of_frame, quota_full, group_not_in_wave."""

    def __init__(self, message: str, *, code: str, field: str = "",
                 errors: Sequence[ResponseRefused] | None = None) -> None:
        super().__init__(message, field=field)
        self.code = code
        self.errors: list[ResponseRefused] = list(errors or [])


def wave_items(wave: Wave) -> list[SurveyItem]:
    return list(wave.questionnaire.items.select_related("dimension").order_by("sort_order", "pk"))


# -- answers -------------------------------------------------------------------------------------
def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list | tuple) and not value)


def _choice_label(item: SurveyItem, value: str) -> str:
    for choice in item.choices:
        if str(choice.get("value")) == value:
            return str(choice.get("label") or value)
    return value


def _clean_one(item: SurveyItem, value: Any) -> Any:
    """The stored form of one answer, or ResponseRefused(invalid_value)."""
    def refuse(message: str) -> ResponseRefused:
        return ResponseRefused(message, code="invalid_value", field=item.code)

    if item.type == ItemType.TRUE_FALSE:
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return "true"
        if word in FALSE_WORDS:
            return "false"
        raise refuse(_("“%(value)s”不是判断题的答案：请填 对 或 错") % {"value": value})
    if item.type == ItemType.SELECT_ONE:
        if isinstance(value, list | tuple):
            if len(value) != 1:
                raise refuse(_("单选题只能选一项"))
            value = value[0]
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        values = item.choice_values
        if values and text not in values:
            raise refuse(_("“%(value)s”不是本题的选项（可选：%(choices)s）") % {
                "value": text, "choices": "、".join(values)})
        return text
    if item.type == ItemType.SELECT_MULTIPLE:
        parts = [str(part).strip() for part in value] if isinstance(value, list | tuple) else _SEPARATORS.split(str(value).strip())
        chosen: list[str] = []
        for part in parts:
            if part and part not in chosen:
                chosen.append(part)
        unknown = [part for part in chosen if part not in item.choice_values]
        if unknown:
            raise refuse(_("“%(value)s”不是本题的选项（可选：%(choices)s）") % {
                "value": "、".join(unknown), "choices": "、".join(item.choice_values)})
        return chosen
    if item.type == ItemType.INTEGER:
        if isinstance(value, bool):
            raise refuse(_("请填整数"))
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            if not re.fullmatch(r"-?\d{1,9}", text):
                raise refuse(_("“%(value)s”不是整数") % {"value": text})
            number = int(text)
        if item.min_value is not None and number < item.min_value:
            raise refuse(_("不能小于 %(min)s") % {"min": item.min_value})
        if item.max_value is not None and number > item.max_value:
            raise refuse(_("不能大于 %(max)s") % {"max": item.max_value})
        return number
    text = str(value).strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise refuse(_("最多 %(limit)s 个字") % {"limit": MAX_TEXT_LENGTH})
    return text


def answers_clean(*, items: Sequence[SurveyItem], answers: Mapping[str, Any],
                  fixed: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[ResponseRefused]]:
    """Turn raw answers (a form, JSON, a paper row) into stored values, in questionnaire order, so
    that skip logic reads only what came before. ``fixed`` holds respondent fields a link or a
    sign-in already settles; their items need no answer. Returns the values and every problem."""
    codes = {item.code for item in items}
    errors = [ResponseRefused(_("问卷中没有题目 %(code)s") % {"code": code}, code="unknown_item", field=str(code))
              for code in answers if code not in codes]
    clean: dict[str, Any] = {}
    fixed = fixed or {}
    for item in items:
        if item.type == ItemType.NOTE or item.kind == ItemKind.NOTE:
            continue
        value = answers.get(item.code)
        applies = relevant_evaluate(item.relevant, clean)
        if not applies:
            if not _empty(value):
                errors.append(ResponseRefused(_("按跳题规则本题不适用，不应作答"), code="invalid_value", field=item.code))
            continue
        if _empty(value):
            if item.respondent_field and item.respondent_field in fixed:
                continue
            # A knowledge item left blank is not refused: it is scored wrong (a paper sheet often
            # has blanks, and refusing them would leave the weakest answers out of the indicator).
            if item.required and item.kind != ItemKind.KNOWLEDGE:
                errors.append(ResponseRefused(_("本题必答"), code="required", field=item.code))
            continue
        try:
            clean[item.code] = _clean_one(item, value)
        except ResponseRefused as error:
            errors.append(error)
    return clean, errors


# -- respondents ---------------------------------------------------------------------------------
def respondent_from_link(link: WaveLink | None) -> dict[str, Any]:
    """The respondent fields an employer's link settles: its region, industry section and size."""
    if link is None or link.employer_id is None:
        return {}
    employer = link.employer
    return _employer_facts(employer) if employer is not None else {}


def _employer_facts(employer: Employer) -> dict[str, Any]:
    return {
        RespondentField.REGION: employer.region_id,
        RespondentField.INDUSTRY: _section(employer.industry_id),
        RespondentField.EMPLOYER_SIZE: employer.size_class,
    }


def respondent_from_worker(worker: Worker | None) -> dict[str, Any]:
    if worker is None:
        return {}
    facts = _employer_facts(worker.employer)
    if worker.post_role in PostRole.values and worker.post_role != PostRole.OTHER:
        facts[RespondentField.GROUP] = worker.post_role
    return facts


def _section(industry_code: str | None) -> str | None:
    """A GB/T 4754 division (two digits) folds into its section (one letter)."""
    if not industry_code:
        return None
    if len(industry_code) == 1:
        return industry_code
    parent = Industry.objects.filter(code=industry_code).values_list("parent_id", flat=True).first()
    return parent or None


def _respondent(wave: Wave, items: Sequence[SurveyItem], clean: Mapping[str, Any],
                fixed: Mapping[str, Any]) -> dict[str, Any]:
    """Response columns from the respondent items, with link and sign-in facts taking precedence."""
    by_field = {item.respondent_field: item for item in items if item.respondent_field}
    facts: dict[str, Any] = {}
    for field_name, item in by_field.items():
        if item.code in clean:
            facts[field_name] = clean[item.code]
    facts.update({key: value for key, value in fixed.items() if value not in (None, "")})

    def refuse(field_name: str, message: str) -> ResponseRefused:
        item = by_field.get(field_name)
        return ResponseRefused(message, code="invalid_value", field=item.code if item else "")

    columns: dict[str, Any] = {}
    region_code = str(facts.get(RespondentField.REGION) or wave.region_id)
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise refuse(RespondentField.REGION, _("地区代码 %(code)s 不存在") % {"code": region_code})
    if not wave.region.contains(region.code):
        raise refuse(RespondentField.REGION, _("%(region)s 不在本次调查的地区（%(wave)s）内") % {
            "region": region.name, "wave": wave.region.name})
    columns["region"] = region
    industry_code = facts.get(RespondentField.INDUSTRY)
    if industry_code:
        section = _section(str(industry_code))
        if section is None or not Industry.objects.filter(code=section).exists():
            raise refuse(RespondentField.INDUSTRY, _("行业代码 %(code)s 不存在") % {"code": industry_code})
        columns["industry_id"] = section
    group = str(facts.get(RespondentField.GROUP) or "")
    if group and group not in PostRole.values:
        raise refuse(RespondentField.GROUP, _("“%(value)s”不是岗位类别") % {"value": group})
    if group and wave.groups and group not in wave.groups:
        group_item = by_field.get(RespondentField.GROUP)
        raise ResponseRefused(_("本次调查面向%(groups)s，%(group)s不在其中") % {
            "groups": "、".join(wave.group_labels), "group": PostRole(group).label},
            code="group_not_in_wave", field=group_item.code if group_item else "")
    columns["group"] = group
    for field_name in (RespondentField.EMPLOYER_SIZE, RespondentField.SEX, RespondentField.AGE_GROUP,
                       RespondentField.EDUCATION):
        columns[str(field_name)] = str(facts.get(field_name) or "")
    years = facts.get(RespondentField.YEARS_EXPOSED)
    if years is not None and years != "":
        if not isinstance(years, int) or years < 0 or years > 60:
            raise refuse(RespondentField.YEARS_EXPOSED, _("接害工龄应为 0 到 60 之间的整数"))
        columns["years_exposed"] = years
    hazards = facts.get(RespondentField.HAZARDS) or []
    if hazards:
        hazards = [hazards] if isinstance(hazards, str) else list(hazards)
        known = set(HazardClass.objects.filter(code__in=hazards).values_list("code", flat=True))
        unknown = [code for code in hazards if code not in known]
        if unknown:
            raise refuse(RespondentField.HAZARDS, _("危害因素类别 %(codes)s 不存在") % {"codes": "、".join(unknown)})
    columns["hazards"] = hazards
    return columns


def _stratum_for(wave: Wave, columns: Mapping[str, Any]) -> Stratum | None:
    """The frame's cell for this respondent (the narrowest region that contains theirs); None
    when the wave has no frame; out_of_frame when it has one and no cell fits."""
    strata = list(Stratum.objects.filter(wave=wave, industry_id=columns.get("industry_id"),
                                         group=columns.get("group") or "").select_related("region"))
    if not strata and not Stratum.objects.filter(wave=wave).exists():
        return None
    region: Region = columns["region"]
    fitting = [stratum for stratum in strata if stratum.region.contains(region.code)]
    if not fitting:
        raise ResponseRefused(_("您的地区、行业和岗位类别不在本次调查的抽样范围内"), code="out_of_frame")
    return max(fitting, key=lambda stratum: len(stratum.region.subtree_prefix))


# -- writing ---------------------------------------------------------------------------------------
def _period_check(wave: Wave, now: dt.datetime) -> None:
    if now < wave.opens_at:
        raise ResponseRefused(_("调查尚未开始（%(opens)s 开始）") % {
            "opens": timezone.localtime(wave.opens_at).strftime("%Y-%m-%d %H:%M")}, code="not_open")
    if now >= wave.closes_at:
        raise ResponseRefused(_("调查已于 %(closes)s 结束") % {
            "closes": timezone.localtime(wave.closes_at).strftime("%Y-%m-%d %H:%M")}, code="closed")


def _record(*, wave: Wave, answers: Mapping[str, Any], fixed: Mapping[str, Any], now: dt.datetime,
            **extra: Any) -> Response:
    """Clean, score, place and write one response; the caller holds the transaction."""
    items = wave_items(wave)
    clean, errors = answers_clean(items=items, answers=answers, fixed=fixed)
    if errors:
        first = errors[0]
        raise ResponseRefused(first.message, code=first.code, field=first.field, errors=errors)
    columns = _respondent(wave, items, clean, fixed)
    stratum = _stratum_for(wave, columns)
    if stratum is not None:
        # The lock makes "count, then add" one step: the last place of a quota goes to one phone.
        stratum = Stratum.objects.select_for_update().get(pk=stratum.pk)
        if stratum.quota is not None and Response.objects.filter(stratum=stratum).count() >= stratum.quota:
            raise ResponseRefused(_("该人群的样本已满，感谢您的参与"), code="quota_full")
    score = response_score(items, clean)
    response = Response.objects.create(wave=wave, stratum=stratum, submitted_at=now, **columns,
                                       **score.columns(), **extra)
    by_code = {item.code: item for item in items}
    Answer.objects.bulk_create([
        Answer(response=response, item=by_code[code], value=value,
               correct=score.correct.get(code) if by_code[code].kind == ItemKind.KNOWLEDGE else None)
        for code, value in clean.items()
    ] + [
        # A knowledge item shown and left blank is wrong, and its row says so for the item table.
        Answer(response=response, item=item, value=None, correct=False)
        for item in items
        if item.kind == ItemKind.KNOWLEDGE and item.code not in clean and score.correct.get(item.code) is False
    ])
    return response


def response_submit(*, wave: Wave, answers: Mapping[str, Any], link: WaveLink | None = None, token: str = "",
                    worker: Worker | None = None, started_at: dt.datetime | None = None,
                    now: dt.datetime | None = None) -> Response:
    """An online response: from a signed-in worker, or with a one-time token."""
    now = now or timezone.now()
    if link is not None and link.wave_id != wave.pk:
        raise ResponseRefused(_("链接与调查不符"), code="token_other_wave")
    _period_check(wave, now)
    fixed = {**respondent_from_link(link), **respondent_from_worker(worker)}
    try:
        with transaction.atomic():
            token_row = None
            if worker is not None:
                if Response.objects.filter(wave=wave, worker=worker).exists():
                    raise ResponseRefused(_("您已参加过本次调查，每人只能作答一次"), code="duplicate")
            elif token:
                token_row = ResponseToken.objects.select_for_update().filter(token=token).first()
                if token_row is None:
                    raise ResponseRefused(_("答题码无效"), code="token_unknown")
                if token_row.wave_id != wave.pk:
                    raise ResponseRefused(_("这个答题码属于另一次调查"), code="token_other_wave")
                if token_row.used_at is not None:
                    raise ResponseRefused(_("这个答题码已经用过，每个答题码只能作答一次"), code="token_used")
            else:
                raise ResponseRefused(_("请先登录，或使用调查员发放的答题码"), code="sign_in_required")
            response = _record(wave=wave, answers=answers, fixed=fixed, now=now, link=link, worker=worker,
                               token=token_row, started_at=started_at, source=Response.Source.ONLINE)
            if token_row is not None:
                ResponseToken.objects.filter(pk=token_row.pk, used_at__isnull=True).update(used_at=now)
            return response
    except IntegrityError:
        # Two submits of one worker at once: the unique constraint lets one through.
        raise ResponseRefused(_("您已参加过本次调查，每人只能作答一次"), code="duplicate") from None


def response_paper_record(*, wave: Wave, answers: Mapping[str, Any], paper_number: str, filled_on: dt.date,
                          entered_by: Any, now: dt.datetime | None = None) -> Response:
    """A paper questionnaire typed in by a clerk: filled in within the wave's period, its sheet
    number unique in the wave (a sheet entered twice is refused)."""
    now = now or timezone.now()
    paper_number = (paper_number or "").strip()
    if not paper_number:
        raise ResponseRefused(_("缺少问卷编号"), code="required", field="paper_number")
    opens = timezone.localtime(wave.opens_at).date()
    closes = timezone.localtime(wave.closes_at).date()
    if filled_on < opens:
        raise ResponseRefused(_("填表日期 %(date)s 早于调查开始（%(opens)s）") % {"date": filled_on, "opens": opens},
                              code="not_open", field="filled_on")
    if filled_on > closes:
        raise ResponseRefused(_("填表日期 %(date)s 晚于调查结束（%(closes)s）") % {"date": filled_on, "closes": closes},
                              code="closed", field="filled_on")
    if Response.objects.filter(wave=wave, paper_number=paper_number).exists():
        raise ResponseRefused(_("问卷编号 %(number)s 已经录入过") % {"number": paper_number},
                              code="duplicate", field="paper_number")
    submitted = timezone.make_aware(dt.datetime.combine(filled_on, dt.time(12)))
    submitted = min(max(submitted, wave.opens_at), wave.closes_at - dt.timedelta(seconds=1))
    try:
        with transaction.atomic():
            return _record(wave=wave, answers=answers, fixed={}, now=submitted, paper_number=paper_number,
                           entered_by=entered_by if getattr(entered_by, "pk", None) else None,
                           source=Response.Source.PAPER)
    except IntegrityError:
        raise ResponseRefused(_("问卷编号 %(number)s 已经录入过") % {"number": paper_number},
                              code="duplicate", field="paper_number") from None


def open_token_issue(*, link: WaveLink, now: dt.datetime | None = None) -> ResponseToken:
    """A one-time token for a phone that opened an open link; the phone keeps it with its answers."""
    now = now or timezone.now()
    wave = link.wave
    if not wave.open_link:
        raise ResponseRefused(_("本次调查只接受登录的劳动者或调查员发放的答题码"), code="sign_in_required")
    if now >= wave.closes_at:
        _period_check(wave, now)
    return ResponseToken.objects.create(wave=wave, link=link, token=secrets.token_urlsafe(18),
                                        origin=ResponseToken.Origin.LINK)


def choice_label(item: SurveyItem, value: str) -> str:
    """The label of a choice value, for pages and exports."""
    return _choice_label(item, value)
