"""Demo data for the exams: an original question bank (``exams/demo_bank.json``), the two
certifying exams of the training duty — one for 接害劳动者, assigned to the demo employer's exposed
workers, one for 主要负责人 / 职业卫生管理人员 of every employer in its city — a hearing-protection
exam for workers exposed to noise (the demo worker has it still to take), and a few hundred past
attempts made through the services by simulated workers.

The attempts are the services' own (start, open, answer, submit, each with ``now=`` in the past),
so results, certificates and item analysis show something true. Each simulated worker has a
latent ability and each question a difficulty (from its 1–5) and a discrimination; the chance of a
right answer is logistic in their difference, above a floor for guessing (a three-parameter item
response model). Workers who fail study and retake, so most pass in the end.

Idempotent: questions already in the bank (same fingerprint) are skipped, exams are found by
title, employers that already have assignments are not assigned again, and a worker who has
attempts is not simulated again; a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exams.models import (
    Attempt,
    AttemptItem,
    AttemptMode,
    Category,
    Certificate,
    Exam,
    ExamAssignment,
    GradedAttempt,
    Question,
    QuestionKind,
    ReviewPolicy,
)
from exams.services.assignments import exam_assign
from exams.services.attempts import (
    answer_save,
    attempt_grade_if_due,
    attempt_open,
    attempt_start,
    attempt_submit,
    mock_start,
)
from exams.services.bank import QuestionData, question_check, question_fingerprint, question_save
from exams.services.practice import PracticeChoice, practice_start
from exams.services.setup import RuleData, exam_create

DEMO_BANK = Path(__file__).resolve().parent / "demo_bank.json"
WORKER_EXAM = "接害劳动者职业健康知识考试"
MANAGER_EXAM = "主要负责人和职业卫生管理人员职业健康知识考试"
NOISE_EXAM = "噪声作业岗位听力保护专项考试"
# The window: opened about two months ago, open for two months more.
WINDOW_BEFORE = dt.timedelta(days=60)
WINDOW_AFTER = dt.timedelta(days=60)
# Past attempts fall between these many days ago (the window opened 60 days ago).
FIRST_SITTING_DAYS = (52, 6)


@dataclass(frozen=True)
class DemoRule:
    count: int
    category: str = ""
    dimension: str = ""
    hazard_class: str = ""
    kind: str = ""


@dataclass(frozen=True)
class DemoExam:
    title: str
    description: str
    audiences: tuple[str, ...]
    minutes: int
    points: int
    rules: tuple[DemoRule, ...]
    certifies: bool = True
    hours: Decimal | None = None
    attempts: int = 3
    post_roles: tuple[str, ...] = ()
    hazard_factor: str = ""


def _r(count: int, category: str = "", dimension: str = "", kind: str = "", hazard_class: str = "") -> DemoRule:
    return DemoRule(count=count, category=category, dimension=dimension, kind=kind, hazard_class=hazard_class)


SINGLE, MULTIPLE, TRUE_FALSE = QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE

# 20 questions × 5 points: every dimension, protection skills weighted most (what a worker must do).
WORKER = DemoExam(
    title=WORKER_EXAM,
    description="接触职业病危害的劳动者上岗前和在岗期间职业卫生培训的考试：法律权利与义务、"
                "岗位危害与职业健康检查、防护用品的正确使用、应急处置和健康工作方式。合格发证。",
    audiences=("worker",), minutes=30, points=5, hours=Decimal("8"), post_roles=("exposed",),
    rules=(
        _r(2, "法律法规", "law", SINGLE), _r(2, "法律法规", "law", TRUE_FALSE),
        _r(1, "职业健康检查", kind=SINGLE), _r(1, "职业健康检查", kind=TRUE_FALSE),
        _r(3, dimension="protection_knowledge", kind=SINGLE), _r(1, dimension="protection_knowledge", kind=MULTIPLE),
        _r(1, dimension="protection_knowledge", kind=TRUE_FALSE),
        _r(3, dimension="protection_skills", kind=SINGLE), _r(2, dimension="protection_skills", kind=MULTIPLE),
        _r(1, dimension="protection_skills", kind=TRUE_FALSE),
        _r(1, dimension="healthy_behaviour", kind=SINGLE), _r(1, dimension="healthy_behaviour", kind=MULTIPLE),
        _r(1, dimension="healthy_behaviour", kind=TRUE_FALSE),
    ),
)
# 25 questions × 4 points, law-heavy: the duties a principal and a manager answer for.
MANAGER = DemoExam(
    title=MANAGER_EXAM,
    description="用人单位主要负责人和职业卫生管理人员职业卫生培训的考试，以职业病防治法律法规和"
                "职业卫生管理要求为主，兼顾危害防护知识。合格发证。",
    audiences=("principal", "manager"), minutes=40, points=4, hours=Decimal("16"),
    post_roles=("principal", "manager"),
    rules=(
        _r(4, "法律法规", kind=SINGLE), _r(2, "法律法规", kind=MULTIPLE), _r(3, "法律法规", kind=TRUE_FALSE),
        _r(4, "职业健康管理", kind=SINGLE), _r(2, "职业健康管理", kind=MULTIPLE), _r(2, "职业健康管理", kind=TRUE_FALSE),
        _r(2, "职业健康检查"), _r(3, dimension="protection_knowledge"), _r(2, dimension="protection_skills"),
        _r(1, dimension="healthy_behaviour"),
    ),
)
# Not certifying: a short exam on one hazard, given to the workers exposed to noise.
NOISE = DemoExam(
    title=NOISE_EXAM,
    description="噪声岗位专项考试：噪声的危害、听力检查和护听器的正确佩戴。",
    audiences=("worker",), minutes=15, points=10, certifies=False, hazard_factor="噪声",
    rules=(_r(5, "噪声"), _r(5, "个体防护/护听器")),
)
DEMO_EXAMS = (WORKER, MANAGER, NOISE)


# -- the bank ----------------------------------------------------------------------------------

def load_bank(path: Path = DEMO_BANK) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def question_data(item: dict[str, Any], factor_ids: dict[str, int]) -> QuestionData:
    """One entry of the bank file as the bank service takes it."""
    factor = item.get("hazard_factor") or ""
    return QuestionData(
        kind=item["kind"], stem=item["stem"], options=list(item.get("options") or []), answer=item["answer"],
        explanation=item.get("explanation", ""), category_path=item.get("category", ""),
        difficulty=int(item.get("difficulty", 3)), dimension_code=item.get("dimension", ""),
        hazard_class_code=item.get("hazard_class", ""), hazard_factor_id=factor_ids[factor] if factor else None,
        audience_codes=list(item.get("audiences") or []),
    )


def bank_seed(*, actor: Any, path: Path = DEMO_BANK) -> int:
    """Save the bank file's questions that are not in the bank yet; returns how many were new."""
    from orgs.models import HazardFactor

    factor_ids = dict(HazardFactor.objects.values_list("name", "pk"))
    existing = set(Question.objects.values_list("fingerprint", flat=True))
    created = 0
    for item in load_bank(path):
        data = question_data(item, factor_ids)
        stem, options, _answer = question_check(data)
        fingerprint = question_fingerprint(stem, options)
        if fingerprint in existing:
            continue
        question_save(actor=actor, data=data, create_category=True)
        existing.add(fingerprint)
        created += 1
    return created


# -- exams and assignments ---------------------------------------------------------------------

def _rule_data(rule: DemoRule) -> RuleData:
    category = Category.objects.get(path=rule.category) if rule.category else None
    return RuleData(count=rule.count, category_id=category.pk if category else None,
                    dimension_id=rule.dimension or None, hazard_class_id=rule.hazard_class or None, kind=rule.kind)


def exam_seed(spec: DemoExam, *, actor: Any, now: dt.datetime) -> tuple[Exam, bool]:
    """The demo exam with this title, created and published on first use."""
    from orgs.models import Audience

    existing = Exam.objects.filter(title=spec.title).first()
    if existing is not None:
        return existing, False
    points = Decimal(spec.points)
    exam = Exam(
        title=spec.title, description=spec.description, status=Exam.Status.PUBLISHED,
        opens_at=now - WINDOW_BEFORE, closes_at=now + WINDOW_AFTER, time_limit_minutes=spec.minutes,
        pass_percent=settings.EXAM_PASS_PERCENT, attempts_allowed=spec.attempts, review=ReviewPolicy.AFTER_SUBMIT,
        graded_attempt=GradedAttempt.BEST, certifies=spec.certifies, certificate_hours=spec.hours,
        points_single=points, points_multiple=points, points_truefalse=points, open_to_all=False,
    )
    created = exam_create(actor=actor, exam=exam, rules=[_rule_data(rule) for rule in spec.rules],
                          audiences=Audience.objects.filter(code__in=spec.audiences))
    return created, True


def city_employers(home: Any) -> list[Any]:
    """The demo employer first, then the other employers of its city (the first four digits of the
    region code)."""
    from orgs.models import Employer

    others = (Employer.objects.filter(region__code__startswith=home.region_id[:4], is_active=True)
              .exclude(pk=home.pk).order_by("pk"))
    return [home, *others]


def assignments_seed(exam: Exam, spec: DemoExam, employers: Iterable[Any]) -> int:
    """Assign through the service as each employer's admin would, the day before the window
    opened (so no papers are drawn at assignment: the beat draws them for a window about to open).
    An employer that already has assignments for this exam is left as it is."""
    from orgs.models import EmployerAdmin, HazardFactor

    factor_ids = list(HazardFactor.objects.filter(name=spec.hazard_factor).values_list("pk", flat=True)) \
        if spec.hazard_factor else []
    assigned = 0
    for employer in employers:
        if ExamAssignment.objects.filter(exam=exam, employer=employer).exists():
            continue
        if not employer.workers.filter(Q(post_role__in=spec.post_roles) | Q(exposures__in=factor_ids),
                                       is_active=True).exists():
            continue
        admin = EmployerAdmin.objects.filter(employer=employer).select_related("user").first()
        when = exam.opens_at - dt.timedelta(days=1)
        outcome = exam_assign(actor=admin.user if admin else None, employer=employer, exam=exam,
                              post_roles=spec.post_roles, hazard_factor_ids=factor_ids, now=when)
        assigned += outcome.assigned
        # assigned_at is set on insert; dated like the service's ``now`` so the history reads in order.
        ExamAssignment.objects.filter(exam=exam, employer=employer).update(assigned_at=when)
    return assigned


# -- simulated examinees -----------------------------------------------------------------------

GUESS = {QuestionKind.SINGLE: 0.25, QuestionKind.MULTIPLE: 0.05, QuestionKind.TRUE_FALSE: 0.5}
# All-or-nothing multiple choice is harder than its stated difficulty suggests.
KIND_SHIFT = {QuestionKind.SINGLE: 0.0, QuestionKind.MULTIPLE: 0.5, QuestionKind.TRUE_FALSE: -0.2}


@dataclass(frozen=True)
class ItemParameters:
    difficulty: float
    discrimination: float


def item_parameters(stem: str, difficulty: int, kind: str) -> ItemParameters:
    """Fixed per question (from its stem, so every run agrees): difficulty from its 1–5 with some
    spread, discrimination mostly good, a few items near zero so the analysis has something to flag."""
    rng = random.Random(hashlib.sha256(stem.encode()).hexdigest())  # noqa: S311 - simulation, not secrets
    spread = rng.gauss(0.0, 0.45)
    discrimination = rng.uniform(0.0, 0.3) if rng.random() < 0.05 else rng.uniform(1.0, 2.5)
    return ItemParameters((difficulty - 3) * 0.9 + KIND_SHIFT.get(QuestionKind(kind), 0.0) + spread, discrimination)


def chance_right(ability: float, item: ItemParameters, kind: str) -> float:
    guess = GUESS[QuestionKind(kind)]
    return guess + (1 - guess) / (1 + math.exp(-item.discrimination * (ability - item.difficulty)))


def wrong_response(key: str, option_count: int, kind: str, rng: random.Random) -> str:
    """A plausible wrong choice: another option; for multiple choice, most often one answer missed."""
    letters = "ABCDEFGH"[:option_count]
    if kind == QuestionKind.MULTIPLE:
        if len(key) > 1 and rng.random() < 0.6:
            missing = rng.choice(key)
            return "".join(letter for letter in key if letter != missing)
        wrong = [letter for letter in letters if letter not in key]
        extra = rng.choice(wrong) if wrong else ""
        return "".join(sorted(set(key[: max(1, len(key) - 1)] + extra))) or letters[0]
    return rng.choice([letter for letter in letters if letter != key])


Answerer = Callable[[AttemptItem, int], str]


@dataclass
class Sitting:
    """What one sitting produced, for the counts the seeder returns."""

    attempts: int = 0
    passed: int = 0
    by_deadline: int = 0


def _answer_all(attempt: Attempt, answerer: Answerer, *, start: dt.datetime, rng: random.Random,
                stop_at: int | None = None) -> dt.datetime:
    """Open the attempt and save an answer per item as a worker taps through, with think time;
    returns when the last answer was saved."""
    clock = start + dt.timedelta(seconds=rng.randint(5, 20))
    token = attempt_open(attempt=attempt, now=clock)
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("version", "version__question")
                 .order_by("position"))
    for index, item in enumerate(items):
        if stop_at is not None and index >= stop_at:
            break
        clock += dt.timedelta(seconds=rng.randint(20, 75))
        response = answerer(item, index)
        if response:
            answer_save(attempt=attempt, device_token=token, position=item.position, response=response, now=clock)
    return clock


def sit_exam(*, worker: Any, exam: Exam, answerer: Answerer, start: dt.datetime, rng: random.Random,
             times_out: bool = False) -> Attempt:
    """One exam attempt through the services. In one transaction: the deadline task the start
    queues runs (eagerly, in the demo) only after the submit, so it finds the attempt graded."""
    with transaction.atomic():
        attempt = attempt_start(worker=worker, exam=exam, now=start)
        if times_out:
            # Answered part of the paper, then put the phone away: graded at the deadline.
            count = attempt.items.count()
            _answer_all(attempt, answerer, start=start, rng=rng, stop_at=max(1, count * 2 // 3))
            assert attempt.deadline is not None
            due = attempt.deadline + dt.timedelta(seconds=settings.EXAM_GRACE_SECONDS + 5)
            attempt_grade_if_due(attempt_id=attempt.pk, now=due)
            attempt.refresh_from_db()
            return attempt
        last = _answer_all(attempt, answerer, start=start, rng=rng)
        return attempt_submit(attempt=attempt, now=last + dt.timedelta(seconds=rng.randint(10, 60)))


def ability_answerer(ability: float, rng: random.Random) -> Answerer:
    def answer(item: AttemptItem, _index: int) -> str:
        version = item.version
        if rng.random() < 0.02:
            return ""  # skipped
        parameters = item_parameters(version.stem, version.question.difficulty, version.kind)
        if rng.random() < chance_right(ability, parameters, version.kind):
            return version.answer
        return wrong_response(version.answer, len(version.options), version.kind, rng)

    return answer


def _working_time(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in working hours on ``day``, in the site's time zone."""
    local = dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(minutes=rng.randint(0, 8 * 60))
    return timezone.make_aware(local)


def simulate_worker(worker: Any, exam: Exam, *, now: dt.datetime, rng: random.Random) -> Sitting:
    """A worker sits the exam until they pass, run out of attempts or give up. Each retake comes
    a few days later, after some study (the ability rises)."""
    sitting = Sitting()
    ability = rng.gauss(0.35, 1.3)
    latest = now - dt.timedelta(hours=2)
    day = (now - dt.timedelta(days=rng.randint(FIRST_SITTING_DAYS[1], FIRST_SITTING_DAYS[0]))).date()
    for _number in range(exam.attempts_allowed or 3):
        start = _working_time(day, rng)
        if start + dt.timedelta(minutes=exam.time_limit_minutes + 5) >= latest:
            break
        attempt = sit_exam(worker=worker, exam=exam, answerer=ability_answerer(ability, rng), start=start, rng=rng,
                           times_out=rng.random() < 0.03)
        sitting.attempts += 1
        sitting.by_deadline += int(attempt.submitted_by_deadline)
        if attempt.passed:
            sitting.passed += 1
            break
        if rng.random() < 0.15:
            break  # gave up for now: still assigned, attempts left
        ability += rng.uniform(0.3, 0.8)
        day += dt.timedelta(days=rng.randint(1, 6))
    return sitting


def scripted_answerer(*, wrong_every: int) -> Answerer:
    """Right except every ``wrong_every``-th item (the demo login's outcome must not be left to chance)."""
    def answer(item: AttemptItem, index: int) -> str:
        version = item.version
        if (index + 1) % wrong_every == 0:
            return wrong_response(version.answer, len(version.options), version.kind,
                                  random.Random(index))  # noqa: S311 - simulation, not secrets
        return version.answer

    return answer


def demo_worker_seed(worker: Any, exam: Exam, *, now: dt.datetime, rng: random.Random) -> Sitting:
    """The demo login: two mock exams, a failed first attempt, a pass with a certificate, then two
    practice sets (their wrong answers fill the 错题本)."""
    sitting = Sitting()
    if Attempt.objects.filter(worker=worker, exam=exam).exclude(status=Attempt.Status.READY).exists():
        return sitting
    first = (now - dt.timedelta(days=41)).date()
    for offset, wrong_every in ((-3, 3), (-1, 4)):
        start = _working_time(first + dt.timedelta(days=offset), rng)
        with transaction.atomic():
            mock = mock_start(worker=worker, exam=exam, now=start)
            last = _answer_all(mock, scripted_answerer(wrong_every=wrong_every), start=start, rng=rng)
            attempt_submit(attempt=mock, now=last + dt.timedelta(seconds=30))
    for offset, wrong_every in ((0, 2), (3, 7)):
        start = _working_time(first + dt.timedelta(days=offset), rng)
        attempt = sit_exam(worker=worker, exam=exam, answerer=scripted_answerer(wrong_every=wrong_every),
                           start=start, rng=rng)
        sitting.attempts += 1
        sitting.passed += int(bool(attempt.passed))
    for choice, wrong_every in ((PracticeChoice(order="sequential", dimension="protection_skills"), 4),
                                (PracticeChoice(order="random", hazard_class="dust"), 3)):
        practise(worker, choice, scripted_answerer(wrong_every=wrong_every))
    return sitting


def practise(worker: Any, choice: PracticeChoice, answerer: Answerer) -> Attempt:
    """A practice set done today (practice has no past: it starts now), each answer given feedback."""
    practice = practice_start(worker=worker, choice=choice)
    token = attempt_open(attempt=practice)
    items = AttemptItem.objects.filter(attempt=practice).select_related("version").order_by("position")
    for index, item in enumerate(items):
        answer_save(attempt=practice, device_token=token, position=item.position, response=answerer(item, index))
    return attempt_submit(attempt=practice)


def attempts_seed(exam: Exam, *, demo_worker: Any, participation: float, now: dt.datetime, seed: int) -> Sitting:
    """Simulate the exam's assigned workers who have not sat it yet (some never start: the campaign
    is still running)."""
    total = Sitting()
    assigned = (ExamAssignment.objects.filter(exam=exam, worker__is_active=True).select_related("worker", "worker__employer")
                .order_by("employer_id", "worker_id"))
    sat = set(Attempt.objects.filter(exam=exam, mode=AttemptMode.EXAM).exclude(status=Attempt.Status.READY)
              .values_list("worker_id", flat=True))
    for assignment in assigned:
        worker = assignment.worker
        if worker.pk in sat or (demo_worker is not None and worker.pk == demo_worker.pk):
            continue
        # One generator per worker and exam: a second run decides the same about who takes part.
        rng = random.Random(f"{seed}/{exam.code}/{worker.code}")  # noqa: S311 - simulation, not secrets
        if rng.random() >= participation:
            continue
        result = simulate_worker(worker, exam, now=now, rng=rng)
        total.attempts += result.attempts
        total.passed += result.passed
        total.by_deadline += result.by_deadline
    return total


def _analyse(exams: Iterable[Exam], actor: Any) -> int:
    from exams.services.analysis import analysis_start

    return sum(1 for exam in exams if analysis_start(exam=exam, actor=actor) is not None)


# -- the seeder --------------------------------------------------------------------------------

def seed_demo(*, seed: int = 2025, campaign_size: int = 4, participation: float = 0.75,
              now: dt.datetime | None = None) -> dict[str, int]:
    """Seed the bank, the exams, their assignments and the past attempts (see the module docstring).

    The workers' exam goes to the demo employer's exposed workers, the managers' exam to the
    principals and managers of every employer in its city, the noise exam to the workers exposed
    to noise in ``campaign_size`` employers of the city (the demo employer first). Every passed
    certifying attempt renders a certificate (eagerly, in a demo without a broker), which is what
    keeps these numbers modest. ``participation``: the share of assigned workers who have sat an
    exam so far (the campaign is still running).
    """
    from orgs.demo import WORKER_PHONE
    from orgs.models import User, Worker

    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - simulation, not secrets
    editor = User.objects.filter(username="editor").first()
    counts = {"questions_created": bank_seed(actor=editor)}
    exams: dict[str, Exam] = {}
    created = 0
    for spec in DEMO_EXAMS:
        exams[spec.title], was_created = exam_seed(spec, actor=editor, now=now)
        created += int(was_created)
    counts["exams_created"] = created
    demo_worker = Worker.objects.filter(phone=WORKER_PHONE).select_related("employer", "employer__region").first()
    if demo_worker is None:
        # No employers seeded: the bank and the exams are all there is to show.
        counts.update(questions=Question.objects.count(), assignments_created=0, attempts_created=0)
        return counts
    home = demo_worker.employer
    assigned = assignments_seed(exams[WORKER_EXAM], WORKER, [home])
    assigned += assignments_seed(exams[MANAGER_EXAM], MANAGER, city_employers(home))
    assigned += assignments_seed(exams[NOISE_EXAM], NOISE, city_employers(home)[:campaign_size])
    counts["assignments_created"] = assigned

    sittings = [demo_worker_seed(demo_worker, exams[WORKER_EXAM], now=now, rng=rng)]
    for title in (WORKER_EXAM, MANAGER_EXAM, NOISE_EXAM):
        # The demo login keeps the noise exam to take.
        sittings.append(attempts_seed(exams[title], demo_worker=demo_worker, participation=participation, now=now,
                                      seed=seed))
    made = sum(sitting.attempts for sitting in sittings)
    counts.update(
        attempts_created=made, passed_created=sum(sitting.passed for sitting in sittings),
        graded_at_deadline=sum(sitting.by_deadline for sitting in sittings),
        analyses=_analyse(exams.values(), editor) if made else 0,
        questions=Question.objects.count(),
        exam_attempts=Attempt.objects.filter(mode=AttemptMode.EXAM, status=Attempt.Status.GRADED).count(),
        certificates=Certificate.objects.count(),
    )
    return counts
