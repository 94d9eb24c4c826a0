"""One real Celery worker process over Redis: the background roster check goes through it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from config.celery import app as celery_app
from orgs.models import RosterImport
from orgs.services import roster_import_start
from tests.factories import EmployerFactory, UserFactory, unique_id_number, unique_phone

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _broker_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def celery_worker_process() -> Iterator[subprocess.Popen[bytes]]:
    if not _broker_reachable():
        pytest.fail(f"Redis broker {settings.CELERY_BROKER_URL} is not reachable")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_TASK_ALWAYS_EAGER": "0",
           # The worker must see the test database pytest-django created, not the configured one.
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    yield process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _roster_csv(rows: int) -> bytes:
    lines = ["姓名,身份证号,手机号,部门,岗位,岗位角色,接触危害因素,入职日期"]
    for number in range(rows):
        lines.append(f"工人{number},{unique_id_number()},{unique_phone()},采煤队,采煤工,接害劳动者,煤尘、噪声,2020-01-0{number % 9 + 1}")
    return "\n".join(lines).encode("utf-8")


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL")
def test_it_checks_a_large_roster_in_a_real_worker(celery_worker_process: subprocess.Popen[bytes]) -> None:
    employer = EmployerFactory()
    admin = UserFactory()
    upload = SimpleUploadedFile("roster.csv", _roster_csv(300), content_type="text/csv")
    celery_app.conf.task_always_eager = False
    try:
        with override_settings(ROSTER_BACKGROUND_BYTES=10):
            roster_import = roster_import_start(actor=admin, employer=employer, upload=upload)
    finally:
        celery_app.conf.task_always_eager = True
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        roster_import.refresh_from_db()
        if not roster_import.is_running:
            break
        time.sleep(0.5)
    else:
        celery_worker_process.terminate()
        log = celery_worker_process.communicate(timeout=20)[0].decode()
        pytest.fail("the worker did not finish the check in 60 s:\n" + log[-3000:])
    assert roster_import.status == RosterImport.Status.CHECKED, roster_import.message
    assert roster_import.progress_total == 300
    assert roster_import.summary["new"] == 300
    celery_worker_process.terminate()
    log = celery_worker_process.communicate(timeout=20)[0].decode()
    assert "orgs.tasks.roster_import_check" in log and "succeeded" in log
