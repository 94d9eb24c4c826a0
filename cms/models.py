"""Editorial pages. Learner records never live here (STYLE.md, rule 3)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, ObjectList, TabbedInterface
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms import selectors
from cms.blocks import BodyBlock
from cms.caching import allow_anonymous_cache
from cms.search import NgramSearchField
from core.nextsteps import next_steps_for
from orgs.models import Audience, LiteracyDimension, diseases_in_force

__all__ = ["ArticlePage", "ArticleTag", "Audience", "HomePage", "KnowledgeIndexPage", "LiteracyDimension"]


class HomePage(Page):
    """The site root. Signed-in people see what to do next; visitors see what the platform is."""

    # The default is page content, stored in the database and frozen in migrations, not UI text:
    # it is deliberately not wrapped in gettext (editors change it in the Wagtail admin).
    intro = models.TextField(
        _("简介"),
        blank=True,
        default="面向劳动者、用人单位和疾控机构的职业健康培训、考试与知识普及平台。",
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("首页")
        verbose_name_plural = _("首页")

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allow_anonymous_cache(request)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["next_steps"] = next_steps_for(request)
        context["knowledge"] = selectors.knowledge_teaser()
        return context


class KnowledgeIndexPage(RoutablePageMixin, Page):
    """职业健康科普知识库: lists its articles with filters, and searches them."""

    intro = models.TextField(_("简介"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ArticlePage"]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    class Meta:
        verbose_name = _("知识库")
        verbose_name_plural = pgettext_lazy("plural", "知识库")

    @path("")
    def article_list(self, request: HttpRequest) -> TemplateResponse:
        listing = selectors.knowledge_listing(self, request.GET)
        allow_anonymous_cache(request, query_names=selectors.LISTING_QUERY_NAMES)
        return self.render(request, context_overrides={"listing": listing})

    @path("search/", name="search")
    def search(self, request: HttpRequest) -> TemplateResponse:
        results = selectors.knowledge_search(self, request.GET)
        return self.render(request, template="cms/knowledge_search.html", context_overrides={"results": results})


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey("cms.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items")


class ArticlePage(RoutablePageMixin, Page):
    """A popular-science article (科普文章), tagged so that each reader finds what concerns them."""

    summary = models.TextField(_("摘要"), max_length=200, help_text=_("列表和分享时显示，200 字以内"))
    cover = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("封面图"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    body = StreamField(BodyBlock(), verbose_name=_("正文"))
    hazard_classes = ParentalManyToManyField(
        "orgs.HazardClass", verbose_name=_("危害因素类别"), blank=True, related_name="articles"
    )
    hazard_factors = ParentalManyToManyField(
        "orgs.HazardFactor", verbose_name=_("危害因素"), blank=True, related_name="articles",
        limit_choices_to={"in_catalogue": True},
    )
    diseases = ParentalManyToManyField(
        "orgs.OccupationalDisease", verbose_name=_("职业病"), blank=True, related_name="articles",
        limit_choices_to=diseases_in_force, help_text=_("《职业病分类和目录》现行版中的病名"),
    )
    industries = ParentalManyToManyField(
        "orgs.Industry", verbose_name=_("行业"), blank=True, related_name="articles", limit_choices_to={"level": 1}
    )
    audiences = ParentalManyToManyField(Audience, verbose_name=_("读者对象"), blank=True, related_name="articles")
    dimensions = ParentalManyToManyField(
        LiteracyDimension, verbose_name=_("素养维度"), blank=True, related_name="articles"
    )
    tags = ClusterTaggableManager(through=ArticleTag, verbose_name=_("关键词"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover"),
        FieldPanel("body"),
    ]
    tag_panels = [
        FieldPanel("hazard_classes", widget=forms.CheckboxSelectMultiple),
        FieldPanel("hazard_factors"),
        FieldPanel("diseases"),
        FieldPanel("industries"),
        FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
        FieldPanel("dimensions", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tags"),
    ]
    edit_handler = TabbedInterface([
        ObjectList(content_panels, heading=_("内容")),
        ObjectList(tag_panels, heading=_("分类")),
        ObjectList(Page.promote_panels, heading=_("推广")),
        ObjectList(Page.settings_panels, heading=_("设置")),
    ])

    # The n-gram title is declared under the field's own name so that both backends put it in
    # their title column, next to the raw title Wagtail indexes.
    search_fields = [
        *Page.search_fields,
        NgramSearchField("title", boost=5),
        NgramSearchField("summary", boost=2),
        NgramSearchField("body"),
    ]
    parent_page_types = ["cms.KnowledgeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("科普文章")
        verbose_name_plural = pgettext_lazy("plural", "科普文章")

    @path("")
    def article(self, request: HttpRequest) -> TemplateResponse:
        allow_anonymous_cache(request)
        return self.render(request)

    @path("qr/", name="qr")
    def qr(self, request: HttpRequest) -> HttpResponse:
        svg = selectors.article_qr_svg(self.get_full_url(request))
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = "public, max-age=86400"
        return response

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        # Callables, resolved by the template only when its cached fragment has expired.
        context["reading_minutes"] = partial(selectors.reading_minutes, self)
        context["related_articles"] = partial(selectors.related_articles, self)
        return context
