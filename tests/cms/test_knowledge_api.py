"""The public knowledge-base API: same filters, search and 404s as the pages; drafts never leak."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Personas
from tests.knowledge import ArticleMaker

pytestmark = pytest.mark.django_db


def test_it_lists_published_articles_with_their_tags(make_article: ArticleMaker) -> None:
    make_article("耳塞怎么戴", factors=("噪声",), hazards=("physical",), dimensions=("protection_skills",),
                 audiences=("worker",), tags=("耳塞",))
    make_article("草稿", publish=False)
    data = Client().get("/api/v1/articles/").json()
    assert data["count"] == 1
    article = data["results"][0]
    assert article["title"] == "耳塞怎么戴"
    assert article["hazard_factors"] == ["噪声"] and article["hazard_classes"] == ["physical"]
    assert article["dimensions"] == ["protection_skills"] and article["audiences"] == ["worker"]
    assert article["tags"] == ["耳塞"]
    assert article["url"].endswith("/kb/article-1/")
    assert article["highlight"] is None
    assert "id" not in article


def test_it_searches_and_highlights(make_article: ArticleMaker) -> None:
    make_article("车间里的声音", body="工作场所噪声危害严重的岗位。", hazards=("physical",))
    make_article("粉尘的危害", body="矿山井下粉尘浓度高。", hazards=("dust",))
    data = Client().get("/api/v1/articles/", {"q": "噪声"}).json()
    assert [article["title"] for article in data["results"]] == ["车间里的声音"]
    assert "<mark>噪声</mark>" in data["results"][0]["highlight"]["excerpt"]
    assert Client().get("/api/v1/articles/", {"q": "噪声", "hazard": "dust"}).json()["count"] == 0


@pytest.mark.parametrize("params", [{"hazard": "nope"}, {"factor": "x"}, {"page": "99"}])
def test_unknown_filters_and_pages_are_404(make_article: ArticleMaker, params: dict[str, str]) -> None:
    make_article("粉尘的危害")
    assert Client().get("/api/v1/articles/", params).status_code == 404


def test_every_role_sees_the_same_published_articles_and_no_draft(make_article: ArticleMaker, personas: Personas) -> None:
    make_article("粉尘的危害")
    make_article("草稿", publish=False)
    for user in (None, personas.worker_user, personas.employer_admin, personas.evaluator, personas.editor,
                 personas.reviewer, personas.outsider):
        titles = [article["title"] for article in personas.client(user).get("/api/v1/articles/").json()["results"]]
        assert titles == ["粉尘的危害"], user


def test_the_schema_documents_the_articles_route() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/articles/" in schema and "dimension" in schema
