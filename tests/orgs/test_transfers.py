"""Transfers: the worker is told and decides on their own phone; nobody else can decide for them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Notification
from orgs.models import Transfer, Worker
from orgs.services import roster_rows_import, worker_set_active
from tests.conftest import Personas
from tests.orgs.rosterfiles import COLUMNS_BY_POSITION, person

pytestmark = pytest.mark.django_db


def _list_elsewhere(personas: Personas) -> Transfer:
    worker = personas.worker
    for _ in range(2):  # a second upload of the same file asks once
        roster_rows_import(actor=personas.outsider, employer=personas.other_employer, columns=COLUMNS_BY_POSITION,
                           rows=[(2, person(1, id_number=worker.id_number, phone=worker.phone))])
    return Transfer.objects.get(worker=worker, status=Transfer.Status.PENDING)


def test_it_tells_the_worker_once_and_shows_the_step_at_home(personas: Personas) -> None:
    transfer = _list_elsewhere(personas)
    assert Notification.objects.filter(recipient=personas.worker_user).count() == 1
    home = personas.client(personas.worker_user).get("/").content.decode()
    assert reverse("orgs:transfer", args=[transfer.code]) in home


def test_only_the_worker_can_decide(personas: Personas) -> None:
    transfer = _list_elsewhere(personas)
    url = reverse("orgs:transfer", args=[transfer.code])
    for user in (personas.outsider, personas.employer_admin, personas.evaluator, personas.superuser,
                 personas.other_worker.user):
        client = personas.client(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "confirm"}).status_code == 404
    assert Worker.objects.get(pk=personas.worker.pk).employer == personas.employer
    response = personas.client(personas.worker_user).post(url, {"action": "decline"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DECLINED
    assert personas.client(personas.worker_user).get(url).status_code == 404


def test_the_former_employer_releasing_the_worker_completes_the_move(personas: Personas) -> None:
    _list_elsewhere(personas)
    worker_set_active(actor=personas.employer_admin, worker=personas.worker, active=False)
    worker = Worker.objects.select_related("user").get(pk=personas.worker.pk)
    assert worker.employer == personas.other_employer
    assert worker.is_active and worker.user.is_active
