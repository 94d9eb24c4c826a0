"""The learning app's pages outside the Wagtail tree: 我的课程. The course and lesson pages are
Wagtail pages (learning.page_views)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from learning import selectors


def _worker_or_404(request: HttpRequest) -> Any:
    # Not a worker (an editor, an employer admin): there is no study record to show, as for an
    # unknown address.
    worker = selectors.current_worker(request)
    if worker is None:
        raise Http404
    return worker


def _catalogue_url(request: HttpRequest) -> str:
    from learning.models import CourseIndexPage

    index = CourseIndexPage.objects.live().first()
    return index.get_url(request) if index is not None else ""


@never_cache
@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的课程: each enrolment with its progress, this year's 学时 and where to resume."""
    worker = _worker_or_404(request)
    cards = selectors.worker_courses(worker)
    return render(request, "learning/mine.html", {
        "cards": cards,
        "year": selectors.this_year(),
        "year_hours": sum(card.year_hours for card in cards),
        "catalogue_url": _catalogue_url(request),
    })
