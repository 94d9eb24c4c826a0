"""Public, read-only API of the knowledge base: the same filters and search as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from cms import selectors
from cms.models import ArticlePage
from cms.search import query_terms, query_tokens
from core.api import error_response

ARTICLE_RELATIONS = ("hazard_classes", "hazard_factors", "industries", "audiences", "dimensions", "tags")


class HighlightSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="HTML: the title with matches in <mark>")
    excerpt = serializers.CharField(help_text="HTML: a passage around the first match, matches in <mark>")


class ArticleSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    cover = serializers.SerializerMethodField()
    hazard_classes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    hazard_factors = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    industries = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    audiences = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    dimensions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    highlight = serializers.SerializerMethodField()

    class Meta:
        model = ArticlePage
        fields = ["title", "summary", "url", "cover", "first_published_at", "last_published_at", "hazard_classes",
                  "hazard_factors", "industries", "audiences", "dimensions", "tags", "highlight"]

    def get_url(self, article: ArticlePage) -> str:
        return article.get_full_url(self.context.get("request"))

    def get_cover(self, article: ArticlePage) -> str | None:
        if article.cover is None:
            return None
        rendition = article.cover.get_rendition(selectors.API_COVER)
        request = self.context.get("request")
        return request.build_absolute_uri(rendition.url) if request else rendition.url

    @extend_schema_field(HighlightSerializer(allow_null=True))
    def get_highlight(self, article: ArticlePage) -> dict[str, str] | None:
        hit = self.context.get("hits", {}).get(article.pk)
        if hit is None:
            return None
        return {"title": str(hit.title_html), "excerpt": str(hit.excerpt_html)}


def _example(value: str) -> list[OpenApiExample]:
    return [OpenApiExample(value, value=value)]


FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description=_("搜索词（中文按字和相邻两字匹配，最多 64 字）"),
                     examples=_example("噪声")),
    OpenApiParameter("hazard", OpenApiTypes.STR, description=_("危害因素类别代码，如 dust、physical"),
                     examples=_example("physical")),
    OpenApiParameter("factor", OpenApiTypes.INT, description=_("危害因素 id（/api/v1/hazards/）")),
    OpenApiParameter("industry", OpenApiTypes.STR, description=_("行业门类代码 A–T")),
    OpenApiParameter("audience", OpenApiTypes.STR, description=_("读者对象：principal、manager、worker、public"),
                     examples=_example("worker")),
    OpenApiParameter("dimension", OpenApiTypes.STR,
                     description=_("素养维度：law、protection_knowledge、protection_skills、healthy_behaviour"),
                     examples=_example("law")),
    OpenApiParameter("tag", OpenApiTypes.STR, description=_("关键词的 slug")),
]


class ArticleList(generics.GenericAPIView):
    """Published knowledge-base articles, newest first; with ``q``, best match first and highlighted.
    An unknown filter value answers 404, as the pages do."""

    permission_classes = [AllowAny]
    serializer_class = ArticleSerializer
    queryset = ArticlePage.objects.none()

    @extend_schema(parameters=FILTER_PARAMETERS, responses={
        200: ArticleSerializer(many=True),
        404: error_response(_("没有这个筛选条件，或没有这一页：与网页一样按错误地址处理")),
    })
    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = selectors.article_filters(params)
        query = selectors.search_query(params)
        searching = bool(query_tokens(query))
        articles: Any = (selectors.ranked_search(None, query, filters) if searching
                         else selectors.newest_articles(None, filters))
        page = list(self.paginate_queryset(articles) or [])
        # Search results come back as bare pages: covers and tags are read here, once per page.
        prefetch_related_objects(page, selectors.thumbnails(), *ARTICLE_RELATIONS)
        context = self.get_serializer_context()
        if searching:
            context["hits"] = {hit.article.pk: hit for hit in selectors.search_hits(page, query_terms(query))}
        serializer = ArticleSerializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)
