"""The evaluator's pages to run a wave: the list, creating and editing, the frame and its progress,
links and QR posters, and sheets of one-time answering codes.

Who: evaluators (and superusers). Every wave is resolved through surveys.selectors.waves_in_reach,
so a wave of another region is a 404 exactly like an unknown code, and every count is limited to
the evaluator's part of a wave over a larger area (wave_region_prefix). Signed-in people who are
not evaluators get a 404 for every page, as orgs' region page does; anonymous visitors are sent to
sign in. Writes go through surveys.services.waves, which decides what this person may change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from core.pagination import ParamPageLinks, page_of
from core.qr import qr_svg
from core.scope import Scope
from core.text import safe_parameter
from orgs.access import region_or_404
from orgs.models import Employer, Region
from surveys.forms import MAX_TOKENS_PER_BATCH, TokenIssueForm, WaveForm
from surveys.models import Response, ResponseToken, Stratum, Wave, WaveLink
from surveys.selectors import wave_region_prefix, wave_responses, waves_in_reach

WAVES_PAGE_SIZE = 20
STRATA_PAGE_SIZE = 100
LINKS_PAGE_SIZE = 50
EMPLOYERS_PAGE_SIZE = 50
MAX_EMPLOYERS_PER_POST = 200


# -- resolving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveInReach:
    wave: Wave
    scope: Scope
    # None: the whole wave; else the region prefix of the evaluator's part of it.
    prefix: str | None

    @property
    def whole(self) -> bool:
        return self.prefix is None

    @property
    def part_region(self) -> Region | None:
        return None if self.prefix is None else Region.objects.filter(code=self.prefix.ljust(6, "0")).first()


def _code(value: str) -> str:
    """A public code as a lookup value; anything a code never contains matches nothing."""
    return value if len(value) <= 40 and value.isascii() and value.isprintable() else ""


def _wave_or_404(request: HttpRequest, code: str) -> WaveInReach:
    scope = region_or_404(request)
    wave = waves_in_reach(scope).select_related("questionnaire", "region").filter(code=_code(code)).first() \
        if _code(code) else None
    if wave is None:
        raise Http404
    return WaveInReach(wave, scope, wave_region_prefix(scope, wave))


def _in_part(prefix: str | None, path: str) -> Q:
    return Q() if prefix is None else Q(**{f"{path}__startswith": prefix})


def _links_in_part(reach: WaveInReach) -> QuerySet[WaveLink]:
    """The wave's general link, and its employers' links within the evaluator's part."""
    links = WaveLink.objects.filter(wave=reach.wave).select_related("employer")
    if reach.prefix is not None:
        links = links.filter(Q(employer__isnull=True) | Q(employer__region__code__startswith=reach.prefix))
    return links.order_by("employer__name", "pk")


def _issued_tokens(reach: WaveInReach) -> QuerySet[ResponseToken]:
    """Printed codes counted for this evaluator: all of the wave's for its whole region, else those
    printed for employers' links inside their part (a general code belongs to no region yet)."""
    tokens = ResponseToken.objects.filter(wave=reach.wave, origin=ResponseToken.Origin.ISSUED)
    if reach.prefix is not None:
        tokens = tokens.filter(link__employer__region__code__startswith=reach.prefix)
    return tokens


# -- addresses -----------------------------------------------------------------------------------


def optional_url(name: str, *args: Any) -> str:
    """The address of a page another part of surveys provides, or "" while it does not exist, so
    this page links to it as soon as it lands and shows nothing before."""
    for attempt in (args, ()):
        try:
            return reverse(name, args=attempt)
        except NoReverseMatch:
            continue
    return ""


def answer_path(link_code: str) -> str:
    try:
        return reverse("surveys:answer", args=[link_code])
    except NoReverseMatch:
        return f"/s/{link_code}/"


def answer_url(request: HttpRequest, link_code: str, token: str = "") -> str:
    """The full answering address a QR code carries (BASE_URL, as the activation sheets use)."""
    base = (settings.WAGTAILADMIN_BASE_URL or "").rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    url = f"{base}{answer_path(link_code)}"
    return f"{url}?t={token}" if token else url


def _add_service_error(form: Form, error: ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error))


# -- the list ------------------------------------------------------------------------------------


@login_required
def wave_list(request: HttpRequest) -> HttpResponse:
    scope = region_or_404(request)
    page = page_of(waves_in_reach(scope).select_related("questionnaire", "region").order_by("-opens_at", "pk"),
                   request.GET, WAVES_PAGE_SIZE)
    now = timezone.now()
    rows = []
    for wave in page.object_list:
        prefix = wave_region_prefix(scope, wave)
        reach = WaveInReach(wave, scope, prefix)
        rows.append({"wave": wave, "reach": reach, "part": reach.part_region,
                     "status": _status(wave, now), "responses": wave_responses(wave, prefix).count()})
    return render(request, "surveys/waves/list.html", {"page": page, "links": ParamPageLinks(page, request.GET),
                                                       "rows": rows})


def _status(wave: Wave, now: Any) -> str:
    if wave.is_open(now):
        return "open"
    return "closed" if wave.closes_at <= now else "scheduled"


# -- creating and editing ------------------------------------------------------------------------


@login_required
def wave_create(request: HttpRequest) -> HttpResponse:
    scope = region_or_404(request)
    form = WaveForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        from surveys.services import waves

        # wave_save records who created it.
        wave = form.apply(Wave())
        try:
            wave = waves.wave_save(actor=request.user, wave=wave, create=True)
        except ServiceError as error:
            _add_service_error(form, error)
        else:
            messages.success(request, _("已创建调查轮次“%(title)s”。") % {"title": wave.title})
            return redirect("surveys:wave_detail", wave.code)
    return render(request, "surveys/waves/form.html", {"form": form, "wave": None})


def _read_only_refusal() -> PermissionDenied:
    return PermissionDenied(_("这一调查轮次覆盖的地区大于您所辖地区：您可以查看您所辖部分，但不能修改。"))


@login_required
def wave_edit(request: HttpRequest, code: str) -> HttpResponse:
    reach = _wave_or_404(request, code)
    # The page is not offered for a read-only reach; wave_save refuses it too, and decides the rest.
    if not reach.whole:
        raise _read_only_refusal()
    wave = reach.wave
    form = WaveForm(request.POST or None, scope=reach.scope, wave=wave)
    if request.method == "POST" and form.is_valid():
        from surveys.services import waves

        try:
            wave = waves.wave_save(actor=request.user, wave=form.apply(wave), create=False)
        except ServiceError as error:
            _add_service_error(form, error)
        else:
            messages.success(request, _("已保存调查轮次“%(title)s”。") % {"title": wave.title})
            return redirect("surveys:wave_detail", wave.code)
    return render(request, "surveys/waves/form.html", {"form": form, "wave": Wave.objects.get(pk=wave.pk)})


# -- one wave: summary and frame -----------------------------------------------------------------


def _strata_rows(reach: WaveInReach, strata: list[Stratum]) -> list[dict[str, Any]]:
    counts = dict(wave_responses(reach.wave, reach.prefix).filter(stratum__in=[s.pk for s in strata])
                  .values_list("stratum").annotate(n=Count("pk")).values_list("stratum", "n"))
    rows = []
    for stratum in strata:
        responses = counts.get(stratum.pk, 0)
        percent = round(100 * responses / stratum.quota) if stratum.quota else None
        rows.append({"stratum": stratum, "responses": responses, "percent": percent,
                     "full": bool(stratum.quota) and responses >= (stratum.quota or 0)})
    return rows


@login_required
def wave_detail(request: HttpRequest, code: str) -> HttpResponse:
    reach = _wave_or_404(request, code)
    wave = reach.wave
    strata = Stratum.objects.filter(wave=wave).filter(_in_part(reach.prefix, "region__code")).select_related(
        "region", "industry").order_by("region", "industry", "group", "pk")
    page = page_of(strata, request.GET, STRATA_PAGE_SIZE)
    responses = wave_responses(wave, reach.prefix)
    totals = strata.aggregate(population=Sum("population"), quota=Sum("quota"))
    counted = responses.aggregate(
        total=Count("pk"), online=Count("pk", filter=Q(source=Response.Source.ONLINE)),
        paper=Count("pk", filter=Q(source=Response.Source.PAPER)),
        in_frame=Count("pk", filter=Q(stratum__isnull=False)))
    tokens = _issued_tokens(reach).aggregate(issued=Count("pk"), used=Count("pk", filter=Q(used_at__isnull=False)))
    quota = totals["quota"] or 0
    pages = {name: optional_url(f"surveys:{name}", wave.code) for name in (
        "frame_import", "frame_template", "paper_import", "paper_template", "dashboard", "exports")}
    return render(request, "surveys/waves/detail.html", {
        "wave": wave, "reach": reach, "part": reach.part_region, "status": _status(wave, timezone.now()),
        "page": page, "links": ParamPageLinks(page, request.GET), "rows": _strata_rows(reach, list(page.object_list)),
        "totals": totals, "counted": counted, "tokens": tokens,
        "quota_percent": round(100 * counted["in_frame"] / quota) if quota else None,
        "out_of_frame": counted["total"] - counted["in_frame"] if totals["population"] is not None else 0,
        "link_count": _links_in_part(reach).count(), "pages": pages,
    })


# -- links and posters ---------------------------------------------------------------------------


def _employers_for_links(reach: WaveInReach) -> QuerySet[Employer]:
    """Employers in the wave's region that this evaluator sees (their region: scope.filter)."""
    employers = Employer.objects.filter(region__code__startswith=reach.wave.region.subtree_prefix, is_active=True)
    return reach.scope.filter(employers).select_related("region", "industry").order_by("name", "pk")


def _links_post(request: HttpRequest, reach: WaveInReach) -> HttpResponse:
    from surveys.services import waves

    action = request.POST.get("action")
    try:
        if action == "general":
            waves.link_for(actor=request.user, wave=reach.wave, employer=None)
            messages.success(request, _("已生成总链接。"))
        elif action == "employers":
            codes = [_code(value) for value in request.POST.getlist("employer")[:MAX_EMPLOYERS_PER_POST]]
            chosen = list(_employers_for_links(reach).filter(code__in=[code for code in codes if code]))
            if not chosen:
                raise ServiceError(_("请先勾选要生成链接的用人单位。"))
            # All or none: a refusal for one employer leaves no links behind for the others.
            with transaction.atomic():
                for employer in chosen:
                    waves.link_for(actor=request.user, wave=reach.wave, employer=employer)
            messages.success(request, _("已为 %(count)s 家单位生成链接。") % {"count": len(chosen)})
        else:
            raise PermissionDenied
    except ServiceError as error:
        messages.error(request, str(error))
    return redirect("surveys:wave_links", reach.wave.code)


@login_required
def wave_links(request: HttpRequest, code: str) -> HttpResponse:
    reach = _wave_or_404(request, code)
    if request.method == "POST":
        return _links_post(request, reach)
    links = _links_in_part(reach)
    general = links.filter(employer__isnull=True).first()
    page = page_of(links.filter(employer__isnull=False), request.GET, LINKS_PAGE_SIZE)
    cards = [{"link": link, "url": answer_url(request, link.code), "qr": qr_svg(answer_url(request, link.code))}
             for link in ([general] if general else []) + list(page.object_list)]
    search = safe_parameter(request.GET.get("q", ""), 60).strip()
    candidates = _employers_for_links(reach).exclude(pk__in=WaveLink.objects.filter(
        wave=reach.wave, employer__isnull=False).values("employer_id"))
    if search:
        candidates = candidates.filter(name__icontains=search)
    employer_page = page_of(candidates, {"page": request.GET.get("epage", "1")}, EMPLOYERS_PAGE_SIZE)
    return render(request, "surveys/waves/links.html", {
        "wave": reach.wave, "reach": reach, "general": general, "cards": cards, "page": page,
        "links": ParamPageLinks(page, request.GET), "employer_page": employer_page, "search": search,
    })


@login_required
def wave_poster(request: HttpRequest, code: str, link_code: str) -> HttpResponse:
    reach = _wave_or_404(request, code)
    link = _links_in_part(reach).filter(code=_code(link_code)).first() if _code(link_code) else None
    if link is None:
        raise Http404
    url = answer_url(request, link.code)
    return render(request, "surveys/waves/poster.html", {"wave": reach.wave, "link": link, "url": url,
                                                         "qr": qr_svg(url)})


# -- one-time codes ------------------------------------------------------------------------------


def _general_link(request: HttpRequest, wave: Wave) -> WaveLink:
    from surveys.services import waves

    general = WaveLink.objects.filter(wave=wave, employer__isnull=True).first()
    return general or waves.link_for(actor=request.user, wave=wave, employer=None)


def _token_sheet(request: HttpRequest, reach: WaveInReach, tokens: list[ResponseToken], *, reprint: bool) -> HttpResponse:
    general: WaveLink | None = None
    cards = []
    for token in tokens:
        if token.link is None:
            general = general or _general_link(request, reach.wave)
        link = token.link or general
        assert link is not None
        url = answer_url(request, link.code, token.token)
        # Not cached: each code is used once, and a cache would keep every printed one.
        cards.append({"token": token, "url": url, "link": link, "qr": qr_svg(url, cache_result=False)})
    response = render(request, "surveys/waves/token_sheet.html", {"wave": reach.wave, "cards": cards,
                                                                  "reprint": reprint})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def wave_tokens(request: HttpRequest, code: str) -> HttpResponse:
    reach = _wave_or_404(request, code)
    if request.method == "POST" and request.POST.get("action") == "reprint":
        return _tokens_reprint(request, reach)
    employer_links = list(_links_in_part(reach).filter(employer__isnull=False)[:500])
    by_code = {link.code: link for link in employer_links}
    form = TokenIssueForm(request.POST or None, links=[(link.code, str(link.employer)) for link in employer_links],
                          general=reach.whole)
    if request.method == "POST" and form.is_valid():
        from surveys.services import waves

        link = by_code.get(form.cleaned_data["link"] or "")
        try:
            with transaction.atomic():
                if link is None:
                    # The codes' QR opens the general link: it exists once they do.
                    _general_link(request, reach.wave)
                tokens = waves.tokens_issue(actor=request.user, wave=reach.wave, count=form.cleaned_data["count"],
                                            link=link)
        except ServiceError as error:
            _add_service_error(form, error)
        else:
            return _token_sheet(request, reach, list(tokens), reprint=False)
    counts = _issued_tokens(reach).aggregate(issued=Count("pk"), used=Count("pk", filter=Q(used_at__isnull=False)))
    return render(request, "surveys/waves/tokens.html", {"wave": reach.wave, "reach": reach, "form": form,
                                                         "counts": counts, "max": MAX_TOKENS_PER_BATCH})


def _tokens_reprint(request: HttpRequest, reach: WaveInReach) -> HttpResponse:
    """Unused printed codes again (a sheet got lost): they name nobody, and each still answers once."""
    unused = list(_issued_tokens(reach).filter(used_at__isnull=True).select_related("link")
                  .order_by("created_at", "pk")[:MAX_TOKENS_PER_BATCH])
    if not unused:
        messages.error(request, _("没有未使用的答题码。"))
        return redirect("surveys:wave_tokens", reach.wave.code)
    return _token_sheet(request, reach, unused, reprint=True)
