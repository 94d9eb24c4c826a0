"""Recall of Chinese search over the demo knowledge base (cms/demo/articles.json).

The query set (tests/cms/search_queries.json) holds words found inside running text, not in titles:
exactly what a search without Chinese segmentation misses. Runs on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cms.demo import seed_knowledge_base
from cms.models import KnowledgeIndexPage
from cms.selectors import RERANK_WINDOW, article_filters, knowledge_search, ranked_search

pytestmark = pytest.mark.django_db
QUERIES = json.loads((Path(__file__).parent / "search_queries.json").read_text(encoding="utf-8"))


def test_the_query_set_is_large_and_mostly_words_inside_text() -> None:
    two_character = [case for case in QUERIES if len(case["query"]) == 2]
    assert len(QUERIES) >= 30
    assert len(two_character) >= 30
    assert len({case["expect"] for case in QUERIES}) >= 20


def test_every_query_finds_its_article_and_marks_the_match() -> None:
    seed_knowledge_base()
    index = KnowledgeIndexPage.objects.get()
    misses = []
    for case in QUERIES:
        slugs = [article.slug for article in ranked_search(index, case["query"], article_filters({}))[:RERANK_WINDOW]]
        if case["expect"] not in slugs:
            misses.append((case["query"], case["expect"], slugs[:5]))
    assert misses == []
    for case in QUERIES[:12]:
        results = knowledge_search(index, {"q": case["query"]})
        assert all("<mark>" in hit.title_html + hit.excerpt_html for hit in results.hits), case
    # The demo command may run again: nothing is added twice.
    assert seed_knowledge_base()["articles_created"] == 0
