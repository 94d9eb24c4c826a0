"""Attempts, certificates and exam jobs left Wagtail's reference index (wagtail_reference_index_ignore):
their rows there were written by every save and are nobody's usage; drop them."""

from django.db import migrations


def forget_references(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    types = ContentType.objects.filter(app_label="exams", model__in=["attempt", "certificate", "examjob"])
    ReferenceIndex.objects.filter(content_type__in=types).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("exams", "0003_catalogues"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0078_referenceindex"),
    ]

    operations = [
        migrations.RunPython(forget_references, migrations.RunPython.noop),
    ]
