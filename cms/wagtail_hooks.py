"""Admin screens of the editorial side: a flat list of knowledge-base articles with their tags as
filters, searched with the same n-gram search as the site (Wagtail's own admin search matches
title prefixes, which finds nothing inside a Chinese title)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import ModelMultipleChoiceFilter
from wagtail import hooks
from wagtail.admin.views.pages.listing import IndexView, PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet

from cms.models import ArticlePage, Audience, LiteracyDimension
from orgs.models import HazardClass


class ArticleFilterSet(PageFilterSet):
    hazard_classes = ModelMultipleChoiceFilter(
        label=_("危害因素类别"), queryset=HazardClass.objects.all(), widget=forms.CheckboxSelectMultiple, distinct=True
    )
    dimensions = ModelMultipleChoiceFilter(
        label=_("素养维度"), queryset=LiteracyDimension.objects.all(), widget=forms.CheckboxSelectMultiple, distinct=True
    )
    audiences = ModelMultipleChoiceFilter(
        label=_("读者对象"), queryset=Audience.objects.all(), widget=forms.CheckboxSelectMultiple, distinct=True
    )

    class Meta:
        model = ArticlePage
        fields = ["live"]


class ArticleIndexView(IndexView):
    def search_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from cms.selectors import matching_article_ids

        if not self.is_searching:
            return queryset
        return queryset.filter(pk__in=matching_article_ids(queryset, self.search_query))


class ArticleListingViewSet(PageListingViewSet):
    model = ArticlePage
    name = "articles"
    icon = "doc-full-inverse"
    menu_label = _("科普文章")
    menu_order = 150
    add_to_admin_menu = True
    index_view_class = ArticleIndexView
    filterset_class = ArticleFilterSet


@hooks.register("register_admin_viewset")
def register_article_listing() -> ArticleListingViewSet:
    return ArticleListingViewSet()
