"""Editorial permissions on the course catalogue: 内容编辑 write courses and lessons and submit them,
内容审核 approve and publish, through the same workflow (科普内容审核) as the knowledge base.

cms/0006_editorial_groups grants the groups their page permissions and the workflow on the root
page, so a course index made later under the home page (by the demo or an editor) inherits them
exactly as the knowledge index does, and on a new database there is nothing more to do. A site
whose administrators narrowed those grants to the knowledge index's subtree would leave courses
out; there, each course index gets what the groups hold over the knowledge index (or, without a
knowledge index, what cms/0006 gives), and the workflow the knowledge index uses, unless it
already inherits them.

Permissions are created here if they do not exist yet: on a new database Django only creates them
after the last migration has run (as cms/0006_editorial_groups does).
"""

from django.db import migrations

EDITORS = "内容编辑"
REVIEWERS = "内容审核"
WORKFLOW = "科普内容审核"
# What cms/0006 gives on the root page.
DEFAULT_CODENAMES = {
    EDITORS: ["add_page", "change_page"],
    REVIEWERS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
STEPLEN = 4  # treebeard's path step in Wagtail


def _ancestor_paths(path):
    """The page's own path and every ancestor's (treebeard materialised paths)."""
    return [path[:end] for end in range(STEPLEN, len(path) + 1, STEPLEN)]


def _held(GroupPagePermission, group, page):
    """Codenames the group holds on the page, directly or through an ancestor."""
    return set(GroupPagePermission.objects.filter(group=group, page__path__in=_ancestor_paths(page.path))
               .values_list("permission__codename", flat=True))


def _workflow_of(WorkflowPage, page):
    """The workflow that applies to the page: the one attached to it or to its nearest ancestor."""
    link = (WorkflowPage.objects.filter(page__path__in=_ancestor_paths(page.path))
            .select_related("workflow", "page").order_by("-page__depth").first())
    return link.workflow if link is not None else None


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    KnowledgeIndexPage = apps.get_model("cms", "KnowledgeIndexPage")
    CourseIndexPage = apps.get_model("learning", "CourseIndexPage")

    indexes = list(CourseIndexPage.objects.order_by("path"))
    if not indexes:
        return
    page_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")

    def permission(codename):
        perm, _ = Permission.objects.get_or_create(
            content_type=page_type, codename=codename, defaults={"name": f"Can {codename.replace('_', ' ')}"})
        return perm

    knowledge = KnowledgeIndexPage.objects.order_by("path").first()
    for name, defaults in DEFAULT_CODENAMES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = _held(GroupPagePermission, group, knowledge) if knowledge is not None else set(defaults)
        for index in indexes:
            for codename in sorted(wanted - _held(GroupPagePermission, group, index)):
                GroupPagePermission.objects.get_or_create(group=group, page_id=index.pk, permission=permission(codename))

    workflow = _workflow_of(WorkflowPage, knowledge) if knowledge is not None else None
    workflow = workflow or Workflow.objects.filter(name=WORKFLOW, active=True).first()
    if workflow is None:
        return
    for index in indexes:
        if _workflow_of(WorkflowPage, index) is None:
            WorkflowPage.objects.update_or_create(page_id=index.pk, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_initial"),
        ("cms", "0006_editorial_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    # Nothing to undo on the way back: cms/0006's grants stay, and rows added here go with the
    # pages they are attached to.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
