"""Reads behind the employer's training pages (learning.compliance_views): the parameters of the
dashboard checked, its list of cycles, one worker's cycles, and the workers an assignment picks.

Whether a cycle is met is never decided here: every standing comes from
learning.services.compliance (through learning.training_reports); this module only narrows,
counts and orders. Every query starts from the employer's own roster, so what an admin may not
see they may not pick or count either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import ServiceError
from core.text import ascii_int, safe_parameter
from learning.models import Programme, TrainingAssignment
from learning.services.compliance import Standing, Status, standings
from learning.training_reports import worker_assignments
from orgs.models import Department, Employer, HazardClass, PostRole, Worker

__all__ = [
    "ALL", "OPEN", "STATUS_CHOICES", "AssignCounts", "CycleRow", "DashboardRefused", "assign_counts",
    "assign_worker_codes", "assignable_programmes", "dashboard_role", "dashboard_rows", "dashboard_status",
    "parse_due_on", "pick_candidates", "programme_by_code", "status_choices", "worker_cycles",
]

# The list's statuses besides the decided ones: the unmet cycles (what the admin chases, the
# default) and every cycle.
OPEN = "open"
ALL = "all"
# Far more than any hand-picked list: a form that sends more is not a person ticking boxes.
MAX_PICKED = 5000


class DashboardRefused(ServiceError):
    pass


def status_choices() -> list[tuple[str, str]]:
    return [(OPEN, _("未完成（进行中和已逾期）")), (Status.OVERDUE.value, str(Status.OVERDUE.label)),
            (Status.DUE.value, str(Status.DUE.label)), (Status.MET.value, str(Status.MET.label)),
            (Status.WITHDRAWN.value, str(Status.WITHDRAWN.label)), (ALL, _("全部"))]


STATUS_CHOICES = (OPEN, Status.OVERDUE.value, Status.DUE.value, Status.MET.value, Status.WITHDRAWN.value, ALL)


def dashboard_status(raw: object) -> str:
    """``?status=`` of the list (the unmet cycles when empty); anything else is refused by name."""
    value = safe_parameter(raw, 20).strip()
    if not value:
        return OPEN
    if value not in STATUS_CHOICES:
        raise DashboardRefused(_("status 只能是 %(values)s 之一") % {"values": ", ".join(STATUS_CHOICES)},
                               field="status")
    return value


def dashboard_role(raw: object) -> str:
    value = safe_parameter(raw, 20).strip()
    if value and value not in PostRole.values:
        raise DashboardRefused(_("role 只能是 %(values)s 之一") % {"values": ", ".join(PostRole.values)}, field="role")
    return value


def parse_due_on(raw: object) -> dt.date | None:
    """The form's due date (年-月-日); empty is None (the service asks for one)."""
    text = safe_parameter(raw, 20).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class CycleRow:
    """One cycle as the pages list it: the training_reports row and its standing."""

    row: dict[str, Any]
    standing: Standing

    @property
    def code(self) -> str:
        return str(self.row["code"])

    @property
    def role_label(self) -> str:
        role = self.row.get("worker__post_role") or self.row.get("role") or ""
        return str(PostRole(role).label) if role in PostRole.values else role

    @property
    def days_overdue(self) -> int:
        return max(0, -self.standing.days_left)

    @property
    def open(self) -> bool:
        return self.standing.status in (Status.DUE, Status.OVERDUE)


def dashboard_rows(employer: Employer, year: int, *, status: str = OPEN, role: str = "", department: str = "",
                   q: str = "", today: dt.date | None = None) -> list[CycleRow]:
    """The year's cycles of the employer for the dashboard's list, in worker order. One SQL
    statement; the list is held for paging (one row per cycle, no more than the year's cycles)."""
    decided = "" if status in (OPEN, ALL) else status
    rows = worker_assignments(employer, year, today=today, status=decided, role=role, department=department,
                              q=safe_parameter(q, 50).strip())
    wanted = (Status.DUE, Status.OVERDUE) if status == OPEN else None
    return [CycleRow(row, standing) for row, standing in rows if wanted is None or standing.status in wanted]


WORKER_CYCLE_FIELDS = ("code", "role", "programme__name", "programme__kind", "programme__code", "starts_on",
                       "ends_on", "source", "withdrawn_reason", "employer__name")


def worker_cycles(assignments: QuerySet[TrainingAssignment], *, today: dt.date | None = None) -> list[CycleRow]:
    """Every cycle among ``assignments`` (one worker's, already narrowed by the caller's scope),
    the latest first."""
    ordered = assignments.order_by("-starts_on", "-due_on", "-pk")
    return [CycleRow(row, standing) for row, standing in standings(ordered, today=today, extra=WORKER_CYCLE_FIELDS)]


# -- assignment -----------------------------------------------------------------------------------

def assignable_programmes() -> QuerySet[Programme]:
    return Programme.objects.filter(is_active=True).order_by("position", "code")


def programme_by_code(raw: object) -> Programme | None:
    code = safe_parameter(raw, 40).strip()
    return assignable_programmes().filter(code=code).first() if code else None


def _ids(values: Iterable[object]) -> list[int]:
    return [number for number in (ascii_int(safe_parameter(value, 12).strip()) for value in values) if number]


def _codes(values: Iterable[object], limit: int) -> list[str]:
    found = []
    for value in values:
        text = safe_parameter(value, 40).strip()
        if text and text.isascii() and text.isprintable():
            found.append(text)
    return list(dict.fromkeys(found))[:limit]


def assign_worker_codes(employer: Employer, programme: Programme | None, *, post_roles: Sequence[str] = (),
                        department_ids: Sequence[str] = (), hazard_classes: Sequence[str] = (),
                        worker_codes: Sequence[str] = ()) -> list[str]:
    """The codes of the workers an assignment form picks: every active worker of the employer in a
    ticked post role, plus those of a ticked department or exposed to a ticked hazard class whose
    role is the programme's (a department holds people of every role; the programme is for one),
    plus the hand-picked codes as sent. The hand-picked codes are passed on unchecked: the service
    refuses a code that is not on this roster, with the same words for an unknown one."""
    roles = [role for role in post_roles if role in PostRole.values]
    departments = _ids(department_ids)
    classes = _codes(hazard_classes, 20)
    condition = Q(pk__in=[])
    if roles:
        condition |= Q(post_role__in=roles)
    groups = Q(pk__in=[])
    if departments:
        groups |= Q(department_id__in=departments)
    if classes:
        groups |= Q(exposures__hazard_class_id__in=classes)
    if (departments or classes) and programme is not None:
        condition |= groups & Q(post_role=programme.role)
    picked: list[str] = []
    if roles or ((departments or classes) and programme is not None):
        picked = list(Worker.objects.filter(condition, employer=employer, is_active=True).order_by("name", "pk")
                      .values_list("code", flat=True).distinct())
    return list(dict.fromkeys([*picked, *_codes(worker_codes, MAX_PICKED)]))


@dataclass(frozen=True)
class AssignCounts:
    roles: list[tuple[str, str, int]]
    departments: list[tuple[int, str, int]]
    hazard_classes: list[tuple[str, str, int]]


def assign_counts(employer: Employer) -> AssignCounts:
    """What the form offers, with the active workers each choice holds."""
    active = Worker.objects.filter(employer=employer, is_active=True)
    by_role = dict(active.values_list("post_role").annotate(n=Count("pk")).order_by())
    departments = [(row.pk, row.name, row.n) for row in Department.objects.filter(employer=employer).annotate(
        n=Count("workers", filter=Q(workers__is_active=True))).order_by("name")]
    exposed = dict(active.filter(exposures__isnull=False).values_list("exposures__hazard_class_id")
                   .annotate(n=Count("pk", distinct=True)).order_by())
    classes = [(row.code, row.name, exposed[row.code]) for row in HazardClass.objects.order_by("position")
               if exposed.get(row.code)]
    return AssignCounts(roles=[(value, str(label), by_role.get(value, 0)) for value, label in PostRole.choices],
                        departments=departments, hazard_classes=classes)


def pick_candidates(employer: Employer, *, search: str = "", role: str = "", department_id: int | None = None
                    ) -> QuerySet[Worker]:
    """The employer's active workers for the hand-picked list, filtered by name or post, role and
    department. Phones and ID numbers are not searched (the list does not show them)."""
    workers = Worker.objects.filter(employer=employer, is_active=True).select_related("department")
    search = safe_parameter(search, 50).strip()
    if search:
        workers = workers.filter(Q(name__contains=search) | Q(post__contains=search))
    if role in PostRole.values:
        workers = workers.filter(post_role=role)
    if department_id:
        workers = workers.filter(department_id=department_id)
    return workers.order_by("department__name", "name", "pk")
