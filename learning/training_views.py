"""我的培训: the worker's training cycles on the phone, and one cycle's detail. The reads are
learning.training_selectors'; whether a cycle is met is learning.services.compliance's alone.

Who gets what: anonymous, the login page; someone signed in without a worker record (an employer
admin, an evaluator, an editor), 404 as for 我的课程 (there is no training record to show); a code
that is not one of the worker's own cycles, 404 whether it is another worker's or unknown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from learning import selectors, training_selectors
from learning.services.compliance import today_local


def _worker_or_404(request: HttpRequest) -> Any:
    worker = selectors.current_worker(request)
    if worker is None:
        raise Http404
    return worker


@never_cache
@login_required
@require_GET
def training(request: HttpRequest) -> HttpResponse:
    """What is due and by when, the hours toward each cycle, the exam when the hours are done, certificates."""
    worker = _worker_or_404(request)
    return render(request, "learning/training/mine.html", {
        "training": training_selectors.worker_training(worker, today_local()),
    })


@never_cache
@login_required
@require_GET
def training_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One cycle: the law behind it, its window, the hours each course credited within it, and the same actions."""
    worker = _worker_or_404(request)
    row = training_selectors.worker_training_cycle(worker, code, today_local())
    if row is None:
        raise Http404
    return render(request, "learning/training/detail.html", {"row": row})
