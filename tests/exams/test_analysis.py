"""Item analysis against hand-computed values, its flags, its job, and the blueprint's facility
preference that the statistics feed."""

from __future__ import annotations

import math
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import JobStatus
from exams.models import Attempt, AttemptMode, ExamJob, Question, QuestionKind
from exams.services import analysis
from exams.services.analysis import analyse, analysis_report, analysis_start, item_flags, kr20, pearson
from exams.services.attempts import answer_save, attempt_open, attempt_start, attempt_submit, mock_start
from exams.services.papers import paper_draw
from tests.exams.helpers import make_exam, make_question
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db

# Five response patterns (rows: examinees, columns: items 1–4), each sat by two workers. Doubling
# every row changes no proportion, variance or correlation, and gives each item 10 answers, the
# minimum for flags. By hand (population variances):
#   number right X = 4, 3, 2, 2, 1: mean 2.4, σ² = (2.56 + .36 + .16 + .16 + 1.96) / 5 = 1.04
#   p = .8, .6, .6, .4; Σ p·q = .16 + .24 + .24 + .24 = .88
#   KR-20 = 4/3 · (1 − .88 / 1.04) = 8/39 ≈ 0.2051
#   item 1 against its rest score (3, 2, 1, 1, 1): cov = 1.4 − .8·1.6 = .12, σx = .4, σy = .8 → r = .375
#   item 2, rest (3, 2, 1, 2, 1): cov = 1.2 − .6·1.8 = .12, σ²y = .56 → r = .12 / √(.24·.56) ≈ .3273
#   item 3, rest (3, 2, 2, 1, 1): the same figures → r ≈ .3273
#   item 4, rest (3, 3, 2, 2, 0): cov = .6 − .4·2 = −.2, σ²y = 1.2 → r = −.2 / √(.24·1.2) ≈ −.3727
#   upper / lower 27 % of 10 = 3 attempts each: upper = both 4s and a 3, lower = both 1s and a 2;
#   item 1: 3/3 − 1/3 = 2/3; item 4: 2/3 − 2/3 = 0 (items 2 and 3 depend on which 2 is lower).
#   percent (2 points each): 100, 75, 50, 50, 25: mean 60, σ = √650 ≈ 25.50
PATTERNS = [(1, 1, 1, 1), (1, 1, 1, 0), (1, 1, 0, 0), (1, 0, 1, 0), (0, 0, 0, 1)]


def _sit(worker, exam, rights_by_question: dict[int, int]) -> Attempt:
    attempt = attempt_start(worker=worker, exam=exam)
    token = attempt_open(attempt=attempt)
    for item in attempt.items.select_related("version"):
        right = rights_by_question[item.version.question_id]
        response = item.version.answer if right else "A"
        answer_save(attempt=attempt, device_token=token, position=item.position, response=response)
    return attempt_submit(attempt=attempt)


@pytest.fixture
def tiny(personas):
    questions = [make_question(i, kind=QuestionKind.SINGLE, answer="B") for i in range(1, 5)]
    workers = [WorkerFactory(employer=personas.employer) for _index in range(10)]
    exam = make_exam(questions=4, certifies=False, attempts=1, workers=workers)
    for index, worker in enumerate(workers):
        pattern = PATTERNS[index // 2]
        _sit(worker, exam, {question.pk: right for question, right in zip(questions, pattern, strict=True)})
    # A mock exam all wrong counts for nothing.
    mock = mock_start(worker=workers[0], exam=exam)
    attempt_submit(attempt=mock)
    assert mock.mode == AttemptMode.MOCK
    return exam, questions


def test_the_formulas_match_the_hand_computed_values(tiny, personas):
    exam, questions = tiny
    job = analysis_start(exam=exam, actor=personas.editor)
    assert job.status == JobStatus.DONE, job.message
    report = analysis_report(exam)
    assert report is not None and report.attempts == 10 and report.items_per_paper == 4
    assert report.kr20 == pytest.approx(8 / 39)
    assert report.mean == pytest.approx(60) and report.sd == pytest.approx(math.sqrt(650))
    assert report.histogram == [0, 0, 2, 0, 0, 4, 0, 2, 0, 2]
    items = {item.question: item for item in report.items}
    expected = [(0.8, 0.375), (0.6, 0.12 / math.sqrt(0.24 * 0.56)), (0.6, 0.12 / math.sqrt(0.24 * 0.56)),
                (0.4, -0.2 / math.sqrt(0.24 * 1.2))]
    for question, (facility, discrimination) in zip(questions, expected, strict=True):
        item = items[question.pk]
        assert item.n == 10
        assert item.facility == pytest.approx(facility)
        assert item.point_biserial == pytest.approx(discrimination)
    assert items[questions[0].pk].upper_lower == pytest.approx(2 / 3)
    assert items[questions[3].pk].upper_lower == pytest.approx(0)
    # Flags: only item 4, whose better examinees get it wrong more often.
    assert items[questions[3].pk].flags == ["negative"] and items[questions[3].pk].poor
    assert all(not items[question.pk].flags for question in questions[:3])
    assert report.items[0].question == questions[3].pk  # poor items come first
    # The overall statistics on the questions, and the exam's.
    stored = Question.objects.get(pk=questions[0].pk)
    assert stored.facility == pytest.approx(0.8) and stored.discrimination == pytest.approx(0.375)
    assert stored.stats_responses == 10
    exam.refresh_from_db()
    assert exam.kr20 == pytest.approx(8 / 39) and exam.stats_attempts == 10 and exam.stats_at is not None
    assert set(Question.objects.filter(analysis.poor_items_q()).values_list("pk", flat=True)) == {questions[3].pk}


def test_the_overall_statistics_pool_every_exam(tiny, personas):
    _exam, questions = tiny
    workers = [WorkerFactory(employer=personas.employer) for _index in range(2)]
    second = make_exam(questions=4, certifies=False, attempts=1, workers=workers, title="第二场")
    for worker in workers:
        _sit(worker, second, {question.pk: 1 for question in questions})
    _report, overall = analyse(second)
    assert overall[questions[3].pk].responses == 12
    assert overall[questions[3].pk].facility == pytest.approx(6 / 12)
    report, _overall = analyse(second)
    assert report.attempts == 2 and report.kr20 is None  # no variance in the second exam's scores


def test_the_analysis_reads_answers_as_tuples_not_objects(tiny):
    exam, _questions = tiny
    with CaptureQueriesContext(connection) as queries:
        analyse(exam)
    # One aggregate of per-attempt totals, one pass over the answers, one read of the stems:
    # the count does not grow with attempts or answers.
    assert len(queries.captured_queries) <= 4


def test_the_job_runs_through_the_task_when_the_bank_is_large(tiny, personas, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    exam, _questions = tiny
    monkeypatch.setattr(analysis, "INLINE_LIMIT", 0)
    with django_capture_on_commit_callbacks(execute=True):
        job = analysis_start(exam=exam, actor=personas.editor)
        assert job.status == JobStatus.QUEUED
        assert analysis_start(exam=exam, actor=personas.editor).pk == job.pk  # one at a time
    job.refresh_from_db()
    assert job.kind == ExamJob.Kind.ANALYSIS and job.status == JobStatus.DONE
    assert analysis.analysis_run(job_id=job.pk) == 0  # a second delivery does nothing


def test_flags_follow_the_thresholds():
    assert item_flags(facility=0.1, discrimination=0.4, n=50) == ["too_hard"]
    assert item_flags(facility=0.97, discrimination=0.3, n=50) == ["too_easy"]
    assert item_flags(facility=0.5, discrimination=0.1, n=50) == ["low_discrimination"]
    assert item_flags(facility=0.5, discrimination=-0.05, n=50) == ["negative"]
    assert item_flags(facility=0.5, discrimination=0.35, n=50) == []
    assert item_flags(facility=0.1, discrimination=-0.5, n=9) == ["few_responses"]
    assert not analysis.is_poor(["few_responses"])


def test_the_plain_formulas():
    # x = 1, 1, 0, 0; y = 3, 2, 2, 1: r = (4·5 − 2·8) / √((4·2 − 4)(4·18 − 64)) = 4 / √32
    assert pearson(n=4, sum_x=2, sum_y=8, sum_xx=2, sum_yy=18, sum_xy=5) == pytest.approx(4 / math.sqrt(32))
    assert pearson(n=3, sum_x=3, sum_y=6, sum_xx=3, sum_yy=14, sum_xy=6) is None  # x does not vary
    assert kr20(items=4, pq_sum=0.88, variance=1.04) == pytest.approx(8 / 39)
    assert kr20(items=1, pq_sum=0.2, variance=1) is None
    assert analysis.histogram([0, 9.99, 10, 59.5, 100]) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]


def test_the_blueprint_prefers_items_within_the_facility_range(personas):
    questions = [make_question(i, kind=QuestionKind.SINGLE) for i in range(1, 21)]
    inside = {question.pk for question in questions[:8]}
    unknown = {question.pk for question in questions[8:10]}  # no statistics yet: counts as inside
    for question in questions:
        if question.pk in inside:
            question.facility = 0.6
        elif question.pk not in unknown:
            question.facility = 0.1
        question.save(update_fields=["facility"])
    version_to_question = {question.current_version_id: question.pk for question in questions}
    exam = make_exam(questions=10, certifies=False, facility_min=0.3, facility_max=0.9)
    for seed in range(5):
        drawn = {version_to_question[item.version_id] for item in paper_draw(exam, rng=random.Random(seed))}
        assert drawn == inside | unknown
    wider = make_exam(questions=14, certifies=False, facility_min=0.3, facility_max=0.9, title="更长的试卷")
    drawn = {version_to_question[item.version_id] for item in paper_draw(wider, rng=random.Random(3))}
    # All ten preferred items, and four from outside the range to fill the paper.
    assert inside | unknown <= drawn and len(drawn) == 14
    plain = make_exam(questions=10, certifies=False, title="不设范围")
    draws = [{version_to_question[item.version_id] for item in paper_draw(plain, rng=random.Random(seed))}
             for seed in range(5)]
    assert any(drawn - inside - unknown for drawn in draws)  # without a range, any item may come


# --- how the admin shows a figure next to its flag -------------------------------------------------

NEAR = [  # (facility, discrimination): each just across a threshold that two decimals would hide
    (0.198, 0.45), (0.951, 0.45), (0.6, 0.197), (0.6, -0.001), (0.6, 0.2), (0.2, 0.6), (0.6, 0.19996),
]


def _near_report(exam, questions):
    items = [analysis.ItemReport(question=question.pk, code=question.code, stem=question.stem, kind=question.kind, n=40,
                                 facility=facility, point_biserial=discrimination, upper_lower=0.3,
                                 flags=item_flags(facility=facility, discrimination=discrimination, n=40))
             for question, (facility, discrimination) in zip(questions, NEAR, strict=True)]
    return analysis.ExamReport(exam=exam.code, computed_at="2025-06-01T08:00:00+08:00", attempts=40,
                               items_per_paper=6.0, mean=62.0, sd=12.0, kr20=0.71, pass_percent=60,
                               histogram=[0] * 10, items=items)


def test_a_figure_next_to_a_flag_is_shown_on_the_side_the_flag_compares_it(personas, monkeypatch):
    questions = [make_question(i, kind=QuestionKind.SINGLE) for i in range(1, len(NEAR) + 1)]
    exam = make_exam(questions=len(NEAR), certifies=False)
    monkeypatch.setattr(analysis, "analysis_report", lambda of: _near_report(exam, questions) if of == exam else None)
    page = personas.client(personas.editor).get(f"/admin/exams/exams/analysis/{exam.pk}/").content.decode()
    shown = {}
    for row in re.findall(r'<tr[^>]*data-question="([^"]+)">(.*?)</tr>', page, re.S):
        code, cells = row
        facility = re.search(r"<td data-facility>(.*?)</td>", cells).group(1)
        discrimination = re.search(r"<td data-discrimination>(.*?)</td>", cells).group(1)
        shown[code] = (facility, discrimination, "太难" in cells, "太易" in cells, "负区分度" in cells, "区分度低" in cells)
    by_question = {question.code: values for question, values in zip(questions, NEAR, strict=True)}
    assert set(shown) == set(by_question)
    for code, (facility, discrimination, too_hard, too_easy, negative, low) in shown.items():
        # What is shown compares with the threshold exactly as the flag does.
        assert (float(facility) < analysis.FACILITY_LOW) is too_hard, (by_question[code], facility)
        assert (float(facility) > analysis.FACILITY_HIGH) is too_easy, (by_question[code], facility)
        assert (float(discrimination) < 0) is negative, (by_question[code], discrimination)
        assert (0 <= float(discrimination) < analysis.DISCRIMINATION_LOW) is low, (by_question[code], discrimination)
    assert {values[:2] for values in shown.values()} == {
        ("0.198", "0.45"), ("0.951", "0.45"), ("0.60", "0.197"), ("0.60", "-0.001"), ("0.60", "0.20"), ("0.20", "0.60"), ("0.60", "0.199")}
    # The bank's list and a question's page use the same figures.
    for question, (facility, discrimination) in zip(questions, NEAR, strict=True):
        Question.objects.filter(pk=question.pk).update(facility=facility, discrimination=discrimination,
                                                       stats_responses=40)
    listing = personas.client(personas.editor).get("/admin/exams/questions/").content.decode()
    assert "0.197" in listing and "0.951" in listing and "-0.001" in listing
    inspect = personas.client(personas.editor).get(f"/admin/exams/questions/inspect/{questions[2].pk}/").content.decode()
    assert "0.197" in inspect and "区分度低" in inspect
