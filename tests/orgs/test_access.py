"""Every owned URL and API route, for every persona: outsiders 404, read-only roles 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.masking import id_number_mask, phone_mask
from core.scope import scope_for
from orgs.models import Employer
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def employer_urls(code: str) -> dict[str, str]:
    return {
        "roster": reverse("orgs:roster", args=[code]),
        "template": reverse("orgs:roster_template", args=[code]),
        "export": reverse("orgs:roster_export", args=[code]),
        "import": reverse("orgs:roster_import", args=[code]),
        "api_workers": reverse("api-employer-workers", args=[code]),
    }


def test_it_gives_the_employer_admin_every_roster_route(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    for name, url in employer_urls(personas.employer.code).items():
        assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("persona", ["outsider", "worker_user", "editor"])
def test_it_hides_the_employer_from_everyone_else(personas: Personas, persona: str) -> None:
    client = personas.client(getattr(personas, persona))
    for name, url in employer_urls(personas.employer.code).items():
        assert client.get(url).status_code == 404, (persona, name)


def test_it_sends_anonymous_visitors_to_login(personas: Personas) -> None:
    client = personas.client(None)
    response = client.get(reverse("orgs:roster", args=[personas.employer.code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("api-employer-workers", args=[personas.employer.code])).status_code == 403


def test_it_lets_the_evaluator_read_but_not_write(personas: Personas) -> None:
    client = personas.client(personas.evaluator)
    urls = employer_urls(personas.employer.code)
    page = client.get(urls["roster"])
    assert page.status_code == 200
    assert personas.worker.id_number not in page.content.decode()
    assert id_number_mask(personas.worker.id_number) in page.content.decode()
    for name in ("template", "export", "import"):
        assert client.get(urls[name]).status_code == 403, name
    assert personas.worker.phone not in page.content.decode()
    assert phone_mask(personas.worker.phone) in page.content.decode()
    api = client.get(urls["api_workers"]).json()
    assert api["results"][0]["id_number"] == id_number_mask(personas.worker.id_number)
    assert api["results"][0]["phone"] == phone_mask(personas.worker.phone)


def test_it_keeps_the_evaluator_inside_their_region(personas: Personas) -> None:
    client = personas.client(personas.evaluator)
    assert client.get(reverse("orgs:roster", args=[personas.other_employer.code])).status_code == 404
    assert list(scope_for(personas.evaluator).filter(Employer.objects.all())) == [personas.employer]


def test_it_shows_the_admin_full_id_numbers(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    page = client.get(reverse("orgs:roster", args=[personas.employer.code]))
    assert personas.worker.id_number in page.content.decode()


def test_it_lets_a_worker_read_only_their_own_record(personas: Personas) -> None:
    client = personas.client(personas.worker_user)
    assert client.get(reverse("orgs:worker", args=[personas.worker.code])).status_code == 200
    assert client.get(reverse("orgs:worker", args=[personas.other_worker.code])).status_code == 404
    status_url = reverse("orgs:worker_status", args=[personas.worker.code])
    assert client.post(status_url, {"action": "deactivate"}).status_code == 403


def test_it_hides_other_employers_workers_from_the_outsider(personas: Personas) -> None:
    client = personas.client(personas.outsider)
    assert client.get(reverse("orgs:worker", args=[personas.worker.code])).status_code == 404
    status_url = reverse("orgs:worker_status", args=[personas.worker.code])
    assert client.post(status_url, {"action": "deactivate"}).status_code == 404
    personas.worker.refresh_from_db()
    assert personas.worker.is_active


def test_it_lets_the_admin_mark_a_worker_as_departed(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    client.post(reverse("orgs:worker_status", args=[personas.worker.code]), {"action": "deactivate"})
    personas.worker.refresh_from_db()
    personas.worker.user.refresh_from_db()
    assert not personas.worker.is_active
    assert not personas.worker.user.is_active


def test_it_opens_the_region_page_to_evaluators_only(personas: Personas) -> None:
    assert personas.client(personas.evaluator).get(reverse("orgs:region")).status_code == 200
    for persona in (personas.outsider, personas.worker_user, personas.employer_admin):
        assert personas.client(persona).get(reverse("orgs:region")).status_code == 404


def roles_of(user: object) -> set[str]:
    return set(scope_for(user).roles)


def test_it_names_each_personas_roles(personas: Personas) -> None:
    assert roles_of(personas.worker_user) == {"worker"}
    assert roles_of(personas.employer_admin) == {"employer_admin"}
    assert roles_of(personas.evaluator) == {"evaluator"}
    assert roles_of(personas.editor) == {"editor"}
    assert "superuser" in roles_of(personas.superuser)


def test_it_gives_the_superuser_everything(personas: Personas) -> None:
    client = personas.client(personas.superuser)
    for name, url in employer_urls(personas.other_employer.code).items():
        assert client.get(url).status_code == 200, name


def test_it_lets_editors_into_wagtail_admin_and_keeps_workers_out(personas: Personas) -> None:
    assert personas.client(personas.editor).get("/admin/").status_code == 200
    response = personas.client(personas.worker_user).get("/admin/")
    assert response.status_code == 302
    assert personas.client(personas.outsider).get("/admin/").status_code == 302


def test_it_answers_unknown_codes_with_a_plain_404(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    assert client.get("/employer/not-a-code/").status_code == 404
    assert client.get("/workers/%3Cscript%3E/").status_code == 404
