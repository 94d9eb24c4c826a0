"""Employers, workers, their logins and the roles of staff. Every write names its actor and is
audited (core.audit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from orgs.idnumbers import id_number_clean, uscc_clean
from orgs.models import (
    Department,
    Employer,
    EmployerAdmin,
    Evaluator,
    HazardFactor,
    Industry,
    PostRole,
    Region,
    User,
    Worker,
)
from orgs.services.roster import clean_phone
from orgs.services.transfers import transfers_apply_released
from orgs.signals import workers_changed_on_commit

EMPLOYER_FIELDS = ("name", "credit_code", "region", "industry", "size_class", "address", "contact_phone", "is_active")


class AccountError(ServiceError):
    pass


class EmployerError(ServiceError):
    pass


def _employer_fields(*, name: str, credit_code: str, region: Region | str, industry: Industry | str,
                     size_class: str, address: str, contact_phone: str, is_active: bool) -> dict[str, Any]:
    try:
        credit_code = uscc_clean(credit_code)
    except ValueError as exc:
        raise EmployerError(str(exc), field="credit_code") from exc
    if not name.strip():
        raise EmployerError(_("单位名称不能为空"), field="name")
    region_obj = region if isinstance(region, Region) else Region.objects.filter(code=region).first()
    if region_obj is None:
        raise EmployerError(_("没有这个行政区划代码"), field="region")
    industry_obj = industry if isinstance(industry, Industry) else Industry.objects.filter(code=industry).first()
    if industry_obj is None:
        raise EmployerError(_("没有这个行业代码"), field="industry")
    return {"name": name.strip(), "credit_code": credit_code, "region": region_obj, "industry": industry_obj,
            "size_class": size_class, "address": address.strip(), "contact_phone": contact_phone.strip(),
            "is_active": is_active}


def _save_employer(employer: Employer) -> None:
    try:
        employer.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        if field == "credit_code":
            raise EmployerError(_("这个统一社会信用代码已登记给另一家单位"), field=field) from exc
        raise EmployerError("；".join(messages), field=field if field != "__all__" else "") from exc
    employer.save()


@transaction.atomic
def employer_create(*, actor: User | None, name: str, credit_code: str, region_code: str | Region,
                    industry_code: str | Industry, size_class: str, address: str = "", contact_phone: str = "",
                    is_active: bool = True) -> Employer:
    """A new employer; the unified social credit code must pass its GB 32100 check character."""
    employer = Employer(**_employer_fields(
        name=name, credit_code=credit_code, region=region_code, industry=industry_code, size_class=size_class,
        address=address, contact_phone=contact_phone, is_active=is_active))
    _save_employer(employer)
    audit(actor, "orgs.employer.create", employer, employer_id=employer.pk)
    return employer


@transaction.atomic
def employer_update(*, actor: User | None, employer: Employer, **changes: Any) -> Employer:
    """Change an employer's registration facts, with the same checks as on creation."""
    current = {field: getattr(employer, field) for field in EMPLOYER_FIELDS}
    unknown = set(changes) - set(EMPLOYER_FIELDS)
    if unknown:
        raise TypeError(f"unknown employer fields: {sorted(unknown)}")
    fields = _employer_fields(**{**current, **changes})
    changed = sorted(field for field, value in fields.items() if getattr(employer, field) != value)
    for field, value in fields.items():
        setattr(employer, field, value)
    _save_employer(employer)
    audit(actor, "orgs.employer.edit", employer, employer_id=employer.pk, data={"fields": changed})
    return employer


@transaction.atomic
def worker_create(*, actor: User | None, employer: Employer, name: str, id_number: str, phone: str,
                  post_role: str = PostRole.OTHER, department: str = "", post: str = "",
                  exposures: list[HazardFactor] | None = None, hire_date: dt.date | None = None) -> Worker:
    """One worker added by hand (the roster import adds many at once)."""
    try:
        id_number = id_number_clean(id_number)
        phone = clean_phone(phone)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    if Worker.objects.filter(id_number=id_number).exists() or User.objects.filter(username=phone).exists():
        # The same words whoever holds the number: this form must not tell which numbers exist.
        raise AccountError(_("无法直接添加此人；请通过导入花名册添加"))
    user = User(username=phone, full_name=name)
    user.set_unusable_password()
    user.save()
    dept = Department.objects.get_or_create(employer=employer, name=department)[0] if department else None
    worker = Worker.objects.create(user=user, employer=employer, department=dept, name=name, id_number=id_number,
                                   phone=phone, post=post, post_role=post_role, hire_date=hire_date)
    if exposures:
        worker.exposures.set(exposures)
    audit(actor, "orgs.worker.create", worker, employer_id=employer.pk)
    workers_changed_on_commit(employer_id=employer.pk, worker_ids=[worker.pk])
    return worker


@transaction.atomic
def worker_set_active(*, actor: User | None, worker: Worker, active: bool) -> None:
    """离职 (inactive) keeps the record and its training history; the login is disabled. Marking a
    worker as left releases them to a pending transfer, if another employer has listed them."""
    Worker.objects.filter(pk=worker.pk).update(is_active=active)
    User.objects.filter(pk=worker.user_id).update(is_active=active)
    worker.is_active = active
    audit(actor, "orgs.worker.reactivate" if active else "orgs.worker.deactivate", worker,
          employer_id=worker.employer_id)
    workers_changed_on_commit(employer_id=worker.employer_id, worker_ids=[worker.pk])
    if not active:
        transfers_apply_released(actor=actor, worker=worker)


def employer_admin_grant(*, actor: User | None, employer: Employer, user: User) -> EmployerAdmin:
    grant, created = EmployerAdmin.objects.get_or_create(employer=employer, user=user)
    if created:
        audit(actor, "orgs.employer_admin.grant", grant, employer_id=employer.pk, data={"user": user.username})
    return grant


def evaluator_grant(*, actor: User | None, user: User, region: Region) -> Evaluator:
    grant, created = Evaluator.objects.get_or_create(user=user, region=region)
    if created:
        audit(actor, "orgs.evaluator.grant", grant, data={"user": user.username, "region": region.code})
    return grant


def staff_user_create(*, actor: User | None, username: str, password: str, full_name: str = "",
                      is_superuser: bool = False, groups: tuple[str, ...] = ()) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    created = user.pk is None
    user.full_name = full_name
    user.is_superuser = is_superuser
    user.is_staff = is_superuser
    user.set_password(password)
    user.save()
    for group_name in groups:
        user.groups.add(Group.objects.get(name=group_name))
    audit(actor, "orgs.user.create" if created else "orgs.user.edit", user, data={"groups": list(groups)})
    return user
