"""Exam results of an employer's own workers: the rows its pages, its API route and its workbook
share, and the workbook itself (core.exports), written in the request when small and by a
background job with a progress bar when large.

A row is one worker and one exam: the worker is on the employer's roster and was assigned the exam
by this employer or has sat it. The result that counts is the one ``exams.services.results.
counted_attempt`` picks (best by default, or the first or last, as the exam says); here it is
picked for many rows in one query, with the same ordering.

ID numbers are shown raw only to whom the scope lets see them raw (the employer's own admins and
superusers), masked otherwise; the export is logged with whether it was masked (PIPL art. 28, 55).
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook, export_log
from core.jobs import job_claim, job_finish, job_progress
from core.masking import id_number_shown, phone_shown
from core.models import JobStatus
from core.scope import scope_for
from core.text import safe_parameter
from exams.models import Attempt, AttemptMode, Certificate, Exam, ExamAssignment, GradedAttempt, ResultsExport

logger = logging.getLogger(__name__)

# ?passed=: the counted result passed, failed, or there is none yet (not sat, or still open).
PASSED_FILTERS = ("passed", "failed", "pending")
# The orderings of exams.services.results.counted_attempt, one per rule (tests hold them equal).
COUNTED_ORDER: dict[str, tuple[str, ...]] = {
    GradedAttempt.BEST: ("-score", "number", "pk"),
    GradedAttempt.FIRST: ("number", "pk"),
    GradedAttempt.LAST: ("-number", "-pk"),
}
# Up to this many rows the workbook is written while the admin waits; more go to the background.
BACKGROUND_ROWS = 2000
_CHUNK = 500
# What Windows, macOS or a browser will not take in a file name, and control characters.
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


class ResultsExportError(ServiceError):
    pass


# -- the rows --------------------------------------------------------------------------------------

def _pair_attempts() -> QuerySet[Attempt]:
    """The exam attempts of the outer row's worker and exam (papers drawn ahead are not attempts)."""
    return Attempt.objects.filter(exam_id=OuterRef("exam_id"), worker_id=OuterRef("worker_id"),
                                  mode=AttemptMode.EXAM).exclude(status=Attempt.Status.READY)


def _counted(field: str) -> Case:
    graded = _pair_attempts().filter(status=Attempt.Status.GRADED)
    return Case(*[When(exam__graded_attempt=rule, then=Subquery(graded.order_by(*order).values(field)[:1]))
                  for rule, order in COUNTED_ORDER.items()])


def _aggregate(expression: Any) -> Subquery:
    return Subquery(_pair_attempts().order_by().values("worker_id").annotate(value=expression).values("value")[:1])


def _annotated(queryset: QuerySet[Any], employer: Any, *, department: str, passed: str) -> QuerySet[Any]:
    assignment = ExamAssignment.objects.filter(exam_id=OuterRef("exam_id"), worker_id=OuterRef("worker_id"),
                                               employer=employer)
    queryset = queryset.annotate(
        opens=F("exam__opens_at"), department=F("worker__department__name"), wname=F("worker__name"),
        counted_id=_counted("pk"), counted_passed=_counted("passed"),
        used=Coalesce(_aggregate(Count("pk")), Value(0)), last_at=_aggregate(Max("started_at")),
        in_progress=Exists(_pair_attempts().filter(status=Attempt.Status.OPEN)),
        assigned=Exists(assignment), due=Subquery(assignment.values("due_at")[:1]),
    )
    if department:
        queryset = queryset.filter(worker__department__name=department)
    if passed == "passed":
        queryset = queryset.filter(counted_passed=True)
    elif passed == "failed":
        queryset = queryset.filter(counted_passed=False)
    elif passed == "pending":
        queryset = queryset.filter(counted_id__isnull=True)
    # Every column is a function of (exam, worker), so the union below keeps one row per pair.
    return queryset.values("exam_id", "worker_id", "opens", "department", "wname", "counted_id", "counted_passed",
                           "used", "last_at", "in_progress", "assigned", "due")


def employer_results(*, employer: Any, exam: Exam | None = None, department: str = "",
                     passed: str = "") -> QuerySet[Any]:
    """One row (a dict) per worker of the employer's roster and exam they were assigned by this
    employer or have sat, newest exam first, then by department and name. ``passed`` is one of
    PASSED_FILTERS (anything else is refused); ``department`` a department name."""
    if passed and passed not in PASSED_FILTERS:
        raise ResultsExportError(_("passed 只能是 passed（合格）、failed（不合格）或 pending（尚无成绩）"), field="passed")
    department = safe_parameter(department, 64)
    assigned = ExamAssignment.objects.filter(employer=employer, worker__employer=employer)
    attempted = Attempt.objects.filter(worker__employer=employer, mode=AttemptMode.EXAM, exam__isnull=False).exclude(
        status=Attempt.Status.READY)
    if exam is not None:
        assigned, attempted = assigned.filter(exam=exam), attempted.filter(exam=exam)
    parts = [_annotated(part.order_by(), employer, department=department, passed=passed) for part in (assigned, attempted)]
    return parts[0].union(parts[1]).order_by("-opens", "exam_id", "department", "wname", "worker_id")


@dataclass(frozen=True)
class ResultRow:
    exam_code: str
    exam_title: str
    worker_code: str
    worker_name: str
    id_number: str  # raw or masked, as the reader may see it
    phone: str
    department: str
    post_role: str
    post_role_label: str
    worker_active: bool
    assigned: bool
    due_at: datetime | None
    attempts_used: int
    in_progress: bool
    last_attempt_at: datetime | None
    counted_number: int | None
    score: Decimal | None
    max_score: Decimal | None
    percent: float | None
    passed: bool | None
    graded_at: datetime | None
    certificate_verification: str
    certificate_state: str  # "valid", "revoked", or "" for none

    @property
    def passed_label(self) -> str:
        if self.passed is None:
            return _("尚无成绩")
        return _("合格") if self.passed else _("不合格")

    @property
    def certificate_state_label(self) -> str:
        return {"valid": _("有效"), "revoked": _("已撤销")}.get(self.certificate_state, "")


def result_rows(pairs: Iterable[dict[str, Any]], *, sees_raw: bool) -> list[ResultRow]:
    """Full rows for a page or a chunk of ``employer_results``: four queries, however many rows."""
    from orgs.models import PostRole, Worker

    pairs = list(pairs)
    workers = {worker.pk: worker for worker in Worker.objects.filter(pk__in={p["worker_id"] for p in pairs})
               .select_related("department").only("pk", "code", "name", "id_number", "phone", "post_role",
                                                  "is_active", "department__name")}
    exams = {exam.pk: exam for exam in Exam.objects.filter(pk__in={p["exam_id"] for p in pairs}).only("pk", "code", "title")}
    counted = {attempt.pk: attempt for attempt in Attempt.objects.filter(
        pk__in={p["counted_id"] for p in pairs if p["counted_id"]}).only(
        "pk", "number", "score", "max_score", "percent", "passed", "graded_at")}
    certificates = {(worker_id, exam_id): (verification, revoked_at) for worker_id, exam_id, verification, revoked_at in
                    Certificate.objects.filter(worker_id__in=workers, exam_id__in=exams).values_list(
                        "worker_id", "exam_id", "verification", "revoked_at")}
    roles = dict(PostRole.choices)
    rows = []
    for pair in pairs:
        worker, exam = workers[pair["worker_id"]], exams[pair["exam_id"]]
        attempt = counted.get(pair["counted_id"])
        verification, revoked_at = certificates.get((worker.pk, exam.pk), ("", None))
        state = ("revoked" if revoked_at else "valid") if verification else ""
        rows.append(ResultRow(
            exam_code=exam.code, exam_title=exam.title, worker_code=worker.code, worker_name=worker.name,
            id_number=id_number_shown(worker.id_number, raw=sees_raw), phone=phone_shown(worker.phone, raw=sees_raw),
            department=worker.department.name if worker.department else "", post_role=worker.post_role,
            post_role_label=str(roles.get(worker.post_role, worker.post_role)), worker_active=worker.is_active,
            assigned=pair["assigned"], due_at=pair["due"], attempts_used=pair["used"], in_progress=pair["in_progress"],
            last_attempt_at=pair["last_at"], counted_number=attempt.number if attempt else None,
            score=attempt.score if attempt else None, max_score=attempt.max_score if attempt else None,
            percent=attempt.percent if attempt else None, passed=attempt.passed if attempt else None,
            graded_at=attempt.graded_at if attempt else None, certificate_verification=verification,
            certificate_state=state,
        ))
    return rows


@dataclass(frozen=True)
class ExamSummary:
    assigned: int
    passed: int
    in_progress: int


def employer_exam_summary(*, employer: Any, exam: Exam) -> ExamSummary:
    """The counts on the employer's exam list: assigned by this employer, whose counted result
    passed, and who are sitting it now (the employer's own workers only)."""
    return ExamSummary(
        assigned=ExamAssignment.objects.filter(exam=exam, employer=employer, worker__employer=employer).count(),
        passed=employer_results(employer=employer, exam=exam, passed="passed").count(),
        in_progress=Attempt.objects.filter(exam=exam, worker__employer=employer, mode=AttemptMode.EXAM,
                                           status=Attempt.Status.OPEN).count(),
    )


def employer_exams(*, employer: Any, now: datetime | None = None) -> QuerySet[Exam]:
    """Exams an employer admin works with: published ones not yet closed (to assign), and any this
    employer assigned or its workers sat (to read results)."""
    now = now or timezone.now()
    assignable = Q(status=Exam.Status.PUBLISHED, closes_at__gt=now)
    used = (Exists(ExamAssignment.objects.filter(exam=OuterRef("pk"), employer=employer))
            | Exists(Attempt.objects.filter(exam=OuterRef("pk"), worker__employer=employer, mode=AttemptMode.EXAM)
                     .exclude(status=Attempt.Status.READY)))
    return Exam.objects.exclude(status=Exam.Status.DRAFT).filter(assignable | Q(used)).order_by("-opens_at", "pk")


# -- the workbook ----------------------------------------------------------------------------------

def _columns() -> tuple[ExportColumn, ...]:
    return (
        ExportColumn(_("姓名"), 12), ExportColumn(_("身份证号"), 22), ExportColumn(_("部门"), 14),
        ExportColumn(_("岗位角色"), 16), ExportColumn(_("考试"), 30), ExportColumn(_("成绩"), 8, text=False),
        ExportColumn(_("得分率（%）"), 10, text=False), ExportColumn(_("是否合格"), 10),
        ExportColumn(_("已考次数"), 8, text=False), ExportColumn(_("最近考试时间"), 18),
        ExportColumn(_("证书验证码"), 16), ExportColumn(_("证书状态"), 10),
    )


def _local(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _cells(row: ResultRow) -> list[Any]:
    return [row.worker_name, row.id_number, row.department, row.post_role_label, row.exam_title,
            float(row.score) if row.score is not None else None,
            round(row.percent, 1) if row.percent is not None else None, row.passed_label, row.attempts_used,
            _local(row.last_attempt_at), row.certificate_verification, row.certificate_state_label]


def _chunks(pairs: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _ClaimLost(Exception):
    """Another worker took the export over: this one's file is thrown away."""


def _sees_raw(export: ResultsExport) -> bool:
    # Decided when the file is written, from the scope of whoever asked for it.
    return export.created_by is not None and scope_for(export.created_by).sees_raw(export.employer_id)


def _write(export: ResultsExport, token: str, stream: Any, sees_raw: bool) -> int:
    workbook = ExportWorkbook(stream)
    sheet = workbook.add_sheet(_("考试成绩"), _columns())
    pairs = employer_results(employer=export.employer, exam=export.exam)
    for chunk in _chunks(pairs.iterator(chunk_size=2000)):
        for row in result_rows(chunk, sees_raw=sees_raw):
            sheet.write(_cells(row))
        if not job_progress(ResultsExport, export.pk, token, done=sheet.data_rows):
            raise _ClaimLost
    sheet.finish()
    workbook.close()
    return sheet.data_rows


def results_export_start(*, actor: Any, employer: Any, exam: Exam | None = None,
                         background_rows: int | None = None) -> ResultsExport:
    """Ask for the results workbook of the employer's workers (one exam, or all). Up to
    ``background_rows`` rows (settings.EXAM_RESULTS_BACKGROUND_ROWS, default 2,000) it is written
    now and the returned export is done; beyond, it is queued and the page shows its progress."""
    if exam is not None and exam.status == Exam.Status.DRAFT:
        raise ResultsExportError(_("草稿状态的考试没有成绩"))
    limit = background_rows if background_rows is not None else getattr(
        settings, "EXAM_RESULTS_BACKGROUND_ROWS", BACKGROUND_ROWS)
    total = employer_results(employer=employer, exam=exam).count()
    export = ResultsExport.objects.create(employer=employer, exam=exam, created_by=actor, progress_total=total,
                                          language=translation.get_language() or settings.LANGUAGE_CODE)
    if total <= limit:
        results_export_run(export_id=export.pk)
        export.refresh_from_db()
    else:
        from exams.tasks import results_export_task

        transaction.on_commit(lambda: results_export_task.delay(export.pk))
    return export


def results_export_run(*, export_id: int) -> bool:
    """Write the workbook of one export. Safe to run twice: only a queued export (or one whose
    worker died and whose lease ran out) is written, and only the current claim may finish it."""
    token = job_claim(ResultsExport, export_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return False
    export = ResultsExport.objects.select_related("employer", "exam", "created_by").get(pk=export_id)
    with translation.override(export.language):
        return _run_claimed(export, token)


def _run_claimed(export: ResultsExport, token: str) -> bool:
    sees_raw = _sees_raw(export)
    stored = ""
    try:
        with tempfile.TemporaryFile() as spool:
            count = _write(export, token, spool, sees_raw)
            spool.seek(0)
            export.result_file.save(f"exam-results-{timezone.localdate():%Y%m%d}.xlsx", File(spool), save=False)
            stored = export.result_file.name or ""
        with transaction.atomic():
            if not job_finish(ResultsExport, export.pk, token, status=JobStatus.DONE, result_file=stored,
                              progress_done=count, progress_total=count,
                              message=_("已导出 %(count)s 行") % {"count": count}):
                raise _ClaimLost
            export_log(actor=export.created_by, kind="exam-results", row_count=count, masked=not sees_raw,
                       employer_id=export.employer_id,
                       filters={"exam": export.exam.code} if export.exam else {})
            audit(export.created_by, "exams.results.export", export, employer_id=export.employer_id,
                  data={"rows": count, "masked": not sees_raw, "exam": export.exam.code if export.exam else None})
    except _ClaimLost:
        _discard(stored)
        return False
    except Exception:
        logger.exception("exam results export %s failed", export.pk)
        _discard(stored)
        job_finish(ResultsExport, export.pk, token, status=JobStatus.FAILED,
                   message=_("导出失败，请稍后重试；如仍失败请联系平台管理员"))
        return False
    return True


def results_export_filename(*, export: ResultsExport) -> str:
    """The download's name: one exam's file carries the exam's title (made safe for a file name,
    its code when nothing is left of it), so it is not mistaken for the file of all exams."""
    stamp = f"{timezone.localtime(export.finished_at or export.created_at):%Y%m%d-%H%M}"
    if export.exam is None:
        return f"exam-results-{stamp}.xlsx"
    title = "-".join(_NOT_IN_FILE_NAMES.sub(" ", export.exam.title).split())[:60].strip(".-")
    return f"exam-results-{title or export.exam.code}-{stamp}.xlsx"


def _discard(name: str) -> None:
    if name:
        ResultsExport._meta.get_field("result_file").storage.delete(name)
