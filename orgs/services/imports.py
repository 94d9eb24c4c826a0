"""The life of one uploaded roster file: upload → check (dry run) → confirm → import.

Large files are checked and imported by Celery tasks. Each step is a leased claim on the row
(core.jobs): a task delivered twice does the work once, a task whose worker died is taken over
after its lease, and the write and its outcome commit together only while the claim is held, so
nothing is written twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.jobs import job_claim, job_finish, job_progress
from core.throttle import throttle_add, throttle_exceeded
from orgs.models import Employer, RosterImport, User
from orgs.services.roster import RosterCheck, roster_check, roster_transfers, roster_write
from orgs.services.roster_read import RosterFileError, read_roster
from orgs.signals import workers_changed_on_commit

logger = logging.getLogger(__name__)
MAX_LISTED_ERRORS = 1000
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".xls")
Status = RosterImport.Status
_THROTTLE = "orgs.roster-check"


class RosterUploadError(ServiceError):
    pass


class _ClaimLost(Exception):
    """Another worker took the job over: roll this one's work back."""


def roster_import_start(*, actor: User, employer: Employer, upload: UploadedFile) -> RosterImport:
    """Store the file and check it now (small files) or in the background (large ones)."""
    name = upload.name or "roster"
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise RosterUploadError(_("只接受 .xlsx 或 .csv 文件（可从本页下载模板）"))
    size = upload.size or 0
    if size == 0:
        raise RosterUploadError(_("文件是空的"))
    if size > settings.ROSTER_MAX_UPLOAD_BYTES:
        limit = f"{settings.ROSTER_MAX_UPLOAD_BYTES / (1024 * 1024):.1f}".removesuffix(".0")
        raise RosterUploadError(_("文件超过 %(limit)s MB；请分成几个文件上传") % {"limit": limit})
    # Checks look numbers up: many small files an hour, or more numbers outside the roster in a
    # day than any real roster has, is someone probing, not keeping a roster.
    if (throttle_exceeded(_THROTTLE, f"files:{employer.pk}", settings.ROSTER_CHECKS_PER_HOUR)
            or throttle_exceeded(_THROTTLE, f"numbers:{employer.pk}", settings.ROSTER_OUTSIDE_NUMBERS_PER_DAY)):
        raise RosterUploadError(_("本单位今天检查的花名册过多，请稍后再试；如需批量导入请联系平台管理员"))
    throttle_add(_THROTTLE, f"files:{employer.pk}", 3600)
    roster_import = RosterImport(employer=employer, created_by=actor, original_name=name[:200],
                                 language=translation.get_language() or settings.LANGUAGE_CODE)
    roster_import.file.save(name, upload, save=False)
    roster_import.save()
    audit(actor, "orgs.roster.upload", roster_import, employer_id=employer.pk, data={"name": roster_import.original_name})
    if size <= settings.ROSTER_BACKGROUND_BYTES:
        roster_import_check(roster_import_id=roster_import.pk)
        roster_import.refresh_from_db()
    else:
        from orgs.tasks import roster_import_check_task

        transaction.on_commit(lambda: roster_import_check_task.delay(roster_import.pk))
    return roster_import


def _progress_saver(roster_import_id: int, token: str) -> Any:
    def save(done: int) -> None:
        if not job_progress(RosterImport, roster_import_id, token, done=done):
            raise _ClaimLost
    return save


def _run_check(roster_import: RosterImport, token: str) -> RosterCheck:
    with roster_import.file.open("rb") as stream:
        table = read_roster(stream, roster_import.original_name)
        job_progress(RosterImport, roster_import.pk, token, done=0, total=table.estimated_rows)
        return roster_check(employer=roster_import.employer, table=table,
                            on_progress=_progress_saver(roster_import.pk, token))


def _check_outcome(check: RosterCheck) -> dict[str, Any]:
    return {"progress_total": check.total_rows, "progress_done": check.total_rows, "summary": check.summary(),
            "errors": [error.as_dict() for error in check.errors[:MAX_LISTED_ERRORS]],
            "error_count": len(check.errors), "message": ""}


def roster_import_check(*, roster_import_id: int) -> None:
    """Dry run of a stored file. Safe to call twice: only an UPLOADED import (or one whose check
    lost its worker) is checked."""
    token = job_claim(RosterImport, roster_import_id, waiting=Status.UPLOADED, running=Status.CHECKING)
    if token is None:
        return
    roster_import = RosterImport.objects.select_related("employer", "created_by").get(pk=roster_import_id)
    # Messages are stored, so they are written in the language of whoever uploaded the file,
    # also when a Celery worker (which has no request) does the work.
    with translation.override(roster_import.language):
        _check_claimed(roster_import, token)


def _check_claimed(roster_import: RosterImport, token: str) -> None:
    try:
        check = _run_check(roster_import, token)
    except _ClaimLost:
        return
    except RosterFileError as exc:
        job_finish(RosterImport, roster_import.pk, token, status=Status.REJECTED, message=str(exc))
        return
    except Exception:
        logger.exception("roster check %s failed", roster_import.pk)
        job_finish(RosterImport, roster_import.pk, token, status=Status.FAILED,
                   message=_("检查时发生内部错误，请稍后重试或联系平台管理员"))
        return
    throttle_add(_THROTTLE, f"numbers:{roster_import.employer_id}", 24 * 3600, check.outside_roster)
    status = Status.CHECKED if check.ok else Status.REJECTED
    if job_finish(RosterImport, roster_import.pk, token, status=status, **_check_outcome(check)):
        audit(roster_import.created_by, "orgs.roster.check", roster_import, employer_id=roster_import.employer_id,
              data={"rows": check.total_rows, "errors": len(check.errors), "outside_roster": check.outside_roster})


def roster_import_confirm(*, actor: User, roster_import: RosterImport) -> None:
    """The admin confirmed the preview: import now (small) or in the background (large)."""
    if roster_import.status != Status.CHECKED:
        raise RosterUploadError(_("只有检查通过、尚未导入的文件可以确认导入"))
    audit(actor, "orgs.roster.confirm", roster_import, employer_id=roster_import.employer_id)
    if roster_import.progress_total <= settings.ROSTER_BACKGROUND_ROWS:
        roster_import_commit(roster_import_id=roster_import.pk)
    else:
        from orgs.tasks import roster_import_commit_task

        transaction.on_commit(lambda: roster_import_commit_task.delay(roster_import.pk))


def roster_import_commit(*, roster_import_id: int) -> None:
    """Re-check (the roster may have changed since the preview) and write, all or nothing.
    Safe to call twice: only a CHECKED import (or one whose commit lost its worker) is written."""
    token = job_claim(RosterImport, roster_import_id, waiting=Status.CHECKED, running=Status.IMPORTING)
    if token is None:
        return
    roster_import = RosterImport.objects.select_related("employer", "created_by").get(pk=roster_import_id)
    with translation.override(roster_import.language):
        _commit_claimed(roster_import, token)


def _commit_claimed(roster_import: RosterImport, token: str) -> None:
    try:
        check = _run_check(roster_import, token)
        if not check.ok:
            job_finish(RosterImport, roster_import.pk, token, status=Status.REJECTED, **_check_outcome(check))
            return
        with transaction.atomic():
            roster_write(employer=roster_import.employer, check=check)
            roster_transfers(actor=roster_import.created_by, employer=roster_import.employer, check=check,
                             roster_import=roster_import)
            # The outcome commits with the rows, and only while this worker still holds the claim.
            if not job_finish(RosterImport, roster_import.pk, token, status=Status.IMPORTED, **_check_outcome(check)):
                raise _ClaimLost
            audit(roster_import.created_by, "orgs.roster.import", roster_import,
                  employer_id=roster_import.employer_id, data=check.summary())
            workers_changed_on_commit(employer_id=roster_import.employer_id)
    except _ClaimLost:
        logger.warning("roster import %s: claim lost, work rolled back", roster_import.pk)
    except RosterFileError as exc:
        job_finish(RosterImport, roster_import.pk, token, status=Status.REJECTED, message=str(exc))
    except Exception:
        logger.exception("roster import %s failed", roster_import.pk)
        job_finish(RosterImport, roster_import.pk, token, status=Status.FAILED,
                   message=_("导入时发生内部错误，未写入任何数据；请稍后重试"))


def roster_imports_purge(*, older_than_days: int = 30) -> int:
    """Delete old uploaded files (they hold ID numbers) while keeping the record of the import."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    purged = 0
    for roster_import in RosterImport.objects.filter(created_at__lt=cutoff).exclude(file=""):
        roster_import.file.delete(save=False)
        RosterImport.objects.filter(pk=roster_import.pk).update(file="")
        audit(None, "orgs.roster.purge", roster_import, employer_id=roster_import.employer_id)
        purged += 1
    return purged
