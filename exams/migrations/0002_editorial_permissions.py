"""Editorial permissions on the exams app: 内容编辑 keep the question bank and set exams up
(add, change, view; nothing is deleted: questions are deactivated, exams archived), and read the
attempts, certificates and exam jobs, and upload bank files; 内容审核 read all of it.

Permissions are created here if they do not exist yet: on a new database Django only creates them
after the last migration has run (as cms/0006_editorial_groups does).
"""

from django.db import migrations

EDITORS = "内容编辑"
REVIEWERS = "内容审核"

MODELS = {
    "question": "question",
    "category": "category",
    "exam": "exam",
    "blueprintrule": "blueprint rule",
    "attempt": "attempt",
    "certificate": "certificate",
    "examjob": "exam job",
    "bankimport": "bank import",
}
EDITOR_PERMISSIONS = [
    *[(model, action) for model in ("question", "category", "exam", "blueprintrule") for action in ("add", "change", "view")],
    *[(model, "view") for model in ("attempt", "certificate", "examjob")],
    # The bank import pages (exams.bank_admin_views) record each upload as a BankImport.
    ("bankimport", "add"), ("bankimport", "view"),
]
REVIEWER_PERMISSIONS = [(model, "view") for model in MODELS]


def _permission(apps, model, action):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="exams", model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {MODELS[model]}"})
    return permission


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, specs in ((EDITORS, EDITOR_PERMISSIONS), (REVIEWERS, REVIEWER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*[_permission(apps, model, action) for model, action in specs])


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="exams", content_type__model__in=list(MODELS))
    for group in Group.objects.filter(name__in=[EDITORS, REVIEWERS]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("cms", "0006_editorial_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
