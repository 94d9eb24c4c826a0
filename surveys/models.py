"""Awareness surveys: questionnaires, waves in the field, responses, and the indicators they measure.

A questionnaire is editorial (editors build it in the Wagtail admin, or import it as XLSForm);
a wave puts it in the field for a period, a region and priority groups, over a sampling frame of
strata; responses are learner records (plain rows), scored once when they arrive, so that the
indicator over a million of them is one grouped query over ``Response`` columns. Scoring rules and
every write live in ``surveys.services``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from core.models import Job, new_public_code, private_storage
from core.scope import ScopePaths
from orgs.models import PostRole

# The four dimensions of 职业健康素养 are a national fact (the literacy monitoring questionnaire):
# each has a pair of columns on Response, so that the strata × dimension table is one grouped query.
DIMENSION_COLUMNS: dict[str, tuple[str, str]] = {
    "law": ("earned_law", "possible_law"),
    "protection_knowledge": ("earned_knowledge", "possible_knowledge"),
    "protection_skills": ("earned_skills", "possible_skills"),
    "healthy_behaviour": ("earned_behaviour", "possible_behaviour"),
}


class ItemKind(models.TextChoices):
    RESPONDENT = "respondent", _("基本情况")
    KNOWLEDGE = "knowledge", _("知识题")
    BEHAVIOUR = "behaviour", _("行为题")
    NOTE = "note", _("说明")


class ItemType(models.TextChoices):
    """What the respondent does; named after XLSForm's types, into which each one exports."""

    SELECT_ONE = "select_one", _("单选")
    SELECT_MULTIPLE = "select_multiple", _("多选")
    TRUE_FALSE = "true_false", _("判断")
    INTEGER = "integer", _("整数")
    TEXT = "text", _("文本")
    NOTE = "note", _("说明文字")


class RespondentField(models.TextChoices):
    """The respondent facts a questionnaire may ask, each stored in its own Response column."""

    REGION = "region", _("所在地区")
    INDUSTRY = "industry", _("行业")
    EMPLOYER_SIZE = "employer_size", _("企业规模")
    GROUP = "group", _("岗位类别")
    SEX = "sex", _("性别")
    AGE_GROUP = "age_group", _("年龄组")
    EDUCATION = "education", _("文化程度")
    YEARS_EXPOSED = "years_exposed", _("接害工龄")
    HAZARDS = "hazards", _("接触危害因素")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class AgeGroup(models.TextChoices):
    UNDER_25 = "lt25", _("25岁以下")
    FROM_25 = "25-34", _("25–34岁")
    FROM_35 = "35-44", _("35–44岁")
    FROM_45 = "45-54", _("45–54岁")
    FROM_55 = "ge55", _("55岁及以上")


class Education(models.TextChoices):
    PRIMARY = "primary", _("小学及以下")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专/技校")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科及以上")


class Indicator(models.Model):
    """A measured quantity with its definition: 知晓率 itself, or a behaviour rate tied to a behaviour
    item (e.g. 防噪音耳塞或耳罩正确佩戴率). Targets are data, per region and year."""

    class Kind(models.TextChoices):
        AWARENESS = "awareness", _("知晓率")
        BEHAVIOUR = "behaviour", _("行为形成率")

    code = models.SlugField(_("代码"), max_length=40, primary_key=True)
    name = models.CharField(_("名称"), max_length=80, unique=True)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    definition = models.TextField(_("定义"), help_text=_("分子、分母和口径，显示在看板和工作簿上"))

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("指标")
        verbose_name_plural = pgettext_lazy("plural", "指标")

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """A plan's target for one indicator, region (none: national) and year. A region without its
    own target inherits its nearest ancestor's (surveys.services.targets)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("指标"))
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("地区"), help_text=_("留空表示全国"))
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    value = models.DecimalField(_("目标值"), max_digits=5, decimal_places=4,
                                validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
                                help_text=_("比例，例如 0.85 表示 85%"))
    source = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("规划文件名称和条款"))

    class Meta:
        ordering = ["indicator", "region", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year"], name="target_unique"),
            models.UniqueConstraint(fields=["indicator", "year"], condition=models.Q(region__isnull=True),
                                    name="target_unique_national"),
        ]
        verbose_name = _("目标")
        verbose_name_plural = pgettext_lazy("plural", "目标")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.region_id or '000000'} {self.year}: {self.value}"


class Questionnaire(ClusterableModel):
    """A questionnaire: respondent, knowledge and behaviour items. Once a wave has responses its
    scoring items are frozen (surveys.services.questionnaires refuses the change)."""

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    title = models.CharField(_("标题"), max_length=120)
    intro = models.TextField(_("说明"), blank=True, help_text=_("答题前显示：目的、匿名承诺、大约用时"))
    form_id = models.SlugField(_("表单代码"), max_length=60, unique=True,
                               help_text=_("XLSForm settings 表中的 form_id"))
    version = models.CharField(_("版本"), max_length=30, blank=True)
    threshold = models.DecimalField(
        _("知晓标准"), max_digits=3, decimal_places=2, default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(1))],
        help_text=_("得分率达到该比例即为知晓（具备）"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("调查问卷")
        verbose_name_plural = pgettext_lazy("plural", "调查问卷")

    def __str__(self) -> str:
        return self.title


class Item(Orderable):
    """One question of a questionnaire. ``code`` is XLSForm's ``name`` and the paper template's column."""

    questionnaire = ParentalKey(Questionnaire, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("题目代码"), max_length=40, help_text=_("字母、数字、下划线，问卷内唯一"))
    kind = models.CharField(_("类别"), max_length=12, choices=ItemKind.choices, default=ItemKind.KNOWLEDGE)
    type = models.CharField(_("题型"), max_length=16, choices=ItemType.choices, default=ItemType.SELECT_ONE)
    label = models.TextField(_("题目"))
    hint = models.CharField(_("提示"), max_length=300, blank=True)
    # [{"value": "a", "label": "…"}, …]; true/false items use the values "true" and "false".
    choices = models.JSONField(_("选项"), default=list, blank=True)
    # Knowledge items: the correct choice value(s); multiple choice scores all or nothing.
    answer = models.JSONField(_("答案"), default=list, blank=True)
    points = models.PositiveSmallIntegerField(_("分值"), default=1)
    dimension = models.ForeignKey("orgs.LiteracyDimension", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("素养维度"))
    respondent_field = models.CharField(_("对应基本信息"), max_length=16, choices=RespondentField.choices, blank=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="items",
                                  verbose_name=_("行为指标"), help_text=_("行为题计入的指标"))
    # Behaviour items: the choice value that counts as the behaviour, and the one meaning "does not apply".
    yes_value = models.CharField(_("计为“是”的选项"), max_length=40, blank=True)
    not_applicable_value = models.CharField(_("“不适用”选项"), max_length=40, blank=True)
    relevant = models.CharField(_("显示条件"), max_length=500, blank=True,
                                help_text=_("XLSForm 的 relevant 表达式，例如 ${noise} = 'yes'"))
    required = models.BooleanField(_("必答"), default=True)
    min_value = models.IntegerField(_("最小值"), null=True, blank=True)
    max_value = models.IntegerField(_("最大值"), null=True, blank=True)
    source_version = models.ForeignKey("exams.QuestionVersion", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", editable=False, verbose_name=_("来源试题版本"))

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="survey_item_unique_code")]
        verbose_name = _("题目")
        verbose_name_plural = pgettext_lazy("plural", "题目")

    def __str__(self) -> str:
        return f"{self.code}: {self.label[:30]}"

    @property
    def choice_values(self) -> list[str]:
        return [str(choice.get("value", "")) for choice in self.choices]


class Wave(models.Model):
    """A questionnaire in the field for a period, a region and priority groups."""

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="waves",
                                      verbose_name=_("问卷"))
    title = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("调查地区"))
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    # PostRole values; empty means every group.
    groups = models.JSONField(_("重点人群"), default=list, blank=True)
    open_link = models.BooleanField(
        _("公开链接可答"), default=True,
        help_text=_("关闭后只接受登录的劳动者或一次性答题码；开启时每部手机一份"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Waves inside an evaluator's region; a wave over a larger area that contains it is found by
    # surveys.selectors.waves_in_reach, which then limits the figures to the evaluator's part.
    scope_paths = ScopePaths(region="region__code")

    class Meta:
        ordering = ["-opens_at"]
        constraints = [models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")),
                                              name="wave_closes_after_opening")]
        verbose_name = _("调查轮次")
        verbose_name_plural = pgettext_lazy("plural", "调查轮次")

    def __str__(self) -> str:
        return self.title

    @property
    def year(self) -> int:
        return timezone.localtime(self.opens_at).year

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    @property
    def group_labels(self) -> list[str]:
        return [str(PostRole(group).label) for group in self.groups if group in PostRole.values]


class Stratum(models.Model):
    """One cell of a wave's sampling frame: region × industry × group, with its population and quota.
    Weight of a response = population ÷ responses in the stratum."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="strata")
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    industry = models.ForeignKey("orgs.Industry", on_delete=models.PROTECT, related_name="+", verbose_name=_("行业"))
    group = models.CharField(_("人群"), max_length=12, choices=PostRole.choices)
    population = models.PositiveIntegerField(_("总体人数"))
    quota = models.PositiveIntegerField(_("样本配额"), null=True, blank=True, help_text=_("留空表示不限"))

    # An evaluator of a city sees the strata of a provincial wave that lie in their city.
    scope_paths = ScopePaths(region="region__code")

    class Meta:
        ordering = ["region", "industry", "group"]
        constraints = [models.UniqueConstraint(fields=["wave", "region", "industry", "group"], name="stratum_unique")]
        verbose_name = _("抽样层")
        verbose_name_plural = pgettext_lazy("plural", "抽样层")

    def __str__(self) -> str:
        return f"{self.region_id}·{self.industry_id}·{self.get_group_display()}"


class WaveLink(models.Model):
    """A link (and its QR code) to a wave: one for the whole wave, or one per employer, so responses
    from an employer's link carry its region, industry and size."""

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="links")
    employer = models.ForeignKey("orgs.Employer", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("用人单位"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = ScopePaths(region="wave__region__code")

    class Meta:
        ordering = ["wave", "employer"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "employer"], name="wave_link_unique_employer"),
            models.UniqueConstraint(fields=["wave"], condition=models.Q(employer__isnull=True),
                                    name="wave_link_unique_general"),
        ]
        verbose_name = _("调查链接")
        verbose_name_plural = pgettext_lazy("plural", "调查链接")

    def __str__(self) -> str:
        return f"{self.wave_id}:{self.employer_id or '-'}"


class ResponseToken(models.Model):
    """A one-time answering code: printed on a sheet for a wave (``issued``), or handed to a phone
    that opened an open link (``link``). Used by exactly one response."""

    class Origin(models.TextChoices):
        ISSUED = "issued", _("发放的答题码")
        LINK = "link", _("公开链接")

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="tokens")
    link = models.ForeignKey(WaveLink, on_delete=models.CASCADE, null=True, blank=True, related_name="tokens")
    token = models.CharField(max_length=32, unique=True)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["wave", "used_at"])]
        verbose_name = _("答题码")
        verbose_name_plural = pgettext_lazy("plural", "答题码")

    def __str__(self) -> str:
        return f"{self.wave_id}:{self.token[:4]}…"


class Response(models.Model):
    """One respondent's answers, scored when it arrived. Holds no name, ID number or phone: a signed-in
    worker is linked only to refuse a second response."""

    class Source(models.TextChoices):
        ONLINE = "online", _("在线")
        PAPER = "paper", _("纸质录入")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    stratum = models.ForeignKey(Stratum, on_delete=models.PROTECT, null=True, blank=True, related_name="responses")
    link = models.ForeignKey(WaveLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    token = models.OneToOneField(ResponseToken, on_delete=models.PROTECT, null=True, blank=True, related_name="response")
    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.ONLINE)
    # Paper questionnaires keep their sheet number, so a re-entered sheet is refused.
    paper_number = models.CharField(_("问卷编号"), max_length=40, blank=True)
    # Respondent facts (de-identified: no name, ID number or phone anywhere in this row).
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    industry = models.ForeignKey("orgs.Industry", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    employer_size = models.CharField(max_length=8, blank=True)
    group = models.CharField(max_length=12, blank=True)
    sex = models.CharField(max_length=8, blank=True)
    age_group = models.CharField(max_length=8, blank=True)
    education = models.CharField(max_length=10, blank=True)
    years_exposed = models.PositiveSmallIntegerField(null=True, blank=True)
    hazards = models.JSONField(default=list, blank=True)
    # The score, computed once by surveys.services.scoring.
    points_earned = models.PositiveIntegerField(default=0)
    points_possible = models.PositiveIntegerField(default=0)
    knowledge_correct = models.PositiveSmallIntegerField(default=0)
    knowledge_items = models.PositiveSmallIntegerField(default=0)
    earned_law = models.PositiveSmallIntegerField(default=0)
    possible_law = models.PositiveSmallIntegerField(default=0)
    earned_knowledge = models.PositiveSmallIntegerField(default=0)
    possible_knowledge = models.PositiveSmallIntegerField(default=0)
    earned_skills = models.PositiveSmallIntegerField(default=0)
    possible_skills = models.PositiveSmallIntegerField(default=0)
    earned_behaviour = models.PositiveSmallIntegerField(default=0)
    possible_behaviour = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    # By the respondent's own region: a city's evaluator reads its part of a provincial wave.
    scope_paths = ScopePaths(region="region__code")

    class Meta:
        ordering = ["wave", "submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "worker"], condition=models.Q(worker__isnull=False),
                                    name="response_one_per_worker"),
            models.UniqueConstraint(fields=["wave", "paper_number"], condition=~models.Q(paper_number=""),
                                    name="response_one_per_paper"),
        ]
        indexes = [models.Index(fields=["wave", "stratum"])]
        verbose_name = _("答卷")
        verbose_name_plural = pgettext_lazy("plural", "答卷")

    def __str__(self) -> str:
        return self.code

    @property
    def score_rate(self) -> float:
        return self.points_earned / self.points_possible if self.points_possible else 0.0


class Answer(models.Model):
    """One item's answer in a response: a choice value, a list of values, a number or text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    value = models.JSONField(null=True)
    # Knowledge items only: all-or-nothing; unanswered (or skipped) counts as wrong.
    correct = models.BooleanField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="answer_unique")]
        indexes = [models.Index(fields=["item", "correct"])]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.item_id}"


class SurveyImport(Job):
    """An uploaded survey file (XLSForm, sampling frame, paper responses): checked, then written on confirm."""

    class Kind(models.TextChoices):
        XLSFORM = "xlsform", _("XLSForm 问卷")
        FRAME = "frame", _("抽样框")
        PAPER = "paper", _("纸质问卷录入")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    file = models.FileField(upload_to="survey-imports/%Y/%m", storage=private_storage)
    original_name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    skipped = models.JSONField(default=list, blank=True)

    # The uploader follows the check's progress bar; nobody else sees the file exists.
    scope_paths = ScopePaths(owner="created_by_id")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("问卷文件导入")
        verbose_name_plural = pgettext_lazy("plural", "问卷文件导入")


class AwarenessExport(Job):
    """The awareness workbook (xlsx) or the de-identified responses as SPSS .sav, built by a job and kept."""

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel 工作簿")
        SAV = "sav", _("SPSS 数据文件")

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.XLSX)
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               help_text=_("导出范围：评估人员所辖地区"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    scope_paths = ScopePaths(region="wave__region__code", owner="requested_by_id")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("知晓率导出")
        verbose_name_plural = pgettext_lazy("plural", "知晓率导出")
