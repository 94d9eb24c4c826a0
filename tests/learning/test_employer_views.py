"""The employer's 学时 pages: the hours table with its filters and orderings, one worker's
sessions with their heartbeats, the home page's step and the header's link, and who gets what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.masking import phone_mask
from learning.models import CoursePage, Enrolment, StudySession
from orgs.models import Department, EmployerAdmin
from tests.conftest import Personas
from tests.factories import EmployerFactory, WorkerFactory
from tests.learning.employer_helpers import (
    CREDITED,
    HIDDEN,
    IDLE,
    START,
    enrol,
    ledger,
    local,
    report_course,
    stray_beat,
    study,
)

pytestmark = pytest.mark.django_db
YEAR = dt.date.today().year


@pytest.fixture
def dust(db: None) -> CoursePage:
    return report_course("粉尘与噪声防护")


@pytest.fixture
def enrolment(personas: Personas, dust: CoursePage) -> Enrolment:
    enrolment = enrol(personas.worker, dust, completed=2, last_studied_at=local(YEAR, 1, 5))
    ledger(personas.worker, dust, YEAR, 2700)
    return enrolment


@pytest.fixture
def session(enrolment: Enrolment) -> StudySession:
    return study(enrolment, started_at=local(YEAR, 1, 5), beats=[START, CREDITED, IDLE, IDLE, HIDDEN, CREDITED],
                 device_token="abcdef0123456789")


def _hours(code: str) -> str:
    return reverse("learning:employer_hours", args=[code])


def _sessions(code: str) -> str:
    return reverse("learning:employer_worker_sessions", args=[code])


def _main(response: Any) -> str:
    """The page's own part (the header's language link carries the address)."""
    html = response.content.decode()
    return html[html.index("<main"):html.index("</main>")]


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_admin_sees_hours_per_worker_and_course(personas: Personas, enrolment: Enrolment) -> None:
    WorkerFactory(employer=personas.employer, name="还没学")
    enrol(personas.other_worker, enrolment.course)
    ledger(personas.other_worker, enrolment.course, YEAR, 9000)
    html = _html(personas.client(personas.employer_admin).get(_hours(personas.employer.code)))
    assert "王工" in html and "还没学" in html and "李工" not in html
    assert phone_mask(personas.worker.phone) in html and personas.worker.phone not in html
    assert personas.worker.id_number not in html
    assert "粉尘与噪声防护" in html and "1.00" in html and "2 / 3" in html and "尚未参加培训" in html
    assert 'data-testid="total-hours">1.00<' in html and 'data-testid="total-studying">1<' in html
    assert f"{_sessions(personas.worker.code)}?year={YEAR}" in html


def test_filters_search_and_sorting(personas: Personas, enrolment: Enrolment) -> None:
    mining = Department.objects.create(employer=personas.employer, name="采煤一队")
    busy = WorkerFactory(employer=personas.employer, name="勤学", department=mining)
    enrol(busy, enrolment.course)
    ledger(busy, enrolment.course, YEAR, 5400)
    client = personas.client(personas.employer_admin)
    address = _hours(personas.employer.code)

    def listed(**params: Any) -> list[str]:
        html = _html(client.get(address, params))
        return [name for name in ("王工", "勤学") if f">{name}<" in html]

    assert listed(department="采煤一队") == ["勤学"]
    assert listed(q="勤") == ["勤学"]
    assert listed(post_role="principal") == []
    assert listed(course=str(enrolment.course.pk)) == ["王工", "勤学"]
    html = _html(client.get(address, {"sort": "-hours"}))
    assert html.index(">勤学<") < html.index(">王工<")
    html = _html(client.get(address, {"sort": "hours"}))
    assert html.index(">王工<") < html.index(">勤学<")
    # A year without hours lists the roster with zeros.
    assert 'data-testid="total-hours">0.00<' in _html(client.get(address, {"year": str(YEAR - 1)}))


def test_bad_filters_are_named_and_dropped(personas: Personas, enrolment: Enrolment) -> None:
    client = personas.client(personas.employer_admin)
    address = _hours(personas.employer.code)
    other = report_course("外单位的课程")
    enrol(personas.other_worker, other)
    for params, message in (({"year": "20x6"}, "year 应为"), ({"course": str(other.pk)}, "没有这门课程"),
                            ({"course": "\x00abc"}, "没有这门课程"), ({"post_role": "boss"}, "post_role 只能是"),
                            ({"sort": "id_number"}, "sort 只能是"), ({"department": "没有的部门"}, "本单位没有这个部门")):
        html = _html(client.get(address, params))
        assert message in html and ">王工<" in html, params
    assert client.get(address, {"page": "99"}).status_code == 404
    assert client.get(address, {"page": "²"}).status_code == 404


def test_the_sessions_page_shows_every_session_and_why_time_was_refused(personas: Personas, session: StudySession) -> None:
    stray_beat(personas.worker, at=local(YEAR, 1, 6))
    html = _html(personas.client(personas.employer_admin).get(_sessions(personas.worker.code), {"year": str(YEAR)}))
    assert f'data-session="{session.code}"' in html and "<details" in html
    assert "Android · 微信" in html and "abcdef" in html and "abcdef0123456789" not in html
    assert "无操作 × 2" in html and "页面不在前台 × 1" in html and "未报名该课程 × 1" in html
    assert 'data-testid="year-hours">1.00<' in html and 'data-testid="year-sessions">1<' in html
    assert html.count("data-beat=") == 6 and html.count('data-refused="idle"') == 2
    assert phone_mask(personas.worker.phone) in html and personas.worker.id_number not in html
    empty = _html(personas.client(personas.employer_admin).get(_sessions(personas.worker.code),
                                                               {"year": str(YEAR - 1)}))
    assert "这一年没有学习记录" in empty
    assert "year 应为" in _html(personas.client(personas.employer_admin).get(_sessions(personas.worker.code),
                                                                            {"year": "abc"}))


def test_a_long_session_links_to_its_heartbeats_page_by_page(personas: Personas, enrolment: Enrolment) -> None:
    long = study(enrolment, started_at=local(YEAR, 1, 7), beats=[START, *[CREDITED] * 250])
    client = personas.client(personas.employer_admin)
    html = _html(client.get(_sessions(personas.worker.code)))
    address = reverse("learning:employer_session", args=[personas.worker.code, long.code])
    assert html.count("data-beat=") == 30 and address in html and "还有 221 次心跳" in html
    first = _html(client.get(address))
    assert first.count("data-beat=") == 200 and "?page=2" in first
    assert _html(client.get(address, {"page": "2"})).count("data-beat=") == 51
    assert client.get(address, {"page": "3"}).status_code == 404
    # Another worker's session under this worker's address is unknown.
    other = WorkerFactory(employer=personas.employer, name="同事")
    assert client.get(reverse("learning:employer_session", args=[other.code, long.code])).status_code == 404
    assert client.get(reverse("learning:employer_session", args=[personas.worker.code, "a\x00"])).status_code == 404


def test_an_admin_of_several_employers_chooses_one(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    home = reverse("learning:employer_hours_home")
    response = client.get(home)
    assert response.status_code == 302 and response["Location"] == _hours(personas.employer.code)
    second = EmployerFactory(name="第二家单位")
    EmployerAdmin.objects.create(user=personas.employer_admin, employer=second)
    html = _html(client.get(home))
    assert _hours(personas.employer.code) in html and _hours(second.code) in html


def test_the_home_page_and_header_lead_to_the_hours(personas: Personas, enrolment: Enrolment) -> None:
    html = _html(personas.client(personas.employer_admin).get("/"))
    assert _hours(personas.employer.code) in html and "的学时" in html
    assert reverse("learning:employer_hours_home") in html
    for persona in ("worker_user", "evaluator", "outsider"):
        page = _html(personas.client(getattr(personas, persona)).get("/"))
        assert _hours(personas.employer.code) not in page, persona
    assert reverse("learning:employer_hours_home") not in _html(personas.client(personas.worker_user).get("/"))


def test_personas_on_every_page(personas: Personas, session: StudySession) -> None:
    code, worker = personas.employer.code, personas.worker.code
    addresses = [_hours(code), _sessions(worker), reverse("learning:employer_session", args=[worker, session.code]),
                 reverse("learning:employer_hours_export", args=[code])]
    for address in addresses:
        assert personas.client(personas.employer_admin).get(address).status_code == 200, address
        assert personas.client(personas.superuser).get(address).status_code == 200, address
        assert personas.client(personas.evaluator).get(address).status_code == 403, address
        response = Client().get(address)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), address
    # The worker: their own record is read-only here (403); the employer's pages do not exist for them.
    worker = personas.client(personas.worker_user)
    assert worker.get(_hours(code)).status_code == 404
    assert worker.get(_sessions(worker_code := personas.worker.code)).status_code == 403, worker_code
    assert worker.get(_sessions(personas.other_worker.code)).status_code == 404
    assert personas.client(personas.evaluator).get(reverse("learning:employer_hours_home")).status_code == 403
    assert worker.get(reverse("learning:employer_hours_home")).status_code == 404


def test_the_outsider_gets_404_like_an_unknown_code(personas: Personas, session: StudySession) -> None:
    outsider = personas.client(personas.outsider)
    code, worker = personas.employer.code, personas.worker.code
    pairs = [(_hours(code), _hours("NoSuchEmployer")), (_sessions(worker), _sessions("NoSuchWorker1")),
             (reverse("learning:employer_session", args=[worker, session.code]),
              reverse("learning:employer_session", args=["NoSuchWorker1", session.code])),
             (reverse("learning:employer_hours_export", args=[code]),
              reverse("learning:employer_hours_export", args=["NoSuchEmployer"]))]
    for ours, unknown in pairs:
        mine, none = outsider.get(ours), outsider.get(unknown)
        assert mine.status_code == none.status_code == 404, ours
        assert _main(mine) == _main(none), ours
    assert outsider.post(reverse("learning:employer_hours_export", args=[code])).status_code == 404
    # Their own employer's page lists their own worker only.
    html = _html(outsider.get(_hours(personas.other_employer.code)))
    assert "李工" in html and "王工" not in html
