"""The one place that decides who may see or change an employer's people.

Every view and API route that takes an employer or worker code goes through these helpers, so that
an outsider always gets 404 (the object's existence is not revealed) and a read-only role gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from orgs.models import Employer, EmployerAdmin, Evaluator, User, Worker


@dataclass(frozen=True)
class EmployerAccess:
    employer: Employer
    can_write: bool
    # Raw ID numbers are shown only inside the employer's own roster (its admins) and to superusers.
    sees_id_numbers: bool


def _evaluator_prefixes(user: User) -> list[str]:
    return [scope.region.subtree_prefix for scope in Evaluator.objects.filter(user=user).select_related("region")]


def employers_visible_to(user: User) -> QuerySet[Employer]:
    if not user.is_authenticated:
        return Employer.objects.none()
    if user.is_superuser:
        return Employer.objects.all()
    condition = Q(admins__user=user)
    for prefix in _evaluator_prefixes(user):
        condition |= Q(region__code__startswith=prefix)
    return Employer.objects.filter(condition).distinct()


def employer_access(user: User, code: str, *, write: bool = False) -> EmployerAccess:
    """Resolve an employer code for this user: 404 when out of reach, 403 when read-only and
    `write` is asked for."""
    employer = Employer.objects.select_related("region", "industry").filter(code=code).first()
    if employer is None or not user.is_authenticated:
        raise Http404
    if user.is_superuser or EmployerAdmin.objects.filter(user=user, employer=employer).exists():
        return EmployerAccess(employer, can_write=True, sees_id_numbers=True)
    if any(employer.region_id.startswith(prefix) for prefix in _evaluator_prefixes(user)):
        if write:
            raise PermissionDenied
        return EmployerAccess(employer, can_write=False, sees_id_numbers=False)
    raise Http404


def worker_access(user: User, code: str, *, write: bool = False) -> tuple[Worker, EmployerAccess]:
    """A worker record: its employer's admins may change it; the worker and the employer's
    evaluators may read it."""
    worker = Worker.objects.select_related("employer", "department", "user").filter(code=code).first()
    if worker is None or not user.is_authenticated:
        raise Http404
    if worker.user_id == user.pk and not user.is_superuser:
        if write:
            raise PermissionDenied
        return worker, EmployerAccess(worker.employer, can_write=False, sees_id_numbers=True)
    return worker, employer_access(user, worker.employer.code, write=write)


def region_access(user: User) -> None:
    """The region overview is for evaluators (and superusers); for anyone else it does not exist."""
    if not user.is_authenticated or not (user.is_superuser or Evaluator.objects.filter(user=user).exists()):
        raise Http404


def user_roles(user: User) -> set[str]:
    """The role names of a user, for navigation and the API's /me."""
    if not user.is_authenticated:
        return set()
    roles: set[str] = set()
    if user.is_superuser:
        roles.add("superuser")
    if hasattr(user, "worker"):
        roles.add("worker")
    if EmployerAdmin.objects.filter(user=user).exists():
        roles.add("employer_admin")
    if Evaluator.objects.filter(user=user).exists():
        roles.add("evaluator")
    from cms.services import EDITOR_GROUP, REVIEWER_GROUP

    editorial = set(user.groups.filter(name__in=[EDITOR_GROUP, REVIEWER_GROUP]).values_list("name", flat=True))
    if EDITOR_GROUP in editorial:
        roles.add("editor")
    if REVIEWER_GROUP in editorial:
        roles.add("reviewer")
    return roles
