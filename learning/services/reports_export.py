"""The employer's 学时 workbook on the shared export layer (core.exports): sheet 学时汇总, one row
per worker, course and year from the ledger, and sheet 学习记录, one row per study session with
what was credited, what was refused and why. Written while the admin waits when small, by a
background job with a progress bar (core.jobs) when large, as exams' results workbook is.

The rows are the hours table's (learning.reports): the employer's own roster, the same filters.
Phones are masked and ID numbers are not in it, so the export is logged as masked (PIPL art. 55).
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook, export_log
from core.jobs import job_claim, job_finish, job_progress
from core.masking import phone_mask
from core.models import JobStatus
from core.text import safe_parameter
from learning import reports
from learning.models import CoursePage, Enrolment, Heartbeat, StudyHours, StudyHoursExport, StudySession
from orgs.models import PostRole

logger = logging.getLogger(__name__)

# Up to this many rows (both sheets) the workbook is written while the admin waits.
BACKGROUND_ROWS = 2000
_CHUNK = 500
EXPORT_KIND = "study_hours"


class StudyHoursExportError(ServiceError):
    pass


# -- what is exported -----------------------------------------------------------------------------

def _course(export: StudyHoursExport) -> CoursePage | None:
    course_id = export.filters.get("course")
    # A course unpublished or deleted since the export was asked for still filters: by its id.
    return CoursePage.objects.filter(pk=course_id).first() if course_id else None


def _worker_ids(export: StudyHoursExport) -> Subquery:
    """The hours table's workers for these filters; for every year, all the employer's workers
    matching them (whether one is listed depends on the year), and the ledger decides the rows."""
    filters = export.filters
    if export.year is not None:
        workers = reports.hours_workers(
            employer=export.employer, year=export.year, course=_course(export),
            department=filters.get("department", ""), post_role=filters.get("post_role", ""),
            search=filters.get("q", ""))
    else:
        workers = reports.report_workers(employer=export.employer, department=filters.get("department", ""),
                                         post_role=filters.get("post_role", ""), search=filters.get("q", ""))
    return Subquery(workers.order_by().values("pk"))


def export_ledger(export: StudyHoursExport) -> QuerySet[StudyHours]:
    rows = StudyHours.objects.filter(worker__employer=export.employer, worker_id__in=_worker_ids(export))
    if export.year is not None:
        rows = rows.filter(year=export.year)
    course = export.filters.get("course")
    if course:
        rows = rows.filter(course_id=course)
    return (rows.select_related("worker__department", "course")
            .order_by("worker__department__name", "worker__name", "worker_id", "-year", "course__title", "course_id"))


def export_sessions(export: StudyHoursExport) -> QuerySet[StudySession]:
    rows = StudySession.objects.filter(worker__employer=export.employer, worker_id__in=_worker_ids(export))
    if export.year is not None:
        start, end = reports.year_bounds(export.year)
        rows = rows.filter(started_at__gte=start, started_at__lt=end)
    course = export.filters.get("course")
    if course:
        rows = rows.filter(enrolment__course_id=course)
    return (rows.select_related("worker__department", "enrolment__course", "lesson")
            .order_by("worker__department__name", "worker__name", "worker_id", "started_at", "pk"))


# -- the workbook ---------------------------------------------------------------------------------

def _summary_columns() -> tuple[ExportColumn, ...]:
    return (
        ExportColumn(_("姓名"), 12), ExportColumn(_("手机号"), 14), ExportColumn(_("部门"), 14),
        ExportColumn(_("岗位角色"), 16), ExportColumn(_("课程"), 30), ExportColumn(_("年度"), 8, text=False),
        ExportColumn(_("学时"), 8, text=False), ExportColumn(_("计入秒数"), 10, text=False),
        ExportColumn(_("已完成课时"), 10, text=False), ExportColumn(_("课时总数"), 10, text=False),
        ExportColumn(_("完成时间"), 18),
    )


def _session_columns() -> tuple[ExportColumn, ...]:
    return (
        ExportColumn(_("姓名"), 12), ExportColumn(_("手机号"), 14), ExportColumn(_("部门"), 14),
        ExportColumn(_("课程"), 26), ExportColumn(_("课时"), 26), ExportColumn(_("设备"), 20),
        ExportColumn(_("开始时间"), 18), ExportColumn(_("结束时间"), 18), ExportColumn(_("心跳次数"), 10, text=False),
        ExportColumn(_("计入秒数"), 10, text=False), ExportColumn(_("未计入秒数"), 10, text=False),
        ExportColumn(_("未计入原因"), 40),
    )


def _local(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else ""


def _chunks(rows: QuerySet[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _ClaimLost(Exception):
    """Another worker took the export over: this one's file is thrown away."""


def _summary(ledger: list[StudyHours], roles: dict[str, str]) -> Iterator[list[Any]]:
    pairs = {(row.worker_id, row.course_id) for row in ledger}
    enrolments = {(item.worker_id, item.course_id): item for item in Enrolment.objects.filter(
        worker_id__in={worker for worker, _course in pairs}, course_id__in={course for _worker, course in pairs})}
    for row in ledger:
        worker, enrolment = row.worker, enrolments.get((row.worker_id, row.course_id))
        yield [worker.name, phone_mask(worker.phone), worker.department.name if worker.department else "",
               roles.get(worker.post_role, worker.post_role), row.course.title, row.year,
               round(reports.study_hours(row.seconds), 2), row.seconds,
               enrolment.lessons_completed if enrolment else None, enrolment.lessons_total if enrolment else None,
               _local(enrolment.completed_at) if enrolment else ""]


def _refusal_text(sessions: list[StudySession]) -> dict[int, str]:
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    grouped = (Heartbeat.objects.filter(session_id__in=[session.pk for session in sessions])
               .exclude(reason__in=reports.NOT_REFUSED).order_by().values("session_id", "reason")
               .annotate(count=Count("pk")))
    for row in grouped:
        found[row["session_id"]].append((row["count"], row["reason"]))
    return {session_id: "；".join(f"{reports.reason_label(reason)} ×{count}"
                                  for count, reason in sorted(items, key=lambda item: (-item[0], item[1])))
            for session_id, items in found.items()}


def _sessions(sessions: list[StudySession]) -> Iterator[list[Any]]:
    reasons = _refusal_text(sessions)
    for session in sessions:
        worker = session.worker
        device = f"{reports.device_label(session.user_agent)} · {session.device_token[:reports.DEVICE_PREFIX]}"
        yield [worker.name, phone_mask(worker.phone), worker.department.name if worker.department else "",
               session.enrolment.course.title, session.lesson.title, device, _local(session.started_at),
               _local(session.last_beat_at), session.beats, session.credited_seconds, session.refused_seconds,
               reasons.get(session.pk, "")]


def _write(export: StudyHoursExport, token: str, stream: Any) -> tuple[int, int]:
    workbook = ExportWorkbook(stream)
    roles = {value: str(label) for value, label in PostRole.choices}
    done = 0
    summary = workbook.add_sheet(_("学时汇总"), _summary_columns())
    for chunk in _chunks(export_ledger(export)):
        summary.write_many(_summary(chunk, roles))
        done += len(chunk)
        if not job_progress(StudyHoursExport, export.pk, token, done=done):
            raise _ClaimLost
    summary.finish()
    records = workbook.add_sheet(_("学习记录"), _session_columns())
    for chunk in _chunks(export_sessions(export)):
        records.write_many(_sessions(chunk))
        done += len(chunk)
        if not job_progress(StudyHoursExport, export.pk, token, done=done):
            raise _ClaimLost
    records.finish()
    workbook.close()
    return summary.data_rows, records.data_rows


# -- the job --------------------------------------------------------------------------------------

def study_hours_export_start(*, actor: Any, employer: Any, year: int | None, course: CoursePage | None = None,
                             department: str = "", post_role: str = "", search: str = "",
                             background_rows: int | None = None) -> StudyHoursExport:
    """Ask for the 学时 workbook of the employer's workers (one year, or every year with
    ``year=None``), with the hours table's filters. Up to ``background_rows`` rows
    (settings.STUDY_HOURS_BACKGROUND_ROWS, default 2,000) it is written now and the returned export
    is done; beyond, it is queued and the page shows its progress. The caller has resolved
    ``employer`` through the scope (its admins' write reach) and ``course`` with
    ``reports.report_course``."""
    filters: dict[str, Any] = {}
    if course is not None:
        filters["course"] = course.pk
    department = safe_parameter(department, 64).strip()
    if department:
        filters["department"] = department
    post_role = reports.report_post_role(post_role)
    if post_role:
        filters["post_role"] = post_role
    search = safe_parameter(search, 50).strip()
    if search:
        filters["q"] = search
    export = StudyHoursExport(employer=employer, year=year, filters=filters, created_by=actor,
                              language=translation.get_language() or settings.LANGUAGE_CODE)
    total = export_ledger(export).count() + export_sessions(export).count()
    limit = background_rows if background_rows is not None else getattr(
        settings, "STUDY_HOURS_BACKGROUND_ROWS", BACKGROUND_ROWS)
    export.progress_total = total
    export.save()
    if total <= limit:
        study_hours_export_run(export_id=export.pk)
        export.refresh_from_db()
    else:
        from learning.tasks import study_hours_export_task

        transaction.on_commit(lambda: study_hours_export_task.delay(export.pk))
    return export


def study_hours_export_run(*, export_id: int) -> bool:
    """Write the workbook of one export. Safe to run twice: only a queued export (or one whose
    worker died and whose lease ran out) is written, and only the current claim may finish it."""
    token = job_claim(StudyHoursExport, export_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return False
    export = StudyHoursExport.objects.select_related("employer", "created_by").get(pk=export_id)
    with translation.override(export.language):
        return _run_claimed(export, token)


def _run_claimed(export: StudyHoursExport, token: str) -> bool:
    stored = ""
    try:
        with tempfile.TemporaryFile() as spool:
            summary, sessions = _write(export, token, spool)
            spool.seek(0)
            export.result_file.save(f"study-hours-{timezone.localdate():%Y%m%d}.xlsx", File(spool), save=False)
            stored = export.result_file.name or ""
        count = summary + sessions
        filters = {**export.filters, "year": export.year}
        with transaction.atomic():
            if not job_finish(StudyHoursExport, export.pk, token, status=JobStatus.DONE, result_file=stored,
                              progress_done=count, progress_total=count,
                              message=_("已导出学时汇总 %(summary)s 行、学习记录 %(sessions)s 行")
                              % {"summary": summary, "sessions": sessions}):
                raise _ClaimLost
            export_log(actor=export.created_by, kind=EXPORT_KIND, row_count=count, masked=True,
                       employer_id=export.employer_id, filters=filters)
            audit(export.created_by, "learning.hours.export", export, employer_id=export.employer_id,
                  data={"rows": count, "summary": summary, "sessions": sessions, "filters": filters})
    except _ClaimLost:
        _discard(stored)
        return False
    except Exception:
        logger.exception("study hours export %s failed", export.pk)
        _discard(stored)
        job_finish(StudyHoursExport, export.pk, token, status=JobStatus.FAILED,
                   message=_("导出失败，请稍后重试；如仍失败请联系平台管理员"))
        return False
    return True


def study_hours_export_filename(*, export: StudyHoursExport) -> str:
    stamp = f"{timezone.localtime(export.finished_at or export.created_at):%Y%m%d-%H%M}"
    year = export.year if export.year is not None else "all"
    return f"study-hours-{year}-{stamp}.xlsx"


def _discard(name: str) -> None:
    if name:
        StudyHoursExport._meta.get_field("result_file").storage.delete(name)
