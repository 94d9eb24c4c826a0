"""Catalogues (regions, industries, hazard factors), employers, their workers and the roles of staff."""

from __future__ import annotations

import datetime
import secrets
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Job, new_public_code, private_storage
from core.scope import ScopePaths

__all__ = ["new_public_code", "private_storage"]


def roster_upload_to(instance: models.Model, filename: str) -> str:
    # A random name: the clerk's file name (花名册.xlsx) would make paths guessable.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"roster-imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"


class User(AbstractUser):
    """A login. Workers log in with their mobile number as the username."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()


class Region(models.Model):
    """A GB/T 2260 division. The six-digit code nests: a city's code starts with its province's
    first two digits and a county's with its city's first four, so a subtree is a prefix query."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("地级")
        COUNTY = 3, _("县级")

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = pgettext_lazy("plural", "行政区划")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def subtree_prefix(self) -> str:
        return self.prefix_of(self.code, self.level)

    @staticmethod
    def prefix_of(code: str, level: int) -> str:
        return {1: code[:2], 2: code[:4]}.get(level, code)

    def contains(self, code: str) -> bool:
        return code.startswith(self.subtree_prefix)


class Industry(models.Model):
    """GB/T 4754-2017: a section (门类, one letter) or a division (大类, two digits)."""

    code = models.CharField(_("行业代码"), max_length=4, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    level = models.PositiveSmallIntegerField(_("级别"), choices=[(1, _("门类")), (2, _("大类"))])

    class Meta:
        ordering = ["level", "code"]
        verbose_name = _("行业")
        verbose_name_plural = pgettext_lazy("plural", "行业")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HazardClass(models.Model):
    """One of the six classes of 《职业病危害因素分类目录》(2015)."""

    code = models.SlugField(_("代码"), max_length=20, primary_key=True)
    name = models.CharField(_("名称"), max_length=20, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("危害因素类别")
        verbose_name_plural = pgettext_lazy("plural", "危害因素类别")

    def __str__(self) -> str:
        return self.name


def split_words(value: str) -> list[str]:
    return [word for word in value.split("|") if word]


class HazardFactor(models.Model):
    """An item of the 2015 catalogue, numbered within its class as the catalogue numbers it. Rows
    come only from orgs/catalogues/hazards.csv; an item the catalogue no longer lists stays (workers,
    questions and articles may point at it) with ``in_catalogue`` off."""

    hazard_class = models.ForeignKey(HazardClass, on_delete=models.PROTECT, related_name="factors")
    number = models.PositiveSmallIntegerField(_("目录序号"), null=True, blank=True)
    # One name may stand in two classes (铀及其化合物 is a radiation factor and a chemical one).
    name = models.CharField(_("名称"), max_length=200)
    cas_no = models.CharField(_("CAS号"), max_length=120, blank=True)
    remark = models.CharField(_("备注"), max_length=120, blank=True, help_text=_("目录的备注栏，例如适用范围"))
    aliases = models.TextField(_("常用名"), blank=True, help_text=_("花名册中也认可的写法，用 | 分隔"))
    former_names = models.TextField(_("曾用名"), blank=True, help_text=_("本平台以前用过的名称，仍被认可"))
    in_catalogue = models.BooleanField(_("在目录中"), default=True)
    verified = models.BooleanField(
        _("已核对原文"), default=False, help_text=_("名称、序号和 CAS 号已与目录原文的公开文本核对（见 SOURCES.md）"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hazard_class__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["hazard_class", "number"], name="hazard_factor_number"),
            models.UniqueConstraint(fields=["hazard_class", "name"], name="hazard_factor_name"),
        ]
        verbose_name = _("职业病危害因素")
        verbose_name_plural = pgettext_lazy("plural", "职业病危害因素")

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return split_words(self.aliases)

    @property
    def former_name_list(self) -> list[str]:
        return split_words(self.former_names)


class DiseaseCatalogue(models.Model):
    """An edition of 《职业病分类和目录》; the one in force on a date is the one a record of that date uses."""

    code = models.SlugField(_("版本"), max_length=10, primary_key=True)
    title = models.CharField(_("名称"), max_length=60)
    document = models.CharField(_("文号"), max_length=40)
    issued_on = models.DateField(_("印发日期"))
    in_force_from = models.DateField(_("施行日期"))
    in_force_until = models.DateField(_("废止日期"), null=True, blank=True, help_text=_("下一版施行之日"))

    class Meta:
        ordering = ["-in_force_from"]
        verbose_name = _("职业病目录版本")
        verbose_name_plural = pgettext_lazy("plural", "职业病目录版本")

    def __str__(self) -> str:
        return f"{self.title}（{self.document}）"


class DiseaseClass(models.Model):
    catalogue = models.ForeignKey(DiseaseCatalogue, on_delete=models.PROTECT, related_name="classes")
    number = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("名称"), max_length=60)

    class Meta:
        ordering = ["-catalogue__in_force_from", "number"]
        constraints = [models.UniqueConstraint(fields=["catalogue", "number"], name="disease_class_number")]
        verbose_name = _("职业病分类")
        verbose_name_plural = pgettext_lazy("plural", "职业病分类")

    def __str__(self) -> str:
        return _("%(name)s（%(edition)s 版）") % {"name": self.name, "edition": self.catalogue_id}


class OccupationalDisease(models.Model):
    """An item of one edition of 《职业病分类和目录》, numbered within its class."""

    disease_class = models.ForeignKey(DiseaseClass, on_delete=models.PROTECT, related_name="diseases")
    number = models.PositiveSmallIntegerField(_("序号"), null=True, blank=True)
    group = models.CharField(_("小类"), max_length=60, blank=True)
    name = models.CharField(_("名称"), max_length=200)
    aliases = models.TextField(_("常用名"), blank=True, help_text=_("用 | 分隔"))
    former_names = models.TextField(_("曾用名"), blank=True)
    in_catalogue = models.BooleanField(_("在目录中"), default=True)
    verified = models.BooleanField(_("已核对原文"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-disease_class__catalogue__in_force_from", "position"]
        # Class 1 numbers its two groups (尘肺病, 其他呼吸系统疾病) separately.
        constraints = [models.UniqueConstraint(fields=["disease_class", "group", "number"], name="disease_number")]
        verbose_name = _("职业病")
        verbose_name_plural = pgettext_lazy("plural", "职业病")

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return split_words(self.aliases)


def diseases_on(day: datetime.date | None = None) -> models.Q:
    """The diseases of the edition in force on ``day`` (today): a record is read against the list
    of its own date."""
    day = day or timezone.localdate()
    return (models.Q(disease_class__catalogue__in_force_from__lte=day)
            & (models.Q(disease_class__catalogue__in_force_until__isnull=True)
               | models.Q(disease_class__catalogue__in_force_until__gt=day)))


def diseases_in_force() -> models.Q:
    """What new content is tagged with: the listed diseases of the edition in force today."""
    return models.Q(in_catalogue=True) & diseases_on()


class FixedTerm(models.Model):
    """A term of a short national list, loaded by a migration; its code appears in URLs and the API."""

    code = models.SlugField(_("代码"), max_length=30, primary_key=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Audience(FixedTerm):
    """Who content is for (主要负责人 / 管理人员 / 劳动者 / 公众): articles, courses, questions."""

    class Meta(FixedTerm.Meta):
        # The table was created by the knowledge base (cms) before exams and surveys needed it.
        db_table = "cms_audience"
        verbose_name = _("读者对象")
        verbose_name_plural = pgettext_lazy("plural", "读者对象")


class LiteracyDimension(FixedTerm):
    """One of the four dimensions of 职业健康素养, shared by articles, questions and surveys."""

    class Meta(FixedTerm.Meta):
        db_table = "cms_literacydimension"
        verbose_name = _("素养维度")
        verbose_name_plural = pgettext_lazy("plural", "素养维度")


class Employer(models.Model):
    class Size(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    name = models.CharField(_("单位名称"), max_length=120)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在地区"))
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, verbose_name=_("行业"))
    size_class = models.CharField(_("企业规模"), max_length=8, choices=Size.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = ScopePaths(employer="pk", region="region__code")

    class Meta:
        ordering = ["name"]
        verbose_name = _("用人单位")
        verbose_name_plural = pgettext_lazy("plural", "用人单位")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("部门"), max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["employer", "name"], name="department_unique_name")]
        verbose_name = _("部门")
        verbose_name_plural = pgettext_lazy("plural", "部门")

    def __str__(self) -> str:
        return self.name


class PostRole(models.TextChoices):
    """The training duty a post carries (工作场所职业卫生管理规定 2020, art. 10–11)."""

    PRINCIPAL = "principal", _("主要负责人")
    MANAGER = "manager", _("职业卫生管理人员")
    EXPOSED = "exposed", _("接害劳动者")
    OTHER = "other", _("其他")


class Worker(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="worker")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="workers")
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="workers"
    )
    name = models.CharField(_("姓名"), max_length=64)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    # Not unique: a number already used by someone outside the uploader's roster is accepted
    # without saying so (the check must not tell which numbers other employers hold); the login
    # name (User.username) is what stays unique.
    phone = models.CharField(_("手机号"), max_length=11, db_index=True)
    post = models.CharField(_("岗位"), max_length=64, blank=True)
    post_role = models.CharField(_("岗位角色"), max_length=12, choices=PostRole.choices, default=PostRole.OTHER)
    exposures = models.ManyToManyField(HazardFactor, blank=True, related_name="workers", verbose_name=_("接触危害因素"))
    hire_date = models.DateField(_("入职日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code", owner="user_id")

    class Meta:
        ordering = ["employer", "name"]
        indexes = [models.Index(fields=["employer", "is_active", "post_role"])]
        verbose_name = _("劳动者")
        verbose_name_plural = pgettext_lazy("plural", "劳动者")

    def __str__(self) -> str:
        return self.name


class EmployerAdmin(models.Model):
    """Staff who keep an employer's roster and assign its trainings."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employer_roles")
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="admins")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "employer"], name="employer_admin_unique")]
        verbose_name = _("单位管理员")
        verbose_name_plural = pgettext_lazy("plural", "单位管理员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.employer}"


class Evaluator(models.Model):
    """疾控 / 卫健 staff who read statistics for a region subtree; never raw ID numbers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evaluator_roles")
    region = models.ForeignKey(Region, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="evaluator_unique")]
        verbose_name = _("评估人员")
        verbose_name_plural = pgettext_lazy("plural", "评估人员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.region}"


class RosterImport(Job):
    """One uploaded roster file: checked first (dry run), imported only when the admin confirms.
    A background job (core.jobs): check and commit each claim the row with a lease."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        CHECKING = "checking", _("检查中")
        CHECKED = "checked", _("待确认")
        REJECTED = "rejected", _("有错误")
        IMPORTING = "importing", _("导入中")
        IMPORTED = "imported", _("已导入")
        FAILED = "failed", _("失败")

    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="roster_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    file = models.FileField(upload_to=roster_upload_to, storage=private_storage)
    original_name = models.CharField(max_length=200)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("花名册导入")
        verbose_name_plural = pgettext_lazy("plural", "花名册导入")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.UPLOADED, self.Status.CHECKING, self.Status.IMPORTING}


class ActivationCode(models.Model):
    """A single-use, expiring secret the employer admin hands a worker (a printed sheet with a QR
    code, or one at a time) to activate the account. Only its digest is stored."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="activation_codes")
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    scope_paths = ScopePaths(employer="worker__employer_id")

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("激活码")
        verbose_name_plural = pgettext_lazy("plural", "激活码")

    def __str__(self) -> str:
        return f"{self.worker} · {self.issued_at:%Y-%m-%d}"


class Employment(models.Model):
    """A finished employment, kept by the former employer for its records and inspections. The
    facts are copied as they were (department as text): nothing here follows the worker."""

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="employments")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="former_employments")
    name = models.CharField(_("姓名"), max_length=64)
    department = models.CharField(_("部门"), max_length=64, blank=True)
    post = models.CharField(_("岗位"), max_length=64, blank=True)
    post_role = models.CharField(_("岗位角色"), max_length=12, choices=PostRole.choices)
    exposures = models.ManyToManyField(HazardFactor, blank=True, related_name="+", verbose_name=_("接触危害因素"))
    hire_date = models.DateField(_("入职日期"), null=True, blank=True)
    ended_on = models.DateField(_("调出日期"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code")

    class Meta:
        ordering = ["-ended_on", "-pk"]
        verbose_name = _("任职记录")
        verbose_name_plural = pgettext_lazy("plural", "任职记录")

    def __str__(self) -> str:
        return f"{self.name} @ {self.employer}"


class Transfer(models.Model):
    """A person already on another employer's roster, listed in this employer's file. They join
    only when they confirm on their own phone, or when the former employer marks them as left."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待本人确认")
        DONE = "done", _("已加入")
        DECLINED = "declined", _("本人已拒绝")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="transfers")
    to_employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="incoming_transfers")
    roster_import = models.ForeignKey(RosterImport, on_delete=models.SET_NULL, null=True, blank=True)
    # The row of the new employer's file (cleaned): what the worker's record becomes on joining.
    facts = models.JSONField(default=dict)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    scope_paths = ScopePaths(employer="to_employer_id", owner="worker__user_id")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["worker", "to_employer"], condition=models.Q(status="pending"),
                                               name="transfer_one_pending")]
        verbose_name = _("调入申请")
        verbose_name_plural = pgettext_lazy("plural", "调入申请")

    def __str__(self) -> str:
        return f"{self.facts.get('name', '')} → {self.to_employer}"
