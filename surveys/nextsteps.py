"""The surveys app's part of the home page and the header: for an evaluator, the waves in the
field in their reach and a 调查轮次 link; for a signed-in worker, the open waves they may answer."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.nextsteps import NavItem, NextStep, NextSteps
from core.scope import request_scope

# A worker's survey right after their exams (15); the evaluator's waves after their region (40).
WORKER_ORDER = 17
EVALUATOR_ORDER = 42
NAV_ORDER = 45
MAX_STEPS = 5


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    scope = request_scope(request)
    if scope.has("evaluator"):
        _evaluator_steps(request, result)
    if scope.has("worker"):
        _worker_steps(scope.extra.get("worker_id"), result)


def _evaluator_steps(request: HttpRequest, result: NextSteps) -> None:
    from surveys.selectors import wave_region_prefix, wave_responses, waves_in_reach

    scope = request_scope(request)
    now = timezone.now()
    for wave in waves_in_reach(scope).filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")[:MAX_STEPS]:
        count = wave_responses(wave, wave_region_prefix(scope, wave)).count()
        text = _("调查进行中，%(closes)s 结束；已收到答卷 %(count)s 份。") % {
            "closes": f"{timezone.localtime(wave.closes_at):%Y-%m-%d}", "count": count}
        result.steps.append(NextStep(wave.title, text, reverse("surveys:wave_detail", args=[wave.code]),
                                     _("查看进度"), order=EVALUATOR_ORDER))


def _worker_steps(worker_id: int | None, result: NextSteps) -> None:
    """Open waves over the worker's employer's region (or an area containing it) for their group,
    not yet answered by them, each linking to the answering page of their employer's link (or the
    wave's general link; a wave without any link has nowhere to answer yet)."""
    from orgs.models import Worker
    from surveys.models import Response, Wave, WaveLink
    from surveys.wave_views import answer_path

    worker = Worker.objects.filter(pk=worker_id, is_active=True).select_related("employer").first() \
        if worker_id else None
    if worker is None:
        return
    code = worker.employer.region_id
    now = timezone.now()
    waves = (Wave.objects.filter(opens_at__lte=now, closes_at__gt=now,
                                 region__code__in={code, code[:4] + "00", code[:2] + "0000"})
             .exclude(pk__in=Response.objects.filter(worker=worker).values("wave_id"))
             .order_by("closes_at"))
    shown = 0
    # The groups are read here, not in SQL: SQLite has no JSON containment (and open waves are few).
    for wave in [wave for wave in waves if not wave.groups or worker.post_role in wave.groups][:MAX_STEPS]:
        links = {link.employer_id: link for link in WaveLink.objects.filter(
            Q(employer__isnull=True) | Q(employer=worker.employer), wave=wave)}
        link = links.get(worker.employer_id) or links.get(None)
        if link is None:
            continue
        text = _("匿名问卷，约 10 分钟，%(closes)s 前完成。") % {
            "closes": f"{timezone.localtime(wave.closes_at):%Y-%m-%d}"}
        result.steps.append(NextStep(wave.title, text, answer_path(link.code), _("去答卷"), order=WORKER_ORDER))
        shown += 1
    if shown:
        result.empty_message = ""


def navigation(request: HttpRequest) -> list[NavItem]:
    scope = request_scope(request)
    if scope.has("evaluator"):
        return [NavItem(_("调查轮次"), reverse("surveys:wave_list"), order=NAV_ORDER)]
    return []
