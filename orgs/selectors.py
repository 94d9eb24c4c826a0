"""Reads shared by pages, the API and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orgs.access import employers_visible_to, user_roles
from orgs.models import Department, Employer, PostRole, User, Worker


@dataclass
class NextStep:
    title: str
    text: str
    url: str = ""
    action: str = ""


@dataclass
class NextSteps:
    roles: set[str]
    worker: Worker | None = None
    steps: list[NextStep] = field(default_factory=list)
    empty_message: str = ""


def next_steps_for(user: User) -> NextSteps:
    """What the home page offers a signed-in person. Only real tasks are listed; when there are
    none the page says so plainly."""
    roles = user_roles(user)
    result = NextSteps(roles=roles)
    if "worker" in roles:
        worker = Worker.objects.select_related("employer", "department").get(user=user)
        result.worker = worker
        if not worker.exposures.exists() and worker.post_role == PostRole.EXPOSED:
            result.steps.append(NextStep(
                _("核对接触的危害因素"),
                _("花名册中没有登记您接触的职业病危害因素，请联系单位管理员补充。"),
            ))
        result.empty_message = _("目前没有需要您完成的培训或考试。单位为您安排培训后，会在这里提醒您。")
    if "employer_admin" in roles:
        for employer in Employer.objects.filter(admins__user=user).annotate(
            worker_count=Count("workers", filter=Q(workers__is_active=True))
        ):
            if employer.worker_count == 0:
                text = _("花名册还是空的：下载模板，填好后导入。")
            else:
                text = ngettext("在岗 %(count)s 人，可导入、导出花名册。", "在岗 %(count)s 人，可导入、导出花名册。",
                                employer.worker_count) % {"count": employer.worker_count}
            result.steps.append(NextStep(employer.name, text, reverse("orgs:roster", args=[employer.code]),
                                         _("管理花名册")))
    if "evaluator" in roles:
        result.steps.append(NextStep(_("辖区单位"), _("查看辖区内用人单位及其劳动者情况。"),
                                     reverse("orgs:region"), _("查看")))
    if "editor" in roles or "superuser" in roles:
        result.steps.append(NextStep(_("内容管理"), _("在后台编写和审核科普内容。"), "/admin/", _("进入后台")))
    return result


def roster_workers(*, employer: Employer, search: str = "", department: str = "",
                   status: str = "active") -> QuerySet[Worker]:
    workers = Worker.objects.filter(employer=employer).select_related("department")
    if status == "active":
        workers = workers.filter(is_active=True)
    elif status == "inactive":
        workers = workers.filter(is_active=False)
    if department:
        workers = workers.filter(department__name=department)
    search = search.strip()[:50]
    if search:
        workers = workers.filter(Q(name__contains=search) | Q(phone__contains=search)
                                 | Q(id_number__endswith=search.upper()) | Q(post__contains=search))
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


def region_employers(user: User) -> QuerySet[Employer]:
    return employers_visible_to(user).select_related("region", "industry").annotate(
        worker_count=Count("workers", filter=Q(workers__is_active=True))
    ).order_by("region_id", "name")
