"""Search costs the same number of queries for 3 hits as for 30: nothing is looked up per result
(cover, rendition, specific page, address, tags)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cms.demo import cover_image
from cms.models import KnowledgeIndexPage
from tests.knowledge import ArticleMaker

pytestmark = pytest.mark.django_db

HAZARDS = ("dust", "chemical", "physical")


def _add(make_article: ArticleMaker, start: int, stop: int) -> None:
    for number in range(start, stop):
        hazard = HAZARDS[number % len(HAZARDS)]
        make_article(f"噪声防护第{number}篇", body="接触噪声的岗位要戴耳塞。", hazards=(hazard,), factors=("噪声",),
                     dimensions=("protection_skills",), audiences=("worker",), tags=(f"标签{number}",),
                     cover=cover_image(hazard))


def _queries(client: Client, address: str, params: dict[str, str]) -> list[str]:
    client.get(address, params)  # renditions are made on the first request, then stored
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address, params)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_search_queries_do_not_grow_with_the_hits(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    addresses = [(kb_index.url + "search/", {"q": "噪声"}), ("/api/v1/articles/", {"q": "噪声"}),
                 ("/api/v1/articles/", {})]
    _add(make_article, 0, 3)
    client = Client()
    few = {address + str(params): _queries(client, address, params) for address, params in addresses}
    _add(make_article, 3, 30)
    assert client.get("/api/v1/articles/", {"q": "噪声"}).json()["count"] == 30
    for address, params in addresses:
        many = _queries(client, address, params)
        small = few[address + str(params)]
        assert len(many) <= len(small), (address, params, many[len(small):])
