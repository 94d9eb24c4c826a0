"""The Wagtail admin writes through the services: an employer's credit code is checked there, and
background jobs are read-only."""

from __future__ import annotations

import pytest
from wagtail.models import ModelLogEntry

from orgs.idnumbers import uscc_make
from orgs.models import Employer, RosterImport
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def _form(credit_code: str, name: str = "徐州新建材有限公司") -> dict[str, str]:
    return {"name": name, "credit_code": credit_code, "region": "320303", "industry": "30", "size_class": "small",
            "address": "", "contact_phone": "", "is_active": "on"}


def test_it_refuses_a_bad_credit_code_with_the_services_message(personas: Personas) -> None:
    client = personas.client(personas.superuser)
    good = uscc_make("91", "320303", "MA1234567")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post("/admin/employer/new/", _form(bad))
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert not Employer.objects.filter(credit_code=bad).exists()


def test_it_creates_and_edits_an_employer_through_the_service(personas: Personas) -> None:
    client = personas.client(personas.superuser)
    code = uscc_make("91", "320303", "MA7654321")
    response = client.post("/admin/employer/new/", _form(code.lower()))
    assert response.status_code == 302, response.content.decode()[:2000]
    employer = Employer.objects.get(credit_code=code)  # cleaned by the service
    entry = ModelLogEntry.objects.get(action="orgs.employer.create", object_id=str(employer.pk))
    assert entry.user == personas.superuser
    response = client.post(f"/admin/employer/edit/{employer.pk}/", _form(code, name="徐州新建材股份有限公司"))
    assert response.status_code == 302
    employer.refresh_from_db()
    assert employer.name == "徐州新建材股份有限公司"
    assert ModelLogEntry.objects.filter(action="orgs.employer.edit", object_id=str(employer.pk),
                                        user=personas.superuser).exists()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client.post(f"/admin/employer/edit/{employer.pk}/", _form(bad))
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    employer.refresh_from_db()
    assert employer.credit_code == code


def test_it_keeps_roster_imports_read_only_in_the_admin(personas: Personas) -> None:
    roster_import = RosterImport.objects.create(employer=personas.employer, created_by=personas.employer_admin,
                                                original_name="x.xlsx", status=RosterImport.Status.IMPORTED)
    client = personas.client(personas.superuser)
    assert client.get("/admin/rosterimport/").status_code == 200
    assert client.get(f"/admin/rosterimport/inspect/{roster_import.pk}/").status_code == 200
    response = client.post(f"/admin/rosterimport/edit/{roster_import.pk}/", {"status": "checked"})
    assert response.status_code in (302, 403, 404)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert client.get("/admin/rosterimport/new/").status_code in (302, 403, 404)
