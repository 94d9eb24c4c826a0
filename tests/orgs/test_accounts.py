"""Phone login, first-time activation and lockout after repeated failures (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from orgs.services import AccountError, worker_account_activate
from tests.conftest import PASSWORD, Personas
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db


def test_it_logs_a_worker_in_with_the_phone_number(personas: Personas) -> None:
    client = personas.client(None)
    response = client.post(reverse("login"), {"username": "138 0000 0001", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert "接下来要做的事" in home.content.decode()
    assert personas.worker.employer.name in home.content.decode()


def test_it_activates_an_imported_worker(db: None) -> None:
    worker = WorkerFactory()
    worker.user.set_unusable_password()
    worker.user.save()
    client = Client()
    response = client.post(reverse("activate"), {"phone": worker.phone, "id_number": worker.id_number.lower(),
                                                 "password1": "Strong-pass-2025", "password2": "Strong-pass-2025"})
    assert response.status_code == 302
    worker.user.refresh_from_db()
    assert worker.user.check_password("Strong-pass-2025")


def test_it_refuses_activation_with_the_wrong_id_number(db: None) -> None:
    worker = WorkerFactory()
    worker.user.set_unusable_password()
    worker.user.save()
    other = WorkerFactory()
    with pytest.raises(AccountError, match="不匹配"):
        worker_account_activate(phone=worker.phone, id_number=other.id_number, password="Strong-pass-2025")


def test_it_refuses_to_activate_twice(personas: Personas) -> None:
    with pytest.raises(AccountError, match="已激活"):
        worker_account_activate(phone=personas.worker.phone, id_number=personas.worker.id_number,
                                password="Another-pass-2025")


def test_it_says_what_is_wrong_with_the_activation_form(db: None) -> None:
    response = Client().post(reverse("activate"), {"phone": "123", "id_number": "1234",
                                                   "password1": "a", "password2": "b"})
    assert response.status_code == 200
    assert "两次输入的密码不一致" in response.content.decode()


def test_it_locks_the_login_after_repeated_failures(personas: Personas) -> None:
    client = personas.client(None)
    for _ in range(5):
        client.post(reverse("login"), {"username": "13800000001", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
