"""Reads for the study-hours reports: an employer's hours per worker, course and year, one
worker's study sessions with their heartbeats, and a worker's own courses.

The pages, the API and the workbook read through these, so what a role may not see it may not
search, filter, sort, count or export either: every query starts from the employer's own roster.
Hours come from the 学时 ledger (StudyHours); heartbeats are read only for one worker's sessions.
Phones are always masked here and ID numbers never leave: a study report needs neither.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from core.masking import phone_mask
from core.text import ascii_int, safe_parameter
from learning.models import CoursePage, Enrolment, Heartbeat, StudyHours, StudySession, study_hours
from orgs.models import PostRole, Worker

# The orderings the hours table offers; each ends with the primary key, so pages never overlap.
SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("name", "pk"),
    "department": (F("department__name").asc(nulls_last=True), "name", "pk"),
    "-hours": ("-year_seconds", "name", "pk"),
    "hours": ("year_seconds", "name", "pk"),
    "-last": (F("last_studied").desc(nulls_last=True), "name", "pk"),
}
# A beat that starts a session credits nothing because nothing came before it: not a refusal.
NOT_REFUSED = (Heartbeat.Reason.NONE, Heartbeat.Reason.START)
# The oldest year a report is asked for: records are kept six years, reports look back further.
FIRST_YEAR = 2000
BEATS_INLINE = 30
DEVICE_PREFIX = 6


class ReportRefused(ServiceError):
    pass


# -- parameters -----------------------------------------------------------------------------------

def this_year(now: dt.datetime | None = None) -> int:
    return timezone.localtime(now or timezone.now()).year


def report_year(raw: object, *, now: dt.datetime | None = None) -> int:
    """``?year=`` as a calendar year (this year when empty); anything else is refused."""
    current = this_year(now)
    text = safe_parameter(raw, 12).strip()
    if not text:
        return current
    year = ascii_int(text)
    if year is None or not FIRST_YEAR <= year <= current + 1:
        raise ReportRefused(_("year 应为 %(first)s 到 %(last)s 之间的年份，例如 %(current)s")
                            % {"first": FIRST_YEAR, "last": current + 1, "current": current}, field="year")
    return year


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The calendar year in the site's time zone (Asia/Shanghai), as the ledger counts it."""
    zone = timezone.get_current_timezone()
    return (dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone))


def report_post_role(raw: object) -> str:
    value = safe_parameter(raw, 20).strip()
    if value and value not in PostRole.values:
        raise ReportRefused(_("post_role 只能是 %(values)s 之一") % {"values": ", ".join(PostRole.values)},
                            field="post_role")
    return value


def report_sort(raw: object) -> str:
    value = safe_parameter(raw, 20).strip() or "name"
    if value not in SORTS:
        raise ReportRefused(_("sort 只能是 %(values)s 之一") % {"values": ", ".join(SORTS)}, field="sort")
    return value


def report_course(*, employer: Any, raw: object) -> CoursePage | None:
    """``?course=`` as the id of a course the employer's workers take (empty: every course).
    Any other value, another employer's courses included, gets the same refusal."""
    text = safe_parameter(raw, 20).strip()
    if not text:
        return None
    course_id = ascii_int(text)
    course = report_courses(employer=employer).filter(pk=course_id).first() if course_id is not None else None
    if course is None:
        raise ReportRefused(_("没有这门课程：course 应为本单位劳动者所学课程的编号"), field="course")
    return course


def report_courses(*, employer: Any) -> QuerySet[CoursePage]:
    """Courses the employer's workers are enrolled in (an unpublished one too: its hours count)."""
    taken = Enrolment.objects.filter(course_id=OuterRef("pk"), worker__employer=employer)
    return CoursePage.objects.filter(Exists(taken)).order_by("title", "pk")


def report_years(*, employer: Any, now: dt.datetime | None = None) -> list[int]:
    """This year and every year in which the employer's workers have hours, newest first."""
    years = set(StudyHours.objects.filter(worker__employer=employer).values_list("year", flat=True).distinct())
    years.add(this_year(now))
    return sorted(years, reverse=True)


# -- the hours table ------------------------------------------------------------------------------

def _ledger(year: int, course: CoursePage | None) -> QuerySet[StudyHours]:
    rows = StudyHours.objects.filter(worker_id=OuterRef("pk"), year=year)
    return rows.filter(course=course) if course is not None else rows


def report_workers(*, employer: Any, department: str = "", post_role: str = "", search: str = "",
                   sees_raw: bool = False) -> QuerySet[Worker]:
    """The employer's workers (on the roster or not) matching the table's filters. A phone can be
    searched only by a role that sees it raw: a masked value must not be recoverable by search."""
    post_role = report_post_role(post_role)
    workers = Worker.objects.filter(employer=employer)
    department = safe_parameter(department, 64).strip()
    if department:
        workers = workers.filter(department__name=department)
    if post_role:
        workers = workers.filter(post_role=post_role)
    search = safe_parameter(search, 50).strip()
    if search:
        condition = Q(name__contains=search)
        if sees_raw:
            condition |= Q(phone__contains=search)
        workers = workers.filter(condition)
    return workers


def hours_workers(*, employer: Any, year: int, course: CoursePage | None = None, department: str = "",
                  post_role: str = "", search: str = "", sort: str = "name", sees_raw: bool = False) -> QuerySet[Worker]:
    """The employer's workers for the hours table, annotated with ``year_seconds`` (the ledger's
    credited seconds that year, on ``course`` or on all courses) and ``last_studied``.

    Listed: workers on the roster, and those who have left but have hours that year; with a course,
    only those enrolled in it."""
    sort = report_sort(sort)
    ledger = _ledger(year, course)
    enrolments = Enrolment.objects.filter(worker_id=OuterRef("pk"))
    if course is not None:
        enrolments = enrolments.filter(course=course)
    workers = report_workers(employer=employer, department=department, post_role=post_role, search=search,
                             sees_raw=sees_raw).filter(Q(is_active=True) | Exists(ledger))
    if course is not None:
        workers = workers.filter(Exists(enrolments))
    total = ledger.order_by().values("worker_id").annotate(total=Sum("seconds")).values("total")[:1]
    last = enrolments.order_by().values("worker_id").annotate(last=Max("last_studied_at")).values("last")[:1]
    return (workers.select_related("department")
            .annotate(year_seconds=Coalesce(Subquery(total), Value(0)), last_studied=Subquery(last))
            .order_by(*SORTS[sort]))


@dataclass(frozen=True)
class HoursTotals:
    workers: int
    studying: int  # workers with any credited time that year
    seconds: int

    @property
    def hours(self) -> float:
        return study_hours(self.seconds)


def hours_totals(workers: QuerySet[Worker]) -> HoursTotals:
    """The counts above the table, of exactly the rows the table lists."""
    totals = workers.order_by().aggregate(workers=Count("pk"), studying=Count("pk", filter=Q(year_seconds__gt=0)),
                                          seconds=Sum("year_seconds"))
    return HoursTotals(workers=totals["workers"] or 0, studying=totals["studying"] or 0, seconds=totals["seconds"] or 0)


@dataclass(frozen=True)
class CourseHours:
    course_id: int
    title: str
    seconds: int  # credited that year
    lessons_completed: int
    lessons_total: int
    completed_at: dt.datetime | None
    last_studied_at: dt.datetime | None

    @property
    def hours(self) -> float:
        return study_hours(self.seconds)

    @property
    def percent(self) -> int:
        return round(100 * self.lessons_completed / self.lessons_total) if self.lessons_total else 0


@dataclass(frozen=True)
class WorkerHours:
    code: str
    name: str
    phone: str  # masked
    department: str
    post_role: str
    post_role_label: str
    is_active: bool
    seconds: int
    last_studied_at: dt.datetime | None
    courses: list[CourseHours] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return study_hours(self.seconds)


def hours_rows(workers: Iterable[Worker], *, year: int, course: CoursePage | None = None) -> list[WorkerHours]:
    """Full rows for a page of ``hours_workers``: each worker's courses (enrolments, and any
    course with hours that year) with the year's 学时. Three queries, however many rows."""
    workers = list(workers)
    ids = [worker.pk for worker in workers]
    enrolments = Enrolment.objects.filter(worker_id__in=ids).select_related("course")
    ledger = StudyHours.objects.filter(worker_id__in=ids, year=year).select_related("course")
    if course is not None:
        enrolments, ledger = enrolments.filter(course=course), ledger.filter(course=course)
    seconds = {(row.worker_id, row.course_id): row.seconds for row in ledger}
    titles = {row.course_id: row.course.title for row in ledger}
    by_worker: dict[int, dict[int, CourseHours]] = defaultdict(dict)
    for enrolment in enrolments:
        by_worker[enrolment.worker_id][enrolment.course_id] = CourseHours(
            course_id=enrolment.course_id, title=enrolment.course.title,
            seconds=seconds.get((enrolment.worker_id, enrolment.course_id), 0),
            lessons_completed=enrolment.lessons_completed, lessons_total=enrolment.lessons_total,
            completed_at=enrolment.completed_at, last_studied_at=enrolment.last_studied_at)
    for (worker_id, course_id), value in seconds.items():
        # Hours without an enrolment cannot be made by the engine; shown anyway, never dropped.
        by_worker[worker_id].setdefault(course_id, CourseHours(course_id, titles[course_id], value, 0, 0, None, None))
    roles = dict(PostRole.choices)
    rows = []
    for worker in workers:
        courses = sorted(by_worker.get(worker.pk, {}).values(), key=lambda item: (-item.seconds, item.title))
        rows.append(WorkerHours(
            code=worker.code, name=worker.name, phone=phone_mask(worker.phone),
            department=worker.department.name if worker.department else "", post_role=worker.post_role,
            post_role_label=str(roles.get(worker.post_role, worker.post_role)), is_active=worker.is_active,
            seconds=sum(item.seconds for item in courses),
            last_studied_at=getattr(worker, "last_studied", None), courses=courses))
    return rows


# -- one worker's sessions ------------------------------------------------------------------------

_SYSTEMS = (("HarmonyOS", "HarmonyOS"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_BROWSERS = (("MicroMessenger", "wechat"), ("DingTalk", "dingtalk"), ("MQQBrowser", "qq"), ("UCBrowser", "uc"),
             ("HuaweiBrowser", "huawei"), ("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("CriOS/", "Chrome"), ("Safari/", "Safari"))
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def device_label(user_agent: str) -> str:
    """A user agent as people say it ("Android · 微信"); the raw string is kept on the session."""
    names = {"wechat": _("微信"), "dingtalk": _("钉钉"), "qq": _("QQ浏览器"), "uc": _("UC浏览器"),
             "huawei": _("华为浏览器")}
    system = next((label for token, label in _SYSTEMS if token in user_agent), "")
    browser = next((names.get(label, label) for token, label in _BROWSERS if token in user_agent), "")
    parts = [part for part in (system, browser) if part]
    if parts:
        return " · ".join(parts)
    rest = _UNPRINTABLE.sub("", user_agent).strip()[:40]
    return rest or _("未知设备")


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int
    seconds: int  # claimed and not credited


def _reason_counts(rows: Iterable[dict[str, Any]]) -> list[ReasonCount]:
    labels = dict(Heartbeat.Reason.choices)
    counts = [ReasonCount(row["reason"], str(labels.get(row["reason"], row["reason"])), row["count"],
                          max(0, (row["claimed"] or 0) - (row["credited"] or 0))) for row in rows]
    return sorted(counts, key=lambda item: (-item.count, item.reason))


def _refused(beats: QuerySet[Heartbeat]) -> QuerySet[Heartbeat]:
    return beats.exclude(reason__in=NOT_REFUSED)


def _grouped(beats: QuerySet[Heartbeat], *keys: str) -> QuerySet[Any]:
    return _refused(beats).order_by().values(*keys, "reason").annotate(
        count=Count("pk"), claimed=Sum("claimed_seconds"), credited=Sum("credited_seconds"))


def worker_sessions(*, worker: Worker, year: int) -> QuerySet[StudySession]:
    """The worker's study sessions that began in ``year``, newest first."""
    start, end = year_bounds(year)
    return (StudySession.objects.filter(worker=worker, started_at__gte=start, started_at__lt=end)
            .select_related("lesson", "enrolment__course").order_by("-started_at", "-pk"))


@dataclass(frozen=True)
class SessionRow:
    code: str
    course_title: str
    lesson_title: str
    device: str
    device_prefix: str
    user_agent: str
    started_at: dt.datetime
    ended_at: dt.datetime
    beats: int
    credited_seconds: int
    refused_seconds: int
    refusals: list[ReasonCount]
    heartbeats: list[Heartbeat]
    more_beats: int  # heartbeats beyond those shown inline

    @property
    def credited_minutes(self) -> float:
        return self.credited_seconds / 60

    @property
    def refused_count(self) -> int:
        return sum(item.count for item in self.refusals)


def session_rows(sessions: Iterable[StudySession], *, beats_inline: int = BEATS_INLINE) -> list[SessionRow]:
    """Full rows for a page of ``worker_sessions``: refusals by reason and the first heartbeats
    of each session, in three queries however many sessions."""
    sessions = list(sessions)
    ids = [session.pk for session in sessions]
    beats = Heartbeat.objects.filter(session_id__in=ids)
    refusals: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _grouped(beats, "session_id"):
        refusals[row["session_id"]].append(row)
    counts = dict(beats.order_by().values("session_id").annotate(n=Count("pk")).values_list("session_id", "n"))
    first: dict[int | None, list[Heartbeat]] = defaultdict(list)
    if beats_inline:
        numbered = beats.annotate(position=Window(RowNumber(), partition_by=[F("session_id")],
                                                  order_by=[F("received_at").asc(), F("pk").asc()]))
        for beat in numbered.filter(position__lte=beats_inline).order_by("session_id", "received_at", "pk"):
            first[beat.session_id].append(beat)
    return [SessionRow(
        code=session.code, course_title=session.enrolment.course.title, lesson_title=session.lesson.title,
        device=device_label(session.user_agent), device_prefix=session.device_token[:DEVICE_PREFIX],
        user_agent=session.user_agent, started_at=session.started_at, ended_at=session.last_beat_at,
        beats=counts.get(session.pk, 0), credited_seconds=session.credited_seconds,
        refused_seconds=session.refused_seconds, refusals=_reason_counts(refusals.get(session.pk, [])),
        heartbeats=first.get(session.pk, []), more_beats=max(0, counts.get(session.pk, 0) - len(first.get(session.pk, []))),
    ) for session in sessions]


@dataclass(frozen=True)
class WorkerYear:
    """The head of the drill-down: the ledger's 学时 that year and every refusal by reason."""

    seconds: int
    sessions: int
    refusals: list[ReasonCount]
    stray: list[ReasonCount]  # refused beats that belong to no session (not enrolled, unknown session)

    @property
    def hours(self) -> float:
        return study_hours(self.seconds)


def worker_year(*, worker: Worker, year: int) -> WorkerYear:
    start, end = year_bounds(year)
    in_sessions = Heartbeat.objects.filter(session__worker=worker, session__started_at__gte=start,
                                           session__started_at__lt=end)
    stray = Heartbeat.objects.filter(worker=worker, session__isnull=True, received_at__gte=start, received_at__lt=end)
    seconds = StudyHours.objects.filter(worker=worker, year=year).aggregate(total=Sum("seconds"))["total"] or 0
    return WorkerYear(seconds=seconds, sessions=worker_sessions(worker=worker, year=year).count(),
                      refusals=_reason_counts(_grouped(in_sessions)), stray=_reason_counts(_grouped(stray)))


def session_heartbeats(session: StudySession) -> QuerySet[Heartbeat]:
    """Every heartbeat of one session, in the order the server received them."""
    return Heartbeat.objects.filter(session=session).order_by("received_at", "pk")


def reason_label(reason: str) -> str:
    return str(dict(Heartbeat.Reason.choices).get(reason, reason))


# -- a worker's own courses -----------------------------------------------------------------------

@dataclass(frozen=True)
class YearHours:
    year: int
    seconds: int

    @property
    def hours(self) -> float:
        return study_hours(self.seconds)


@dataclass(frozen=True)
class MyCourse:
    enrolment: Enrolment
    course: CoursePage
    percent: int
    years: list[YearHours]  # newest first

    @property
    def seconds(self) -> int:
        return sum(item.seconds for item in self.years)


def my_courses(worker: Worker) -> list[MyCourse]:
    """The worker's enrolments, last studied first, each with its 学时 per year from the ledger."""
    enrolments = list(Enrolment.objects.filter(worker=worker).select_related("course")
                      .order_by(F("last_studied_at").desc(nulls_last=True), "-enrolled_at", "-pk"))
    years: dict[int, list[YearHours]] = defaultdict(list)
    for row in StudyHours.objects.filter(worker=worker).order_by("-year"):
        years[row.course_id].append(YearHours(row.year, row.seconds))
    return [MyCourse(enrolment=enrolment, course=enrolment.course,
                     percent=round(100 * enrolment.lessons_completed / enrolment.lessons_total)
                     if enrolment.lessons_total else 0,
                     years=years.get(enrolment.course_id, [])) for enrolment in enrolments]
