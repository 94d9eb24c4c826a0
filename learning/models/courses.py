"""Courses and lessons (Wagtail pages) and the learner's records: enrolments, lesson progress, the
study sessions and heartbeats kept as evidence, and the 学时 ledger that sums them.

Editorial content is pages; everything a learner does is a plain model that points at a page
(STYLE.md, rule 3), so a republished lesson never touches anyone's hours.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList, TabbedInterface
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.search import NgramSearchField
from core.models import Job, new_public_code
from core.scope import ScopePaths
from learning.forms import CoursePageForm
from orgs.models import Audience, LiteracyDimension, PostRole, diseases_in_force

__all__ = [
    "CourseIndexPage", "CoursePage", "Enrolment", "Heartbeat", "LessonCheckQuestion", "LessonPage",
    "LessonProgress", "PostRole", "StudyDay", "StudyDevice", "StudyHours", "StudyHoursExport", "StudySession",
]


class CourseIndexPage(Page):
    """The course catalogue (/courses/ in the demo): every live course, filtered by audience."""

    intro = models.TextField(_("简介"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["learning.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("课程目录")
        verbose_name_plural = pgettext_lazy("plural", "课程目录")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from learning.page_views import course_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_index_context(self, request))
        return context


class CoursePage(Page):
    """A course: lessons are its child pages, in the tree's order."""

    summary = models.TextField(_("简介"), max_length=300, help_text=_("课程列表中显示，300 字以内"))
    cover = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("封面图"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # The training duty a course serves (PostRole values): the programmes match on these.
    audience_roles = models.JSONField(_("面向岗位角色"), default=list, blank=True)
    audiences = ParentalManyToManyField(Audience, verbose_name=_("读者对象"), blank=True, related_name="courses")
    hazard_factors = ParentalManyToManyField(
        "orgs.HazardFactor", verbose_name=_("危害因素"), blank=True, related_name="courses",
        limit_choices_to={"in_catalogue": True},
    )
    diseases = ParentalManyToManyField(
        "orgs.OccupationalDisease", verbose_name=_("职业病"), blank=True, related_name="courses",
        limit_choices_to=diseases_in_force, help_text=_("《职业病分类和目录》现行版中的病名"),
    )
    hazard_classes = ParentalManyToManyField(
        "orgs.HazardClass", verbose_name=_("危害因素类别"), blank=True, related_name="courses"
    )
    dimensions = ParentalManyToManyField(LiteracyDimension, verbose_name=_("素养维度"), blank=True, related_name="courses")

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("cover")]
    tag_panels = [
        FieldPanel("audience_roles"),
        FieldPanel("audiences"),
        FieldPanel("hazard_classes"),
        FieldPanel("hazard_factors"),
        FieldPanel("diseases"),
        FieldPanel("dimensions"),
    ]
    edit_handler = TabbedInterface([
        ObjectList(content_panels, heading=_("内容")),
        ObjectList(tag_panels, heading=_("分类")),
        ObjectList(Page.promote_panels, heading=_("推广")),
        ObjectList(Page.settings_panels, heading=_("设置")),
    ])
    search_fields = [
        *Page.search_fields,
        NgramSearchField("title", boost=5),
        NgramSearchField("summary", boost=2),
    ]
    parent_page_types = ["learning.CourseIndexPage"]
    subpage_types = ["learning.LessonPage"]
    base_form_class = CoursePageForm

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = pgettext_lazy("plural", "课程")

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from learning.page_views import course_serve

        return course_serve(self, request)

    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        from learning.page_views import course_serve

        return course_serve(self, request)


class LessonPage(RoutablePageMixin, Page):
    """One lesson: a body in the shared blocks (video included) and the minutes it credits."""

    summary = models.CharField(_("简介"), max_length=200, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("正文"))
    credited_minutes = models.PositiveIntegerField(
        _("学习时长（分钟）"), default=10,
        help_text=_("完成本课时计入的学习时间；实际计时不超过它加上允许的余量"),
    )
    check_pass_count = models.PositiveSmallIntegerField(
        _("小测验需答对题数"), default=0, help_text=_("0 表示答对全部题目"),
    )
    # Whether the body holds a video file of our own, kept with every save so that a heartbeat
    # need not load (and decode) the body to apply the video rule.
    tracks_video = models.BooleanField(default=False, editable=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("credited_minutes"),
        FieldPanel("body"),
        InlinePanel("check_questions", heading=_("课后小测验"), label=_("题目")),
        FieldPanel("check_pass_count"),
    ]
    search_fields = [
        *Page.search_fields,
        NgramSearchField("title", boost=5),
        NgramSearchField("body"),
        index.FilterField("live"),
    ]
    parent_page_types = ["learning.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("课时")
        verbose_name_plural = pgettext_lazy("plural", "课时")

    @path("")
    def lesson(self, request: HttpRequest) -> HttpResponse:
        from learning.page_views import lesson_serve

        return lesson_serve(self, request)

    # Not named "check": Model.check() is Django's system-check hook.
    @path("check/", name="check")
    def lesson_check(self, request: HttpRequest) -> HttpResponse:
        from learning.page_views import lesson_check

        return lesson_check(self, request)

    @property
    def has_file_video(self) -> bool:
        """A video block with a file of our own: the only kind whose watching is tracked (an embed
        from a video site reports nothing, and ``clean`` refuses it in a lesson)."""
        return self.tracks_video

    def body_tracks_video(self) -> bool:
        return any(block.get("type") == "video" and isinstance(block.get("value"), dict) and block["value"].get("file")
                   for block in self.body.raw_data or [])

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.tracks_video = self.body_tracks_video()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields and "tracks_video" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "tracks_video"]
        super().save(*args, **kwargs)

    @property
    def required_seconds(self) -> int:
        """Credited seconds the lesson needs to complete (STUDY_COMPLETE_PERCENT of its minutes)."""
        return math.ceil(self.credited_minutes * 60 * settings.STUDY_COMPLETE_PERCENT / 100)

    @property
    def cap_seconds(self) -> int:
        """The most the lesson ever credits: its minutes plus STUDY_LESSON_MARGIN_PERCENT."""
        return self.credited_minutes * 60 * (100 + settings.STUDY_LESSON_MARGIN_PERCENT) // 100

    def clean(self) -> None:
        super().clean()
        # A video site's player reports nothing to us, so its time and its furthest position could
        # not be checked: a lesson only takes videos it serves itself (file blocks).
        for number, block in enumerate(self.body.raw_data or [], start=1):
            value = block.get("value") or {}
            if block.get("type") == "video" and isinstance(value, dict) and value.get("embed"):
                raise ValidationError({"body": ValidationError(
                    _("第 %(number)s 个内容块（视频“%(caption)s”）是视频网站的地址。课时中的视频必须上传 mp4 或 "
                      "webm 文件：外站播放器无法记录观看进度，不能计入学时。") % {
                        "number": number, "caption": value.get("caption") or value.get("embed")},
                    code="video_embed")})


class LessonCheckQuestion(Orderable):
    """A question of the lesson's short check, from the exam bank (its current version is asked)."""

    lesson = ParentalKey(LessonPage, on_delete=models.CASCADE, related_name="check_questions")
    question = models.ForeignKey("exams.Question", on_delete=models.PROTECT, related_name="+", verbose_name=_("题目"))

    panels = [FieldPanel("question")]

    class Meta(Orderable.Meta):
        verbose_name = _("小测验题目")
        verbose_name_plural = pgettext_lazy("plural", "小测验题目")


class Enrolment(models.Model):
    class Source(models.TextChoices):
        SELF = "self", _("自主报名")
        ASSIGNED = "assigned", _("单位指派")

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="enrolments")
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="enrolments")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.SELF)
    enrolled_at = models.DateTimeField(_("报名时间"))
    # Where to resume: the last lesson opened (its video position is on its LessonProgress).
    last_lesson = models.ForeignKey(LessonPage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_studied_at = models.DateTimeField(null=True, blank=True)
    lessons_completed = models.PositiveIntegerField(default=0)
    lessons_total = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    scope_paths = ScopePaths(employer="worker__employer_id", region="worker__employer__region__code",
                             owner="worker__user_id")

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [models.UniqueConstraint(fields=["worker", "course"], name="enrolment_unique_worker_course")]
        verbose_name = _("选课")
        verbose_name_plural = pgettext_lazy("plural", "选课")

    def __str__(self) -> str:
        return f"{self.worker} · {self.course}"


class LessonProgress(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="lessons")
    lesson = models.ForeignKey(LessonPage, on_delete=models.PROTECT, related_name="+")
    credited_seconds = models.PositiveIntegerField(default=0)
    # Video: the furthest point reached by watching (never by seeking), the length the player
    # reported (the largest seen), and where the worker was last, to resume there.
    video_furthest = models.FloatField(default=0)
    video_duration = models.FloatField(default=0)
    video_position = models.FloatField(default=0)
    check_passed_at = models.DateTimeField(null=True, blank=True)
    check_attempts = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "lesson"], name="lessonprogress_unique")]
        verbose_name = _("课时进度")
        verbose_name_plural = pgettext_lazy("plural", "课时进度")

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.lesson}"


class StudyDevice(models.Model):
    """The one device (a signed-in session) whose study time counts for a person. Each login
    issues a new token and stores it in that session; heartbeats from an older session are
    recorded and refused."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_device")
    token = models.CharField(max_length=32)
    since = models.DateTimeField()
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("计时设备")
        verbose_name_plural = pgettext_lazy("plural", "计时设备")

    def __str__(self) -> str:
        return f"{self.user} · {self.since:%Y-%m-%d %H:%M}"


class StudySession(models.Model):
    """One stretch of study on one lesson from one device: the page's own key (made on the phone,
    so a lesson opened offline has a session too) and every heartbeat it sent."""

    code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    client_key = models.CharField(max_length=64)
    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="study_sessions")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="sessions")
    lesson = models.ForeignKey(LessonPage, on_delete=models.PROTECT, related_name="+")
    # The progress row this session adds to, so a beat reads session, enrolment, lesson and
    # progress in one query (the beat path's budget is a handful of queries).
    progress = models.ForeignKey(LessonProgress, on_delete=models.PROTECT, related_name="sessions")
    device_token = models.CharField(max_length=32)
    user_agent = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    # The last heartbeat by the server's clock and by the phone's (queued heartbeats are placed
    # by the phone's), and its sequence number: a replay never counts twice.
    last_beat_at = models.DateTimeField()
    last_client_at = models.DateTimeField()
    last_seq = models.IntegerField(default=-1)
    # The last beat said the page was hidden or its worker idle: the stretch up to the next beat
    # is that pause, so it is never credited, however short.
    paused = models.BooleanField(default=False)
    beats = models.PositiveIntegerField(default=0)
    credited_seconds = models.PositiveIntegerField(default=0)
    refused_seconds = models.PositiveIntegerField(default=0)

    scope_paths = ScopePaths(employer="worker__employer_id", region="worker__employer__region__code",
                             owner="worker__user_id")

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["worker", "client_key"], name="studysession_unique_key")]
        indexes = [models.Index(fields=["worker", "-started_at"])]
        verbose_name = _("学习记录")
        verbose_name_plural = pgettext_lazy("plural", "学习记录")

    def __str__(self) -> str:
        return f"{self.worker} · {self.lesson} · {self.started_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """One heartbeat as received, kept as evidence (six years at least): what it claimed, what was
    credited, and why anything was refused. A credited beat holds the interval it covers, so no
    moment of a worker's time is ever credited twice."""

    class Reason(models.TextChoices):
        NONE = "", _("计入")
        NOT_ENROLLED = "not_enrolled", _("未报名该课程")
        WRONG_LESSON = "wrong_lesson", _("与学习记录的课时不符")
        OTHER_DEVICE = "other_device", _("已在其他设备登录")
        REPLAY = "replay", _("重复或过期的心跳")
        FUTURE = "future", _("时间晚于服务器时间")
        TOO_OLD = "too_old", _("离线记录超过保留期限")
        GAP = "gap", _("与上次心跳间隔过长")
        IDLE = "idle", _("无操作")
        HIDDEN = "hidden", _("页面不在前台")
        OVERLAP = "overlap", _("与已计时段重叠")
        LESSON_CAP = "lesson_cap", _("已达本课时计时上限")
        SEEK = "seek", _("视频拖动超前")
        START = "start", _("开始计时")
        RESUME = "resume", _("暂停后恢复计时")

    session = models.ForeignKey(StudySession, on_delete=models.PROTECT, null=True, blank=True, related_name="heartbeats")
    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="heartbeats")
    lesson = models.ForeignKey(LessonPage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField()
    client_at = models.DateTimeField(null=True, blank=True)
    seq = models.IntegerField(null=True, blank=True)
    queued = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    visible = models.BooleanField(default=True)
    video_position = models.FloatField(null=True, blank=True)
    claimed_seconds = models.PositiveIntegerField(default=0)
    credited_seconds = models.PositiveIntegerField(default=0)
    credited_from = models.DateTimeField(null=True, blank=True)
    credited_to = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True, default="")

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [
            models.Index(fields=["worker", "credited_to"], name="heartbeat_worker_credited"),
            models.Index(fields=["session", "received_at"], name="heartbeat_session_time"),
        ]
        verbose_name = _("心跳")
        verbose_name_plural = pgettext_lazy("plural", "心跳")

    def __str__(self) -> str:
        return f"{self.worker} · {self.received_at:%Y-%m-%d %H:%M:%S} · {self.credited_seconds}s {self.reason}"


class StudyHours(models.Model):
    """The 学时 ledger: credited seconds per worker, course and calendar year (Asia/Shanghai),
    kept in step with the heartbeats in the same transaction; ``ledger_rebuild`` recomputes it."""

    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="study_hours")
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    seconds = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    scope_paths = ScopePaths(employer="worker__employer_id", region="worker__employer__region__code",
                             owner="worker__user_id")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "course", "year"], name="studyhours_unique")]
        indexes = [models.Index(fields=["course", "year"])]
        verbose_name = _("学时")
        verbose_name_plural = pgettext_lazy("plural", "学时")

    def __str__(self) -> str:
        return f"{self.worker} · {self.course} · {self.year}"

    @property
    def hours(self) -> float:
        return self.seconds / 60 / settings.MINUTES_PER_STUDY_HOUR


class StudyDay(models.Model):
    """The same credited seconds per worker, course and day (Asia/Shanghai), written in the same
    statement as StudyHours: a programme's window starts and ends on days, not on years, so its
    hours are summed from here (learning.services.compliance)."""

    worker = models.ForeignKey("orgs.Worker", on_delete=models.PROTECT, related_name="study_days")
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)

    scope_paths = ScopePaths(employer="worker__employer_id", region="worker__employer__region__code",
                             owner="worker__user_id")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "course", "day"], name="studyday_unique")]
        verbose_name = _("每日学时")
        verbose_name_plural = pgettext_lazy("plural", "每日学时")

    def __str__(self) -> str:
        return f"{self.worker} · {self.course} · {self.day}"


def study_hours(seconds: Any) -> float:
    """Seconds as 学时 (minutes per 学时 is a setting)."""
    return (seconds or 0) / 60 / settings.MINUTES_PER_STUDY_HOUR


class StudyHoursExport(Job):
    """An employer admin's 学时 workbook (学时汇总 and 学习记录), written in the background when it
    is large (learning.services.reports_export)."""

    employer = models.ForeignKey("orgs.Employer", on_delete=models.CASCADE, related_name="+")
    # None: every year the ledger holds.
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    # The table's other filters as asked: course (a page id), department, post_role, q.
    filters = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    scope_paths = ScopePaths(employer="employer_id", region="employer__region__code")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("学时导出")
        verbose_name_plural = pgettext_lazy("plural", "学时导出")
