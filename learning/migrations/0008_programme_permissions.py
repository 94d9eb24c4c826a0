"""Editorial permissions on the training programmes: 内容编辑 set programmes up (add, change, view;
a programme is deactivated, never deleted: assignments point at it) and read the assignments;
内容审核 read both. Created here if missing (Django makes permissions after the last migration)."""

from django.db import migrations

EDITORS = "内容编辑"
REVIEWERS = "内容审核"
MODELS = {"programme": "programme", "trainingassignment": "training assignment"}
EDITOR_PERMISSIONS = [*[("programme", action) for action in ("add", "change", "view")], ("trainingassignment", "view")]
REVIEWER_PERMISSIONS = [(model, "view") for model in MODELS]


def _permission(apps, model, action):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="learning", model=model)
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
    permissions = Permission.objects.filter(content_type__app_label="learning", content_type__model__in=list(MODELS))
    for group in Group.objects.filter(name__in=[EDITORS, REVIEWERS]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0007_assignment_cycle_withdrawn"),
        ("cms", "0006_editorial_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
