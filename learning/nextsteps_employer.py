"""The employer's 学时 and training on the home page and in the header: for each employer an admin
keeps, how many of its workers have hours this year, and a 学时 link; how many are overdue on
this year's training, with a link to the list; the training dashboard in the header."""

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
# Overdue training is a task to chase: before the 学时 summary.
OVERDUE_ORDER = 36
TRAINING_NAV_ORDER = 27
# The guide for an employer without a manager: after the overdue list and the 学时.
GUIDE_ORDER = 38


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
    _overdue_steps(scope.employer_ids, result)
    _guide_steps(scope.employer_ids, result)


def _guide_steps(employer_ids: frozenset[int], result: NextSteps) -> None:
    """An employer with no occupational-health manager on its roster is likely a small one with
    nobody who knows the duties: the guide tells it what it owes (one query)."""
    from orgs.models import Employer, PostRole

    lacking = (Employer.objects.filter(pk__in=sorted(employer_ids))
               .exclude(workers__post_role=PostRole.MANAGER, workers__is_active=True).only("code", "name").order_by("name"))
    for employer in lacking:
        result.steps.append(NextStep(
            _("%(employer)s：还没有职业卫生管理人员") % {"employer": employer.name},
            _("回答几个问题（行业、危害因素、各类人员人数），即可得到本单位依法应当开展的培训清单和完成期限，并一键布置。"),
            reverse("learning:training_guide", args=[employer.code]), _("使用培训清单向导"), order=GUIDE_ORDER))


def _overdue_steps(employer_ids: frozenset[int], result: NextSteps) -> None:
    """Each employer with workers overdue on this year's training (as the dashboard counts them:
    cycles due this year, decided by learning.services.compliance). One statement over the cycles
    already past their due date, and one for the employers' names."""
    import datetime as dt

    from learning.models import TrainingAssignment
    from learning.services.compliance import Status, standings, today_local
    from orgs.models import Employer

    today = today_local()
    late = TrainingAssignment.objects.filter(employer_id__in=sorted(employer_ids), withdrawn_on__isnull=True,
                                             due_on__gte=dt.date(today.year, 1, 1), due_on__lt=today)
    overdue: dict[int, set[int]] = {}
    for row, standing in standings(late, today=today, extra=("employer_id", "worker_id")):
        if standing.status == Status.OVERDUE:
            overdue.setdefault(row["employer_id"], set()).add(row["worker_id"])
    if not overdue:
        return
    for employer in Employer.objects.filter(pk__in=list(overdue)).only("code", "name").order_by("name"):
        count = len(overdue[employer.pk])
        result.steps.append(NextStep(
            _("%(employer)s：%(count)s 人培训已逾期") % {"employer": employer.name, "count": count},
            _("%(year)s 年有 %(count)s 人的培训已过截止日期仍未完成，请督促他们完成学时和考试。") % {
                "year": today.year, "count": count},
            reverse("learning:training_employer", args=[employer.code]) + "?status=overdue", _("查看逾期名单"),
            order=OVERDUE_ORDER))


def navigation(request: HttpRequest) -> list[NavItem]:
    if not request_scope(request).employer_ids:
        return []
    return [NavItem(_("学时"), reverse("learning:employer_hours_home"), order=NAV_ORDER),
            NavItem(_("培训"), reverse("learning:training_home"), order=TRAINING_NAV_ORDER)]
