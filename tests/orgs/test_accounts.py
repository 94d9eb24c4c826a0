"""Phone login, first-time activation and lockout after repeated failures (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Personas
from tests.factories import UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def test_it_logs_a_worker_in_with_the_phone_number(personas: Personas) -> None:
    client = personas.client(None)
    response = client.post(reverse("login"), {"username": "138 0000 0001", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert "接下来要做的事" in home.content.decode()
    assert personas.worker.employer.name in home.content.decode()


def test_it_says_what_is_wrong_with_the_activation_form(db: None) -> None:
    response = Client().post(reverse("activate"), {"phone": "123", "code": "1234",
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


# A worker with a usable password rather than one activated through the form: activation is being
# redesigned, and these tests are about how the login form reads the username.
@pytest.mark.parametrize("typed", ["+86 139 0000 0123", "86-139-0000-0123", "+86 (139) 0000-0123",
                                   "（139）0000 0123", "１３９ ００００ ０１２３", "＋８６１３９００００01２３"])
def test_it_logs_a_worker_in_with_the_phone_written_as_the_roster_accepts_it(db: None, typed: str) -> None:
    worker = WorkerFactory(phone="13900000123")
    client = Client()
    response = client.post(reverse("login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(worker.user.pk)


@pytest.mark.parametrize("username", ["2024-01", "zhang-86", "139-team"])
def test_it_leaves_a_staff_username_that_is_not_a_phone_alone(db: None, username: str) -> None:
    staff = UserFactory(username=username)
    client = Client()
    response = client.post(reverse("login"), {"username": f" {username} ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_it_counts_failures_under_every_spelling_of_a_phone_together(db: None) -> None:
    WorkerFactory(phone="13900000123")
    client = Client()
    for typed in ["+86 139 0000 0123", "86-139-0000-0123", "（139）0000 0123", "１３９００００0123", "13900000123"]:
        client.post(reverse("login"), {"username": typed, "password": "wrong"})
    response = client.post(reverse("login"), {"username": "13900000123", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
