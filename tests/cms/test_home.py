"""The home page: honest next steps for signed-in people, a cached page for anonymous visitors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from tests.conftest import Personas
from tests.knowledge import ArticleMaker

pytestmark = pytest.mark.django_db


def test_it_serves_anonymous_visitors_from_the_cache_without_a_cookie() -> None:
    client = Client()
    first = client.get("/")
    assert first.status_code == 200
    assert "首次使用：激活账号" in first.content.decode()
    assert "csrftoken" not in first.cookies
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/")
    assert second.content == first.content
    assert len(queries) == 0


def test_it_forgets_the_cached_page_when_the_home_page_is_published() -> None:
    client = Client()
    client.get("/")
    home = Page.objects.get(depth=2).specific
    home.intro = "新的平台简介"
    home.save_revision().publish()
    assert "新的平台简介" in client.get("/").content.decode()


def test_it_never_serves_a_cached_page_to_a_signed_in_worker(personas: Personas) -> None:
    Client().get("/")
    page = personas.client(personas.worker_user).get("/").content.decode()
    assert "您好，王工" in page
    assert "首次使用：激活账号" not in page


def test_it_tells_an_employer_admin_where_the_roster_is(personas: Personas) -> None:
    page = personas.client(personas.employer_admin).get("/").content.decode()
    assert personas.employer.name in page
    assert f"/employer/{personas.employer.code}/" in page
    assert "花名册还是空的" not in page  # the employer has a worker


def test_it_is_honest_with_a_user_without_a_role(personas: Personas) -> None:
    page = personas.client(personas.outsider.__class__.objects.create(username="nobody")).get("/")
    assert "还没有分配角色" in page.content.decode()


def test_it_switches_language_with_a_plain_link() -> None:
    client = Client()
    response = client.get("/i18n/choose/en/?next=/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert '<html lang="en">' in client.get("/").content.decode()
    assert '<html lang="zh-hans">' in Client().get("/").content.decode()


def test_it_refuses_to_redirect_the_language_switch_elsewhere() -> None:
    response = Client().get("/i18n/choose/en/?next=https://evil.example/")
    assert response["Location"] == "/"
    assert Client().get("/i18n/choose/xx/").status_code == 302


def test_it_leads_everyone_to_the_knowledge_base(make_article: ArticleMaker, personas: Personas) -> None:
    make_article("耳塞怎么戴")
    for client in (Client(), personas.client(personas.worker_user)):
        page = client.get("/").content.decode()
        assert "职业健康科普知识库" in page and "耳塞怎么戴" in page and 'href="/kb/"' in page
