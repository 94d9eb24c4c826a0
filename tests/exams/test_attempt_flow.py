"""The core of sitting an exam, through the services: start, one device, answers, grading."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from exams.models import Attempt, AttemptMode, QuestionKind, WrongAnswer
from exams.services.attempts import (
    AttemptError,
    answer_save,
    attempt_grade_if_due,
    attempt_open,
    attempt_start,
    attempt_submit,
    attempts_grade_expired,
    exam_eligibility,
    mock_start,
)
from exams.services.bank import question_data_from, question_save
from exams.services.papers import papers_prepare, papers_prepare_start
from exams.services.practice import PracticeChoice, practice_start
from tests.exams.helpers import answer_key, make_bank, make_exam

pytestmark = pytest.mark.django_db(transaction=False)


def test_it_starts_answers_and_grades_once(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    assert attempt.status == Attempt.Status.OPEN and attempt.items.count() == 6
    token = attempt_open(attempt=attempt)
    for position, key in answer_key(attempt).items():
        saved = answer_save(attempt=attempt, device_token=token, position=position, response=key)
        assert saved.feedback is None  # an exam never tells the key before grading
    graded = attempt_submit(attempt=attempt)
    assert graded.passed and graded.percent == 100.0
    again = attempt_submit(attempt=attempt)
    assert again.graded_at == graded.graded_at
    assert graded.certificate.holder_name == personas.worker.name


def test_a_second_device_takes_over(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    first = attempt_open(attempt=attempt)
    second = attempt_open(attempt=attempt)
    answer_save(attempt=attempt, device_token=second, position=1, response="A")
    with pytest.raises(AttemptError) as refused:
        answer_save(attempt=attempt, device_token=first, position=1, response="B")
    assert refused.value.code == "taken_over"


def test_it_refuses_answers_not_on_the_paper(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    for position, response in [(99, "A"), ("x", "A"), (1, "Z"), (1, ["A", "B", "C", "D", "E"] * 5), (1, {"a": 1})]:
        with pytest.raises(AttemptError):
            answer_save(attempt=attempt, device_token=token, position=position, response=response)


def test_the_deadline_grades_on_its_own(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker], minutes=10)
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    answer_save(attempt=attempt, device_token=token, position=1, response="A")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10, seconds=20)):
        # Within the grace an answer already in flight is still taken.
        answer_save(attempt=attempt, device_token=token, position=2, response="A")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=12)):
        with pytest.raises(AttemptError) as late:
            answer_save(attempt=attempt, device_token=token, position=3, response="A")
        assert late.value.code == "expired"
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.submitted_by_deadline


def test_the_sweep_grades_abandoned_attempts(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker], minutes=5)
    attempt = attempt_start(worker=personas.worker, exam=exam)
    assert not attempt_grade_if_due(attempt_id=attempt.pk)
    assert attempts_grade_expired(now=timezone.now() + dt.timedelta(minutes=6)) == 1
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.score == 0


def test_attempts_allowed_and_window(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker], attempts=1)
    attempt_submit(attempt=attempt_start(worker=personas.worker, exam=exam))
    with pytest.raises(AttemptError):
        attempt_start(worker=personas.worker, exam=exam)
    later = make_exam(workers=[personas.worker], opens=timezone.now() + dt.timedelta(days=1))
    assert not exam_eligibility(worker=personas.worker, exam=later).allowed
    unassigned = make_exam()
    assert not exam_eligibility(worker=personas.worker, exam=unassigned).allowed


def test_editing_a_question_never_changes_a_past_grade(personas):
    questions = make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    for position, key in answer_key(attempt).items():
        answer_save(attempt=attempt, device_token=token, position=position, response=key)
    attempt_submit(attempt=attempt)
    for question in questions:
        data = question_data_from(question)
        data.stem += "（修订）"
        if data.kind == QuestionKind.SINGLE:
            data.answer = "D"
        question_save(actor=personas.editor, question=question, data=data)
    attempt.refresh_from_db()
    assert attempt.percent == 100.0
    assert all("修订" not in item.version.stem for item in attempt.items.select_related("version"))


def test_papers_drawn_ahead_are_claimed_and_a_blueprint_change_retires_them(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker], open_to_all=True)
    job = papers_prepare_start(exam=exam)
    assert job is not None
    papers_prepare(job_id=job.pk)
    ready = Attempt.objects.filter(exam=exam, status=Attempt.Status.READY)
    assert ready.filter(worker=personas.worker).count() == 1
    mine = ready.get(worker=personas.worker)
    assert attempt_start(worker=personas.worker, exam=exam).pk == mine.pk


def test_each_attempt_gets_its_own_draw_and_option_order(personas):
    make_bank(30)
    exam = make_exam(workers=[personas.worker], questions=10, attempts=0)
    papers = set()
    for _index in range(4):
        attempt = attempt_start(worker=personas.worker, exam=exam)
        papers.add(tuple(attempt.items.values_list("version_id", "option_order")))
        attempt_submit(attempt=attempt)
    assert len(papers) == 4


def test_practice_gives_feedback_and_keeps_the_wrong_book(personas):
    make_bank(12)
    attempt = practice_start(worker=personas.worker, choice=PracticeChoice(order="sequential", size=5))
    token = attempt_open(attempt=attempt)
    first = attempt.items.select_related("version").get(position=1)
    wrong = next(letter for letter in "ABCD" if letter != first.version.answer and
                 (letter in "AB" or first.version.kind != QuestionKind.TRUE_FALSE))
    saved = answer_save(attempt=attempt, device_token=token, position=1, response=wrong)
    assert saved.feedback is not None and not saved.feedback.is_correct and saved.feedback.explanation
    assert WrongAnswer.objects.filter(worker=personas.worker, cleared_at__isnull=True).count() == 1
    redo = practice_start(worker=personas.worker, choice=PracticeChoice(order="wrong"))
    token = attempt_open(attempt=redo)
    item = redo.items.select_related("version").get()
    answer_save(attempt=redo, device_token=token, position=1, response=item.version.answer)
    assert not WrongAnswer.objects.filter(worker=personas.worker, cleared_at__isnull=True).exists()
    following = practice_start(worker=personas.worker, choice=PracticeChoice(order="sequential", size=5))
    assert following.items.get(position=1).version.question_id > attempt.items.get(position=5).version.question_id


def test_a_mock_counts_for_nothing(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker], attempts=1)
    mock = mock_start(worker=personas.worker, exam=exam)
    attempt_submit(attempt=mock)
    assert mock.mode == AttemptMode.MOCK
    assert exam_eligibility(worker=personas.worker, exam=exam).attempts_left == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_submits_grade_once(personas):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    results: list[Attempt] = []

    def submit() -> None:
        try:
            results.append(attempt_submit(attempt=Attempt.objects.get(pk=attempt.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({result.graded_at for result in results}) == 1


def test_a_late_grade_keeps_the_deadline_as_hand_in_time(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker], minutes=10)
    attempt = attempt_start(worker=personas.worker, exam=exam)
    attempts_grade_expired(now=timezone.now() + dt.timedelta(hours=2))
    attempt.refresh_from_db()
    assert attempt.graded_at == attempt.deadline


def test_a_second_mock_resumes_the_open_one(personas):
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    first = mock_start(worker=personas.worker, exam=exam)
    assert mock_start(worker=personas.worker, exam=exam).pk == first.pk


@pytest.mark.parametrize("position", [1.5, True, "1.5", "一", "", None, "99999"])
def test_positions_are_whole_numbers(personas, position):
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    with pytest.raises(AttemptError) as refused:
        answer_save(attempt=attempt, device_token=token, position=position, response="A")
    assert refused.value.field == "position"


@pytest.mark.parametrize(("flag", "expected"), [(True, True), ("true", True), ("0", False), (False, False)])
def test_flags_are_booleans(personas, flag, expected):
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = attempt_start(worker=personas.worker, exam=exam)
    token = attempt_open(attempt=attempt)
    assert answer_save(attempt=attempt, device_token=token, position=1, flagged=flag).flagged is expected
    with pytest.raises(AttemptError):
        answer_save(attempt=attempt, device_token=token, position=1, flagged="maybe")
