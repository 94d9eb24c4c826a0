"""What the roster tells the apps above it, which orgs may not import (dependencies point one way).

``workers_changed`` is sent once the transaction that changed an employer's workers commits:
a roster import, a worker added or marked as left, a worker who joined from another employer.
``worker_ids`` is None when any of the employer's workers may have changed. Receivers should
queue their work (learning sets the training the law requires), not do it in the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

workers_changed = Signal()


def workers_changed_on_commit(*, employer_id: int, worker_ids: Iterable[int] | None = None) -> None:
    ids = None if worker_ids is None else sorted(set(worker_ids))
    transaction.on_commit(lambda: workers_changed.send(sender=None, employer_id=employer_id, worker_ids=ids))
