"""Building blocks for exam tests: a small bank and an exam over it, made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exams.models import BlueprintRule, Exam, ExamAssignment, Question, QuestionKind
from exams.services.bank import QuestionData, question_save

DIMENSIONS = ("law", "protection_knowledge", "protection_skills", "healthy_behaviour")


def make_question(index: int, *, kind: str = QuestionKind.SINGLE, category: str = "通用/基础", difficulty: int = 3,
                  dimension: str = "law", hazard_class: str = "", answer: str | None = None,
                  actor: Any = None) -> Question:
    if kind == QuestionKind.TRUE_FALSE:
        options: list[str] = []
        answer = answer or ("对" if index % 2 else "错")
    else:
        options = [f"第{index}题选项{letter}" for letter in "ABCD"]
        answer = answer or ("B" if kind == QuestionKind.SINGLE else "AC")
    return question_save(actor=actor, create_category=True, data=QuestionData(
        kind=kind, stem=f"第 {index} 题：职业健康知识（{kind}）", options=options, answer=answer,
        explanation=f"第 {index} 题的解析", category_path=category, difficulty=difficulty, dimension_code=dimension,
        hazard_class_code=hazard_class))


def make_bank(count: int = 12, **kwargs: Any) -> list[Question]:
    kinds = [QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE]
    return [make_question(i, kind=kinds[i % 3], dimension=DIMENSIONS[i % 4], **kwargs) for i in range(1, count + 1)]


def make_exam(*, questions: int = 6, certifies: bool = True, open_to_all: bool = False, workers: tuple = (),
              opens: dt.datetime | None = None, minutes: int = 30, attempts: int = 2, **fields: Any) -> Exam:
    now = timezone.now()
    exam = Exam.objects.create(
        title=fields.pop("title", "接害劳动者职业健康知识考试"), status=Exam.Status.PUBLISHED,
        opens_at=opens or now - dt.timedelta(hours=1), closes_at=(opens or now) + dt.timedelta(days=7),
        time_limit_minutes=minutes, attempts_allowed=attempts, certifies=certifies, open_to_all=open_to_all,
        certificate_hours=Decimal("8"), **fields)
    BlueprintRule.objects.create(exam=exam, count=questions)
    for worker in workers:
        ExamAssignment.objects.create(exam=exam, worker=worker, employer_id=worker.employer_id)
    return exam


def answer_key(attempt: Any) -> dict[int, str]:
    return {item.position: item.version.answer for item in attempt.items.select_related("version")}
