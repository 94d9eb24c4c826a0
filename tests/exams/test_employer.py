"""The employer admin's side of exams: assigning (by role, department, hazard or by name), taking an
assignment back, one worker's extra time and attempts, and the pages, for every persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core.models import Notification
from exams.models import Attempt, Exam, ExamAssignment, ExamJob, ExamOverride
from exams.services.assignments import AssignmentError, exam_assign, exam_unassign, override_grant
from exams.services.attempts import attempt_open, attempt_start, attempt_submit, exam_eligibility
from orgs.models import Department, HazardFactor, PostRole
from tests.conftest import Personas
from tests.exams.helpers import answer_key, make_bank, make_exam
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(attempts=2)


def _draft() -> Exam:
    draft = make_exam()
    Exam.objects.filter(pk=draft.pk).update(status=Exam.Status.DRAFT)
    draft.refresh_from_db()
    return draft


def _assigned(exam: Exam) -> set[str]:
    return set(ExamAssignment.objects.filter(exam=exam).values_list("worker__name", flat=True))


def _refusal(**kwargs: object) -> str:
    with pytest.raises(AssignmentError) as refused:
        exam_assign(**kwargs)  # type: ignore[arg-type]
    return str(refused.value)


# --- assigning -------------------------------------------------------------------------------------


def test_it_assigns_by_post_role(personas: Personas, exam: Exam) -> None:
    WorkerFactory(employer=personas.employer, name="张厂长", post_role=PostRole.PRINCIPAL)
    WorkerFactory(employer=personas.employer, name="离职厂长", post_role=PostRole.PRINCIPAL, is_active=False)
    outcome = exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam,
                          post_roles=[PostRole.PRINCIPAL])
    assert (outcome.assigned, outcome.already) == (1, 0)
    assert _assigned(exam) == {"张厂长"}  # not the one who left, not the exposed worker


def test_it_assigns_by_department(personas: Personas, exam: Exam) -> None:
    team = Department.objects.create(employer=personas.employer, name="采煤一队")
    personas.worker.department = team
    personas.worker.save()
    WorkerFactory(employer=personas.employer, name="别的部门")
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, department_ids=[str(team.pk)])
    assert _assigned(exam) == {"王工"}


def test_it_assigns_by_hazard_factor(personas: Personas, exam: Exam) -> None:
    WorkerFactory(employer=personas.employer, name="不接噪声")
    noise = HazardFactor.objects.get(name="噪声")
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, hazard_factor_ids=[noise.pk])
    assert _assigned(exam) == {"王工"}


def test_it_assigns_a_hand_picked_list_and_each_criterion_adds_workers(personas: Personas, exam: Exam) -> None:
    picked = WorkerFactory(employer=personas.employer, name="点名的人", post_role=PostRole.OTHER)
    WorkerFactory(employer=personas.employer, name="没选的人", post_role=PostRole.OTHER)
    outcome = exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam,
                          worker_codes=[picked.code], post_roles=[PostRole.EXPOSED])
    assert outcome.assigned == 2
    assert _assigned(exam) == {"点名的人", "王工"}
    assert ExamAssignment.objects.get(worker=picked).employer == personas.employer


def test_another_employers_worker_is_refused_like_an_unknown_one(personas: Personas, exam: Exam) -> None:
    base = {"actor": personas.employer_admin, "employer": personas.employer, "exam": exam}
    other = personas.other_worker.code
    foreign = _refusal(**base, worker_codes=[personas.worker.code, other])
    unknown = _refusal(**base, worker_codes=[personas.worker.code, "NoSuchCode12"])
    assert other in foreign and "NoSuchCode12" in unknown
    assert foreign.replace(other, "CODE") == unknown.replace("NoSuchCode12", "CODE")
    assert not ExamAssignment.objects.exists()  # nothing half-assigned


def test_it_refuses_what_cannot_be_assigned(personas: Personas, exam: Exam) -> None:
    base = {"actor": personas.employer_admin, "employer": personas.employer}
    assert "至少" in _refusal(**base, exam=exam)
    assert "早于现在" in _refusal(**base, exam=exam, post_roles=["exposed"],
                               due_at=timezone.now() - dt.timedelta(minutes=1))
    assert "晚于" in _refusal(**base, exam=exam, post_roles=["exposed"], due_at=exam.closes_at + dt.timedelta(days=1))
    assert "boss" in _refusal(**base, exam=exam, post_roles=["boss"])
    assert "部门" in _refusal(**base, exam=exam, department_ids=["x"])
    other_team = Department.objects.create(employer=personas.other_employer, name="外单位")
    assert "部门" in _refusal(**base, exam=exam, department_ids=[other_team.pk])
    assert "没有符合" in _refusal(**base, exam=exam, post_roles=[PostRole.PRINCIPAL])
    gone = WorkerFactory(employer=personas.employer, name="已走", is_active=False)
    assert "已走" in _refusal(**base, exam=exam, worker_codes=[gone.code])
    draft = _draft()
    assert "已发布" in _refusal(**base, exam=draft, post_roles=["exposed"])
    closed = make_exam(opens=timezone.now() - dt.timedelta(days=30))
    assert "已结束" in _refusal(**base, exam=closed, post_roles=["exposed"])
    assert not ExamAssignment.objects.exists()


def test_assigning_twice_assigns_and_notifies_once(personas: Personas, exam: Exam) -> None:
    due = exam.closes_at - dt.timedelta(days=1)
    first = exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam,
                        worker_codes=[personas.worker.code], due_at=due)
    again = exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    assert (first.assigned, first.already, again.assigned, again.already) == (1, 0, 0, 1)
    assignment = ExamAssignment.objects.get()
    assert assignment.due_at == due and assignment.assigned_by == personas.employer_admin
    notification = Notification.objects.get(recipient=personas.worker_user)
    assert notification.key == f"exam-assigned:{exam.code}"
    assert notification.url == reverse("exams:exam", args=[exam.code])
    assert exam.title in notification.title
    entries = ModelLogEntry.objects.filter(action="exams.exam.assign")
    assert entries.count() == 2
    assert entries.order_by("timestamp").first().data["employer"] == personas.employer.pk
    assert exam_eligibility(worker=personas.worker, exam=exam).allowed


def test_an_open_window_draws_papers_ahead_and_a_later_one_waits(personas: Personas, exam: Exam) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    assert ExamJob.objects.filter(exam=exam, kind=ExamJob.Kind.PAPERS).count() == 1
    later = make_exam(opens=timezone.now() + dt.timedelta(days=2))
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=later, post_roles=["exposed"])
    assert not ExamJob.objects.filter(exam=later).exists()


def test_an_assignment_is_taken_back_only_before_the_first_attempt(personas: Personas, exam: Exam) -> None:
    base = {"actor": personas.employer_admin, "employer": personas.employer, "exam": exam}
    exam_assign(**base, post_roles=["exposed"])
    Attempt.objects.create(exam=exam, worker=personas.worker, status=Attempt.Status.READY)  # a paper drawn ahead
    exam_unassign(**base, worker=personas.worker)
    assert not ExamAssignment.objects.exists() and not Attempt.objects.exists()
    with pytest.raises(AssignmentError):
        exam_unassign(**base, worker=personas.worker)
    exam_assign(**base, post_roles=["exposed"])
    attempt_start(worker=personas.worker, exam=exam)
    with pytest.raises(AssignmentError, match="已经参加"):
        exam_unassign(**base, worker=personas.worker)
    assert ExamAssignment.objects.count() == 1
    with pytest.raises(AssignmentError):
        exam_unassign(**base, worker=personas.other_worker)


# --- overrides -------------------------------------------------------------------------------------


def test_an_override_extends_the_open_attempts_deadline(personas: Personas, exam: Exam) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=30)
    override_grant(actor=personas.employer_admin, exam=exam, worker=personas.worker, extra_minutes="20",
                   extra_attempts=1, reason="阅读较慢")
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=50)
    override = ExamOverride.objects.get()
    assert (override.extra_minutes, override.extra_attempts, override.reason) == (20, 1, "阅读较慢")
    assert override.granted_by == personas.employer_admin
    entry = ModelLogEntry.objects.get(action="exams.exam.override")
    assert entry.data["employer"] == personas.employer.pk and entry.data["open_attempt"] == attempt.code
    # Answering goes on past the old deadline.
    token = attempt_open(attempt=attempt)
    from exams.services.attempts import answer_save

    later = attempt.started_at + dt.timedelta(minutes=45)
    answer_save(attempt=attempt, device_token=token, position=1, response="A", now=later)
    assert exam_eligibility(worker=personas.worker, exam=exam).attempts_left == 2  # 2 allowed + 1, 1 used


def test_the_extended_deadline_stops_at_the_windows_end_plus_the_extra(personas: Personas) -> None:
    make_bank(12)
    now = timezone.now()
    exam = make_exam(workers=[personas.worker], minutes=60)
    Exam.objects.filter(pk=exam.pk).update(closes_at=now + dt.timedelta(minutes=10))
    exam.refresh_from_db()
    attempt = attempt_start(worker=personas.worker, exam=exam, now=now)
    assert attempt.deadline == exam.closes_at
    override_grant(actor=personas.employer_admin, exam=exam, worker=personas.worker, extra_minutes=30)
    attempt.refresh_from_db()
    assert attempt.deadline == exam.closes_at + dt.timedelta(minutes=30)


def test_a_graded_attempt_is_not_reopened_by_an_override(personas: Personas, exam: Exam) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    attempt = attempt_submit(attempt=attempt_start(worker=personas.worker, exam=exam))
    override_grant(actor=personas.employer_admin, exam=exam, worker=personas.worker, extra_minutes=30)
    graded = Attempt.objects.get(pk=attempt.pk)
    assert graded.status == Attempt.Status.GRADED and graded.deadline == attempt.deadline


@pytest.mark.parametrize(("minutes", "attempts"), [(241, 0), (-1, 0), ("abc", 0), ("²", 0), (0, 11), (0, "1.5")])
def test_an_override_out_of_bounds_is_refused(personas: Personas, exam: Exam, minutes: object, attempts: object) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    with pytest.raises(AssignmentError):
        override_grant(actor=personas.employer_admin, exam=exam, worker=personas.worker, extra_minutes=minutes,
                       extra_attempts=attempts)
    assert not ExamOverride.objects.exists()


def test_an_override_is_only_for_the_admins_own_assigned_workers(personas: Personas, exam: Exam) -> None:
    with pytest.raises(AssignmentError, match="没有安排"):
        override_grant(actor=personas.employer_admin, exam=exam, worker=personas.worker, extra_minutes=10)
    ExamAssignment.objects.create(exam=exam, worker=personas.other_worker, employer=personas.other_employer)
    with pytest.raises(AssignmentError) as refused:
        override_grant(actor=personas.employer_admin, exam=exam, worker=personas.other_worker, extra_minutes=10)
    assert personas.other_worker.code in str(refused.value) and "花名册中没有" in str(refused.value)
    for persona in (personas.evaluator, personas.editor, personas.worker_user):
        with pytest.raises(AssignmentError):
            override_grant(actor=persona, exam=exam, worker=personas.other_worker, extra_minutes=10)
    assert not ExamOverride.objects.exists()


# --- pages -----------------------------------------------------------------------------------------


def _urls(personas: Personas, exam: Exam) -> dict[str, str]:
    code = personas.employer.code
    return {
        "exams": reverse("exams:employer_exams", args=[code]),
        "assign": reverse("exams:employer_assign", args=[code, exam.code]),
        "results": reverse("exams:employer_results", args=[code, exam.code]),
        "overrides": reverse("exams:employer_overrides", args=[code, exam.code]),
        "export": reverse("exams:employer_results_export", args=[code]),
    }


def test_the_employer_admin_gets_every_page(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.employer_admin)
    for name, url in _urls(personas, exam).items():
        assert client.get(url).status_code == 200, name
    listing = client.get(_urls(personas, exam)["exams"]).content.decode()
    assert exam.title in listing and reverse("exams:employer_assign", args=[personas.employer.code, exam.code]) in listing


@pytest.mark.parametrize("persona", ["outsider", "worker_user", "editor", "reviewer"])
def test_everyone_else_gets_404(personas: Personas, exam: Exam, persona: str) -> None:
    client = personas.client(getattr(personas, persona))
    for name, url in _urls(personas, exam).items():
        assert client.get(url).status_code == 404, (persona, name)
        assert client.post(url, {"post_role": "exposed"}).status_code == 404, (persona, name)
    assert not ExamAssignment.objects.exists()


def test_the_evaluator_is_refused_as_on_the_rosters_write_pages(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.evaluator)
    for name, url in _urls(personas, exam).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"post_role": "exposed"}).status_code == 403, name
    assert not ExamAssignment.objects.exists()


def test_anonymous_visitors_are_sent_to_login(personas: Personas, exam: Exam) -> None:
    response = personas.client(None).get(_urls(personas, exam)["results"])
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_or_draft_exams_and_hostile_codes_are_404(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.employer_admin)
    draft = _draft()
    for exam_code in ("NoSuchExam12", draft.code, "a%00b"):
        for name in ("employer_assign", "employer_results", "employer_overrides"):
            url = reverse(f"exams:{name}", args=[personas.employer.code, "x"]).replace("/x/", f"/{exam_code}/")
            assert client.get(url).status_code == 404, (exam_code, name)


def test_the_assign_form_assigns_and_says_what_is_wrong(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.employer_admin)
    url = _urls(personas, exam)["assign"]
    page = client.get(url).content.decode()
    assert "接害劳动者" in page and personas.worker.id_number in page  # the admin sees the roster raw
    refused = client.post(url, {"worker": personas.other_worker.code})
    assert refused.status_code == 200 and personas.other_worker.code in refused.content.decode()
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert "早于现在" in client.post(url, {"post_role": "exposed", "due": yesterday}).content.decode()
    assert "格式" in client.post(url, {"post_role": "exposed", "due": "2025-13-40"}).content.decode()
    assert "格式" in client.post(url, {"post_role": "exposed", "due": "\x00"}).content.decode()
    assert not ExamAssignment.objects.exists()
    done = client.post(url, {"post_role": "exposed", "due": timezone.localdate().isoformat()})
    assert done.status_code == 302 and done["Location"] == _urls(personas, exam)["results"]
    assignment = ExamAssignment.objects.get()
    assert timezone.localtime(assignment.due_at).date() == timezone.localdate()


def test_the_results_page_lists_each_workers_counted_result(personas: Personas, exam: Exam) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    from exams.services.attempts import answer_save

    for position, key in answer_key(attempt).items():
        answer_save(attempt=attempt, device_token=token, position=position, response=key)
    attempt_submit(attempt=attempt)
    waiting = WorkerFactory(employer=personas.employer, name="还没考")
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, worker_codes=[waiting.code])
    client = personas.client(personas.employer_admin)
    url = _urls(personas, exam)["results"]
    page = client.get(url).content.decode()
    certificate = attempt.certificate
    assert "王工" in page and "还没考" in page and personas.worker.id_number in page
    assert certificate.verification in page
    assert reverse("exams:certificate_revoke", args=[personas.employer.code, certificate.verification]) in page
    passed = client.get(url, {"passed": "passed"}).content.decode()
    assert "王工" in passed and "还没考" not in passed
    pending = client.get(url, {"passed": "pending"}).content.decode()
    assert "王工" not in pending and "还没考" in pending
    assert "王工" in client.get(url, {"passed": "bogus\x00"}).content.decode()  # an unknown filter shows all
    assert "没有符合条件" in client.get(url, {"department": "没有这个部门\x00"}).content.decode()
    assert client.get(url, {"page": "²"}).status_code == 404
    listing = client.get(_urls(personas, exam)["exams"]).content.decode()
    assert 'data-count="assigned">2<' in listing and 'data-count="passed">1<' in listing


def test_the_results_page_takes_an_assignment_back(personas: Personas, exam: Exam) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    client = personas.client(personas.employer_admin)
    response = client.post(_urls(personas, exam)["assign"], {"action": "unassign", "worker": personas.worker.code})
    assert response.status_code == 302 and not ExamAssignment.objects.exists()
    ExamAssignment.objects.create(exam=exam, worker=personas.other_worker, employer=personas.other_employer)
    client.post(_urls(personas, exam)["assign"], {"action": "unassign", "worker": personas.other_worker.code})
    assert ExamAssignment.objects.filter(worker=personas.other_worker).exists()


def test_the_override_page_grants_and_refuses(personas: Personas, exam: Exam) -> None:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    client = personas.client(personas.employer_admin)
    url = _urls(personas, exam)["overrides"]
    form = client.get(url, {"worker": personas.worker.code}).content.decode()
    assert "王工" in form and 'name="extra_minutes"' in form
    assert "王工" in client.get(url, {"q": "王"}).content.decode()
    refused = client.post(url, {"worker": personas.worker.code, "extra_minutes": "999"})
    assert refused.status_code == 200 and "240" in refused.content.decode()
    foreign = client.post(url, {"worker": personas.other_worker.code, "extra_minutes": "10"}).content.decode()
    assert personas.other_worker.code in foreign and "花名册中没有" in foreign
    done = client.post(url, {"worker": personas.worker.code, "extra_minutes": "15", "extra_attempts": "",
                             "reason": "视力不好"})
    assert done.status_code == 302
    assert ExamOverride.objects.get().extra_minutes == 15
    assert "视力不好" in client.get(url).content.decode()
