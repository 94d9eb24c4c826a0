"""The admin's list of articles: tag filters, Chinese search that includes drafts, editorial roles only."""

from __future__ import annotations

import pytest

from tests.conftest import Personas
from tests.knowledge import ArticleMaker

pytestmark = pytest.mark.django_db
LIST = "/admin/articles/"


def _rows(html: str, *titles: str) -> list[str]:
    return [title for title in titles if title in html]


def test_editors_and_reviewers_list_articles_filtered_by_tags(make_article: ArticleMaker, personas: Personas) -> None:
    make_article("防尘口罩怎么选", hazards=("dust",), dimensions=("protection_skills",))
    make_article("主要负责人的培训义务", dimensions=("law",), audiences=("principal",))
    for user in (personas.editor, personas.reviewer):
        client = personas.client(user)
        assert _rows(client.get(LIST).content.decode(), "防尘口罩怎么选", "主要负责人的培训义务") == [
            "防尘口罩怎么选", "主要负责人的培训义务"]
        filtered = client.get(LIST, {"hazard_classes": "dust"}).content.decode()
        assert _rows(filtered, "防尘口罩怎么选", "主要负责人的培训义务") == ["防尘口罩怎么选"]
        by_dimension = client.get(LIST, {"dimensions": "law"}).content.decode()
        assert _rows(by_dimension, "防尘口罩怎么选", "主要负责人的培训义务") == ["主要负责人的培训义务"]


def test_the_admin_search_finds_a_word_inside_a_draft(make_article: ArticleMaker, personas: Personas) -> None:
    make_article("车间里的声音", body="长期在工作场所噪声危害严重的岗位工作。", publish=False)
    make_article("粉尘的危害", body="矿山井下粉尘浓度高。")
    html = personas.client(personas.editor).get(LIST, {"q": "噪声"}).content.decode()
    assert _rows(html, "车间里的声音", "粉尘的危害") == ["车间里的声音"]
    longer = personas.client(personas.editor).get(LIST, {"q": "工作场所噪声"}).content.decode()
    assert _rows(longer, "车间里的声音", "粉尘的危害") == ["车间里的声音"]


def test_nobody_else_reaches_the_article_list(make_article: ArticleMaker, personas: Personas) -> None:
    make_article("防尘口罩怎么选")
    for user in (None, personas.worker_user, personas.employer_admin, personas.evaluator, personas.outsider):
        response = personas.client(user).get(LIST)
        assert response.status_code in (302, 403), user
        assert "防尘口罩怎么选" not in response.content.decode()
