"""Training programmes and their assignments: what an editor sets up, what an employer admin
assigns, and what the rules assign by themselves (new hires, a change of post or exposure, each
year's cycle). Whether an assignment is met is learning.services.compliance's to say.

The rules (工作场所职业卫生管理规定 2020, art. 10–11; DESIGN.md):
- a person new in a role starts with its first cycle: a principal's or manager's initial
  training, an exposed worker's pre-job training, counted from the hire date (or from the day it
  is set, when that is later) and due ``due_days`` after (or on the hire date, if that is later);
- someone who was already in post when first listed (hired more than TRAINING_NEW_HIRE_DAYS ago)
  owes only this year's annual training;
- every year after a cycle began, the role's annual programme (created by ``training_rollover``);
- a change of post or exposures recorded on the roster means pre-job training again (the
  programme of kind "re-training", or the pre-job one if the role has none);
- a worker who leaves, changes role or employer has their unmet cycles withdrawn.
Every rule is idempotent: one cycle per worker, programme and start day (a unique constraint), so
re-running any of them creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from learning.models import AssignmentSource, Programme, ProgrammeKind, TrainingAssignment
from learning.models.programmes import FIRST_KINDS
from learning.services.compliance import Status, standings, today_local
from orgs.models import Employer, PostRole, Worker

__all__ = [
    "AssignResult", "SyncResult", "TrainingError", "programme_applies", "programme_basis", "programme_check",
    "programme_save",
    "training_assign", "training_rollover", "training_sync", "training_sync_all", "training_withdraw",
]

BATCH = 2000


class TrainingError(ServiceError):
    pass


# -- programmes ----------------------------------------------------------------------------------


def programme_check(programme: Programme, *, courses: Iterable[Any] = (), exam: Any = None) -> None:
    """An editor's programme before it is saved (the admin's form calls this): hours that make
    sense, and courses and an exam that are meant for its role."""
    errors: dict[str, str] = {}
    if programme.required_hours is not None and programme.required_hours <= 0:
        errors["required_hours"] = _("要求学时必须大于 0。")
    for course in courses:
        roles = list(getattr(course, "audience_roles", None) or [])
        if roles and programme.role not in roles:
            errors["courses"] = _("课程“%(course)s”不面向%(role)s，不能计入本项目的学时。") % {
                "course": course.title, "role": PostRole(programme.role).label}
            break
    if programme.kind == ProgrammeKind.ANNUAL and programme.due_days and programme.due_days > 366:
        errors["due_days"] = _("年度培训的期限不能超过一年。")
    if errors:
        name, message = next(iter(errors.items()))
        raise TrainingError(message, field=name)


# The law's minimum hours for the programmes shipped as data (migration 0006): an editor may link
# courses and an exam to them and ask for more hours, never fewer.
STATUTORY_MIN_HOURS = {"principal-initial": 16, "principal-annual": 8, "manager-initial": 16, "manager-annual": 8,
                       "exposed-pre-job": 8, "exposed-annual": 4, "exposed-retraining": 8}


def programme_save(*, actor: Any, programme: Programme, courses: Iterable[Any] | None = None,
                   hazard_classes: Iterable[Any] | None = None, hazard_factors: Iterable[Any] | None = None
                   ) -> Programme:
    """An editor's programme, new or changed (the Wagtail admin's create and edit call this)."""
    courses = list(courses) if courses is not None else None
    programme_check(programme, courses=courses or ())
    if programme.pk:
        stored = Programme.objects.get(pk=programme.pk)
        if stored.statutory:
            if (programme.code, programme.role, programme.kind) != (stored.code, stored.role, stored.kind):
                raise TrainingError(_("法定培训项目的代码、岗位角色和类别不能修改。"), field="role")
            minimum = STATUTORY_MIN_HOURS.get(stored.code)
            if minimum is not None and programme.required_hours < minimum:
                raise TrainingError(_("法定培训不少于 %(hours)s 学时，不能调低。") % {"hours": minimum},
                                    field="required_hours")
    elif Programme.objects.filter(code=programme.code).exists():
        raise TrainingError(_("已有代码为“%(code)s”的培训项目。") % {"code": programme.code}, field="code")
    with transaction.atomic():
        programme.save()
        if courses is not None:
            programme.courses.set(courses)
        if hazard_classes is not None:
            programme.hazard_classes.set(list(hazard_classes))
        if hazard_factors is not None:
            programme.hazard_factors.set(list(hazard_factors))
        audit(actor, "learning.programme.save", programme)
    return programme


def _auto_programmes() -> dict[str, list[Programme]]:
    by_role: dict[str, list[Programme]] = defaultdict(list)
    for programme in (Programme.objects.filter(auto_assign=True, is_active=True)
                      .prefetch_related("hazard_classes", "hazard_factors").order_by("position", "pk")):
        by_role[programme.role].append(programme)
    return by_role


@dataclass(frozen=True)
class _Person:
    pk: int
    employer_id: int
    role: str
    post: str
    hire_date: dt.date | None
    active: bool
    factors: frozenset[int]
    classes: frozenset[str]
    name: str = ""

    @property
    def basis(self) -> str:
        return programme_basis(self.role, self.post, self.factors)


def programme_basis(role: str, post: str, factors: Iterable[int]) -> str:
    """The digest of what pre-job training is about: for an exposed worker the post and the
    factors; for the other roles nothing (their training does not depend on the post)."""
    if role != PostRole.EXPOSED:
        return ""
    text = f"{post.strip()}|{','.join(str(pk) for pk in sorted(factors))}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _programme_hazards(programme: Programme) -> tuple[set[str], set[int]]:
    # Kept on the instance: the rules ask it for every worker of a batch.
    cached = getattr(programme, "_hazards", None)
    if cached is None:
        cached = ({row.pk for row in programme.hazard_classes.all()}, {row.pk for row in programme.hazard_factors.all()})
        programme._hazards = cached  # type: ignore[attr-defined]
    return cached


def programme_applies(programme: Programme, *, role: str, factors: Iterable[int], classes: Iterable[str]) -> bool:
    """A programme is for a person in its role who, if it names hazards, is exposed to one."""
    if programme.role != role:
        return False
    hazard_classes, hazard_factors = _programme_hazards(programme)
    if not hazard_classes and not hazard_factors:
        return True
    return bool(hazard_classes.intersection(classes) or hazard_factors.intersection(factors))


def _people(workers: QuerySet[Worker]) -> list[_Person]:
    through = Worker.exposures.through
    rows = list(workers.values_list("pk", "employer_id", "post_role", "post", "hire_date", "is_active", "name"))
    factors: dict[int, set[int]] = defaultdict(set)
    classes: dict[int, set[str]] = defaultdict(set)
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), BATCH):
        for worker_id, factor_id, class_code in through.objects.filter(worker_id__in=ids[start:start + BATCH]).values_list(
                "worker_id", "hazardfactor_id", "hazardfactor__hazard_class_id"):
            factors[worker_id].add(factor_id)
            classes[worker_id].add(class_code)
    return [_Person(pk, employer_id, role, post or "", hire_date, active, frozenset(factors[pk]), frozenset(classes[pk]),
                    name) for pk, employer_id, role, post, hire_date, active, name in rows]


def _cycle(person: _Person, programme: Programme, *, today: dt.date, source: str, actor: Any = None,
           due_on: dt.date | None = None, basis: str | None = None) -> TrainingAssignment:
    if programme.kind == ProgrammeKind.ANNUAL:
        starts_on, ends_on = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
        due = min(due_on or ends_on, ends_on)
    else:
        # A hire's first cycle runs from the hire date: what they studied since counts.
        starts_on, ends_on = today, None
        if source == AssignmentSource.HIRE and person.hire_date and person.hire_date < today:
            starts_on = person.hire_date
        due = due_on or starts_on + dt.timedelta(days=programme.due_days)
        if due_on is None and person.hire_date and person.hire_date > due:
            due = person.hire_date
    return TrainingAssignment(
        worker_id=person.pk, employer_id=person.employer_id, programme=programme, role=programme.role,
        starts_on=starts_on, due_on=due, ends_on=ends_on, source=source,
        basis=person.basis if basis is None else basis, assigned_by=actor)


def _grant_exams(cycles: Iterable[TrainingAssignment], actor: Any = None) -> None:
    """A cycle closed by an exam gives the worker that exam (one ExamAssignment per exam and
    worker, so a second cycle or a second run gives nothing twice)."""
    from exams.models import ExamAssignment

    ExamAssignment.objects.bulk_create(
        [ExamAssignment(exam_id=cycle.programme.exam_id, worker_id=cycle.worker_id, employer_id=cycle.employer_id,
                        assigned_by=actor) for cycle in cycles if cycle.programme.exam_id],
        ignore_conflicts=True, batch_size=1000)


def _open_ids(assignments: QuerySet[TrainingAssignment], today: dt.date) -> list[int]:
    """Of these, the ones not met and not withdrawn."""
    return [standing.assignment_id for _row, standing in standings(assignments.filter(withdrawn_on__isnull=True), today=today)
            if standing.status in (Status.DUE, Status.OVERDUE)]


# -- assignment by an employer admin -------------------------------------------------------------


@dataclass
class AssignResult:
    created: int = 0
    already: int = 0  # an unmet cycle of the same programme was open already
    codes: list[str] = field(default_factory=list)


def training_assign(*, actor: Any, employer: Employer, programme: Programme, worker_codes: Sequence[str],
                    due_on: dt.date | None, today: dt.date | None = None,
                    source: str = AssignmentSource.MANUAL) -> AssignResult:
    """An employer admin's assignment of one programme to the workers with these codes, due on
    ``due_on``. Refused whole, with every reason, if any worker is not on this employer's active
    roster (the same words for an unknown code and another employer's worker), if a worker's role
    or exposures do not match the programme, or if the due date has passed."""
    today = today or today_local()
    if not programme.is_active:
        raise TrainingError(_("培训项目“%(name)s”已停用。") % {"name": programme.name}, field="programme")
    if due_on is None:
        raise TrainingError(_("请填写截止日期。"), field="due_on")
    if due_on < today:
        raise TrainingError(_("截止日期 %(day)s 已经过去，请选择今天或以后的日期。") % {"day": due_on.isoformat()},
                            field="due_on")
    if programme.kind == ProgrammeKind.ANNUAL and due_on.year != today.year:
        raise TrainingError(_("年度培训的截止日期必须在今年（%(year)s 年）之内。") % {"year": today.year}, field="due_on")
    codes = list(dict.fromkeys(code.strip() for code in worker_codes if code and code.strip()))
    if not codes:
        raise TrainingError(_("没有选中任何劳动者。"), field="workers")
    found = {worker.code: worker for worker in Worker.objects.filter(employer=employer, is_active=True, code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise TrainingError(_("以下编号不是本单位在岗劳动者：%(codes)s") % {"codes": "、".join(unknown[:20])},
                            field="workers")
    people = {person.pk: person for person in _people(Worker.objects.filter(pk__in=[w.pk for w in found.values()]))}
    wrong = [person.name for person in people.values()
             if not programme_applies(programme, role=person.role, factors=person.factors, classes=person.classes)]
    if wrong:
        hazards = programme.hazard_classes.exists() or programme.hazard_factors.exists()
        reason = _("岗位角色或接触的危害因素") if hazards else _("岗位角色")
        raise TrainingError(_("“%(programme)s”面向%(role)s，以下劳动者的%(reason)s不符：%(names)s") % {
            "programme": programme.name, "role": PostRole(programme.role).label, "reason": reason,
            "names": "、".join(sorted(wrong)[:20]) + (_(" 等 %(count)s 人") % {"count": len(wrong)} if len(wrong) > 20 else "")},
            field="workers")
    result = AssignResult()
    with transaction.atomic():
        open_ids = set(TrainingAssignment.objects.filter(pk__in=_open_ids(
            TrainingAssignment.objects.filter(programme=programme, employer=employer, worker_id__in=list(people)),
            today)).values_list("worker_id", flat=True))
        fresh = [_cycle(person, programme, today=today, source=source, actor=actor, due_on=due_on)
                 for pk, person in people.items() if pk not in open_ids]
        result.already = len(people) - len(fresh)
        created = TrainingAssignment.objects.bulk_create(fresh, ignore_conflicts=True)
        made = list(TrainingAssignment.objects.filter(code__in=[row.code for row in created]).values_list("code", flat=True))
        result.created, result.codes = len(made), made
        _grant_exams([row for row in fresh if row.code in set(made)], actor)
        result.already += len(fresh) - len(made)
        if made:
            audit(actor, "learning.training.assign", programme, employer_id=employer.pk,
                  data={"count": len(made), "due_on": due_on.isoformat(), "source": source})
    return result


def training_withdraw(*, actor: Any, assignment: TrainingAssignment, reason: str,
                      today: dt.date | None = None) -> None:
    """An employer admin takes back an unmet cycle (set by mistake, say); a met one stays."""
    today = today or today_local()
    reason = (reason or "").strip()
    if not reason:
        raise TrainingError(_("请填写撤销原因。"), field="reason")
    if assignment.withdrawn_on is not None:
        raise TrainingError(_("这项培训任务已经撤销。"))
    if assignment.pk not in _open_ids(TrainingAssignment.objects.filter(pk=assignment.pk), today):
        raise TrainingError(_("这项培训任务已经完成，不能撤销。"))
    TrainingAssignment.objects.filter(pk=assignment.pk).update(withdrawn_on=today, withdrawn_reason=reason[:120])
    assignment.withdrawn_on, assignment.withdrawn_reason = today, reason[:120]
    audit(actor, "learning.training.withdraw", assignment, employer_id=assignment.employer_id, data={"reason": reason[:120]})


# -- the rules -----------------------------------------------------------------------------------


@dataclass
class SyncResult:
    first: int = 0  # first cycles (initial / pre-job) for people new in a role
    annual: int = 0  # this year's annual cycles for people already in post
    changed: int = 0  # pre-job training again after a change of post or exposures
    withdrawn: int = 0

    @property
    def created(self) -> int:
        return self.first + self.annual + self.changed


def _new_hire(person: _Person, today: dt.date) -> bool:
    if person.hire_date is None:
        return True
    return person.hire_date >= today - dt.timedelta(days=settings.TRAINING_NEW_HIRE_DAYS)


def training_sync(*, employer: Employer, worker_ids: Iterable[int] | None = None,
                  today: dt.date | None = None) -> SyncResult:
    """Apply the rules to an employer's roster (or some of its workers) as it stands today: set
    the cycles the law requires that are missing and withdraw those that no longer apply. Run
    after every roster import or edit, and nightly."""
    today = today or today_local()
    programmes = _auto_programmes()
    workers = Worker.objects.filter(employer=employer)
    if worker_ids is not None:
        workers = workers.filter(pk__in=list(worker_ids))
    result = SyncResult()
    people = _people(workers.order_by("pk"))
    # First, cycles a former employer set for people who are now on this roster end there.
    moved = TrainingAssignment.objects.filter(worker__employer=employer).exclude(employer=employer)
    if worker_ids is not None:
        moved = moved.filter(worker_id__in=[person.pk for person in people])
    ids = _open_ids(moved, today)
    if ids:
        result.withdrawn += TrainingAssignment.objects.filter(pk__in=ids).update(
            withdrawn_on=today, withdrawn_reason=_("已调离原单位"))
    for start in range(0, len(people), BATCH):
        _sync_batch(employer, people[start:start + BATCH], programmes, today, result)
    return result


def training_sync_all(*, today: dt.date | None = None) -> int:
    """The rules for every active employer; returns how many cycles were set."""
    created = 0
    for employer in Employer.objects.filter(is_active=True).order_by("pk").iterator():
        created += training_sync(employer=employer, today=today).created
    return created


def _sync_batch(employer: Employer, people: list[_Person], programmes: dict[str, list[Programme]], today: dt.date,
                result: SyncResult) -> None:
    ids = [person.pk for person in people]
    # Each worker's cycles here: the roles they had, and the latest cycle of their current role.
    cycles = defaultdict(list)
    for row in (TrainingAssignment.objects.filter(worker_id__in=ids, employer=employer, withdrawn_on__isnull=True)
                .values("pk", "worker_id", "role", "programme_id", "programme__kind", "starts_on", "basis")
                .order_by("starts_on", "pk")):
        cycles[row["worker_id"]].append(row)
    fresh: list[TrainingAssignment] = []
    kinds: list[str] = []
    retire: list[int] = []  # workers whose cycles of another role (or all, if gone) may be withdrawn
    for person in people:
        own = cycles.get(person.pk, [])
        if not person.active:
            if own:
                retire.append(person.pk)
            continue
        if any(row["role"] != person.role for row in own):
            retire.append(person.pk)
        applicable = [p for p in programmes.get(person.role, [])
                      if programme_applies(p, role=person.role, factors=person.factors, classes=person.classes)]
        if not applicable:
            continue
        track = [row for row in own if row["role"] == person.role]
        if not track:
            # Listed for the first time but long in post: trained before us, owes this year's.
            in_post = not own and not _new_hire(person, today)
            wanted = [ProgrammeKind.ANNUAL] if in_post else list(FIRST_KINDS)
            for programme in applicable:
                if programme.kind in wanted:
                    # Someone with cycles of another role here changed role: counted from today.
                    source = (AssignmentSource.ROLLOVER if in_post else
                              AssignmentSource.CHANGE if own else AssignmentSource.HIRE)
                    fresh.append(_cycle(person, programme, today=today, source=source))
                    kinds.append("annual" if in_post else "first")
            continue
        # Programmes that newly apply (an exposure added) are set as part of the change below.
        if person.role == PostRole.EXPOSED and track[-1]["basis"] != person.basis:
            retraining = [p for p in applicable if p.kind == ProgrammeKind.RETRAINING]
            for programme in retraining or [p for p in applicable if p.kind == ProgrammeKind.PRE_JOB]:
                fresh.append(_cycle(person, programme, today=today, source=AssignmentSource.CHANGE))
                kinds.append("changed")
    with transaction.atomic():
        created = {row.code for row in TrainingAssignment.objects.bulk_create(fresh, ignore_conflicts=True)}
        made = set(TrainingAssignment.objects.filter(code__in=created).values_list("code", flat=True))
        for cycle, kind in zip(fresh, kinds, strict=True):
            if cycle.code in made:
                setattr(result, kind, getattr(result, kind) + 1)
        _grant_exams([cycle for cycle in fresh if cycle.code in made])
        if retire:
            result.withdrawn += _withdraw_stale(employer, [p for p in people if p.pk in set(retire)], today)


def _withdraw_stale(employer: Employer, people: list[_Person], today: dt.date) -> int:
    """Unmet cycles of a role the worker no longer has, or of a worker who left."""
    stale = Q()
    for person in people:
        stale |= Q(worker_id=person.pk) if not person.active else Q(worker_id=person.pk) & ~Q(role=person.role)
    candidates = TrainingAssignment.objects.filter(stale, employer=employer)
    ids = _open_ids(candidates, today)
    if not ids:
        return 0
    left = {person.pk for person in people if not person.active}
    count = 0
    for worker_left, reason in ((True, _("已离岗")), (False, _("岗位角色已变更"))):
        chosen = TrainingAssignment.objects.filter(pk__in=ids)
        chosen = chosen.filter(worker_id__in=left) if worker_left else chosen.exclude(worker_id__in=left)
        count += chosen.update(withdrawn_on=today, withdrawn_reason=reason)
    return count


# -- the yearly cycle ----------------------------------------------------------------------------


@dataclass
class RolloverResult:
    created: int = 0
    workers_seen: int = 0


def training_rollover(*, year: int, on_progress: Any = None, batch: int = 5000) -> RolloverResult:
    """Each active worker whose cycle in their role began before ``year`` gets that year's annual
    cycle of the role (from Jan 1, due Dec 31), carrying the basis of their last cycle so a change
    not yet seen still calls for pre-job training. Walks the workers in primary-key batches, so
    memory stays flat however many there are; safe to run again (nothing is created twice)."""
    programmes = _auto_programmes()
    annual = {role: [p for p in items if p.kind == ProgrammeKind.ANNUAL] for role, items in programmes.items()}
    annual = {role: items for role, items in annual.items() if items}
    result = RolloverResult()
    if not annual:
        return result
    new_year = dt.date(year, 1, 1)
    hazard_specific = any(_programme_hazards(p) != (set(), set()) for items in annual.values() for p in items)
    last_pk = 0
    while True:
        workers = list(Worker.objects.filter(pk__gt=last_pk, is_active=True, post_role__in=list(annual))
                       .order_by("pk").values_list("pk", "employer_id", "post_role")[:batch])
        if not workers:
            break
        last_pk = workers[-1][0]
        result.workers_seen += len(workers)
        ids = [row[0] for row in workers]
        roles = {pk: role for pk, _employer, role in workers}
        # The latest basis of each worker's earlier cycles in their current role, at their employer.
        earlier = {}
        for worker_id, role, employer_id, basis in (
                TrainingAssignment.objects.filter(worker_id__in=ids, starts_on__lt=new_year, withdrawn_on__isnull=True)
                .order_by("worker_id", "starts_on", "pk").values_list("worker_id", "role", "employer_id", "basis")):
            if roles.get(worker_id) == role:
                earlier[worker_id] = (employer_id, basis)
        exposures: dict[int, tuple[set[int], set[str]]] = defaultdict(lambda: (set(), set()))
        if hazard_specific:
            for worker_id, factor_id, class_code in Worker.exposures.through.objects.filter(worker_id__in=ids).values_list(
                    "worker_id", "hazardfactor_id", "hazardfactor__hazard_class_id"):
                exposures[worker_id][0].add(factor_id)
                exposures[worker_id][1].add(class_code)
        fresh = []
        for pk, employer_id, role in workers:
            if pk not in earlier or earlier[pk][0] != employer_id:
                continue
            factors, classes = exposures[pk] if hazard_specific else (set(), set())
            for programme in annual[role]:
                if programme_applies(programme, role=role, factors=factors, classes=classes):
                    fresh.append(TrainingAssignment(
                        worker_id=pk, employer_id=employer_id, programme=programme, role=role, starts_on=new_year,
                        due_on=dt.date(year, 12, 31), ends_on=dt.date(year, 12, 31),
                        source=AssignmentSource.ROLLOVER, basis=earlier[pk][1]))
        if fresh:
            before = _count_cycles(ids, new_year)
            TrainingAssignment.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=1000)
            _grant_exams(fresh)
            result.created += _count_cycles(ids, new_year) - before
        if on_progress is not None:
            on_progress(result.workers_seen)
    return result


def _count_cycles(ids: list[int], starts_on: dt.date) -> int:
    return TrainingAssignment.objects.filter(worker_id__in=ids, starts_on=starts_on,
                                             source=AssignmentSource.ROLLOVER).count()


def last_rollover_year() -> int | None:
    return TrainingAssignment.objects.filter(source=AssignmentSource.ROLLOVER).aggregate(year=Max("starts_on__year"))["year"]
