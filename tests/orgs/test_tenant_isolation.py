"""The holes a tenant-isolation probe found, each closed: a masked value cannot be recovered by
search; activation needs a code the worker holds and is throttled; the roster check says the same
of another employer's people as of unknown ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from core.masking import id_number_mask
from orgs.models import RosterImport, User, Worker
from orgs.services import (
    AccountError,
    RosterUploadError,
    activation_code_issue,
    roster_import_start,
    worker_account_activate,
)
from tests.conftest import Personas
from tests.factories import WorkerFactory
from tests.orgs.rosterfiles import check, make_id, make_phone, person, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _roster_api(client: Client, personas: Personas, **params: str) -> list[dict[str, Any]]:
    response = client.get(reverse("api-employer-workers", args=[personas.employer.code]), params)
    assert response.status_code == 200
    return response.json()["results"]


def _roster_page(client: Client, personas: Personas, **params: str) -> str:
    response = client.get(reverse("orgs:roster", args=[personas.employer.code]), params)
    assert response.status_code == 200
    return response.content.decode()


# --- masked values cannot be searched ------------------------------------------------------------


def test_it_does_not_let_the_evaluator_recover_an_id_number_by_search(personas: Personas) -> None:
    evaluator = personas.client(personas.evaluator)
    hidden = personas.worker.id_number
    # Each probe ends in one more hidden digit than the masked form shows.
    for length in (5, 6, 10, 14):
        suffix = hidden[-length:]
        assert _roster_api(evaluator, personas, q=suffix) == [], length
        assert personas.worker.name not in _roster_page(evaluator, personas, q=suffix), length
    # The admin, who sees the number, still finds the worker by its end.
    admin = personas.client(personas.employer_admin)
    assert [row["code"] for row in _roster_api(admin, personas, q=hidden[-6:])] == [personas.worker.code]


def test_it_does_not_let_the_evaluator_search_by_phone(personas: Personas) -> None:
    evaluator = personas.client(personas.evaluator)
    assert _roster_api(evaluator, personas, q=personas.worker.phone[3:7]) == []
    assert _roster_api(evaluator, personas, q=personas.worker.name) != []


def test_it_masks_phone_numbers_for_the_evaluator(personas: Personas) -> None:
    evaluator = personas.client(personas.evaluator)
    page = _roster_page(evaluator, personas)
    assert personas.worker.phone not in page and personas.worker.id_number not in page
    detail = evaluator.get(reverse("orgs:worker", args=[personas.worker.code])).content.decode()
    assert personas.worker.phone not in detail and id_number_mask(personas.worker.id_number) in detail


# --- activation needs the issued code ------------------------------------------------------------


def _imported(**kwargs: Any) -> Worker:
    worker = WorkerFactory(**kwargs)
    worker.user.set_unusable_password()
    worker.user.save()
    return worker


def _activate(client: Client, phone: str, code: str) -> Any:
    return client.post(reverse("activate"), {"phone": phone, "code": code,
                                             "password1": "Strong-pass-2025", "password2": "Strong-pass-2025"})


def test_it_activates_with_the_issued_code(personas: Personas) -> None:
    worker = _imported(employer=personas.employer)
    issued = activation_code_issue(actor=personas.employer_admin, worker=worker)
    response = _activate(Client(), f"+86 {worker.phone[:3]} {worker.phone[3:7]} {worker.phone[7:]}",
                         issued.code.lower().replace("-", " "))
    assert response.status_code == 302
    worker.user.refresh_from_db()
    assert worker.user.check_password("Strong-pass-2025")
    # Single use.
    assert _activate(Client(), worker.phone, issued.code).status_code == 200


def test_it_does_not_activate_with_the_phone_and_id_number(personas: Personas) -> None:
    worker = _imported(employer=personas.employer)
    response = Client().post(reverse("activate"), {"phone": worker.phone, "id_number": worker.id_number,
                                                   "code": worker.id_number, "password1": "Strong-pass-2025",
                                                   "password2": "Strong-pass-2025"})
    assert response.status_code == 200
    worker.user.refresh_from_db()
    assert not worker.user.has_usable_password()


def test_it_answers_every_failure_with_one_message(personas: Personas) -> None:
    fresh = _imported(employer=personas.employer)
    issued = activation_code_issue(actor=personas.employer_admin, worker=fresh)
    other_code = activation_code_issue(actor=personas.employer_admin, worker=_imported(employer=personas.employer)).code
    messages = set()
    for phone, code in [
        ("13999999999", issued.code),  # unknown phone
        (fresh.phone, "AAAA-BBBB"),  # wrong code
        (fresh.phone, other_code),  # someone else's code
        (personas.worker.phone, issued.code),  # an activated worker
        (personas.other_worker.phone, issued.code),  # another employer's worker
    ]:
        with pytest.raises(AccountError) as error:
            worker_account_activate(phone=phone, code=code, password="Strong-pass-2025", client_ip=f"10.0.0.{len(messages)}")
        messages.add(str(error.value))
    assert len(messages) == 1


@override_settings(ACTIVATION_FAILURE_LIMIT=3)
def test_it_throttles_activation_like_login(personas: Personas) -> None:
    worker = _imported(employer=personas.employer)
    client = Client()
    for attempt in range(3):
        assert _activate(client, worker.phone, f"WRONG-{attempt:04d}").status_code == 200
    issued = activation_code_issue(actor=personas.employer_admin, worker=worker)
    response = _activate(client, worker.phone, issued.code)
    assert response.status_code == 200
    assert "尝试次数过多" in response.content.decode()
    worker.user.refresh_from_db()
    assert not worker.user.has_usable_password()


def test_it_prints_a_sheet_of_codes_with_qr_codes(personas: Personas) -> None:
    _imported(employer=personas.employer)
    _imported(employer=personas.employer)
    admin = personas.client(personas.employer_admin)
    response = admin.post(reverse("orgs:activation_codes", args=[personas.employer.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="activation-slip"') == 2
    assert page.count("<svg") >= 2
    assert response["Cache-Control"] == "no-store"
    for persona in ("evaluator", "outsider", "worker_user"):
        status = personas.client(getattr(personas, persona)).post(
            reverse("orgs:activation_codes", args=[personas.employer.code])).status_code
        assert status in (403, 404), persona


# --- the roster check is no oracle on other employers --------------------------------------------


def _outcome(employer: Any, row: list[Any]) -> tuple[Any, ...]:
    result = check(employer, xlsx_bytes(table(row)))
    return (result.ok, [(error.row, error.letter, error.message) for error in result.errors], result.summary())


def test_it_says_the_same_of_another_employers_people_as_of_unknown_ones(personas: Personas) -> None:
    active_elsewhere = WorkerFactory(employer=personas.other_employer)
    departed_elsewhere = WorkerFactory(employer=personas.other_employer, is_active=False)
    unknown = _outcome(personas.employer, person(1))
    for known in (active_elsewhere, departed_elsewhere):
        assert _outcome(personas.employer, person(1, id_number=known.id_number)) == unknown
        assert _outcome(personas.employer, person(1, id_number=known.id_number, phone=known.phone)) == unknown
    # Another employer's worker's phone, with an unknown ID number.
    assert _outcome(personas.employer, person(1, phone=active_elsewhere.phone)) == unknown
    # A staff login's name as a phone.
    User.objects.create(username=make_phone(77))
    assert _outcome(personas.employer, person(1, phone=make_phone(77))) == unknown


def test_it_audits_numbers_checked_outside_the_roster(personas: Personas, settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    roster_import = roster_import_start(actor=personas.employer_admin, employer=personas.employer,
                                        upload=upload(xlsx_bytes(table(person(1), person(2)))))
    entry = ModelLogEntry.objects.get(action="orgs.roster.check", object_id=str(roster_import.pk))
    assert entry.user == personas.employer_admin
    assert entry.data["outside_roster"] == 2


@override_settings(ROSTER_CHECKS_PER_HOUR=3)
def test_it_rate_limits_roster_checks(personas: Personas, settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    for number in range(3):
        roster_import_start(actor=personas.employer_admin, employer=personas.employer,
                            upload=upload(xlsx_bytes(table(person(number, id_number=make_id(number))))))
    with pytest.raises(RosterUploadError, match="过多"):
        roster_import_start(actor=personas.employer_admin, employer=personas.employer,
                            upload=upload(xlsx_bytes(table(person(9)))))
    assert RosterImport.objects.filter(employer=personas.employer).count() == 3
