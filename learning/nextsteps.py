"""The learning app's part of the home page and the header: for a worker, their unmet training
cycles (我的培训, with the nearest due date), each course they have started and not finished
("继续学习 <course>"), and the 培训 and 课程 links."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.nextsteps import NavItem, NextStep, NextSteps
from core.scope import request_scope

# After the exams to sit (exams: 15), before practice (60) and the editorial back office (cms: 50).
LEARNING_ORDER = 40
# Right after the exams to sit (exams: 15): a duty with a due date comes before a course to resume.
TRAINING_ORDER = 16
# Before 考试 (exams: 30): a worker studies, then sits the exam.
NAV_ORDER = 28
TRAINING_NAV_ORDER = 27


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    if not request_scope(request).has("worker"):
        return
    from learning import selectors

    worker = selectors.current_worker(request)
    if worker is None:
        return
    _training_step(worker, result)
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


def _training_step(worker: Any, result: NextSteps) -> None:
    """我的培训 when a cycle is unmet: one query (the standings of the worker's open cycles)."""
    from learning.services.compliance import today_local
    from learning.training_selectors import worker_training_due

    due = worker_training_due(worker, today_local())
    if due is None:
        return
    day = due.due_on.isoformat()
    if due.days_left < 0:
        text = ngettext("%(count)s 项培训未完成，最早的已于 %(day)s 截止，已逾期 %(days)s 天。",
                        "%(count)s 项培训未完成，最早的已于 %(day)s 截止，已逾期 %(days)s 天。", due.count)
    elif due.days_left == 0:
        text = ngettext("%(count)s 项培训未完成，最近的今天（%(day)s）截止。",
                        "%(count)s 项培训未完成，最近的今天（%(day)s）截止。", due.count)
    else:
        text = ngettext("%(count)s 项培训未完成，最近的 %(day)s 截止，还有 %(days)s 天。",
                        "%(count)s 项培训未完成，最近的 %(day)s 截止，还有 %(days)s 天。", due.count)
    text = text % {"count": due.count, "day": day, "days": abs(due.days_left)}
    result.steps.append(NextStep(_("我的培训"), text, reverse("learning:training"), _("去培训"), order=TRAINING_ORDER))
    # The home page would otherwise say there is nothing to do right under a training to finish.
    result.empty_message = ""


def navigation(request: HttpRequest) -> list[NavItem]:
    if request_scope(request).has("worker"):
        return [NavItem(_("培训"), reverse("learning:training"), order=TRAINING_NAV_ORDER),
                NavItem(_("课程"), reverse("learning:mine"), order=NAV_ORDER)]
    return []
