"""The employer's 学时 on the home page and in the header: for each employer an admin keeps, how
many of its workers have hours this year, and a 学时 link."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from core.nextsteps import NavItem, NextStep, NextSteps
from core.scope import request_scope

# After each employer's exams (exams: 35), before the evaluator's region (orgs: 40); in the header after
# 花名册 (20) and 考试管理 (25).
EMPLOYER_ORDER = 37
NAV_ORDER = 26


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    scope = request_scope(request)
    if not scope.employer_ids:
        return
    from learning.models import StudyHours, study_hours
    from learning.reports import this_year
    from orgs.models import Employer

    year = this_year()
    # One query for every employer the admin keeps: its workers with hours this year, and their sum.
    ledger = dict((row["worker__employer_id"], row) for row in StudyHours.objects.filter(
        worker__employer_id__in=scope.employer_ids, year=year).order_by().values("worker__employer_id").annotate(
        workers=Count("worker_id", distinct=True, filter=Q(seconds__gt=0)), seconds=Sum("seconds")))
    for employer in Employer.objects.filter(pk__in=scope.employer_ids).only("code", "name").order_by("name"):
        row = ledger.get(employer.pk)
        if row and row["workers"]:
            text = _("%(year)s 年已有 %(count)s 人参加培训，累计 %(hours)s 学时；可查看每次学习并导出。") % {
                "year": year, "count": row["workers"], "hours": f"{study_hours(row['seconds']):.1f}"}
        else:
            text = _("%(year)s 年还没有劳动者的学时记录。劳动者在手机上学习课程后，学时会在这里汇总。") % {"year": year}
        result.steps.append(NextStep(_("%(employer)s 的学时") % {"employer": employer.name}, text,
                                     reverse("learning:employer_hours", args=[employer.code]), _("查看学时"),
                                     order=EMPLOYER_ORDER))


def navigation(request: HttpRequest) -> list[NavItem]:
    if not request_scope(request).employer_ids:
        return []
    return [NavItem(_("学时"), reverse("learning:employer_hours_home"), order=NAV_ORDER)]
