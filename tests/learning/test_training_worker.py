"""我的培训 on the worker's phone: each cycle's progress toward the hours and what is missing, the
exam button only once the hours are done, the certificate once the exam is passed; the detail page
with the law, the window and the hours per course; nobody else's cycle, and nobody but the worker.
Statuses are learning.services.compliance's; the hours come from StudyDay rows."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from core.nextsteps import NextSteps
from exams.models import Certificate, Exam
from learning import nextsteps
from learning.models import CoursePage, Programme, ProgrammeKind, StudyDay, TrainingAssignment
from learning.services.compliance import today_local
from learning.services.programmes import training_assign, training_withdraw
from learning.training_selectors import worker_training, worker_training_due
from orgs.models import PostRole
from tests.conftest import Personas
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_certificates import sit
from tests.learning.helpers import enrolled, make_course

pytestmark = pytest.mark.django_db

HOUR = settings.MINUTES_PER_STUDY_HOUR * 60
LAW = "《工作场所职业卫生管理规定》第十一条：上岗前培训不少于 8 学时"


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(workers=[personas.worker], attempts=3)


@pytest.fixture
def course(db: None) -> CoursePage:
    return make_course(["reading", "reading"], title="粉尘危害与防护")


def make_programme(*, course: CoursePage | None, exam: Exam | None, code: str = "test-pre-job", hours: str = "2",
                   name: str = "粉尘岗位上岗前培训") -> Programme:
    programme = Programme.objects.create(code=code, name=name, role=PostRole.EXPOSED, kind=ProgrammeKind.PRE_JOB,
                                         required_hours=Decimal(hours), exam=exam, legal_basis=LAW)
    if course is not None:
        programme.courses.add(course)
    return programme


def assign(personas: Personas, programme: Programme, *, days: int = 20, worker: Any = None) -> TrainingAssignment:
    worker = worker or personas.worker
    actor = personas.employer_admin if worker.employer_id == personas.employer.pk else personas.outsider
    result = training_assign(actor=actor, employer=worker.employer, programme=programme, worker_codes=[worker.code],
                             due_on=today_local() + dt.timedelta(days=days))
    return TrainingAssignment.objects.get(code=result.codes[0])


def study(worker: Any, course: CoursePage, seconds: int, day: dt.date | None = None) -> None:
    StudyDay.objects.create(worker=worker, course=course, day=day or today_local(), seconds=seconds)


@pytest.fixture
def cycle(personas: Personas, course: CoursePage, exam: Exam) -> TrainingAssignment:
    return assign(personas, make_programme(course=course, exam=exam))


def page(personas: Personas, url: str | None = None) -> str:
    response = personas.client(personas.worker_user).get(url or reverse("learning:training"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# -- the list --------------------------------------------------------------------------------------

def test_it_shows_the_progress_and_the_missing_hours(personas: Personas, cycle: TrainingAssignment,
                                                     course: CoursePage) -> None:
    study(personas.worker, course, HOUR)  # 1 of 2 学时
    text = page(personas)
    assert 'data-testid="training-current"' in text
    assert "粉尘岗位上岗前培训" in text and "上岗前培训" in text
    assert 'aria-valuenow="50"' in text and "width: 50%" in text
    assert "已获得 1.0 / 2.0 学时" in text
    assert "还差 1.0 学时" in text and "结业考试未通过" in text
    assert f"截止 {cycle.due_on.isoformat()} · 还有 20 天" in text
    assert 'data-testid="training-exam"' not in text
    assert 'data-testid="training-certificate"' not in text
    # The course that counts, with its enrol button posting to the course page (the enrolment service).
    assert f'<form method="post" action="{course.url}">' in text
    assert 'data-testid="training-enrol"' in text
    assert reverse("learning:training_detail", args=[cycle.code]) in text


def test_an_enrolled_worker_is_sent_to_the_course_not_asked_to_enrol(personas: Personas, cycle: TrainingAssignment,
                                                                     course: CoursePage) -> None:
    enrolled(personas.worker, course)
    text = page(personas)
    assert 'data-testid="training-resume"' in text and 'data-testid="training-enrol"' not in text


def test_the_enrol_button_enrols_through_the_course_page(personas: Personas, cycle: TrainingAssignment,
                                                         course: CoursePage) -> None:
    client = personas.client(personas.worker_user)
    response = client.post(course.url)
    assert response.status_code == 302
    assert personas.worker.enrolments.filter(course=course).exists()
    assert 'data-testid="training-resume"' in client.get(reverse("learning:training")).content.decode()


def test_the_exam_button_shows_only_once_the_hours_are_done(personas: Personas, cycle: TrainingAssignment,
                                                            course: CoursePage, exam: Exam) -> None:
    study(personas.worker, course, 2 * HOUR - 60)
    assert 'data-testid="training-exam"' not in page(personas)
    StudyDay.objects.filter(worker=personas.worker).update(seconds=2 * HOUR)
    text = page(personas)
    assert f'href="{reverse("exams:exam", args=[exam.code])}" data-testid="training-exam"' in text
    assert 'aria-valuenow="100"' in text
    assert "还差" not in text and "结业考试未通过" in text
    # The courses are no longer offered: more hours would not help this cycle.
    assert 'data-testid="training-courses"' not in text


def test_the_certificate_shows_once_the_exam_is_passed(personas: Personas, cycle: TrainingAssignment,
                                                       course: CoursePage, exam: Exam) -> None:
    study(personas.worker, course, 2 * HOUR)
    attempt = sit(personas.worker, exam)
    certificate = Certificate.objects.get(attempt=attempt)
    text = page(personas)
    assert 'data-testid="no-training"' in text and "目前没有待完成的培训" in text
    assert 'data-testid="training-done"' in text
    assert f'href="{reverse("exams:certificate", args=[certificate.verification])}"' in text
    assert 'data-testid="training-exam"' not in text and 'data-testid="training-missing"' not in text


def test_the_cycle_gives_its_exam_and_one_taken_back_is_explained_not_linked(personas: Personas,
                                                                             course: CoursePage) -> None:
    from exams.models import ExamAssignment

    make_bank(12)
    closed = make_exam(workers=())  # neither open to all nor assigned to 王工 before the cycle
    assign(personas, make_programme(course=course, exam=closed))
    study(personas.worker, course, 2 * HOUR)
    # The cycle gave the worker its closing exam.
    assert 'data-testid="training-exam"' in page(personas)
    ExamAssignment.objects.filter(exam=closed, worker=personas.worker).delete()  # the admin took it back
    text = page(personas)
    assert 'data-testid="training-exam-closed"' in text and 'data-testid="training-exam"' not in text


def test_an_overdue_cycle_says_by_how_many_days(personas: Personas, cycle: TrainingAssignment) -> None:
    with time_machine.travel(dt.datetime.combine(cycle.due_on + dt.timedelta(days=5), dt.time(10, 0)).astimezone()):
        text = page(personas)
    assert "已逾期 5 天" in text and 'data-testid="training-status">已逾期' in text


def test_withdrawn_and_other_employers_cycles_are_not_listed(personas: Personas, course: CoursePage, exam: Exam) -> None:
    programme = make_programme(course=course, exam=exam)
    withdrawn = assign(personas, programme)
    training_withdraw(actor=personas.employer_admin, assignment=withdrawn, reason="布置错了")
    text = page(personas)
    assert 'data-testid="no-training"' in text and "单位还没有给您布置培训" in text
    assert personas.client(personas.worker_user).get(
        reverse("learning:training_detail", args=[withdrawn.code])).status_code == 404


def test_the_list_is_two_queries_however_many_cycles(personas: Personas, course: CoursePage, exam: Exam,
                                                     django_assert_num_queries: Any) -> None:
    for number in range(3):
        other = make_course(["reading"])
        programme = make_programme(course=other, exam=exam, code=f"test-{number}", name=f"培训{number}")
        programme.courses.add(course)
        assign(personas, programme)
        study(personas.worker, other, HOUR)
    with django_assert_num_queries(2):
        training = worker_training(personas.worker, today_local())
    assert len(training.current) == 3 and all(len(row.courses) == 2 for row in training.current)
    assert [row.standing.hours for row in training.current] == [1.0, 1.0, 1.0]


# -- the detail page -------------------------------------------------------------------------------

def test_the_detail_page_shows_the_law_the_window_and_hours_per_course(personas: Personas, cycle: TrainingAssignment,
                                                                       course: CoursePage) -> None:
    second = make_course(["reading"], title="噪声防护")
    cycle.programme.courses.add(second)
    study(personas.worker, course, HOUR)
    study(personas.worker, course, HOUR, day=cycle.starts_on - dt.timedelta(days=1))  # before the window: not counted
    text = page(personas, reverse("learning:training_detail", args=[cycle.code]))
    assert LAW in text
    assert f"{cycle.starts_on.isoformat()} 起，至完成为止" in text
    assert 'aria-valuenow="50"' in text and "还差 1.0 学时" in text
    lines = text.split('data-testid="training-course-line"')[1:]
    assert len(lines) == 2
    assert "粉尘危害与防护" in lines[0] and "1.0 学时" in lines[0]
    assert "噪声防护" in lines[1] and "0.0 学时" in lines[1]
    assert 'data-testid="training-enrol"' in text


def test_another_workers_cycle_is_a_404_like_an_unknown_code(personas: Personas, course: CoursePage, exam: Exam) -> None:
    theirs = assign(personas, make_programme(course=course, exam=exam), worker=personas.other_worker)
    client = personas.client(personas.worker_user)
    for code in (theirs.code, "no-such-code", "x" * 200):
        assert client.get(reverse("learning:training_detail", args=[code])).status_code == 404


# -- who may look ----------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(personas: Personas, cycle: TrainingAssignment) -> None:
    for url in (reverse("learning:training"), reverse("learning:training_detail", args=[cycle.code])):
        response = personas.client(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["outsider", "employer_admin", "evaluator", "editor"])
def test_people_without_a_worker_record_get_404(personas: Personas, cycle: TrainingAssignment, who: str) -> None:
    client = personas.client(getattr(personas, who))
    assert client.get(reverse("learning:training")).status_code == 404
    assert client.get(reverse("learning:training_detail", args=[cycle.code])).status_code == 404


def test_the_pages_take_get_only(personas: Personas, cycle: TrainingAssignment) -> None:
    client = personas.client(personas.worker_user)
    assert client.post(reverse("learning:training")).status_code == 405


# -- the home page and the header ------------------------------------------------------------------

def _steps(user: Any) -> NextSteps:
    request = RequestFactory().get("/")
    request.user = user
    result = NextSteps(roles=frozenset(), empty_message="nothing")
    nextsteps.next_steps(request, result)
    return result


def test_an_unmet_cycle_is_a_next_step_with_the_nearest_due_date(personas: Personas, course: CoursePage,
                                                                 exam: Exam) -> None:
    assign(personas, make_programme(course=course, exam=exam), days=20)
    nearest = assign(personas, make_programme(course=course, exam=exam, code="test-second", name="第二项"), days=10)
    result = _steps(personas.worker_user)
    step = next(step for step in result.steps if step.url == reverse("learning:training"))
    assert step.title == "我的培训"
    assert f"2 项培训未完成，最近的 {nearest.due_on.isoformat()} 截止，还有 10 天" in step.text
    assert result.empty_message == ""


def test_the_next_step_costs_one_query_and_goes_once_met(personas: Personas, cycle: TrainingAssignment,
                                                         course: CoursePage, exam: Exam,
                                                         django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        due = worker_training_due(personas.worker, today_local())
    assert due is not None and due.count == 1
    study(personas.worker, course, 2 * HOUR)
    sit(personas.worker, exam)
    assert worker_training_due(personas.worker, today_local()) is None
    assert not [step for step in _steps(personas.worker_user).steps if step.url == reverse("learning:training")]


def _nav(user: Any) -> list[str]:
    request = RequestFactory().get("/")  # a request of its own: the scope is kept on the request
    request.user = user
    return [item.url for item in nextsteps.navigation(request)]


def test_workers_have_the_training_link_in_the_header(personas: Personas) -> None:
    assert reverse("learning:training") in _nav(personas.worker_user)
    assert reverse("learning:training") not in _nav(personas.employer_admin)


def test_the_home_page_lists_my_training_with_its_due_date(personas: Personas, cycle: TrainingAssignment) -> None:
    text = page(personas, "/")
    assert "我的培训" in text and f"最近的 {cycle.due_on.isoformat()} 截止，还有 20 天" in text
    assert f'href="{reverse("learning:training")}"' in text
