"""Editors write and submit, reviewers approve and publish, scheduled pages go live on time.

Through Wagtail's own admin views, as the editorial staff use them (WagtailPageTestCase)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, TaskState, WorkflowState
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.demo import knowledge_index
from cms.models import ArticlePage, HomePage, KnowledgeIndexPage
from cms.services import EDITOR_GROUP, REVIEW_WORKFLOW, REVIEWER_GROUP
from cms.tasks import publish_scheduled
from orgs.models import HazardFactor
from tests.factories import UserFactory


def article_form(title: str, slug: str, **extra: object) -> dict[str, object]:
    noise = HazardFactor.objects.get(name="噪声")
    data = {
        "title": title,
        "slug": slug,
        "summary": "长期接触噪声会损伤听力，正确佩戴耳塞可以预防。",
        "body": streamfield([
            ("paragraph", rich_text("<p>在工作场所噪声危害严重的岗位，要戴好耳塞。</p>")),
            ("key_points", {"title": "要点", "points": streamfield([("item", "搓细"), ("item", "塞入"), ("item", "按住")])}),
        ]),
        "tags": "耳塞, 听力保护",
        "comments": {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000},
    }
    data.update(extra)
    form = nested_form_data(data)
    # Multiple choices go in as repeated values; nested_form_data would turn lists into formsets.
    form.update({"hazard_classes": ["physical"], "hazard_factors": [str(noise.pk)], "audiences": ["worker"],
                 "dimensions": ["protection_skills"]})
    return form


class EditorialWorkflowTests(WagtailPageTestCase):
    index: KnowledgeIndexPage

    @classmethod
    def setUpTestData(cls) -> None:
        cls.index = knowledge_index()
        cls.editor = UserFactory(username="kb-editor", full_name="编辑")
        cls.editor.groups.add(Group.objects.get(name=EDITOR_GROUP))
        cls.reviewer = UserFactory(username="kb-reviewer", full_name="审核员")
        cls.reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))

    def add_url(self) -> str:
        return reverse("wagtailadmin_pages:add", args=["cms", "articlepage", self.index.pk])

    def test_articles_live_only_under_the_knowledge_base(self) -> None:
        self.assertCanCreateAt(KnowledgeIndexPage, ArticlePage)
        self.assertCanNotCreateAt(HomePage, ArticlePage)
        self.assertCanNotCreateAt(ArticlePage, ArticlePage)
        self.assertAllowedParentPageTypes(ArticlePage, {KnowledgeIndexPage})
        self.assertAllowedSubpageTypes(KnowledgeIndexPage, {ArticlePage})

    def test_the_editor_gets_the_article_form_with_its_tag_tab(self) -> None:
        self.client.force_login(self.editor)
        response = self.client.get(self.add_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="hazard_factors"')
        self.assertContains(response, "职业健康法律知识")
        self.assertNotContains(response, 'name="action-publish"')

    def test_a_reviewer_can_create_and_publish_an_article_at_once(self) -> None:
        self.client.force_login(self.reviewer)
        self.assertCanCreate(self.index, ArticlePage, article_form("耳塞怎么戴", "earplugs"))
        article = ArticlePage.objects.get(slug="earplugs")
        self.assertTrue(article.live)
        self.assertEqual(sorted(article.tags.names()), sorted(["耳塞", "听力保护"]))
        self.assertEqual([factor.name for factor in article.hazard_factors.all()], ["噪声"])
        self.assertPageIsRenderable(article)

    def test_an_editor_submits_and_a_reviewer_approves(self) -> None:
        self.client.force_login(self.editor)
        response = self.client.post(self.add_url(), article_form("耳塞怎么戴", "earplugs", **{"action-submit": "submit"}))
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        article = ArticlePage.objects.get(slug="earplugs")
        self.assertFalse(article.live)
        state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(article.pk))
        self.assertEqual(state.workflow.name, REVIEW_WORKFLOW)
        self.assertEqual(state.status, WorkflowState.STATUS_IN_PROGRESS)

        # The editor cannot approve their own submission.
        task_state = state.current_task_state
        approve = reverse("wagtailadmin_pages:workflow_action", args=[article.pk, "approve", task_state.pk])
        self.client.post(approve, {"comment": ""})
        article.refresh_from_db()
        self.assertFalse(article.live)

        self.client.force_login(self.reviewer)
        response = self.client.post(approve, {"comment": "内容准确，同意发布"})
        self.assertEqual(response.status_code, 302)
        article.refresh_from_db()
        self.assertTrue(article.live)
        state.refresh_from_db()
        self.assertEqual(state.status, WorkflowState.STATUS_APPROVED)
        self.assertEqual(self.client.get(article.url).status_code, 200)

    def test_a_reviewer_can_send_an_article_back_for_changes(self) -> None:
        self.client.force_login(self.editor)
        self.client.post(self.add_url(), article_form("耳塞怎么戴", "earplugs", **{"action-submit": "submit"}))
        article = ArticlePage.objects.get(slug="earplugs")
        task_state = WorkflowState.objects.get(object_id=str(article.pk)).current_task_state
        self.client.force_login(self.reviewer)
        reject = reverse("wagtailadmin_pages:workflow_action", args=[article.pk, "reject", task_state.pk])
        self.client.post(reject, {"comment": "请补充耳塞的更换周期"})
        task_state.refresh_from_db()
        self.assertEqual(task_state.status, TaskState.STATUS_REJECTED)
        article.refresh_from_db()
        self.assertFalse(article.live)

    def test_an_editor_cannot_publish_directly(self) -> None:
        self.client.force_login(self.editor)
        self.client.post(self.add_url(), article_form("耳塞怎么戴", "earplugs", **{"action-publish": "publish"}))
        article = ArticlePage.objects.filter(slug="earplugs").first()
        self.assertTrue(article is None or not article.live)

    def test_every_edit_is_kept_as_a_revision(self) -> None:
        self.client.force_login(self.reviewer)
        self.assertCanCreate(self.index, ArticlePage, article_form("耳塞怎么戴", "earplugs"))
        article = ArticlePage.objects.get(slug="earplugs")
        edit = reverse("wagtailadmin_pages:edit", args=[article.pk])
        self.client.post(edit, article_form("耳塞怎么戴（修订）", "earplugs", **{"action-publish": "publish"}))
        article.refresh_from_db()
        self.assertEqual(article.title, "耳塞怎么戴（修订）")
        self.assertEqual(article.revisions.count(), 2)

    def test_a_scheduled_article_goes_live_when_its_time_comes(self) -> None:
        self.client.force_login(self.reviewer)
        go_live = timezone.localtime() + dt.timedelta(days=2)
        data = article_form("世界职业安全健康日", "april-28", **{
            "action-publish": "publish", "go_live_at": go_live.strftime("%Y-%m-%d %H:%M"),
        })
        response = self.client.post(self.add_url(), data)
        self.assertEqual(response.status_code, 302)
        article = ArticlePage.objects.get(slug="april-28")
        self.assertFalse(article.live)
        publish_scheduled.delay()
        article.refresh_from_db()
        self.assertFalse(article.live)
        with time_machine.travel(go_live + dt.timedelta(minutes=1)):
            publish_scheduled.delay()
            publish_scheduled.delay()  # beat may fire twice: nothing is published twice
        article.refresh_from_db()
        self.assertTrue(article.live)
        self.assertEqual(article.revisions.count(), 1)

    def test_non_images_are_refused_with_a_clear_message(self) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from wagtail.images import get_image_model

        self.client.force_login(self.editor)
        fake = SimpleUploadedFile("cover.jpg", b"this is not an image, just text", content_type="image/jpeg")
        response = self.client.post(reverse("wagtailimages:add"), {"title": "假图片", "file": fake})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors["file"])
        self.assertFalse(get_image_model().objects.filter(title="假图片").exists())

    def test_the_root_page_is_under_the_review_workflow(self) -> None:
        root = Page.objects.get(depth=1)
        self.assertEqual(root.get_workflow().name, REVIEW_WORKFLOW)
        self.assertEqual(self.index.get_workflow().name, REVIEW_WORKFLOW)
