"""zh-hans unless chosen: a phone set to English still gets the Chinese site until the switch."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_ignores_the_browsers_accept_language() -> None:
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.content.decode()


def test_it_follows_the_language_switch() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()
