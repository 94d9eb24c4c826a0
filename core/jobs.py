"""Background jobs: leased claims, progress, and the reaper.

A job model subclasses ``core.models.Job`` and registers its kind here (in its AppConfig's
``ready()``), naming for each running status the status it was claimed from and the Celery task
that does that step. Then:

- ``job_claim`` moves a row from the waiting status to the running one with a conditional UPDATE
  that also sets a claim token and a lease; it also takes over a running row whose lease ran out
  (Celery redelivers an unacknowledged task after its worker died);
- ``job_progress`` records progress and renews the lease, only for the current claim;
- ``job_finish`` writes the outcome, only for the current claim, so a worker that lost its claim
  cannot overwrite the work of the one that took over;
- ``jobs_reap`` (beat) gives rows whose lease ran out back to their waiting status and enqueues their
  task again, or fails them after ``max_attempts`` claims.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.models import Job

logger = logging.getLogger(__name__)
DEFAULT_LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class JobStep:
    waiting: str  # the status a row waits in for this step
    running: str  # the status while a worker holds the claim
    task: str  # the Celery task name that runs the step for one row id


@dataclass(frozen=True)
class JobKind:
    name: str  # in URLs: /jobs/<name>/<code>/progress/
    model: type[Job]
    steps: tuple[JobStep, ...]
    failed_status: str
    lease: dt.timedelta = DEFAULT_LEASE
    max_attempts: int = 3
    # Reading the progress needs the same reach as changing the job's owner (core.scope).
    progress_needs_write: bool = True


_KINDS: dict[str, JobKind] = {}


def register_job_kind(kind: JobKind) -> None:
    _KINDS[kind.name] = kind


def job_kind(name: str) -> JobKind | None:
    return _KINDS.get(name)


def job_kind_of(model: type[Job]) -> JobKind:
    for kind in _KINDS.values():
        if kind.model is model:
            return kind
    raise LookupError(f"{model.__name__} is not a registered job kind")


def job_claim(model: type[Job], pk: int, *, waiting: str, running: str) -> str | None:
    """Claim row ``pk`` for the step ``waiting → running``; the claim token, or None when another
    worker holds it (or the step is done)."""
    kind = job_kind_of(model)
    now = timezone.now()
    token = secrets.token_hex(16)
    expired = Q(status=running, lease_until__lt=now)
    claimed = model._default_manager.filter(Q(pk=pk) & (Q(status=waiting) | expired)).update(
        status=running, claim_token=token, claimed_at=now, lease_until=now + kind.lease, attempts=F("attempts") + 1,
    )
    return token if claimed == 1 else None


def job_progress(model: type[Job], pk: int, token: str, *, done: int, total: int | None = None) -> bool:
    """Record progress and renew the lease; False when the claim was lost."""
    kind = job_kind_of(model)
    changes: dict[str, Any] = {"progress_done": done, "lease_until": timezone.now() + kind.lease}
    if total is not None:
        changes["progress_total"] = total
    return model._default_manager.filter(pk=pk, claim_token=token).update(**changes) == 1


def job_finish(model: type[Job], pk: int, token: str, *, status: str, **changes: Any) -> bool:
    """Write the outcome of a claimed step and release the claim; False when the claim was lost
    (the caller rolls its work back)."""
    # attempts counts the claims of one step: the next step starts again from zero.
    updated = model._default_manager.filter(pk=pk, claim_token=token).update(
        status=status, claim_token="", lease_until=None, attempts=0, finished_at=timezone.now(), **changes,
    )
    return updated == 1


def jobs_reap(now: dt.datetime | None = None) -> dict[str, int]:
    """Give rows whose lease ran out back to the queue (and enqueue their task), or fail them after
    ``max_attempts`` claims. Safe to run twice: each row is moved by a conditional UPDATE."""
    now = now or timezone.now()
    counts = {"retried": 0, "failed": 0}
    for kind in _KINDS.values():
        for step in kind.steps:
            stale = kind.model._default_manager.filter(status=step.running, lease_until__lt=now)
            for pk, attempts, language in stale.values_list("pk", "attempts", "language"):
                row = kind.model._default_manager.filter(pk=pk, status=step.running, lease_until__lt=now)
                if attempts >= kind.max_attempts:
                    with override(language):
                        message = _("后台处理多次中断，已停止；未写入任何数据，请重新上传或稍后重试")
                    if row.update(status=kind.failed_status, claim_token="", lease_until=None,
                                  finished_at=now, message=message):
                        counts["failed"] += 1
                        logger.warning("job %s %s failed after %s attempts", kind.name, pk, attempts)
                    continue
                if row.update(status=step.waiting, claim_token="", lease_until=None):
                    counts["retried"] += 1
                    logger.warning("job %s %s: lease ran out in %s, enqueued again", kind.name, pk, step.running)
                    transaction.on_commit(partial(_enqueue, step.task, pk))
    return counts


def _enqueue(task_name: str, pk: int) -> None:
    """Through the registered task, so the embedded set-up (eager Celery) runs it in-process. Task
    names are their module paths: import the module if no worker has loaded it yet."""
    from celery import current_app

    if task_name not in current_app.tasks:
        import_module(task_name.rsplit(".", 1)[0])
    current_app.tasks[task_name].delay(pk)
