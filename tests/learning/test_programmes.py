"""Training programmes end to end through the services, with the clock moved by time-machine:
a hire gets pre-job training by rule, studies, is reminded before and after the due date, passes
the exam and gets the certificate; next year's cycle comes by itself; a change of post on the
roster calls for pre-job training again; leavers and movers have their unmet cycles withdrawn;
the employer admin's assignment refuses what it must."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import storages
from django.utils import timezone

from core.models import Notification
from exams.models import Certificate
from exams.services.certificates import certificate_revoke
from learning.models import AssignmentSource, Programme, StudyDay, TrainingAssignment
from learning.services.compliance import Status, standing_of
from learning.services.programmes import (
    TrainingError,
    programme_basis,
    training_assign,
    training_rollover,
    training_sync,
    training_withdraw,
)
from learning.services.reminders import training_reminders_send
from orgs.models import HazardFactor, PostRole, Worker
from orgs.services.people import worker_create, worker_set_active
from orgs.services.roster import roster_rows_import
from orgs.services.roster_columns import COLUMNS
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_certificates import sit
from tests.factories import WorkerFactory, unique_id_number, unique_phone
from tests.learning.helpers import enrolled, lessons_of, make_course, studied

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def private_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Certificates rendered on a pass go to a folder of the test (as tests/exams/conftest.py)."""
    storage = storages["private"]
    monkeypatch.setattr(storage, "location", str(tmp_path))
    monkeypatch.setattr(storage, "base_location", str(tmp_path), raising=False)
    return tmp_path


@pytest.fixture
def pre_job(db: None) -> Programme:
    """The statutory pre-job programme with a short course and an exam (half a 学时 keeps the test fast)."""
    programme = Programme.objects.get(code="exposed-pre-job")
    course = make_course(["reading", "reading", "reading"], minutes=10, audience_roles=[PostRole.EXPOSED])
    programme.courses.set([course])
    programme.required_hours = Decimal("0.5")
    programme.save()
    return programme


def hire(personas: Any, capture: Any, *, day: dt.date, post: str = "采煤工", hire_date: dt.date | None = None) -> Worker:
    with capture(execute=True):
        return worker_create(actor=personas.employer_admin, employer=personas.employer, name="新工人",
                             id_number=unique_id_number(), phone=unique_phone(), post_role=PostRole.EXPOSED,
                             post=post, exposures=list(HazardFactor.objects.filter(name__in=["煤尘", "噪声"])),
                             hire_date=hire_date or day)


def test_a_hire_walks_from_pre_job_training_to_the_certificate_and_next_years_cycle(
        personas: Any, pre_job: Programme, django_capture_on_commit_callbacks: Any) -> None:
    day = dt.date(2026, 3, 2)
    with time_machine.travel(at(day), tick=False):
        make_bank(12)
        exam = make_exam(attempts=3, opens=timezone.now() - dt.timedelta(days=1))
        exam.closes_at = timezone.now() + dt.timedelta(days=120)
        exam.save()
        pre_job.exam = exam
        pre_job.save()
        worker = hire(personas, django_capture_on_commit_callbacks, day=day)
        cycle = TrainingAssignment.objects.get(worker=worker)
        assert (cycle.programme, cycle.source, cycle.starts_on, cycle.due_on, cycle.ends_on) == (
            pre_job, AssignmentSource.HIRE, day, day + dt.timedelta(days=30), None)
        standing = standing_of(cycle)
        assert standing.status == Status.DUE and standing.missing == ["还差 0.5 学时", "结业考试未通过"]

    # A week before the due date: the worker and the employer admin are reminded, once.
    with time_machine.travel(at(cycle.due_on - dt.timedelta(days=7), 9), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            sent = training_reminders_send()
        assert (sent.workers, sent.admins) == (1, 1)
        assert Notification.objects.filter(recipient=worker.user, key__startswith="training-due:").count() == 1
        assert Notification.objects.filter(recipient=personas.employer_admin, key__startswith="training-due:").count() == 1
        again = training_reminders_send()
        assert (again.workers, again.admins) == (0, 0)

    # The worker studies: the day ledger fills, the hours are met, the exam is still missing.
    study_day = cycle.due_on - dt.timedelta(days=5)
    with time_machine.travel(at(study_day, 20), tick=False):
        course = pre_job.courses.get()
        enrolled(worker, course)
        first, second, _third = lessons_of(course)
        studied(worker, first, seconds=690, start=at(study_day, 19))
        studied(worker, second, seconds=690, start=at(study_day, 19) + dt.timedelta(minutes=15))
        assert StudyDay.objects.get(worker=worker, course=course, day=study_day).seconds >= 1350
        standing = standing_of(cycle)
        assert standing.hours_done and standing.status == Status.DUE and standing.missing == ["结业考试未通过"]

    # After the due date: overdue, reminded once more.
    with time_machine.travel(at(cycle.due_on + dt.timedelta(days=1), 9), tick=False):
        assert standing_of(cycle).status == Status.OVERDUE
        with django_capture_on_commit_callbacks(execute=True):
            sent = training_reminders_send()
        assert (sent.workers, sent.admins) == (1, 1)
        assert Notification.objects.filter(recipient=worker.user, key__startswith="training-overdue:").count() == 1
        assert training_reminders_send().workers == 0

        # The exam passed: met, with the certificate.
        with django_capture_on_commit_callbacks(execute=True):
            attempt = sit(worker, exam)
        assert attempt.passed
        standing = standing_of(cycle)
        assert standing.status == Status.MET and standing.missing == []
        assert standing.certificate == Certificate.objects.get(attempt=attempt).verification
        assert training_reminders_send().workers == 0
        # A revoked certificate takes the pass with it (and an exam passed again restores it).
        certificate_revoke(actor=personas.superuser, certificate=Certificate.objects.get(attempt=attempt),
                           reason="考试作弊")
        revoked = standing_of(cycle)
        assert (revoked.status, revoked.certificate, revoked.missing) == (Status.OVERDUE, "", ["结业考试未通过"])
        with django_capture_on_commit_callbacks(execute=True):
            sit(worker, exam)
        assert standing_of(cycle).status == Status.MET

    # The next year: the annual cycle is set by the rollover, once.
    with time_machine.travel(at(dt.date(2027, 1, 1), 1), tick=False):
        assert training_rollover(year=2027).created == 1
        assert training_rollover(year=2027).created == 0
        annual = TrainingAssignment.objects.get(worker=worker, starts_on=dt.date(2027, 1, 1))
        assert (annual.programme.code, annual.due_on, annual.ends_on, annual.source) == (
            "exposed-annual", dt.date(2027, 12, 31), dt.date(2027, 12, 31), AssignmentSource.ROLLOVER)
        assert standing_of(annual).status == Status.DUE  # last year's hours do not count this year


def test_a_change_of_post_on_the_roster_calls_for_pre_job_training_again(
        personas: Any, pre_job: Programme, django_capture_on_commit_callbacks: Any) -> None:
    day = dt.date(2026, 5, 11)
    with time_machine.travel(at(day), tick=False):
        worker = hire(personas, django_capture_on_commit_callbacks, day=day)
        assert TrainingAssignment.objects.filter(worker=worker).count() == 1
    later = day + dt.timedelta(days=40)
    with time_machine.travel(at(later), tick=False):
        columns = {column.key: position for position, column in enumerate(COLUMNS)}
        row = [worker.name, worker.id_number, worker.phone, "", "掘进工", "接害劳动者", "煤尘、噪声", day.isoformat()]
        with django_capture_on_commit_callbacks(execute=True):
            check = roster_rows_import(actor=personas.employer_admin, employer=personas.employer,
                                       rows=[(2, row)], columns=columns)
        assert check.ok, check.errors
        again = TrainingAssignment.objects.get(worker=worker, source=AssignmentSource.CHANGE)
        assert again.programme.code == "exposed-retraining" and again.starts_on == later
        assert again.basis == programme_basis(PostRole.EXPOSED, "掘进工", worker.exposures.values_list("pk", flat=True))
        # The same roster again changes nothing, so nothing more is set.
        with django_capture_on_commit_callbacks(execute=True):
            roster_rows_import(actor=personas.employer_admin, employer=personas.employer, rows=[(2, row)],
                               columns=columns)
        assert TrainingAssignment.objects.filter(worker=worker).count() == 2
        # An exposure added is a change too.
        worker.exposures.add(HazardFactor.objects.get(name="高温"))
        assert training_sync(employer=personas.employer, worker_ids=[worker.pk], today=later + dt.timedelta(days=1)).changed == 1


def test_the_rules_by_role_and_length_of_service(personas: Any, pre_job: Programme) -> None:
    today = dt.date(2026, 6, 1)
    principal = WorkerFactory(employer=personas.employer, post_role=PostRole.PRINCIPAL, hire_date=today)
    veteran = WorkerFactory(employer=personas.employer, post_role=PostRole.EXPOSED, post="司机",
                            hire_date=dt.date(2015, 4, 1))
    unknown = WorkerFactory(employer=personas.employer, post_role=PostRole.EXPOSED, post="司机", hire_date=None)
    future = WorkerFactory(employer=personas.employer, post_role=PostRole.EXPOSED, hire_date=today + dt.timedelta(days=60))
    office = WorkerFactory(employer=personas.employer, post_role=PostRole.OTHER)
    result = training_sync(employer=personas.employer, today=today)
    codes = {worker: list(TrainingAssignment.objects.filter(worker=worker).values_list("programme__code", flat=True))
             for worker in (principal, veteran, unknown, future, office)}
    assert codes == {principal: ["principal-initial"], veteran: ["exposed-annual"], unknown: ["exposed-pre-job"],
                     future: ["exposed-pre-job"], office: []}
    # 王工 of the personas (exposed, no hire date) gets the pre-job cycle too.
    assert result.first == 3 + 1 and result.annual == 1
    assert TrainingAssignment.objects.get(worker=future).due_on == future.hire_date
    veteran_cycle = TrainingAssignment.objects.get(worker=veteran)
    assert (veteran_cycle.starts_on, veteran_cycle.due_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert training_sync(employer=personas.employer, today=today).created == 0


def test_leavers_role_changes_and_movers_have_unmet_cycles_withdrawn(
        personas: Any, pre_job: Programme, django_capture_on_commit_callbacks: Any) -> None:
    today = dt.date(2026, 6, 1)
    with time_machine.travel(at(today), tick=False):
        leaver = hire(personas, django_capture_on_commit_callbacks, day=today)
        with django_capture_on_commit_callbacks(execute=True):
            worker_set_active(actor=personas.employer_admin, worker=leaver, active=False)
        cycle = TrainingAssignment.objects.get(worker=leaver)
        assert cycle.withdrawn_on == today and cycle.withdrawn_reason == "已离岗"
        assert standing_of(cycle).status == Status.WITHDRAWN

        promoted = hire(personas, django_capture_on_commit_callbacks, day=today)
        Worker.objects.filter(pk=promoted.pk).update(post_role=PostRole.MANAGER)
        result = training_sync(employer=personas.employer, worker_ids=[promoted.pk], today=today)
        assert result.withdrawn == 1 and result.first == 1
        assert list(TrainingAssignment.objects.filter(worker=promoted, withdrawn_on__isnull=True)
                    .values_list("programme__code", flat=True)) == ["manager-initial"]

        mover = hire(personas, django_capture_on_commit_callbacks, day=today)
        Worker.objects.filter(pk=mover.pk).update(employer=personas.other_employer)
        result = training_sync(employer=personas.other_employer, worker_ids=[mover.pk], today=today)
        former = TrainingAssignment.objects.get(worker=mover, employer=personas.employer)
        assert former.withdrawn_reason == "已调离原单位" and result.withdrawn == 1
        assert TrainingAssignment.objects.filter(worker=mover, employer=personas.other_employer).count() == 1


def test_hours_and_exams_count_only_within_the_window(personas: Any, pre_job: Programme) -> None:
    course = pre_job.courses.get()
    worker = personas.worker
    cycle = TrainingAssignment.objects.create(
        worker=worker, employer=personas.employer, programme=pre_job, role=PostRole.EXPOSED,
        starts_on=dt.date(2026, 4, 1), due_on=dt.date(2026, 5, 1))
    StudyDay.objects.create(worker=worker, course=course, day=dt.date(2026, 3, 31), seconds=5000)
    other = make_course(["reading"])
    StudyDay.objects.create(worker=worker, course=other, day=dt.date(2026, 4, 2), seconds=5000)
    today = dt.date(2026, 4, 10)
    assert standing_of(cycle, today=today).seconds == 0
    StudyDay.objects.create(worker=worker, course=course, day=dt.date(2026, 4, 3), seconds=600)
    StudyDay.objects.create(worker=worker, course=course, day=dt.date(2026, 4, 4), seconds=800)
    standing = standing_of(cycle, today=today)
    assert standing.seconds == 1400 and standing.status == Status.MET and standing.percent == 100
    annual = TrainingAssignment.objects.create(
        worker=worker, employer=personas.employer, programme=pre_job, role=PostRole.EXPOSED,
        starts_on=dt.date(2025, 1, 1), due_on=dt.date(2025, 12, 31), ends_on=dt.date(2025, 12, 31))
    assert standing_of(annual, today=today).status == Status.OVERDUE  # the 2026 hours are not 2025's


def test_an_admin_assignment_refuses_other_employers_past_dates_and_the_wrong_role(
        personas: Any, pre_job: Programme) -> None:
    today = dt.date(2026, 7, 1)
    exposed = WorkerFactory(employer=personas.employer, post_role=PostRole.EXPOSED)
    office = WorkerFactory(employer=personas.employer, post_role=PostRole.OTHER, name="办公室文员")
    due = today + dt.timedelta(days=20)

    def assign(codes: list[str], due_on: dt.date | None = due) -> Any:
        return training_assign(actor=personas.employer_admin, employer=personas.employer, programme=pre_job,
                               worker_codes=codes, due_on=due_on, today=today)

    with pytest.raises(TrainingError) as elsewhere:
        assign([exposed.code, personas.other_worker.code])
    with pytest.raises(TrainingError) as unknown:
        assign([exposed.code, "NO-SUCH-CODE"])
    # Another employer's worker is answered like a code nobody has.
    assert str(elsewhere.value).split("：")[0] == str(unknown.value).split("：")[0]
    assert personas.other_worker.name not in str(elsewhere.value)
    with pytest.raises(TrainingError, match="已经过去") as past:
        assign([exposed.code], due_on=today - dt.timedelta(days=1))
    assert past.value.field == "due_on"
    with pytest.raises(TrainingError, match="办公室文员"):
        assign([exposed.code, office.code])
    with pytest.raises(TrainingError):
        assign([])
    assert not TrainingAssignment.objects.exists()

    done = assign([exposed.code])
    assert (done.created, done.already) == (1, 0)
    assert TrainingAssignment.objects.get(worker=exposed).due_on == due
    assert (assign([exposed.code]).created, assign([exposed.code]).already) == (0, 1)

    cycle = TrainingAssignment.objects.get(worker=exposed)
    with pytest.raises(TrainingError):
        training_withdraw(actor=personas.employer_admin, assignment=cycle, reason=" ", today=today)
    training_withdraw(actor=personas.employer_admin, assignment=cycle, reason="布置错了", today=today)
    assert standing_of(cycle, today=today).status == Status.WITHDRAWN
    # Withdrawn, the programme may be assigned again (a later day: one cycle per start day).
    assert training_assign(actor=personas.employer_admin, employer=personas.employer, programme=pre_job,
                           worker_codes=[exposed.code], due_on=due, today=today + dt.timedelta(days=1)).created == 1


def test_the_rollover_skips_leavers_movers_and_people_new_this_year(personas: Any, pre_job: Programme) -> None:
    last_year = dt.date(2025, 9, 1)
    stay, left, moved, new = (WorkerFactory(employer=personas.employer, post_role=PostRole.EXPOSED) for _ in range(4))
    for worker, starts in ((stay, last_year), (left, last_year), (moved, last_year), (new, dt.date(2026, 1, 5))):
        TrainingAssignment.objects.create(worker=worker, employer=personas.employer, programme=pre_job,
                                          role=PostRole.EXPOSED, starts_on=starts, due_on=starts + dt.timedelta(days=30))
    Worker.objects.filter(pk=left.pk).update(is_active=False)
    Worker.objects.filter(pk=moved.pk).update(employer=personas.other_employer)
    result = training_rollover(year=2026, batch=2)
    assert result.created == 1
    assert list(TrainingAssignment.objects.filter(starts_on=dt.date(2026, 1, 1)).values_list("worker", flat=True)) == [stay.pk]


def test_the_day_ledger_follows_the_heartbeats_and_is_rebuilt_from_them(personas: Any) -> None:
    from learning.services.study import ledger_rebuild

    course = make_course(["reading", "reading"], minutes=10)
    worker = personas.worker
    enrolled(worker, course)
    first = lessons_of(course)[0]
    studied(worker, first, seconds=300, start=at(dt.date(2026, 4, 7), 23) + dt.timedelta(minutes=57))
    days = dict(StudyDay.objects.filter(worker=worker).values_list("day", "seconds"))
    # A sitting across midnight (Asia/Shanghai) is split at the day it was credited on.
    assert set(days) == {dt.date(2026, 4, 7), dt.date(2026, 4, 8)} and sum(days.values()) == 300
    assert ledger_rebuild(worker=worker) == 0
    StudyDay.objects.filter(worker=worker, day=dt.date(2026, 4, 8)).update(seconds=1)
    StudyDay.objects.filter(worker=worker, day=dt.date(2026, 4, 7)).delete()
    assert ledger_rebuild(worker=worker) == 2
    assert dict(StudyDay.objects.filter(worker=worker).values_list("day", "seconds")) == days


def test_the_rules_command_reports_and_its_dry_run_changes_nothing(personas: Any, pre_job: Programme) -> None:
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("training_rules", "sync", "--employer", personas.employer.code, "--dry-run", stdout=out)
    assert "1 first cycles" in out.getvalue() and "dry run" in out.getvalue()
    assert not TrainingAssignment.objects.exists()
    call_command("training_rules", "sync", "--employer", personas.employer.code, stdout=io.StringIO())
    assert TrainingAssignment.objects.filter(worker=personas.worker).count() == 1
    out = io.StringIO()
    call_command("training_rules", "rollover", "--year", str(timezone.localdate().year + 1), "--dry-run", stdout=out)
    assert "1 annual cycles" in out.getvalue() and TrainingAssignment.objects.count() == 1
    with pytest.raises(CommandError, match="no employer"):
        call_command("training_rules", "sync", "--employer", "NOPE")
    with pytest.raises(CommandError, match="not a year"):
        call_command("training_rules", "rollover", "--year", "99999")
