"""Demo content for the knowledge base: an index page and the articles of ``cms/demo/articles.json``,
published through Wagtail revisions like an editor's work, with generated cover images."""

from __future__ import annotations

import datetime as dt
import json
import math
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Site

from cms.models import ArticlePage, Audience, HomePage, KnowledgeIndexPage, LiteracyDimension
from orgs.models import HazardClass, HazardFactor, Industry, OccupationalDisease, diseases_in_force

DEMO_ARTICLES = Path(__file__).resolve().parent / "demo" / "articles.json"
INDEX_SLUG = "kb"
# One colour per hazard class, so the list reads at a glance; grey for general articles.
COVER_COLOURS = {
    "dust": ((120, 98, 74), (214, 196, 170)),
    "chemical": ((126, 34, 110), (233, 180, 220)),
    "physical": ((21, 94, 117), (166, 220, 235)),
    "radiation": ((161, 98, 7), (253, 224, 140)),
    "biological": ((22, 101, 52), (187, 247, 208)),
    "other": ((71, 85, 105), (203, 213, 225)),
    "": ((11, 107, 58), (200, 235, 215)),
}


def load_articles(path: Path = DEMO_ARTICLES) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def knowledge_index() -> KnowledgeIndexPage:
    """The knowledge base under the site's home page, created on first use."""
    existing = KnowledgeIndexPage.objects.first()
    if existing is not None:
        return existing
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    if not isinstance(home, HomePage):
        home = HomePage.objects.first() or home
    index = KnowledgeIndexPage(
        title="职业健康科普知识库",
        slug=INDEX_SLUG,
        intro="粉尘、化学毒物、噪声、高温、放射和生物因素的防护知识，法律赋予劳动者的权利，"
              "以及健康工作方式。按危害因素、素养维度或读者对象筛选，或直接搜索。",
    )
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def site_address_from_base_url() -> None:
    """Point Wagtail's default site at BASE_URL while it still has the placeholder address, so that
    share links and QR codes in the demo lead back to the demo server."""
    parsed = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None or not parsed.hostname or (site.hostname, site.port) != ("localhost", 80):
        return
    site.hostname = parsed.hostname
    site.port = parsed.port or (443 if parsed.scheme == "https" else 80)
    site.save()


def cover_image(class_code: str) -> Any:
    """A generated 16:9 cover per hazard class (no text, so no font is needed)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    image_model = get_image_model()
    title = f"知识库封面 {class_code or 'general'}"
    existing = image_model.objects.filter(title=title).first()
    if existing is not None:
        return existing
    dark, light = COVER_COLOURS.get(class_code, COVER_COLOURS[""])
    width, height = 1280, 720
    canvas = PILImage.new("RGB", (width, height), light)
    draw = ImageDraw.Draw(canvas)
    for step in range(0, height, 6):
        ratio = step / height
        colour = tuple(int(light[i] + (dark[i] - light[i]) * ratio * 0.6) for i in range(3))
        draw.rectangle([0, step, width, step + 6], fill=colour)
    for ring in range(7):
        radius = 80 + ring * 55
        cx, cy = int(width * 0.78), int(height * 0.42)
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=dark, width=6)
    for dot in range(24):
        angle = dot * math.pi / 12
        x, y = int(width * 0.25 + math.cos(angle) * 160), int(height * 0.55 + math.sin(angle) * 160)
        draw.ellipse([x - 14, y - 14, x + 14, y + 14], fill=dark)
    buffer = BytesIO()
    canvas.save(buffer, "JPEG", quality=82)
    return image_model.objects.create(title=title, file=ImageFile(buffer, name=f"kb-cover-{class_code or 'general'}.jpg"))


@transaction.atomic
def seed_knowledge_base(*, path: Path = DEMO_ARTICLES, now: dt.datetime | None = None) -> dict[str, int]:
    """Create the knowledge base and publish the demo articles; articles already there are kept."""
    site_address_from_base_url()
    index = knowledge_index()
    now = now or timezone.now()
    data = load_articles(path)
    pages: dict[str, ArticlePage] = {}
    new: list[str] = []
    for item in data:
        page = ArticlePage.objects.child_of(index).filter(slug=item["slug"]).first()
        if page is None:
            page = _article_create(index, item)
            new.append(item["slug"])
        pages[item["slug"]] = page
    for item in data:
        related = [pages[slug].pk for slug in item.get("related", []) if slug in pages]
        page = pages[item["slug"]]
        if item["slug"] in new and related:
            block = page.body.stream_block.child_blocks["related"]
            page.body.append(("related", block.to_python({"title": "延伸阅读", "articles": related})))
            page.save_revision().publish()
    for position, slug in enumerate(new):
        # Spread publication over the past months so that the list has a history.
        published = now - dt.timedelta(days=7 * (len(new) - position), hours=position)
        ArticlePage.objects.filter(pk=pages[slug].pk).update(first_published_at=published, last_published_at=published)
    return {"articles": len(pages), "articles_created": len(new)}


def _article_create(index: KnowledgeIndexPage, item: dict[str, Any]) -> ArticlePage:
    classes = item.get("hazard_classes") or []
    page = ArticlePage(
        title=item["title"],
        slug=item["slug"],
        summary=item["summary"],
        cover=cover_image(classes[0] if classes else ""),
        body=json.dumps(item["body"], ensure_ascii=False),
    )
    page.hazard_classes = list(HazardClass.objects.filter(code__in=classes))
    page.hazard_factors = list(HazardFactor.objects.filter(name__in=item.get("hazard_factors") or []))
    page.diseases = list(OccupationalDisease.objects.filter(diseases_in_force(), name__in=item.get("diseases") or []))
    page.industries = list(Industry.objects.filter(code__in=item.get("industries") or [], level=1))
    page.audiences = list(Audience.objects.filter(code__in=item.get("audiences") or []))
    page.dimensions = list(LiteracyDimension.objects.filter(code__in=item.get("dimensions") or []))
    index.add_child(instance=page)
    page.tags.set(item.get("tags") or [])
    page.save_revision().publish()
    return page


def seed_cms() -> dict[str, int]:
    """The knowledge base and the editorial logins (password as in orgs.demo)."""
    from cms.services import EDITOR_GROUP, REVIEWER_GROUP
    from orgs.demo import DEMO_PASSWORD
    from orgs.services import staff_user_create

    staff_user_create(actor=None, username="editor", password=DEMO_PASSWORD, full_name="科普编辑", groups=(EDITOR_GROUP,))
    staff_user_create(actor=None, username="moderator", password=DEMO_PASSWORD, full_name="内容审核员",
                      groups=(REVIEWER_GROUP,))
    return seed_knowledge_base()
