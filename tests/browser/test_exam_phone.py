"""A worker on a 360 px phone: practises with instant feedback, sits an exam and passes it (a
reload mid-way keeps the saved answers), loses the connection without losing an answer, and is
told when another device takes the attempt over."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from exams.models import Attempt, AttemptMode, Exam, QuestionKind
from exams.services.certificates import verify_url
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.conftest import PASSWORD, Personas
from tests.exams.helpers import answer_key, make_bank, make_exam

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号或用户名").fill("13800000001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")


def height(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["height"])


def choose(page: Any, position: int, letters: str) -> None:
    """Tap the options of the version letters ``letters`` on the question shown."""
    section = page.locator(f"#q{position}")
    assert "current" in (section.get_attribute("class") or "")
    for letter in letters:
        section.locator(f"label.option:has(input[value='{letter}'])").click()


def wait_saved(page: Any, attempt: Attempt) -> None:
    page.wait_for_function(f"!localStorage.getItem('exams:attempt:{attempt.code}')")
    assert page.get_by_test_id("save-status").inner_text() == "已保存"


# Every control a thumb taps, as laid out: a radio or checkbox counts by its label's box.
SMALL_TARGETS = """() => {
  const small = [];
  const seen = new Set();
  for (const element of document.querySelectorAll("a, button, select, input[type=radio], input[type=checkbox]")) {
    const target = element.matches("input") ? (element.closest("label") || element) : element;
    if (seen.has(target) || !target.getClientRects().length || target.closest(".visually-hidden")) { continue; }
    seen.add(target);
    if (getComputedStyle(target).visibility === "hidden") { continue; }
    const box = target.getBoundingClientRect();
    if (box.height < 44) {
      small.push(`${target.tagName.toLowerCase()} "${target.textContent.trim().slice(0, 20)}" ${box.height.toFixed(1)}px`);
    }
  }
  return small;
}"""


def assert_tap_targets(page: Any) -> None:
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{page.url}: tap targets under 44 px: {small}"


def current_attempt(mode: str) -> Attempt:
    return Attempt.objects.filter(mode=mode).exclude(status=Attempt.Status.READY).latest("created_at")


def start_exam(page: Any, live_server: Any, exam: Exam) -> Attempt:
    page.goto(live_server.url + "/exams/")
    page.get_by_test_id("exam-list").get_by_role("link", name=exam.title).click()
    assert height(page.get_by_test_id("start")) >= 44
    assert_no_horizontal_scroll(page)
    page.get_by_test_id("start").click()
    page.wait_for_url("**/exams/attempts/*/")
    return current_attempt(AttemptMode.EXAM)


def test_it_practises_with_feedback_at_once(live_server: Any, personas: Personas, phone_page: Any) -> None:
    make_bank(12)
    page = phone_page
    log_in(page, live_server)
    page.get_by_role("link", name="考试", exact=True).click()
    page.get_by_test_id("practice-link").click()
    assert_no_horizontal_scroll(page)
    page.get_by_label("每组题数").select_option("5")
    page.get_by_test_id("practice-start").click()
    page.wait_for_url("**/exams/attempts/*/")
    attempt = current_attempt(AttemptMode.PRACTICE)
    items = {item.position: item for item in attempt.items.select_related("version")}
    assert_no_horizontal_scroll(page)
    assert page.get_by_test_id("timer").count() == 0

    # A right answer, then a wrong one: the verdict, the key and the explanation appear at once.
    for position, right in ((1, True), (2, False)):
        item = items[position]
        letters = item.version.answer if right else next(
            letter for letter in "AB" if letter != item.version.answer[0])
        choose(page, position, letters)
        if item.version.kind == QuestionKind.MULTIPLE:
            page.locator(f"#q{position} [data-confirm-answer]").click()
        feedback = page.locator(f"#q{position} [data-testid=feedback]")
        feedback.wait_for(state="visible")
        assert ("回答正确" if right else "回答错误") in feedback.inner_text()
        assert item.version.explanation in feedback.inner_text()
        assert page.locator(f"#q{position} input").first.is_disabled()
        assert_no_horizontal_scroll(page)
        page.locator(f"#q{position} [data-next]").click()

    # Big, thumb-sized controls; the large-text mode is remembered.
    assert height(page.locator("#q3 label.option").first) >= 44
    assert height(page.get_by_test_id("navigator").get_by_role("button").first) >= 44
    assert height(page.locator("#q3 [data-next]")) >= 44
    # 朗读 uses the phone's own speech synthesis, in Chinese.
    page.evaluate("() => { window.spoken = []; speechSynthesis.speak = u => window.spoken.push([u.lang, u.text]); }")
    page.locator("#q3 [data-speak]").click()
    lang, text = page.evaluate("window.spoken[0]")
    assert lang == "zh-CN" and items[3].version.stem in text and items[3].version.options[0] in text
    assert height(page.locator("#q3 [data-speak]")) >= 44
    page.get_by_test_id("large-text").click()
    page.reload()
    assert "large-text" in (page.locator("html").get_attribute("class") or "")
    assert page.locator("#q1 [data-testid=feedback]").is_visible()  # the answered ones keep theirs
    assert_no_horizontal_scroll(page)
    page.get_by_test_id("large-text").click()

    page.get_by_test_id("submit").click()
    assert "还有 3 题未作答" in page.get_by_test_id("confirm-panel").inner_text()
    page.get_by_test_id("confirm-submit").click()
    page.wait_for_url("**/result/")
    assert page.get_by_text("答对 1 / 5 题").is_visible()
    assert_no_horizontal_scroll(page)


def test_it_sits_an_exam_survives_a_reload_and_passes(live_server: Any, personas: Personas, phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6, certifies=True)
    page = phone_page
    log_in(page, live_server)
    step = page.get_by_test_id("next-steps")
    assert step.get_by_text(exam.title).is_visible()
    attempt = start_exam(page, live_server, exam)
    key = answer_key(attempt)
    assert_no_horizontal_scroll(page)
    timer = page.get_by_test_id("timer").inner_text()
    assert timer.startswith(("30:", "29:"))

    for position in (1, 2, 3):
        choose(page, position, key[position])
        wait_saved(page, attempt)
        page.locator(f"#q{position} [data-next]").click()
    page.locator("#q4 [data-flag]").click()
    wait_saved(page, attempt)

    page.reload()
    attempt.refresh_from_db()
    for position in (1, 2, 3):
        for letter in key[position]:
            assert page.locator(f"#q{position} input[value='{letter}']").is_checked()
        assert "is-answered" in (page.locator(f"[data-goto='{position}']").get_attribute("class") or "")
    assert "is-flagged" in (page.locator("[data-goto='4']").get_attribute("class") or "")
    assert "is-answered" not in (page.locator("[data-goto='4']").get_attribute("class") or "")

    for position in (4, 5, 6):
        page.locator(f"[data-goto='{position}']").click()
        choose(page, position, key[position])
        wait_saved(page, attempt)
    assert_no_horizontal_scroll(page)

    page.get_by_test_id("submit").click()
    assert "全部题目都已作答" in page.get_by_test_id("confirm-panel").inner_text()
    page.get_by_test_id("confirm-submit").click()
    page.wait_for_url(f"**/exams/attempts/{attempt.code}/result/")
    assert page.get_by_test_id("verdict").inner_text().startswith("合格")
    assert page.get_by_test_id("certificate-link").is_visible()
    assert height(page.get_by_test_id("certificate-link")) >= 44
    assert_no_horizontal_scroll(page)
    attempt.refresh_from_db()
    assert attempt.passed and attempt.percent == 100.0

    # The certificate (rendered on commit: Celery is eager in tests) and the address its QR code holds.
    page.get_by_test_id("certificate-link").click()
    page.get_by_test_id("certificate-state").wait_for()
    certificate = attempt.certificate
    certificate.refresh_from_db()
    assert certificate.png, certificate.message
    qr_address = verify_url(certificate.verification)
    assert qr_address in page.content()
    page.goto(live_server.url + urlsplit(qr_address).path)
    assert page.get_by_test_id("verify-state").get_attribute("data-state") == "valid"
    assert_no_horizontal_scroll(page)


def test_an_answer_chosen_offline_is_sent_when_the_connection_returns(live_server: Any, personas: Personas,
                                                                       phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6)
    page = phone_page
    log_in(page, live_server)
    attempt = start_exam(page, live_server, exam)
    key = answer_key(attempt)

    page.context.set_offline(True)
    choose(page, 1, key[1])
    status = page.get_by_test_id("save-status")
    page.wait_for_function("document.querySelector('[data-save-status]').textContent.indexOf('未保存') === 0")
    assert status.inner_text() == "未保存，网络恢复后自动提交"
    assert page.evaluate(f"localStorage.getItem('exams:attempt:{attempt.code}')")
    assert attempt.items.get(position=1).response == ""

    page.context.set_offline(False)
    page.wait_for_function("document.querySelector('[data-save-status]').textContent === '已保存'", timeout=25_000)
    assert attempt.items.get(position=1).response == key[1]
    assert not page.evaluate(f"localStorage.getItem('exams:attempt:{attempt.code}')")


def stored_entries(page: Any, attempt: Attempt) -> dict[str, Any]:
    """The answers this browser keeps unsent for the attempt."""
    return page.evaluate(f"JSON.parse(localStorage.getItem('exams:attempt:{attempt.code}') || '{{}}').pending || {{}}")


def wait_stored(page: Any, attempt: Attempt, positions: list[str]) -> None:
    """Waits until this tab sees exactly these positions kept unsent. Another tab's write reaches
    this tab's copy of the store a moment later (Chromium keeps one per renderer), so a read right
    after the other tab wrote may still show the old store."""
    page.wait_for_function(
        "([key, wanted]) => JSON.stringify(Object.keys(JSON.parse(localStorage.getItem(key) || '{}').pending || {})"
        ".sort()) === JSON.stringify(wanted)",
        arg=[f"exams:attempt:{attempt.code}", sorted(positions)], timeout=10_000)


def test_the_first_device_is_told_when_another_takes_over(live_server: Any, personas: Personas,
                                                         phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6)
    page = phone_page
    log_in(page, live_server)
    attempt = start_exam(page, live_server, exam)
    other = page.context.new_page()
    # A browser without speech synthesis shows no 朗读 button.
    other.add_init_script("Object.defineProperty(window, 'speechSynthesis', {value: undefined});")
    other.goto(page.url)
    assert other.locator("#q1 [data-speak]").is_hidden()
    # The other device answers B; this page, not yet told, then chooses A.
    choose(other, 1, "B")
    wait_saved(other, attempt)
    choose(page, 1, "A")
    alert = page.get_by_test_id("alert")
    alert.wait_for(state="visible")
    assert "另一台设备" in alert.inner_text() and "已撤销" in alert.inner_text()
    # The bar says what became of the answer, instead of 正在保存… for ever.
    status = page.get_by_test_id("save-status")
    assert status.inner_text() == "已在另一台设备上作答，本页面不再保存"
    assert "bad" in (status.get_attribute("class") or "")
    # Nothing looks chosen but unsaved: the refused choice is undone and every input is disabled.
    assert not page.locator("#q1 input[value='A']").is_checked()
    assert "is-answered" not in (page.locator("[data-goto='1']").get_attribute("class") or "")
    assert page.locator("input[type=radio], input[type=checkbox]").evaluate_all("els => els.every(e => e.disabled)")
    assert page.locator("#q1 [data-flag]").is_disabled()
    # The refused choice is not kept to be sent again.
    assert stored_entries(page, attempt) == {}
    attempt.refresh_from_db()
    assert attempt.items.get(position=1).response == "B"
    assert_no_horizontal_scroll(page)
    # Taking it back is a reload: this page becomes the one device and shows what the server kept.
    alert.get_by_role("button", name="在本设备继续作答").click()
    page.wait_for_load_state()
    page.locator("#q1.current").wait_for()
    assert page.locator("#q1 input[value='B']").is_checked() and not page.locator("#q1 input[value='A']").is_checked()
    assert page.get_by_test_id("save-status").inner_text() == ""
    assert attempt.items.get(position=1).response == "B"
    choose(page, 1, "A")
    wait_saved(page, attempt)
    assert attempt.items.get(position=1).response == "A"
    other.close()


def test_unsent_answers_of_another_tab_are_left_alone(live_server: Any, personas: Personas, phone_page: Any) -> None:
    """Two tabs of one browser share the phone's store: the tab that lost the attempt forgets its
    own refused choices only, never those the tab that holds the attempt has yet to send."""
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6)
    page = phone_page
    log_in(page, live_server)
    attempt = start_exam(page, live_server, exam)
    other = page.context.new_page()
    other.goto(page.url)
    page.context.set_offline(True)
    page.locator("[data-goto='2']").click()
    choose(page, 2, "A")
    choose(other, 1, "B")
    for tab in (page, other):
        tab.wait_for_function("document.querySelector('[data-save-status]').textContent.indexOf('未保存') === 0")
    wait_stored(page, attempt, ["1", "2"])
    other.route("**/answer/", lambda route: route.abort())  # the holder's answer stays unsent a while longer
    page.context.set_offline(False)
    page.get_by_test_id("alert").wait_for(state="visible")
    assert page.get_by_test_id("save-status").inner_text() == "已在另一台设备上作答，本页面不再保存"
    entries = stored_entries(page, attempt)
    assert list(entries) == ["1"] and entries["1"]["response"] == "B"
    other.unroute("**/answer/")
    other.evaluate("window.dispatchEvent(new Event('online'))")
    other.wait_for_function("document.querySelector('[data-save-status]').textContent === '已保存'", timeout=25_000)
    assert attempt.items.get(position=1).response == "B" and attempt.items.get(position=2).response == ""
    assert stored_entries(other, attempt) == {}
    wait_stored(page, attempt, [])
    other.close()


def test_a_save_after_the_time_ran_out_says_so_and_keeps_nothing(live_server: Any, personas: Personas,
                                                                 phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6)
    page = phone_page
    log_in(page, live_server)
    attempt = start_exam(page, live_server, exam)
    key = answer_key(attempt)
    choose(page, 1, key[1])
    wait_saved(page, attempt)
    # The server's clock ran out (the phone's timer was wrong, or the page slept).
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    page.locator("#q1 [data-next]").click()
    choose(page, 2, "A")
    alert = page.get_by_test_id("alert")
    alert.wait_for(state="visible")
    assert "考试时间已到" in alert.inner_text()
    assert page.get_by_test_id("save-status").inner_text() == "时间已到，已交卷，本页面不再保存"
    assert not page.locator("#q2 input[value='A']").is_checked()
    assert page.locator(f"#q1 input[value='{key[1][0]}']").is_checked()  # saved before: still shown
    assert stored_entries(page, attempt) == {}
    assert page.locator("#q2 input").first.is_disabled()
    assert_no_horizontal_scroll(page)
    alert.get_by_role("link", name="查看成绩").click()
    page.wait_for_url(f"**/exams/attempts/{attempt.code}/result/")
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.items.get(position=2).response == ""


def test_at_zero_the_page_hands_the_paper_in(live_server: Any, personas: Personas, phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6, minutes=5)
    page = phone_page
    log_in(page, live_server)
    attempt = start_exam(page, live_server, exam)
    key = answer_key(attempt)
    page.clock.install()
    page.reload()
    choose(page, 1, key[1])
    wait_saved(page, attempt)
    page.clock.fast_forward("05:01")
    page.wait_for_url(f"**/exams/attempts/{attempt.code}/result/")
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.items.get(position=1).response == key[1]
    assert_no_horizontal_scroll(page)


def _worker_with_a_past(personas: Personas) -> tuple[Exam, Exam, Attempt, Attempt]:
    """A certified pass, an exam under way and a practice set with a wrong answer, all made
    through the services, so that every list and row of the worker's pages has something."""
    from exams.services.attempts import answer_save, attempt_open, attempt_start, attempt_submit
    from exams.services.practice import PracticeChoice, practice_start

    make_bank(12)
    passed = make_exam(title="已通过的考试", workers=[personas.worker], questions=6, certifies=True)
    under_way = make_exam(title="进行中的考试", workers=[personas.worker], questions=6)
    attempt = attempt_start(worker=personas.worker, exam=passed)
    token = attempt_open(attempt=attempt)
    for position, key in answer_key(attempt).items():
        answer_save(attempt=attempt, device_token=token, position=position, response=key)
    attempt_submit(attempt=attempt)
    attempt_start(worker=personas.worker, exam=under_way)
    practice = practice_start(worker=personas.worker, choice=PracticeChoice(size=5))
    token = attempt_open(attempt=practice)
    first = practice.items.select_related("version").get(position=1)
    wrong = next(letter for letter in "AB" if letter != first.version.answer[0])
    answer_save(attempt=practice, device_token=token, position=1, response=wrong)
    return passed, under_way, attempt, practice


def test_every_control_on_the_worker_pages_is_thumb_sized(live_server: Any, personas: Personas,
                                                         phone_page: Any) -> None:
    passed, under_way, graded, practice = _worker_with_a_past(personas)
    page = phone_page
    log_in(page, live_server)
    header = page.locator("header.topbar")
    assert height(header) <= 2 * 44 + 2  # the account row and the row of sections, nothing more
    assert header.get_by_role("link", name="考试", exact=True).bounding_box()["y"] >= 44
    pages = ["/exams/", f"/exams/{passed.code}/", f"/exams/{under_way.code}/", "/exams/history/", "/exams/practice/",
             "/exams/wrong/", f"/exams/attempts/{graded.code}/result/", f"/exams/attempts/{practice.code}/"]
    for path in pages:
        page.goto(live_server.url + path)
        assert_tap_targets(page)
        assert_no_horizontal_scroll(page)
    assert page.locator("#q1 [data-testid=feedback]").is_visible()  # a practice question answered
    page.locator("#q1 [data-next]").click()
    assert_tap_targets(page)
    page.get_by_test_id("large-text").click()
    assert_tap_targets(page)
    assert_no_horizontal_scroll(page)
    page.get_by_test_id("large-text").click()
    page.get_by_test_id("submit").click()
    page.get_by_test_id("confirm-submit").click()
    page.wait_for_url("**/result/")
    assert_tap_targets(page)
    # The exam under way, on its own page.
    page.goto(live_server.url + f"/exams/{under_way.code}/")
    page.get_by_test_id("resume").click()
    page.wait_for_url("**/exams/attempts/*/")
    assert_tap_targets(page)
    assert_no_horizontal_scroll(page)


def test_large_text_enlarges_the_choices_and_leaves_their_text_room(live_server: Any, personas: Personas,
                                                                   phone_page: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], questions=6)
    page = phone_page
    log_in(page, live_server)
    start_exam(page, live_server, exam)
    measure = """() => {
      const label = document.querySelector("#q1 label.option");
      const input = label.querySelector("input").getBoundingClientRect();
      const text = label.querySelector("[data-option-text]").getBoundingClientRect();
      const style = getComputedStyle(label);
      const right = label.getBoundingClientRect().right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
      return {input: input.height, room: right - text.left, font: parseFloat(getComputedStyle(label).fontSize)};
    }"""
    normal = page.evaluate(measure)
    assert normal["input"] >= 20
    page.get_by_test_id("large-text").click()
    large = page.evaluate(measure)
    assert large["font"] >= normal["font"] * 1.2
    # The box grows with the text (it stayed 19 px), and the line keeps at least 60 % of the screen.
    assert large["input"] >= normal["input"] * 1.3 and large["input"] >= 28
    assert large["room"] >= 0.6 * 360
    assert_no_horizontal_scroll(page)
