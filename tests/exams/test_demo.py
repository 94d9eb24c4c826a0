"""The exams demo: an original bank that passes the bank's own checks, and a seeder that works
through the services and changes nothing when run a second time."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.apps import apps
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core.models import Notification
from exams.demo import MANAGER_EXAM, NOISE_EXAM, WORKER_EXAM, load_bank, question_data, seed_demo
from exams.models import Attempt, AttemptMode, Certificate, Exam, ExamAssignment, Question, QuestionKind, WrongAnswer
from exams.services.bank import question_check, question_fingerprint
from orgs.models import Audience, HazardClass, HazardFactor, LiteracyDimension, PostRole
from tests.factories import EmployerFactory, WorkerFactory

BANK = load_bank()


def test_the_bank_covers_every_dimension_hazard_class_kind_and_difficulty():
    assert len(BANK) >= 150
    dimensions = Counter(item["dimension"] for item in BANK)
    assert set(dimensions) == {"law", "protection_knowledge", "protection_skills", "healthy_behaviour"}
    assert min(dimensions.values()) >= 30
    classes = Counter(item["hazard_class"] for item in BANK if item["hazard_class"])
    assert set(classes) == {"dust", "chemical", "physical", "radiation", "biological", "other"}
    assert min(classes["dust"], classes["chemical"], classes["physical"]) >= 20
    assert min(classes.values()) >= 4
    assert set(Counter(item["kind"] for item in BANK)) == set(QuestionKind.values)
    assert set(Counter(item["difficulty"] for item in BANK)) == {1, 2, 3, 4, 5}
    assert all(item["category"] and item["audiences"] for item in BANK)


@pytest.mark.django_db
def test_every_question_passes_the_bank_checks_and_explains_itself():
    factors = {factor.name: factor for factor in HazardFactor.objects.all()}
    factor_ids = {name: factor.pk for name, factor in factors.items()}
    audiences = set(Audience.objects.values_list("code", flat=True))
    dimensions = set(LiteracyDimension.objects.values_list("code", flat=True))
    classes = set(HazardClass.objects.values_list("code", flat=True))
    fingerprints, stems = set(), set()
    for item in BANK:
        stem, options, answer = question_check(question_data(item, factor_ids))
        if item["kind"] == QuestionKind.SINGLE:
            assert len(answer) == 1 and len(options) >= 3, stem
        if item["kind"] == QuestionKind.MULTIPLE:
            assert len(answer) >= 2 and len(answer) < len(options), stem
        assert len(item["explanation"]) >= 10, stem
        assert item["dimension"] in dimensions and set(item["audiences"]) <= audiences, stem
        assert not item["hazard_class"] or item["hazard_class"] in classes, stem
        if item["hazard_factor"]:
            assert factors[item["hazard_factor"]].hazard_class_id == item["hazard_class"], stem
        fingerprints.add(question_fingerprint(stem, options))
        stems.add(stem)
    assert len(fingerprints) == len(stems) == len(BANK)


def _roster(personas):
    """The personas' employer (云龙矿业, whose 王工 is the demo worker login) with a crew, a second
    employer in Xuzhou, and the outsider's employer in Heyuan."""
    noise = HazardFactor.objects.get(name="噪声")
    crew = [WorkerFactory(employer=personas.employer) for _ in range(16)]
    for worker in crew[::2]:
        worker.exposures.add(noise)
    principal = WorkerFactory(employer=personas.employer, post_role=PostRole.PRINCIPAL, post="总经理")
    manager = WorkerFactory(employer=personas.employer, post_role=PostRole.MANAGER, post="职业卫生专员")
    neighbour = EmployerFactory(name="徐州铜山钢铁有限公司")
    neighbour_manager = WorkerFactory(employer=neighbour, post_role=PostRole.MANAGER)
    WorkerFactory(employer=personas.other_employer, post_role=PostRole.PRINCIPAL)
    return crew, [principal, manager, neighbour_manager]


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in apps.get_app_config("exams").get_models()}
    counts["notifications"] = Notification.objects.count()
    counts["log entries"] = ModelLogEntry.objects.count()
    return counts


@pytest.mark.django_db
def test_the_seeder_works_through_the_services_and_twice_changes_nothing(personas):
    crew, managers = _roster(personas)
    result = seed_demo(participation=1.0)

    assert result["questions_created"] == len(BANK) == Question.objects.count()
    # question_save froze each question into its first version, as the editor.
    assert not Question.objects.filter(current_version__isnull=True).exists()
    assert set(Question.objects.values_list("created_by", flat=True)) == {personas.editor.pk}
    assert ModelLogEntry.objects.filter(action="exams.question.create").count() == len(BANK)

    exams = {exam.title: exam for exam in Exam.objects.all()}
    assert set(exams) == {WORKER_EXAM, MANAGER_EXAM, NOISE_EXAM}
    now = timezone.now()
    for title in (WORKER_EXAM, MANAGER_EXAM):
        exam = exams[title]
        assert exam.certifies and exam.status == Exam.Status.PUBLISHED and not exam.open_to_all
        assert exam.opens_at < now - dt.timedelta(days=50) and exam.closes_at > now + dt.timedelta(days=50)
    assert exams[WORKER_EXAM].rules.count() > 5 and sum(exams[WORKER_EXAM].rules.values_list("count", flat=True)) == 20
    assert sum(exams[MANAGER_EXAM].rules.values_list("count", flat=True)) == 25

    def assigned(title: str) -> set[int]:
        return set(ExamAssignment.objects.filter(exam=exams[title]).values_list("worker_id", flat=True))

    assert assigned(WORKER_EXAM) == {personas.worker.pk, *(worker.pk for worker in crew)}
    assert assigned(MANAGER_EXAM) == {worker.pk for worker in managers}
    assert personas.worker.pk in assigned(NOISE_EXAM) and crew[0].pk in assigned(NOISE_EXAM)
    assert crew[1].pk not in assigned(NOISE_EXAM)
    # The outsider's employer is in another city: nothing of the campaign reaches it.
    assert not ExamAssignment.objects.filter(employer=personas.other_employer).exists()
    assert ModelLogEntry.objects.filter(action="exams.exam.assign").count() == 4

    graded = Attempt.objects.filter(mode=AttemptMode.EXAM, status=Attempt.Status.GRADED)
    assert result["attempts_created"] == graded.count() >= 25
    assert not Attempt.objects.filter(mode=AttemptMode.EXAM, status=Attempt.Status.OPEN).exists()
    assert graded.filter(passed=False).exists() and graded.filter(passed=True).exists()
    assert all(attempt.graded_at < now - dt.timedelta(hours=1) for attempt in graded)
    # Every pass of a certifying exam issued a certificate: one per worker and exam.
    certified = {(a.worker_id, a.exam_id) for a in graded.filter(passed=True, exam__certifies=True)}
    assert set(Certificate.objects.values_list("worker_id", "exam_id")) == certified
    # Item analysis ran on what the attempts answered.
    analysed = Exam.objects.get(pk=exams[WORKER_EXAM].pk)
    assert analysed.stats_attempts == graded.filter(exam=analysed).count() and analysed.kr20 is not None
    facilities = list(Question.objects.filter(stats_responses__gt=0).values_list("facility", flat=True))
    assert min(facilities) < 0.5 < max(facilities)

    # The demo login: failed once, then passed with a certificate; the noise exam still to take.
    mine = graded.filter(worker=personas.worker, exam=exams[WORKER_EXAM]).order_by("number")
    assert [attempt.passed for attempt in mine] == [False, True]
    assert Certificate.objects.filter(worker=personas.worker, exam=exams[WORKER_EXAM]).exists()
    assert not Attempt.objects.filter(worker=personas.worker, exam=exams[NOISE_EXAM]).exists()
    assert Attempt.objects.filter(worker=personas.worker, mode=AttemptMode.MOCK, status=Attempt.Status.GRADED).count() == 2
    assert Attempt.objects.filter(worker=personas.worker, mode=AttemptMode.PRACTICE).count() == 2
    assert WrongAnswer.objects.filter(worker=personas.worker, cleared_at__isnull=True).exists()

    before = _counts()
    again = seed_demo(participation=1.0)
    assert again["questions_created"] == again["exams_created"] == again["assignments_created"] == 0
    assert again["attempts_created"] == 0
    assert _counts() == before
