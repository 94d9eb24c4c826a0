"""Editorial roles: 内容编辑 write and submit, 内容审核 approve and publish, through one workflow.

Wagtail's own starter groups (Editors, Moderators) and its default workflow are replaced, so the
admin shows one set of roles. Permissions are created here if they do not exist yet: on a new
database Django only creates them after the last migration has run.
"""

from django.db import migrations

EDITORS = "内容编辑"
REVIEWERS = "内容审核"
WORKFLOW = "科普内容审核"
TASK = "审核员审核"

COMMON = [
    ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
    ("wagtailimages", "image", "add_image", "Can add image"),
    ("wagtailimages", "image", "change_image", "Can change image"),
    ("wagtailimages", "image", "choose_image", "Can choose image"),
    ("wagtaildocs", "document", "add_document", "Can add document"),
    ("wagtaildocs", "document", "change_document", "Can change document"),
    ("wagtaildocs", "document", "choose_document", "Can choose document"),
]
REVIEWER_ONLY = [
    ("wagtailimages", "image", "delete_image", "Can delete image"),
    ("wagtaildocs", "document", "delete_document", "Can delete document"),
]
EDITOR_PAGE = ["add_page", "change_page"]
REVIEWER_PAGE = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


def create(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    def permission(app_label, model, codename, name):
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        perm, _ = Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})
        return perm

    editors, _ = Group.objects.get_or_create(name=EDITORS)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    # Image and document permissions count only per collection (GroupCollectionPermission);
    # the admin permission is a plain one.
    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    for group, specs in ((editors, COMMON), (reviewers, COMMON + REVIEWER_ONLY)):
        for spec in specs:
            perm = permission(*spec)
            if spec[0] == "wagtailadmin":
                group.permissions.add(perm)
            elif root_collection is not None:
                GroupCollectionPermission.objects.get_or_create(group=group, collection=root_collection, permission=perm)

    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return
    for group, codenames in ((editors, EDITOR_PAGE), (reviewers, REVIEWER_PAGE)):
        for codename in codenames:
            perm = permission("wagtailcore", "page", codename, f"Can {codename.replace('_', ' ')}")
            GroupPagePermission.objects.get_or_create(group=group, page=root, permission=perm)

    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    workflow, created = Workflow.objects.get_or_create(name=WORKFLOW, defaults={"active": True})
    if created:
        task = GroupApprovalTask.objects.create(name=TASK, active=True, content_type=task_type)
        task.groups.add(reviewers)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})

    # Wagtail's starter workflow and groups, when nobody uses them yet.
    Workflow.objects.filter(name="Moderators approval").exclude(workflow_pages__isnull=False).update(active=False)
    for name in ("Editors", "Moderators"):
        Group.objects.filter(name=name, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_taxonomies"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
