"""The shared layer's records: background jobs (abstract), the export log, notifications.

Nothing here knows an app: an employer is an id and a region a GB/T 2260 code, so that every app
can use these without the shared layer importing it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scope import ScopePaths


def new_public_code() -> str:
    """Opaque code for public URLs, so integer ids (and head counts) never leak. Never starting
    with "-": the management commands take codes as arguments, where that reads as an option."""
    while True:
        code = secrets.token_urlsafe(9)
        if not code.startswith("-"):
            return code


class _PrivateStorage(LazyObject):
    """``storages["private"]`` looked up when first used, not when a model class loads: a FileField
    keeps the storage it was given for good, and without this a change of STORAGES (a test's
    override, a worker configured after import) would leave fields writing to one place while
    services read from another."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _private_storage_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty  # type: ignore[assignment]


def private_storage() -> Storage:
    """Files with personal data (uploads, generated workbooks): ``STORAGES["private"]``, a folder
    outside MEDIA_ROOT on one host, S3-compatible storage when workers run on several."""
    return _private  # type: ignore[return-value]


def job_result_upload_to(instance: models.Model, filename: str) -> str:
    return f"job-results/{timezone.now():%Y/%m}/{secrets.token_hex(16)}-{filename[-60:]}"


class JobStatus(models.TextChoices):
    """The states every job passes through; a kind of job may add its own between them."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """Background work with a progress bar and a leased claim (core.jobs).

    A worker claims a row with a conditional UPDATE that sets ``claim_token`` and ``lease_until``;
    a redelivered task may take over a claim whose lease ran out, and the reaper (a beat task)
    gives such rows back to the queue or fails them after ``max_attempts``.
    """

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    status = models.CharField(_("状态"), max_length=12, default=JobStatus.QUEUED)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    progress_done = models.PositiveIntegerField(_("已处理"), default=0)
    progress_total = models.PositiveIntegerField(_("总数"), default=0)
    language = models.CharField(max_length=10, default="zh-hans", help_text=_("检查结果和错误信息使用的语言"))
    message = models.TextField(_("信息"), blank=True)
    result_file = models.FileField(upload_to=job_result_upload_to, storage=private_storage, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Wagtail's reference index records what links to pages, images and snippets, for the admin's
    # usage counts. A job record's links (its owner, its exam) are nobody's usage, and indexing
    # them would cost every job's every save a savepoint, a read and a write.
    wagtail_reference_index_ignore = True

    class Meta:
        abstract = True

    @property
    def is_running(self) -> bool:
        """Queued or being worked on (the progress bar polls); a kind of job with states of its
        own overrides this."""
        return self.status in {JobStatus.QUEUED, JobStatus.RUNNING}

    @property
    def status_label(self) -> str:
        """The status for people: a kind's own states where it declares them, else JobStatus's."""
        display = getattr(self, "get_status_display", None)
        if display is not None:
            return str(display())
        try:
            return str(JobStatus(self.status).label)
        except ValueError:
            return self.status

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ExportLog(models.Model):
    """Who exported which personal data, when, and with which filters (PIPL art. 28, 55).

    Scoped by employer (an employer's own roster) or by region (an evaluator's workbook)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                             verbose_name=_("导出人"))
    kind = models.CharField(_("类别"), max_length=40)
    employer_id = models.PositiveBigIntegerField(_("单位"), null=True, blank=True, db_index=True)
    region_code = models.CharField(_("地区"), max_length=6, blank=True, db_index=True)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    masked = models.BooleanField(_("已脱敏"), default=True)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_paths = ScopePaths(employer="employer_id", region="region_code", owner="user_id")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出记录")
        verbose_name_plural = pgettext_lazy("plural", "导出记录")
        constraints = [models.CheckConstraint(
            condition=models.Q(employer_id__isnull=False) | ~models.Q(region_code=""), name="export_log_scoped",
        )]

    def __str__(self) -> str:
        return f"{self.kind} × {self.row_count}"


class Notification(models.Model):
    """One message in one person's inbox (core.notifications).

    ``key`` names the event it reports ("course-due:<assignment code>:2025"), unique per recipient:
    a reminder job that runs twice writes the row once, and only a newly written row is e-mailed or
    texted. ``emailed_at`` and ``texted_at`` are claimed with a conditional UPDATE before sending,
    so a message goes out at most once even if delivery is retried.
    """

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    # No index of its own: the (recipient, key) constraint and the inbox index both lead with it.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  db_index=False, verbose_name=_("收件人"))
    key = models.CharField(_("事件标识"), max_length=200)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    # Site-relative only ("/learning/…"): the inbox redirects to it, so anything else would make
    # the inbox an open redirect.
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    texted_at = models.DateTimeField(null=True, blank=True, editable=False)

    scope_paths = ScopePaths(owner="recipient_id")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = pgettext_lazy("plural", "站内消息")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The header counts unread messages on every signed-in page: a small partial index.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class UserSession(AbstractBaseSession):
    """Django's session row with the signed-in user's id beside the encoded data, so that a signed-in
    request reads its session and its user in one statement (core.sessions), and a user's sessions
    can be found (and go with the user)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")

    class Meta:
        verbose_name = _("会话")
        verbose_name_plural = pgettext_lazy("plural", "会话")

    @classmethod
    def get_session_store_class(cls) -> type:
        from core.sessions import SessionStore

        return SessionStore
