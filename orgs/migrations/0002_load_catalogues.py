from django.db import migrations


def load(apps, schema_editor):
    from orgs.catalogues import load_catalogues

    # Hazard factors and diseases need the fields of 0006; they load there.
    load_catalogues(apps, parts=("regions", "industries"))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
