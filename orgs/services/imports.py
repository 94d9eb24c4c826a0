"""The life of one uploaded roster file: upload → check (dry run) → confirm → import.

Large files are checked and imported by Celery tasks; each step claims the row with a conditional
UPDATE so that a task delivered twice does the work once.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orgs.models import Employer, RosterImport, User
from orgs.services.roster import RosterCheck, roster_check, roster_write
from orgs.services.roster_read import RosterFileError, read_roster

logger = logging.getLogger(__name__)
MAX_LISTED_ERRORS = 1000
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".xls")


class RosterUploadError(ValueError):
    pass


def roster_import_start(*, employer: Employer, user: User, upload: UploadedFile) -> RosterImport:
    """Store the file and check it now (small files) or in the background (large ones)."""
    name = upload.name or "roster"
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise RosterUploadError(_("只接受 .xlsx 或 .csv 文件（可从本页下载模板）"))
    if upload.size == 0:
        raise RosterUploadError(_("文件是空的"))
    if upload.size > settings.ROSTER_MAX_UPLOAD_BYTES:
        limit = f"{settings.ROSTER_MAX_UPLOAD_BYTES / (1024 * 1024):.1f}".removesuffix(".0")
        raise RosterUploadError(_("文件超过 %(limit)s MB；请分成几个文件上传") % {"limit": limit})
    roster_import = RosterImport(employer=employer, created_by=user, original_name=name[:200],
                                 language=translation.get_language() or settings.LANGUAGE_CODE)
    roster_import.file.save(name, upload, save=False)
    roster_import.save()
    if upload.size <= settings.ROSTER_BACKGROUND_BYTES:
        roster_import_check(roster_import_id=roster_import.pk)
        roster_import.refresh_from_db()
    else:
        from orgs.tasks import roster_import_check_task

        transaction.on_commit(lambda: roster_import_check_task.delay(roster_import.pk))
    return roster_import


def _claim(roster_import_id: int, before: str, after: str) -> bool:
    return RosterImport.objects.filter(pk=roster_import_id, status=before).update(status=after) == 1


def _progress_saver(roster_import_id: int) -> Any:
    def save(done: int) -> None:
        RosterImport.objects.filter(pk=roster_import_id).update(processed_rows=done)
    return save


def _run_check(roster_import: RosterImport) -> RosterCheck:
    with roster_import.file.open("rb") as stream:
        table = read_roster(stream, roster_import.original_name)
        RosterImport.objects.filter(pk=roster_import.pk).update(total_rows=table.estimated_rows, processed_rows=0)
        return roster_check(employer=roster_import.employer, table=table,
                            on_progress=_progress_saver(roster_import.pk))


def _store_check(roster_import: RosterImport, check: RosterCheck, status: str) -> None:
    roster_import.status = status
    roster_import.total_rows = check.total_rows
    roster_import.processed_rows = check.total_rows
    roster_import.summary = check.summary()
    roster_import.errors = [error.as_dict() for error in check.errors[:MAX_LISTED_ERRORS]]
    roster_import.error_count = len(check.errors)
    roster_import.finished_at = timezone.now()
    roster_import.save()


def _fail(roster_import: RosterImport, message: str, status: str = RosterImport.Status.REJECTED) -> None:
    roster_import.status = status
    roster_import.message = message
    roster_import.finished_at = timezone.now()
    roster_import.save()


def roster_import_check(*, roster_import_id: int) -> None:
    """Dry run of a stored file. Safe to call twice: only an UPLOADED import is checked."""
    if not _claim(roster_import_id, RosterImport.Status.UPLOADED, RosterImport.Status.CHECKING):
        return
    roster_import = RosterImport.objects.select_related("employer").get(pk=roster_import_id)
    # Messages are stored, so they are written in the language of whoever uploaded the file,
    # also when a Celery worker (which has no request) does the work.
    with translation.override(roster_import.language):
        _check_claimed(roster_import)


def _check_claimed(roster_import: RosterImport) -> None:
    roster_import_id = roster_import.pk
    try:
        check = _run_check(roster_import)
    except RosterFileError as exc:
        _fail(roster_import, str(exc))
        return
    except Exception:
        logger.exception("roster check %s failed", roster_import_id)
        _fail(roster_import, _("检查时发生内部错误，请稍后重试或联系平台管理员"), RosterImport.Status.FAILED)
        return
    status = RosterImport.Status.CHECKED if check.ok else RosterImport.Status.REJECTED
    _store_check(roster_import, check, status)


def roster_import_confirm(*, roster_import: RosterImport) -> None:
    """The admin confirmed the preview: import now (small) or in the background (large)."""
    if roster_import.status != RosterImport.Status.CHECKED:
        raise RosterUploadError(_("只有检查通过、尚未导入的文件可以确认导入"))
    if roster_import.total_rows <= settings.ROSTER_BACKGROUND_ROWS:
        roster_import_commit(roster_import_id=roster_import.pk)
    else:
        from orgs.tasks import roster_import_commit_task

        transaction.on_commit(lambda: roster_import_commit_task.delay(roster_import.pk))


def roster_import_commit(*, roster_import_id: int) -> None:
    """Re-check (the roster may have changed since the preview) and write, all or nothing.
    Safe to call twice: only a CHECKED import is written."""
    if not _claim(roster_import_id, RosterImport.Status.CHECKED, RosterImport.Status.IMPORTING):
        return
    roster_import = RosterImport.objects.select_related("employer").get(pk=roster_import_id)
    with translation.override(roster_import.language):
        _commit_claimed(roster_import)


def _commit_claimed(roster_import: RosterImport) -> None:
    roster_import_id = roster_import.pk
    try:
        check = _run_check(roster_import)
        if not check.ok:
            _store_check(roster_import, check, RosterImport.Status.REJECTED)
            return
        roster_write(employer=roster_import.employer, check=check,
                     on_progress=_progress_saver(roster_import_id))
    except RosterFileError as exc:
        _fail(roster_import, str(exc))
        return
    except Exception:
        logger.exception("roster import %s failed", roster_import_id)
        _fail(roster_import, _("导入时发生内部错误，未写入任何数据；请稍后重试"), RosterImport.Status.FAILED)
        return
    _store_check(roster_import, check, RosterImport.Status.IMPORTED)


def roster_imports_purge(*, older_than_days: int = 30) -> int:
    """Delete old uploaded files (they hold ID numbers) while keeping the record of the import."""
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    purged = 0
    for roster_import in RosterImport.objects.filter(created_at__lt=cutoff).exclude(file=""):
        roster_import.file.delete(save=False)
        RosterImport.objects.filter(pk=roster_import.pk).update(file="")
        purged += 1
    return purged
