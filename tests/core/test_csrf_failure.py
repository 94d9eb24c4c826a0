"""The friendly 403 pages: a refused CSRF check (settings.CSRF_FAILURE_VIEW → core.views.csrf_failure)
shows a way back instead of Django's technical page; a refusal that says why shows its reason."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exams.models import Attempt, ExamAssignment
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam

pytestmark = pytest.mark.django_db

EXPIRED = "页面已过期，请刷新后重试"
ROLES = ["worker_user", "employer_admin", "evaluator", "editor", "reviewer", "superuser", "outsider"]


def _strict(user: Any = None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def _back_link(response: Any) -> str:
    match = re.search(r'<a class="btn" href="([^"]*)" data-testid="csrf-back">', response.content.decode())
    assert match is not None
    return match.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("role", ROLES)
def test_a_form_without_its_token_gets_the_friendly_page_back_to_where_it_was(personas: Personas, role: str) -> None:
    client = _strict(getattr(personas, role))
    response = client.post(reverse("core:inbox_read_all"), HTTP_REFERER="http://testserver/inbox/?page=2")
    assert response.status_code == 403
    assert [template.name for template in response.templates][:2] == ["403_csrf.html", "base.html"]
    html = response.content.decode()
    assert EXPIRED in html and "CSRF" not in html and "Forbidden" not in html
    assert _back_link(response) == "/inbox/?page=2"
    # The page itself carries a fresh token, so the next try works.
    assert "csrftoken" in response.cookies


def test_the_way_back_never_leads_to_another_site(personas: Personas) -> None:
    client = _strict(personas.worker_user)
    for referer in ("https://evil.example/exams/", "http://testserver.evil.example/", "http://testserver//evil.example/x",
                    "javascript:alert(1)", "/exams/", ""):
        response = client.post(reverse("core:inbox_read_all"), HTTP_REFERER=referer)
        assert response.status_code == 403 and _back_link(response) == "/", referer
        assert "回到首页" in response.content.decode()


def test_a_signed_out_visitor_is_sent_to_log_in(personas: Personas) -> None:
    client = _strict()
    # A login form left open while the session rotated: back to a fresh login form.
    response = client.post(reverse("login"), {"username": "13800000001", "password": "x"},
                           HTTP_REFERER="http://testserver/accounts/login/?next=/exams/")
    assert response.status_code == 403 and EXPIRED in response.content.decode()
    assert _back_link(response) == "/accounts/login/?next=/exams/"
    # Signed out since the page was opened: log in, then back to that page.
    response = _strict().post(reverse("core:inbox_read_all"), HTTP_REFERER="http://testserver/exams/history/")
    assert response.status_code == 403 and _back_link(response) == "/accounts/login/?next=%2Fexams%2Fhistory%2F"
    assert "重新登录" in response.content.decode()
    assert _back_link(_strict().post(reverse("core:inbox_read_all"))) == reverse("login")


def test_nothing_is_done_for_the_refused_form(personas: Personas) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    response = _strict(personas.worker_user).post(reverse("exams:start", args=[exam.code]),
                                                  HTTP_REFERER=f"http://testserver/exams/{exam.code}/")
    assert response.status_code == 403 and _back_link(response) == f"/exams/{exam.code}/"
    assert not Attempt.objects.exists()


def test_a_page_script_is_answered_in_json(personas: Personas) -> None:
    response = _strict(personas.worker_user).post("/exams/attempts/whatever/answer/", data=json.dumps({"position": 1}),
                                                  content_type="application/json", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json() == {"ok": False, "code": "csrf", "message": EXPIRED}


# -- a 403 that says why ---------------------------------------------------------------------------------


def test_the_evaluator_is_told_exam_pages_are_for_the_employers_admins(personas: Personas) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    code = personas.employer.code
    client = personas.client(personas.evaluator)
    assigned = ExamAssignment.objects.count()
    for url in (reverse("exams:employer_exams", args=[code]), reverse("exams:employer_results", args=[code, exam.code]),
                reverse("exams:employer_assign", args=[code, exam.code]),
                reverse("exams:employer_overrides", args=[code, exam.code]),
                reverse("exams:employer_results_export", args=[code])):
        for response in (client.get(url), client.post(url, {"post_role": "exposed"})):
            html = response.content.decode()
            assert response.status_code == 403, url
            assert "考试安排和成绩只有本单位管理员可以查看。" in html and "您可以查看这些信息" not in html, url
    assert ExamAssignment.objects.count() == assigned
    # The outsider still gets the 404 of an unknown employer, and the admin the page.
    assert personas.client(personas.outsider).get(reverse("exams:employer_exams", args=[code])).status_code == 404
    assert personas.client(personas.employer_admin).get(reverse("exams:employer_exams", args=[code])).status_code == 200


def test_a_read_only_roster_page_keeps_its_own_message(personas: Personas) -> None:
    response = personas.client(personas.evaluator).get(reverse("orgs:roster_import", args=[personas.employer.code]))
    assert response.status_code == 403
    assert "您可以查看这些信息，但不能修改或导出。" in response.content.decode()
