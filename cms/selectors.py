"""Reads of the knowledge base shared by the pages, the API and the demo: listing with filters,
search with highlighting, related articles, reading time and share QR codes."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.search.backends import get_search_backend
from wagtail.search.query import PlainText

from cms.search import MAX_QUERY_CHARS, highlight, query_terms, query_tokens
from core.pagination import PageLinks, page_of
from core.qr import qr_svg
from core.text import ascii_int, safe_parameter
from orgs.models import Audience, HazardClass, HazardFactor, Industry, LiteracyDimension

if TYPE_CHECKING:
    from cms.models import ArticlePage, KnowledgeIndexPage


def _article_model() -> type[ArticlePage]:
    """The page models sit above these reads (their routes call them), so the classes are looked
    up in the app registry rather than imported: the dependency points one way."""
    return apps.get_model("cms", "ArticlePage")

ARTICLES_PER_PAGE = 10
RESULTS_PER_PAGE = 10
# Results are re-ranked (title hits first) within this many of the backend's best matches; the
# backends rank by term frequency, which lets a long body outrank a short title.
RERANK_WINDOW = 200
# Popular-science Chinese is read at roughly 300–500 characters a minute; 400 is the middle.
CHARS_PER_MINUTE = 400
RELATED_LIMIT = 4
# Search results are counted up to this many ("more than 1000"); the pages go no further.
RESULT_CAP = 1000
# Rendition specs exactly as the templates and the API ask for them, so that the prefetch finds
# them (a near miss makes Wagtail render the image again on every request).
LIST_THUMBNAIL = "fill-240x160|format-webp"
API_COVER = "fill-480x320|format-webp"
# Longer than any code or keyword slug: a longer value is unknown without asking the database.
FILTER_VALUE_MAX_CHARS = 100
FILTER_NAMES = ("hazard", "factor", "industry", "audience", "dimension", "tag")
# What a listing address may carry and still be cached for anonymous readers (cms.caching).
LISTING_QUERY_NAMES = frozenset({*FILTER_NAMES, "page"})

_WORDS = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+")


@dataclass(frozen=True)
class ArticleFilters:
    """The filters in a knowledge-base URL, each checked against its catalogue."""

    hazard: Any = None
    factor: Any = None
    industry: Any = None
    audience: Any = None
    dimension: Any = None
    tag: Any = None

    @property
    def active(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in FILTER_NAMES if getattr(self, name) is not None]

    def params(self, **changes: Any) -> dict[str, str]:
        values = {name: _param_value(name, value) for name, value in self.active}
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = _param_value(name, value)
        return values

    def url(self, base: str = "", **changes: Any) -> str:
        params = self.params(**changes)
        return f"{base}?{urlencode(params)}" if params else base or "?"


def _param_value(name: str, value: Any) -> str:
    if name == "factor":
        return str(value.pk)
    if name == "tag":
        return value.slug
    return str(value.code)


def article_filters(params: Mapping[str, str]) -> ArticleFilters:
    """Parse the filters of a URL; an unknown value is a 404, like any other wrong address."""

    lookups: dict[str, tuple[QuerySet[Any], str]] = {
        "hazard": (HazardClass.objects.all(), "code"),
        "factor": (HazardFactor.objects.select_related("hazard_class"), "pk"),
        "industry": (Industry.objects.filter(level=1), "code"),
        "audience": (Audience.objects.all(), "code"),
        "dimension": (LiteracyDimension.objects.all(), "code"),
        "tag": (Tag.objects.all(), "slug"),
    }
    found: dict[str, Any] = {}
    for name, (queryset, key) in lookups.items():
        raw = params.get(name)
        if not raw:
            continue
        value = _filter_value(raw, key)
        item = None if value is None else queryset.filter(**{key: value}).first()
        if item is None:
            raise Http404(_("没有这个筛选条件"))
        found[name] = item
    return ArticleFilters(**found)


def _filter_value(raw: str, key: str) -> str | int | None:
    """The value to look a filter up by, or None when no catalogue entry can have it. A value with
    a NUL or control character is unknown rather than cleaned: PostgreSQL refuses NUL in a query,
    and no code or slug contains one. ``str.isdigit`` would pass ² or ①, which ``int`` refuses."""
    if key == "pk":
        return ascii_int(raw)
    value = safe_parameter(raw, FILTER_VALUE_MAX_CHARS)
    return value if value == raw else None


def articles_in(index: KnowledgeIndexPage | None) -> QuerySet[ArticlePage]:
    """Published articles anyone may read: under ``index``, or anywhere with None."""
    ArticlePage = _article_model()

    articles = ArticlePage.objects.live().public()
    return articles if index is None else articles.descendant_of(index)


def filtered_articles(index: KnowledgeIndexPage | None, filters: ArticleFilters) -> QuerySet[ArticlePage]:
    articles = articles_in(index)
    if filters.hazard is not None:
        # An article tagged with a factor belongs to that factor's class even if the class itself
        # was not ticked.
        articles = articles.filter(Q(hazard_classes=filters.hazard) | Q(hazard_factors__hazard_class=filters.hazard))
    if filters.factor is not None:
        articles = articles.filter(hazard_factors=filters.factor)
    if filters.industry is not None:
        articles = articles.filter(industries=filters.industry)
    if filters.audience is not None:
        articles = articles.filter(audiences=filters.audience)
    if filters.dimension is not None:
        articles = articles.filter(dimensions=filters.dimension)
    if filters.tag is not None:
        articles = articles.filter(tags=filters.tag)
    return articles.distinct() if filters.active else articles


@dataclass
class KnowledgeTeaser:
    index: KnowledgeIndexPage
    latest: list[ArticlePage]


def knowledge_teaser(count: int = 3) -> KnowledgeTeaser | None:
    """The knowledge base and its newest articles, for the home page."""
    KnowledgeIndexPage = apps.get_model("cms", "KnowledgeIndexPage")

    index = KnowledgeIndexPage.objects.live().public().first()
    if index is None:
        return None
    latest = list(newest_articles(index, ArticleFilters())[:count])
    return KnowledgeTeaser(index=index, latest=latest)


def thumbnails() -> Prefetch:
    """Covers with the renditions lists and the API show, for a queryset or a page of results
    (``prefetch_related_objects``): without it every article reads its image, then its rendition."""
    images = get_image_model().objects.prefetch_renditions(LIST_THUMBNAIL, API_COVER)
    return Prefetch("cover", queryset=images)


def with_thumbnails(articles: QuerySet[ArticlePage]) -> QuerySet[ArticlePage]:
    return articles.defer_streamfields().prefetch_related(thumbnails())


@dataclass
class FacetChoice:
    label: str
    url: str
    selected: bool


@dataclass
class KnowledgeListing(PageLinks):
    filters: ArticleFilters
    page: Page
    facets: dict[str, list[FacetChoice]] = field(default_factory=dict)

    def link_params(self) -> dict[str, str]:
        return self.filters.params()

    @property
    def clear_url(self) -> str:
        return "?"


def _facets(index: KnowledgeIndexPage, filters: ArticleFilters) -> dict[str, list[FacetChoice]]:
    ArticlePage = _article_model()

    def choices(name: str, items: QuerySet[Any]) -> list[FacetChoice]:
        current = getattr(filters, name)
        return [
            FacetChoice(
                label=getattr(item, "name", str(item)),
                url=filters.url(**{name: None if current == item else item}),
                selected=current == item,
            )
            for item in items
        ]

    # Only the industries this knowledge base has articles for.
    used = ArticlePage.industries.through.objects.filter(industry=OuterRef("pk"), articlepage__in=articles_in(index))
    return {
        "hazard": choices("hazard", HazardClass.objects.all()),
        "dimension": choices("dimension", LiteracyDimension.objects.all()),
        "audience": choices("audience", Audience.objects.all()),
        "industry": choices("industry", Industry.objects.filter(level=1).filter(Exists(used))),
    }


def newest_articles(index: KnowledgeIndexPage | None, filters: ArticleFilters) -> QuerySet[ArticlePage]:
    """The filtered articles as lists show them: newest first, with their thumbnails."""
    return with_thumbnails(filtered_articles(index, filters)).order_by("-first_published_at", "-pk")


def knowledge_listing(index: KnowledgeIndexPage, params: Mapping[str, str]) -> KnowledgeListing:
    filters = article_filters(params)
    articles = newest_articles(index, filters)
    return KnowledgeListing(filters=filters, page=page_of(articles, params, ARTICLES_PER_PAGE),
                            facets=_facets(index, filters))


@dataclass
class SearchHit:
    article: ArticlePage
    title_html: SafeString
    excerpt_html: SafeString


@dataclass
class KnowledgeSearch(PageLinks):
    query: str
    terms: list[str]
    filters: ArticleFilters
    page: Page | None
    count: int
    capped: bool = False

    def link_params(self) -> dict[str, str]:
        return {"q": self.query, **self.filters.params()}

    @property
    def hits(self) -> list[SearchHit]:
        return list(self.page.object_list) if self.page is not None else []


class RankedResults:
    """Search results as a sequence for the paginator: the best RERANK_WINDOW matches re-ranked
    (title hits first, then summary hits, the engine's order within a tier), the rest as the engine
    gives them. Only ids, titles and summaries are read to rank; whole pages only for the page shown."""

    def __init__(self, matches: IndexedSearch | Any, terms: list[str]) -> None:
        self.matches = matches
        self.terms = terms
        self._window: list[int] | None = None
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            window = self.window()
            self._count = len(window) if len(window) < RERANK_WINDOW else self.matches.count()
        return self._count

    count = __len__

    @property
    def capped(self) -> bool:
        return isinstance(self.matches, IndexedSearch) and len(self) >= RESULT_CAP

    def window(self) -> list[int]:
        if self._window is None:
            ArticlePage = _article_model()

            ids = _ids_of(self.matches, 0, RERANK_WINDOW)
            texts = {pk: (title.lower(), summary.lower()) for pk, title, summary
                     in ArticlePage.objects.filter(pk__in=ids).values_list("pk", "title", "summary")}
            # Stable sort: within a tier the engine's order stands.
            self._window = sorted((pk for pk in ids if pk in texts), key=lambda pk: -self._tier(*texts[pk]))
        return self._window

    def _tier(self, title: str, summary: str) -> int:
        return sum(4 for term in self.terms if term in title) + sum(1 for term in self.terms if term in summary)

    def __getitem__(self, item: slice) -> list[ArticlePage]:
        ArticlePage = _article_model()

        start, stop = item.start or 0, item.stop
        in_window = stop is not None and stop <= RERANK_WINDOW
        ids = self.window()[start:stop] if in_window else _ids_of(self.matches, start, stop)
        pages = ArticlePage.objects.defer_streamfields().in_bulk(ids)
        return [pages[pk] for pk in ids if pk in pages]


def _ids_of(matches: IndexedSearch | Any, start: int, stop: int | None) -> list[int]:
    if isinstance(matches, IndexedSearch):
        return matches.ids(start, stop)
    return [article.pk for article in matches[start:stop]]


class IndexedSearch:
    """PostgreSQL: match in Wagtail's own index table (kept by Wagtail on every publish) through a
    GIN expression index on its title and body vectors (migration cms/0007), rank by the small title
    vector only, newest first among equals.

    Wagtail's query compiler joins and ranks both vectors of every matching entry, so it unpacks
    every matching body (≈ 13 KB of n-grams, stored out of line): 1.5–2 s a search over 10,000
    articles. Here the match comes from the index's bitmap alone and only titles are read to rank.
    The matches are taken first (a materialised CTE, sequential scans off for the statement): for a
    word nearly every article contains, the planner would otherwise read the whole table or filter
    another index's rows by their vectors, because its cost model ignores the unpacking (600 ms
    against 15 ms over 10,000 articles). The SQL is written out because the ORM has no CTEs; every
    value goes in as a parameter.
    """

    def __init__(self, articles: QuerySet[ArticlePage], tokens: list[str]) -> None:
        ArticlePage = _article_model()

        # Tokens are Han characters and [a-z0-9] words only (cms.search): safe inside quotes.
        self.tsquery = " & ".join(f"'{token}'" for token in tokens)
        self.content_type = ContentType.objects.get_for_model(ArticlePage).pk
        self._ids: list[int] | None = None
        try:
            self.keys = articles.annotate(key=Cast("pk", CharField())).values("key").query.sql_with_params()
        except EmptyResultSet:  # the filters alone already exclude every article
            self._ids = []

    def _matches(self, select: str, tail: str, tail_params: list[Any]) -> list[tuple[Any, ...]]:
        table = apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table
        keys_sql, keys_params = self.keys
        # Both sides are materialised and joined by hash: the planner's guess of how many articles
        # match is far off either way, and a nested loop over a wrong guess costs seconds.
        sql = (
            f"WITH matches AS MATERIALIZED (SELECT id, content_type_id, object_id, title FROM {table} "  # noqa: S608
            f"WHERE (title || body) @@ to_tsquery('simple', %s)), "
            f"readable AS MATERIALIZED ({keys_sql}) "
            f"SELECT {select} FROM matches JOIN readable ON matches.object_id = readable.key "
            f"WHERE matches.content_type_id = %s {tail}"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(sql, [self.tsquery, *keys_params, self.content_type, *tail_params])
            return cursor.fetchall()

    def ids(self, start: int, stop: int | None) -> list[int]:
        return self._best()[start:stop]

    def count(self) -> int:
        return len(self._best())

    def _best(self) -> list[int]:
        # One statement gives the order and the count: up to RESULT_CAP ids, which nobody pages past
        # (counting every match of 职业 would cost more than the search).
        if self._ids is None:
            rows = self._matches(
                "object_id", "ORDER BY ts_rank(title, to_tsquery('simple', %s)) DESC, id DESC LIMIT %s",
                [self.tsquery, RESULT_CAP],
            )
            self._ids = [int(key) for (key,) in rows]
        return self._ids


def search_articles(articles: QuerySet[ArticlePage], query: str) -> IndexedSearch | Any:
    """Articles among ``articles`` containing every n-gram of ``query``, best first."""
    tokens = query_tokens(query)
    # Imported here: the search backend's module reads the app registry when it is imported, and
    # these reads are imported while the page models load.
    from wagtail.search.backends.database.postgres.postgres import PostgresSearchBackend

    if connection.vendor == "postgresql" and isinstance(get_search_backend(), PostgresSearchBackend):
        return IndexedSearch(articles, tokens)
    return articles.defer_streamfields().search(PlainText(" ".join(tokens), operator="and"), order_by_relevance=True)


def matching_article_ids(articles: QuerySet[ArticlePage], query: str) -> list[int]:
    """Ids of the articles among ``articles`` that match ``query``, best first (up to RESULT_CAP):
    for the admin's article list, drafts included."""
    ArticlePage = _article_model()

    if not query_tokens(query):
        return []
    candidates = ArticlePage.objects.filter(pk__in=articles.order_by().values("pk"))
    return _ids_of(search_articles(candidates, query), 0, RESULT_CAP)


def ranked_search(index: KnowledgeIndexPage | None, query: str, filters: ArticleFilters) -> RankedResults:
    """Articles matching every n-gram of ``query`` within the filters, titles first."""
    articles = articles_in(index)
    if filters.active:
        # Search backends only filter on indexed fields: narrow by id to the filtered articles.
        articles = articles.filter(pk__in=filtered_articles(index, filters).values("pk"))
    return RankedResults(search_articles(articles, query), query_terms(query))


def search_query(params: Mapping[str, str]) -> str:
    # Control characters are dropped (a NUL searches what is around it): PostgreSQL refuses NUL.
    return safe_parameter(params.get("q"), max_length=4 * MAX_QUERY_CHARS).strip()[:MAX_QUERY_CHARS]


def knowledge_search(index: KnowledgeIndexPage, params: Mapping[str, str]) -> KnowledgeSearch:
    query = search_query(params)
    filters = article_filters(params)
    terms = query_terms(query)
    if not query_tokens(query):
        return KnowledgeSearch(query=query, terms=terms, filters=filters, page=None, count=0)
    ranked = ranked_search(index, query, filters)
    page = page_of(ranked, params, RESULTS_PER_PAGE)
    page.object_list = search_hits(list(page.object_list), terms)
    return KnowledgeSearch(query=query, terms=terms, filters=filters, page=page, count=len(ranked), capped=ranked.capped)


def search_hits(articles: list[ArticlePage], terms: list[str]) -> list[SearchHit]:
    ArticlePage = _article_model()

    bodies = dict(ArticlePage.objects.filter(pk__in=[a.pk for a in articles]).values_list("pk", "body"))
    hits = []
    for article in articles:
        body_text = plain_text(bodies.get(article.pk))
        source = body_text if any(term in body_text.lower() for term in terms) else article.summary
        hits.append(SearchHit(
            article=article,
            title_html=mark_safe(highlight(article.title, terms)),  # noqa: S308 - highlight() escapes
            excerpt_html=mark_safe(highlight(source, terms, limit=90)),  # noqa: S308 - highlight() escapes
        ))
    return hits


def plain_text(body: Any) -> str:
    """The text of a StreamField value, as the search index sees it."""
    if body is None:
        return ""
    return " ".join(str(part) for part in body.stream_block.get_searchable_content(body) if part)


def reading_minutes(article: ArticlePage) -> int:
    units = len(_WORDS.findall(article.summary + " " + plain_text(article.body)))
    return max(1, math.ceil(units / CHARS_PER_MINUTE))


def editor_related(article: ArticlePage) -> list[ArticlePage]:
    """The live articles an editor linked in the body's "相关文章" block, in their order."""
    ArticlePage = _article_model()

    ids = [
        page.pk
        for block in article.body
        if block.block_type == "related"
        for page in block.value["articles"]
        if page is not None and page.pk != article.pk
    ]
    live = {page.pk: page for page in ArticlePage.objects.live().public().filter(pk__in=ids)}
    return [live[pk] for pk in dict.fromkeys(ids) if pk in live]


def related_articles(article: ArticlePage, limit: int = RELATED_LIMIT) -> list[ArticlePage]:
    """Other articles sharing the most tags with this one: hazard factors count most, then hazard
    classes, then literacy dimensions. Articles the editor already linked in the body are left out."""
    ArticlePage = _article_model()

    linked = [page.pk for page in editor_related(article)]
    # One subquery per kind of tag: joining three many-to-many tables at once multiplies rows.
    overlaps = [
        (ArticlePage.hazard_factors.through, "hazardfactor_id", article.hazard_factors.all(), 4),
        (ArticlePage.hazard_classes.through, "hazardclass_id", article.hazard_classes.all(), 2),
        (ArticlePage.dimensions.through, "literacydimension_id", article.dimensions.all(), 1),
    ]
    shared: Any = Value(0)
    sharing = Q(pk__in=[])
    for through, column, tags, weight in overlaps:
        # The tags as a list of keys: a preview holds them in memory, not in the database.
        rows = through.objects.filter(**{f"{column}__in": [tag.pk for tag in tags]})
        count = rows.filter(articlepage_id=OuterRef("pk")).values("articlepage_id").annotate(n=Count("*")).values("n")
        shared = shared + Coalesce(Subquery(count[:1]), 0) * weight
        sharing |= Q(pk__in=rows.values("articlepage_id"))
    others = (
        with_thumbnails(ArticlePage.objects.live().public())
        .exclude(pk__in=[article.pk, *linked])
        .filter(sharing)
        .annotate(shared=shared)
        .order_by("-shared", "-first_published_at", "-pk")
    )
    return list(others[:limit])


def article_qr_svg(url: str) -> str:
    """An SVG QR code of ``url``, for posters and screens in the workshop."""
    return qr_svg(url)
