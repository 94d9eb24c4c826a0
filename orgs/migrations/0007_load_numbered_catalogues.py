from django.db import migrations


def load(apps, schema_editor):
    from orgs.catalogues import load_catalogues

    # The hazard factors numbered and traced, former spellings kept; the disease catalogues added.
    load_catalogues(apps)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0006_catalogues")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
