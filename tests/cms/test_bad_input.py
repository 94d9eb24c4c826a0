"""Bad query parameters on the knowledge base answer like any wrong address (404), never a 500.

PostgreSQL refuses a NUL byte anywhere in a query (SQLite stores it), so these tests matter on the
PostgreSQL pass; ``str.isdigit`` accepts ², ① and ᧚, which ``int`` then refuses, on both.
"""

from __future__ import annotations

import pytest
from django.test import Client

from cms.models import KnowledgeIndexPage
from orgs.models import HazardFactor
from tests.knowledge import ArticleMaker

pytestmark = pytest.mark.django_db

NON_ASCII_DIGITS = ["²", "¹", "①", "᧚", "١", "３", "1²"]
FILTERS = ["hazard", "factor", "industry", "audience", "dimension", "tag"]


@pytest.fixture
def article(make_article: ArticleMaker) -> None:
    make_article("车间里的声音", body="工作场所噪声危害严重的岗位。", hazards=("physical",), factors=("噪声",),
                 dimensions=("protection_skills",), audiences=("worker",), tags=("耳塞",))


def _addresses(kb_index: KnowledgeIndexPage) -> list[tuple[str, dict[str, str]]]:
    """The listing, the search page and the API, each with the parameters it needs to run a query."""
    return [(kb_index.url, {}), (kb_index.url + "search/", {"q": "噪声"}), ("/api/v1/articles/", {}),
            ("/api/v1/articles/", {"q": "噪声"})]


def test_a_factor_in_other_digits_is_unknown(article: None, kb_index: KnowledgeIndexPage) -> None:
    for digits in NON_ASCII_DIGITS:
        for address, params in _addresses(kb_index):
            response = Client().get(address, {**params, "factor": digits})
            assert response.status_code == 404, (address, digits)


@pytest.mark.parametrize("name", FILTERS)
def test_a_filter_with_a_nul_or_control_character_is_unknown(article: None, kb_index: KnowledgeIndexPage,
                                                             name: str) -> None:
    for junk in ["\x00", "physical\x00", "\x00dust", "噪\x01声", "x" * 5000]:
        for address, params in _addresses(kb_index):
            response = Client().get(address, {**params, name: junk})
            assert response.status_code == 404, (address, name, junk)


def test_a_page_number_that_is_not_one_is_unknown(article: None, kb_index: KnowledgeIndexPage) -> None:
    for page in ["\x00", "1\x00", "²", "①", "-1", "0", "99999999999999999999999"]:
        for address, params in _addresses(kb_index):
            assert Client().get(address, {**params, "page": page}).status_code == 404, (address, page)


def test_a_nul_in_the_query_searches_what_is_around_it(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    make_article("车间里的噪声", body="工作场所噪声危害。")
    # Has 噪 and 声 but never side by side: found only if the NUL split the query in two words.
    make_article("噪音和声音", body="别的内容。")
    html = Client().get(kb_index.url + "search/", {"q": "噪\x00声"}).content.decode()
    assert "车间里的<mark>噪声</mark>" in html and "噪音和声音" not in html
    data = Client().get("/api/v1/articles/", {"q": "噪\x00声"}).json()
    assert [article["title"] for article in data["results"]] == ["车间里的噪声"]


def test_a_query_of_only_control_characters_is_an_empty_search(article: None, kb_index: KnowledgeIndexPage) -> None:
    response = Client().get(kb_index.url + "search/", {"q": "\x00\x01\x7f"})
    assert response.status_code == 200 and "输入想了解的内容" in response.content.decode()
    assert Client().get("/api/v1/articles/", {"q": "\x00"}).json()["count"] == 1


def test_good_filters_still_work_after_the_checks(article: None, kb_index: KnowledgeIndexPage) -> None:
    noise = HazardFactor.objects.get(name="噪声")
    good = {"hazard": "physical", "factor": str(noise.pk), "audience": "worker", "dimension": "protection_skills",
            "tag": "耳塞"}
    for address, params in _addresses(kb_index):
        response = Client().get(address, {**params, **good})
        assert response.status_code == 200, address
        assert "车间里的" in response.content.decode(), address
