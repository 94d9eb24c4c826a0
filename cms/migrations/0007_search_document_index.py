"""PostgreSQL: a GIN index on the title and body vectors of Wagtail's search index together.

cms.selectors.IndexedSearch matches on (title || body); without this index every search reads the
vectors of every article (see docs/knowledge-base.md). SQLite searches through FTS5 instead.
"""

from django.db import migrations

INDEX = "cms_search_document_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {INDEX} ON "{table}" USING gin (("title" || "body"))')
    # Statistics for the new expression: without them the planner guesses one match per search.
    schema_editor.execute(f'ANALYZE "{table}"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cms", "0006_editorial_groups"), ("wagtailsearch", "0010_add_text_fields")]
    operations = [migrations.RunPython(create, drop)]
