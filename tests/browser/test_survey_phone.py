"""A respondent on a 360 px phone opens a survey from its QR link, without logging in: skip logic
shows and hides items as answers change, a reload keeps the answers, the connection drops before
submitting (the page says it will send later) and comes back (it sends), the thanks page shows and
the response is in the database with its score. The phone's skip logic agrees with the server's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from surveys.models import Response, WaveLink
from surveys.services.relevance import relevant_evaluate
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_exam_phone import assert_tap_targets
from tests.surveys.test_answer_views import make_wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.urls("tests.surveys.test_answer_views")]


def item(page: Any, code: str) -> Any:
    return page.get_by_test_id(f"item-{code}")


def tap(page: Any, code: str, label: str) -> None:
    item(page, code).locator("label.option", has_text=label).click()


def stored(page: Any, link: WaveLink) -> dict[str, Any]:
    return dict(page.evaluate(f"JSON.parse(localStorage.getItem('surveys:answer:{link.code}:open') || '{{}}')"))


def test_it_answers_from_the_qr_link_losing_the_connection_once(live_server: Any, personas: Any,
                                                                 phone_page: Any) -> None:
    wave = make_wave()
    link = WaveLink.objects.create(wave=wave)
    url = live_server.url + reverse("surveys:answer", args=[link.code])  # what the QR code holds
    page = phone_page
    page.goto(url)
    assert page.get_by_test_id("anonymity").is_visible()
    assert_no_horizontal_scroll(page)
    # The phone takes its one-time token while it is surely online.
    page.wait_for_function(f"(JSON.parse(localStorage.getItem('surveys:answer:{link.code}:open') || '{{}}')).token")

    page.get_by_label("您工作所在的区县").select_option("320303")
    tap(page, "group", "接害劳动者")
    tap(page, "sex", "女")
    page.get_by_label("接害工龄（年）").fill("12")
    # Skip logic: the noise items appear with 是 and go with 否.
    assert not item(page, "k3").is_visible() and not item(page, "earplug").is_visible()
    tap(page, "noise", "是")
    assert item(page, "k3").is_visible() and item(page, "earplug").is_visible()
    tap(page, "noise", "否")
    assert not item(page, "k3").is_visible() and not item(page, "earplug").is_visible()
    tap(page, "noise", "是")
    tap(page, "k1", "2002 年")
    tap(page, "k2", "贴合面部")
    tap(page, "k2", "检查气密")
    assert stored(page, link)["answers"]["k2"] == ["a", "c"]

    # A reload (or a second visit from this phone) resumes rather than starting over.
    token = stored(page, link)["token"]
    page.reload()
    assert item(page, "k1").locator("input[value=b]").is_checked()
    assert item(page, "k3").is_visible()
    assert stored(page, link)["token"] == token
    tap(page, "k3", "对")
    tap(page, "earplug", "是")
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    # The connection drops before submitting: the answers stay, the page says it will send later.
    page.context.set_offline(True)
    page.get_by_test_id("submit").click()
    status = page.get_by_test_id("save-status")
    page.wait_for_function("document.querySelector('[data-save-status]').dataset.state === 'bad'")
    assert "网络恢复后会自动提交" in status.inner_text()
    assert stored(page, link)["sending"] is True
    assert not Response.objects.exists()

    # Back online: it sends by itself, and the thanks page shows.
    page.context.set_offline(False)
    page.wait_for_url(f"**/s/{link.code}/done/")
    assert page.get_by_test_id("survey-done").is_visible()
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page)
    response = Response.objects.get(wave=wave)
    assert (response.points_earned, response.points_possible) == (4, 4)
    assert response.region_id == "320303" and response.years_exposed == 12 and response.token.token == token
    assert response.answers.get(item__code="earplug").value == "yes"

    # This phone has answered: the link says so instead of a fresh questionnaire.
    page.goto(url)
    page.get_by_test_id("alert").wait_for(state="visible")
    assert "这部手机已经提交过本次调查的答卷" in page.get_by_test_id("alert").inner_text()
    assert not page.get_by_test_id("submit").is_visible()


CASES = [
    ("", {}),
    ("${noise} = 'yes'", {"noise": "yes"}),
    ("${noise} = 'yes'", {}),
    ("${noise} != 'yes'", {}),
    ("${years} >= 5", {"years": "12"}),
    ("${years} >= 5", {"years": "3"}),
    ("${years} > 5", {}),
    ("${years} = 12", {"years": "12"}),
    ("selected(${k2}, 'a')", {"k2": ["a", "c"]}),
    ("selected(${k2}, 'b')", {"k2": ["a", "c"]}),
    ("count-selected(${k2}) >= 2", {"k2": ["a", "c"]}),
    ("count-selected(${k2}) = 0", {}),
    ("not(${noise} = 'yes') and ${sex} = 'male'", {"noise": "no", "sex": "male"}),
    ("${noise} = 'yes' or (${years} < 1 and ${sex} = \"female\")", {"noise": "no", "years": "0", "sex": "female"}),
    ("${noise}", {"noise": "no"}),
    ("${noise}", {}),
    ("true()", {}),
    ("false() or ${a} = ${b}", {"a": "x", "b": "x"}),
    ("${a} < 'b'", {"a": "a"}),
    ("selected(${k2}, 1)", {"k2": ["1", "2"]}),
    ("${noise} = ", {}),  # unreadable: applies, on both sides
]


def test_the_phones_skip_logic_agrees_with_the_servers(live_server: Any, personas: Any, phone_page: Any) -> None:
    link = WaveLink.objects.create(wave=make_wave())
    page = phone_page
    page.goto(live_server.url + reverse("surveys:answer", args=[link.code]))
    page.wait_for_function("window.SurveyRelevance")
    phone = page.evaluate(f"""() => {json.dumps(CASES)}.map(([expression, answers]) =>
        window.SurveyRelevance.evaluate(expression, answers))""")
    assert phone == [relevant_evaluate(expression, answers) for expression, answers in CASES]
