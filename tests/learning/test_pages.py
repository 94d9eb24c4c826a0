"""The course pages as each persona sees them: the catalogue and its filter, a course (outline,
enrol), a lesson (its gates and the study page's data contract), the lesson's check, 我的课程,
and the worker's home page step and 课程 link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learning.models import CoursePage, Enrolment, LessonPage, LessonProgress
from tests.conftest import Personas
from tests.learning.helpers import course_index, enrolled, lessons_of, make_course, make_lesson, studied

pytestmark = pytest.mark.django_db


def _html(response: Any) -> str:
    return response.content.decode()


def _login_redirect(response: Any, next_url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login")) and (
        next_url.replace("/", "%2F") in response["Location"] or next_url in response["Location"])


def _check_answers(lesson: LessonPage, *, right: bool = True) -> dict[str, str]:
    """Form data for the lesson's check: every answer right, or every answer wrong."""
    from exams.models import OPTION_LETTERS

    data = {}
    for link in lesson.check_questions.select_related("question__current_version"):
        version = link.question.current_version
        if right:
            data[f"q-{link.question.code}"] = list(version.answer)
        else:
            wrong = next(letter for letter in OPTION_LETTERS[:len(version.options)] if letter not in version.answer)
            data[f"q-{link.question.code}"] = [wrong]
    return data


# -- the catalogue ----------------------------------------------------------------------------


def test_the_catalogue_lists_live_courses_with_lessons_and_hours(db: None) -> None:
    course = make_course(title="粉尘防护", minutes=15, audience_roles=["exposed"])  # 3 × 15 min = 1.0 学时
    make_course(title="未发布的课程", live=False)
    html = _html(Client().get(course_index().url))
    assert "粉尘防护" in html and "未发布的课程" not in html
    card = re.search(r'<li class="course-card".*?</li>', html, re.S).group(0)
    assert "3 课时" in card and "1.0 学时" in card and "接害劳动者" in card
    assert course.summary in card


def test_only_live_lessons_count_in_the_catalogue(db: None) -> None:
    course = make_course(title="两课时", lessons=["reading", "reading"], minutes=9)
    make_lesson(course, "reading", minutes=90, live=False)
    card = re.search(r'<li class="course-card".*?</li>', _html(Client().get(course_index().url)), re.S).group(0)
    assert "2 课时" in card and "0.4 学时" in card  # 18 min ÷ 45


def test_the_catalogue_filters_by_post_role(db: None) -> None:
    make_course(title="负责人培训", audience_roles=["principal", "manager"])
    make_course(title="接害培训", audience_roles=["exposed"])
    url = course_index().url
    managers = _html(Client().get(url, {"role": "manager"}))
    assert "负责人培训" in managers and "接害培训" not in managers
    assert 'aria-current="true">职业卫生管理人员' in managers
    nobody = _html(Client().get(url, {"role": "other"}))
    assert "没有面向这个岗位的课程" in nobody


def test_an_unknown_role_is_said_and_everything_shown(db: None) -> None:
    make_course(title="接害培训", audience_roles=["exposed"])
    response = Client().get(course_index().url, {"role": "<script>"})
    assert response.status_code == 200
    html = _html(response)
    assert "没有这个岗位角色" in html and "接害培训" in html and "<script>" not in html


def test_an_enrolled_worker_sees_their_progress_on_the_card(personas: Personas, course: CoursePage) -> None:
    make_course(title="没报名的课程")
    enrolled(personas.worker, course)
    html = _html(personas.client(personas.worker_user).get(course_index().url))
    cards = re.findall(r'<li class="course-card".*?</li>', html, re.S)
    mine = [card for card in cards if course.title in card]
    others = [card for card in cards if "没报名的课程" in card]
    assert 'data-testid="course-progress"' in mine[0] and "已学完 0 / 3 课时" in mine[0]
    assert 'data-testid="course-progress"' not in others[0]


def _with_cover(course: CoursePage) -> CoursePage:
    from cms.demo import cover_image

    course.cover = cover_image("dust")
    course.save_revision().publish()
    return course


def test_the_catalogue_costs_the_same_queries_for_two_courses_as_for_six(personas: Personas) -> None:
    client = personas.client(personas.worker_user)

    def queries() -> int:
        client.get(course_index().url)  # renditions are made on the first request, then stored
        with CaptureQueriesContext(connection) as captured:
            html = _html(client.get(course_index().url))
        assert html.count('class="thumb"') == len(CoursePage.objects.live())
        return len(captured.captured_queries)

    for _ in range(2):
        enrolled(personas.worker, _with_cover(make_course(lessons=2)))
    few = queries()
    for _ in range(4):
        enrolled(personas.worker, _with_cover(make_course(lessons=2)))
    assert queries() == few


def test_the_anonymous_catalogue_is_served_from_the_cache(db: None, django_assert_max_num_queries: Any) -> None:
    make_course(title="接害培训")
    url = course_index().url
    Client().get(url)
    with django_assert_max_num_queries(0):
        assert "接害培训" in _html(Client().get(url))


# -- a course ---------------------------------------------------------------------------------


def test_anonymous_readers_see_the_outline_and_a_login_button(course: CoursePage) -> None:
    response = Client().get(course.url)
    html = _html(response)
    assert response.status_code == 200
    assert html.count('data-testid="outline-lesson"') == 3
    assert "登录后学习" in html and f"next={course.url.replace('/', '%2F')}" in html
    assert 'data-testid="enrol"' not in html and "csrfmiddlewaretoken" not in html


def test_a_worker_not_enrolled_gets_the_enrol_button(personas: Personas, course: CoursePage) -> None:
    response = personas.client(personas.worker_user).get(course.url)
    html = _html(response)
    assert 'data-testid="enrol"' in html and "开始学习" in html
    assert 'data-testid="lesson-state"' not in html
    assert response["Cache-Control"] == "private, no-cache"


def test_an_enrolled_worker_sees_progress_states_and_resume(personas: Personas, course: CoursePage,
                                                              enrolment: Enrolment) -> None:
    reading = lessons_of(course)[1]
    studied(personas.worker, reading, seconds=120)
    html = _html(personas.client(personas.worker_user).get(course.url))
    assert 'data-testid="enrol"' not in html
    assert 'data-testid="course-progress"' in html and "继续学习" in html
    states = re.findall(r'data-testid="lesson-state">([^<]+)<', html)
    assert states == ["未开始", "学习中", "未开始"]
    # What is still missing for the lesson under way, in the service's words.
    assert 'class="missing"' in html
    # Resume: the lesson studied last.
    assert re.search(r'href="([^"]+)" data-testid="resume"', html).group(1) == reading.url


def test_resume_starts_at_the_first_lesson_not_complete(personas: Personas, course: CoursePage,
                                                        enrolment: Enrolment) -> None:
    html = _html(personas.client(personas.worker_user).get(course.url))
    assert re.search(r'href="([^"]+)" data-testid="resume"', html).group(1) == lessons_of(course)[0].url


def test_resume_goes_to_the_lesson_opened_last(personas: Personas, course: CoursePage, enrolment: Enrolment) -> None:
    _, reading, _ = lessons_of(course)
    client = personas.client(personas.worker_user)
    client.get(reading.url)
    html = _html(client.get(course.url))
    assert re.search(r'href="([^"]+)" data-testid="resume"', html).group(1) == reading.url


@pytest.mark.parametrize("persona", ["employer_admin", "editor", "reviewer", "evaluator", "outsider"])
def test_other_roles_read_the_course_without_study_buttons(personas: Personas, course: CoursePage, persona: str) -> None:
    response = personas.client(getattr(personas, persona)).get(course.url)
    html = _html(response)
    assert response.status_code == 200
    assert "报名学习需使用劳动者账号登录" in html
    assert 'data-testid="enrol"' not in html and "登录后学习" not in html


def test_an_editor_previews_a_draft_course_with_its_outline(personas: Personas) -> None:
    course = make_course(lessons=["reading", "reading"], live=False, title="草稿课程")
    response = personas.client(personas.editor).get(reverse("wagtailadmin_pages:view_draft", args=[course.pk]))
    html = _html(response)
    assert response.status_code == 200 and "草稿课程" in html
    assert 'data-testid="course-outline"' in html and 'data-testid="enrol"' not in html


def test_a_draft_course_is_404(personas: Personas) -> None:
    course = make_course(live=False)
    assert personas.client(personas.worker_user).get(f"{course_index().url}{course.slug}/").status_code == 404


# -- enrolling --------------------------------------------------------------------------------


def test_enrolling_goes_to_the_first_lesson_and_twice_is_once(personas: Personas, course: CoursePage) -> None:
    client = personas.client(personas.worker_user)
    first = lessons_of(course)[0]
    response = client.post(course.url)
    assert response.status_code == 302 and response["Location"] == first.url
    assert client.post(course.url)["Location"] == first.url
    assert Enrolment.objects.filter(worker=personas.worker, course=course).count() == 1


def test_enrolling_needs_the_csrf_token(personas: Personas, course: CoursePage) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.worker_user)
    assert client.post(course.url).status_code == 403
    assert not Enrolment.objects.filter(worker=personas.worker).exists()
    page = client.get(course.url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _html(page)).group(1)
    assert client.post(course.url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert Enrolment.objects.filter(worker=personas.worker, course=course).count() == 1


def test_enrolling_again_resumes_where_the_worker_was(personas: Personas, course: CoursePage,
                                                       enrolment: Enrolment) -> None:
    client = personas.client(personas.worker_user)
    reading = lessons_of(course)[1]
    client.get(reading.url)
    assert client.post(course.url)["Location"] == reading.url


def test_only_workers_enrol(personas: Personas, course: CoursePage) -> None:
    assert _login_redirect(Client().post(course.url), course.url)
    for user in (personas.employer_admin, personas.editor, personas.outsider):
        assert personas.client(user).post(course.url).status_code == 403
    assert not Enrolment.objects.exists()


def test_a_course_without_live_lessons_enrols_and_says_so(personas: Personas) -> None:
    course = make_course(lessons=["reading"], live=True)
    lesson = lessons_of(course)[0]
    lesson.unpublish()
    client = personas.client(personas.worker_user)
    response = client.post(course.url, follow=True)
    assert response.redirect_chain[0][0] == course.url
    assert "课时还在准备中" in _html(response)
    assert Enrolment.objects.filter(worker=personas.worker, course=course).exists()


# -- a lesson ---------------------------------------------------------------------------------


def test_a_lesson_sends_anonymous_readers_to_log_in(course: CoursePage) -> None:
    lesson = lessons_of(course)[0]
    assert _login_redirect(Client().get(lesson.url), lesson.url)


def test_a_worker_not_enrolled_is_sent_to_the_course_with_a_message(personas: Personas, course: CoursePage) -> None:
    lesson = lessons_of(course)[0]
    response = personas.client(personas.worker_user).get(lesson.url, follow=True)
    assert response.redirect_chain == [(course.url, 302)]
    assert "请先报名本课程" in _html(response)
    assert not LessonProgress.objects.exists()


def test_the_lesson_page_carries_the_study_contract(personas: Personas, course: CoursePage,
                                                     enrolment: Enrolment) -> None:
    video = lessons_of(course)[0]
    response = personas.client(personas.worker_user).get(video.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    html = _html(response)
    article = re.search(r"<article [^>]*data-study[^>]*>", html).group(0)
    for attribute in (f'data-lesson="{video.pk}"', 'data-heartbeat-url="/api/v1/learning/heartbeats/"',
                      'data-interval="30"', 'data-idle="300"', 'data-credited="0"', 'data-required="570"',
                      'data-completed="0"', 'data-furthest="0"', 'data-position="0"'):
        assert attribute in article, attribute
    assert re.search(r'<video data-study-video controls preload="metadata"[^>]* src="[^"]+\.mp4"', html)
    assert re.search(r"<progress [^>]*data-lesson-progress", html)
    assert re.search(r'<span [^>]*data-study-status aria-live="polite"', html)
    assert re.search(r"<dialog [^>]*data-idle-dialog", html) and "data-idle-confirm" in html
    assert '<script src="/static/learning/study.js" defer></script>' in html
    assert '<link rel="manifest" href="/courses/manifest.webmanifest">' in html
    assert 'id="study-texts"' in html
    assert "已计时 0 分钟 / 需 10 分钟" in html
    # Opening the lesson is what sets the resume point.
    enrolment.refresh_from_db()
    assert enrolment.last_lesson_id == video.pk


def test_the_lesson_page_shows_the_progress_made(personas: Personas, course: CoursePage, enrolment: Enrolment) -> None:
    reading = lessons_of(course)[1]
    studied(personas.worker, reading, seconds=300)
    html = _html(personas.client(personas.worker_user).get(reading.url))
    credited = LessonProgress.objects.get(enrolment=enrolment, lesson=reading).credited_seconds
    assert credited > 0
    assert f'data-credited="{credited}"' in html
    assert f"已计时 {credited // 60} 分钟 / 需 10 分钟" in html
    assert "<video" not in html


def test_a_reading_lesson_body_uses_the_shared_blocks(personas: Personas, course: CoursePage,
                                                       enrolment: Enrolment) -> None:
    reading = lessons_of(course)[1]
    html = _html(personas.client(personas.worker_user).get(reading.url))
    assert "粉尘作业必须佩戴合格的防尘口罩" in html


def test_previous_and_next_lessons_are_linked(personas: Personas, course: CoursePage, enrolment: Enrolment) -> None:
    video, reading, check = lessons_of(course)
    client = personas.client(personas.worker_user)
    first = _html(client.get(video.url))
    assert 'data-testid="previous-lesson"' not in first and f'href="{reading.url}" rel="next"' in first
    middle = _html(client.get(reading.url))
    assert f'href="{video.url}" rel="prev"' in middle and f'href="{check.url}" rel="next"' in middle


@pytest.mark.parametrize("persona", ["employer_admin", "editor", "reviewer", "outsider"])
def test_other_roles_read_a_lesson_without_study_controls(personas: Personas, course: CoursePage, persona: str) -> None:
    video = lessons_of(course)[0]
    response = personas.client(getattr(personas, persona)).get(video.url)
    html = _html(response)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    assert "data-study" not in html and "study.js" not in html and "data-idle-dialog" not in html
    assert '<video controls preload="metadata"' in html
    assert not LessonProgress.objects.exists()


def test_an_editor_previews_a_lesson_without_study_controls(personas: Personas, course: CoursePage) -> None:
    check = lessons_of(course)[2]
    client = personas.client(personas.editor)
    response = client.get(reverse("wagtailadmin_pages:view_draft", args=[check.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert "data-study" not in html and check.title in html
    assert 'data-testid="check-form"' not in html


# -- the check --------------------------------------------------------------------------------


@pytest.fixture
def check_lesson(course: CoursePage) -> LessonPage:
    return lessons_of(course)[2]


def test_the_check_form_is_on_the_lesson_with_big_choices(personas: Personas, check_lesson: LessonPage,
                                                          enrolment: Enrolment) -> None:
    html = _html(personas.client(personas.worker_user).get(check_lesson.url))
    assert f'action="{check_lesson.url}check/"' in html
    assert html.count('data-testid="check-question"') == 2
    assert html.count('class="check-option"') == 4 + 2  # four options, then 正确 / 错误
    assert "课后题" in html
    # The key and the explanation are not in the page before it is answered.
    assert "的解析" not in html


def test_a_right_check_passes_and_shows_feedback(personas: Personas, check_lesson: LessonPage,
                                                  enrolment: Enrolment) -> None:
    client = personas.client(personas.worker_user)
    response = client.post(f"{check_lesson.url}check/", _check_answers(check_lesson))
    html = _html(response)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    assert 'data-testid="verdict">通过' in html and "答对 2 / 2 题" in html
    assert "的解析" in html and "正确答案：B" in html and "正确答案：对" in html
    assert 'data-testid="check-form"' not in html
    progress = LessonProgress.objects.get(enrolment=enrolment, lesson=check_lesson)
    assert progress.check_passed_at is not None
    # The lesson page now says the check is done, and shows no form.
    again = _html(client.get(check_lesson.url))
    assert 'data-testid="check-passed"' in again and 'data-testid="check-form"' not in again


def test_a_wrong_check_fails_and_may_be_answered_again(personas: Personas, check_lesson: LessonPage,
                                                        enrolment: Enrolment) -> None:
    client = personas.client(personas.worker_user)
    html = _html(client.post(f"{check_lesson.url}check/", _check_answers(check_lesson, right=False)))
    assert 'data-testid="verdict">未通过' in html and "答对 0 / 2 题" in html
    assert 'data-testid="check-form"' in html and "再做一次" in html
    # Which answers were wrong, but not the key: the next try must still test something.
    assert html.count("回答错误") == 2 and "正确答案" not in html and "的解析" not in html
    progress = LessonProgress.objects.get(enrolment=enrolment, lesson=check_lesson)
    assert progress.check_passed_at is None
    retry = _html(client.post(f"{check_lesson.url}check/", _check_answers(check_lesson)))
    assert 'data-testid="verdict">通过' in retry
    progress.refresh_from_db()
    assert progress.check_passed_at is not None and progress.check_attempts == 2


def test_a_multiple_choice_question_takes_several_letters(personas: Personas, course: CoursePage,
                                                          enrolment: Enrolment) -> None:
    lesson = make_lesson(course, "check", questions=3, pass_count=2)
    client = personas.client(personas.worker_user)
    page = _html(client.get(lesson.url))
    assert page.count('type="checkbox"') == 4 and "（多选）" in page
    answers = _check_answers(lesson)
    assert ["A", "C"] in answers.values()
    html = _html(client.post(f"{lesson.url}check/", answers))
    assert 'data-testid="verdict">通过' in html and "答对 3 / 3 题（需答对 2 题）" in html


@pytest.mark.parametrize("spoil", ["missing", "unknown_letter", "two_for_single", "junk"])
def test_bad_check_input_is_a_message(personas: Personas, check_lesson: LessonPage, enrolment: Enrolment,
                                      spoil: str) -> None:
    data: dict[str, Any] = _check_answers(check_lesson)
    first = next(iter(data))
    if spoil == "missing":
        data.pop(first)
    elif spoil == "unknown_letter":
        data[first] = ["Z"]
    elif spoil == "two_for_single":
        data[first] = ["A", "B"]
    else:
        data = {first: ["\x00" * 5000], "q-nothing": ["A"]}
    response = personas.client(personas.worker_user).post(f"{check_lesson.url}check/", data)
    html = _html(response)
    assert response.status_code == 400
    assert 'data-testid="check-problem">第 1 题' in html
    assert 'data-testid="check-form"' in html
    assert LessonProgress.objects.get(enrolment=enrolment, lesson=check_lesson).check_passed_at is None


def test_the_check_keeps_what_was_ticked_when_it_is_refused(personas: Personas, check_lesson: LessonPage,
                                                              enrolment: Enrolment) -> None:
    data = _check_answers(check_lesson)
    first = next(iter(data))
    data.pop(first)
    html = _html(personas.client(personas.worker_user).post(f"{check_lesson.url}check/", data))
    assert 'data-testid="check-problem">第 1 题还没有作答' in html
    assert html.count(" checked>") == 1


def test_the_check_is_for_enrolled_workers_only(personas: Personas, check_lesson: LessonPage, course: CoursePage) -> None:
    url = f"{check_lesson.url}check/"
    answers = _check_answers(check_lesson)
    assert _login_redirect(Client().post(url, answers), check_lesson.url)
    for user in (personas.editor, personas.employer_admin, personas.outsider):
        assert personas.client(user).post(url, answers).status_code == 403
    response = personas.client(personas.worker_user).post(url, answers)
    assert response.status_code == 302 and response["Location"] == course.url
    assert not LessonProgress.objects.exists()


def test_the_check_address_of_a_lesson_without_questions_goes_back_to_it(personas: Personas, course: CoursePage,
                                                                          enrolment: Enrolment) -> None:
    reading = lessons_of(course)[1]
    response = personas.client(personas.worker_user).get(f"{reading.url}check/")
    assert response.status_code == 302 and response["Location"] == reading.url


def test_the_check_page_alone_shows_the_questions(personas: Personas, check_lesson: LessonPage,
                                                   enrolment: Enrolment) -> None:
    response = personas.client(personas.worker_user).get(f"{check_lesson.url}check/")
    assert response.status_code == 200 and 'data-testid="check-form"' in _html(response)


# -- 我的课程 and the home page ----------------------------------------------------------------


MINE = "/learning/mine/"


def test_mine_lists_the_workers_courses_with_progress_and_hours(personas: Personas, course: CoursePage,
                                                                 enrolment: Enrolment) -> None:
    reading = lessons_of(course)[1]
    studied(personas.worker, reading, seconds=600)
    response = personas.client(personas.worker_user).get(MINE)
    html = _html(response)
    assert response.status_code == 200
    assert html.count('data-testid="my-course"') == 1 and course.title in html
    assert 'data-testid="course-progress"' in html and 'data-testid="resume"' in html
    assert re.search(r"\d{4} 年 0\.[1-9] 学时", html)


def test_mine_without_enrolments_links_the_catalogue(personas: Personas, course: CoursePage) -> None:
    html = _html(personas.client(personas.worker_user).get(MINE))
    assert 'data-testid="no-enrolments"' in html
    assert f'href="{course_index().url}" data-testid="catalogue-link"' in html


def test_mine_is_for_workers(personas: Personas, course: CoursePage) -> None:
    assert _login_redirect(Client().get(MINE), MINE)
    for user in (personas.employer_admin, personas.editor, personas.evaluator, personas.outsider):
        assert personas.client(user).get(MINE).status_code == 404
    assert personas.client(personas.worker_user).post(MINE).status_code == 405


def test_mine_shows_only_the_workers_own_courses(personas: Personas, course: CoursePage) -> None:
    enrolled(personas.other_worker, course)
    html = _html(personas.client(personas.worker_user).get(MINE))
    assert 'data-testid="no-enrolments"' in html


def test_the_home_page_offers_to_continue_an_unfinished_course(personas: Personas, course: CoursePage,
                                                               enrolment: Enrolment) -> None:
    html = _html(personas.client(personas.worker_user).get("/"))
    assert f"继续学习 {course.title}" in html
    assert f'href="{MINE}"' in html and ">课程<" in html


def test_the_course_link_is_for_workers(personas: Personas, course: CoursePage) -> None:
    for user in (None, personas.employer_admin, personas.editor):
        html = _html(personas.client(user).get("/"))
        assert f'href="{MINE}"' not in html
