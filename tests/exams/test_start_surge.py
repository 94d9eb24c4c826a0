"""What a start and the attempt page cost, the two requests every examinee of a campaign makes at
the window's opening: the worker comes with the session, a start locks the worker's row alone (not
the employer's, which every start of a campaign would queue on), an attempt is no entry of
Wagtail's reference index, and the page reads the worker's own attempt without the scope."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ReferenceIndex

from exams.models import Attempt, Certificate, Exam, ExamJob
from exams.services.attempts import attempt_start
from exams.services.papers import papers_prepare, papers_prepare_start
from orgs.models import RosterImport
from tests.conftest import Personas
from tests.exams.helpers import answer_key, make_bank, make_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    exam = make_exam(workers=[personas.worker, personas.other_worker])
    job = papers_prepare_start(exam=exam)
    if job is not None:
        papers_prepare(job_id=job.pk)
    assert Attempt.objects.filter(exam=exam, status=Attempt.Status.READY).count() == 2
    return exam


def test_a_start_locks_the_worker_alone_and_writes_no_reference(personas: Personas, exam: Exam) -> None:
    with CaptureQueriesContext(connection) as queries:
        attempt = attempt_start(worker=personas.worker, exam=exam)
    assert attempt.status == Attempt.Status.OPEN and attempt.worker_id == personas.worker.pk
    statements = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in statements if "referenceindex" in sql], statements
    if connection.vendor == "postgresql":
        lock = next(sql for sql in statements if "FOR UPDATE" in sql and '"orgs_worker"' in sql)
        assert 'FOR UPDATE OF "orgs_worker"' in lock and "orgs_employer" not in lock, lock


def test_the_start_and_the_page_take_no_scope_and_few_statements(personas: Personas, exam: Exam) -> None:
    client = personas.client(personas.worker_user)
    with CaptureQueriesContext(connection) as start:
        response = client.post(reverse("exams:start", args=[exam.code]))
    assert response.status_code == 302
    code = response["Location"].rstrip("/").split("/")[-1]
    # The test's own transaction turns the start's into a savepoint: not a statement of the start.
    start_sql = [query["sql"] for query in start.captured_queries if "SAVEPOINT" not in query["sql"]]
    # No role query (the scope's UNION): the worker was read with the session.
    assert not [sql for sql in start_sql if "UNION ALL" in sql], start_sql
    # Nor is the worker read again (the lock reads its id alone).
    assert not [sql for sql in start_sql if '"orgs_worker"."name"' in sql and 'session_key' not in sql], start_sql
    # Session; exam; lock; the worker's attempts; override; assignment; the paper claimed; its
    # update.
    if connection.vendor == "postgresql":
        assert len(start_sql) <= 8, start_sql
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("exams:attempt", args=[code]))
    assert response.status_code == 200 and re.search(rb'data-device="[0-9a-f]{32}"', response.content)
    page_sql = [query["sql"] for query in page.captured_queries if "SAVEPOINT" not in query["sql"]]
    # Session; the attempt; this device's token; the paper; and the header's unread count and
    # navigation (the one role query).
    assert len([sql for sql in page_sql if "UNION ALL" in sql]) <= 1, page_sql
    if connection.vendor == "postgresql":
        assert len(page_sql) <= 6, page_sql
    content = response.content.decode()
    # The words hoisted out of the loop are still every question's own.
    assert content.count('data-testid="question"') == 6
    assert "第 1 / 6 题 · " in content and 'aria-label="第 6 题"' in content
    assert content.count(">上一题<") == 6 and content.count(">下一题<") == 6


def test_the_page_still_answers_404_to_everyone_but_its_worker(personas: Personas, exam: Exam) -> None:
    attempt = attempt_start(worker=personas.worker, exam=exam)
    url = reverse("exams:attempt", args=[attempt.code])
    for user in (personas.other_worker.user, personas.employer_admin, personas.evaluator, personas.editor,
                 personas.outsider):
        assert personas.client(user).get(url).status_code == 404, user
    unknown = reverse("exams:attempt", args=["NOSUCHCODE1"])
    assert personas.client(personas.worker_user).get(unknown).status_code == 404
    assert personas.client(personas.worker_user).get(reverse("exams:attempt", args=["a\x00b"])).status_code == 404


def test_attempts_certificates_and_jobs_stay_out_of_the_reference_index(personas: Personas, exam: Exam) -> None:
    for model in (Attempt, Certificate, ExamJob, RosterImport):
        assert not ReferenceIndex.is_indexed(model) and not ReferenceIndex.model_is_indexable(model), model
    client = personas.client(personas.worker_user)
    code = client.post(reverse("exams:start", args=[exam.code]))["Location"].rstrip("/").split("/")[-1]
    attempt = Attempt.objects.get(code=code)
    page = client.get(reverse("exams:attempt", args=[code])).content.decode()
    device = re.search(r'data-device="([0-9a-f]+)"', page)
    assert device is not None
    for position, letters in answer_key(attempt).items():
        response = client.post(reverse("exams:answer", args=[code]), data={
            "device": device.group(1), "position": position, "response": letters}, content_type="application/json")
        assert response.status_code == 200
    client.post(reverse("exams:submit", args=[code]), {"device": device.group(1)})
    attempt.refresh_from_db()
    assert attempt.is_graded and Certificate.objects.filter(attempt=attempt).exists()
    types = ContentType.objects.get_for_models(Attempt, Certificate, ExamJob).values()
    assert not ReferenceIndex.objects.filter(content_type__in=types).exists()
