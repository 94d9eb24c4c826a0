"""The employer admin's side of exams: assigning (by role, department, hazard or by name), taking an
assignment back, one worker's extra time and attempts, and the pages, for every persona."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

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


# --- the assign form: due date, the hand-picked list across pages ----------------------------------


def test_a_due_date_after_the_exam_closes_is_refused_by_the_server(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.employer_admin)
    url = _urls(personas, exam)["assign"]
    closing = timezone.localtime(exam.closes_at)
    # The date field's max stops a browser, not a crafted request.
    refused = client.post(url, {"post_role": "exposed", "due": (closing.date() + dt.timedelta(days=1)).isoformat()})
    page = refused.content.decode()
    assert refused.status_code == 200 and 'data-testid="assign-error"' in page
    assert f"不能晚于考试结束日期 {closing:%Y-%m-%d}" in page and f"{closing:%Y-%m-%d %H:%M}" in page
    assert "不能晚于考试结束日期" in client.post(url, {"post_role": "exposed", "due": "2999-01-01"}).content.decode()
    assert not ExamAssignment.objects.exists()
    # The closing day itself is fine: the deadline is the exam's end, not midnight after it.
    done = client.post(url, {"post_role": "exposed", "due": closing.date().isoformat()})
    assert done.status_code == 302
    assert ExamAssignment.objects.get().due_at == min(exam.closes_at, timezone.make_aware(
        dt.datetime.combine(closing.date(), dt.time(23, 59, 59))))


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    from exams import employer_views

    monkeypatch.setattr(employer_views, "PICK_PAGE_SIZE", 2)


def _checkbox_codes(page: str) -> dict[str, bool]:
    boxes = re.finditer(r'<input type="checkbox" name="worker" value="([^"]+)"[^>]*>', page)
    return {box.group(1): "checked" in box.group(0) for box in boxes}


def _hidden_codes(page: str) -> set[str]:
    return set(re.findall(r'<input type="hidden" name="worker" value="([^"]+)">', page))


def test_ticks_on_one_page_of_the_list_are_kept_on_the_next(personas: Personas, exam: Exam, small_pages: None) -> None:
    for name in ("甲一", "乙二", "丙三"):
        WorkerFactory(employer=personas.employer, name=name)
    client = personas.client(personas.employer_admin)
    url = _urls(personas, exam)["assign"]
    first = client.get(url).content.decode()
    on_first = list(_checkbox_codes(first))
    assert len(on_first) == 2 and 'name="goto" value="2"' in first
    ticked = on_first[0]
    # 下一页 sends the form: nothing is assigned, the tick travels as a hidden field.
    second = client.post(url, {"worker": [ticked], "goto": "2", "page": "1", "q": ""})
    page = second.content.decode()
    assert second.status_code == 200 and not ExamAssignment.objects.exists()
    assert ticked not in _checkbox_codes(page) and _hidden_codes(page) == {ticked}
    assert "已从名单中选了 1 人" in page
    on_second = list(_checkbox_codes(page))
    assert on_second and not set(on_second) & set(on_first)
    # Back to the first page: the tick is a ticked box again, the second page's one hidden.
    back = client.post(url, {"worker": [ticked, on_second[0]], "goto": "1", "page": "2"}).content.decode()
    assert _checkbox_codes(back)[ticked] is True and _hidden_codes(back) == {on_second[0]}
    # A search keeps them too.
    searched = client.post(url, {"worker": [ticked, on_second[0]], "goto": "1", "q": "丙三"}).content.decode()
    assert _hidden_codes(searched) | {code for code, on in _checkbox_codes(searched).items() if on} == {
        ticked, on_second[0]}
    done = client.post(url, {"worker": [ticked, on_second[0]], "page": "2"})
    assert done.status_code == 302
    assert set(ExamAssignment.objects.values_list("worker__code", flat=True)) == {ticked, on_second[0]}


def test_a_page_past_the_end_shows_the_last_page_not_a_dead_end(personas: Personas, exam: Exam, small_pages: None) -> None:
    for name in ("甲一", "乙二"):
        WorkerFactory(employer=personas.employer, name=name)
    client = personas.client(personas.employer_admin)
    url = _urls(personas, exam)["assign"]
    last = client.get(url, {"page": "999999"})
    page = last.content.decode()
    assert last.status_code == 200 and 'id="assign-form"' in page
    assert "没有第 999999 页，显示的是第 2 页" in page and "第 2 / 2 页" in page
    for odd in ("²", "0", "-1", "abc\x00"):
        shown = client.get(url, {"page": odd})
        assert shown.status_code == 200 and "第 1 / 2 页" in shown.content.decode(), odd
    assert client.post(url, {"goto": "999999"}).status_code == 200


def test_another_employers_worker_is_never_carried_as_a_pick(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.employer_admin)
    page = client.post(_urls(personas, exam)["assign"], {"worker": [personas.other_worker.code, "\x00bad"],
                                                         "goto": "1"}).content.decode()
    assert personas.other_worker.code not in page and personas.other_worker.name not in page
    assert not ExamAssignment.objects.exists()


def test_hazard_labels_say_how_many_workers_without_ambiguity(personas: Personas, exam: Exam) -> None:
    page = personas.client(personas.employer_admin).get(_urls(personas, exam)["assign"]).content.decode()
    assert '噪声<span class="muted">（物理因素）· 1 人</span>' in page
    assert '煤尘<span class="muted">（粉尘）· 1 人</span>' in page
    assert "（1）" not in page


# --- the results page, revoking, the export ---------------------------------------------------------


def test_the_results_table_has_the_due_date_and_codes_do_not_wrap(personas: Personas, exam: Exam) -> None:
    due = timezone.localtime(exam.closes_at).replace(hour=23, minute=59, second=59) - dt.timedelta(days=2)
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"], due_at=due)
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    from exams.services.attempts import answer_save

    for position, key in answer_key(attempt).items():
        answer_save(attempt=attempt, device_token=token, position=position, response=key)
    attempt_submit(attempt=attempt)
    page = personas.client(personas.employer_admin).get(_urls(personas, exam)["results"]).content.decode()
    headers = re.findall(r"<th>(.*?)</th>", page)
    assert headers.index("完成期限") == headers.index("岗位角色") + 1
    assert f'<td class="nowrap" data-due>{due:%Y-%m-%d}</td>' in page
    assert '<span class="nowrap">王工</span>' in page
    assert ".results code { white-space: nowrap; }" in page and f"<code>{attempt.certificate.verification}</code>" in page


def _certificate(personas: Personas, exam: Exam) -> Any:
    exam_assign(actor=personas.employer_admin, employer=personas.employer, exam=exam, post_roles=["exposed"])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    from exams.services.attempts import answer_save

    for position, key in answer_key(attempt).items():
        answer_save(attempt=attempt, device_token=token, position=position, response=key)
    return attempt_submit(attempt=attempt).certificate


def test_the_revoke_page_leads_back_to_the_exams_results_and_says_a_missing_reason_once(
        personas: Personas, exam: Exam) -> None:
    certificate = _certificate(personas, exam)
    client = personas.client(personas.employer_admin)
    url = reverse("exams:certificate_revoke", args=[personas.employer.code, certificate.verification])
    page = client.get(url).content.decode()
    back = re.search(r'<a href="([^"]+)" data-testid="back">(.*?)</a>', page)
    assert back is not None
    assert back.group(1) == _urls(personas, exam)["results"] and back.group(2) == f"← 考试成绩：{exam.title}"
    assert personas.employer.name not in back.group(2)
    for reason in ("", "   "):
        refused = client.post(url, {"reason": reason}).content.decode()
        assert refused.count("请填写撤销原因") == 1 and "必需字段" not in refused, reason
        assert refused.count('class="errorlist') == 1
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert client.post(url, {"reason": "代考"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "代考"
    for persona in ("outsider", "worker_user"):
        assert personas.client(getattr(personas, persona)).get(url).status_code == 404, persona


def test_one_exams_export_is_named_after_the_exam(personas: Personas, exam: Exam) -> None:
    from urllib.parse import quote

    Exam.objects.filter(pk=exam.pk).update(title="接害劳动者/岗前:考试 2025")
    client = personas.client(personas.employer_admin)
    address = reverse("exams:employer_results_export", args=[personas.employer.code])
    one = client.get(client.post(address, {"exam": exam.code})["Location"])
    everything = client.get(client.post(address)["Location"])
    one_name, all_name = one["Content-Disposition"], everything["Content-Disposition"]
    assert quote("exam-results-接害劳动者-岗前-考试-2025-") in one_name
    assert all_name.startswith('attachment; filename="exam-results-2') and one_name != all_name


def test_exporting_an_unknown_exam_shows_the_form_again_with_a_message(personas: Personas, exam: Exam) -> None:
    from exams.models import ResultsExport

    client = personas.client(personas.employer_admin)
    address = reverse("exams:employer_results_export", args=[personas.employer.code])
    draft = _draft()
    for code in ("NoSuchExam12", draft.code, "a\x00b"):
        response = client.post(address, {"exam": code}, follow=True)
        page = response.content.decode()
        assert response.status_code == 200 and response.redirect_chain[-1][0] == address, code
        assert "没有这场考试" in page and 'name="exam"' in page, code
    assert not ResultsExport.objects.exists()
    assert personas.client(personas.outsider).post(address, {"exam": "NoSuchExam12"}).status_code == 404
