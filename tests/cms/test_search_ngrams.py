"""The n-gram cutting behind Chinese search, and the highlighter."""

from __future__ import annotations

import pytest

from cms.search import MAX_QUERY_CHARS, highlight, index_tokens, query_terms, query_tokens


def test_it_indexes_every_character_and_every_neighbouring_pair() -> None:
    assert index_tokens("噪声危害").split() == ["噪", "声", "危", "害", "噪声", "声危", "危害"]


def test_it_keeps_latin_words_and_digits_whole_and_lowercase() -> None:
    assert index_tokens("PM2.5 与 CO 浓度").split() == ["pm2", "5", "与", "co", "浓", "度", "浓度"]


def test_it_folds_full_width_letters_as_phones_type_them() -> None:
    assert index_tokens("ＫＮ９５口罩").split()[:1] == ["kn95"]


def test_it_drops_punctuation_and_operators_from_queries() -> None:
    assert query_tokens("噪声 OR 1=1; DROP TABLE --") == ["噪声", "or", "1", "drop", "table"]
    assert query_tokens("'\"()*:&|!<>") == []


def test_a_longer_word_needs_all_of_its_pairs() -> None:
    assert query_tokens("防尘口罩") == ["防尘", "尘口", "口罩"]
    assert query_tokens("苯") == ["苯"]


def test_it_cuts_very_long_queries() -> None:
    assert len("".join(query_terms("尘" * 10_000))) == MAX_QUERY_CHARS


def test_it_marks_every_occurrence_and_escapes_the_rest() -> None:
    assert highlight("<b>噪声</b>和噪声", ["噪声"]) == "&lt;b&gt;<mark>噪声</mark>&lt;/b&gt;和<mark>噪声</mark>"


def test_it_prefers_the_longest_term_where_terms_overlap() -> None:
    assert highlight("防尘口罩", ["防尘", "防尘口罩"]) == "<mark>防尘口罩</mark>"


def test_it_cuts_an_excerpt_around_the_first_match() -> None:
    text = "甲" * 200 + "听力" + "乙" * 200
    excerpt = highlight(text, ["听力"], limit=40)
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert "<mark>听力</mark>" in excerpt
    assert len(excerpt.replace("<mark>", "").replace("</mark>", "")) == 42


@pytest.mark.django_db
def test_postgresql_searches_through_the_expression_index() -> None:
    from django.db import connection

    from cms.selectors import IndexedSearch, articles_in, search_articles

    engine = search_articles(articles_in(None), "噪声")
    assert isinstance(engine, IndexedSearch) == (connection.vendor == "postgresql")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'cms_search_document_gin'")
            assert cursor.fetchone() is not None
