"""A worker on a 360 px phone confirms that they now work for the employer that listed them."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import Employment, Worker
from orgs.services import roster_rows_import
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.conftest import PASSWORD, Personas
from tests.orgs.rosterfiles import COLUMNS_BY_POSITION, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_it_lets_a_worker_confirm_a_new_employer_on_a_phone(live_server: Any, personas: Personas,
                                                            phone_page: Any) -> None:
    worker = personas.worker
    roster_rows_import(actor=personas.outsider, employer=personas.other_employer, columns=COLUMNS_BY_POSITION,
                       rows=[(2, person(1, "王工", id_number=worker.id_number, phone=worker.phone, department="选矿车间"))])
    page = phone_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号或用户名").fill(worker.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_text(f"确认加入 {personas.other_employer.name}").is_visible()
    page.get_by_role("link", name="查看并确认").click()
    assert page.get_by_text("选矿车间").is_visible()
    assert_no_horizontal_scroll(page)
    button = page.get_by_role("button", name="确认加入")
    assert button.bounding_box()["height"] >= 44
    button.click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_test_id("worker-card").get_by_text(personas.other_employer.name).is_visible()
    assert_no_horizontal_scroll(page)
    worker = Worker.objects.get(pk=worker.pk)
    assert worker.employer == personas.other_employer
    assert Employment.objects.filter(worker=worker, employer=personas.employer).exists()
