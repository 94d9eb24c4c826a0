"""Answering a survey on a phone, without logging in: the page a wave's link (or its QR code) opens.

Who answers: a signed-in worker (once per wave), else a one-time token, from the link's ``?t=``
(printed on a sheet) or, when the wave takes open links, handed to the phone by the answering API
(surveys.api_answer) and kept there with the answers. The page is read from the server complete
(it answers without script, by a plain form post); surveys/static/surveys/answer.js adds skip logic,
answers kept on the phone and a submit that survives a dropped connection. The rules are the
services' (surveys.services.responses); this module only decides what a visitor sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.text import safe_parameter
from core.throttle import throttle_add, throttle_exceeded
from exams.selectors import current_worker
from orgs.models import Employer, HazardClass, Industry, Region, Worker
from surveys.models import (
    AgeGroup,
    Education,
    ItemKind,
    ItemType,
    RespondentField,
    Response,
    ResponseToken,
    Sex,
    Wave,
    WaveLink,
)
from surveys.models import Item as SurveyItem
from surveys.services.relevance import relevant_evaluate
from surveys.services.responses import (
    ResponseRefused,
    answers_clean,
    open_token_issue,
    respondent_from_link,
    respondent_from_worker,
    response_submit,
    wave_items,
)

FIELD_PREFIX = "q_"
ISSUE_THROTTLE = "surveys.open-token"
GUESS_THROTTLE = "surveys.token-guess"


def open_tokens_per_hour() -> int:
    # Generous: a whole workshop behind one factory Wi-Fi shares a single address.
    return int(getattr(settings, "SURVEY_OPEN_TOKENS_PER_HOUR", 300))


def token_guesses_per_hour() -> int:
    return int(getattr(settings, "SURVEY_TOKEN_GUESSES_PER_HOUR", 30))


def client_ip(request: Any) -> str:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def link_or_404(link_code: str) -> WaveLink:
    code = safe_parameter(link_code, 16)
    if not code or not code.isascii() or not code.isprintable():
        raise Http404
    link = (WaveLink.objects.select_related("wave__questionnaire", "wave__region", "employer__region")
            .filter(code=code).first())
    if link is None:
        raise Http404
    return link


def _clean_token(value: object) -> str:
    token = safe_parameter(value, 40).strip()
    return token if token.isascii() and token.isprintable() else ""


def fixed_facts(link: WaveLink, worker: Worker | None) -> dict[str, Any]:
    """The respondent fields already settled, as response_submit settles them: the employer's link,
    then the signed-in worker's own record."""
    return {key: value for key, value in {**respondent_from_link(link), **respondent_from_worker(worker)}.items()
            if value not in (None, "")}


# -- the questionnaire as the phone sees it ------------------------------------------------------
def _labelled(choices: Sequence[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"value": str(value), "label": str(label)} for value, label in choices]


def _region_choices(wave: Wave) -> list[dict[str, str]]:
    """The wave region's children and grandchildren (a province's cities and their counties, a
    city's counties), each county named with its city so that two 市辖区 can be told apart."""
    top = wave.region
    regions = list(Region.objects.filter(code__startswith=top.subtree_prefix, level__gt=top.level,
                                         level__lte=top.level + 2).order_by("code"))
    names = {region.code: region.name for region in regions}
    choices = []
    for region in regions:
        if region.level == top.level + 2 and region.parent_id in names:
            choices.append({"value": region.code, "label": f"{names[region.parent_id]} · {region.name}"})
        else:
            choices.append({"value": region.code, "label": region.name})
    return choices


def _catalogue_choices(item: SurveyItem, wave: Wave) -> list[dict[str, str]]:
    """Choices of a respondent item: the questionnaire's own, or the platform's catalogue for it."""
    if item.choices:
        return [{"value": str(choice.get("value", "")), "label": str(choice.get("label") or choice.get("value", ""))}
                for choice in item.choices]
    catalogues = {
        RespondentField.REGION: lambda: _region_choices(wave),
        RespondentField.INDUSTRY: lambda: _labelled(Industry.objects.filter(level=1).values_list("code", "name")),
        RespondentField.EMPLOYER_SIZE: lambda: _labelled(Employer.Size.choices),
        RespondentField.SEX: lambda: _labelled(Sex.choices),
        RespondentField.AGE_GROUP: lambda: _labelled(AgeGroup.choices),
        RespondentField.EDUCATION: lambda: _labelled(Education.choices),
        RespondentField.HAZARDS: lambda: _labelled(HazardClass.objects.values_list("code", "name")),
    }
    make = catalogues.get(item.respondent_field)  # type: ignore[call-overload]
    return make() if make else []


@dataclass
class PageItem:
    """One item to show: what the page and the API's definition say about it (never its answer)."""

    code: str
    kind: str
    type: str
    label: str
    hint: str
    choices: list[dict[str, str]]
    required: bool
    relevant: str
    min_value: int | None
    max_value: int | None
    section: str = ""  # a heading shown before this item, when the kind of items changes
    value: Any = None  # what was posted (the page re-shown with its refusals)
    error: str = ""
    chosen: list[str] = field(default_factory=list)
    skipped: bool = False  # hidden by skip logic, given the answers so far

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.code

    @property
    def widget(self) -> str:
        if self.type == ItemType.NOTE or self.kind == ItemKind.NOTE:
            return "note"
        if self.type == ItemType.SELECT_MULTIPLE:
            return "checkbox"
        if self.type in (ItemType.SELECT_ONE, ItemType.TRUE_FALSE):
            # A long list (a province's counties) is a select; a short one, thumb-sized radios.
            return "select" if len(self.choices) > 8 else "radio"
        if self.type == ItemType.INTEGER:
            return "integer"
        if self.choices:  # a region asked as text is still chosen from the catalogue
            return "select"
        return "text"

    def as_api(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "type": self.type, "label": self.label, "hint": self.hint,
                "choices": self.choices, "required": self.required, "relevant": self.relevant,
                "min_value": self.min_value, "max_value": self.max_value}


SECTION_TITLES = {
    ItemKind.RESPONDENT: _("基本情况"),
    ItemKind.KNOWLEDGE: _("知识题"),
    ItemKind.BEHAVIOUR: _("行为题"),
}


def page_items(wave: Wave, fixed: Mapping[str, Any]) -> list[PageItem]:
    """The items a respondent answers, in questionnaire order: those a link or a sign-in settles
    are left out, and so is a region item when the wave's region has nothing below it."""
    items: list[PageItem] = []
    last_kind = ""
    for item in wave_items(wave):
        if item.respondent_field and item.respondent_field in fixed:
            continue
        is_note = item.type == ItemType.NOTE or item.kind == ItemKind.NOTE
        choices = [] if is_note else (_catalogue_choices(item, wave) if item.kind == ItemKind.RESPONDENT
                                      else [{"value": str(choice.get("value", "")),
                                             "label": str(choice.get("label") or choice.get("value", ""))}
                                            for choice in item.choices])
        if item.type == ItemType.TRUE_FALSE and not choices:
            choices = [{"value": "true", "label": _("对")}, {"value": "false", "label": _("错")}]
        if item.respondent_field == RespondentField.REGION and not choices:
            continue
        section = ""
        if not is_note and item.kind != last_kind:
            section = str(SECTION_TITLES.get(item.kind, ""))  # type: ignore[call-overload]
            last_kind = item.kind
        items.append(PageItem(
            code=item.code, kind=item.kind, type=item.type, label=item.label, hint=item.hint, choices=choices,
            required=bool(item.required) and not is_note, relevant=item.relevant or "",
            min_value=item.min_value, max_value=item.max_value, section=section,
        ))
    return items


def mark_skipped(items: Sequence[PageItem], answers: Mapping[str, Any]) -> None:
    """Skip logic as the server applies it: in order, each item read against the answers of the
    items before it that apply. The page's script does the same as answers change."""
    so_far: dict[str, Any] = {}
    for item in items:
        item.skipped = not relevant_evaluate(item.relevant, so_far)
        if not item.skipped and item.code in answers:
            so_far[item.code] = answers[item.code]


# -- who answers ---------------------------------------------------------------------------------
@dataclass
class Visit:
    """What the page shows: ``state`` is one of open, not_open, closed, answered, sign_in,
    token_unknown, token_other_wave; ``mode`` (when open) is worker, token or open."""

    link: WaveLink
    state: str
    mode: str = ""
    worker: Worker | None = None
    token: str = ""
    message: str = ""


def visit_for(request: HttpRequest, link: WaveLink, token: str, now: dt.datetime | None = None) -> Visit:
    wave = link.wave
    now = now or timezone.now()
    if now < wave.opens_at:
        return Visit(link, "not_open")
    if now >= wave.closes_at:
        return Visit(link, "closed")
    worker = current_worker(request)
    if worker is not None:
        if Response.objects.filter(wave=wave, worker=worker).exists():
            return Visit(link, "answered", worker=worker, message=_("您已参加过本次调查，每人只能作答一次"))
        return Visit(link, "open", "worker", worker=worker)
    if token:
        row = ResponseToken.objects.filter(token=token).first()
        if row is None:
            return Visit(link, "token_unknown", message=_("答题码无效"))
        if row.wave_id != wave.pk:
            return Visit(link, "token_other_wave", message=_("这个答题码属于另一次调查"))
        if row.used_at is not None:
            return Visit(link, "answered", token=token, message=_("这个答题码已经用过，每个答题码只能作答一次"))
        return Visit(link, "open", "token", token=token)
    if wave.open_link:
        return Visit(link, "open", "open")
    return Visit(link, "sign_in", message=_("本次调查只接受登录的劳动者或调查员发放的答题码"))


# -- submitting, once ----------------------------------------------------------------------------
def _same_answers(response: Response, wave: Wave, answers: Mapping[str, Any], fixed: Mapping[str, Any]) -> bool:
    """A resend of what arrived before (its reply was lost on the way back): the same answers."""
    clean, errors = answers_clean(items=wave_items(wave), answers=answers, fixed=fixed)
    if errors:
        return False
    stored = {code: value for code, value in response.answers.values_list("item__code", "value") if value is not None}
    return clean == stored


def submit(*, link: WaveLink, answers: Mapping[str, Any], token: str = "", worker: Worker | None = None,
           started_at: dt.datetime | None = None, ip: str = "") -> tuple[Response, bool]:
    """response_submit, idempotent for a phone that sends again: the same token (or worker) with the
    same answers after a success is that success (``True``: already received); anything else is
    refused as the service refuses it. Unknown tokens count against the address (guessing)."""
    wave = link.wave
    if not worker and token and ip and throttle_exceeded(GUESS_THROTTLE, ip, token_guesses_per_hour()):
        raise ResponseRefused(_("这个网络地址一小时内提交了过多无效的答题码，请稍后再试"), code="token_unknown")
    try:
        return response_submit(wave=wave, answers=answers, link=link, token=token, worker=worker,
                               started_at=started_at), False
    except ResponseRefused as refused:
        earlier: Response | None = None
        if refused.code == "token_used" and token:
            earlier = Response.objects.filter(token__token=token, wave=wave).first()
        elif refused.code == "duplicate" and worker is not None:
            earlier = Response.objects.filter(wave=wave, worker=worker).first()
        if earlier is not None and _same_answers(earlier, wave, answers, fixed_facts(link, worker)):
            return earlier, True
        if refused.code == "token_unknown" and ip:
            throttle_add(GUESS_THROTTLE, ip, 3600)
        raise


def issue_open_token(*, link: WaveLink, ip: str) -> ResponseToken:
    """A token for a phone that opened an open link, at most so many per address an hour."""
    if throttle_exceeded(ISSUE_THROTTLE, ip, open_tokens_per_hour()):
        raise ResponseRefused(_("这个网络地址一小时内领取了过多答题码，请稍后再试"), code="throttled")
    if timezone.now() < link.wave.opens_at:
        raise ResponseRefused(_("调查尚未开始（%(opens)s 开始）") % {
            "opens": timezone.localtime(link.wave.opens_at).strftime("%Y-%m-%d %H:%M")}, code="not_open")
    with transaction.atomic():
        token = open_token_issue(link=link)
    throttle_add(ISSUE_THROTTLE, ip, 3600)
    return token


def parse_started(value: object, wave: Wave) -> dt.datetime | None:
    """When the phone opened the questionnaire, if it says so believably (else unknown)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        started = parse_datetime(value)
    except ValueError:
        return None
    if started is None:
        return None
    if timezone.is_naive(started):
        started = timezone.make_aware(started)
    if started > timezone.now() + dt.timedelta(minutes=5) or started < wave.opens_at - dt.timedelta(days=1):
        return None
    return started


def refusal_body(refused: ResponseRefused) -> dict[str, Any]:
    errors = refused.errors or [refused]
    return {"code": refused.code, "field": refused.field, "message": str(refused.message),
            "errors": [{"code": error.code, "field": error.field, "message": str(error.message)} for error in errors]}


# -- the pages -------------------------------------------------------------------------------------
def _optional_url(name: str, *args: str) -> str:
    # The answering API is routed by config/urls.py; a page without it still answers by form post.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def page_texts() -> dict[str, str]:
    """What the page's script says, translated here (the script has no catalogue of its own)."""
    return {
        "saved_here": _("答案已保存在本机"),
        "sending": _("正在提交…"),
        "offline": _("网络未连接：答案已保存在本机，网络恢复后会自动提交，请不要清除浏览器数据。"),
        "retrying": _("网络恢复后会自动提交。"),
        "required": _("本题必答"),
        "fix": _("有题目需要修改，请看标红的题目。"),
        "answered": _("这部手机已经提交过本次调查的答卷，感谢参与。"),
        "server_error": _("服务器暂时无法接收，答案已保存在本机，稍后会自动重试。"),
        "integer": _("请填整数"),
        "min": _("不能小于 %(min)s"),
        "max": _("不能大于 %(max)s"),
    }


def _posted_answers(request: HttpRequest, items: Sequence[PageItem]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in items:
        if item.widget == "note":
            continue
        if item.widget == "checkbox":
            values = [value for value in request.POST.getlist(item.name) if value]
            if values:
                answers[item.code] = values
        else:
            value = request.POST.get(item.name, "").strip()
            if value:
                answers[item.code] = value
    return answers


def _show_posted(items: Sequence[PageItem], answers: Mapping[str, Any], refused: ResponseRefused) -> str:
    """Put the posted answers back and each refusal next to its item; returns what goes at the top."""
    errors = refused.errors or [refused]
    by_field = {}
    for error in errors:
        by_field.setdefault(error.field, str(error.message))
    for item in items:
        value = answers.get(item.code)
        item.value = value
        item.chosen = [str(part) for part in value] if isinstance(value, list) else ([str(value)] if value else [])
        item.error = by_field.pop(item.code, "")
    shown = {item.code for item in items}
    top = [message for where, message in by_field.items() if where not in shown]
    if not top and any(item.error for item in items):
        top = [_("有题目需要修改，请看标红的题目。")]
    return "；".join(top)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, link_code: str) -> HttpResponse:
    """The survey page of a link: its state (not yet open, closed, already answered, sign in or a
    code) or the questionnaire; a form post (the page without script) submits it."""
    link = link_or_404(link_code)
    wave = link.wave
    token = _clean_token(request.POST.get("t") if request.method == "POST" else request.GET.get("t"))
    visit = visit_for(request, link, token)
    context: dict[str, Any] = {"link": link, "wave": wave, "questionnaire": wave.questionnaire, "visit": visit,
                               "opens": timezone.localtime(wave.opens_at), "closes": timezone.localtime(wave.closes_at)}
    status = 200
    if visit.state != "open":
        if request.method == "POST":
            status = 409 if visit.state == "answered" else 400
        context["login_url"] = f"{reverse('login')}?next={request.path}"
        return render(request, "surveys/answer/state.html", context, status=status)
    fixed = fixed_facts(link, visit.worker)
    items = page_items(wave, fixed)
    context["top_error"] = ""
    answers: dict[str, Any] = {}
    if request.method == "POST":
        answers = _posted_answers(request, items)
        try:
            if visit.mode == "open":
                # No script, so no token handed out before: this post takes one and answers with it.
                visit.token = issue_open_token(link=link, ip=client_ip(request)).token
            submit(link=link, answers=answers, token=visit.token, worker=visit.worker,
                   started_at=parse_started(request.POST.get("started_at"), wave), ip=client_ip(request))
        except ResponseRefused as refused:
            context["top_error"] = _show_posted(items, answers, refused)
            status = 400
        else:
            return redirect("surveys:answer_done", link.code)
    mark_skipped(items, answers)
    if visit.mode == "worker" and visit.worker is not None:
        store_key = f"surveys:answer:{link.code}:w:{visit.worker.code}"
    elif visit.mode == "token":
        store_key = f"surveys:answer:{link.code}:t:{visit.token}"
    else:
        store_key = f"surveys:answer:{link.code}:open"
    context.update({
        "items": items, "texts": page_texts(), "store_key": store_key,
        "employer": link.employer if link.employer_id else None,
        "definition_url": _optional_url("api-survey", link.code),
        "submit_url": _optional_url("api-survey-responses", link.code),
        "token_url": _optional_url("api-survey-tokens", link.code) if visit.mode == "open" else "",
        "done_url": reverse("surveys:answer_done", args=[link.code]),
        "has_required": any(item.required for item in items),
    })
    return render(request, "surveys/answer/questionnaire.html", context, status=status)


@require_GET
def answer_done(request: HttpRequest, link_code: str) -> HttpResponse:
    """Thanks, and the way to the knowledge base; no score: the indicator must not be learnt."""
    link = link_or_404(link_code)
    return render(request, "surveys/answer/done.html", {"link": link, "wave": link.wave})
