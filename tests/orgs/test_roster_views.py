"""Roster pages: upload → preview → confirm, the progress endpoint, the background path and who may
see what (outsider 404, evaluator read-only 403, worker 404, anonymous → login)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from orgs.idnumbers import id_number_mask
from orgs.models import PostRole, RosterImport, Worker
from tests.conftest import Personas
from tests.orgs.rosterfiles import counts, csv_bytes, make_id, make_phone, person, table, upload, xlsx_bytes

GOOD_FILE = xlsx_bytes(table(person(1, "张三", exposures="煤尘"), person(2, "李四", role="其他", exposures="")))
BAD_FILE = xlsx_bytes(table(person(1), person(2, role="临时工"), person(3, id_number="123")))

READ_ROUTES = ["roster"]
WRITE_ROUTES = ["roster_template", "roster_export", "roster_import"]
IMPORT_ROUTES = ["roster_import_detail", "roster_import_progress", "roster_import_confirm"]


@pytest.fixture
def admin_client(personas: Personas) -> Client:
    return personas.client(personas.employer_admin)


@pytest.fixture
def roster_import(personas: Personas, admin_client: Client) -> RosterImport:
    _post(admin_client, personas, GOOD_FILE)
    return RosterImport.objects.get(employer=personas.employer)


def _url(name: str, personas: Personas, roster_import: RosterImport | None = None) -> str:
    if name == "roster_import_progress":  # the shared progress endpoint of every job (core.jobs)
        assert roster_import is not None
        return reverse("job_progress", args=["roster-import", roster_import.code])
    if name in IMPORT_ROUTES:
        assert roster_import is not None
        return reverse(f"orgs:{name}", args=[personas.employer.code, roster_import.code])
    return reverse(f"orgs:{name}", args=[personas.employer.code])


def _progress(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in ("status", "percent", "done", "running")}


def _post(client: Client, personas: Personas, content: bytes, name: str = "花名册.xlsx") -> Any:
    return client.post(_url("roster_import", personas), {"file": upload(content, name)})


def _request(client: Client, name: str, url: str) -> Any:
    return client.post(url) if name == "roster_import_confirm" else client.get(url)


def _text(response: Any) -> str:
    return response.content.decode()


# --- upload, preview, confirm ---------------------------------------------------------------------


def test_it_shows_the_upload_page(personas: Personas, admin_client: Client) -> None:
    response = admin_client.get(_url("roster_import", personas))
    assert response.status_code == 200
    assert _url("roster_template", personas) in _text(response)
    assert 'type="file"' in _text(response)


def test_it_previews_an_upload_without_writing(personas: Personas, admin_client: Client) -> None:
    before = counts()
    response = _post(admin_client, personas, GOOD_FILE)
    roster_import = RosterImport.objects.get(employer=personas.employer)
    assert response.status_code == 302
    assert response["Location"] == _url("roster_import_detail", personas, roster_import)
    page = _text(admin_client.get(response["Location"]))
    assert "检查通过：共 2 行，新增 2 人，更新 0 人。" in page
    assert "确认导入" in page
    assert counts() == before
    assert roster_import.created_by == personas.employer_admin


def test_it_counts_updates_in_the_preview(personas: Personas, admin_client: Client) -> None:
    known = personas.worker
    content = xlsx_bytes(table(person(1), person(2, id_number=known.id_number, phone=known.phone)))
    page = _text(admin_client.get(_post(admin_client, personas, content)["Location"]))
    assert "新增 1 人，更新 1 人" in page


def test_it_imports_on_confirm(personas: Personas, admin_client: Client, roster_import: RosterImport) -> None:
    before = counts()
    response = admin_client.post(_url("roster_import_confirm", personas, roster_import))
    assert response.status_code == 302
    assert response["Location"] == _url("roster_import_detail", personas, roster_import)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert counts()[:2] == (before[0] + 2, before[1] + 2)
    zhang = Worker.objects.get(id_number=make_id(1))
    assert (zhang.employer, zhang.name, zhang.phone) == (personas.employer, "张三", make_phone(1))
    assert list(zhang.exposures.values_list("name", flat=True)) == ["煤尘"]
    assert Worker.objects.get(id_number=make_id(2)).post_role == PostRole.OTHER
    assert "导入完成：新增 2 人，更新 0 人。" in _text(admin_client.get(response["Location"]))


def test_it_imports_once_when_confirmed_twice(personas: Personas, admin_client: Client,
                                              roster_import: RosterImport) -> None:
    url = _url("roster_import_confirm", personas, roster_import)
    admin_client.post(url)
    after_first = counts()
    response = admin_client.post(url, follow=True)
    assert counts() == after_first
    assert "只有检查通过、尚未导入的文件可以确认导入" in _text(response)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED


def test_it_refuses_to_confirm_by_get(personas: Personas, admin_client: Client, roster_import: RosterImport) -> None:
    before = counts()
    assert admin_client.get(_url("roster_import_confirm", personas, roster_import)).status_code == 405
    assert counts() == before


def test_it_shows_the_problems_of_a_rejected_file(personas: Personas, admin_client: Client) -> None:
    before = counts()
    response = _post(admin_client, personas, BAD_FILE)
    roster_import = RosterImport.objects.get(employer=personas.employer)
    assert roster_import.status == RosterImport.Status.REJECTED
    assert [(error["row"], error["letter"], error["column"]) for error in roster_import.errors] == [
        (3, "F", "岗位角色"), (4, "B", "身份证号")]
    page = _text(admin_client.get(response["Location"]))
    assert "发现 2 处问题，未写入任何数据" in page
    assert "<td>3</td><td>F 岗位角色</td>" in page
    assert "不认识的岗位角色“临时工”" in page
    assert "<td>4</td><td>B 身份证号</td>" in page
    assert "身份证号应为18位，这里是3位" in page
    assert "确认导入" not in page
    assert counts() == before


def test_it_refuses_to_confirm_a_rejected_file(personas: Personas, admin_client: Client) -> None:
    _post(admin_client, personas, BAD_FILE)
    roster_import = RosterImport.objects.get(employer=personas.employer)
    before = counts()
    response = admin_client.post(_url("roster_import_confirm", personas, roster_import), follow=True)
    assert "只有检查通过、尚未导入的文件可以确认导入" in _text(response)
    assert counts() == before


def test_it_shows_the_message_of_an_unreadable_file(personas: Personas, admin_client: Client) -> None:
    before = counts()
    response = _post(admin_client, personas, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "花名册.xls")
    page = _text(admin_client.get(response["Location"]))
    assert "97-2003" in page
    assert "上传新文件" in page
    assert counts() == before


def test_it_keeps_a_refused_extension_on_the_form(personas: Personas, admin_client: Client) -> None:
    before = counts()
    response = _post(admin_client, personas, b"%PDF-1.7", "花名册.pdf")
    assert response.status_code == 200
    assert "只接受 .xlsx 或 .csv 文件" in _text(response)
    assert RosterImport.objects.count() == 0
    assert counts() == before


def test_it_keeps_an_empty_upload_on_the_form(personas: Personas, admin_client: Client) -> None:
    response = _post(admin_client, personas, b"", "花名册.csv")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert RosterImport.objects.count() == 0


@override_settings(ROSTER_MAX_UPLOAD_BYTES=1024)
def test_it_keeps_an_oversized_upload_on_the_form(personas: Personas, admin_client: Client) -> None:
    response = _post(admin_client, personas, csv_bytes(table(*(person(n) for n in range(1, 40)))), "花名册.csv")
    assert response.status_code == 200
    assert "文件超过" in _text(response)
    assert RosterImport.objects.count() == 0


def test_it_lists_recent_imports_on_the_roster(personas: Personas, admin_client: Client,
                                                roster_import: RosterImport) -> None:
    page = _text(admin_client.get(_url("roster", personas)))
    assert _url("roster_import_detail", personas, roster_import) in page
    assert "待确认" in page


# --- progress and the background path ------------------------------------------------------------


def test_it_reports_progress_as_json(personas: Personas, admin_client: Client, roster_import: RosterImport) -> None:
    response = admin_client.get(_url("roster_import_progress", personas, roster_import))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert _progress(response.json()) == {"status": "checked", "percent": 100, "done": 2, "running": False}


@override_settings(ROSTER_BACKGROUND_BYTES=1, ROSTER_BACKGROUND_ROWS=1)
def test_it_checks_and_imports_in_the_background(personas: Personas, admin_client: Client,
                                                 django_capture_on_commit_callbacks: Any) -> None:
    before = counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(admin_client, personas, GOOD_FILE)
        roster_import = RosterImport.objects.get(employer=personas.employer)
        progress = admin_client.get(_url("roster_import_progress", personas, roster_import)).json()
        assert _progress(progress) == {"status": "uploaded", "percent": 0, "done": 0, "running": True}
        assert "正在处理" in _text(admin_client.get(response["Location"]))
    assert len(callbacks) == 1
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.CHECKED
    assert roster_import.summary["new"] == 2
    assert counts() == before

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        admin_client.post(_url("roster_import_confirm", personas, roster_import))
        roster_import.refresh_from_db()
        assert roster_import.status == RosterImport.Status.CHECKED  # not yet: waits for the commit
    # The import, then (once it commits) the training rules for the roster (orgs.signals).
    assert len(callbacks) == 2
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert counts()[:2] == (before[0] + 2, before[1] + 2)
    zhang = Worker.objects.get(id_number=make_id(1))
    assert (zhang.employer, zhang.name, zhang.user.username) == (personas.employer, "张三", make_phone(1))
    assert list(zhang.exposures.values_list("name", flat=True)) == ["煤尘"]
    assert _progress(admin_client.get(_url("roster_import_progress", personas, roster_import)).json()) == {
        "status": "imported", "percent": 100, "done": 2, "running": False}
    from learning.models import TrainingAssignment

    assert TrainingAssignment.objects.filter(worker=zhang).exists()


@override_settings(ROSTER_BACKGROUND_BYTES=1, ROSTER_BACKGROUND_ROWS=1)
def test_it_imports_once_when_confirmed_twice_in_the_background(
    personas: Personas, admin_client: Client, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _post(admin_client, personas, GOOD_FILE)
    roster_import = RosterImport.objects.get(employer=personas.employer)
    before = counts()
    url = _url("roster_import_confirm", personas, roster_import)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url)
        admin_client.post(url)  # a double click before the task ran
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert counts()[:2] == (before[0] + 2, before[1] + 2)


@override_settings(ROSTER_BACKGROUND_BYTES=1)
def test_it_rejects_in_the_background(personas: Personas, admin_client: Client,
                                      django_capture_on_commit_callbacks: Any) -> None:
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_client, personas, BAD_FILE)
    page = _text(admin_client.get(response["Location"]))
    assert "发现 2 处问题，未写入任何数据" in page
    assert counts() == before


# --- who may see what ----------------------------------------------------------------------------


def test_it_redirects_an_admin_of_one_employer_to_its_roster(personas: Personas, admin_client: Client) -> None:
    response = admin_client.get(reverse("orgs:employer_home"))
    assert response.status_code == 302
    assert response["Location"] == _url("roster", personas)


def test_it_shows_full_id_numbers_to_the_employer_admin(personas: Personas, admin_client: Client) -> None:
    page = _text(admin_client.get(_url("roster", personas)))
    assert personas.worker.id_number in page
    assert "导入花名册" in page


def test_it_shows_masked_id_numbers_to_the_evaluator(personas: Personas) -> None:
    response = personas.client(personas.evaluator).get(_url("roster", personas))
    assert response.status_code == 200
    page = _text(response)
    assert id_number_mask(personas.worker.id_number) in page
    assert personas.worker.id_number not in page
    assert "只读" in page
    assert _url("roster_import", personas) not in page
    assert _url("roster_export", personas) not in page


@pytest.mark.parametrize("name", READ_ROUTES + WRITE_ROUTES + IMPORT_ROUTES)
def test_it_hides_everything_from_an_outsider(personas: Personas, roster_import: RosterImport, name: str) -> None:
    before = counts(), RosterImport.objects.count()
    response = _request(personas.client(personas.outsider), name, _url(name, personas, roster_import))
    assert response.status_code == 404
    assert (counts(), RosterImport.objects.count()) == before


@pytest.mark.parametrize("name", READ_ROUTES + WRITE_ROUTES + IMPORT_ROUTES)
def test_it_hides_everything_from_a_worker(personas: Personas, roster_import: RosterImport, name: str) -> None:
    response = _request(personas.client(personas.worker_user), name, _url(name, personas, roster_import))
    assert response.status_code == 404


@pytest.mark.parametrize("name", WRITE_ROUTES + IMPORT_ROUTES)
def test_it_forbids_writes_to_the_evaluator(personas: Personas, roster_import: RosterImport, name: str) -> None:
    before = counts(), RosterImport.objects.count(), roster_import.status
    response = _request(personas.client(personas.evaluator), name, _url(name, personas, roster_import))
    assert response.status_code == 403
    roster_import.refresh_from_db()
    assert (counts(), RosterImport.objects.count(), roster_import.status) == before


def test_it_forbids_an_upload_by_the_evaluator(personas: Personas) -> None:
    before = counts()
    response = _post(personas.client(personas.evaluator), personas, GOOD_FILE)
    assert response.status_code == 403
    assert RosterImport.objects.count() == 0
    assert counts() == before


def test_it_forbids_an_upload_by_an_outsider(personas: Personas) -> None:
    response = _post(personas.client(personas.outsider), personas, GOOD_FILE)
    assert response.status_code == 404
    assert RosterImport.objects.count() == 0


@pytest.mark.parametrize("name", READ_ROUTES + WRITE_ROUTES + IMPORT_ROUTES)
def test_it_sends_anonymous_visitors_to_login(personas: Personas, roster_import: RosterImport, name: str) -> None:
    url = _url(name, personas, roster_import)
    response = _request(Client(), name, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_it_hides_an_import_of_another_employer(personas: Personas, admin_client: Client) -> None:
    other_import = RosterImport.objects.create(employer=personas.other_employer, created_by=personas.outsider,
                                               original_name="x.xlsx", status=RosterImport.Status.CHECKED)
    before = counts()
    for name in IMPORT_ROUTES:
        if name == "roster_import_progress":
            url = _url(name, personas, other_import)
        else:
            url = reverse(f"orgs:{name}", args=[personas.employer.code, other_import.code])
        assert _request(admin_client, name, url).status_code == 404
    other_import.refresh_from_db()
    assert other_import.status == RosterImport.Status.CHECKED
    assert counts() == before


def test_it_returns_404_for_an_unknown_employer(personas: Personas) -> None:
    client = personas.client(personas.superuser)
    assert client.get(reverse("orgs:roster", args=["no-such-code"])).status_code == 404


def test_it_lets_a_superuser_in(personas: Personas) -> None:
    client = personas.client(personas.superuser)
    page = _text(client.get(_url("roster", personas)))
    assert personas.worker.id_number in page
