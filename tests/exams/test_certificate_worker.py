"""A real Celery worker process over Redis renders a certificate: the pass is graded in this
process, the task goes through the broker, the worker draws and stores the PNG and PDF."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from PIL import Image

from config.celery import app as celery_app
from core.models import JobStatus, Notification
from exams.models import Certificate
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_certificates import sit

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
           # The worker must see the test database pytest-django created and this run's broker.
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
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


def _log(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    return process.communicate(timeout=20)[0].decode(errors="replace")


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL")
def test_a_real_worker_renders_the_certificate(personas: Any, celery_worker_process: subprocess.Popen[bytes]) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    celery_app.conf.task_always_eager = False
    try:
        attempt = sit(personas.worker, exam)
    finally:
        celery_app.conf.task_always_eager = True
    certificate = Certificate.objects.get(attempt=attempt)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        certificate.refresh_from_db()
        if not certificate.is_running:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not render the certificate in 90 s:\n" + _log(celery_worker_process)[-3000:])
    try:
        assert certificate.status == JobStatus.DONE, certificate.message
        with certificate.png.open("rb") as stream:
            image = Image.open(io.BytesIO(stream.read()))
            assert image.format == "PNG" and image.size == (2480, 1754)
        with certificate.pdf.open("rb") as stream:
            assert stream.read(5) == b"%PDF-"
        assert Notification.objects.filter(recipient=personas.worker_user,
                                           key=f"certificate:{certificate.verification}").exists()
        log = _log(celery_worker_process)
        assert "exams.tasks.certificate_render" in log and "succeeded" in log
    finally:
        for stored in (certificate.png, certificate.pdf):
            if stored:
                stored.storage.delete(stored.name)
