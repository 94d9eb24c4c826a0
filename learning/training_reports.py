"""Reads of training compliance shared by the employer's dashboard, its workbook, the regional
view and the API. Every figure comes from learning.services.compliance; this module only counts.

A year's duties are the cycles due in that year (Asia/Shanghai dates). A worker is compliant for
the year when every cycle of theirs due in it is met; overdue when any is overdue; otherwise due.
Withdrawn cycles are listed but never counted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from learning.models import TrainingAssignment
from learning.services.compliance import Standing, Status, standings, today_local
from orgs.models import Employer, PostRole

__all__ = [
    "Tally", "TrainingSummary", "employer_assignments", "employer_summary", "region_assignments",
    "region_summary", "summary_of", "worker_assignments",
]

ROW_FIELDS = ("code", "worker_id", "worker__code", "worker__name", "worker__post_role", "worker__post",
              "worker__department__name", "programme__name", "programme__kind", "starts_on", "ends_on", "source")


@dataclass
class Tally:
    """Workers (each counted once, by their worst cycle) and cycles, for one group."""

    workers: int = 0
    met: int = 0
    due: int = 0
    overdue: int = 0
    cycles: int = 0
    cycles_met: int = 0

    @property
    def rate(self) -> float | None:
        """Share of workers compliant, 0–100 (None with nobody to count)."""
        return round(self.met * 100 / self.workers, 1) if self.workers else None

    def as_dict(self) -> dict[str, Any]:
        return {"workers": self.workers, "met": self.met, "due": self.due, "overdue": self.overdue,
                "cycles": self.cycles, "cycles_met": self.cycles_met, "rate": self.rate}


@dataclass
class TrainingSummary:
    year: int
    total: Tally = field(default_factory=Tally)
    by_role: dict[str, Tally] = field(default_factory=dict)
    by_department: dict[str, Tally] = field(default_factory=dict)
    by_programme: dict[str, Tally] = field(default_factory=dict)

    def roles(self) -> list[tuple[str, str, Tally]]:
        return [(role.value, str(role.label), self.by_role[role.value]) for role in PostRole if role.value in self.by_role]


def _year(queryset: QuerySet[TrainingAssignment], year: int) -> QuerySet[TrainingAssignment]:
    return queryset.filter(due_on__gte=dt.date(year, 1, 1), due_on__lte=dt.date(year, 12, 31))


def employer_assignments(employer: Employer, year: int) -> QuerySet[TrainingAssignment]:
    return _year(TrainingAssignment.objects.filter(employer=employer), year)


def region_assignments(assignments: QuerySet[TrainingAssignment], year: int,
                       region_code: str = "") -> QuerySet[TrainingAssignment]:
    """The year's cycles among ``assignments`` (already narrowed by the caller's scope), within a
    region subtree when a code is given (a child's code starts with its parent's significant digits)."""
    if region_code:
        prefix = region_code[:2] if region_code.endswith("0000") else region_code[:4] if region_code.endswith("00") else region_code
        assignments = assignments.filter(employer__region__code__startswith=prefix)
    return _year(assignments, year)


def _worst(statuses: list[str]) -> str:
    counted = [status for status in statuses if status != Status.WITHDRAWN]
    if not counted:
        return Status.WITHDRAWN
    if Status.OVERDUE in counted:
        return Status.OVERDUE
    if Status.DUE in counted:
        return Status.DUE
    return Status.MET


def summary_of(rows: Iterator[tuple[dict[str, Any], Standing]], year: int, *,
               groups: tuple[str, ...] = ("worker__post_role", "worker__department__name", "programme__name"),
               ) -> TrainingSummary:
    """Count streamed (row, standing) pairs whose rows carry ``worker_id`` and the group fields."""
    per_worker: dict[int, list[str]] = defaultdict(list)
    labels: dict[int, dict[str, str]] = {}
    summary = TrainingSummary(year=year)
    tallies = {"worker__post_role": summary.by_role, "worker__department__name": summary.by_department,
               "programme__name": summary.by_programme}
    per_programme: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row, standing in rows:
        per_worker[row["worker_id"]].append(standing.status)
        labels[row["worker_id"]] = {name: row.get(name) or "" for name in groups if name != "programme__name"}
        if "programme__name" in groups:
            per_programme[row["programme__name"]][row["worker_id"]].append(standing.status)
    for worker_id, statuses in per_worker.items():
        worst = _worst(statuses)
        if worst == Status.WITHDRAWN:
            continue
        # The total is one of the targets: its cycles are counted here, with its workers, once.
        targets = [summary.total] + [tallies[name].setdefault(value, Tally()) for name, value in labels[worker_id].items()]
        for tally in targets:
            _count(tally, worst, statuses)
    for name, workers in per_programme.items():
        for statuses in workers.values():
            worst = _worst(statuses)
            if worst != Status.WITHDRAWN:
                _count(summary.by_programme.setdefault(name, Tally()), worst, statuses)
    return summary


def _count(tally: Tally, worst: str, statuses: list[str]) -> None:
    tally.workers += 1
    setattr(tally, worst, getattr(tally, worst) + 1)
    counted = [status for status in statuses if status != Status.WITHDRAWN]
    tally.cycles += len(counted)
    tally.cycles_met += sum(status == Status.MET for status in counted)


def employer_summary(employer: Employer, year: int, *, today: dt.date | None = None) -> TrainingSummary:
    today = today or today_local()
    rows = standings(employer_assignments(employer, year), today=today,
                     extra=("worker_id", "worker__post_role", "worker__department__name", "programme__name"))
    return summary_of(rows, year)


def worker_assignments(employer: Employer, year: int, *, today: dt.date | None = None, status: str = "",
                       role: str = "", department: str = "", q: str = "",
                       ) -> Iterator[tuple[dict[str, Any], Standing]]:
    """The year's cycles of an employer's workers with their standing, filtered, in worker order."""
    today = today or today_local()
    queryset = employer_assignments(employer, year)
    if role:
        queryset = queryset.filter(worker__post_role=role)
    if department:
        queryset = queryset.filter(worker__department__name=department)
    if q:
        queryset = queryset.filter(Q(worker__name__icontains=q) | Q(worker__post__icontains=q))
    queryset = queryset.order_by("worker__name", "worker_id", "due_on", "pk")
    for row, standing in standings(queryset, today=today, extra=ROW_FIELDS):
        if not status or standing.status == status:
            yield row, standing


def region_summary(assignments: QuerySet[TrainingAssignment], year: int, *, region_code: str = "",
                   today: dt.date | None = None) -> dict[str, Any]:
    """De-identified counts for a region subtree: overall, by employer, by industry section and by
    county. No row names a worker."""
    today = today or today_local()
    rows = list(standings(region_assignments(assignments, year, region_code), today=today,
                          extra=("worker_id", "employer_id", "employer__code", "employer__name",
                                 "employer__industry__parent_id", "employer__industry_id", "employer__region_id")))
    total = summary_of(iter(rows), year, groups=())
    by: dict[str, dict[str, list[tuple[dict[str, Any], Standing]]]] = {
        "employer": defaultdict(list), "industry": defaultdict(list), "county": defaultdict(list)}
    for row, standing in rows:
        by["employer"][row["employer__code"]].append((row, standing))
        by["industry"][row["employer__industry__parent_id"] or row["employer__industry_id"]].append((row, standing))
        by["county"][row["employer__region_id"]].append((row, standing))
    names = {row["employer__code"]: row["employer__name"] for row, _standing in rows}
    return {
        "year": year, "total": total.total,
        "employers": sorted(((code, names[code], summary_of(iter(items), year, groups=()).total)
                             for code, items in by["employer"].items()), key=lambda item: item[1]),
        "industries": sorted((code, summary_of(iter(items), year, groups=()).total)
                             for code, items in by["industry"].items()),
        "counties": sorted((code, summary_of(iter(items), year, groups=()).total) for code, items in by["county"].items()),
    }
