"""Activating an account with a secret the worker holds.

The employer admin issues a single-use code that expires (a printed sheet with a QR code per
worker, or one code at a time); the worker enters it with their phone number and chooses a
password. Facts others hold (the phone and ID number on a roster) are never enough. Every
failure gives one message, and attempts are throttled per address and per phone like logins.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.audit import audit
from core.text import fold_upper
from core.throttle import throttle_add, throttle_exceeded, throttle_reset
from orgs.models import ActivationCode, Employer, User, Worker
from orgs.services.people import AccountError
from orgs.services.roster import clean_phone

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_THROTTLE = "orgs.activation"


@dataclass(frozen=True)
class IssuedCode:
    worker: Worker
    code: str  # as printed: ABCD-EFGH
    expires_at: dt.datetime


def activation_code_normalise(text: str) -> str:
    """What a worker types: lower case, full-width letters, spaces or dashes are all accepted."""
    return "".join(char for char in fold_upper(text) if char in CODE_ALPHABET)[:CODE_LENGTH * 2]


def _digest(code: str) -> str:
    return salted_hmac("orgs.activation-code", activation_code_normalise(code), algorithm="sha256").hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def _issue(workers: list[Worker], actor: User | None) -> list[IssuedCode]:
    expires_at = timezone.now() + dt.timedelta(days=settings.ACTIVATION_CODE_DAYS)
    # A new code replaces any unused one: only the latest sheet works.
    ActivationCode.objects.filter(worker__in=workers, used_at__isnull=True).delete()
    issued = [IssuedCode(worker, _new_code(), expires_at) for worker in workers]
    ActivationCode.objects.bulk_create([
        ActivationCode(worker=item.worker, digest=_digest(item.code), issued_by=actor, expires_at=expires_at)
        for item in issued
    ])
    return issued


@transaction.atomic
def activation_code_issue(*, actor: User | None, worker: Worker) -> IssuedCode:
    """One code for one worker (the worker's page), e.g. after a lost sheet."""
    issued = _issue([worker], actor)[0]
    audit(actor, "orgs.activation_code.issue", worker, employer_id=worker.employer_id)
    return issued


@transaction.atomic
def activation_codes_issue(*, actor: User | None, employer: Employer, workers: list[Worker]) -> list[IssuedCode]:
    """Codes for a printed sheet: the given workers of ``employer`` (others are ignored)."""
    workers = [worker for worker in workers if worker.employer_id == employer.pk and worker.is_active]
    issued = _issue(workers, actor)
    audit(actor, "orgs.activation_codes.issue", employer, employer_id=employer.pk, data={"count": len(issued)})
    return issued


@transaction.atomic
def worker_password_reset(*, actor: User | None, worker: Worker) -> IssuedCode:
    """The employer admin resets a forgotten password: the old one stops working and the worker
    activates the account again with the new code."""
    worker.user.set_unusable_password()
    worker.user.save(update_fields=["password"])
    issued = _issue([worker], actor)[0]
    audit(actor, "orgs.worker.password_reset", worker, employer_id=worker.employer_id)
    return issued


def _failure() -> AccountError:
    return AccountError(_("手机号或激活码不正确，或激活码已失效；请向单位管理员索取新的激活码"))


def activation_throttled(*, phone: str, client_ip: str) -> bool:
    limit = settings.ACTIVATION_FAILURE_LIMIT
    return throttle_exceeded(_THROTTLE, f"phone:{phone}", limit) or throttle_exceeded(
        _THROTTLE, f"ip:{client_ip}", limit * 4)


def _count_failure(phone: str, client_ip: str) -> None:
    window = settings.ACTIVATION_COOLOFF_HOURS * 3600
    throttle_add(_THROTTLE, f"phone:{phone}", window)
    throttle_add(_THROTTLE, f"ip:{client_ip}", window)


def worker_account_activate(*, phone: str, code: str, password: str, client_ip: str = "") -> User:
    """Set the password of the worker whose roster phone and valid, unused code match. Returns the
    user; its ``username`` is the login (the phone, unless that number is someone else's login)."""
    phone_key = "".join(char for char in fold_upper(phone) if char.isdigit())[-11:]
    if activation_throttled(phone=phone_key, client_ip=client_ip):
        raise AccountError(_("尝试次数过多，请 %(hours)s 小时后再试") % {"hours": settings.ACTIVATION_COOLOFF_HOURS})
    try:
        phone = clean_phone(phone)
    except ValueError:
        _count_failure(phone_key, client_ip)
        raise _failure() from None
    now = timezone.now()
    with transaction.atomic():
        found = (ActivationCode.objects.select_for_update().select_related("worker__user")
                 .filter(digest=_digest(code), used_at__isnull=True, expires_at__gt=now,
                         worker__phone=phone, worker__is_active=True).first())
        if found is None:
            found_failed = True
        else:
            found_failed = False
            ActivationCode.objects.filter(pk=found.pk).update(used_at=now)
            user = found.worker.user
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            audit(user, "orgs.worker.activate", found.worker, employer_id=found.worker.employer_id)
    if found_failed:
        _count_failure(phone, client_ip)
        raise _failure()
    throttle_reset(_THROTTLE, f"phone:{phone}")
    return user
