"""Editorial pages. Learner records never live here (STYLE.md, rule 3)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page


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

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from orgs.selectors import next_steps_for

        context = super().get_context(request, *args, **kwargs)
        context["next_steps"] = next_steps_for(request.user)
        return context
