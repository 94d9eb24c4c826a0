"""我的培训 on a 360 px phone: the worker signs in, taps 培训 in the header, sees each cycle with its
progress bar (some hours done), what is missing, the exam button where the hours are done; nothing
scrolls sideways and every control is a 44 px tap target; the cycle's own page opens with the
hours per course and the law behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from learning.models import Programme, ProgrammeKind, StudyDay, TrainingAssignment
from learning.services.compliance import today_local
from learning.services.programmes import training_assign
from orgs.models import PostRole
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll
from tests.browser.test_exam_phone import assert_tap_targets, log_in
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam
from tests.learning.helpers import make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HOUR = settings.MINUTES_PER_STUDY_HOUR * 60
LAW = "《工作场所职业卫生管理规定》第十一条"


def programme_for(personas: Personas, *, code: str, name: str, course: Any, exam: Any, days: int) -> TrainingAssignment:
    programme = Programme.objects.create(code=code, name=name, role=PostRole.EXPOSED, kind=ProgrammeKind.PRE_JOB,
                                         required_hours=Decimal("2"), exam=exam, legal_basis=LAW)
    programme.courses.add(course)
    result = training_assign(actor=personas.employer_admin, employer=personas.employer, programme=programme,
                             worker_codes=[personas.worker.code], due_on=today_local() + dt.timedelta(days=days))
    return TrainingAssignment.objects.get(code=result.codes[0])


def assert_fits_the_phone(page: Any) -> None:
    assert_no_horizontal_scroll(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_tap_targets(page)


def test_it_shows_my_training_with_progress_on_a_phone(live_server: Any, personas: Personas, phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], attempts=3)
    dust = make_course(["reading", "reading"], title="粉尘危害与个人防护（接害劳动者岗前培训必修课）")
    noise = make_course(["reading"], title="噪声危害与听力保护")
    halfway = programme_for(personas, code="phone-dust", name="粉尘岗位上岗前培训", course=dust, exam=exam, days=20)
    done_hours = programme_for(personas, code="phone-noise", name="噪声岗位上岗前培训", course=noise, exam=exam, days=30)
    StudyDay.objects.create(worker=personas.worker, course=dust, day=today_local(), seconds=HOUR)          # 1 of 2
    StudyDay.objects.create(worker=personas.worker, course=noise, day=today_local(), seconds=2 * HOUR)     # done

    page = phone_page
    log_in(page, live_server)
    page.get_by_role("link", name="培训", exact=True).click()
    page.wait_for_url(live_server.url + "/learning/training/")
    assert page.get_by_role("heading", name="我的培训", exact=True).is_visible()

    first = page.locator(f"[data-testid=training-cycle][data-code='{halfway.code}']")
    assert "粉尘岗位上岗前培训" in first.inner_text()
    bar = first.get_by_test_id("training-progress")
    assert bar.get_attribute("aria-valuenow") == "50"
    filled = bar.locator("span").bounding_box()
    whole = bar.bounding_box()
    assert filled and whole and 0.45 < filled["width"] / whole["width"] < 0.55
    assert "已获得 1.0 / 2.0 学时" in first.inner_text()
    assert "还差 1.0 学时" in first.get_by_test_id("training-missing").inner_text()
    assert first.get_by_test_id("training-exam").count() == 0
    assert first.get_by_test_id("training-enrol").is_visible()

    second = page.locator(f"[data-testid=training-cycle][data-code='{done_hours.code}']")
    exam_button = second.get_by_test_id("training-exam")
    assert exam_button.is_visible()
    assert (exam_button.bounding_box() or {"height": 0})["height"] >= 44
    assert_fits_the_phone(page)

    # The cycle's own page: the window, the hours per course, the law.
    first.get_by_test_id("training-open").click()
    page.wait_for_url(f"**/learning/training/{halfway.code}/")
    assert page.get_by_role("heading", name="粉尘岗位上岗前培训").is_visible()
    assert "1.0 学时" in page.get_by_test_id("training-hours-by-course").inner_text()
    assert LAW in page.get_by_test_id("training-legal-basis").inner_text()
    assert page.get_by_test_id("training-progress").get_attribute("aria-valuenow") == "50"
    assert_fits_the_phone(page)

    # The exam button leads to the exam's page, where the worker starts it.
    page.get_by_test_id("training-back").click()
    page.wait_for_url(live_server.url + "/learning/training/")
    page.locator(f"[data-testid=training-cycle][data-code='{done_hours.code}']").get_by_test_id("training-exam").click()
    page.wait_for_url(f"**/exams/{exam.code}/")
    assert page.get_by_test_id("start").is_visible()
