"""A worker on a 360 px phone: activate the account, log in, see what to do next."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.services import activation_code_issue
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.conftest import PASSWORD, Personas
from tests.factories import WorkerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_it_logs_a_worker_in_and_shows_the_home_page(live_server: Any, personas: Personas, phone_page: Any) -> None:
    page = phone_page
    page.goto(live_server.url + "/")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("手机号或用户名").fill("13800000001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_text("您好，王工").is_visible()
    assert page.get_by_test_id("worker-card").get_by_text(personas.employer.name).is_visible()
    assert page.get_by_text("煤尘").is_visible()
    assert page.get_by_test_id("next-steps").get_by_text("目前没有需要您完成的培训或考试").is_visible()
    assert_no_horizontal_scroll(page)


def test_it_activates_an_imported_worker_on_a_phone(live_server: Any, db: None, phone_page: Any) -> None:
    worker = WorkerFactory(name="赵师傅")
    worker.user.set_unusable_password()
    worker.user.save()
    issued = activation_code_issue(actor=None, worker=worker)
    page = phone_page
    # As the QR code on the printed sheet opens it: the code is filled in already.
    page.goto(live_server.url + "/accounts/activate/?code=" + issued.code)
    assert_no_horizontal_scroll(page)
    assert page.get_by_label("激活码").input_value() == issued.code
    page.get_by_label("手机号").fill(worker.phone)
    page.get_by_label("设置密码").fill("Strong-pass-2025")
    page.get_by_label("再次输入密码").fill("Strong-pass-2025")
    page.get_by_role("button", name="激活").click()
    page.wait_for_url("**/accounts/login/")
    page.get_by_label("手机号或用户名").fill(worker.phone)
    page.get_by_label("密码").fill("Strong-pass-2025")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_text("您好，赵师傅").is_visible()
    assert_no_horizontal_scroll(page)
