"""Background jobs with leased claims: a job whose worker died is taken over after its lease and
finishes once; a worker that lost its claim writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from core.jobs import job_claim, job_finish, jobs_reap
from orgs.models import Employer, RosterImport, Worker
from orgs.services import roster_import_commit, roster_import_confirm, roster_import_start
from tests.factories import EmployerFactory, UserFactory
from tests.orgs.rosterfiles import make_id, person, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db
Status = RosterImport.Status


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def _checked_import(employer: Employer) -> RosterImport:
    roster_import = roster_import_start(actor=UserFactory(), employer=employer,
                                        upload=upload(xlsx_bytes(table(person(1), person(2), person(3)))))
    assert roster_import.status == Status.CHECKED
    return roster_import


def _crash_while_holding_the_claim(roster_import: RosterImport) -> str:
    """A worker claims the commit, then dies before writing anything (no acknowledgement)."""
    token = job_claim(RosterImport, roster_import.pk, waiting=Status.CHECKED, running=Status.IMPORTING)
    assert token is not None
    return token


def test_it_does_not_claim_a_job_another_worker_holds(db: None) -> None:
    roster_import = _checked_import(EmployerFactory())
    _crash_while_holding_the_claim(roster_import)
    # A second delivery while the lease runs does nothing.
    roster_import_commit(roster_import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == Status.IMPORTING
    assert Worker.objects.filter(employer=roster_import.employer).count() == 0


def test_a_redelivered_task_takes_over_an_expired_lease(db: None) -> None:
    employer = EmployerFactory()
    roster_import = _checked_import(employer)
    stale = _crash_while_holding_the_claim(roster_import)
    RosterImport.objects.filter(pk=roster_import.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    roster_import_commit(roster_import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == Status.IMPORTED
    assert roster_import.claim_token == ""
    assert Worker.objects.filter(employer=employer).count() == 3
    # The dead worker's claim is gone: it could not overwrite the outcome.
    assert not job_finish(RosterImport, roster_import.pk, stale, status=Status.FAILED)


def test_the_reaper_enqueues_a_job_whose_worker_died_and_it_finishes_once(
        db: None, django_capture_on_commit_callbacks: Any) -> None:
    employer = EmployerFactory()
    roster_import = _checked_import(employer)
    _crash_while_holding_the_claim(roster_import)
    later = timezone.now() + dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert jobs_reap(now=later) == {"retried": 1, "failed": 0}
        # A second reaper run finds nothing more to do.
        assert jobs_reap(now=later) == {"retried": 0, "failed": 0}
    # One job enqueued (the import it runs then queues the training rules: orgs.signals).
    assert len([callback for callback in callbacks if "roster_import_commit" in repr(callback)]) == 1
    roster_import.refresh_from_db()
    assert roster_import.status == Status.IMPORTED
    assert sorted(Worker.objects.filter(employer=employer).values_list("id_number", flat=True)) == sorted(
        make_id(number) for number in (1, 2, 3))
    # Delivered once more (Celery's own redelivery): still written once.
    roster_import_commit(roster_import_id=roster_import.pk)
    assert Worker.objects.filter(employer=employer).count() == 3


def test_the_reaper_fails_a_job_after_its_last_attempt(db: None) -> None:
    roster_import = _checked_import(EmployerFactory())
    RosterImport.objects.filter(pk=roster_import.pk).update(status=Status.IMPORTING, attempts=3,
                                                            lease_until=timezone.now() - dt.timedelta(minutes=1))
    assert jobs_reap() == {"retried": 0, "failed": 1}
    roster_import.refresh_from_db()
    assert roster_import.status == Status.FAILED
    assert "未写入任何数据" in roster_import.message


@override_settings(ROSTER_BACKGROUND_ROWS=0)
def test_a_worker_that_lost_its_claim_rolls_its_write_back(db: None, monkeypatch: pytest.MonkeyPatch,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    import orgs.services.imports as imports

    employer = EmployerFactory()
    roster_import = _checked_import(employer)
    real_write = imports.roster_write

    def write_then_lose_the_claim(**kwargs: Any) -> Any:
        result = real_write(**kwargs)
        # Meanwhile the lease ran out and another worker took the job over.
        RosterImport.objects.filter(pk=roster_import.pk).update(claim_token="someone-else")
        return result

    monkeypatch.setattr(imports, "roster_write", write_then_lose_the_claim)
    with django_capture_on_commit_callbacks(execute=True):
        roster_import_confirm(actor=UserFactory(), roster_import=roster_import)
    assert Worker.objects.filter(employer=employer).count() == 0
    roster_import.refresh_from_db()
    assert roster_import.status == Status.IMPORTING
