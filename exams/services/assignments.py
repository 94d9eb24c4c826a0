"""Employer admins give an exam to their workers, take it back, and give one worker more time or
attempts (Moodle's user override).

Only the employer's own active workers can be chosen: a worker code of another employer is refused
with the same words as a code that does not exist, so the form cannot be used to find out who works
where. Assigning twice assigns once (one ``ExamAssignment`` per exam and worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.notifications import notify
from core.text import ascii_int, clean_text
from exams.models import Attempt, AttemptMode, Exam, ExamAssignment, ExamOverride
from exams.services.papers import PREPARE_AHEAD, papers_prepare_start

MAX_EXTRA_MINUTES = 240
MAX_EXTRA_ATTEMPTS = 10
REASON_MAX = ExamOverride._meta.get_field("reason").max_length or 200
# A hand-picked list longer than any form sends is a script, not a person choosing.
MAX_PICKED = 5000


class AssignmentError(ServiceError):
    pass


@dataclass(frozen=True)
class AssignOutcome:
    assigned: int  # newly assigned by this call
    already: int  # chosen, but assigned before


def _ids(values: Iterable[Any], *, field: str, unknown: str) -> list[int]:
    ids = []
    for value in values:
        number = ascii_int(value)
        if number is None:
            raise AssignmentError(unknown % {"value": clean_text(value)[:40]}, field=field)
        ids.append(number)
    return ids


def _selected_workers(employer: Any, *, post_roles: Iterable[str], department_ids: Iterable[Any],
                      hazard_factor_ids: Iterable[Any], worker_codes: Iterable[str]) -> list[Any]:
    """The employer's active workers chosen by any of the criteria (each adds its workers)."""
    from orgs.models import Department, HazardFactor, PostRole, Worker

    roles = [clean_text(role) for role in post_roles if clean_text(role)]
    for role in roles:
        if role not in PostRole.values:
            raise AssignmentError(_("没有这个岗位角色：%(value)s") % {"value": role[:40]}, field="post_roles")
    departments = _ids(department_ids, field="department_ids", unknown=_("没有这个部门：%(value)s"))
    known_departments = set(Department.objects.filter(employer=employer, pk__in=departments).values_list("pk", flat=True))
    for pk in departments:
        if pk not in known_departments:
            raise AssignmentError(_("没有这个部门：%(value)s") % {"value": pk}, field="department_ids")
    factors = _ids(hazard_factor_ids, field="hazard_factor_ids", unknown=_("没有这个危害因素：%(value)s"))
    known_factors = set(HazardFactor.objects.filter(pk__in=factors).values_list("pk", flat=True))
    for pk in factors:
        if pk not in known_factors:
            raise AssignmentError(_("没有这个危害因素：%(value)s") % {"value": pk}, field="hazard_factor_ids")
    codes = list(dict.fromkeys(clean_text(code) for code in worker_codes if clean_text(code)))
    if len(codes) > MAX_PICKED:
        raise AssignmentError(_("一次最多选择 %(count)s 人") % {"count": MAX_PICKED}, field="worker_codes")
    if not (roles or departments or factors or codes):
        raise AssignmentError(_("请至少按一种方式选择劳动者：岗位角色、部门、危害因素或名单"))

    own = Worker.objects.filter(employer=employer)
    picked = {worker.code: worker for worker in own.filter(code__in=codes).only("pk", "code", "name", "is_active")}
    for code in codes:
        worker = picked.get(code)
        if worker is None:
            # The same words whether the code is unknown or another employer's worker.
            raise AssignmentError(_("本单位花名册中没有这名劳动者：%(value)s") % {"value": code[:40]}, field="worker_codes")
        if not worker.is_active:
            raise AssignmentError(_("%(name)s 已离职，不能安排考试") % {"name": worker.name}, field="worker_codes")
    condition = Q(pk__in=[worker.pk for worker in picked.values()])
    if roles:
        condition |= Q(post_role__in=roles)
    if departments:
        condition |= Q(department_id__in=departments)
    if factors:
        condition |= Q(exposures__in=factors)
    return list(own.filter(condition, is_active=True).distinct().only("pk", "user_id", "employer_id"))


def _check_exam(exam: Exam, now: datetime) -> None:
    if exam.status != Exam.Status.PUBLISHED:
        raise AssignmentError(_("只能安排已发布的考试"))
    if exam.closes_at <= now:
        raise AssignmentError(_("考试已结束，不能再安排"))


def _check_due(exam: Exam, due_at: datetime | None, now: datetime) -> None:
    if due_at is None:
        return
    if due_at < now:
        raise AssignmentError(_("截止时间不能早于现在"), field="due_at")
    if due_at > exam.closes_at:
        raise AssignmentError(_("截止时间不能晚于考试结束时间 %(at)s")
                              % {"at": f"{timezone.localtime(exam.closes_at):%Y-%m-%d %H:%M}"}, field="due_at")


def assignment_due_at(*, exam: Exam, day: date) -> datetime:
    """The completion date an admin picks, as a deadline: the end of that day, or the exam's end
    when it closes earlier that day. A day after the exam's closing day is refused (the browser's
    date limit is no check: any request can carry any date)."""
    closing = timezone.localtime(exam.closes_at)
    if day > closing.date():
        raise AssignmentError(_("完成期限不能晚于考试结束日期 %(day)s（考试于 %(at)s 结束）")
                              % {"day": f"{closing:%Y-%m-%d}", "at": f"{closing:%Y-%m-%d %H:%M}"}, field="due_at")
    return min(timezone.make_aware(datetime.combine(day, time(23, 59, 59))), exam.closes_at)


def exam_assign(*, actor: Any, employer: Any, exam: Exam, post_roles: Iterable[str] = (),
                department_ids: Iterable[Any] = (), hazard_factor_ids: Iterable[Any] = (),
                worker_codes: Iterable[str] = (), due_at: datetime | None = None,
                now: datetime | None = None) -> AssignOutcome:
    """Assign a published exam to the employer's active workers chosen by post role, department,
    hazard factor or by name (each criterion adds its workers). Workers assigned before keep their
    assignment (a new due date, if given, replaces theirs); the newly assigned are notified."""
    now = now or timezone.now()
    _check_exam(exam, now)
    _check_due(exam, due_at, now)
    workers = _selected_workers(employer, post_roles=post_roles, department_ids=department_ids,
                                hazard_factor_ids=hazard_factor_ids, worker_codes=worker_codes)
    if not workers:
        raise AssignmentError(_("没有符合所选条件的在岗劳动者"))
    with transaction.atomic():
        before = set(ExamAssignment.objects.filter(exam=exam, worker__in=workers).values_list("worker_id", flat=True))
        fresh = [worker for worker in workers if worker.pk not in before]
        # ignore_conflicts: an assignment a concurrent request wrote first stays as it is.
        ExamAssignment.objects.bulk_create(
            [ExamAssignment(exam=exam, worker=worker, employer=employer, assigned_by=actor, due_at=due_at)
             for worker in fresh], ignore_conflicts=True)
        if due_at is not None and before:
            ExamAssignment.objects.filter(exam=exam, worker_id__in=before, employer=employer).update(due_at=due_at)
        outcome = AssignOutcome(assigned=len(fresh), already=len(before))
        audit(actor, "exams.exam.assign", exam, employer_id=employer.pk, data={
            "assigned": outcome.assigned, "already": outcome.already,
            "due_at": due_at.isoformat() if due_at else None,
        })
        if fresh:
            _notify_assigned(exam, fresh, due_at)
            if exam.opens_at <= now + PREPARE_AHEAD:
                # The window is open or about to open: draw the new workers' papers now, not at the surge.
                papers_prepare_start(exam=exam, actor=actor)
    return outcome


def _notify_assigned(exam: Exam, workers: list[Any], due_at: datetime | None) -> None:
    window = {"opens": f"{timezone.localtime(exam.opens_at):%Y-%m-%d %H:%M}",
              "closes": f"{timezone.localtime(exam.closes_at):%Y-%m-%d %H:%M}"}
    body = _("考试时间：%(opens)s 至 %(closes)s。") % window
    if due_at is not None:
        body += " " + _("请在 %(due)s 前完成。") % {"due": f"{timezone.localtime(due_at):%Y-%m-%d %H:%M}"}
    notify(recipients=[worker.user_id for worker in workers], key=f"exam-assigned:{exam.code}",
           title=_("新的考试：%(exam)s") % {"exam": exam.title}, body=body,
           url=reverse("exams:exam", args=[exam.code]))


def exam_unassign(*, actor: Any, employer: Any, exam: Exam, worker: Any) -> None:
    """Take an assignment back, only while the worker has not started the exam (an attempt, even a
    failed one, is a record the employer keeps)."""
    with transaction.atomic():
        assignment = ExamAssignment.objects.select_for_update().filter(
            exam=exam, worker=worker, employer=employer, worker__employer=employer).first()
        if assignment is None:
            raise AssignmentError(_("这名劳动者没有安排这场考试"))
        attempts = Attempt.objects.filter(exam=exam, worker=worker, mode=AttemptMode.EXAM)
        if attempts.exclude(status=Attempt.Status.READY).exists():
            raise AssignmentError(_("%(name)s 已经参加过这场考试，不能取消安排") % {"name": worker.name})
        # The paper drawn ahead for this worker would otherwise wait for nobody.
        attempts.filter(status=Attempt.Status.READY).delete()
        assignment.delete()
        audit(actor, "exams.exam.unassign", exam, employer_id=employer.pk, data={"worker": worker.code})


def _bounded(value: Any, *, field: str, high: int, label: str) -> int:
    number = ascii_int(str(value).strip()) if value is not None else 0
    if number is None or number > high:
        raise AssignmentError(_("%(label)s应为 0 到 %(high)s 之间的整数") % {"label": label, "high": high}, field=field)
    return number


def _is_admin_of(actor: Any, employer_id: int) -> bool:
    from orgs.models import EmployerAdmin

    if getattr(actor, "is_superuser", False):
        return True
    user_id = getattr(actor, "pk", None)
    return user_id is not None and EmployerAdmin.objects.filter(user_id=user_id, employer_id=employer_id).exists()


def override_deadline(exam: Exam, started_at: datetime, extra_minutes: int) -> datetime:
    """An open exam attempt's deadline with ``extra_minutes`` on top: the time limit from the start,
    and never past the window's end plus the same extra time."""
    extra = timedelta(minutes=extra_minutes)
    return min(started_at + timedelta(minutes=exam.time_limit_minutes) + extra, exam.closes_at + extra)


def override_grant(*, actor: Any, exam: Exam, worker: Any, extra_minutes: Any = 0, extra_attempts: Any = 0,
                   reason: str = "") -> ExamOverride:
    """Give one of the admin's own workers extra minutes and attempts on an exam (a second grant
    replaces the first). An attempt the worker has open now gets the new deadline at once."""
    if not _is_admin_of(actor, worker.employer_id):
        # As for an unknown worker: an admin cannot tell another employer's workers exist.
        raise AssignmentError(_("本单位花名册中没有这名劳动者：%(value)s") % {"value": worker.code}, field="worker")
    if exam.status != Exam.Status.PUBLISHED:
        raise AssignmentError(_("只能为已发布的考试设置"))
    if not (exam.open_to_all or ExamAssignment.objects.filter(exam=exam, worker=worker).exists()):
        raise AssignmentError(_("这场考试没有安排给 %(name)s") % {"name": worker.name}, field="worker")
    minutes = _bounded(extra_minutes, field="extra_minutes", high=MAX_EXTRA_MINUTES, label=_("延长时间（分钟）"))
    attempts = _bounded(extra_attempts, field="extra_attempts", high=MAX_EXTRA_ATTEMPTS, label=_("增加次数"))
    reason = clean_text(reason)
    if len(reason) > REASON_MAX:
        raise AssignmentError(_("原因最多 %(count)s 个字") % {"count": REASON_MAX}, field="reason")
    with transaction.atomic():
        override, _created = ExamOverride.objects.update_or_create(
            exam=exam, worker=worker,
            defaults={"extra_minutes": minutes, "extra_attempts": attempts, "reason": reason, "granted_by": actor})
        moved = _extend_open_attempt(exam, worker, minutes)
        audit(actor, "exams.exam.override", exam, employer_id=worker.employer_id, data={
            "worker": worker.code, "extra_minutes": minutes, "extra_attempts": attempts, "reason": reason,
            "open_attempt": moved,
        })
    return override


def _extend_open_attempt(exam: Exam, worker: Any, extra_minutes: int) -> str:
    """Move the deadline of the worker's open attempt; its code, or "" when none is open. The row is
    locked as grading locks it, so an attempt is graded under the old deadline or runs to the new one."""
    attempt = (Attempt.objects.select_for_update().filter(exam=exam, worker=worker, mode=AttemptMode.EXAM,
                                                          status=Attempt.Status.OPEN).first())
    if attempt is None or attempt.started_at is None:
        return ""
    attempt.deadline = override_deadline(exam, attempt.started_at, extra_minutes)
    attempt.save(update_fields=["deadline"])
    _schedule_grading(attempt)
    return attempt.code


def _schedule_grading(attempt: Attempt) -> None:
    # The task queued at the start still fires at the old deadline and finds nothing due; this one
    # grades at the new one (the beat sweep remains the safety net).
    from exams.tasks import attempt_grade_due_task

    assert attempt.deadline is not None
    eta = attempt.deadline + timedelta(seconds=settings.EXAM_GRACE_SECONDS + 1)
    transaction.on_commit(lambda: attempt_grade_due_task.apply_async(args=[attempt.pk], eta=eta))
