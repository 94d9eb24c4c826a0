"""The evaluator's regional view of mandatory training: figures by employer, industry section and
county in the evaluator's subtree (another region's employer never counted), the ?year= and
?region= choices with a message for a bad one, counts only (no worker named anywhere, page or
workbook), the export logged, and every other persona answered 404 (anonymous: sign in)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import ExportLog
from learning.models import CoursePage, Programme, StudyDay, TrainingAssignment
from orgs.models import Employer, Industry, Region, Worker
from tests.conftest import Personas
from tests.factories import EmployerFactory, WorkerFactory
from tests.learning.employer_helpers import report_course

pytestmark = pytest.mark.django_db
PAGE = "/learning/region/training/"
EXPORT = "/learning/region/training/export/"
# 8 学时 of 45 minutes: what the exposed worker's pre-job programme asks for.
PRE_JOB_SECONDS = 8 * 45 * 60
NAMES = ("王工", "张三", "李四", "赵五", "李工")


@pytest.fixture
def frozen() -> Iterator[None]:
    # Mid-June 2026 in Xuzhou: a cycle due on 1 June is overdue, one due in July or August is not.
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=timezone.get_current_timezone()), tick=False):
        yield


def cycle(worker: Any, *, due: dt.date, starts: dt.date = dt.date(2026, 5, 1), ends: dt.date | None = None,
          programme: str = "exposed-pre-job", withdrawn: dt.date | None = None) -> TrainingAssignment:
    """One cycle made directly (the assignment rules are tested with the services)."""
    chosen = Programme.objects.get(code=programme)
    return TrainingAssignment.objects.create(worker=worker, employer=worker.employer, programme=chosen, role=chosen.role,
                                             starts_on=starts, due_on=due, ends_on=ends, withdrawn_on=withdrawn)


def studied(worker: Any, course: CoursePage, day: dt.date, seconds: int) -> StudyDay:
    return StudyDay.objects.create(worker=worker, course=course, day=day, seconds=seconds)


@pytest.fixture
def course(db: None) -> CoursePage:
    course = report_course("接害劳动者上岗前培训")
    Programme.objects.get(code="exposed-pre-job").courses.add(course)
    return course


@pytest.fixture
def region_data(personas: Personas, course: CoursePage, frozen: None) -> dict[str, Any]:
    """云龙矿业 (贾汪区, mining) has one worker met, one overdue, one due; a building-materials
    firm in 泉山区 one met; the Heyuan employer (outside) one met and one overdue worker."""
    employer = personas.employer
    cycle(personas.worker, due=dt.date(2026, 7, 31))
    studied(personas.worker, course, dt.date(2026, 5, 10), PRE_JOB_SECONDS)
    # Last year's cycle, closed on 31 December and never trained: only ?year=2025 counts it.
    cycle(personas.worker, starts=dt.date(2025, 1, 1), due=dt.date(2025, 12, 31), ends=dt.date(2025, 12, 31))
    overdue = WorkerFactory(employer=employer, name="张三")
    cycle(overdue, due=dt.date(2026, 6, 1))
    due = WorkerFactory(employer=employer, name="李四")
    cycle(due, due=dt.date(2026, 8, 31))
    studied(due, course, dt.date(2026, 6, 2), 3600)
    # A withdrawn cycle is never counted.
    cycle(due, starts=dt.date(2026, 2, 1), due=dt.date(2026, 3, 1), withdrawn=dt.date(2026, 2, 10))
    quanshan = EmployerFactory(name="徐州泉山建材有限公司", region=Region.objects.get(code="320311"),
                               industry=Industry.objects.get(code="30"))
    builder = WorkerFactory(employer=quanshan, name="赵五")
    cycle(builder, due=dt.date(2026, 9, 30))
    studied(builder, course, dt.date(2026, 6, 1), PRE_JOB_SECONDS)
    cycle(personas.other_worker, due=dt.date(2026, 7, 1))
    studied(personas.other_worker, course, dt.date(2026, 5, 20), PRE_JOB_SECONDS)
    late = WorkerFactory(employer=personas.other_employer, name="钱六")
    cycle(late, due=dt.date(2026, 5, 31))
    return {"quanshan": quanshan, "overdue": overdue, "due": due, "builder": builder, "late": late}


def _figures(response: Any) -> dict[str, Any]:
    tables = response.context["tables"]
    return {
        "total": tables.total.as_dict(),
        "employers": {row.name: (row.tally.workers, row.tally.met, row.tally.due, row.tally.overdue, row.tally.rate)
                      for row in tables.employers},
        "industries": {row.code: (row.name, row.tally.workers, row.tally.met) for row in tables.industries},
        "counties": {row.code: (row.name, row.tally.workers, row.tally.met) for row in tables.counties},
    }


def test_the_evaluator_reads_compliance_by_employer_industry_and_county(personas: Personas,
                                                                       region_data: dict[str, Any]) -> None:
    response = personas.client(personas.evaluator).get(PAGE)
    assert response.status_code == 200
    figures = _figures(response)
    assert figures["total"] == {"workers": 4, "met": 2, "due": 1, "overdue": 1, "cycles": 4, "cycles_met": 2,
                                "rate": 50.0}
    assert figures["employers"] == {"徐州云龙矿业有限公司": (3, 1, 1, 1, 33.3), "徐州泉山建材有限公司": (1, 1, 0, 0, 100.0)}
    assert figures["industries"] == {"B": ("采矿业", 3, 1), "C": ("制造业", 1, 1)}
    assert figures["counties"] == {"320305": ("徐州市 贾汪区", 3, 1), "320311": ("徐州市 泉山区", 1, 1)}
    page = response.content.decode()
    assert response.context["chosen"].year == 2026 and "徐州泉山建材有限公司" in page and "33.3%" in page
    # The Heyuan employer is never counted nor named.
    assert personas.other_employer.name not in page and "紫金县" not in page


def test_the_page_names_no_worker(personas: Personas, region_data: dict[str, Any]) -> None:
    for user in (personas.evaluator, personas.superuser):
        page = personas.client(user).get(PAGE).content.decode()
        workers = Worker.objects.all()
        for worker in workers:
            assert worker.name not in page and worker.phone not in page and worker.id_number not in page
            assert worker.code not in page
        assert all(name not in page for name in NAMES)


def test_a_region_inside_the_subtree_narrows_the_tables(personas: Personas, region_data: dict[str, Any]) -> None:
    client = personas.client(personas.evaluator)
    response = client.get(PAGE, {"region": "320311"})
    figures = _figures(response)
    assert figures["total"]["workers"] == 1 and list(figures["employers"]) == ["徐州泉山建材有限公司"]
    assert response.context["area"] == "徐州市 泉山区" and not list(response.context["messages"])
    whole_city = _figures(client.get(PAGE, {"region": "320300"}))
    assert whole_city["total"]["workers"] == 4
    # Control characters are dropped from parameters (PostgreSQL refuses a NUL), as everywhere.
    assert _figures(client.get(PAGE, {"region": "320311\x00"}))["total"]["workers"] == 1


@pytest.mark.parametrize("region", ["441621", "320000", "999999", "bogus", "3203001", "３２０３００"])
def test_a_region_outside_the_subtree_is_refused_with_a_message(personas: Personas, region_data: dict[str, Any],
                                                              region: str) -> None:
    response = personas.client(personas.evaluator).get(PAGE, {"region": region})
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and "region" in shown[0]
    assert response.context["chosen"].region is None and _figures(response)["total"]["workers"] == 4


def test_the_year_chooses_the_cycles_due_in_it(personas: Personas, region_data: dict[str, Any]) -> None:
    client = personas.client(personas.evaluator)
    last = _figures(client.get(PAGE, {"year": "2025"}))
    assert last["total"] == {"workers": 1, "met": 0, "due": 0, "overdue": 1, "cycles": 1, "cycles_met": 0, "rate": 0.0}
    empty = client.get(PAGE, {"year": "2024"})
    assert _figures(empty)["total"]["workers"] == 0 and "—" in empty.content.decode()
    for year in ("20x6", "1999", "2099", "²⁰²⁶"):
        response = client.get(PAGE, {"year": year})
        shown = [str(message) for message in response.context["messages"]]
        assert response.status_code == 200 and len(shown) == 1 and "year" in shown[0], year
        assert response.context["chosen"].year == 2026


def test_the_superuser_reads_every_region(personas: Personas, region_data: dict[str, Any]) -> None:
    client = personas.client(personas.superuser)
    figures = _figures(client.get(PAGE))
    assert figures["total"]["workers"] == 6 and "河源紫金矿产有限公司" in figures["employers"]
    assert _figures(client.get(PAGE, {"region": "441621"}))["total"]["workers"] == 2


def test_an_evaluator_who_keeps_a_roster_elsewhere_counts_only_their_region(personas: Personas,
                                                                          region_data: dict[str, Any]) -> None:
    from orgs.models import EmployerAdmin

    EmployerAdmin.objects.create(user=personas.evaluator, employer=personas.other_employer)
    figures = _figures(personas.client(personas.evaluator).get(PAGE))
    assert figures["total"]["workers"] == 4 and "河源紫金矿产有限公司" not in figures["employers"]


def test_everyone_but_evaluators_and_superusers_gets_404(personas: Personas, region_data: dict[str, Any]) -> None:
    for persona in ("employer_admin", "worker_user", "outsider", "editor", "reviewer"):
        client = personas.client(getattr(personas, persona))
        assert client.get(PAGE).status_code == 404, persona
        assert client.get(EXPORT).status_code == 404, persona
        assert client.post(EXPORT, {"year": "2026"}).status_code == 404, persona
    for address in (PAGE, EXPORT):
        response = Client().get(address)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert reverse("learning:training_region") == PAGE and reverse("learning:training_region_export") == EXPORT


def _sheets(response: Any) -> dict[str, list[tuple[Any, ...]]]:
    content = b"".join(response.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def test_the_export_holds_the_same_tables_and_is_logged(personas: Personas, region_data: dict[str, Any]) -> None:
    response = personas.client(personas.evaluator).post(EXPORT, {"year": "2026"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "training-region-2026" in response["Content-Disposition"]
    sheets = _sheets(response)
    assert list(sheets) == ["汇总", "按单位", "按行业", "按县区"]
    by_employer = sheets["按单位"]
    assert by_employer[0][:4] == ("单位", "所在地区", "行业门类", "人数")
    assert by_employer[1:] == [("徐州云龙矿业有限公司", "贾汪区", "采矿业", 3, 1, 1, 1, 33.3, 3, 1),
                               ("徐州泉山建材有限公司", "泉山区", "制造业", 1, 1, 0, 0, 100, 1, 1)]
    assert sheets["按行业"][1:] == [("B", "采矿业", 3, 1, 1, 1, 33.3, 3, 1), ("C", "制造业", 1, 1, 0, 0, 100, 1, 1)]
    assert [row[:3] for row in sheets["按县区"][1:]] == [("320305", "徐州市 贾汪区", 3), ("320311", "徐州市 泉山区", 1)]
    summary = dict((row[0], row[1]) for row in sheets["汇总"])
    assert summary["年度"] == "2026" and summary["人数"] == 4 and summary["合规率（%）"] == 50
    text = repr(sheets)
    assert all(name not in text for name in NAMES) and personas.other_employer.name not in text
    assert all(worker.phone not in text and worker.id_number not in text for worker in Worker.objects.all())
    log = ExportLog.objects.get()
    assert (log.kind, log.user_id, log.region_code, log.masked, log.row_count) == (
        "training_region", personas.evaluator.pk, "320300", True, 6)
    assert log.filters == {"year": "2026"}


def test_the_export_of_one_county_by_get(personas: Personas, region_data: dict[str, Any]) -> None:
    response = personas.client(personas.evaluator).get(EXPORT, {"year": "2026", "region": "320311"})
    assert response.status_code == 200
    assert [row[0] for row in _sheets(response)["按单位"][1:]] == ["徐州泉山建材有限公司"]
    log = ExportLog.objects.get()
    assert log.region_code == "320311" and log.filters == {"year": "2026", "region": "320311"}


def test_the_superusers_export_of_the_whole_country_is_logged(personas: Personas, region_data: dict[str, Any]) -> None:
    response = personas.client(personas.superuser).post(EXPORT, {})
    assert response.status_code == 200
    assert ExportLog.objects.get().region_code == "000000"


def test_a_bad_export_goes_back_to_the_page_that_names_it(personas: Personas, region_data: dict[str, Any]) -> None:
    client = personas.client(personas.evaluator)
    response = client.post(EXPORT, {"year": "2026", "region": "441621"})
    assert response.status_code == 302 and response["Location"].startswith(PAGE)
    page = client.get(response["Location"])
    assert next(str(message) for message in page.context["messages"]).count("441621") == 1
    assert client.post(EXPORT, {"year": "abc"}).status_code == 302
    assert not ExportLog.objects.exists()


def test_an_employer_in_the_region_with_no_cycles_is_not_listed(personas: Personas, frozen: None) -> None:
    EmployerFactory(name="徐州空白单位有限公司", region=Region.objects.get(code="320303"))
    response = personas.client(personas.evaluator).get(PAGE)
    assert _figures(response)["total"]["workers"] == 0 and response.context["tables"].employers == []
    assert "没有数据" in response.content.decode()
    assert Employer.objects.filter(region__code__startswith="3203").count() == 2
