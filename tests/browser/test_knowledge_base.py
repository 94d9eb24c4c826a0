"""A worker on a 360 px phone: opens the knowledge base, filters by a hazard, reads an article, searches."""

from __future__ import annotations

from typing import Any

import pytest

from cms.demo import cover_image
from cms.models import KnowledgeIndexPage
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.knowledge import ArticleMaker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LONG_LINE = "工作场所噪声危害" * 40  # one long line with no spaces: it must wrap, not widen the page


def _articles(make_article: ArticleMaker) -> None:
    make_article("防尘口罩怎么选", hazards=("dust",), factors=("煤尘",), cover=cover_image("dust"),
                 body="矿山井下粉尘浓度高，选择防尘口罩要做密合性检查。")
    make_article("噪声与听力保护", hazards=("physical",), factors=("噪声",), cover=cover_image("physical"),
                 tags=("耳塞",), blocks=[
                     {"type": "paragraph", "value": f"<h2>噪声的危害</h2><p>{LONG_LINE}</p>"},
                     {"type": "callout", "value": {"kind": "tip", "title": "小窍门", "text": "<p>耳塞要搓细后塞入耳道。</p>"}},
                     {"type": "key_points", "value": {"title": "要点", "points": ["戴耳塞", "定期体检", "离岗时体检"]}},
                     {"type": "faq", "value": {"title": "常见问题", "items": [
                         {"question": "耳塞多久换一次？", "answer": "<p>按产品说明更换，脏了随时换。</p>"}]}},
                 ])
    make_article("高温作业防中暑", hazards=("physical",), factors=("高温",), cover=cover_image("physical"),
                 body="高温天气要多喝淡盐水。")


def test_it_filters_by_hazard_and_reads_an_article_on_a_phone(live_server: Any, make_article: ArticleMaker,
                                                             kb_index: KnowledgeIndexPage, phone_page: Any) -> None:
    _articles(make_article)
    page = phone_page
    page.goto(live_server.url + kb_index.url)
    assert_no_horizontal_scroll(page)
    page.get_by_test_id("hazard-chips").get_by_role("link", name="物理因素").click()
    page.wait_for_url("**?hazard=physical")
    listed = page.get_by_test_id("article-list")
    assert listed.get_by_text("噪声与听力保护", exact=True).is_visible()
    assert listed.get_by_text("防尘口罩怎么选", exact=True).count() == 0
    assert_no_horizontal_scroll(page)
    listed.get_by_text("噪声与听力保护", exact=True).click()
    page.wait_for_url("**/kb/article-2/")
    article = page.get_by_test_id("article")
    assert article.get_by_role("heading", level=1).inner_text() == "噪声与听力保护"
    assert "阅读约" in page.get_by_test_id("reading-time").inner_text()
    page.get_by_text("耳塞多久换一次？").click()
    assert page.get_by_text("按产品说明更换").is_visible()
    assert page.get_by_test_id("related").get_by_text("高温作业防中暑", exact=True).is_visible()
    # The cover comes as WebP at a phone-sized width.
    cover = page.locator("figure.cover img")
    assert "webp" in page.evaluate("img => img.currentSrc", cover.element_handle())
    assert page.evaluate("img => img.naturalWidth", cover.element_handle()) <= 1080
    page.get_by_text("二维码（可打印张贴）").click()
    page.wait_for_function("() => document.querySelector('[data-testid=qr]').naturalWidth > 0")
    assert_no_horizontal_scroll(page)


def test_it_searches_a_word_inside_the_text_on_a_phone(live_server: Any, make_article: ArticleMaker,
                                                      kb_index: KnowledgeIndexPage, phone_page: Any) -> None:
    _articles(make_article)
    page = phone_page
    page.goto(live_server.url + kb_index.url)
    page.get_by_label("搜索知识库").fill("密合")
    page.get_by_label("搜索知识库").press("Enter")
    page.wait_for_url("**/search/?q=*")
    results = page.get_by_test_id("search-results")
    assert results.get_by_role("link", name="防尘口罩怎么选").is_visible()
    assert results.locator("mark").first.inner_text() == "密合"
    assert_no_horizontal_scroll(page)
