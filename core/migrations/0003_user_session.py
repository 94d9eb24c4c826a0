import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CHUNK = 2000


def sessions_carry_over(apps, schema_editor):
    """The sessions Django's own table holds move to the new one with their user's id, so that nobody
    is signed out by the upgrade; expired ones and those that no longer decode stay behind."""
    from django.contrib.auth import SESSION_KEY
    # Its class name salts the data's signature, and core.sessions' store has the same name.
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    Old = apps.get_model("sessions", "Session")
    New = apps.get_model("core", "UserSession")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    decoder = SessionStore()
    rows = []
    for old in Old.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=CHUNK):
        data = decoder.decode(old.session_data)
        if not data:
            continue
        try:
            user_id = int(data[SESSION_KEY]) if SESSION_KEY in data else None
        except (TypeError, ValueError):
            continue
        rows.append(New(session_key=old.session_key, session_data=old.session_data, expire_date=old.expire_date,
                        user_id=user_id))
    known = set(User.objects.filter(pk__in={row.user_id for row in rows if row.user_id}).values_list("pk", flat=True))
    New.objects.bulk_create([row for row in rows if row.user_id is None or row.user_id in known], batch_size=CHUNK)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_notification'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='UserSession',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '会话',
                'verbose_name_plural': '会话',
                'abstract': False,
            },
        ),
        migrations.RunPython(sessions_carry_over, migrations.RunPython.noop, elidable=True),
    ]
