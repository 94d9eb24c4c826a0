from django.db import migrations


def load(apps, schema_editor):
    from orgs.catalogues import load_catalogues

    load_catalogues(apps)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
