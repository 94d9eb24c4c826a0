"""Every write service records who did what (core.audit, Wagtail's ModelLogEntry), and an employer
admin reads their own employer's log, nobody else's."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from orgs import services
from orgs.idnumbers import uscc_make
from orgs.models import Region, Transfer
from tests.conftest import Personas
from tests.factories import UserFactory, WorkerFactory
from tests.orgs.rosterfiles import COLUMNS_BY_POSITION, person, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _entry(action: str, actor: Any) -> ModelLogEntry:
    entries = ModelLogEntry.objects.filter(action=action).order_by("-timestamp")
    assert entries.exists(), f"no audit entry for {action}"
    entry = entries.first()
    assert entry is not None and entry.user == actor, (action, entry.user if entry else None)
    return entry


def test_every_write_service_names_its_actor(personas: Personas, settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    root, admin = personas.superuser, personas.employer_admin
    employer = services.employer_create(actor=root, name="审计测试单位", credit_code=uscc_make("91", "320303", "MA0000077"),
                                        region_code="320303", industry_code="06", size_class="small")
    _entry("orgs.employer.create", root)
    services.employer_update(actor=root, employer=employer, name="审计测试单位（新）")
    _entry("orgs.employer.edit", root)
    staff = services.staff_user_create(actor=root, username="audit-staff", password="Strong-pass-2025")
    _entry("orgs.user.create", root)
    services.employer_admin_grant(actor=root, employer=personas.employer, user=staff)
    _entry("orgs.employer_admin.grant", root)
    services.evaluator_grant(actor=root, user=staff, region=Region.objects.get(code="320300"))
    _entry("orgs.evaluator.grant", root)
    worker = services.worker_create(actor=admin, employer=personas.employer, name="审计工", id_number=person(5)[1],
                                    phone="13912345678")
    _entry("orgs.worker.create", admin)
    issued = services.activation_code_issue(actor=admin, worker=worker)
    _entry("orgs.activation_code.issue", admin)
    services.activation_codes_issue(actor=admin, employer=personas.employer, workers=[worker])
    _entry("orgs.activation_codes.issue", admin)
    issued = services.worker_password_reset(actor=admin, worker=worker)
    _entry("orgs.worker.password_reset", admin)
    services.worker_account_activate(phone=worker.phone, code=issued.code, password="Strong-pass-2025")
    _entry("orgs.worker.activate", worker.user)
    services.worker_set_active(actor=admin, worker=worker, active=False)
    _entry("orgs.worker.deactivate", admin)
    services.worker_set_active(actor=admin, worker=worker, active=True)
    _entry("orgs.worker.reactivate", admin)
    roster_import = services.roster_import_start(actor=admin, employer=personas.employer,
                                                 upload=upload(xlsx_bytes(table(person(1)))))
    _entry("orgs.roster.upload", admin)
    _entry("orgs.roster.check", admin)
    services.roster_import_confirm(actor=admin, roster_import=roster_import)
    _entry("orgs.roster.confirm", admin)
    _entry("orgs.roster.import", admin)
    services.roster_rows_import(actor=admin, employer=personas.employer, rows=[(2, person(2))],
                                columns=COLUMNS_BY_POSITION)
    services.roster_export_write(actor=admin, employer=personas.employer, stream=io.BytesIO(), sees_raw=True)
    _entry("orgs.roster.export", admin)
    # A person on another employer's roster, listed in this one's file, confirms on their phone.
    elsewhere = WorkerFactory(employer=personas.other_employer)
    services.roster_rows_import(actor=admin, employer=personas.employer,
                                rows=[(2, person(3, id_number=elsewhere.id_number))], columns=COLUMNS_BY_POSITION)
    _entry("orgs.transfer.request", admin)
    services.transfer_confirm(actor=elsewhere.user, code=Transfer.objects.get(worker=elsewhere).code)
    _entry("orgs.transfer.confirm", elsewhere.user)
    declined = WorkerFactory(employer=personas.other_employer)
    services.roster_rows_import(actor=admin, employer=personas.employer,
                                rows=[(2, person(4, id_number=declined.id_number))], columns=COLUMNS_BY_POSITION)
    services.transfer_decline(actor=declined.user, code=Transfer.objects.get(worker=declined).code)
    _entry("orgs.transfer.decline", declined.user)


def test_an_employer_admin_reads_their_own_employers_log_only(personas: Personas) -> None:
    services.activation_code_issue(actor=personas.employer_admin, worker=personas.worker)
    services.activation_code_issue(actor=personas.outsider, worker=personas.other_worker)
    page = personas.client(personas.employer_admin).get(reverse("orgs:audit_log", args=[personas.employer.code]))
    assert page.status_code == 200
    assert personas.worker.name in page.content.decode()
    assert personas.other_worker.name not in page.content.decode()
    for user in (personas.outsider, personas.evaluator, personas.worker_user, UserFactory()):
        status = personas.client(user).get(reverse("orgs:audit_log", args=[personas.employer.code])).status_code
        assert status in (403, 404)
