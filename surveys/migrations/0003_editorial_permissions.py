"""Editorial permissions on the surveys app: 内容编辑 build questionnaires (add, change, view; a
questionnaire in use is copied, not deleted) and read the indicators and their targets, which
superusers keep; 内容审核 read all three.

Permissions are created here if they do not exist yet: on a new database Django only creates them
after the last migration has run (as exams/0002_editorial_permissions does).
"""

from django.db import migrations

EDITORS = "内容编辑"
REVIEWERS = "内容审核"

MODELS = {
    "questionnaire": "调查问卷",
    "item": "题目",
    "indicator": "指标",
    "target": "目标",
}
EDITOR_PERMISSIONS = [
    *[("questionnaire", action) for action in ("add", "change", "view")],
    *[("item", action) for action in ("add", "change", "view")],
    ("indicator", "view"), ("target", "view"),
]
REVIEWER_PERMISSIONS = [(model, "view") for model in MODELS]


def _permission(apps, model, action):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="surveys", model=model)
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
    permissions = Permission.objects.filter(content_type__app_label="surveys", content_type__model__in=list(MODELS))
    for group in Group.objects.filter(name__in=[EDITORS, REVIEWERS]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_indicators_targets"),
        ("cms", "0006_editorial_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
