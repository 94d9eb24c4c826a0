"""A person already on another employer's roster who appears in this employer's file.

Employment facts belong to one employment: the new employer starts from its own file, and the
former employer keeps what it recorded (``Employment``) for its records and inspections. The
move happens at once when the former employer has marked the person as left; otherwise it waits
(``Transfer``) until the worker confirms it on their own phone, or the former employer marks
them as left. Nothing the new employer's file check says depends on which case it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.notifications import notify
from orgs.models import Department, Employer, Employment, HazardFactor, RosterImport, Transfer, User, Worker
from orgs.signals import workers_changed_on_commit


class TransferError(ServiceError):
    pass


def roster_row_facts(row: Any, columns: set[str]) -> dict[str, Any]:
    """The employment facts of a cleaned roster row, as JSON (absent optional columns are empty:
    nothing is carried over from the former employer)."""
    return {
        "name": row.name, "phone": row.phone,
        "department": row.department if "department" in columns else "",
        "post": row.post if "post" in columns else "",
        "post_role": row.post_role,
        "exposure_ids": list(row.exposure_ids) if "exposures" in columns else [],
        "hire_date": row.hire_date.isoformat() if row.hire_date and "hire_date" in columns else None,
        "is_active": row.is_active,
    }


def _archive_employment(worker: Worker, ended_on: dt.date) -> Employment:
    employment = Employment.objects.create(
        worker=worker, employer_id=worker.employer_id, name=worker.name,
        department=worker.department.name if worker.department else "", post=worker.post,
        post_role=worker.post_role, hire_date=worker.hire_date, ended_on=ended_on,
    )
    employment.exposures.set(worker.exposures.all())
    return employment


def _login_name(worker: Worker, phone: str) -> str:
    """The phone is the login unless that number is already someone else's login."""
    taken = User.objects.filter(username=phone).exclude(pk=worker.user_id).exists()
    return worker.user.username if taken else phone


def _join(worker: Worker, employer: Employer, facts: dict[str, Any]) -> Worker:
    """Close the current employment and start the one ``facts`` describe."""
    _archive_employment(worker, timezone.localdate())
    department = None
    if facts.get("department"):
        department = Department.objects.get_or_create(employer=employer, name=facts["department"])[0]
    worker.employer = employer
    worker.department = department
    worker.name = facts["name"]
    worker.phone = facts["phone"]
    worker.post = facts.get("post", "")
    worker.post_role = facts["post_role"]
    worker.hire_date = dt.date.fromisoformat(facts["hire_date"]) if facts.get("hire_date") else None
    worker.is_active = facts.get("is_active", True)
    worker.save()
    worker.exposures.set(HazardFactor.objects.filter(pk__in=facts.get("exposure_ids", [])))
    user = worker.user
    user.username = _login_name(worker, worker.phone)
    user.full_name = worker.name
    # Whoever left their former employer had their login disabled; the new employment enables it.
    user.is_active = worker.is_active
    user.save(update_fields=["username", "full_name", "is_active"])
    workers_changed_on_commit(employer_id=employer.pk, worker_ids=[worker.pk])
    return worker


@transaction.atomic
def transfers_from_roster(*, actor: User | None, employer: Employer, rows: list[Any], columns: set[str],
                          roster_import: RosterImport | None = None) -> dict[str, int]:
    """Rows of ``employer``'s file whose ID number is on another employer's roster: join now when the
    former employer has let the person go, otherwise wait for the worker to confirm."""
    counts = {"joined": 0, "pending": 0}
    workers = {worker.id_number: worker for worker in Worker.objects.select_related("user", "department").filter(
        id_number__in=[row.id_number for row in rows]).exclude(employer=employer)}
    for row in rows:
        worker = workers.get(row.id_number)
        if worker is None:
            continue
        facts = roster_row_facts(row, columns)
        if not worker.is_active:
            former = worker.employer_id
            _join(worker, employer, facts)
            audit(actor, "orgs.transfer.join", worker, employer_id=employer.pk, data={"former_employer": former})
            counts["joined"] += 1
            continue
        transfer, _created = Transfer.objects.update_or_create(
            worker=worker, to_employer=employer, status=Transfer.Status.PENDING,
            defaults={"facts": facts, "roster_import": roster_import},
        )
        audit(actor, "orgs.transfer.request", transfer, employer_id=employer.pk)
        counts["pending"] += 1
        _notify_worker(transfer)
    return counts


def _notify_worker(transfer: Transfer) -> None:
    notify(recipients=[transfer.worker.user], key=f"orgs.transfer.{transfer.code}",
           title=_("%(employer)s 请求将您加入花名册") % {"employer": transfer.to_employer.name},
           body=_("如您已到该单位工作，请确认；确认后原单位的记录留在原单位。"),
           url=reverse("orgs:transfer", args=[transfer.code]))


def pending_transfer_of(user: User, code: str) -> Transfer | None:
    """A pending request addressed to ``user`` themselves: only the worker decides, so nobody
    else (the new employer's admins, superusers) reaches it here."""
    if "\x00" in code:
        return None
    return (Transfer.objects.select_related("worker__user", "worker__department", "worker__employer", "to_employer")
            .filter(code=code, status=Transfer.Status.PENDING, worker__user=user).first())


def _pending_for_worker(actor: User, code: str) -> Transfer:
    transfer = pending_transfer_of(actor, code)
    if transfer is None:
        raise TransferError("")
    return transfer


@transaction.atomic
def transfer_confirm(*, actor: User, code: str) -> Worker:
    """The worker confirms on their own phone that they now work for the new employer."""
    transfer = _pending_for_worker(actor, code)
    worker = _join(transfer.worker, transfer.to_employer, transfer.facts)
    _close(transfer, Transfer.Status.DONE)
    # Any other employer's pending request is void: the person has chosen.
    Transfer.objects.filter(worker=worker, status=Transfer.Status.PENDING).update(
        status=Transfer.Status.DECLINED, decided_at=timezone.now())
    audit(actor, "orgs.transfer.confirm", transfer, employer_id=transfer.to_employer_id)
    return worker


@transaction.atomic
def transfer_decline(*, actor: User, code: str) -> None:
    transfer = _pending_for_worker(actor, code)
    _close(transfer, Transfer.Status.DECLINED)
    audit(actor, "orgs.transfer.decline", transfer, employer_id=transfer.to_employer_id)


def _close(transfer: Transfer, status: str) -> None:
    transfer.status = status
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decided_at"])


def transfers_apply_released(*, actor: User | None, worker: Worker) -> Worker | None:
    """The former employer marked the worker as left: the newest pending request takes effect."""
    transfer = (Transfer.objects.select_related("to_employer").filter(worker=worker, status=Transfer.Status.PENDING)
                .order_by("-created_at").first())
    if transfer is None:
        return None
    worker = Worker.objects.select_related("user", "department").get(pk=worker.pk)
    _join(worker, transfer.to_employer, transfer.facts)
    _close(transfer, Transfer.Status.DONE)
    Transfer.objects.filter(worker=worker, status=Transfer.Status.PENDING).update(
        status=Transfer.Status.DECLINED, decided_at=timezone.now())
    audit(actor, "orgs.transfer.released", transfer, employer_id=transfer.to_employer_id)
    return worker
