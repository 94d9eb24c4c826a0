"""Catalogues (regions, industries, hazard factors), employers, their workers and the roles of staff."""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orgs.idnumbers import id_number_mask


def new_public_code() -> str:
    """Opaque code for public URLs, so integer ids (and head counts) never leak."""
    return secrets.token_urlsafe(9)


def private_storage() -> FileSystemStorage:
    """Uploaded rosters hold ID numbers: they live outside MEDIA_ROOT, which a web server may serve."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)


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
        return {1: self.code[:2], 2: self.code[:4]}.get(self.level, self.code)

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


class HazardFactor(models.Model):
    hazard_class = models.ForeignKey(HazardClass, on_delete=models.PROTECT, related_name="factors")
    name = models.CharField(_("名称"), max_length=120, unique=True)
    cas_no = models.CharField(_("CAS号"), max_length=32, blank=True)
    aliases = models.CharField(
        _("常用名"), max_length=200, blank=True, help_text=_("花名册中也认可的写法，用 | 分隔")
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hazard_class__position", "position"]
        verbose_name = _("职业病危害因素")
        verbose_name_plural = pgettext_lazy("plural", "职业病危害因素")

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [alias for alias in self.aliases.split("|") if alias]


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
    phone = models.CharField(_("手机号"), max_length=11, unique=True)
    post = models.CharField(_("岗位"), max_length=64, blank=True)
    post_role = models.CharField(_("岗位角色"), max_length=12, choices=PostRole.choices, default=PostRole.OTHER)
    exposures = models.ManyToManyField(HazardFactor, blank=True, related_name="workers", verbose_name=_("接触危害因素"))
    hire_date = models.DateField(_("入职日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employer", "name"]
        indexes = [models.Index(fields=["employer", "is_active", "post_role"])]
        verbose_name = _("劳动者")
        verbose_name_plural = pgettext_lazy("plural", "劳动者")

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return id_number_mask(self.id_number)


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


class RosterImport(models.Model):
    """One uploaded roster file: checked first (dry run), imported only when the admin confirms."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        CHECKING = "checking", _("检查中")
        CHECKED = "checked", _("待确认")
        REJECTED = "rejected", _("有错误")
        IMPORTING = "importing", _("导入中")
        IMPORTED = "imported", _("已导入")
        FAILED = "failed", _("失败")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="roster_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    file = models.FileField(upload_to=roster_upload_to, storage=private_storage)
    original_name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    language = models.CharField(max_length=10, default="zh-hans", help_text=_("检查结果和错误信息使用的语言"))
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("花名册导入")
        verbose_name_plural = pgettext_lazy("plural", "花名册导入")

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.UPLOADED, self.Status.CHECKING, self.Status.IMPORTING}


class ExportLog(models.Model):
    """Who exported which personal data, when (PIPL: health and ID data are sensitive)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    employer = models.ForeignKey(Employer, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=40)
    row_count = models.PositiveIntegerField(default=0)
    masked = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出记录")
        verbose_name_plural = pgettext_lazy("plural", "导出记录")

    def __str__(self) -> str:
        return f"{self.kind} × {self.row_count}"
