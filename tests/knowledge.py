"""Knowledge-base fixtures (the index page, a maker of articles), shared by the cms and browser tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest

from cms.demo import knowledge_index
from cms.models import ArticlePage, Audience, KnowledgeIndexPage, LiteracyDimension
from orgs.models import HazardClass, HazardFactor

ArticleMaker = Callable[..., ArticlePage]


@pytest.fixture
def kb_index(db: None) -> KnowledgeIndexPage:
    return knowledge_index()


@pytest.fixture
def make_article(kb_index: KnowledgeIndexPage) -> ArticleMaker:
    numbers = itertools.count(1)

    def make(title: str, *, body: str = "", summary: str = "", hazards: tuple[str, ...] = (),
             factors: tuple[str, ...] = (), dimensions: tuple[str, ...] = (), audiences: tuple[str, ...] = (),
             tags: tuple[str, ...] = (), blocks: list[dict[str, Any]] | None = None, publish: bool = True,
             parent: KnowledgeIndexPage | None = None, cover: Any = None) -> ArticlePage:
        page = ArticlePage(
            title=title,
            slug=f"article-{next(numbers)}",
            live=False,
            cover=cover,
            summary=summary or f"{title}的摘要",
            body=json.dumps(blocks if blocks is not None else [{"type": "paragraph", "value": f"<p>{body}</p>"}],
                            ensure_ascii=False),
        )
        page.hazard_classes = list(HazardClass.objects.filter(code__in=hazards))
        page.hazard_factors = list(HazardFactor.objects.filter(name__in=factors))
        page.dimensions = list(LiteracyDimension.objects.filter(code__in=dimensions))
        page.audiences = list(Audience.objects.filter(code__in=audiences))
        (parent or kb_index).add_child(instance=page)
        page.tags.set(list(tags))
        revision = page.save_revision()
        if publish:
            revision.publish()
        page.refresh_from_db()
        return page

    return make
