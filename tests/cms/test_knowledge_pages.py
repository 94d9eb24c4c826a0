"""The knowledge base as readers see it: listing with filters, search, article pages, bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cms.models import ArticlePage, KnowledgeIndexPage
from orgs.models import HazardFactor
from tests.conftest import Personas
from tests.knowledge import ArticleMaker

pytestmark = pytest.mark.django_db


def _titles(html: str) -> list[str]:
    return re.findall(r'<li class="article-card"><a href="[^"]+">(?:<img[^>]*>)?<span class="article-card-text"><b>([^<]+)</b>',
                      html)


def test_it_lists_published_articles_newest_first_and_hides_drafts(make_article: ArticleMaker,
                                                                   kb_index: KnowledgeIndexPage) -> None:
    make_article("粉尘的危害")
    make_article("噪声与听力")
    make_article("还在写的草稿", publish=False)
    html = Client().get(kb_index.url).content.decode()
    assert _titles(html) == ["噪声与听力", "粉尘的危害"]


def test_it_filters_by_hazard_class_including_articles_tagged_only_with_a_factor(
        make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    make_article("防尘口罩", hazards=("dust",))
    make_article("煤矿井下", factors=("煤尘",))
    make_article("噪声与听力", hazards=("physical",), factors=("噪声",))
    html = Client().get(kb_index.url, {"hazard": "dust"}).content.decode()
    assert sorted(_titles(html)) == ["煤矿井下", "防尘口罩"]
    assert 'class="chip on"' in html and "清除筛选" in html


def test_it_filters_by_factor_dimension_audience_and_tag(make_article: ArticleMaker,
                                                          kb_index: KnowledgeIndexPage) -> None:
    make_article("耳塞怎么戴", factors=("噪声",), dimensions=("protection_skills",), audiences=("worker",), tags=("耳塞",))
    make_article("主要负责人的培训义务", dimensions=("law",), audiences=("principal",))
    client = Client()
    noise = HazardFactor.objects.get(name="噪声")
    assert _titles(client.get(kb_index.url, {"factor": noise.pk}).content.decode()) == ["耳塞怎么戴"]
    assert _titles(client.get(kb_index.url, {"dimension": "law"}).content.decode()) == ["主要负责人的培训义务"]
    assert _titles(client.get(kb_index.url, {"audience": "worker"}).content.decode()) == ["耳塞怎么戴"]
    assert _titles(client.get(kb_index.url, {"tag": "耳塞"}).content.decode()) == ["耳塞怎么戴"]
    both = client.get(kb_index.url, {"dimension": "law", "audience": "worker"}).content.decode()
    assert _titles(both) == [] and "没有符合条件的文章" in both


def test_it_paginates_and_keeps_the_filter_in_page_links(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    for number in range(12):
        make_article(f"粉尘知识第{number}篇", hazards=("dust",))
    client = Client()
    first = client.get(kb_index.url, {"hazard": "dust"}).content.decode()
    assert len(_titles(first)) == 10
    assert "?hazard=dust&amp;page=2" in first
    second = client.get(kb_index.url, {"hazard": "dust", "page": "2"}).content.decode()
    assert len(_titles(second)) == 2


@pytest.mark.parametrize("params", [
    {"hazard": "nope"}, {"factor": "abc"}, {"factor": "99999999"}, {"industry": "Z"}, {"industry": "0610"},
    {"audience": "alien"}, {"dimension": "x"}, {"tag": "没有这个标签"}, {"page": "abc"}, {"page": "0"}, {"page": "99"},
])
def test_it_answers_an_unknown_filter_or_page_with_a_normal_404(make_article: ArticleMaker,
                                                                 kb_index: KnowledgeIndexPage,
                                                                 params: dict[str, str]) -> None:
    make_article("粉尘的危害")
    response = Client().get(kb_index.url, params)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() or "找不到" in response.content.decode()


def test_it_answers_unknown_pages_under_the_knowledge_base_with_404(make_article: ArticleMaker,
                                                                     kb_index: KnowledgeIndexPage) -> None:
    article = make_article("粉尘的危害")
    client = Client()
    assert client.get(kb_index.url + "no-such-article/").status_code == 404
    assert client.get(article.url + "extra/").status_code == 404
    assert client.get(kb_index.url + "search/", {"q": "粉尘", "page": "x"}).status_code == 404
    assert client.get(kb_index.url + "search/", {"q": "粉尘", "hazard": "x"}).status_code == 404


def test_it_hides_draft_articles_from_readers(make_article: ArticleMaker) -> None:
    draft = make_article("还在写的草稿", publish=False)
    assert Client().get(f"/kb/{draft.slug}/").status_code == 404


def test_search_finds_a_two_character_word_inside_running_text_and_marks_it(make_article: ArticleMaker,
                                                                            kb_index: KnowledgeIndexPage) -> None:
    make_article("车间里的声音", body="长期在工作场所噪声危害严重的岗位工作，听力会慢慢下降。")
    make_article("粉尘的危害", body="矿山井下粉尘浓度高。")
    html = Client().get(kb_index.url + "search/", {"q": "噪声"}).content.decode()
    assert "找到 1 篇" in html
    assert "车间里的声音" in html and "粉尘的危害" not in html
    assert "工作场所<mark>噪声</mark>危害" in html


def test_search_ranks_a_title_match_above_body_matches(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    for number in range(3):
        make_article(f"车间里的事{number}", body="听力" * 30 + "会因为长期接触噪声而下降。")
    make_article("听力保护", body="戴好耳塞。")
    html = Client().get(kb_index.url + "search/", {"q": "听力"}).content.decode()
    results = re.findall(r'<li><a href="[^"]+"><b>(.*?)</b>', html)
    assert len(results) == 4
    assert results[0] == "<mark>听力</mark>保护"


def test_search_needs_every_part_of_a_longer_query(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    make_article("防尘口罩怎么选", body="选择防尘口罩要看密合性。")
    make_article("口罩与防尘", body="防尘措施很多，口罩只是最后一道防线。")
    html = Client().get(kb_index.url + "search/", {"q": "防尘口罩"}).content.decode()
    assert "防尘口罩怎么选" in html.replace("<mark>", "").replace("</mark>", "")
    assert "找到 1 篇" in html


def test_search_can_be_narrowed_by_a_filter(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    make_article("粉尘作业体检", body="接触粉尘的劳动者要做职业健康检查。", hazards=("dust",))
    make_article("噪声作业体检", body="接触噪声的劳动者要做职业健康检查。", hazards=("physical",))
    html = Client().get(kb_index.url + "search/", {"q": "体检", "hazard": "dust"}).content.decode()
    assert "粉尘作业" in html and "噪声作业" not in html


@pytest.mark.parametrize("query", ["", "   ", "尘" * 5000, "' OR 1=1 --", "噪声\"); DROP TABLE cms_articlepage; --",
                                   "<script>alert(1)</script>", "%%%", "*:&|!()", "\x00噪声"])
def test_search_answers_odd_queries_normally(make_article: ArticleMaker, kb_index: KnowledgeIndexPage, query: str) -> None:
    make_article("车间里的声音", body="工作场所噪声危害。")
    response = Client().get(kb_index.url + "search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert ArticlePage.objects.count() == 1


def test_search_pages_through_many_results(make_article: ArticleMaker, kb_index: KnowledgeIndexPage) -> None:
    for number in range(13):
        make_article(f"第{number}篇", body="接触噪声的岗位。")
    client = Client()
    first = client.get(kb_index.url + "search/", {"q": "噪声"}).content.decode()
    assert "找到 13 篇" in first and first.count('<li><a href="') == 10
    second = client.get(kb_index.url + "search/", {"q": "噪声", "page": "2"}).content.decode()
    assert second.count('<li><a href="') == 3


def test_the_article_page_shows_reading_time_update_date_share_link_and_related(
        make_article: ArticleMaker) -> None:
    make_article("耳塞怎么戴", factors=("噪声",), hazards=("physical",))
    make_article("高温中暑", hazards=("physical",))
    make_article("粉尘的危害", hazards=("dust",))
    article = make_article("噪声与听力", body="噪" * 900, factors=("噪声",), hazards=("physical",))
    html = Client().get(article.url).content.decode()
    assert "阅读约 3 分钟" in html
    assert f"更新于 {article.last_published_at.astimezone().date():%Y-%m-%d}" in html
    assert f'value="{article.full_url}"' in html
    related = html.split('data-testid="related"', 1)[1]
    assert related.index("耳塞怎么戴") < related.index("高温中暑")
    assert "粉尘的危害" not in related


def test_an_article_the_editor_linked_is_shown_in_the_body_and_not_again_below(make_article: ArticleMaker) -> None:
    linked = make_article("耳塞怎么戴", factors=("噪声",))
    article = make_article("噪声与听力", factors=("噪声",), blocks=[
        {"type": "paragraph", "value": "<p>正文</p>"},
        {"type": "related", "value": {"title": "延伸阅读", "articles": [linked.pk]}},
    ])
    html = Client().get(article.url).content.decode()
    assert html.count("耳塞怎么戴") == 1
    assert 'class="related-inline"' in html


def test_the_share_qr_code_is_an_svg_of_the_article_address(make_article: ArticleMaker) -> None:
    article = make_article("噪声与听力")
    response = Client().get(article.url + "qr/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") or b"<svg" in response.content[:200]


def test_every_body_block_renders(make_article: ArticleMaker) -> None:
    article = make_article("各种内容块", blocks=[
        {"type": "paragraph", "value": "<h2>小标题</h2><p>正文段落</p>"},
        {"type": "callout", "value": {"kind": "law", "title": "", "text": "<p>用人单位应当组织培训。</p>"}},
        {"type": "key_points", "value": {"title": "要点", "points": ["上岗前", "在岗期间", "离岗时"]}},
        {"type": "faq", "value": {"title": "常见问题", "items": [{"question": "谁付费？", "answer": "<p>用人单位。</p>"}]}},
        {"type": "video", "value": {"file": None, "embed": "", "caption": "没有视频"}},
    ])
    html = Client().get(article.url).content.decode()
    assert "<h2>小标题</h2>" in html
    assert 'class="callout callout-law"' in html and ">法规</b>" in html
    assert "<li>在岗期间</li>" in html
    assert "<summary>谁付费？</summary>" in html


def test_the_article_page_fits_the_phone_budget(make_article: ArticleMaker) -> None:
    """HTML + CSS + JS of an article (images aside) stay under 150 KB, the slow-connection budget."""
    article = make_article("噪声与听力", body="在工作场所噪声危害严重的岗位。" * 200, factors=("噪声",))
    html = Client().get(article.url).content
    css = sum((Path(settings.BASE_DIR) / "static" / href.removeprefix("/static/")).stat().st_size
              for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html) for href in [href.decode()])
    assert not re.findall(rb"<script[^>]+src=", html)  # the only script is inline, counted in the HTML
    assert len(html) + css <= 150 * 1024


def test_the_article_fragment_is_cached_until_the_next_revision(make_article: ArticleMaker,
                                                                 personas: Personas) -> None:
    """Signed-in readers skip the whole-page cache; their article body comes from the fragment."""
    article = make_article("噪声与听力", body="第一版", factors=("噪声",))
    client = personas.client(personas.worker_user)
    client.get(article.url)
    with CaptureQueriesContext(connection) as warm:
        assert "第一版" in client.get(article.url).content.decode()
    tags_read = [query["sql"] for query in warm.captured_queries if "cms_articlepage_hazard_factors" in query["sql"]]
    assert tags_read == [], "the cached fragment was rendered again"
    article.body = '[{"type": "paragraph", "value": "<p>第二版</p>"}]'
    article.save_revision().publish()
    assert "第二版" in client.get(article.url).content.decode()


def test_nobody_outside_the_editorial_groups_reaches_a_draft(make_article: ArticleMaker, personas: Personas) -> None:
    draft = make_article("还在写的草稿", publish=False)
    for user in (None, personas.worker_user, personas.employer_admin, personas.evaluator, personas.outsider):
        client = personas.client(user)
        assert client.get(draft.url or f"/kb/{draft.slug}/").status_code == 404
        for admin_url in (f"/admin/pages/{draft.pk}/edit/", f"/admin/pages/{draft.pk}/view_draft/"):
            response = client.get(admin_url)
            assert response.status_code in (302, 403), (user, admin_url)
            assert "还在写的草稿" not in response.content.decode()
    for user in (personas.editor, personas.reviewer):
        assert personas.client(user).get(f"/admin/pages/{draft.pk}/view_draft/").status_code == 200


def test_anonymous_readers_get_articles_and_listings_from_the_page_cache(make_article: ArticleMaker,
                                                                         kb_index: KnowledgeIndexPage) -> None:
    article = make_article("噪声与听力", body="第一版", hazards=("physical",))
    client = Client()
    for url in (article.url, kb_index.url + "?hazard=physical"):
        first = client.get(url)
        with CaptureQueriesContext(connection) as queries:
            second = client.get(url)
        assert second.content == first.content
        assert len(queries) == 0, url


def test_the_page_cache_ignores_junk_parameters_search_and_signed_in_readers(
        make_article: ArticleMaker, kb_index: KnowledgeIndexPage, personas: Personas) -> None:
    article = make_article("噪声与听力", body="噪声")
    for client, url in ((Client(), article.url + "?utm=x"), (Client(), kb_index.url + "?junk=1"),
                        (Client(), kb_index.url + "search/?q=噪声"), (personas.client(personas.worker_user), article.url)):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert len(queries) > 0, url


def test_the_page_cache_forgets_unpublished_and_deleted_articles(make_article: ArticleMaker) -> None:
    gone = make_article("下线的文章")
    deleted = make_article("删除的文章")
    client = Client()
    assert client.get(gone.url).status_code == 200 and client.get(deleted.url).status_code == 200
    gone.unpublish()
    url = deleted.url
    deleted.delete()
    assert client.get(gone.url).status_code == 404
    assert client.get(url).status_code == 404
