"""The bank's import and export pages in the Wagtail admin: upload → preview → confirm as an editor,
template and exports, and every other role turned away."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from exams import bank_admin_views
from exams.models import BankImport, Category, Question
from exams.resources import HEADERS
from exams.services.bank import QuestionData, question_save
from tests.exams.bankfiles import multichoice, other_type, quiz, row, xlsx_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def upload(client, content, name="题库.xlsx", *, follow=False, **fields):
    return client.post(reverse("exams_bank_import"), {"file": SimpleUploadedFile(name, content), **fields},
                       follow=follow)


@pytest.fixture
def editor(personas):
    assert personas.editor.has_perm("exams.add_question"), "内容编辑 keep the bank (exams migration 0002)"
    return personas.client(personas.editor)


def test_an_editor_uploads_previews_and_confirms(editor, personas):
    assert editor.get(reverse("exams_bank_import")).status_code == 200
    response = upload(editor, xlsx_bytes([row(category="新分类"), row(stem="第二题", options=("甲", "乙"), answer="A")]),
                      create_categories="on")
    record = BankImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("exams_bank_import_detail", args=[record.code])
    assert (record.status, record.created_by, record.format) == ("checked", personas.editor, "xlsx")
    page = editor.get(response.url).content.decode()
    assert "将新增 2 道试题" in page and "将新建分类：新分类" in page and "职业病防治法自哪一年起施行" in page
    assert 'id="preview-table"' in page and "确认导入" in page
    assert Question.objects.count() == 0  # previewing writes nothing
    confirmed = editor.post(reverse("exams_bank_import_confirm", args=[record.code]), follow=True)
    assert "已导入 2 道试题" in confirmed.content.decode()
    record.refresh_from_db()
    assert record.status == "imported"
    assert Question.objects.count() == 2 and Category.objects.filter(path="新分类").exists()
    entry = ModelLogEntry.objects.get(action="exams.bank.import")
    assert entry.user == personas.editor and entry.data["created"] == 2
    # A second confirm (a double click, a back button) writes nothing more.
    again = editor.post(reverse("exams_bank_import_confirm", args=[record.code]), follow=True)
    assert "只有检查通过、尚未导入的文件可以确认导入" in again.content.decode()
    assert Question.objects.count() == 2


def test_a_bad_file_shows_each_error_with_row_and_column_and_cannot_be_confirmed(editor):
    response = upload(editor, xlsx_bytes([row(), row(stem="第二题", answer="E"), row(stem="第三题", kind="问答题")]),
                      follow=True)
    page = response.content.decode()
    record = BankImport.objects.get()
    assert record.status == "rejected"
    assert "发现 2 处问题，未写入任何数据" in page
    assert "<td>3</td><td>K 答案</td><td>答案 E 不在选项中（本题只有 A–C）</td>" in page
    assert "<td>4</td><td>A 题型</td>" in page
    assert "确认导入" not in page
    editor.post(reverse("exams_bank_import_confirm", args=[record.code]))
    assert Question.objects.count() == 0
    assert BankImport.objects.get().status == "rejected"


def test_a_moodle_file_lists_skipped_types_and_notes(editor):
    content = quiz(other_type("essay", "谈谈防尘"), multichoice("Q1", '<p>噪声<img src="@@PLUGINFILE@@/a.png"></p>',
                                                               [(100, "甲"), (0, "乙")]))
    page = upload(editor, content, name="moodle.xml", follow=True).content.decode()
    assert BankImport.objects.get().format == "moodle"
    assert "跳过 1 道本系统没有的题型" in page and "<td>1</td><td>essay</td><td>谈谈防尘</td>" in page
    assert "图片“a.png”未导入" in page


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"a,b\n1,2", "bank.csv", "只接受"),
    (b"", "bank.xlsx", "空文件"),
])
def test_a_file_refused_as_a_whole_is_a_form_error(editor, content, name, words):
    response = upload(editor, content, name=name)
    assert response.status_code == 200 and words in response.content.decode()
    assert BankImport.objects.count() == 0


def test_an_unreadable_file_is_recorded_with_its_reason(editor):
    page = upload(editor, b"<quiz><question", name="broken.xml", follow=True).content.decode()
    assert BankImport.objects.get().status == "rejected"
    assert "不是有效的 XML 文件" in page


def test_template_and_exports_download(editor, personas):
    question_save(actor=None, create_category=True, data=QuestionData(
        kind="single", stem="=HYPERLINK(\"http://evil\")", options=["甲", "乙"], answer="A", category_path="法律法规"))
    template = editor.get(reverse("exams_bank_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert list(next(load_workbook(io.BytesIO(b"".join(template.streaming_content)))["题库"].iter_rows(
        values_only=True))) == list(HEADERS)
    assert editor.get(reverse("exams_bank_export")).status_code == 200  # the form
    workbook = editor.get(reverse("exams_bank_export"), {"format": "xlsx"})
    cells = list(load_workbook(io.BytesIO(b"".join(workbook.streaming_content)))["题库"].iter_rows(values_only=True))
    assert cells[1][1] == "'=HYPERLINK(\"http://evil\")"
    moodle = editor.get(reverse("exams_bank_export"), {"format": "moodle", "category": Category.objects.get().pk})
    assert moodle["Content-Type"] == "application/xml; charset=utf-8" and "attachment" in moodle["Content-Disposition"]
    assert "$course$/top/法律法规" in moodle.content.decode()
    entries = ModelLogEntry.objects.filter(action="exams.bank.export").order_by("pk")
    assert [(entry.user, entry.data["format"]) for entry in entries] == [(personas.editor, "xlsx"),
                                                                         (personas.editor, "moodle")]


def test_a_superuser_may_import(personas):
    client = personas.client(personas.superuser)
    assert client.get(reverse("exams_bank_import")).status_code == 200
    assert upload(client, xlsx_bytes([row()])).status_code == 302


@pytest.fixture
def admin_reader():
    """Someone who may use the admin but not keep the bank."""
    user = UserFactory(username="admin-reader")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


def _bank_urls():
    record = BankImport.objects.create(format="xlsx", original_name="x.xlsx", file="bank-imports/x.xlsx",
                                       status="checked")
    return record, [reverse("exams_bank_import"), reverse("exams_bank_template"), reverse("exams_bank_export"),
                    reverse("exams_bank_export") + "?format=moodle",
                    reverse("exams_bank_import_detail", args=[record.code])]


def test_admin_users_who_may_not_add_questions_get_403(personas, admin_reader):
    record, urls = _bank_urls()
    for user in (admin_reader, personas.reviewer):
        assert not user.has_perm("exams.add_question")
        client = personas.client(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        assert upload(client, xlsx_bytes([row()])).status_code == 403
        assert client.post(reverse("exams_bank_import_confirm", args=[record.code])).status_code == 403
    assert Question.objects.count() == 0 and BankImport.objects.count() == 1


def test_workers_outsiders_and_strangers_never_reach_the_bank(personas):
    record, urls = _bank_urls()
    for user in (personas.worker_user, personas.outsider, personas.employer_admin, None):
        client = personas.client(user)
        for url in urls:
            response = client.get(url)
            # The admin sends whoever may not use it to its login page; nothing of the bank is shown.
            assert response.status_code == 302 and response.url.startswith(reverse("wagtailadmin_login")), url
        assert upload(client, xlsx_bytes([row()])).status_code == 302
        client.post(reverse("exams_bank_import_confirm", args=[record.code]))
    assert Question.objects.count() == 0 and BankImport.objects.count() == 1
    assert BankImport.objects.get().status == "checked"
    # The views refuse them themselves too, whatever mounts them.
    factory = RequestFactory()
    for user in (personas.worker_user, personas.outsider):
        request = factory.get("/")
        request.user = user
        assert bank_admin_views.bank_import(request).status_code == 403
        assert bank_admin_views.bank_export(request).status_code == 403
        assert bank_admin_views.bank_import_detail(request, record.code).status_code == 403


def test_an_unknown_import_is_404(editor):
    assert editor.get(reverse("exams_bank_import_detail", args=["nope"])).status_code == 404
    assert editor.post(reverse("exams_bank_import_confirm", args=["nope"])).status_code == 404
