"""A worker studies a lesson on a 360 px phone: the page beats, credited time and the progress bar
grow; the connection drops, the page says it will send later and keeps the beats on the phone,
the lesson still reads from the service worker's copy; the connection comes back, the queue is
sent and credited (in the database too). The heartbeat interval is shortened through the settings,
which the lesson page reads (data-interval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from learning.models import Heartbeat, LessonProgress
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_exam_phone import assert_tap_targets, log_in
from tests.conftest import Personas
from tests.learning.helpers import enrolled, lessons_of, make_course

# The demo's own lesson video (VP9, 48 s, made by learning/demo/make_video.py): Chromium plays it.
DEMO_VIDEO = Path(django_settings.BASE_DIR) / "learning" / "demo" / "earplug-steps.webm"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHARE = "() => { const bar = document.querySelector('[data-lesson-progress]'); return bar.value / bar.max; }"
STATUS = "document.querySelector('[data-study-status]').textContent"
QUEUED = """() => Object.keys(localStorage).filter(k => k.startsWith('study:queue:'))
  .reduce((count, k) => count + JSON.parse(localStorage.getItem(k)).length, 0)"""

# Headless Chromium has no other app to bring to the front: the page is told it is hidden.
HIDE = """() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange')); }"""
SHOW = """() => { Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
  document.dispatchEvent(new Event('visibilitychange')); }"""


@pytest.fixture
def quick_clock(settings: Any) -> None:
    # A beat a second; a gap longer than 5 s credits nothing (the rule at phone speed).
    settings.STUDY_HEARTBEAT_SECONDS = 1
    settings.STUDY_GAP_SECONDS = 5
    settings.STUDY_IDLE_SECONDS = 300


def credited(lesson: Any) -> int:
    progress = LessonProgress.objects.filter(lesson=lesson).first()
    return progress.credited_seconds if progress else 0


def until(page: Any, check: Any, seconds: float = 10) -> None:
    """Wait for the database to show what the page did (its requests run in the server's thread)."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    assert check()


def share(page: Any) -> float:
    return float(page.evaluate(SHARE))


def test_it_studies_goes_offline_and_back_and_the_time_counts(live_server: Any, personas: Personas,
                                                              phone_page: Any, quick_clock: None,
                                                              ) -> None:
    course = make_course(["reading", "reading"], minutes=2)
    lesson = lessons_of(course)[0]
    enrolled(personas.worker, course)
    page = phone_page
    log_in(page, live_server)
    page.goto(live_server.url + lesson.get_url())
    article = page.locator("article[data-study]")
    assert article.get_attribute("data-interval") == "1"
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page)

    # Online: the beats are credited, the bar and the status follow the server's answers.
    page.wait_for_function(f"({SHARE})() >= 3 / 120")
    assert "需 2 分钟" in page.evaluate(STATUS)
    online_seconds = credited(lesson)
    assert online_seconds >= 3
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")

    # The page goes to the background (another app in front): one beat says so, then none.
    page.evaluate(HIDE)
    until(page, lambda: Heartbeat.objects.filter(lesson=lesson, visible=False, reason="hidden").exists())
    hidden_at = Heartbeat.objects.filter(lesson=lesson).count()
    page.wait_for_timeout(1500)
    assert Heartbeat.objects.filter(lesson=lesson).count() == hidden_at
    page.evaluate(SHOW)
    until(page, lambda: Heartbeat.objects.filter(lesson=lesson).count() > hidden_at)

    # Offline: nothing reaches the server, the phone keeps the beats and says it will send them.
    online_seconds = credited(lesson)
    page.context.set_offline(True)
    page.wait_for_function(f"{STATUS}.includes('联网后自动发送')")
    page.wait_for_function(f"({QUEUED})() >= 4")
    before_offline = share(page)
    assert credited(lesson) <= online_seconds + 2  # at most a beat that was already on its way
    at_offline = credited(lesson)
    page.wait_for_timeout(1500)
    assert credited(lesson) == at_offline
    assert share(page) == before_offline

    # The lesson reads offline from the service worker's copy (a new view queues its own beats).
    page.reload()
    assert page.get_by_role("heading", name=lesson.title).is_visible()
    page.wait_for_function(f"({QUEUED})() >= 6")
    assert_no_horizontal_scroll(page)

    # Back online: the queue goes, oldest first, and is credited; the bar moves on.
    page.context.set_offline(False)
    page.wait_for_function(f"({QUEUED})() === 0")
    page.wait_for_function(f"!{STATUS}.includes('联网后自动发送')")
    page.wait_for_function(f"({SHARE})() > {before_offline}")
    until(page, lambda: credited(lesson) > at_offline + 3)
    assert Heartbeat.objects.filter(lesson=lesson, queued=True, credited_seconds__gt=0).exists()
    assert not Heartbeat.objects.filter(lesson=lesson, reason__in=["replay", "future", "too_old"]).exists()
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page)


def test_it_asks_an_idle_worker_and_stops_when_another_device_logs_in(
        live_server: Any, personas: Personas, phone_page: Any, browser: Any, settings: Any,
        ) -> None:
    settings.STUDY_HEARTBEAT_SECONDS = 1
    settings.STUDY_GAP_SECONDS = 5
    settings.STUDY_IDLE_SECONDS = 3
    course = make_course(["reading"], minutes=2)
    lesson = lessons_of(course)[0]
    enrolled(personas.worker, course)
    page = phone_page
    log_in(page, live_server)
    page.goto(live_server.url + lesson.get_url())

    # No touch for 3 s: the clock stops and asks; the idle beat is on record.
    dialog = page.get_by_test_id("idle-dialog")
    dialog.wait_for(state="visible")
    assert "您还在吗" in dialog.inner_text()
    assert "暂停计时" in page.evaluate(STATUS)
    until(page, lambda: Heartbeat.objects.filter(lesson=lesson, reason="idle").exists())
    beats = Heartbeat.objects.filter(lesson=lesson).count()
    page.wait_for_timeout(1500)
    assert Heartbeat.objects.filter(lesson=lesson).count() == beats  # no beat while it asks
    confirm = dialog.locator("[data-idle-confirm]")
    assert (confirm.bounding_box() or {"height": 0})["height"] >= 44
    assert_no_horizontal_scroll(page)
    confirm.click()
    dialog.wait_for(state="hidden")
    page.wait_for_function(f"!{STATUS}.includes('暂停计时')")
    until(page, lambda: Heartbeat.objects.filter(lesson=lesson).count() > beats)

    # The same worker logs in on another phone: this page is told, and stops counting.
    other = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                locale="zh-CN")
    try:
        log_in(other.new_page(), live_server)
        page.mouse.wheel(0, 50)  # still here, so the next beat is an active one
        page.wait_for_function(f"{STATUS}.includes('您已在另一台设备登录')")
        until(page, lambda: Heartbeat.objects.filter(lesson=lesson, reason="other_device").exists())
        stopped_at = Heartbeat.objects.filter(lesson=lesson).count()
        page.mouse.wheel(0, 50)
        page.wait_for_timeout(2500)
        assert Heartbeat.objects.filter(lesson=lesson).count() == stopped_at
    finally:
        other.close()


def test_it_keeps_the_video_to_what_was_watched(live_server: Any, personas: Personas, phone_page: Any,
                                                quick_clock: None, settings: Any,
                                                tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    course = make_course(["video"], minutes=2)
    lesson = lessons_of(course)[0]
    document = get_document_model().objects.get(pk=lesson.body[0].value["file"].pk)
    document.file.save("earplug-steps.webm", ContentFile(DEMO_VIDEO.read_bytes()))
    enrolled(personas.worker, course)
    page = phone_page
    log_in(page, live_server)
    page.goto(live_server.url + lesson.get_url())
    video = page.locator("video[data-study-video]")
    page.wait_for_function("document.querySelector('video[data-study-video]').readyState >= 1")
    assert page.evaluate("document.querySelector('video[data-study-video]').duration") > 40
    assert_no_horizontal_scroll(page)
    # The test server (like Django's file responses) answers no Range requests, so the player
    # could not seek at all: the same file is given to it whole, as a blob, which it can.
    video.evaluate("""async v => {
      const blob = await (await fetch(v.src)).blob();
      const loaded = new Promise(done => v.addEventListener("loadedmetadata", done, {once: true}));
      v.src = URL.createObjectURL(blob);
      await loaded;
    }""")

    # A jump past what was watched is taken back, and the page says why.
    video.evaluate("v => { v.currentTime = 30; }")
    page.wait_for_function(f"{STATUS}.includes('不能快进到未看过的部分')")
    assert video.evaluate("v => v.currentTime") < 3

    # Watching moves the furthest point on, on the server too, no further than the real time.
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_timeout(3500)
    watched = float(video.evaluate("v => v.currentTime"))
    assert watched > 2
    until(page, lambda: LessonProgress.objects.filter(lesson=lesson, video_furthest__gt=1).exists())
    progress = LessonProgress.objects.get(lesson=lesson)
    assert progress.video_furthest <= watched + 2 and progress.video_duration > 40
    # Going back is always allowed.
    video.evaluate("v => { v.currentTime = 0.5; }")
    page.wait_for_timeout(300)
    assert video.evaluate("v => v.currentTime") < watched
