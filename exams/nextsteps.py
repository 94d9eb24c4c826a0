"""The exams app's part of the home page and the header: for a worker, the exams to sit (an
attempt under way first, then the nearest deadline), practice, and a 考试 link."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.nextsteps import NavItem, NextStep, NextSteps
from core.scope import request_scope

# After the worker's own record (orgs: 10, 20), before the rosters an admin keeps (30).
EXAM_ORDER = 15
PRACTICE_ORDER = 60
EMPLOYER_ORDER = 35


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    scope = request_scope(request)
    _employer_steps(scope, result)
    if not scope.has("worker"):
        return
    from exams import selectors
    from exams.models import Question

    worker = selectors.current_worker(request)
    if worker is None:
        return
    from exams.services.attempts import attempts_grade_expired_for

    # A paper whose time ran out is graded before the page counts what is left to sit.
    attempts_grade_expired_for(worker=worker)
    cards = [card for card in selectors.worker_exams(worker) if card.to_sit]
    for card in cards:
        url = reverse("exams:exam", args=[card.exam.code])
        if card.state == selectors.ExamState.IN_PROGRESS:
            result.steps.append(NextStep(card.exam.title, _("您有一份答卷正在作答，请尽快完成。"), url, _("继续作答"),
                                         order=EXAM_ORDER))
            continue
        deadline = f"{timezone.localtime(card.deadline):%Y-%m-%d %H:%M}"
        if card.eligibility.attempts_left is None:
            text = _("请在 %(deadline)s 前参加考试。") % {"deadline": deadline}
        else:
            text = _("请在 %(deadline)s 前参加考试，还可参加 %(count)s 次。") % {
                "deadline": deadline, "count": card.eligibility.attempts_left}
        result.steps.append(NextStep(card.exam.title, text, url, _("去考试"), order=EXAM_ORDER))
    if cards:
        # The home page would otherwise say there is nothing to do right under an exam to sit.
        result.empty_message = ""
    if Question.objects.filter(is_active=True, current_version__isnull=False).exists():
        wrong = selectors.wrong_book_count(worker)
        text = _("顺序练习、随机练习，即时看到答案和解析。")
        if wrong:
            text += " " + _("错题本里有 %(count)s 道题待重做。") % {"count": wrong}
        result.steps.append(NextStep(_("练习题库"), text, reverse("exams:practice"), _("去练习"), order=PRACTICE_ORDER))


def _employer_steps(scope: Any, result: NextSteps) -> None:
    """For an employer admin: the exams of each employer, and how many of its workers still have to pass."""
    if not scope.employer_ids:
        return
    from exams.models import Exam
    from orgs.models import Employer

    published = Exam.objects.filter(status=Exam.Status.PUBLISHED, closes_at__gt=timezone.now()).count()
    for employer in Employer.objects.filter(pk__in=scope.employer_ids).only("code", "name"):
        text = _("安排考试、给个别劳动者延长时间、查看和导出成绩；可安排的考试 %(count)s 场。") % {"count": published}
        result.steps.append(NextStep(_("%(employer)s 的考试") % {"employer": employer.name}, text,
                                     reverse("exams:employer_exams", args=[employer.code]), _("考试管理"),
                                     order=EMPLOYER_ORDER))


def navigation(request: HttpRequest) -> list[NavItem]:
    scope = request_scope(request)
    items = []
    if scope.has("worker"):
        items.append(NavItem(_("考试"), reverse("exams:home"), order=30))
    if len(scope.employer_ids) == 1:
        from orgs.models import Employer

        code = Employer.objects.filter(pk__in=scope.employer_ids).values_list("code", flat=True).first()
        if code:
            items.append(NavItem(_("考试管理"), reverse("exams:employer_exams", args=[code]), order=25))
    return items
