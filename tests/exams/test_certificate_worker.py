"""A real Celery worker process over Redis renders a certificate: the pass is graded in this
process, the task goes through the broker, the worker draws and stores the PNG and PDF."""

from __future__ import annotations

import io
import subprocess
import time
from typing import Any

import pytest
from PIL import Image

from config.celery import app as celery_app
from core.models import JobStatus, Notification
from exams.models import Certificate
from tests.celery_workers import worker_log
from tests.exams.helpers import make_bank, make_exam
from tests.exams.test_certificates import sit

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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
        pytest.fail("the worker did not render the certificate in 90 s:\n" + worker_log(celery_worker_process)[-3000:])
    try:
        assert certificate.status == JobStatus.DONE, certificate.message
        with certificate.png.open("rb") as stream:
            image = Image.open(io.BytesIO(stream.read()))
            assert image.format == "PNG" and image.size == (2480, 1754)
        with certificate.pdf.open("rb") as stream:
            assert stream.read(5) == b"%PDF-"
        assert Notification.objects.filter(recipient=personas.worker_user,
                                           key=f"certificate:{certificate.verification}").exists()
        log = worker_log(celery_worker_process)
        assert "exams.tasks.certificate_render" in log and "succeeded" in log
    finally:
        for stored in (certificate.png, certificate.pdf):
            if stored:
                stored.storage.delete(stored.name)
