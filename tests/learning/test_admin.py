"""Courses in the Wagtail admin: the course form (audience roles as checkboxes), the moderation
workflow an editor and a reviewer go through for a course and its lessons, the flat listings, and
the editorial-permissions migration."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.demo import knowledge_index
from cms.services import EDITOR_GROUP, REVIEW_WORKFLOW, REVIEWER_GROUP
from learning.models import CourseIndexPage, CoursePage, LessonPage
from orgs.models import HazardClass, User
from tests.conftest import Personas
from tests.learning.helpers import course_index, lessons_of, make_course

pytestmark = pytest.mark.django_db
COMMENTS = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def _html(response: Any) -> str:
    return response.content.decode()


def course_form(title: str, slug: str, roles: list[str], **extra: Any) -> dict[str, Any]:
    form = nested_form_data({"title": title, "slug": slug, "summary": "粉尘与噪声的防护，岗前必学。",
                             "comments": COMMENTS, **extra})
    # Repeated values: nested_form_data would make a list into a formset.
    form.update({"audience_roles": roles, "hazard_classes": [HazardClass.objects.get(code="dust").pk]})
    return form


def lesson_form(title: str, slug: str, minutes: int = 12, **extra: Any) -> dict[str, Any]:
    return nested_form_data({
        "title": title, "slug": slug, "summary": "", "credited_minutes": minutes, "check_pass_count": 0,
        "body": streamfield([("paragraph", rich_text("<p>防尘口罩要贴合面部。</p>"))]),
        "check_questions": inline_formset([]), "comments": COMMENTS, **extra,
    })


def _add_url(parent: Page, model: str) -> str:
    return reverse("wagtailadmin_pages:add", args=["learning", model, parent.pk])


def _approve(client: Client, page: Page) -> Any:
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(page.pk),
                                      status=WorkflowState.STATUS_IN_PROGRESS)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.current_task_state.pk])
    return client.post(url, {"comment": ""})


# -- the form ---------------------------------------------------------------------------------


def test_the_course_form_offers_the_post_roles_as_checkboxes(personas: Personas) -> None:
    html = _html(personas.client(personas.editor).get(_add_url(course_index(), "coursepage")))
    for value, label in (("principal", "主要负责人"), ("manager", "职业卫生管理人员"), ("exposed", "接害劳动者")):
        assert f'type="checkbox" name="audience_roles" value="{value}"' in html
        assert label in html
    assert 'name="action-publish"' not in html  # an editor submits, a reviewer publishes


def test_the_roles_are_stored_as_a_list_in_catalogue_order(personas: Personas) -> None:
    client = personas.client(personas.reviewer)
    response = client.post(_add_url(course_index(), "coursepage"),
                           course_form("防尘课", "dust-course", ["exposed", "principal"], **{"action-publish": "publish"}))
    assert response.status_code == 302, _html(response)[:3000]
    course = CoursePage.objects.get(slug="dust-course")
    assert course.live and course.audience_roles == ["principal", "exposed"]
    edit = _html(client.get(reverse("wagtailadmin_pages:edit", args=[course.pk])))
    ticked = {value for value in ("principal", "manager", "exposed", "other")
              if "checked" in re.search(rf'<input[^>]*name="audience_roles" value="{value}"[^>]*>', edit).group(0)}
    assert ticked == {"principal", "exposed"}


def test_an_unknown_role_is_refused(personas: Personas) -> None:
    response = personas.client(personas.reviewer).post(
        _add_url(course_index(), "coursepage"), course_form("防尘课", "dust-course", ["boss"], **{"action-publish": "publish"}))
    assert response.status_code == 200
    assert not CoursePage.objects.filter(slug="dust-course").exists()


def test_a_course_without_roles_saves_an_empty_list(personas: Personas) -> None:
    personas.client(personas.reviewer).post(_add_url(course_index(), "coursepage"),
                                            course_form("通识课", "general", [], **{"action-publish": "publish"}))
    assert CoursePage.objects.get(slug="general").audience_roles == []


# -- the workflow -----------------------------------------------------------------------------


def test_an_editor_builds_a_course_and_a_reviewer_publishes_it(personas: Personas) -> None:
    editor, reviewer = personas.client(personas.editor), personas.client(personas.reviewer)
    response = editor.post(_add_url(course_index(), "coursepage"),
                           course_form("噪声防护", "noise", ["exposed"], **{"action-submit": "submit"}))
    assert response.status_code == 302, _html(response)[:3000]
    course = CoursePage.objects.get(slug="noise")
    assert not course.live
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(course.pk))
    assert state.workflow.name == REVIEW_WORKFLOW and state.status == WorkflowState.STATUS_IN_PROGRESS
    # The editor adds a lesson to the course waiting for review, and submits it too.
    response = editor.post(_add_url(course, "lessonpage"), lesson_form("耳塞的佩戴", "earplugs", **{"action-submit": "submit"}))
    assert response.status_code == 302, _html(response)[:3000]
    lesson = LessonPage.objects.get(slug="earplugs")
    assert not lesson.live
    # An editor cannot approve their own work.
    _approve(editor, course)
    course.refresh_from_db()
    assert not course.live
    assert _approve(reviewer, course).status_code == 302
    assert _approve(reviewer, lesson).status_code == 302
    course.refresh_from_db()
    lesson.refresh_from_db()
    assert course.live and lesson.live and lesson.credited_minutes == 12
    html = _html(Client().get(course_index().url))
    assert "噪声防护" in html and "1 课时" in html and "0.3 学时" in html


def test_an_editor_cannot_publish_a_course_directly(personas: Personas) -> None:
    personas.client(personas.editor).post(_add_url(course_index(), "coursepage"),
                                          course_form("噪声防护", "noise", ["exposed"], **{"action-publish": "publish"}))
    course = CoursePage.objects.filter(slug="noise").first()
    assert course is None or not course.live


def test_nobody_outside_the_editorial_groups_edits_courses(personas: Personas) -> None:
    url = _add_url(course_index(), "coursepage")
    for user in (personas.worker_user, personas.employer_admin, personas.evaluator, personas.outsider):
        response = personas.client(user).get(url)
        assert response.status_code in (302, 403), user


# -- listings ---------------------------------------------------------------------------------


def test_the_lesson_listing_shows_credited_minutes(personas: Personas) -> None:
    course = make_course(lessons=["reading"], minutes=17, title="带时长的课程")
    html = _html(personas.client(personas.editor).get("/admin/lessons/"))
    lesson = lessons_of(course)[0]
    assert lesson.title in html and "学习时长（分钟）" in html
    assert ">17<" in html.replace(" ", "").replace("\n", "")


def test_the_course_listing_shows_the_roles(personas: Personas) -> None:
    make_course(lessons=["reading"], title="负责人课程", audience_roles=["principal", "manager"])
    html = _html(personas.client(personas.reviewer).get("/admin/courses/"))
    assert "负责人课程" in html and "主要负责人、职业卫生管理人员" in html


def test_the_listings_are_for_the_editorial_groups(personas: Personas) -> None:
    make_course(lessons=["reading"], title="负责人课程")
    for user in (personas.worker_user, personas.employer_admin, personas.outsider):
        for url in ("/admin/courses/", "/admin/lessons/"):
            response = personas.client(user).get(url)
            assert response.status_code in (302, 403) and "负责人课程" not in _html(response)


# -- the permissions migration ----------------------------------------------------------------


def _grant() -> None:
    migration = importlib.import_module("learning.migrations.0002_editorial_permissions")
    migration.grant(global_apps, None)


def test_on_a_new_database_the_course_index_inherits_the_editorial_rights(personas: Personas) -> None:
    index = course_index()
    assert index.get_workflow().name == REVIEW_WORKFLOW
    assert index.permissions_for_user(personas.editor).can_add_subpage()
    assert not index.permissions_for_user(personas.editor).can_publish_subpage()
    assert index.permissions_for_user(personas.reviewer).can_publish_subpage()
    assert not index.permissions_for_user(personas.worker_user).can_add_subpage()


def test_where_the_rights_were_narrowed_to_the_knowledge_base_courses_get_the_same(personas: Personas) -> None:
    root = Page.objects.get(depth=1)
    kb = knowledge_index()
    editors, reviewers = Group.objects.get(name=EDITOR_GROUP), Group.objects.get(name=REVIEWER_GROUP)
    # The site's administrators moved the editorial rights and the workflow from the root onto the
    # knowledge base only.
    for grant in GroupPagePermission.objects.filter(page=root, group__in=[editors, reviewers]):
        GroupPagePermission.objects.create(group=grant.group, page=kb, permission=grant.permission)
        grant.delete()
    workflow = WorkflowPage.objects.get(page=root).workflow
    WorkflowPage.objects.filter(page=root).delete()
    WorkflowPage.objects.create(page=kb, workflow=workflow)
    index = CourseIndexPage.objects.get(pk=course_index().pk)
    assert not index.permissions_for_user(personas.editor).can_add_subpage()
    assert index.get_workflow() is None

    _grant()
    _grant()  # twice changes nothing more

    index = CourseIndexPage.objects.get(pk=index.pk)
    # Fresh user objects: Wagtail keeps a user's page permissions on the object it asked about.
    editor, reviewer = User.objects.get(pk=personas.editor.pk), User.objects.get(pk=personas.reviewer.pk)
    assert index.permissions_for_user(editor).can_add_subpage()
    assert not index.permissions_for_user(editor).can_publish_subpage()
    assert index.permissions_for_user(reviewer).can_publish_subpage()
    assert index.get_workflow().name == REVIEW_WORKFLOW
    assert GroupPagePermission.objects.filter(page=index).count() == GroupPagePermission.objects.filter(page=kb).count()


def test_the_migration_adds_nothing_where_the_root_already_grants_it(personas: Personas) -> None:
    course_index()
    before = (GroupPagePermission.objects.count(), WorkflowPage.objects.count())
    _grant()
    assert (GroupPagePermission.objects.count(), WorkflowPage.objects.count()) == before
