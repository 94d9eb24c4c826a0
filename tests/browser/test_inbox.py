"""A worker on a 360 px phone reads their messages: the header's count drops as they read."""

from __future__ import annotations

from typing import Any

import pytest

from core.notifications import notify
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.conftest import PASSWORD, Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def tap_height(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["height"])


def test_it_shows_the_count_and_drops_it_after_opening_a_message(live_server: Any, personas: Personas,
                                                                 phone_page: Any) -> None:
    worker = personas.worker_user
    notify(recipients=[worker], key="course-due:A1", title="《粉尘危害防护》培训将于 12 月 31 日到期",
           body="请在到期前完成剩余 2 学时。这是一条比较长的说明文字，用来检查窄屏上的换行。", url="/")
    notify(recipients=[worker], key="exam-result:B2", title="考试成绩已发布", body="您的成绩：86 分，合格。", url="")

    page = phone_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号或用户名").fill("13800000001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")

    count = page.get_by_test_id("unread-count")
    assert count.inner_text() == "2"
    assert tap_height(page.get_by_test_id("inbox-link")) >= 44
    assert_no_horizontal_scroll(page)

    page.get_by_test_id("inbox-link").click()
    page.wait_for_url(live_server.url + "/inbox/")
    items = page.get_by_test_id("inbox").get_by_role("listitem")
    assert items.count() == 2
    for index in range(2):
        assert tap_height(items.nth(index).get_by_role("link")) >= 44
    assert tap_height(page.get_by_role("button", name="全部标为已读")) >= 44
    assert_no_horizontal_scroll(page)

    # A message with a link is read and followed.
    page.get_by_role("link", name="粉尘危害防护").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    assert_no_horizontal_scroll(page)

    page.get_by_test_id("inbox-link").click()
    page.wait_for_url(live_server.url + "/inbox/")
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_url(live_server.url + "/inbox/")
    assert page.get_by_text("已全部标为已读").is_visible()
    assert page.get_by_test_id("unread-count").count() == 0

    # One without a link opens on its own page.
    page.get_by_role("link", name="考试成绩已发布").click()
    page.wait_for_url("**/inbox/*/")
    assert page.get_by_text("您的成绩：86 分，合格。").is_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="返回消息列表").click()
    page.wait_for_url(live_server.url + "/inbox/")
