"""Drawing papers from an exam's blueprint, and drawing them ahead of a window's start.

A paper is an ``Attempt`` in READY with its items: each attempt gets its own draw and its own
option order. When a window opens, papers are drawn ahead (a job) for every assigned worker, and a
pool for exams open to everyone, so that a synchronized start only claims a row. A blueprint
change bumps ``Exam.blueprint_version``: papers already drawn under the old one are not handed out,
and attempts already open keep theirs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from core.jobs import job_claim, job_finish, job_progress
from core.models import JobStatus
from exams.models import (
    OPTION_LETTERS,
    Attempt,
    AttemptItem,
    AttemptMode,
    BlueprintRule,
    Exam,
    ExamAssignment,
    ExamJob,
    Question,
    QuestionKind,
)

_KIND_ORDER = {QuestionKind.SINGLE: 0, QuestionKind.MULTIPLE: 1, QuestionKind.TRUE_FALSE: 2}
# The window opens within this time: its papers are drawn now.
PREPARE_AHEAD = timedelta(hours=2)


class BlueprintError(ServiceError):
    pass


@dataclass(frozen=True)
class Candidate:
    question_id: int
    version_id: int
    kind: str
    facility: float | None
    option_count: int


@dataclass(frozen=True)
class DrawnItem:
    version_id: int
    kind: str
    option_order: str
    points: Decimal


def rule_questions(rule: BlueprintRule | dict[str, Any]) -> QuerySet[Question]:
    """The active questions a rule draws from (a category includes its sub-categories)."""
    get = rule.get if isinstance(rule, dict) else lambda name: getattr(rule, name)
    queryset = Question.objects.filter(is_active=True, current_version__isnull=False)
    category = get("category")
    if category is not None:
        queryset = queryset.filter(Q(category__path=category.path) | Q(category__path__startswith=category.path + "/"))
    for name in ("dimension", "hazard_class"):
        if get(name) is not None:
            queryset = queryset.filter(**{name: get(name)})
    kind, difficulty = get("kind"), get("difficulty")
    if kind:
        queryset = queryset.filter(kind=str(kind))
    if difficulty:
        queryset = queryset.filter(difficulty=int(difficulty))
    return queryset


def _candidates(rule: BlueprintRule) -> list[Candidate]:
    rows = rule_questions(rule).values_list("pk", "current_version_id", "kind", "facility", "current_version__options")
    return [Candidate(pk, version_id, kind, facility, len(options)) for pk, version_id, kind, facility, options in rows]


def rule_label(rule: BlueprintRule) -> str:
    parts = [str(part) for part in (rule.category, rule.dimension, rule.hazard_class) if part is not None]
    if rule.kind:
        parts.append(str(QuestionKind(rule.kind).label))
    if rule.difficulty:
        parts.append(_("难度 %(level)s") % {"level": rule.difficulty})
    return " · ".join(parts) or _("全部试题")


def blueprint_check(exam: Exam, rules: list[BlueprintRule] | None = None) -> list[str]:
    """What stops this blueprint from drawing a paper (empty when it can): each rule needs enough
    questions that no earlier rule took."""
    rules = list(exam.rules.select_related("category", "dimension", "hazard_class")) if rules is None else rules
    if not rules:
        return [_("组卷规则为空：至少需要一条规则")]
    problems = []
    taken: set[int] = set()
    for rule in rules:
        available = [c for c in _candidates(rule) if c.question_id not in taken]
        if len(available) < rule.count:
            problems.append(_("规则“%(rule)s”需要 %(count)s 题，题库中只有 %(have)s 题可用")
                            % {"rule": rule_label(rule), "count": rule.count, "have": len(available)})
        taken.update(c.question_id for c in available[: rule.count])
    return problems


def _preferred_first(candidates: list[Candidate], exam: Exam, rng: random.Random) -> list[Candidate]:
    """Shuffled, items whose facility lies in the exam's target range first (items without
    statistics yet count as in range, so a new bank still draws everywhere)."""
    shuffled = candidates[:]
    rng.shuffle(shuffled)
    if exam.facility_min is None and exam.facility_max is None:
        return shuffled
    low = exam.facility_min if exam.facility_min is not None else 0.0
    high = exam.facility_max if exam.facility_max is not None else 1.0

    def in_range(candidate: Candidate) -> bool:
        return candidate.facility is None or low <= candidate.facility <= high

    return [c for c in shuffled if in_range(c)] + [c for c in shuffled if not in_range(c)]


def paper_draw(exam: Exam, *, rng: random.Random | None = None,
               candidates_by_rule: list[tuple[BlueprintRule, list[Candidate]]] | None = None) -> list[DrawnItem]:
    """One paper: the blueprint's questions, no question twice, options in a fresh order
    (true/false keeps 正确 before 错误). Questions are grouped by type, as paper exams are."""
    rng = rng or random.SystemRandom()
    if candidates_by_rule is None:
        candidates_by_rule = [(rule, _candidates(rule)) for rule in exam.rules.all()]
    if not candidates_by_rule:
        raise BlueprintError(_("这场考试还没有组卷规则"))
    chosen: list[Candidate] = []
    taken: set[int] = set()
    for rule, candidates in candidates_by_rule:
        available = [c for c in _preferred_first(candidates, exam, rng) if c.question_id not in taken]
        if len(available) < rule.count:
            raise BlueprintError(_("规则“%(rule)s”需要 %(count)s 题，题库中只有 %(have)s 题可用")
                                 % {"rule": rule_label(rule), "count": rule.count, "have": len(available)})
        picked = available[: rule.count]
        chosen.extend(picked)
        taken.update(c.question_id for c in picked)
    rng.shuffle(chosen)
    chosen.sort(key=lambda c: _KIND_ORDER[QuestionKind(c.kind)])
    return [DrawnItem(c.version_id, c.kind, _option_order(c, rng), exam.points_for(c.kind)) for c in chosen]


def _option_order(candidate: Candidate, rng: random.Random) -> str:
    if candidate.kind == QuestionKind.TRUE_FALSE:
        return OPTION_LETTERS[:2]
    letters = list(OPTION_LETTERS[: candidate.option_count])
    rng.shuffle(letters)
    return "".join(letters)


def attempt_items_create(attempt: Attempt, drawn: list[DrawnItem]) -> None:
    AttemptItem.objects.bulk_create([
        AttemptItem(attempt=attempt, position=position, version_id=item.version_id, option_order=item.option_order,
                    points_possible=item.points)
        for position, item in enumerate(drawn, start=1)
    ])
    attempt.max_score = sum((item.points for item in drawn), Decimal("0"))
    attempt.save(update_fields=["max_score"])


def paper_create(exam: Exam, *, worker: Any = None, mode: str = AttemptMode.EXAM,
                 rng: random.Random | None = None,
                 candidates_by_rule: list[tuple[BlueprintRule, list[Candidate]]] | None = None) -> Attempt:
    drawn = paper_draw(exam, rng=rng, candidates_by_rule=candidates_by_rule)
    with transaction.atomic():
        attempt = Attempt.objects.create(exam=exam, worker=worker, mode=mode, blueprint_version=exam.blueprint_version,
                                         employer_id=getattr(worker, "employer_id", None))
        attempt_items_create(attempt, drawn)
    return attempt


def papers_wanted(exam: Exam) -> tuple[list[Any], int]:
    """Assigned workers with no paper waiting under the current blueprint, and how many more
    pool papers (no worker yet) an exam open to all should have."""
    from orgs.models import Worker

    ready = Attempt.objects.filter(exam=exam, status=Attempt.Status.READY, mode=AttemptMode.EXAM,
                                   blueprint_version=exam.blueprint_version)
    assigned = (Worker.objects.filter(is_active=True)
                .filter(Exists(ExamAssignment.objects.filter(exam=exam, worker=OuterRef("pk"))))
                .exclude(Exists(ready.filter(worker=OuterRef("pk")))))
    pool = 0
    if exam.open_to_all:
        pool = max(0, settings.EXAM_PAPERS_AHEAD - ready.filter(worker__isnull=True).count())
    return list(assigned.only("pk", "employer_id")), pool


def papers_prepare_start(*, exam: Exam, actor: Any = None) -> ExamJob | None:
    """Queue drawing papers ahead for one exam, unless such a job is already waiting or running."""
    from exams.tasks import exam_job_task

    with transaction.atomic():
        if ExamJob.objects.filter(exam=exam, kind=ExamJob.Kind.PAPERS,
                                  status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).select_for_update().exists():
            return None
        job = ExamJob.objects.create(exam=exam, kind=ExamJob.Kind.PAPERS, created_by=actor)
        transaction.on_commit(lambda: exam_job_task.delay(job.pk))
    return job


def papers_prepare(*, job_id: int) -> int:
    """The job: draw the papers ``papers_wanted`` names. Safe to run twice (it counts again)."""
    token = job_claim(ExamJob, job_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return 0
    job = ExamJob.objects.select_related("exam").get(pk=job_id)
    exam = job.exam
    workers, pool = papers_wanted(exam)
    total = len(workers) + pool
    job_progress(ExamJob, job_id, token, done=0, total=total)
    rng = random.SystemRandom()
    made = 0
    try:
        candidates_by_rule = [(rule, _candidates(rule)) for rule in exam.rules.select_related("category")]
        for worker in [*workers, *([None] * pool)]:
            paper_create(exam, worker=worker, rng=rng, candidates_by_rule=candidates_by_rule)
            made += 1
            if made % 50 == 0:
                job_progress(ExamJob, job_id, token, done=made)
    except BlueprintError as error:
        job_finish(ExamJob, job_id, token, status=JobStatus.FAILED, message=str(error), progress_done=made)
        return made
    Exam.objects.filter(pk=exam.pk).update(papers_generated_at=timezone.now())
    job_finish(ExamJob, job_id, token, status=JobStatus.DONE, progress_done=made,
               message=_("已预生成 %(count)s 份试卷") % {"count": made})
    return made


def papers_due(now: Any = None) -> int:
    """Beat: exams opening soon (or open) whose papers were not drawn under their current blueprint."""
    now = now or timezone.now()
    exams = Exam.objects.filter(status=Exam.Status.PUBLISHED, opens_at__lte=now + PREPARE_AHEAD, closes_at__gt=now)
    started = 0
    for exam in exams:
        workers, pool = papers_wanted(exam)
        if (workers or pool) and papers_prepare_start(exam=exam) is not None:
            started += 1
    return started


def papers_discard_stale(exam: Exam) -> int:
    """Papers drawn under an older blueprint and never started: drop them (open attempts keep theirs)."""
    stale = Attempt.objects.filter(exam=exam, status=Attempt.Status.READY).exclude(blueprint_version=exam.blueprint_version)
    _total, detail = stale.delete()
    return detail.get("exams.Attempt", 0)
