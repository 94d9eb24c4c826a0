"""Training reminders (a beat task runs ``training_reminders_send`` daily).

Each unmet cycle is reminded twice at most: once when its due date is TRAINING_REMIND_DAYS away or
nearer, once when it is overdue. The worker gets a message of their own; each employer admin one
message per programme and due date naming how many people it concerns. The inbox keys say which
cycle a message is about, so a second run (or a retried task) sends nothing again (core.notifications).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.notifications import notify
from learning.models import TrainingAssignment
from learning.services.compliance import Status, standings, today_local
from orgs.models import EmployerAdmin

__all__ = ["ReminderResult", "training_reminders_send"]


@dataclass
class ReminderResult:
    workers: int = 0
    admins: int = 0


def training_reminders_send(*, today: dt.date | None = None) -> ReminderResult:
    today = today or today_local()
    soon = today + dt.timedelta(days=settings.TRAINING_REMIND_DAYS)
    # Cycles due soon, or overdue within the last year (an older one is the dashboard's, not a reminder's).
    candidates = (TrainingAssignment.objects.filter(withdrawn_on__isnull=True, due_on__lte=soon,
                                                    due_on__gte=today - dt.timedelta(days=366),
                                                    worker__is_active=True)
                  .order_by("employer_id", "programme_id", "due_on"))
    groups: dict[tuple[int, str, int, str, dt.date, str], list[int]] = defaultdict(list)
    for row, standing in standings(candidates, today=today,
                                   extra=("worker__user_id", "employer_id", "employer__code", "programme_id",
                                          "programme__code", "programme__name")):
        if standing.status not in (Status.DUE, Status.OVERDUE):
            continue
        stage = "overdue" if standing.status == Status.OVERDUE else "due"
        groups[(row["employer_id"], row["employer__code"], row["programme_id"], row["programme__name"],
                standing.due_on, stage)].append(row["worker__user_id"])
    result = ReminderResult()
    admins: dict[int, list[int]] = defaultdict(list)
    for employer_id, user_id in EmployerAdmin.objects.filter(
            employer_id__in={key[0] for key in groups}).values_list("employer_id", "user_id"):
        admins[employer_id].append(user_id)
    codes = dict(TrainingAssignment.objects.filter(programme_id__in={key[2] for key in groups})
                 .values_list("programme_id", "programme__code").distinct())
    with override(settings.LANGUAGE_CODE):
        for (employer_id, employer_code, programme_id, name, due_on, stage), users in groups.items():
            key = f"training-{stage}:{codes[programme_id]}:{due_on.isoformat()}"
            if stage == "overdue":
                title = _("培训已逾期：%(name)s") % {"name": name}
                body = _("《%(name)s》的截止日期 %(day)s 已过，请尽快完成学时和考试。") % {
                    "name": name, "day": due_on.isoformat()}
            else:
                title = _("培训即将到期：%(name)s") % {"name": name}
                body = _("《%(name)s》请在 %(day)s 前完成学时和考试。") % {"name": name, "day": due_on.isoformat()}
            sent = notify(recipients=users, key=key, title=title, body=body, url=reverse("learning:training"))
            result.workers += sent
            if not sent or not admins.get(employer_id):
                continue
            if stage == "overdue":
                admin_title = _("%(count)s 人的培训已逾期：%(name)s") % {"count": sent, "name": name}
            else:
                admin_title = _("%(count)s 人的培训将于 %(day)s 到期：%(name)s") % {
                    "count": sent, "day": due_on.isoformat(), "name": name}
            result.admins += notify(
                recipients=admins[employer_id], key=f"{key}:{employer_code}:{today.isoformat()}"[:120],
                title=admin_title, body=admin_title,
                url=reverse("learning:training_employer", args=[employer_code]) + f"?status={stage}")
    return result
