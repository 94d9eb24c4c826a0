"""A real Celery worker process over Redis applies the training rules: a worker added by hand is
announced by orgs (workers_changed, once the transaction commits), learning queues the rules, the
worker process sets the pre-job cycle; then the yearly rollover goes through the broker too."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from typing import Any

import pytest
from django.conf import settings

from config.celery import app as celery_app
from learning.models import AssignmentSource, TrainingAssignment
from learning.tasks import training_rollover_task
from orgs.models import HazardFactor, PostRole
from orgs.services.people import worker_create
from tests.celery_workers import worker_log
from tests.factories import unique_id_number, unique_phone

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL")]


def _wait_for(condition: Any, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"the worker did not {what} in 60 s:\n" + worker_log(process)[-3000:])


def test_a_real_worker_sets_a_new_hires_pre_job_training_and_next_years_cycle(
        personas: Any, celery_worker_process: subprocess.Popen[bytes]) -> None:
    celery_app.conf.task_always_eager = False
    try:
        worker = worker_create(actor=personas.employer_admin, employer=personas.employer, name="新工人",
                               id_number=unique_id_number(), phone=unique_phone(), post_role=PostRole.EXPOSED,
                               post="采煤工", exposures=list(HazardFactor.objects.filter(name="煤尘")),
                               hire_date=dt.date.today())
        cycles = TrainingAssignment.objects.filter(worker=worker)
        _wait_for(cycles.exists, celery_worker_process, "set the pre-job cycle")
        first = cycles.get()
        assert (first.programme.code, first.source) == ("exposed-pre-job", AssignmentSource.HIRE)

        next_year = dt.date.today().year + 1
        training_rollover_task.delay(next_year)
        _wait_for(lambda: cycles.filter(starts_on=dt.date(next_year, 1, 1)).exists(), celery_worker_process,
                  "roll the year over")
    finally:
        celery_app.conf.task_always_eager = True
    annual = cycles.get(starts_on=dt.date(next_year, 1, 1))
    assert (annual.programme.code, annual.source) == ("exposed-annual", AssignmentSource.ROLLOVER)
    log = worker_log(celery_worker_process)
    assert "learning.tasks.training_sync" in log and "learning.tasks.training_rollover" in log and "succeeded" in log
