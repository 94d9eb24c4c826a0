"""The learning app's part of the home page and the header: for a worker, each course they have
started and not finished ("继续学习 <course>"), and a 课程 link to 我的课程."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from core.nextsteps import NavItem, NextStep, NextSteps
from core.scope import request_scope

# After the exams to sit (exams: 15), before practice (60) and the editorial back office (cms: 50).
LEARNING_ORDER = 40
# Before 考试 (exams: 30): a worker studies, then sits the exam.
NAV_ORDER = 28


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    if not request_scope(request).has("worker"):
        return
    from learning import selectors

    worker = selectors.current_worker(request)
    if worker is None:
        return
    unfinished = [card for card in selectors.worker_courses(worker)
                  if card.enrolment.completed_at is None and card.resume_url]
    for card in unfinished:
        text = _("已完成 %(completed)s / %(total)s 课时，从上次学到的地方接着学。") % {
            "completed": card.completed, "total": card.total}
        result.steps.append(NextStep(_("继续学习 %(course)s") % {"course": card.course.title}, text,
                                     card.resume_url, _("继续学习"), order=LEARNING_ORDER))
    if unfinished:
        # The home page would otherwise say there is nothing to do right under a course to finish.
        result.empty_message = ""


def navigation(request: HttpRequest) -> list[NavItem]:
    if request_scope(request).has("worker"):
        return [NavItem(_("课程"), reverse("learning:mine"), order=NAV_ORDER)]
    return []
