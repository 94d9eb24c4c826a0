"""Practice the way workers already study: 顺序练习, 随机练习, 错题本.

A practice set is an ``Attempt`` in PRACTICE mode with no deadline: the same paper, the same
answer saving and the same grading as an exam (exams.services.attempts), except that each saved
answer comes back with its feedback and explanation, and feeds the worker's 错题本.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import Attempt, AttemptMode, Question, WrongAnswer
from exams.services.attempts import AttemptError
from exams.services.papers import Candidate, DrawnItem, _option_order, attempt_items_create

PRACTICE_SIZE = 10
MAX_PRACTICE_SIZE = 50
# Each practice question is worth one point: the set's score is the number answered right.
_PRACTICE_POINTS = Decimal("1")
ORDERS = ("sequential", "random", "wrong")


@dataclass(frozen=True)
class PracticeChoice:
    order: str = "sequential"
    dimension: str = ""
    hazard_class: str = ""
    size: int = PRACTICE_SIZE

    def as_dict(self) -> dict[str, Any]:
        return {"order": self.order, "dimension": self.dimension, "hazard_class": self.hazard_class}


def practice_questions(choice: PracticeChoice) -> QuerySet[Question]:
    queryset = Question.objects.filter(is_active=True, current_version__isnull=False)
    if choice.dimension:
        queryset = queryset.filter(dimension_id=choice.dimension)
    if choice.hazard_class:
        queryset = queryset.filter(hazard_class_id=choice.hazard_class)
    return queryset


def wrong_book(worker: Any) -> QuerySet[WrongAnswer]:
    """The questions this worker got wrong and has not yet answered right since."""
    return (WrongAnswer.objects.filter(worker=worker, cleared_at__isnull=True, question__is_active=True)
            .select_related("question", "question__dimension").order_by("-last_wrong_at"))


def _last_sequential_position(worker: Any, choice: PracticeChoice) -> int:
    """The bank position (question id) the worker's last sequential set of this choice reached."""
    last = (Attempt.objects.filter(worker=worker, mode=AttemptMode.PRACTICE, practice=choice.as_dict())
            .order_by("-created_at").first())
    if last is None:
        return 0
    item = last.items.order_by("-position").select_related("version").first()
    return item.version.question_id if item else 0


def practice_start(*, worker: Any, choice: PracticeChoice) -> Attempt:
    """A new practice set: the next questions in bank order (顺序, resuming where the last set of
    the same choice stopped, from the start again at the end), a random draw (随机), or the
    worker's 错题本."""
    if choice.order not in ORDERS:
        raise AttemptError(_("不认识的练习方式"), field="order")
    size = max(1, min(int(choice.size or PRACTICE_SIZE), MAX_PRACTICE_SIZE))
    if choice.order == "wrong":
        questions = Question.objects.filter(pk__in=wrong_book(worker).values("question_id"))
    else:
        questions = practice_questions(choice)
    rows = list(questions.order_by("pk").values_list("pk", "current_version_id", "kind", "facility", "current_version__options"))
    if not rows:
        if choice.order == "wrong":
            raise AttemptError(_("错题本是空的：答错的题会自动收进来"), code="empty")
        raise AttemptError(_("这个范围里还没有试题"), code="empty")
    rng = random.SystemRandom()
    if choice.order == "sequential":
        after = _last_sequential_position(worker, choice)
        following = [row for row in rows if row[0] > after]
        rows = (following + [row for row in rows if row[0] <= after])[:size]
    else:
        rows = rng.sample(rows, min(size, len(rows)))
    candidates = [Candidate(pk, version, kind, facility, len(options)) for pk, version, kind, facility, options in rows]
    drawn = [DrawnItem(c.version_id, c.kind, _option_order(c, rng), _PRACTICE_POINTS) for c in candidates]
    with transaction.atomic():
        attempt = Attempt.objects.create(mode=AttemptMode.PRACTICE, worker=worker, employer_id=worker.employer_id,
                                         status=Attempt.Status.OPEN, started_at=timezone.now(), practice=choice.as_dict())
        attempt_items_create(attempt, drawn)
    return attempt

