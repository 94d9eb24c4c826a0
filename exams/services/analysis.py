"""Item analysis (试题分析) from graded exam attempts: facility, discrimination, KR-20, flags.

Which attempts: every graded attempt in EXAM mode, retakes included. Each attempt is its own
random draw graded on its own; taking only the counted attempt (best by default) would keep the
high scores and push every facility up, and taking only first attempts would throw data away.
Mock exams and practice count for nothing and are left out.

Scores: an item is right when ``AttemptItem.is_correct`` (a multiple choice with partial credit
is not right). Discrimination and KR-20 use the number of right items, which is what they are
defined on; the distribution, mean and standard deviation use the graded percent. All
variances are population variances (divided by N), as KR-20's p·q terms are.

Papers are drawn at random, so two attempts rarely hold the same items. Per item, everything is
computed over the attempts that held it. The rest score of an item in an attempt is the share of
the attempt's other items that were right, (right − x) / (k − 1): a linear transform of the plain
rest score when all papers are equally long, so the point-biserial is the textbook one then.
KR-20 uses the mean paper length k and the p·q of the items each attempt held (the mean over all
answers), which is exactly KR-20 when every attempt held the same items (docs/item-analysis.md).

Everything is computed streaming: one aggregate query for per-attempt totals, then one pass over
(attempt, question, right) tuples from ``values_list(...).iterator()``, never an ORM object per
answer, so a few hundred thousand answers take seconds.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from core.jobs import job_claim, job_finish, job_progress
from core.models import JobStatus, job_result_upload_to, private_storage
from exams.models import Attempt, AttemptItem, AttemptMode, Exam, ExamJob, Question, QuestionKind

logger = logging.getLogger(__name__)

FACILITY_LOW = 0.2
FACILITY_HIGH = 0.95
DISCRIMINATION_LOW = 0.2
# Below this many answers an item's figures are shown but not flagged: they are mostly noise.
MIN_RESPONSES = 10
# Kelley's upper and lower groups: 27 % maximises the groups' difference while keeping them large.
GROUP_SHARE = 0.27
BUCKETS = 10
# Graded exam answers in the whole bank up to which a recompute runs at once, in the request.
INLINE_LIMIT = 20_000
PROGRESS_EVERY = 20_000

FLAG_LABELS = {
    "too_hard": gettext_lazy("太难：通过率低于 20%"),
    "too_easy": gettext_lazy("太易：通过率高于 95%"),
    "negative": gettext_lazy("负区分度：高分者反而更常答错，请检查答案是否有误"),
    "low_discrimination": gettext_lazy("区分度低（点二列相关低于 0.20）"),
    "few_responses": gettext_lazy("作答人次少于 10，数据仅供参考"),
}
POOR_FLAGS = ("too_hard", "too_easy", "negative", "low_discrimination")


class AnalysisError(Exception):
    pass


# -- the formulas, on plain numbers ------------------------------------------------------------
def pearson(*, n: int, sum_x: float, sum_y: float, sum_xx: float, sum_yy: float, sum_xy: float) -> float | None:
    """Pearson's r from sums; None when either variable does not vary (r is undefined)."""
    if n < 2:
        return None
    var_x = n * sum_xx - sum_x * sum_x
    var_y = n * sum_yy - sum_y * sum_y
    # Rounding leaves a tiny positive value where the exact variance is zero.
    if var_x <= 1e-9 * max(1.0, n * sum_xx) or var_y <= 1e-9 * max(1.0, n * sum_yy):
        return None
    return (n * sum_xy - sum_x * sum_y) / math.sqrt(var_x * var_y)


def kr20(*, items: float, pq_sum: float, variance: float) -> float | None:
    """KR-20 = k / (k − 1) · (1 − Σ p·q / σ²), σ² the (population) variance of the number right."""
    if items <= 1 or variance <= 0:
        return None
    return items / (items - 1) * (1 - pq_sum / variance)


def item_flags(*, facility: float | None, discrimination: float | None, n: int,
               min_responses: int = MIN_RESPONSES) -> list[str]:
    """The flag codes of one item (FLAG_LABELS); poor-item flags only from enough answers."""
    if n < min_responses:
        return ["few_responses"] if n else []
    flags = []
    if facility is not None and facility < FACILITY_LOW:
        flags.append("too_hard")
    if facility is not None and facility > FACILITY_HIGH:
        flags.append("too_easy")
    if discrimination is not None and discrimination < 0:
        flags.append("negative")
    elif discrimination is not None and discrimination < DISCRIMINATION_LOW:
        flags.append("low_discrimination")
    return flags


def is_poor(flags: Iterable[str]) -> bool:
    return any(flag in POOR_FLAGS for flag in flags)


def poor_items_q() -> Q:
    """Questions whose overall statistics flag them (the admin's filter), as a queryset condition."""
    return Q(stats_responses__gte=MIN_RESPONSES) & (
        Q(facility__lt=FACILITY_LOW) | Q(facility__gt=FACILITY_HIGH) | Q(discrimination__lt=DISCRIMINATION_LOW))


def question_flags(question: Question) -> list[str]:
    return item_flags(facility=question.facility, discrimination=question.discrimination, n=question.stats_responses)


def histogram(percents: Iterable[float], *, buckets: int = BUCKETS) -> list[int]:
    """Counts per band of 100/buckets percent: [0, 10), [10, 20), …, [90, 100] (100 in the last)."""
    counts = [0] * buckets
    width = 100 / buckets
    for percent in percents:
        index = min(buckets - 1, max(0, int(percent // width)))
        counts[index] += 1
    return counts


def upper_lower_groups(scores: list[tuple[float, int]], *, share: float = GROUP_SHARE) -> tuple[set[int], set[int]]:
    """The attempt ids of the upper and lower 27 % by share right. Ties at the boundary are cut
    by attempt id, so a recompute gives the same groups."""
    if len(scores) < 2:
        return set(), set()
    size = max(1, round(share * len(scores)))
    ranked = sorted(scores)
    return {pk for _share, pk in ranked[-size:]}, {pk for _share, pk in ranked[:size]}


# -- accumulating ------------------------------------------------------------------------------
@dataclass
class _Sums:
    n: int = 0
    right: int = 0
    # Over the answers whose attempt held other items (the rest score exists).
    rest_n: int = 0
    rest_right: int = 0
    rest: float = 0.0
    rest_sq: float = 0.0
    rest_cross: float = 0.0
    upper_n: int = 0
    upper_right: int = 0
    lower_n: int = 0
    lower_right: int = 0

    def add(self, x: int, rest: float | None) -> None:
        self.n += 1
        self.right += x
        if rest is not None:
            self.rest_n += 1
            self.rest_right += x
            self.rest += rest
            self.rest_sq += rest * rest
            self.rest_cross += x * rest

    @property
    def facility(self) -> float | None:
        return self.right / self.n if self.n else None

    @property
    def point_biserial(self) -> float | None:
        return pearson(n=self.rest_n, sum_x=self.rest_right, sum_y=self.rest, sum_xx=self.rest_right,
                       sum_yy=self.rest_sq, sum_xy=self.rest_cross)

    @property
    def upper_lower(self) -> float | None:
        if not self.upper_n or not self.lower_n:
            return None
        return self.upper_right / self.upper_n - self.lower_right / self.lower_n


@dataclass
class ItemReport:
    question: int
    code: str
    stem: str
    kind: str
    n: int
    facility: float | None
    point_biserial: float | None
    upper_lower: float | None
    flags: list[str] = field(default_factory=list)

    @property
    def poor(self) -> bool:
        return is_poor(self.flags)

    @property
    def kind_label(self) -> str:
        return str(QuestionKind(self.kind).label) if self.kind in QuestionKind.values else self.kind

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS.get(flag, flag)) for flag in self.flags]


@dataclass
class ExamReport:
    exam: str
    computed_at: str
    attempts: int
    items_per_paper: float
    mean: float | None
    sd: float | None
    kr20: float | None
    pass_percent: int
    histogram: list[int]
    items: list[ItemReport]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExamReport:
        values = dict(data)
        values["items"] = [ItemReport(**item) for item in data.get("items", [])]
        return cls(**values)

    @property
    def poor_count(self) -> int:
        return sum(1 for item in self.items if item.poor)


@dataclass
class QuestionStat:
    facility: float | None
    discrimination: float | None
    responses: int


def _graded() -> Q:
    return Q(mode=AttemptMode.EXAM, status=Attempt.Status.GRADED)


def _rest(right_total: int, items: int, x: int) -> float | None:
    return (right_total - x) / (items - 1) if items > 1 else None


def analyse(exam: Exam, *, progress: Callable[[int], bool] | None = None) -> tuple[ExamReport, dict[int, QuestionStat]]:
    """The exam's report and every question's overall statistics (across all exams), in one pass
    over the graded exam answers. ``progress(rows)`` is called now and then; False stops it."""
    totals: dict[int, tuple[int, int]] = {}
    own: list[tuple[int, float, int, int]] = []
    attempts = (Attempt.objects.filter(_graded())
                .annotate(n_items=Count("items"), n_right=Count("items", filter=Q(items__is_correct=True)))
                .order_by().values_list("pk", "exam_id", "percent", "n_right", "n_items"))
    for pk, exam_id, percent, right, items in attempts.iterator(chunk_size=5000):
        if not items:
            continue
        totals[pk] = (right, items)
        if exam_id == exam.pk:
            own.append((pk, float(percent or 0.0), right, items))
    upper, lower = upper_lower_groups([(right / items, pk) for pk, _p, right, items in own])
    own_ids = {pk for pk, *_rest_of in own}

    overall: dict[int, _Sums] = {}
    mine: dict[int, _Sums] = {}
    rows = (AttemptItem.objects.filter(attempt__mode=AttemptMode.EXAM, attempt__status=Attempt.Status.GRADED)
            .order_by().values_list("attempt_id", "version__question_id", "is_correct"))
    for count, (attempt_id, question_id, correct) in enumerate(rows.iterator(chunk_size=5000), start=1):
        total = totals.get(attempt_id)
        if total is None:
            continue
        x = 1 if correct else 0
        rest = _rest(total[0], total[1], x)
        overall.setdefault(question_id, _Sums()).add(x, rest)
        if attempt_id in own_ids:
            sums = mine.setdefault(question_id, _Sums())
            sums.add(x, rest)
            if attempt_id in upper:
                sums.upper_n += 1
                sums.upper_right += x
            if attempt_id in lower:
                sums.lower_n += 1
                sums.lower_right += x
        if progress is not None and count % PROGRESS_EVERY == 0 and not progress(count):
            raise AnalysisError("claim lost")
    return _exam_report(exam, own, mine), {
        question_id: QuestionStat(sums.facility, sums.point_biserial, sums.n) for question_id, sums in overall.items()}


def _exam_report(exam: Exam, own: list[tuple[int, float, int, int]], mine: dict[int, _Sums]) -> ExamReport:
    count = len(own)
    percents = [percent for _pk, percent, _right, _items in own]
    mean = sum(percents) / count if count else None
    sd = math.sqrt(sum((p - mean) ** 2 for p in percents) / count) if count and mean is not None else None
    items_per_paper = sum(items for *_x, items in own) / count if count else 0.0
    rights = [right for _pk, _p, right, _items in own]
    variance = 0.0
    if count:
        mean_right = sum(rights) / count
        variance = sum((right - mean_right) ** 2 for right in rights) / count
    answers = sum(sums.n for sums in mine.values())
    # Σ p·q of an average paper: k times the mean p·q over every answer given.
    pq_sum = items_per_paper * sum(sums.n * (sums.facility or 0) * (1 - (sums.facility or 0))
                                   for sums in mine.values()) / answers if answers else 0.0
    described = {pk: (code, stem, kind) for pk, code, stem, kind in
                 Question.objects.filter(pk__in=list(mine)).values_list("pk", "code", "stem", "kind")}
    items = []
    for question_id, sums in mine.items():
        code, stem, kind = described.get(question_id, ("", "", ""))
        discrimination = sums.point_biserial
        items.append(ItemReport(question=question_id, code=code, stem=stem[:80], kind=kind, n=sums.n,
                                facility=sums.facility, point_biserial=discrimination, upper_lower=sums.upper_lower,
                                flags=item_flags(facility=sums.facility, discrimination=discrimination, n=sums.n)))
    items.sort(key=lambda item: (not item.poor, item.facility if item.facility is not None else 2.0, item.code))
    return ExamReport(exam=exam.code, computed_at=timezone.now().isoformat(), attempts=count,
                      items_per_paper=items_per_paper, mean=mean, sd=sd,
                      kr20=kr20(items=items_per_paper, pq_sum=pq_sum, variance=variance) if count > 1 else None,
                      pass_percent=int(exam.pass_percent), histogram=histogram(percents), items=items)


def question_stats_write(stats: dict[int, QuestionStat]) -> int:
    """Write every question's overall statistics (they feed the blueprint's facility preference);
    questions no graded attempt holds any more lose theirs."""
    changed = [Question(pk=pk, facility=stat.facility, discrimination=stat.discrimination, stats_responses=stat.responses)
               for pk, stat in stats.items()]
    Question.objects.bulk_update(changed, ["facility", "discrimination", "stats_responses"], batch_size=500)
    stale = Question.objects.exclude(pk__in=list(stats)).filter(Q(stats_responses__gt=0) | Q(facility__isnull=False))
    stale.update(facility=None, discrimination=None, stats_responses=0)
    return len(changed)


# -- the job -----------------------------------------------------------------------------------
def _answers_total() -> int:
    return AttemptItem.objects.filter(attempt__mode=AttemptMode.EXAM, attempt__status=Attempt.Status.GRADED).count()


def analysis_start(*, exam: Exam, actor: Any) -> ExamJob:
    """Queue a recompute of the exam's item analysis (one at a time per exam). A small bank is
    computed at once, so the editor sees the result on the next page."""
    from exams.tasks import exam_job_task

    with transaction.atomic():
        waiting = (ExamJob.objects.select_for_update()
                   .filter(exam=exam, kind=ExamJob.Kind.ANALYSIS, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).first())
        if waiting is not None:
            return waiting
        total = _answers_total()
        job = ExamJob.objects.create(exam=exam, kind=ExamJob.Kind.ANALYSIS, progress_total=total,
                                     created_by=actor if getattr(actor, "pk", None) else None)
        inline = total <= INLINE_LIMIT
        if not inline:
            transaction.on_commit(lambda: exam_job_task.delay(job.pk))
    if inline:
        analysis_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def analysis_run(*, job_id: int) -> int:
    """The job: analyse, store the report, write the statistics. Safe to run twice (it claims;
    a second run of a finished job does nothing). Returns the number of attempts analysed."""
    token = job_claim(ExamJob, job_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return 0
    job = ExamJob.objects.select_related("exam").get(pk=job_id)
    exam = job.exam
    with override(job.language or None):
        try:
            report, overall = analyse(exam, progress=lambda rows: job_progress(ExamJob, job_id, token, done=rows))
        except AnalysisError:
            return 0
        except Exception:
            logger.exception("item analysis of exam %s failed", exam.pk)
            job_finish(ExamJob, job_id, token, status=JobStatus.FAILED, message=_("试题分析出错，请稍后重试"))
            return 0
        payload = json.dumps(report.as_dict(), ensure_ascii=False).encode()
        storage = private_storage()
        name = storage.save(job_result_upload_to(job, f"analysis-{exam.code}.json"), ContentFile(payload))
        message = _("已分析 %(count)s 份答卷") % {"count": report.attempts}
        with transaction.atomic():
            question_stats_write(overall)
            Exam.objects.filter(pk=exam.pk).update(kr20=report.kr20, stats_attempts=report.attempts, stats_at=timezone.now())
            answers = sum(item.n for item in report.items)
            if not job_finish(ExamJob, job_id, token, status=JobStatus.DONE, result_file=name, message=message,
                              progress_done=answers, progress_total=answers):
                # Another worker took the job over; its result stands, not this one.
                transaction.set_rollback(True)
                storage.delete(name)
                return 0
    return report.attempts


def analysis_report(exam: Exam) -> ExamReport | None:
    """The latest finished analysis of the exam, as stored by its job; None before the first."""
    job = (ExamJob.objects.filter(exam=exam, kind=ExamJob.Kind.ANALYSIS, status=JobStatus.DONE)
           .exclude(result_file="").order_by("-finished_at", "-pk").first())
    if job is None:
        return None
    try:
        with job.result_file.open("rb") as handle:
            return ExamReport.from_dict(json.loads(handle.read().decode()))
    except (OSError, ValueError, TypeError) as error:
        logger.warning("analysis report of job %s unreadable: %s", job.pk, error)
        return None


def analysis_job_running(exam: Exam) -> ExamJob | None:
    return (ExamJob.objects.filter(exam=exam, kind=ExamJob.Kind.ANALYSIS, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            .order_by("-pk").first())
