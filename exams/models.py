"""Question bank, exams, attempts, certificates and item statistics.

A question's content is copied into an immutable ``QuestionVersion`` each time it changes; papers
and attempts point at versions, never at the live question, so editing the bank never changes a
past grade. An attempt is drawn (its paper: versions and option order) before the worker starts,
ahead of a synchronized start when the window opens (exams.services.papers).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from core.models import Job, new_public_code, private_storage
from core.scope import ScopePaths
from orgs.models import diseases_in_force

OPTION_LETTERS = "ABCDEFGH"


def verification_code() -> str:
    """Printed on the certificate and typed by whoever checks it: upper-case, no 0/O or 1/I."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    TRUE_FALSE = "truefalse", _("判断题")


class Category(models.Model):
    """A knowledge domain of the bank (分类), a tree written as a path: 法律法规/职业病防治法.
    Moodle's ``$course$/…`` category paths map onto it."""

    path = models.CharField(pgettext_lazy("question bank", "分类"), max_length=200, unique=True,
                            help_text=_("用 / 分隔上下级，例如 法律法规/职业病防治法"))
    name = models.CharField(_("名称"), max_length=60, editable=False)
    depth = models.PositiveSmallIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("题库分类")
        verbose_name_plural = pgettext_lazy("plural", "题库分类")

    def __str__(self) -> str:
        return self.path


class Question(models.Model):
    """The editable head of a question. Its content fields are what the admin edits; each change
    of content is frozen into a new ``QuestionVersion`` by exams.services.bank."""

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    stem = models.TextField(_("题干"))
    image = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("题图")
    )
    option_a = models.CharField(_("选项A"), max_length=300, blank=True)
    option_b = models.CharField(_("选项B"), max_length=300, blank=True)
    option_c = models.CharField(_("选项C"), max_length=300, blank=True)
    option_d = models.CharField(_("选项D"), max_length=300, blank=True)
    option_e = models.CharField(_("选项E"), max_length=300, blank=True)
    option_f = models.CharField(_("选项F"), max_length=300, blank=True)
    option_g = models.CharField(_("选项G"), max_length=300, blank=True)
    option_h = models.CharField(_("选项H"), max_length=300, blank=True)
    answer = models.CharField(
        _("答案"), max_length=8, help_text=_("选项字母，例如 B 或 ABD；判断题填 对 或 错")
    )
    explanation = models.TextField(_("解析"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="questions",
        verbose_name=pgettext_lazy("question bank", "分类"),
    )
    hazard_class = models.ForeignKey(
        "orgs.HazardClass", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("危害因素类别")
    )
    hazard_factor = models.ForeignKey(
        "orgs.HazardFactor", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("危害因素"),
        limit_choices_to={"in_catalogue": True},
    )
    disease = models.ForeignKey(
        "orgs.OccupationalDisease", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("职业病"), limit_choices_to=diseases_in_force,
    )
    audiences = models.ManyToManyField("orgs.Audience", blank=True, related_name="+", verbose_name=_("适用对象"))
    dimension = models.ForeignKey(
        "orgs.LiteracyDimension", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("素养维度"),
    )
    difficulty = models.PositiveSmallIntegerField(
        _("难度"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("1 最易，5 最难")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # Normalised stem + options, to refuse a second copy of the same question on import.
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    current_version = models.ForeignKey(
        "QuestionVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # Item statistics, refreshed by exams.services.analysis from graded exam attempts.
    facility = models.FloatField(_("通过率"), null=True, blank=True, editable=False)
    discrimination = models.FloatField(_("区分度"), null=True, blank=True, editable=False)
    stats_responses = models.PositiveIntegerField(_("作答人次"), default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__path", "pk"]
        indexes = [models.Index(fields=["is_active", "category", "difficulty"])]
        verbose_name = _("试题")
        verbose_name_plural = pgettext_lazy("plural", "试题")

    def __str__(self) -> str:
        return self.stem[:40]

    @property
    def options(self) -> list[str]:
        """The options in letter order, trailing empty ones dropped."""
        values = [getattr(self, f"option_{letter.lower()}") for letter in OPTION_LETTERS]
        while values and not values[-1]:
            values.pop()
        return values


class QuestionVersion(models.Model):
    """What a question said at one moment: never edited, so an attempt shows and grades it as it was."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    stem = models.TextField()
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    options = models.JSONField(default=list)
    answer = models.CharField(max_length=8)
    explanation = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="question_version_unique")]
        verbose_name = _("试题版本")
        verbose_name_plural = pgettext_lazy("plural", "试题版本")

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"


class ReviewPolicy(models.TextChoices):
    NEVER = "never", _("不允许查看答案")
    AFTER_SUBMIT = "after_submit", _("交卷后即可查看")
    AFTER_CLOSE = "after_close", _("考试关闭后查看")


class GradedAttempt(models.TextChoices):
    BEST = "best", _("最高分")
    LAST = "last", _("最后一次")
    FIRST = "first", _("第一次")


class Exam(ClusterableModel):
    """An exam: its blueprint (rules), timing, pass mark, attempts, window, review and certificate.

    Editors make exams in the admin. Employer admins assign a published exam to their own workers
    (``ExamAssignment``); an editor may open it to every worker (``open_to_all``).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        ARCHIVED = "archived", _("已归档")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    title = models.CharField(_("考试名称"), max_length=120)
    description = models.TextField(pgettext_lazy("exam", "说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    audiences = models.ManyToManyField("orgs.Audience", blank=True, related_name="+", verbose_name=_("适用对象"))
    time_limit_minutes = models.PositiveSmallIntegerField(_("考试时长（分钟）"), default=60, validators=[MinValueValidator(1)])
    pass_percent = models.PositiveSmallIntegerField(
        _("及格线（%）"), default=settings.EXAM_PASS_PERCENT, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(_("允许次数"), default=3, help_text=_("0 表示不限次数"))
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    review = models.CharField(_("查看答案"), max_length=14, choices=ReviewPolicy.choices, default=ReviewPolicy.AFTER_SUBMIT)
    graded_attempt = models.CharField(_("计分方式"), max_length=6, choices=GradedAttempt.choices, default=GradedAttempt.BEST)
    certifies = models.BooleanField(_("合格发证"), default=False)
    certificate_hours = models.DecimalField(
        _("证书学时"), max_digits=5, decimal_places=1, null=True, blank=True, help_text=_("证书上注明的培训学时，可不填")
    )
    partial_credit = models.BooleanField(_("多选题按比例得分"), default=False, help_text=_("默认全对才得分"))
    points_single = models.DecimalField(_("单选题分值"), max_digits=5, decimal_places=1, default=Decimal("2"))
    points_multiple = models.DecimalField(_("多选题分值"), max_digits=5, decimal_places=1, default=Decimal("3"))
    points_truefalse = models.DecimalField(_("判断题分值"), max_digits=5, decimal_places=1, default=Decimal("1"))
    facility_min = models.FloatField(
        _("优先通过率下限"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("抽题时优先选择历史通过率在此范围内的试题，例如 0.3"),
    )
    facility_max = models.FloatField(
        _("优先通过率上限"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("例如 0.9"),
    )
    open_to_all = models.BooleanField(_("向所有劳动者开放"), default=False)
    # Bumped by every blueprint change: papers drawn under an older blueprint are not handed out.
    blueprint_version = models.PositiveIntegerField(default=1, editable=False)
    papers_generated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Item analysis of the exam as a whole (exams.services.analysis).
    kr20 = models.FloatField("KR-20", null=True, blank=True, editable=False)
    stats_attempts = models.PositiveIntegerField(_("已分析答卷"), default=0, editable=False)
    stats_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("考试")
        verbose_name_plural = pgettext_lazy("plural", "考试")

    def __str__(self) -> str:
        return self.title

    def is_open(self, at: timezone.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.PUBLISHED and self.opens_at <= at < self.closes_at

    def points_for(self, kind: str) -> Decimal:
        return {
            QuestionKind.SINGLE: self.points_single,
            QuestionKind.MULTIPLE: self.points_multiple,
            QuestionKind.TRUE_FALSE: self.points_truefalse,
        }[QuestionKind(kind)]


class BlueprintRule(models.Model):
    """How many questions of one kind of content a paper draws: category (with its sub-categories),
    dimension, hazard class, question type and difficulty, each optional."""

    exam = ParentalKey(Exam, on_delete=models.CASCADE, related_name="rules")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True,
                                 verbose_name=pgettext_lazy("question bank", "分类"))
    dimension = models.ForeignKey(
        "orgs.LiteracyDimension", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("素养维度")
    )
    hazard_class = models.ForeignKey(
        "orgs.HazardClass", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("危害因素类别")
    )
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("难度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("不填表示不限")
    )
    count = models.PositiveSmallIntegerField(_("题数"), validators=[MinValueValidator(1)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["exam", "position", "pk"]
        verbose_name = _("组卷规则")
        verbose_name_plural = pgettext_lazy("plural", "组卷规则")

    def __str__(self) -> str:
        return f"{self.exam_id}: {self.count}"


class ExamAssignment(models.Model):
    """An exam a worker must sit, given by the worker's employer admin."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="assignments")
    worker = models.ForeignKey("orgs.Worker", on_delete=models.CASCADE, related_name="exam_assignments")
    employer = models.ForeignKey("orgs.Employer", on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code", owner="worker__user_id")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exam", "worker"], name="exam_assignment_unique")]
        verbose_name = _("考试安排")
        verbose_name_plural = pgettext_lazy("plural", "考试安排")

    def __str__(self) -> str:
        return f"{self.exam_id} → {self.worker_id}"


class ExamOverride(models.Model):
    """One worker's exception (Moodle's user override): extra minutes and extra attempts, given by
    the worker's employer admin, e.g. for a worker who reads slowly."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="overrides")
    worker = models.ForeignKey("orgs.Worker", on_delete=models.CASCADE, related_name="exam_overrides")
    extra_minutes = models.PositiveSmallIntegerField(_("延长时间（分钟）"), default=0)
    extra_attempts = models.PositiveSmallIntegerField(_("增加次数"), default=0)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    granted_at = models.DateTimeField(auto_now=True)

    scope_paths = ScopePaths(employer="worker__employer_id", region="worker__employer__region__code")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exam", "worker"], name="exam_override_unique")]
        verbose_name = _("个人考试设置")
        verbose_name_plural = pgettext_lazy("plural", "个人考试设置")

    def __str__(self) -> str:
        return f"{self.exam_id} / {self.worker_id}: +{self.extra_minutes}"


class AttemptMode(models.TextChoices):
    EXAM = "exam", _("正式考试")
    MOCK = "mock", _("模拟考试")
    PRACTICE = "practice", _("练习")


class Attempt(models.Model):
    """One paper and its answers. Drawn ahead as READY (perhaps for nobody yet), OPEN once the
    worker starts, GRADED once submitted or past its deadline; grading happens in one transaction,
    so an attempt is open or graded, never half-graded."""

    # Not in Wagtail's reference index (the admin's usage counts): an attempt is a record of a
    # sitting, not a use of its exam, and an exam campaign saves thousands of them at once.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        READY = "ready", _("待开始")
        OPEN = "open", _("作答中")
        GRADED = "graded", _("已评分")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    mode = models.CharField(max_length=10, choices=AttemptMode.choices, default=AttemptMode.EXAM)
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts")
    worker = models.ForeignKey("orgs.Worker", on_delete=models.CASCADE, null=True, blank=True, related_name="exam_attempts")
    # The worker's employer when the attempt started: results stay with the employer they were made for.
    employer = models.ForeignKey("orgs.Employer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.READY)
    blueprint_version = models.PositiveIntegerField(default=1)
    # Practice sets: what was asked for (顺序/随机, dimension, hazard class, 错题本), for the page's title.
    practice = models.JSONField(default=dict, blank=True)
    number = models.PositiveSmallIntegerField(_("第几次"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    deadline = models.DateTimeField(_("截止时间"), null=True, blank=True)
    graded_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    # The one device allowed to answer: opening the attempt elsewhere replaces the token.
    device_token = models.CharField(max_length=32, blank=True)
    device_since = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=1, null=True, blank=True)
    max_score = models.DecimalField(_("满分"), max_digits=6, decimal_places=1, default=Decimal("0"))
    percent = models.FloatField(_("得分率"), null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True, blank=True)
    submitted_by_deadline = models.BooleanField(default=False, help_text=_("到时由系统交卷"))

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code", owner="worker__user_id")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["exam", "status", "blueprint_version"]),
            models.Index(fields=["worker", "mode", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]
        verbose_name = _("答卷")
        verbose_name_plural = pgettext_lazy("plural", "答卷")

    def __str__(self) -> str:
        return self.code

    @property
    def is_graded(self) -> bool:
        return self.status == self.Status.GRADED

    def is_expired(self, at: timezone.datetime | None = None) -> bool:
        """Past the deadline and its grace: no answer is taken, the attempt is graded as it stands."""
        if self.deadline is None:
            return False
        return (at or timezone.now()) > self.deadline + timedelta(seconds=settings.EXAM_GRACE_SECONDS)


class AttemptItem(models.Model):
    """One question of a paper, in its position, with its option order and the worker's answer.

    ``option_order`` lists the version's option letters in the order shown: "CADB" shows C first.
    ``response`` is kept in the version's own letters, so grading and review need no mapping back.
    """

    # No index of its own: attempt_item_unique (attempt, position) serves every lookup by attempt,
    # and a paper drawn ahead writes one index fewer per question.
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items", db_index=False)
    position = models.PositiveSmallIntegerField()
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    option_order = models.CharField(max_length=8)
    points_possible = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal("1"))
    response = models.CharField(max_length=8, blank=True)
    flagged = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    points = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="attempt_item_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"


class WrongAnswer(models.Model):
    """错题本: a question this worker got wrong, until they answer it right in practice."""

    worker = models.ForeignKey("orgs.Worker", on_delete=models.CASCADE, related_name="wrong_answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    times_wrong = models.PositiveIntegerField(default=1)
    last_wrong_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "question"], name="wrong_answer_unique")]
        indexes = [models.Index(fields=["worker", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.worker_id} ✗ {self.question_id}"


class Certificate(Job):
    """A certificate for a passed certifying exam. Rendered (PNG and PDF) by a background job;
    ``status`` is the rendering's (core.jobs), validity is ``revoked_at``. Never deleted: a revoked
    certificate still answers its verification code as revoked."""

    verification = models.CharField(_("验证码"), max_length=12, unique=True, default=verification_code, editable=False)
    attempt = models.OneToOneField(Attempt, on_delete=models.PROTECT, related_name="certificate")
    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="certificates")
    employer = models.ForeignKey("orgs.Employer", on_delete=models.PROTECT, related_name="+")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="certificates")
    # What the certificate says, fixed when it is issued (a later rename does not change a certificate).
    holder_name = models.CharField(_("姓名"), max_length=64)
    holder_id_masked = models.CharField(_("身份证号"), max_length=18)
    employer_name = models.CharField(_("单位"), max_length=120)
    exam_title = models.CharField(_("考试"), max_length=120)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, null=True, blank=True)
    score_percent = models.FloatField(_("得分率"))
    issued_on = models.DateField(_("发证日期"))
    png = models.FileField(upload_to="certificates/%Y/%m", storage=private_storage, blank=True)
    pdf = models.FileField(upload_to="certificates/%Y/%m", storage=private_storage, blank=True)
    # What the holder lets the public verify page show besides valid / revoked.
    show_name = models.BooleanField(_("验证页显示姓名"), default=True)
    show_employer = models.BooleanField(_("验证页显示单位"), default=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code", owner="worker__user_id")

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("证书")
        verbose_name_plural = pgettext_lazy("plural", "证书")

    def __str__(self) -> str:
        return self.verification

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


class ExamJob(Job):
    """Background work on one exam: drawing papers ahead of the window, item analysis."""

    class Kind(models.TextChoices):
        PAPERS = "papers", _("预生成试卷")
        ANALYSIS = "analysis", _("试题分析")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("考试任务")
        verbose_name_plural = pgettext_lazy("plural", "考试任务")


class ResultsExport(Job):
    """An employer admin's results workbook, written in the background when it is large."""

    employer = models.ForeignKey("orgs.Employer", on_delete=models.CASCADE, related_name="+")
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("成绩导出")
        verbose_name_plural = pgettext_lazy("plural", "成绩导出")


class BankImport(Job):
    """An uploaded bank file (xlsx template or Moodle XML): checked first, written on confirm."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "xlsx"
        MOODLE = "moodle", "Moodle XML"

    format = models.CharField(max_length=8, choices=Format.choices)
    file = models.FileField(upload_to="bank-imports/%Y/%m", storage=private_storage)
    original_name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    skipped = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("题库导入")
        verbose_name_plural = pgettext_lazy("plural", "题库导入")
