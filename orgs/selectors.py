"""Reads shared by pages, the API and exports, and what orgs adds to the home page and header."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.nextsteps import NavItem, NextStep, NextSteps
from core.scope import Scope, request_scope
from core.text import fold, safe_parameter
from orgs.models import (
    Department,
    Employer,
    Employment,
    HazardFactor,
    OccupationalDisease,
    PostRole,
    Transfer,
    Worker,
    diseases_on,
    split_words,
)

ROSTER_STATUSES = ("active", "inactive", "all")


def signed_in_worker(request: HttpRequest | Any) -> Worker | None:
    """The signed-in person's worker record, or None for anyone who is not a worker. A signed-in
    request has it already, read with its session (core.sessions), so it costs no query; its
    employer is read only when a caller needs more than the id."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.worker
    except Worker.DoesNotExist:
        return None


def roster_workers(*, employer: Employer, search: str = "", department: str = "", status: str = "active",
                   sees_raw: bool = False) -> QuerySet[Worker]:
    """An employer's workers as the roster page and API list them. Phones and ID numbers can be
    searched only by a role that sees them raw: a masked value must not be recoverable by search."""
    workers = Worker.objects.filter(employer=employer).select_related("department")
    if status == "active":
        workers = workers.filter(is_active=True)
    elif status == "inactive":
        workers = workers.filter(is_active=False)
    department = safe_parameter(department, 64)
    if department:
        workers = workers.filter(department__name=department)
    search = safe_parameter(search, 50).strip()
    if search:
        condition = Q(name__contains=search) | Q(post__contains=search)
        if sees_raw:
            condition |= Q(phone__contains=search) | Q(id_number__endswith=search.upper())
        workers = workers.filter(condition)
    return workers.prefetch_related("exposures").order_by("department__name", "name", "pk")


def roster_stats(employer: Employer) -> dict[str, Any]:
    active = Worker.objects.filter(employer=employer, is_active=True)
    by_role = dict(active.values_list("post_role").annotate(n=Count("pk")).order_by())
    return {
        "active": active.count(),
        "inactive": Worker.objects.filter(employer=employer, is_active=False).count(),
        "exposed_with_hazards": active.filter(exposures__isnull=False).distinct().count(),
        "by_role": [(label, by_role.get(value, 0)) for value, label in PostRole.choices],
    }


def employer_departments(employer: Employer) -> list[str]:
    return list(Department.objects.filter(employer=employer).values_list("name", flat=True))


def workers_to_activate(employer: Employer) -> QuerySet[Worker]:
    """Workers on the roster who have never set a password (or had it reset)."""
    unusable = {"user__password__startswith": UNUSABLE_PASSWORD_PREFIX}
    return (Worker.objects.filter(employer=employer, is_active=True, **unusable)
            .select_related("department").order_by("department__name", "name", "pk"))


def pending_transfers_to(employer: Employer) -> QuerySet[Transfer]:
    return Transfer.objects.filter(to_employer=employer, status=Transfer.Status.PENDING).order_by("-created_at")


def former_workers(employer: Employer) -> QuerySet[Employment]:
    return Employment.objects.filter(employer=employer).select_related("worker").order_by("-ended_on", "-pk")


def region_employers(scope: Scope) -> QuerySet[Employer]:
    return scope.filter(Employer.objects.all()).select_related("region", "industry").annotate(
        worker_count=Count("workers", filter=Q(workers__is_active=True))
    ).order_by("region_id", "name")


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    """orgs' part of the home page: the worker's own record and pending requests, each roster an
    admin keeps, the evaluator's region."""
    scope = request_scope(request)
    if scope.has("worker"):
        worker = Worker.objects.select_related("employer", "department").get(pk=scope.extra["worker_id"])
        result.context["worker"] = worker
        for transfer in Transfer.objects.filter(worker=worker, status=Transfer.Status.PENDING).select_related(
            "to_employer"
        ):
            result.steps.append(NextStep(
                _("确认加入 %(employer)s") % {"employer": transfer.to_employer.name},
                _("该单位把您列入了花名册。如您已到该单位工作，请确认。"),
                reverse("orgs:transfer", args=[transfer.code]), _("查看并确认"), order=10))
        if worker.post_role == PostRole.EXPOSED and not worker.exposures.exists():
            result.steps.append(NextStep(
                _("核对接触的危害因素"),
                _("花名册中没有登记您接触的职业病危害因素，请联系单位管理员补充。"), order=20,
            ))
        result.empty_message = _("目前没有需要您完成的培训或考试。单位为您安排培训后，会在这里提醒您。")
    if scope.employer_ids:
        for employer in Employer.objects.filter(pk__in=scope.employer_ids).annotate(
            worker_count=Count("workers", filter=Q(workers__is_active=True))
        ):
            if employer.worker_count == 0:
                text = _("花名册还是空的：下载模板，填好后导入。")
            else:
                text = ngettext("在岗 %(count)s 人，可导入、导出花名册。", "在岗 %(count)s 人，可导入、导出花名册。",
                                employer.worker_count) % {"count": employer.worker_count}
            result.steps.append(NextStep(employer.name, text, reverse("orgs:roster", args=[employer.code]),
                                         _("管理花名册"), order=30))
    if scope.has("evaluator"):
        result.steps.append(NextStep(_("辖区单位"), _("查看辖区内用人单位及其劳动者情况。"),
                                     reverse("orgs:region"), _("查看"), order=40))


def navigation(request: HttpRequest) -> list[NavItem]:
    scope = request_scope(request)
    items = []
    if scope.employer_ids:
        items.append(NavItem(_("花名册"), reverse("orgs:employer_home"), order=20))
    if scope.has("evaluator"):
        items.append(NavItem(_("辖区单位"), reverse("orgs:region"), order=40))
    return items


def _spellings(items: list[tuple[Any, str, str, str]]) -> dict[str, Any]:
    """(value, name, aliases, former names) rows, in the catalogue's order → folded spelling to
    value. Every official name comes first, then aliases, then former names, so a common spelling
    never hides another item's own name; among equals the catalogue's order wins."""
    words: dict[str, Any] = {}
    for column in (1, 2, 3):
        for item in items:
            for word in ([item[1]] if column == 1 else split_words(item[column])):
                words.setdefault(fold(word), item[0])
    return words


def hazard_factor_words() -> dict[str, tuple[int, str]]:
    """Every spelling a file may use for a factor of the catalogue, folded, to (id, class code)."""
    factors = HazardFactor.objects.filter(in_catalogue=True).order_by("hazard_class__position", "position") \
        .values_list("pk", "hazard_class_id", "name", "aliases", "former_names")
    return _spellings([((pk, class_code), name, aliases, former) for pk, class_code, name, aliases, former in factors])


def disease_words(on: datetime.date | None = None) -> dict[str, int]:
    """Names and aliases of the diseases in the edition in force on ``on`` (today), folded, to ids."""
    diseases = OccupationalDisease.objects.filter(in_catalogue=True).filter(diseases_on(on)) \
        .order_by("position").values_list("pk", "name", "aliases", "former_names")
    return _spellings(list(diseases))
