"""Survey files in: what every import shares, and the life of one uploaded file.

Three formats come in (surveys.services.xlsform, .frame, .paper). Each reads its file whole,
checks every row, and writes all of it or nothing: a dry run goes through the very same writes
inside a transaction that is rolled back, so the check shows exactly what the commit would do.
Every problem is a ``RowError`` naming its sheet, row and column, in the same words on the page,
in the management command and in the stored record.

An upload is a ``SurveyImport`` (the exams bank import's shape): stored in private storage,
checked at once when small or by the "survey-import" job when large, shown with its errors and
what was skipped, and written when its owner confirms. Both steps run through the one job step
(queued → running, a leased claim): ``summary["phase"]`` says whether the run checks or writes, so
a task delivered twice, or taken over after its worker died, does the work once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ServiceError
from core.exports import _FORMULA_STARTS
from core.jobs import job_claim, job_finish, job_progress
from core.scope import scope_for
from surveys.models import SurveyImport, Wave

logger = logging.getLogger(__name__)

MAX_BYTES: int = getattr(settings, "SURVEY_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# Checked while the uploader waits; a larger file (thousands of paper sheets) goes to the job.
INLINE_BYTES: int = getattr(settings, "SURVEY_IMPORT_INLINE_BYTES", 256 * 1024)
MAX_LISTED = 1000
HEADER_SEARCH_ROWS = 10


class SurveyFileError(ServiceError):
    """The file as a whole cannot be used (not an xlsx, too large, no header); nothing was read."""


class SurveyImportStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("排队中")
    RUNNING = "running", gettext_lazy("处理中")
    CHECKED = "checked", gettext_lazy("检查通过，待确认导入")
    REJECTED = "rejected", gettext_lazy("有错误，未导入")
    IMPORTED = "imported", gettext_lazy("已导入")
    FAILED = "failed", gettext_lazy("失败")


@dataclass(frozen=True)
class RowError:
    """A bad cell. ``sheet`` is "" for a one-sheet file; ``row`` 0 is the file or sheet as a whole;
    ``letter`` is the column letter and ``header`` its heading ("" when the problem is the row)."""

    sheet: str
    row: int
    letter: str
    header: str
    message: str

    @property
    def where(self) -> str:
        if self.sheet:
            if not self.row:
                return _("%(sheet)s 表") % {"sheet": self.sheet}
            if self.header:
                return _("%(sheet)s 表第 %(row)s 行，%(header)s 列") % {
                    "sheet": self.sheet, "row": self.row, "header": self.header}
            return _("%(sheet)s 表第 %(row)s 行") % {"sheet": self.sheet, "row": self.row}
        if not self.row:
            return _("文件")
        if self.header:
            return _("第 %(row)s 行 %(letter)s 列（%(header)s）") % {
                "row": self.row, "letter": self.letter, "header": self.header}
        return _("第 %(row)s 行") % {"row": self.row}

    @property
    def text(self) -> str:
        return f"{self.where}：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "letter": self.letter, "header": self.header,
                "message": self.message, "text": self.text}


@dataclass(frozen=True)
class Skipped:
    """A row (or a cell) of the file that means something elsewhere and nothing here."""

    sheet: str
    row: int
    what: str  # "type=geopoint", "appearance=minimal"
    reason: str

    @property
    def text(self) -> str:
        where = _("%(sheet)s 表第 %(row)s 行") % {"sheet": self.sheet, "row": self.row} if self.sheet else \
            _("第 %(row)s 行") % {"row": self.row}
        return f"{where} {self.what}：{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "what": self.what, "reason": self.reason, "text": self.text}


@dataclass
class ImportReport:
    """What a file holds and what was (or would be) written: ``created`` rows, every error, what
    was skipped, and a summary of the kind's own (the questionnaire, its items, the strata)."""

    kind: str
    total: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "total": self.total, "created": self.created, "committed": self.committed,
                "error_count": len(self.errors), "notes": self.notes, **self.details}

    def errors_json(self) -> list[dict[str, Any]]:
        return [error.as_dict() for error in self.errors[:MAX_LISTED]]

    def skipped_json(self) -> list[dict[str, Any]]:
        return [skipped.as_dict() for skipped in self.skipped[:MAX_LISTED]]

    def lines(self) -> list[str]:
        """The report as the command prints it (the pages show the same texts in tables)."""
        return report_lines(self.summary(), self.errors_json(), self.skipped_json())


def report_lines(summary: dict[str, Any], errors: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> list[str]:
    lines = [error["text"] for error in errors]
    hidden = int(summary.get("error_count", len(errors))) - len(errors)
    if hidden > 0:
        lines.append(_("……另有 %(count)s 处问题未列出") % {"count": hidden})
    lines += [_("跳过：%(text)s") % {"text": item["text"]} for item in skipped]
    lines += [_("说明：%(note)s") % {"note": note} for note in summary.get("notes", [])]
    return lines


# -- reading xlsx ------------------------------------------------------------------------------
def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def file_content(file: Any) -> bytes:
    """The bytes of an upload, a stored file, a path's stream or bytes, refusing what is too large."""
    if isinstance(file, bytes | bytearray):
        content = bytes(file)
    else:
        if hasattr(file, "seek"):
            with contextlib.suppress(OSError, ValueError):
                file.seek(0)
        content = file.read(MAX_BYTES + 1)
    if not content:
        raise SurveyFileError(_("文件是空的"))
    if len(content) > MAX_BYTES:
        raise SurveyFileError(_("文件超过 %(limit)s MB；请分成几个文件导入") % {"limit": size_limit_text()})
    return content


def size_limit_text() -> str:
    return f"{MAX_BYTES / (1024 * 1024):.1f}".removesuffix(".0")


def unguard(value: Any) -> Any:
    """A cell as typed: our exports put an apostrophe before text a spreadsheet would run as a
    formula (core.exports.spreadsheet_safe); reading our own file back takes it off again."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in _FORMULA_STARTS and value[1:2]:
        return value[1:]
    return value


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as ISO, everything stripped."""
    value = unguard(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def is_blank(values: Iterable[Any]) -> bool:
    return all(cell_text(value) == "" for value in values)


@dataclass
class Sheet:
    name: str
    rows: list[tuple[Any, ...]]  # every row, as read (row 1 first)

    def numbered(self, start: int = 1) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) from row ``start`` on, leaving blank rows out."""
        for number, values in enumerate(self.rows[start - 1:], start=start):
            if not is_blank(values):
                yield number, values


UNREADABLE = gettext_lazy("无法读取这个 Excel 文件，可能已损坏或加了密码；请另存为 .xlsx 后重试")


def read_workbook(content: bytes) -> dict[str, Sheet]:
    """Every sheet of an xlsx by its name, values only (a formula's cached result)."""
    from openpyxl import load_workbook

    if not content.startswith(b"PK\x03\x04"):
        raise SurveyFileError(_("只接受 .xlsx 文件（Excel 2007 及以后的格式）"))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook fails in openpyxl in many different ways
        raise SurveyFileError(str(UNREADABLE)) from exc
    try:
        return {worksheet.title: Sheet(worksheet.title, [tuple(row) for row in worksheet.iter_rows(values_only=True)])
                for worksheet in workbook.worksheets}
    except (ParseError, SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, TypeError) as exc:
        raise SurveyFileError(str(UNREADABLE)) from exc
    finally:
        workbook.close()


def parse_date(value: Any) -> dt.date | None:
    """A date cell: an Excel date, or text 2026-06-15, 2026/6/15, 2026.6.15, 2026年6月15日, 20260615."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    for old, new in (("年", "-"), ("月", "-"), ("日", ""), ("/", "-"), (".", "-")):
        text = text.replace(old, new)
    text = text.strip().split(" ")[0]
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        year, month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


# -- who may import into a wave ----------------------------------------------------------------
def wave_import_check(*, actor: Any, wave: Wave) -> None:
    """Frames and paper sheets are the business of the evaluators of the wave's whole region (a
    city's evaluator reads their part of a provincial wave but does not replace its frame) and of
    superusers; no actor is the system (a management command run by the operator)."""
    if actor is None:
        return
    scope = scope_for(actor)
    if scope.is_superuser:
        return
    if not scope.has("evaluator") or not any(wave.region.subtree_prefix.startswith(prefix)
                                             for prefix in scope.region_prefixes):
        raise PermissionDenied(_("只有本轮调查所在地区的评估人员可以导入抽样框或录入纸质问卷"))


# -- the life of one upload --------------------------------------------------------------------
class _ClaimLost(Exception):
    """Another worker took the job over: this one's writes are rolled back."""


def _runner(kind: str) -> Callable[..., ImportReport]:
    if kind == SurveyImport.Kind.XLSFORM:
        from surveys.services.xlsform import questionnaire_import

        return lambda *, job, actor, dry_run, on_progress: questionnaire_import(
            actor=actor, file=_stored(job), dry_run=dry_run, name=job.original_name)
    if kind == SurveyImport.Kind.FRAME:
        from surveys.services.frame import frame_import

        return lambda *, job, actor, dry_run, on_progress: frame_import(
            actor=actor, wave=job.wave, file=_stored(job), dry_run=dry_run)
    if kind == SurveyImport.Kind.PAPER:
        from surveys.services.paper import paper_import

        return lambda *, job, actor, dry_run, on_progress: paper_import(
            actor=actor, wave=job.wave, file=_stored(job), dry_run=dry_run, on_progress=on_progress)
    raise ServiceError(_("不认识的导入类别 %(kind)s") % {"kind": kind})


def _stored(job: SurveyImport) -> bytes:
    with job.file.open("rb") as stream:
        return stream.read(MAX_BYTES + 1)


def survey_import_start(*, actor: Any, kind: str, file: File | IO[bytes] | bytes, original_name: str,
                        wave: Wave | None = None) -> SurveyImport:
    """Store an uploaded file and check it (a dry run): at once when it is small, else by the
    "survey-import" job. The outcome (errors, skipped rows, summary) is on the record."""
    if kind not in SurveyImport.Kind.values:
        raise ServiceError(_("不认识的导入类别 %(kind)s") % {"kind": kind})
    name = PurePath(original_name or "upload.xlsx").name
    if PurePath(name).suffix.lower() not in (".xlsx", ".xlsm"):
        raise SurveyFileError(_("只接受 .xlsx 文件（Excel 2007 及以后的格式）"))
    if kind == SurveyImport.Kind.XLSFORM:
        from surveys.services.questionnaires import may_edit_questionnaires

        if not may_edit_questionnaires(actor):
            raise PermissionDenied(_("只有内容编辑可以导入调查问卷"))
    else:
        if wave is None:
            raise ServiceError(_("请选择调查轮次"))
        wave_import_check(actor=actor, wave=wave)
    content = file_content(file)
    job = SurveyImport(kind=kind, wave=wave, original_name=name[:200],
                       created_by=actor if getattr(actor, "pk", None) else None,
                       language=translation.get_language() or settings.LANGUAGE_CODE,
                       status=SurveyImportStatus.QUEUED, summary={"phase": "check"})
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    _dispatch(job, len(content))
    return job


def _dispatch(job: SurveyImport, size: int) -> None:
    if size <= INLINE_BYTES:
        survey_import_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        from surveys.tasks import survey_import_task

        transaction.on_commit(lambda: survey_import_task.delay(job.pk))


def survey_import_commit(*, actor: Any, job: SurveyImport) -> SurveyImport:
    """Write a checked file. It is checked again as it is written (the questionnaire, the frame or
    the responses may have changed since the preview), all or nothing; a second confirm (a double
    click) finds the record no longer checked and writes nothing."""
    if job.kind == SurveyImport.Kind.XLSFORM:
        from surveys.services.questionnaires import may_edit_questionnaires

        if not may_edit_questionnaires(actor):
            raise PermissionDenied(_("只有内容编辑可以导入调查问卷"))
    elif job.wave is not None:
        wave_import_check(actor=actor, wave=job.wave)
    summary = {**(job.summary or {}), "phase": "commit", "confirmed_by": getattr(actor, "pk", None)}
    queued = SurveyImport.objects.filter(pk=job.pk, status=SurveyImportStatus.CHECKED).update(
        status=SurveyImportStatus.QUEUED, summary=summary)
    if not queued:
        raise ServiceError(_("只有检查通过、尚未导入的文件可以确认导入"))
    job.status, job.summary = SurveyImportStatus.QUEUED, summary
    _dispatch(job, job.file.size if job.file else 0)
    return job


def _progress(job_id: int, token: str) -> Callable[[int, int], None]:
    def save(done: int, total: int) -> None:
        if not job_progress(SurveyImport, job_id, token, done=done, total=total):
            raise _ClaimLost
    return save


def _outcome(report: ImportReport, status: str, phase: str, confirmed_by: Any) -> dict[str, Any]:
    return {"status": status, "summary": {**report.summary(), "phase": phase, "confirmed_by": confirmed_by},
            "errors": report.errors_json(), "skipped": report.skipped_json(), "message": "",
            "progress_total": report.total, "progress_done": report.total}


def survey_import_run(*, job_id: int) -> int:
    """The job's step (the "survey-import" task and the inline path): check the stored file, or
    write it once confirmed. Returns the rows written (0 for a check). Safe to run twice."""
    token = job_claim(SurveyImport, job_id, waiting=SurveyImportStatus.QUEUED, running=SurveyImportStatus.RUNNING)
    if token is None:
        return 0
    job = SurveyImport.objects.select_related("wave", "wave__region", "created_by").get(pk=job_id)
    phase = (job.summary or {}).get("phase", "check")
    confirmed_by = (job.summary or {}).get("confirmed_by")
    actor = job.created_by
    if phase == "commit" and confirmed_by:
        actor = get_user_model().objects.filter(pk=confirmed_by).first() or actor
    with translation.override(job.language):
        return _run_claimed(job, token, phase=phase, actor=actor, confirmed_by=confirmed_by)


def _run_claimed(job: SurveyImport, token: str, *, phase: str, actor: Any, confirmed_by: Any) -> int:
    commit = phase == "commit"
    try:
        run = _runner(job.kind)
        with transaction.atomic():
            report = run(job=job, actor=actor, dry_run=not commit, on_progress=_progress(job.pk, token))
            status = SurveyImportStatus.REJECTED
            if report.ok:
                status = SurveyImportStatus.IMPORTED if commit else SurveyImportStatus.CHECKED
            # The rows and the record's outcome commit together, only while this run holds the claim.
            if not job_finish(SurveyImport, job.pk, token, **_outcome(report, status, phase, confirmed_by)):
                raise _ClaimLost
        return report.created if commit and report.committed else 0
    except _ClaimLost:
        logger.warning("survey import %s: claim lost, work rolled back", job.pk)
    except PermissionDenied as exc:
        job_finish(SurveyImport, job.pk, token, status=SurveyImportStatus.REJECTED, message=str(exc))
    except ServiceError as exc:
        job_finish(SurveyImport, job.pk, token, status=SurveyImportStatus.REJECTED, message=exc.message)
    except Exception:
        logger.exception("survey import %s failed", job.pk)
        job_finish(SurveyImport, job.pk, token, status=SurveyImportStatus.FAILED,
                   message=_("处理时发生内部错误，未写入任何数据；请稍后重试或联系平台管理员"))
    return 0


def survey_import_status_label(job: SurveyImport) -> str:
    try:
        return str(SurveyImportStatus(job.status).label)
    except ValueError:
        return job.status


def survey_imports_recent(*, kind: str, wave: Wave | None = None, limit: int = 10) -> list[SurveyImport]:
    imports = SurveyImport.objects.filter(kind=kind).select_related("created_by")
    if wave is not None:
        imports = imports.filter(wave=wave)
    return list(imports[:limit])


def import_timestamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")
