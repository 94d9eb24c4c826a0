"""The report selectors: hours per worker from the ledger within the employer's roster, the
filters and orderings, one worker's sessions with their refusals by reason, a worker's courses."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from core.masking import phone_mask
from learning import reports
from learning.models import CoursePage, Heartbeat, study_hours
from orgs.models import Department, PostRole
from tests.conftest import Personas
from tests.factories import WorkerFactory
from tests.learning.employer_helpers import (
    CREDITED,
    HIDDEN,
    IDLE,
    IPHONE_SAFARI,
    START,
    enrol,
    ledger,
    local,
    report_course,
    stray_beat,
    study,
)

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def courses(db: None) -> tuple[CoursePage, CoursePage]:
    return report_course("粉尘与噪声防护"), report_course("职业卫生法律与职责", lessons=2)


def _names(workers: Any) -> list[str]:
    return [worker.name for worker in workers]


def test_hours_come_from_the_ledger_per_worker_and_course(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    enrolment = enrol(personas.worker, dust, completed=2, last_studied_at=local(YEAR, 3, 2))
    enrol(personas.worker, law, completed=1, last_studied_at=local(YEAR, 4, 1))
    ledger(personas.worker, dust, YEAR, 2700)
    ledger(personas.worker, law, YEAR, 900)
    ledger(personas.worker, dust, YEAR - 1, 5400)
    # Heartbeats are evidence, not the sum: a credited beat the ledger does not hold changes nothing.
    study(enrolment, started_at=local(YEAR, 3, 2), beats=[START, *[CREDITED] * 10])
    [worker] = reports.hours_workers(employer=personas.employer, year=YEAR)
    assert worker.year_seconds == 3600 and worker.last_studied == local(YEAR, 4, 1)
    [row] = reports.hours_rows([worker], year=YEAR)
    assert row.seconds == 3600 and row.hours == pytest.approx(study_hours(3600))
    assert [(item.title, item.seconds, item.lessons_completed, item.lessons_total) for item in row.courses] == [
        ("粉尘与噪声防护", 2700, 2, 3), ("职业卫生法律与职责", 900, 1, 2)]
    assert row.phone == phone_mask(personas.worker.phone) and row.post_role_label == "接害劳动者"
    [last_year] = reports.hours_rows(reports.hours_workers(employer=personas.employer, year=YEAR - 1), year=YEAR - 1)
    assert last_year.seconds == 5400 and [item.seconds for item in last_year.courses] == [5400, 0]


def test_only_the_employers_own_workers_are_listed(personas: Personas, courses: tuple) -> None:
    dust, _law = courses
    enrol(personas.other_worker, dust)
    ledger(personas.other_worker, dust, YEAR, 1800)
    idle = WorkerFactory(employer=personas.employer, name="没学过")
    gone = WorkerFactory(employer=personas.employer, name="已离职有学时", is_active=False)
    enrol(gone, dust)
    ledger(gone, dust, YEAR, 600)
    WorkerFactory(employer=personas.employer, name="已离职无学时", is_active=False)
    workers = reports.hours_workers(employer=personas.employer, year=YEAR)
    assert set(_names(workers)) == {"王工", "没学过", "已离职有学时"}
    assert reports.hours_rows([w for w in workers if w.pk == idle.pk], year=YEAR)[0].courses == []
    totals = reports.hours_totals(workers)
    assert (totals.workers, totals.studying, totals.seconds) == (3, 1, 600)
    # The outsider's employer has hours too, and none of ours.
    other = reports.hours_workers(employer=personas.other_employer, year=YEAR)
    assert _names(other) == ["李工"] and reports.hours_totals(other).seconds == 1800


def test_filters_course_department_role_and_name(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    mining = Department.objects.create(employer=personas.employer, name="采煤一队")
    personas.worker.department = mining
    personas.worker.save()
    boss = WorkerFactory(employer=personas.employer, name="张厂长", post_role=PostRole.PRINCIPAL)
    enrol(personas.worker, dust)
    enrol(boss, law)
    ledger(boss, law, YEAR, 1200)

    def names(**filters: Any) -> list[str]:
        return _names(reports.hours_workers(employer=personas.employer, year=YEAR, **filters))

    assert names(course=law) == ["张厂长"] and names(course=dust) == ["王工"]
    assert names(department="采煤一队") == ["王工"] and names(department="没有的部门") == []
    assert names(post_role="principal") == ["张厂长"]
    assert names(search="厂长") == ["张厂长"] and names(search="王\x00") == ["王工"]
    # A phone is searched only by a role that sees phones raw.
    assert names(search=personas.worker.phone) == []
    assert names(search=personas.worker.phone, sees_raw=True) == ["王工"]
    with pytest.raises(reports.ReportRefused) as refused:
        names(post_role="boss")
    assert refused.value.field == "post_role" and "principal" in str(refused.value)
    # With a course, a worker's row holds that course only.
    [row] = reports.hours_rows(reports.hours_workers(employer=personas.employer, year=YEAR, course=law),
                               year=YEAR, course=law)
    assert [item.title for item in row.courses] == ["职业卫生法律与职责"] and row.seconds == 1200


def test_orderings(personas: Personas, courses: tuple) -> None:
    dust, _law = courses
    a = WorkerFactory(employer=personas.employer, name="甲")
    b = WorkerFactory(employer=personas.employer, name="乙")
    for worker, seconds in ((a, 600), (b, 3000)):
        enrol(worker, dust, last_studied_at=local(YEAR, 1, 1 + seconds // 600))
        ledger(worker, dust, YEAR, seconds)

    def order(sort: str) -> list[str]:
        return _names(reports.hours_workers(employer=personas.employer, year=YEAR, sort=sort))

    assert order("-hours") == ["乙", "甲", "王工"]
    assert order("hours") == ["王工", "甲", "乙"]
    assert order("-last") == ["乙", "甲", "王工"]  # never studied: last
    with pytest.raises(reports.ReportRefused):
        order("id_number")


def test_report_parameters_are_checked(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    with time_machine.travel(local(YEAR, 6, 1), tick=False):
        assert reports.report_year("") == YEAR and reports.report_year(str(YEAR - 3)) == YEAR - 3
        # A NUL is dropped, as in every parameter: the rest is what counts.
        assert reports.report_year("\x00") == YEAR and reports.report_year(f"{YEAR - 1}\x00") == YEAR - 1
        for raw in ("20x6", "²⁰²⁶", "1999", str(YEAR + 2), "9" * 40, "-1"):
            with pytest.raises(reports.ReportRefused) as refused:
                reports.report_year(raw)
            assert refused.value.field == "year"
        assert reports.report_years(employer=personas.employer) == [YEAR]
    enrol(personas.worker, dust)
    ledger(personas.worker, dust, YEAR - 2, 60)
    enrol(personas.other_worker, law)
    # A course only another employer's workers take is refused like an unknown one.
    assert reports.report_course(employer=personas.employer, raw=str(dust.pk)) == dust
    for raw in (str(law.pk), "999999", "abc", "1\x00"):
        with pytest.raises(reports.ReportRefused) as refused:
            reports.report_course(employer=personas.employer, raw=raw)
        assert refused.value.field == "course"
    assert list(reports.report_courses(employer=personas.employer)) == [dust]
    assert YEAR - 2 in reports.report_years(employer=personas.employer)


def test_hours_rows_take_the_same_queries_for_many_workers(personas: Personas, courses: tuple,
                                                          django_assert_num_queries: Any) -> None:
    dust, law = courses
    for number in range(8):
        worker = WorkerFactory(employer=personas.employer, name=f"工人{number}")
        enrol(worker, dust)
        enrol(worker, law)
        ledger(worker, dust, YEAR, 100 * number)
    workers = list(reports.hours_workers(employer=personas.employer, year=YEAR))
    with django_assert_num_queries(2):
        rows = reports.hours_rows(workers, year=YEAR)
    assert len(rows) == 9 and sum(row.seconds for row in rows) == 2800


def test_sessions_of_a_year_with_refusals_by_reason(personas: Personas, courses: tuple) -> None:
    dust, _law = courses
    enrolment = enrol(personas.worker, dust)
    # 23:30 on New Year's Eve in Shanghai is 15:30 UTC: it belongs to that year.
    late = study(enrolment, started_at=local(YEAR - 1, 12, 31, 23, 30), beats=[START, CREDITED])
    first = study(enrolment, started_at=local(YEAR, 3, 1), beats=[START, CREDITED, IDLE, IDLE, HIDDEN, CREDITED],
                  user_agent=IPHONE_SAFARI, device_token="abcdef0123456789")
    second = study(enrolment, started_at=local(YEAR, 3, 2), beats=[START, *[CREDITED] * 40])
    stray_beat(personas.worker, at=local(YEAR, 3, 3))
    sessions = list(reports.worker_sessions(worker=personas.worker, year=YEAR))
    assert [session.pk for session in sessions] == [second.pk, first.pk]
    assert [s.pk for s in reports.worker_sessions(worker=personas.worker, year=YEAR - 1)] == [late.pk]
    rows = {row.code: row for row in reports.session_rows(sessions, beats_inline=30)}
    one = rows[first.code]
    assert (one.device, one.device_prefix, one.credited_seconds, one.refused_seconds) == (
        "iOS · Safari", "abcdef", 60, 90)
    assert [(item.reason, item.label, item.count, item.seconds) for item in one.refusals] == [
        ("idle", "无操作", 2, 60), ("hidden", "页面不在前台", 1, 30)]
    assert one.refused_count == 3 and len(one.heartbeats) == 6 and one.more_beats == 0
    assert one.started_at == first.started_at and one.ended_at == first.last_beat_at
    long = rows[second.code]
    assert long.refusals == [] and len(long.heartbeats) == 30 and long.more_beats == 11
    assert [beat.seq for beat in long.heartbeats] == list(range(30))
    summary = reports.worker_year(worker=personas.worker, year=YEAR)
    assert summary.sessions == 2 and [(item.reason, item.count) for item in summary.refusals] == [("idle", 2), ("hidden", 1)]
    assert [(item.reason, item.label, item.count) for item in summary.stray] == [("not_enrolled", "未报名该课程", 1)]
    assert [beat.seq for beat in reports.session_heartbeats(second)][:3] == [0, 1, 2]


def test_session_rows_take_the_same_queries_for_many_sessions(personas: Personas, courses: tuple,
                                                             django_assert_num_queries: Any) -> None:
    enrolment = enrol(personas.worker, courses[0])
    for day in range(1, 7):
        study(enrolment, started_at=local(YEAR, 2, day), beats=[START, CREDITED, IDLE])
    sessions = list(reports.worker_sessions(worker=personas.worker, year=YEAR))
    with django_assert_num_queries(3):
        rows = reports.session_rows(sessions)
    assert len(rows) == 6 and all(row.refused_count == 1 for row in rows)


@pytest.mark.parametrize(("agent", "label"), [
    ("Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0", "Android · 微信"),
    (IPHONE_SAFARI, "iOS · Safari"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0", "Windows · Edge"),
    ("Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) HuaweiBrowser/14.0", "HarmonyOS · 华为浏览器"),
    ("curl/8.0", "curl/8.0"),
    ("", "未知设备"),
])
def test_device_labels(agent: str, label: str) -> None:
    assert reports.device_label(agent) == label


def test_a_workers_own_courses_with_hours_by_year(personas: Personas, courses: tuple) -> None:
    dust, law = courses
    enrol(personas.worker, dust, completed=3, last_studied_at=local(YEAR, 5, 1), completed_at=local(YEAR, 5, 1))
    enrol(personas.worker, law, completed=1, last_studied_at=local(YEAR, 6, 1))
    ledger(personas.worker, dust, YEAR - 1, 1200)
    ledger(personas.worker, dust, YEAR, 2400)
    enrol(personas.other_worker, dust)
    mine = reports.my_courses(personas.worker)
    assert [(item.course.title, item.percent) for item in mine] == [("职业卫生法律与职责", 50), ("粉尘与噪声防护", 100)]
    assert [(year.year, year.seconds) for year in mine[1].years] == [(YEAR, 2400), (YEAR - 1, 1200)]
    assert mine[1].seconds == 3600 and mine[0].years == []


def test_refusal_labels_are_the_heartbeat_reasons() -> None:
    assert reports.reason_label(Heartbeat.Reason.SEEK) == "视频拖动超前"
    assert reports.reason_label("unheard_of") == "unheard_of"
