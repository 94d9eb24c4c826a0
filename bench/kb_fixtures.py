"""Knowledge-base data for the kb_* benchmarks, created in a child process with Django set up.

`python -m bench.kb_fixtures COMMAND` prints one JSON object on its last line:

- `seed-demo`: the demo data as `manage.py seed_demo` seeds it, for when cms/demo/articles.json
  does not exist yet (the command needs it): employers, workers, logins and the empty knowledge base.
- `article-page`: a handful of generated articles published through the demo's own path
  (cms.demo.seed_knowledge_base: revisions, covers, tags, related articles) in the site's knowledge
  base, and a plain `wagtail.models.Page` under the home page, rendered by Wagtail's own
  `wagtailcore/page.html`. Prints both URLs. Idempotent.
- `search-dataset --size N --real R`: N published articles under their own knowledge-base index
  (`kb-bench-N`), the first R created one by one through the editor's path and the rest inserted in
  bulk (see `_bulk_articles`), all indexed by Wagtail's search backend. Kept between runs; rebuilt
  when the count is not N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import kb_corpus

if TYPE_CHECKING:
    from cms.models import KnowledgeIndexPage

ARTICLE_PAGE_PREFIX = "bench-page"
ARTICLE_PAGE_COUNT = 8
BARE_PAGE_SLUG = "bench-bare-page"
BARE_PAGE_TITLE = "基准测试空白页"
SEARCH_PREFIX = "bench-search"
INDEX_CHUNK = 500
PUBLISHING_SLOTS = 20_000


def _setup_django() -> None:
    import django

    django.setup()


# --------------------------------------------------------------------------- seed-demo

def seed_demo_without_articles() -> dict[str, Any]:
    from cms.demo import knowledge_index, site_address_from_base_url
    from orgs.demo import seed_demo

    result = seed_demo()
    site_address_from_base_url()
    knowledge_index()
    return {"employers": result["employers"], "workers_created": result["workers_created"], "articles": 0}


# --------------------------------------------------------------------------- article-page

def article_page() -> dict[str, Any]:
    from wagtail.models import Page, Site

    from cms.demo import seed_knowledge_base
    from cms.models import ArticlePage

    items = [kb_corpus.article(number, prefix=ARTICLE_PAGE_PREFIX) for number in range(ARTICLE_PAGE_COUNT)]
    # The measured article links two others in its body, as an editor would ("延伸阅读").
    items[0]["related"] = [items[1]["slug"], items[2]["slug"]]
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as workdir:
        path = Path(workdir) / "articles.json"
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        seed_knowledge_base(path=path)
    article = ArticlePage.objects.live().get(slug=items[0]["slug"])
    site = Site.objects.get(is_default_site=True)
    home = site.root_page
    bare = Page.objects.child_of(home).filter(slug=BARE_PAGE_SLUG).first()
    if bare is None:
        bare = Page(title=BARE_PAGE_TITLE, slug=BARE_PAGE_SLUG)
        home.add_child(instance=bare)
        bare.save_revision().publish()
    return {
        "article_path": article.relative_url(site),
        "article_title": article.title,
        "article_blocks": [block.block_type for block in article.body],
        "article_tags": sorted(tag.name for tag in article.tags.all()),
        "article_factors": sorted(factor.name for factor in article.hazard_factors.all()),
        "article_has_cover": article.cover_id is not None,
        "article_depth": article.depth,
        "bare_path": bare.relative_url(site),
        "bare_title": bare.title,
        "bare_depth": bare.depth,
        "bare_template": bare.template,
    }


# --------------------------------------------------------------------------- search-dataset

def search_index_slug(size: int) -> str:
    return f"kb-bench-{size}"


def search_dataset(size: int, real: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from cms.models import ArticlePage, KnowledgeIndexPage

    started = time.monotonic()
    slug = search_index_slug(size)
    index = KnowledgeIndexPage.objects.filter(slug=slug).first()
    if index is not None and _dataset_complete(index, size):
        return {"size": size, "reused": True, "seconds": round(time.monotonic() - started, 1)}
    deleted = 0
    if index is not None:
        deleted = ArticlePage.objects.descendant_of(index).count()
        # Wagtail's own delete: the subtree, its revisions and its search index entries.
        index.delete()
    with transaction.atomic():
        index = _search_index(slug, size)
        real = min(real, size)
        items = [kb_corpus.article(number, prefix=SEARCH_PREFIX) for number in range(size)]
        now = _publication_anchor()
        real_started = time.monotonic()
        _real_articles(index, items[:real], now)
        real_seconds = time.monotonic() - real_started
        bulk_started = time.monotonic()
        bulk_ids = _bulk_articles(index, items[real:], now, first_number=real)
        bulk_seconds = time.monotonic() - bulk_started
        index_started = time.monotonic()
        _index_articles(bulk_ids)
        index_seconds = time.monotonic() - index_started
    with connection.cursor() as cursor:
        # As autovacuum would after a load this size: the planner needs the new row counts.
        cursor.execute("ANALYZE")
    if not _dataset_complete(index, size):
        raise SystemExit(f"the search dataset under {slug} is incomplete after building it")
    return {"size": size, "reused": False, "real": real, "bulk": len(bulk_ids), "deleted_first": deleted,
            "real_seconds": round(real_seconds, 1), "bulk_seconds": round(bulk_seconds, 1),
            "index_seconds": round(index_seconds, 1), "seconds": round(time.monotonic() - started, 1)}


def _publication_anchor() -> dt.datetime:
    from django.utils import timezone

    # Fixed, so that a rebuilt dataset has the same publication dates (they order the reference).
    return timezone.make_aware(dt.datetime(2026, 11, 1, 9, 0))


def _published_at(now: dt.datetime, number: int) -> dt.datetime:
    # One article every 157 minutes (10,000 of them span three years), counted back from a slot
    # far enough before `now` that any dataset size up to PUBLISHING_SLOTS stays in the past.
    return now - dt.timedelta(minutes=157 * (PUBLISHING_SLOTS - number))


def _dataset_complete(index: KnowledgeIndexPage, size: int) -> bool:
    from django.contrib.contenttypes.models import ContentType
    from wagtail.search.models import IndexEntry

    from cms.models import ArticlePage

    ids = [str(pk) for pk in ArticlePage.objects.child_of(index).live().values_list("pk", flat=True)]
    if len(ids) != size:
        return False
    content_type = ContentType.objects.get_for_model(ArticlePage)
    return IndexEntry.objects.filter(content_type=content_type, object_id__in=ids).count() == size


def _search_index(slug: str, size: int) -> KnowledgeIndexPage:
    from cms.demo import knowledge_index
    from cms.models import KnowledgeIndexPage

    # The site's own knowledge base first: cms.demo.knowledge_index() returns the first index by
    # tree order, and must go on finding the demo's, not this one.
    home = knowledge_index().get_parent()
    index = KnowledgeIndexPage(title=f"基准测试知识库（{size:,} 篇）", slug=slug, intro="基准测试用的生成文章。")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def _real_articles(index: KnowledgeIndexPage, items: list[dict[str, Any]], now: dt.datetime) -> None:
    """Through the demo's editor path: add_child, tags, a revision, publish (signals, search index,
    reference index, log entries)."""
    from cms.demo import _article_create
    from cms.models import ArticlePage

    for number, item in enumerate(items):
        page = _article_create(index, item)
        published = _published_at(now, number)
        ArticlePage.objects.filter(pk=page.pk).update(first_published_at=published, last_published_at=published)


def _bulk_articles(index: KnowledgeIndexPage, items: list[dict[str, Any]], now: dt.datetime,
                   first_number: int) -> list[int]:
    """The remaining articles in bulk, row for row what add_child + publish would have written to
    the page tree and the article tables: treebeard paths after the last child, depth, url_path,
    content type, locale, a translation key each, live and published dates, numchild of the index,
    and the many-to-many and tag rows. Left out: revisions, log entries and reference-index rows,
    which search never reads. The search index is built afterwards by Wagtail's own indexer."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from taggit.models import Tag
    from wagtail.models import Page

    from cms.demo import cover_image
    from cms.models import ArticlePage, ArticleTag, Audience, LiteracyDimension
    from orgs.models import HazardClass, HazardFactor, Industry

    if not items:
        return []
    content_type = ContentType.objects.get_for_model(ArticlePage)
    last = index.get_last_child()
    first_step = Page._str2int(last.path[-Page.steplen:]) + 1 if last is not None else 1
    depth = index.depth + 1
    covers = {code: cover_image(code).pk for code in {(item["hazard_classes"] or [""])[0] for item in items}}
    pages = []
    for offset, item in enumerate(items):
        published = _published_at(now, first_number + offset)
        pages.append(Page(
            path=Page._get_path(index.path, depth, first_step + offset), depth=depth, numchild=0,
            title=item["title"], draft_title=item["title"], slug=item["slug"], content_type=content_type,
            live=True, has_unpublished_changes=False, url_path=f"{index.url_path}{item['slug']}/",
            locale_id=index.locale_id, translation_key=uuid.uuid4(), first_published_at=published,
            last_published_at=published, seo_title="", search_description="", show_in_menus=False,
        ))
    Page.objects.bulk_create(pages, batch_size=1000)
    Page.objects.filter(pk=index.pk).update(numchild=index.get_children().count())

    # bulk_create refuses multi-table inheritance; the child rows are inserted as the ORM would
    # write them (each field's own get_db_prep_save, so the StreamField goes in as its JSON).
    fields = ArticlePage._meta.local_concrete_fields
    rows = []
    for page, item in zip(pages, items, strict=True):
        article = ArticlePage(page_ptr_id=page.pk, summary=item["summary"],
                              body=json.dumps(item["body"], ensure_ascii=False),
                              cover_id=covers[(item["hazard_classes"] or [""])[0]])
        rows.append([field.get_db_prep_save(getattr(article, field.attname), connection) for field in fields])
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(ArticlePage._meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES ({placeholders})", rows)

    lookups = {
        "hazard_classes": {item.pk: item.pk for item in HazardClass.objects.all()},
        "hazard_factors": dict(HazardFactor.objects.values_list("name", "pk")),
        "industries": dict(Industry.objects.filter(level=1).values_list("code", "pk")),
        "audiences": {item.pk: item.pk for item in Audience.objects.all()},
        "dimensions": {item.pk: item.pk for item in LiteracyDimension.objects.all()},
    }
    for name, lookup in lookups.items():
        field = ArticlePage._meta.get_field(name)
        through = field.remote_field.through
        source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
        through.objects.bulk_create(
            [through(**{source: page.pk, target: lookup[key]})
             for page, item in zip(pages, items, strict=True) for key in item[name] if key in lookup],
            batch_size=5000)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=kb_corpus.TAGS)}
    for name in kb_corpus.TAGS:
        if name not in tags:
            tags[name] = Tag.objects.create(name=name)
    ArticleTag.objects.bulk_create(
        [ArticleTag(content_object_id=page.pk, tag=tags[name])
         for page, item in zip(pages, items, strict=True) for name in item["tags"]],
        batch_size=5000)
    return [page.pk for page in pages]


def _index_articles(ids: list[int]) -> None:
    """What `manage.py update_index` does for these articles: Wagtail's backend, add_bulk over
    ArticlePage.get_indexed_objects(), a chunk at a time."""
    from wagtail.search.backends import get_search_backend

    from cms.models import ArticlePage

    backend = get_search_backend()
    for start in range(0, len(ids), INDEX_CHUNK):
        chunk = list(ArticlePage.get_indexed_objects().filter(pk__in=ids[start:start + INDEX_CHUNK]).order_by("pk"))
        backend.add_bulk(ArticlePage, chunk)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_fixtures", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed-demo")
    commands.add_parser("article-page")
    dataset = commands.add_parser("search-dataset")
    dataset.add_argument("--size", type=int, required=True)
    dataset.add_argument("--real", type=int, required=True)
    args = parser.parse_args(argv)
    _setup_django()
    if args.command == "seed-demo":
        result = seed_demo_without_articles()
    elif args.command == "article-page":
        result = article_page()
    else:
        result = search_dataset(args.size, args.real)
    # The parent reads the last line of output.
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
