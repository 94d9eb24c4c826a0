"""Mandatory training programmes and who owes them.

A programme is a duty the law (or an editor) sets for a post role: so many 学时 on these courses,
closed by this exam. An assignment is one cycle of that duty for one worker, with its window and
due date; whether it is met is never stored but decided by learning.services.compliance from the
study ledger and the exam attempts, so no page can disagree with another.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Job, new_public_code
from core.scope import ScopePaths
from orgs.models import PostRole

__all__ = ["AssignmentSource", "ComplianceExport", "Programme", "ProgrammeKind", "TrainingAssignment"]


class ProgrammeKind(models.TextChoices):
    INITIAL = "initial", _("初次培训")
    ANNUAL = "annual", _("年度培训")
    PRE_JOB = "pre_job", _("上岗前培训")
    RETRAINING = "retraining", _("变更后再培训")


# The cycle a new person in a role starts with: a principal or manager's initial training, an
# exposed worker's pre-job training; every later year is the role's annual programme.
FIRST_KINDS = (ProgrammeKind.INITIAL, ProgrammeKind.PRE_JOB)


class Programme(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True,
                            help_text=_("英文字母、数字和连字符，例如 exposed-pre-job"))
    name = models.CharField(_("名称"), max_length=80)
    role = models.CharField(_("岗位角色"), max_length=12, choices=PostRole.choices)
    kind = models.CharField(_("类别"), max_length=12, choices=ProgrammeKind.choices)
    hazard_classes = models.ManyToManyField(
        "orgs.HazardClass", verbose_name=_("危害因素类别"), blank=True, related_name="programmes",
        help_text=_("留空表示适用于该岗位角色的所有人；选择后只适用于接触这些类别危害的人"))
    hazard_factors = models.ManyToManyField(
        "orgs.HazardFactor", verbose_name=_("危害因素"), blank=True, related_name="programmes",
        limit_choices_to={"in_catalogue": True})
    required_hours = models.DecimalField(
        _("要求学时"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])
    courses = models.ManyToManyField("learning.CoursePage", verbose_name=_("计入学时的课程"), blank=True,
                                     related_name="programmes")
    exam = models.ForeignKey("exams.Exam", verbose_name=_("结业考试"), on_delete=models.PROTECT, null=True,
                             blank=True, related_name="programmes",
                             help_text=_("考试合格并且学时达到要求才算完成；留空表示只看学时"))
    due_days = models.PositiveSmallIntegerField(
        _("完成期限（天）"), default=30, validators=[MinValueValidator(1)],
        help_text=_("从布置之日起多少天内完成；年度培训的期限是当年 12 月 31 日"))
    auto_assign = models.BooleanField(
        _("按规则自动布置"), default=False,
        help_text=_("新入职、岗位或接害变更、每年续训时由平台自动布置给符合条件的劳动者"))
    statutory = models.BooleanField(_("法定培训"), default=False, editable=False)
    legal_basis = models.TextField(_("依据"), blank=True, help_text=_("法律法规条款，显示在培训清单中"))
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("培训项目")
        verbose_name_plural = pgettext_lazy("plural", "培训项目")

    def __str__(self) -> str:
        return self.name

    @property
    def required_seconds(self) -> int:
        return int(self.required_hours * settings.MINUTES_PER_STUDY_HOUR * 60)


class AssignmentSource(models.TextChoices):
    MANUAL = "manual", _("单位布置")
    HIRE = "hire", _("新上岗")
    CHANGE = "change", _("岗位或接害变更")
    ROLLOVER = "rollover", _("年度续训")
    GUIDE = "guide", _("培训清单向导")


class TrainingAssignment(models.Model):
    """One cycle of a programme for one worker: hours count from ``starts_on`` to ``ends_on`` (an
    annual cycle ends with its year; others stay open until met), and it is due on ``due_on``."""

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="training_assignments")
    # The worker's employer when assigned: its admins see the cycle, and a transfer ends it.
    employer = models.ForeignKey("orgs.Employer", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="assignments",
                                  verbose_name=_("培训项目"))
    # Denormalised from the programme so the rules and the rollover find a role's cycles by index.
    role = models.CharField(max_length=12, choices=PostRole.choices)
    starts_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("截止日期"))
    ends_on = models.DateField(_("计时截止"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=AssignmentSource.choices,
                              default=AssignmentSource.MANUAL)
    # What the worker's post and exposures were when this cycle was set (a digest): when the
    # roster later says otherwise, pre-job training is due again.
    basis = models.CharField(max_length=64, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(_("撤销日期"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("撤销原因"), max_length=120, blank=True)

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code", owner="worker__user_id")

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            # A withdrawn cycle does not count: the same programme may be set again on the same day
            # (a mistake put right, a worker who moves employer and is listed by the new one).
            models.UniqueConstraint(fields=["worker", "programme", "starts_on"], name="assignment_unique_cycle",
                                    condition=models.Q(withdrawn_on__isnull=True)),
        ]
        indexes = [
            models.Index(fields=["employer", "due_on"], name="assignment_employer_due"),
            models.Index(fields=["worker", "role", "starts_on"], name="assignment_worker_role"),
        ]
        verbose_name = _("培训任务")
        verbose_name_plural = pgettext_lazy("plural", "培训任务")

    def __str__(self) -> str:
        return f"{self.worker} · {self.programme} · {self.due_on}"


class ComplianceExport(Job):
    """An employer's compliance workbook (a summary with a chart, and a row per assignment),
    written in the background when it is large (learning.services.compliance_export)."""

    employer = models.ForeignKey("orgs.Employer", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("培训合规导出")
        verbose_name_plural = pgettext_lazy("plural", "培训合规导出")
