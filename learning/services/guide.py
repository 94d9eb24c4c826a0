"""The small-employer guide (中小微型企业职业健康管理辅助工具): an employer with no occupational-health
staff answers a few questions (industry, the hazards present, how many people hold each post
role) and is told what training the law asks of it, as a checklist with dates and the law behind
each item, then assigns it in one step.

The duties come from the programmes the rules assign by themselves (the statutory ones shipped by
migration 0006 and any an editor marked "按规则自动布置"), matched with
learning.services.programmes.programme_applies, so the guide never owes more or less than the
nightly rules would. The facts (DESIGN.md; 职业病防治法 art. 20 and 34; 工作场所职业卫生管理规定 2020
art. 8, 10, 11):
- 主要负责人 and 职业卫生管理人员: initial training (≥ 16 学时), then ≥ 8 学时 every year;
- 接触职业病危害的劳动者: pre-job training (≥ 8 学时), then ≥ 4 学时 every year; a change of process,
  equipment, material or post means pre-job training again;
- an employer with occupational hazards must have full- or part-time occupational-health staff.

A person is owed one thing now: the first cycle of their role if they have never had a cycle of it
here, otherwise this year's annual cycle (if theirs began in an earlier year), or re-training after
a change recorded on the roster. Never a first and an annual cycle at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.audit import audit
from learning.models import AssignmentSource, Programme, ProgrammeKind, TrainingAssignment
from learning.models.programmes import FIRST_KINDS
from learning.services.compliance import today_local
from learning.services.programmes import TrainingError, programme_applies, programme_basis, training_assign
from orgs.models import Employer, HazardClass, HazardFactor, Industry, PostRole, Worker

__all__ = [
    "GUIDE_ROLES", "HEADCOUNT_MAX", "Duty", "DutyKind", "GuideAnswers", "GuideResult", "guide_assign", "guide_check",
    "guide_duties", "guide_initial",
]

# The roles the law gives a training duty; "other" staff owe none.
GUIDE_ROLES: tuple[str, ...] = (PostRole.PRINCIPAL, PostRole.MANAGER, PostRole.EXPOSED)
# Beyond any real small employer's roster: a number above it is a typing slip, not an answer.
HEADCOUNT_MAX = 100_000
# 职业病防治法 art. 20 (1): the duty to have occupational-health staff at all.
APPOINT_BASIS = "《中华人民共和国职业病防治法》第二十条；《工作场所职业卫生管理规定》（2020）第八条"
# 工作场所职业卫生管理规定 art. 8: above this many workers the staff must be full-time.
FULL_TIME_ABOVE = 100


class DutyKind:
    TRAINING = "training"  # a programme to assign
    APPOINT = "appoint"  # no occupational-health manager: appoint one
    ROSTER = "roster"  # the answers and the roster disagree
    HAZARD = "hazard"  # a hazard present that nobody on the roster is recorded as exposed to (or the reverse)


@dataclass(frozen=True)
class Duty:
    """One line of the checklist. Training lines carry the workers they would be assigned to now
    (``worker_codes``); the other lines are things the admin has to do by hand first."""

    key: str
    kind: str
    title: str
    role: str = ""
    programme_code: str = ""
    programme_kind: str = ""
    hours: Decimal | None = None
    due_on: dt.date | None = None
    when: str = ""
    legal_basis: str = ""
    on_roster: int | None = None
    answered: int | None = None
    note: str = ""
    worker_codes: tuple[str, ...] = ()

    @property
    def who(self) -> str:
        return str(PostRole(self.role).label) if self.role else ""

    @property
    def to_assign(self) -> int:
        return len(self.worker_codes)

    @property
    def is_training(self) -> bool:
        return self.kind == DutyKind.TRAINING


@dataclass(frozen=True)
class GuideAnswers:
    industry: Industry
    hazard_classes: tuple[HazardClass, ...]
    hazard_factors: tuple[HazardFactor, ...]
    headcount: dict[str, int]

    @property
    def class_codes(self) -> frozenset[str]:
        """The classes chosen, and those of the factors chosen (a factor implies its class)."""
        return frozenset({row.pk for row in self.hazard_classes} | {row.hazard_class_id for row in self.hazard_factors})

    @property
    def factor_ids(self) -> frozenset[int]:
        return frozenset(row.pk for row in self.hazard_factors)


@dataclass
class GuideResult:
    created: int = 0
    already: int = 0
    by_programme: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # programmes of the checklist with nobody to assign now


# -- the answers ---------------------------------------------------------------------------------


def _field_label(role: str) -> str:
    return str(PostRole(role).label)


def _headcount(headcount: Mapping[str, Any]) -> dict[str, int]:
    unknown = [str(role) for role in headcount if role not in GUIDE_ROLES]
    if unknown:
        raise TrainingError(_("没有这个岗位角色：%(role)s") % {"role": "、".join(unknown[:5])}, field="headcount")
    counts: dict[str, int] = {}
    for role in GUIDE_ROLES:
        value = headcount.get(role, 0)
        name = f"headcount_{role}"
        # bool is an int in Python, and True is not an answer to "how many".
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            raise TrainingError(_("%(role)s人数请填写整数。") % {"role": _field_label(role)}, field=name)
        if value < 0:
            raise TrainingError(_("%(role)s人数不能是负数。") % {"role": _field_label(role)}, field=name)
        if value > HEADCOUNT_MAX:
            raise TrainingError(_("%(role)s人数 %(value)s 不合理：不能超过 %(max)s 人。") % {
                "role": _field_label(role), "value": value, "max": HEADCOUNT_MAX}, field=name)
        counts[role] = value
    if not any(counts.values()):
        raise TrainingError(_("请填写人数：主要负责人、职业卫生管理人员和接害劳动者不能都是 0。"),
                            field=f"headcount_{PostRole.PRINCIPAL}")
    return counts


def _plain(value: Any, limit: int) -> str:
    """A code from a form or an API call; what no code contains (a NUL makes psycopg fail) is ''."""
    text = str(value or "").strip()
    return text if 0 < len(text) <= limit and text.isascii() and text.isprintable() else ""


def guide_check(*, industry_code: str, hazard_class_codes: Iterable[str], hazard_factor_ids: Iterable[Any],
                headcount: Mapping[str, Any]) -> GuideAnswers:
    """The answers, checked: each refusal names its field (the form shows it next to the field)."""
    raw_industry = str(industry_code or "").strip()
    if not raw_industry:
        raise TrainingError(_("请选择本单位所属的行业。"), field="industry")
    code = _plain(raw_industry, 4)
    industry = Industry.objects.filter(code=code).first() if code else None
    if industry is None:
        raise TrainingError(_("没有这个行业代码：%(code)s。请按国民经济行业分类（GB/T 4754）选择门类或大类。") % {
            "code": raw_industry[:20]}, field="industry")
    wanted_classes = list(dict.fromkeys(str(value).strip() for value in hazard_class_codes if str(value).strip()))
    classes = {row.pk: row for row in HazardClass.objects.filter(
        pk__in=[value for value in wanted_classes if _plain(value, 20)])}
    unknown = [value[:20] for value in wanted_classes if value not in classes]
    if unknown:
        raise TrainingError(_("没有这个危害因素类别：%(codes)s") % {"codes": "、".join(unknown[:5])},
                            field="hazard_classes")
    wanted_factors: list[int] = []
    for value in hazard_factor_ids:
        text = str(value).strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 9:
            raise TrainingError(_("没有这个危害因素：%(value)s") % {"value": text[:20]}, field="hazard_factors")
        wanted_factors.append(int(text))
    factors = {row.pk: row for row in HazardFactor.objects.filter(pk__in=wanted_factors, in_catalogue=True)}
    missing = [str(pk) for pk in dict.fromkeys(wanted_factors) if pk not in factors]
    if missing:
        raise TrainingError(_("没有这个危害因素：%(value)s") % {"value": "、".join(missing[:5])}, field="hazard_factors")
    if not classes and not factors:
        raise TrainingError(_("请至少选择一类本单位存在的职业病危害因素。没有职业病危害的单位不承担这些法定培训义务。"),
                            field="hazard_classes")
    counts = _headcount(headcount)
    return GuideAnswers(
        industry=industry,
        hazard_classes=tuple(sorted(classes.values(), key=lambda row: (row.position, row.pk))),
        hazard_factors=tuple(factors[pk] for pk in dict.fromkeys(wanted_factors)),
        headcount=counts)


# -- the roster ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    pk: int
    code: str
    role: str
    post: str
    factors: frozenset[int]
    classes: frozenset[str]


@dataclass
class _Cycle:
    programme_id: int
    role: str
    starts_on: dt.date
    basis: str
    withdrawn: bool


def _roster(employer: Employer) -> list[_Member]:
    """The employer's active workers in a role the law trains, with what they are exposed to."""
    rows = list(Worker.objects.filter(employer=employer, is_active=True, post_role__in=GUIDE_ROLES)
                .order_by("pk").values_list("pk", "code", "post_role", "post"))
    factors: dict[int, set[int]] = defaultdict(set)
    classes: dict[int, set[str]] = defaultdict(set)
    for worker_id, factor_id, class_code in Worker.exposures.through.objects.filter(
            worker__employer=employer, worker__is_active=True).values_list(
            "worker_id", "hazardfactor_id", "hazardfactor__hazard_class_id"):
        factors[worker_id].add(factor_id)
        classes[worker_id].add(class_code)
    return [_Member(pk, code, role, post or "", frozenset(factors[pk]), frozenset(classes[pk]))
            for pk, code, role, post in rows]


def _roster_exposures(employer: Employer) -> tuple[set[str], set[int]]:
    """The hazard classes and factors any active worker here (of any role) is recorded as exposed to."""
    rows = Worker.exposures.through.objects.filter(worker__employer=employer, worker__is_active=True).values_list(
        "hazardfactor__hazard_class_id", "hazardfactor_id").distinct()
    classes, factors = set(), set()
    for class_code, factor_id in rows:
        classes.add(class_code)
        factors.add(factor_id)
    return classes, factors


def _cycles(employer: Employer, members: list[_Member]) -> dict[int, list[_Cycle]]:
    """Each worker's cycles at this employer, oldest first (withdrawn ones too: they still hold
    their programme and start day under the unique constraint)."""
    found: dict[int, list[_Cycle]] = defaultdict(list)
    ids = [member.pk for member in members]
    for start in range(0, len(ids), 2000):
        for worker_id, programme_id, role, starts_on, basis, withdrawn_on in (
                TrainingAssignment.objects.filter(employer=employer, worker_id__in=ids[start:start + 2000])
                .order_by("starts_on", "pk")
                .values_list("worker_id", "programme_id", "role", "starts_on", "basis", "withdrawn_on")):
            found[worker_id].append(_Cycle(programme_id, role, starts_on, basis, withdrawn_on is not None))
    return found


def guide_initial(employer: Employer) -> dict[str, Any]:
    """The form's first answers, from what the platform knows: the employer's industry, the
    hazards its roster records, and the roster's count of each role."""
    classes, factors = _roster_exposures(employer)
    counts = dict.fromkeys(GUIDE_ROLES, 0)
    for role in Worker.objects.filter(employer=employer, is_active=True, post_role__in=GUIDE_ROLES).values_list(
            "post_role", flat=True):
        counts[role] += 1
    return {"industry": employer.industry_id, "hazard_classes": sorted(classes),
            "hazard_factors": [str(pk) for pk in sorted(factors)],
            **{f"headcount_{role}": count for role, count in counts.items()}}


# -- the duties ----------------------------------------------------------------------------------


def _programmes() -> list[Programme]:
    return list(Programme.objects.filter(Q(statutory=True) | Q(auto_assign=True), is_active=True)
                .prefetch_related("hazard_classes", "hazard_factors").order_by("position", "pk"))


def _when(kind: str) -> str:
    labels: dict[str, str] = {
        ProgrammeKind.INITIAL: _("首次（新任职时）"),
        ProgrammeKind.PRE_JOB: _("上岗前"),
        ProgrammeKind.ANNUAL: _("此后每年"),
        ProgrammeKind.RETRAINING: _("变更工艺、技术、设备、材料或岗位后"),
    }
    return labels.get(kind, "")


def _targets(programme: Programme, members: list[_Member], cycles: dict[int, list[_Cycle]],
             today: dt.date) -> list[_Member]:
    """Who is owed this programme now (see the module's docstring)."""
    new_year = dt.date(today.year, 1, 1)
    chosen = []
    for member in members:
        track = [cycle for cycle in cycles.get(member.pk, []) if cycle.role == member.role and not cycle.withdrawn]
        if programme.kind in FIRST_KINDS:
            owed = not track
        elif programme.kind == ProgrammeKind.ANNUAL:
            # Only for a track that began in an earlier year, and not when this year's is set already.
            owed = bool(track) and track[0].starts_on < new_year and not any(
                cycle.programme_id == programme.pk and cycle.starts_on == new_year for cycle in cycles.get(member.pk, []))
        else:
            owed = bool(track) and track[-1].basis != programme_basis(member.role, member.post, member.factors)
        if owed:
            chosen.append(member)
    return chosen


def _training_duty(programme: Programme, concerned: list[_Member], targets: list[_Member], answered: int,
                   first_now: int, today: dt.date) -> Duty:
    """``first_now``: of ``concerned``, how many have never had a cycle in the role here (an annual
    duty is not theirs yet: the first cycle is what is due now)."""
    # An annual cycle is due by the end of its year; a first cycle or re-training due_days from now.
    annual = programme.kind == ProgrammeKind.ANNUAL
    due_on = dt.date(today.year, 12, 31) if annual else today + dt.timedelta(days=programme.due_days)
    notes = []
    if programme.kind in FIRST_KINDS:
        if not concerned and not answered:
            notes.append(_("在花名册中标注这类人员后，回到本清单即可布置。"))
        elif len(concerned) < answered:
            notes.append(_("花名册中只有 %(roster)s 人，其余 %(missing)s 人补录到花名册后才能布置。") % {
                "roster": len(concerned), "missing": answered - len(concerned)})
        if len(targets) < len(concerned):
            notes.append(_("%(count)s 人已有本岗位的培训任务，不再重复布置。") % {"count": len(concerned) - len(targets)})
    elif annual:
        if first_now:
            first = ProgrammeKind.PRE_JOB if programme.role == PostRole.EXPOSED else ProgrammeKind.INITIAL
            notes.append(_("%(count)s 人本次先参加%(first)s，从下一年起每年参加。") % {
                "count": first_now, "first": first.label})
        already = len(concerned) - first_now - len(targets)
        if already:
            notes.append(_("%(count)s 人今年的培训已布置或首次培训在今年，不再重复布置。") % {"count": already})
    elif targets:
        notes.append(_("%(count)s 人在花名册中登记的岗位或接触的危害因素已变更，需要重新培训。") % {"count": len(targets)})
    else:
        notes.append(_("以后花名册中登记的岗位或接触的危害因素变更时，平台会自动布置。"))
    return Duty(
        key=programme.code, kind=DutyKind.TRAINING, title=programme.name, role=programme.role,
        programme_code=programme.code, programme_kind=programme.kind, hours=programme.required_hours,
        # Re-training has no date until a change calls for it.
        due_on=due_on if targets or programme.kind != ProgrammeKind.RETRAINING else None, when=_when(programme.kind),
        legal_basis=programme.legal_basis, on_roster=len(concerned), answered=answered, note=" ".join(notes),
        worker_codes=tuple(member.code for member in targets))


def _roster_duties(answers: GuideAnswers, members: list[_Member]) -> list[Duty]:
    """Where the answers and the roster disagree, and whether there is a manager at all."""
    duties: list[Duty] = []
    on_roster = {role: sum(1 for member in members if member.role == role) for role in GUIDE_ROLES}
    answered = answers.headcount
    total = sum(answered.values())
    if answered[PostRole.MANAGER] == 0 and on_roster[PostRole.MANAGER] == 0:
        note = _("本单位存在职业病危害，须设置或指定职业卫生管理机构或组织，并配备专职或兼职的职业卫生管理人员"
                 "负责职业病防治工作。指定后请在花名册中把其岗位角色标为“职业卫生管理人员”，再为其布置初次培训。")
        if total > FULL_TIME_ABOVE:
            note += " " + _("劳动者超过 %(count)s 人的，应当配备专职的职业卫生管理人员。") % {"count": FULL_TIME_ABOVE}
        duties.append(Duty(key="appoint-manager", kind=DutyKind.APPOINT, title=_("配备职业卫生管理人员"),
                           role=PostRole.MANAGER, legal_basis=APPOINT_BASIS, on_roster=0, answered=0, note=note))
    for role in GUIDE_ROLES:
        said, listed = answered[role], on_roster[role]
        label = _field_label(role)
        if role == PostRole.PRINCIPAL and said == listed == 0:
            duties.append(Duty(
                key=f"roster-{role}", kind=DutyKind.ROSTER, role=role, on_roster=0, answered=0,
                title=_("花名册中没有主要负责人，请在花名册中标注"),
                note=_("每个用人单位都有主要负责人（法定代表人或实际负责人），其本人必须接受职业卫生培训。"
                       "请将其加入花名册并把岗位角色标为“主要负责人”。")))
            continue
        if said == listed:
            continue
        if listed == 0:
            title = _("花名册中没有%(role)s，请指定并在花名册中标注") % {"role": label}
            note = _("您填写了 %(said)s 名%(role)s。请把他们加入花名册并把岗位角色标为“%(role)s”，才能为他们布置培训。") % {
                "said": said, "role": label}
        elif said > listed:
            title = _("花名册中的%(role)s少于您填写的人数") % {"role": label}
            note = _("您填写了 %(said)s 名，花名册中只有 %(listed)s 名。请把其余人员补录到花名册并标注岗位角色。") % {
                "said": said, "listed": listed}
        else:
            title = _("花名册中的%(role)s多于您填写的人数") % {"role": label}
            note = _("花名册中有 %(listed)s 名，您填写了 %(said)s 名。请核对人数或花名册中的岗位角色：培训按花名册布置。") % {
                "said": said, "listed": listed}
        duties.append(Duty(key=f"roster-{role}", kind=DutyKind.ROSTER, title=title, role=role, on_roster=listed,
                           answered=said, note=note))
    return duties


def _hazard_duties(answers: GuideAnswers, employer: Employer) -> list[Duty]:
    """Hazards said to be present that nobody on the roster is recorded as exposed to, and the
    other way round: both mean the roster's exposures (which decide pre-job training) are off."""
    classes, factors = _roster_exposures(employer)
    duties: list[Duty] = []
    chosen_classes = answers.class_codes
    names = {row.pk: row.name for row in HazardClass.objects.all()}  # in the catalogue's order
    order = {code: position for position, code in enumerate(names)}
    for code in sorted(chosen_classes, key=lambda value: order.get(value, len(order))):
        if code not in classes:
            duties.append(Duty(
                key=f"hazard-{code}", kind=DutyKind.HAZARD,
                title=_("花名册中没有人登记接触“%(hazard)s”") % {"hazard": names.get(code, code)}, on_roster=0,
                note=_("请在花名册中为接触这类危害的劳动者登记所接触的危害因素，并把岗位角色标为“接害劳动者”；"
                       "登记后平台会为其布置上岗前培训。")))
    for factor in answers.hazard_factors:
        if factor.pk not in factors and factor.hazard_class_id in classes:
            duties.append(Duty(
                key=f"factor-{factor.pk}", kind=DutyKind.HAZARD,
                title=_("花名册中没有人登记接触“%(hazard)s”") % {"hazard": factor.name}, on_roster=0,
                note=_("请在花名册中为接触该危害因素的劳动者登记。")))
    unnamed = sorted(classes - chosen_classes, key=lambda value: order.get(value, len(order)))
    if unnamed:
        duties.append(Duty(
            key="hazard-unchosen", kind=DutyKind.HAZARD,
            title=_("花名册中有人登记接触您没有选择的危害：%(hazards)s") % {
                "hazards": "、".join(names.get(code, code) for code in unnamed)},
            note=_("请核对本单位存在的职业病危害因素；花名册中的登记决定谁要接受上岗前培训。")))
    return duties


def _compute(employer: Employer, answers: GuideAnswers, today: dt.date) -> list[Duty]:
    members = _roster(employer)
    cycles = _cycles(employer, members)
    chosen_classes, chosen_factors = answers.class_codes, answers.factor_ids
    training: list[Duty] = []
    programmes = _programmes()
    for role in GUIDE_ROLES:
        answered = answers.headcount[role]
        in_role = [member for member in members if member.role == role]
        # Principals and managers are owed training wherever there are hazards (a manager must be
        # appointed if there is none); exposed workers only if someone is.
        if role == PostRole.EXPOSED and not answered and not in_role:
            continue
        for programme in programmes:
            if programme.role != role:
                continue
            # A programme about some hazards is on the checklist when the answers name one of them.
            if not programme_applies(programme, role=role, factors=chosen_factors, classes=chosen_classes):
                continue
            concerned = [member for member in in_role
                         if programme_applies(programme, role=role, factors=member.factors, classes=member.classes)]
            targets = _targets(programme, concerned, cycles, today)
            first_now = sum(1 for member in concerned if not any(
                cycle.role == role and not cycle.withdrawn for cycle in cycles.get(member.pk, [])))
            training.append(_training_duty(programme, concerned, targets, answered, first_now, today))
    return [*_roster_duties(answers, members), *_hazard_duties(answers, employer), *training]


def guide_duties(*, employer: Employer, industry_code: str, hazard_class_codes: Iterable[str],
                 hazard_factor_ids: Iterable[Any], headcount: Mapping[str, Any],
                 today: dt.date | None = None) -> list[Duty]:
    """The checklist for these answers: first what the admin must do by hand (appoint a manager,
    put the roster right), then each training duty with who, how many, hours, due date and law."""
    answers = guide_check(industry_code=industry_code, hazard_class_codes=hazard_class_codes,
                          hazard_factor_ids=hazard_factor_ids, headcount=headcount)
    return _compute(employer, answers, today or today_local())


def guide_assign(*, actor: Any, employer: Employer, industry_code: str, hazard_class_codes: Iterable[str],
                 hazard_factor_ids: Iterable[Any], headcount: Mapping[str, Any], today: dt.date | None = None,
                 programme_codes: Iterable[str] | None = None) -> GuideResult:
    """Assign every training duty of the checklist (or only those of ``programme_codes``) to the
    workers it names, in one transaction, through training_assign (so its checks and audit apply).
    The checklist is worked out again here, under a lock on the employer, so two clicks at once
    or a second run later create nothing twice."""
    today = today or today_local()
    answers = guide_check(industry_code=industry_code, hazard_class_codes=hazard_class_codes,
                          hazard_factor_ids=hazard_factor_ids, headcount=headcount)
    only = set(programme_codes) if programme_codes is not None else None
    result = GuideResult()
    with transaction.atomic():
        # Serialises guide runs of one employer: the second sees the cycles the first set.
        Employer.objects.select_for_update().filter(pk=employer.pk).values_list("pk", flat=True).first()
        duties = [duty for duty in _compute(employer, answers, today)
                  if duty.is_training and (only is None or duty.programme_code in only)]
        programmes = {row.code: row for row in Programme.objects.filter(code__in=[duty.programme_code for duty in duties])}
        for duty in duties:
            if not duty.worker_codes or duty.due_on is None:
                result.skipped.append(duty.programme_code)
                continue
            assigned = training_assign(actor=actor, employer=employer, programme=programmes[duty.programme_code],
                                       worker_codes=duty.worker_codes, due_on=duty.due_on, today=today,
                                       source=AssignmentSource.GUIDE)
            result.created += assigned.created
            result.already += assigned.already
            result.by_programme[duty.programme_code] = assigned.created
        if result.created:
            audit(actor, "learning.training.guide", employer, employer_id=employer.pk, data={
                "created": result.created, "programmes": result.by_programme, "industry": answers.industry.pk,
                "hazard_classes": sorted(answers.class_codes), "hazard_factors": sorted(answers.factor_ids),
                "headcount": answers.headcount})
    return result
