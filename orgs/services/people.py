"""Employers, workers, their logins and the roles of staff."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

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


class AccountError(ValueError):
    pass


def employer_create(*, name: str, credit_code: str, region_code: str, industry_code: str, size_class: str,
                    address: str = "", contact_phone: str = "") -> Employer:
    employer = Employer(
        name=name.strip(), credit_code=uscc_clean(credit_code), region=Region.objects.get(code=region_code),
        industry=Industry.objects.get(code=industry_code), size_class=size_class, address=address,
        contact_phone=contact_phone,
    )
    employer.full_clean()
    employer.save()
    return employer


@transaction.atomic
def worker_create(*, employer: Employer, name: str, id_number: str, phone: str, post_role: str = PostRole.OTHER,
                  department: str = "", post: str = "", exposures: list[HazardFactor] | None = None,
                  hire_date: dt.date | None = None) -> Worker:
    id_number = id_number_clean(id_number)
    phone = clean_phone(phone)
    user = User(username=phone, full_name=name)
    user.set_unusable_password()
    user.save()
    dept = Department.objects.get_or_create(employer=employer, name=department)[0] if department else None
    worker = Worker.objects.create(user=user, employer=employer, department=dept, name=name, id_number=id_number,
                                   phone=phone, post=post, post_role=post_role, hire_date=hire_date)
    if exposures:
        worker.exposures.set(exposures)
    return worker


def worker_account_activate(*, phone: str, id_number: str, password: str) -> User:
    """First login: a worker proves who they are with the phone and ID number on the roster and
    chooses a password (SMS verification is out of scope, see docs/accounts.md)."""
    try:
        phone = clean_phone(phone)
        id_number = id_number_clean(id_number)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    worker = Worker.objects.select_related("user").filter(phone=phone, id_number=id_number, is_active=True).first()
    if worker is None:
        # One message for every mismatch, so the form cannot be used to probe the roster.
        raise AccountError(_("手机号与身份证号不匹配，或您尚未被单位登记；请联系单位管理员"))
    if worker.user.has_usable_password():
        raise AccountError(_("该账号已激活，请直接登录；忘记密码请联系单位管理员重置"))
    worker.user.set_password(password)
    worker.user.save(update_fields=["password"])
    return worker.user


def worker_password_reset(*, worker: Worker) -> None:
    """The employer admin resets a forgotten password: the worker activates the account again."""
    worker.user.set_unusable_password()
    worker.user.save(update_fields=["password"])


def worker_set_active(*, worker: Worker, active: bool) -> None:
    """离职 (inactive) keeps the record and its training history; the login is disabled."""
    Worker.objects.filter(pk=worker.pk).update(is_active=active)
    User.objects.filter(pk=worker.user_id).update(is_active=active)


def employer_admin_grant(*, employer: Employer, user: User) -> EmployerAdmin:
    return EmployerAdmin.objects.get_or_create(employer=employer, user=user)[0]


def evaluator_grant(*, user: User, region: Region) -> Evaluator:
    return Evaluator.objects.get_or_create(user=user, region=region)[0]


def staff_user_create(*, username: str, password: str, full_name: str = "", is_superuser: bool = False,
                      groups: tuple[str, ...] = ()) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.full_name = full_name
    user.is_superuser = is_superuser
    user.is_staff = is_superuser
    user.set_password(password)
    user.save()
    for group_name in groups:
        user.groups.add(Group.objects.get(name=group_name))
    return user
