"""On a 360 px phone: the holder sees the certificate, chooses what the verify page shows, and the
verify page answers with exactly that."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exams.models import Certificate
from tests.browser import conftest as browser_fixtures
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.conftest import PASSWORD, Personas
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_certificates import sit

# The browser fixtures live in tests/browser/conftest.py, out of this folder's reach.
browser = browser_fixtures.browser
phone_page = browser_fixtures.phone_page
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def private_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    storage = Certificate._meta.get_field("png").storage  # type: ignore[union-attr]
    monkeypatch.setattr(storage, "location", str(tmp_path))


def test_the_holder_and_the_verify_page_on_a_phone(live_server: Any, personas: Personas, phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    certificate = Certificate.objects.get(attempt=sit(personas.worker, exam))  # rendered on commit (eager)
    assert certificate.png, certificate.message
    page = phone_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号或用户名").fill(personas.worker.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(f"{live_server.url}/certificates/{certificate.verification}/")
    preview = page.get_by_test_id("certificate-preview")
    preview.wait_for()
    assert page.evaluate("document.querySelector('[data-testid=certificate-preview]').naturalWidth") == 2480
    assert preview.bounding_box()["width"] <= 360
    assert_no_horizontal_scroll(page)
    for name in ("下载图片（PNG）", "下载 PDF（打印用）"):
        assert page.get_by_role("link", name=name).bounding_box()["height"] >= 44
    employer_box = page.get_by_label("显示我的单位")
    assert page.locator("label[for=id_show_employer]").bounding_box()["height"] >= 44
    employer_box.check()
    page.get_by_label("显示我的姓名").uncheck()
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存").wait_for()

    page.get_by_test_id("verify-link").click()
    page.wait_for_url(f"{live_server.url}/verify/{certificate.verification}/")
    assert page.get_by_test_id("verify-state").get_attribute("data-state") == "valid"
    assert page.get_by_test_id("verify-employer").inner_text() == personas.employer.name
    assert page.get_by_test_id("verify-name").count() == 0
    assert_no_horizontal_scroll(page)

    # Anyone with the code typed from paper, lower case and with spaces, reaches the same answer.
    page.context.clear_cookies()
    page.goto(live_server.url + "/verify/")
    page.get_by_label("验证码").fill(" " + certificate.verification.lower()[:6] + " " + certificate.verification[6:])
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(f"{live_server.url}/verify/{certificate.verification}/")
    assert page.get_by_test_id("verify-state").get_attribute("data-state") == "valid"
    assert page.get_by_role("button", name="查询").bounding_box()["height"] >= 44
    assert_no_horizontal_scroll(page)
