import django.db.models.deletion
from django.db import migrations, models

# attempt_item_unique (attempt_id, position) already serves every lookup by attempt. Only the index
# goes: Django's own AlterField would also drop and re-add the foreign key, which re-checks every
# row of the table under a lock.
INDEX = "exams_attemptitem_attempt_id_c99cb0ee"


class Migration(migrations.Migration):

    dependencies = [
        ("exams", "0004_attempts_out_of_reference_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attemptitem",
                    name="attempt",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="items", to="exams.attempt"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "exams_attemptitem" ("attempt_id")',
                ),
            ],
        ),
    ]
