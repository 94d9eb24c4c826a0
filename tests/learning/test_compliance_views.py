"""The employer's training pages: the dashboard's figures for a hand-made set of cycles, its
filters and bad parameters, one worker's cycles and the withdraw form, assigning a programme
(every refusal), the home page's overdue step, and who gets what (outsider 404 like an unknown
code, evaluator 403, the worker 404 / 403 as on the 学时 pages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from core.masking import phone_mask
from learning.models import CoursePage, Programme, ProgrammeKind, StudyDay, TrainingAssignment
from orgs.models import Department, EmployerAdmin, HazardFactor, PostRole, Worker
from tests.conftest import Personas
from tests.factories import EmployerFactory, WorkerFactory
from tests.learning.employer_helpers import report_course

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
YEAR = 2026
TODAY = dt.date(YEAR, 6, 15)
ONE_HOUR = 45 * 60


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Mid-June of a fixed year, so "due" and "overdue" do not depend on the day the suite runs."""
    with time_machine.travel(dt.datetime(YEAR, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        yield


def programme(code: str, role: str, course: CoursePage, *, kind: str = ProgrammeKind.PRE_JOB,
              hours: str = "1") -> Programme:
    made = Programme.objects.create(code=code, name=f"测试培训 {code}", role=role, kind=kind,
                                    required_hours=Decimal(hours), due_days=30)
    made.courses.set([course])
    return made


def cycle(worker: Worker, prog: Programme, *, starts_on: dt.date, due_on: dt.date, withdrawn: bool = False,
          ends_on: dt.date | None = None) -> TrainingAssignment:
    return TrainingAssignment.objects.create(
        worker=worker, employer=worker.employer, programme=prog, role=prog.role, starts_on=starts_on,
        due_on=due_on, ends_on=ends_on, withdrawn_on=starts_on if withdrawn else None,
        withdrawn_reason="布置错误" if withdrawn else "")


def studied(worker: Worker, course: CoursePage, day: dt.date, seconds: int = ONE_HOUR) -> StudyDay:
    return StudyDay.objects.create(worker=worker, course=course, day=day, seconds=seconds)


@dataclass
class Cycles:
    course: CoursePage
    exposed: Programme
    principal: Programme
    mining: Department
    repair: Department
    wang: Worker  # exposed, 采煤一队, met
    zhao: Worker  # exposed, 采煤一队, overdue (and last year's cycle, met, not counted this year)
    qian: Worker  # exposed, 机修车间, due
    sun: Worker  # principal, no department, met
    zhou: Worker  # exposed, 机修车间, withdrawn: listed, never counted
    met: TrainingAssignment
    overdue: TrainingAssignment
    due: TrainingAssignment
    withdrawn: TrainingAssignment
    other: TrainingAssignment  # another employer's


def make_cycles(personas: Personas) -> Cycles:
    """Four workers counted this year (two met, one due, one overdue: 50 %), one withdrawn cycle,
    one of last year, and another employer's cycle."""
    course = report_course("接害劳动者职业卫生培训", lessons=1)
    exposed = programme("t-exposed", PostRole.EXPOSED, course)
    principal = programme("t-principal", PostRole.PRINCIPAL, course, kind=ProgrammeKind.INITIAL)
    employer = personas.employer
    mining = Department.objects.create(employer=employer, name="采煤一队")
    repair = Department.objects.create(employer=employer, name="机修车间")
    wang = personas.worker
    wang.department = mining
    wang.save()
    zhao = WorkerFactory(employer=employer, name="赵工", department=mining, post="掘进工")
    qian = WorkerFactory(employer=employer, name="钱工", department=repair, post="钳工")
    sun = WorkerFactory(employer=employer, name="孙厂长", post_role=PostRole.PRINCIPAL, post="厂长")
    zhou = WorkerFactory(employer=employer, name="周工", department=repair)
    met = cycle(wang, exposed, starts_on=dt.date(YEAR, 5, 1), due_on=dt.date(YEAR, 7, 1))
    studied(wang, course, dt.date(YEAR, 5, 20))
    overdue = cycle(zhao, exposed, starts_on=dt.date(YEAR, 5, 1), due_on=dt.date(YEAR, 6, 1))
    studied(zhao, course, dt.date(YEAR, 5, 3), seconds=ONE_HOUR // 2)
    cycle(zhao, exposed, starts_on=dt.date(YEAR - 1, 3, 1), due_on=dt.date(YEAR - 1, 12, 31))
    studied(zhao, course, dt.date(YEAR - 1, 4, 1))
    due = cycle(qian, exposed, starts_on=dt.date(YEAR, 6, 1), due_on=dt.date(YEAR, 7, 31))
    cycle(sun, principal, starts_on=dt.date(YEAR, 2, 1), due_on=dt.date(YEAR, 6, 30))
    studied(sun, course, dt.date(YEAR, 2, 10))
    withdrawn = cycle(zhou, exposed, starts_on=dt.date(YEAR, 4, 1), due_on=dt.date(YEAR, 5, 1), withdrawn=True)
    other = cycle(personas.other_worker, exposed, starts_on=dt.date(YEAR, 5, 1), due_on=dt.date(YEAR, 6, 1))
    return Cycles(course, exposed, principal, mining, repair, wang, zhao, qian, sun, zhou, met, overdue, due,
                  withdrawn, other)


@pytest.fixture
def cycles(personas: Personas) -> Cycles:
    return make_cycles(personas)


def _dashboard(code: str) -> str:
    return reverse("learning:training_employer", args=[code])


def _worker(code: str) -> str:
    return reverse("learning:training_worker", args=[code])


def _assign(code: str) -> str:
    return reverse("learning:training_assign", args=[code])


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _main(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main"):html.index("</main>")]


def _row(html: str, testid: str, group: str) -> str:
    table = html[html.index(f'data-testid="{testid}"'):]
    table = table[:table.index("</table>")]
    start = table.index(f'data-group="{group}"')
    return table[start:table.index("</tr>", start)]


def _listed(html: str) -> list[str]:
    if 'data-testid="cycles"' not in html:
        return []
    table = html[html.index('data-testid="cycles"'):]
    table = table[:table.index("</table>")]
    return sorted(name for name in ("王工", "赵工", "钱工", "孙厂长", "周工", "李工") if f">{name}</a>" in table)


# -- the dashboard --------------------------------------------------------------------------------

def test_the_admin_sees_the_years_figures(personas: Personas, cycles: Cycles) -> None:
    html = _html(personas.client(personas.employer_admin).get(_dashboard(personas.employer.code)))
    assert 'data-testid="rate">50.0%<' in html
    assert 'data-testid="workers">4<' in html and 'data-testid="met">2<' in html
    assert '?year=2026&amp;status=due">1<' in html and '?year=2026&amp;status=overdue">1<' in html
    exposed, principal = _row(html, "by-role", "接害劳动者"), _row(html, "by-role", "主要负责人")
    assert "<td class=\"num\">3</td>" in exposed and "33.3%" in exposed
    assert "<td class=\"num\">1</td>" in principal and "100.0%" in principal
    assert "50.0%" in _row(html, "by-department", "采煤一队")
    assert "0.0%" in _row(html, "by-department", "机修车间")
    assert "100.0%" in _row(html, "by-department", "未分部门")
    assert "33.3%" in _row(html, "by-programme", "测试培训 t-exposed")
    assert "100.0%" in _row(html, "by-programme", "测试培训 t-principal")
    # The chart is drawn by the server: bars with their widths, no script library.
    assert 'class="bars"' in html and 'style="width: 33%"' in html and "chart.js" not in html
    # The default list is what is left to chase: the due and the overdue.
    assert _listed(html) == ["赵工", "钱工"]
    assert "还差 0.5 学时" in html and "逾期 14 天" in html and "剩 46 天" in html
    assert f'href="{_worker(cycles.zhao.code)}"' in html
    assert personas.worker.phone not in html and personas.worker.id_number not in html


def test_last_year_and_filters(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    address = _dashboard(personas.employer.code)

    def listed(**params: Any) -> list[str]:
        return _listed(_html(client.get(address, params)))

    assert listed(status="met") == ["孙厂长", "王工"]
    assert listed(status="overdue") == ["赵工"]
    assert listed(status="due") == ["钱工"]
    assert listed(status="withdrawn") == ["周工"]
    assert listed(status="all") == ["周工", "孙厂长", "王工", "赵工", "钱工"]
    assert listed(status="all", role="principal") == ["孙厂长"]
    assert listed(status="all", department="机修车间") == ["周工", "钱工"]
    assert listed(status="all", q="赵") == ["赵工"]
    assert listed(status="all", q="钳工") == ["钱工"]
    last = _html(client.get(address, {"year": str(YEAR - 1), "status": "all"}))
    assert 'data-testid="rate">100.0%<' in last and 'data-testid="workers">1<' in last
    assert _listed(last) == ["赵工"]
    empty = _html(client.get(address, {"year": str(YEAR - 3)}))
    assert 'data-testid="rate">—<' in empty and 'data-testid="no-cycles"' in empty


def test_bad_parameters_are_named_and_dropped(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    address = _dashboard(personas.employer.code)
    for params, message in (({"year": "20x6"}, "year 应为"), ({"year": "1999"}, "year 应为"),
                            ({"year": "²⁰²⁶"}, "year 应为"), ({"status": "late"}, "status 只能是"),
                            ({"role": "boss"}, "role 只能是"), ({"department": "没有的部门"}, "本单位没有这个部门"),
                            ({"q": "\x00赵"}, "50.0%")):
        html = _html(client.get(address, params))
        assert message in html and 'data-testid="rate">50.0%<' in html, params
    assert client.get(address, {"page": "99"}).status_code == 404
    assert client.get(address, {"page": "x"}).status_code == 404


def test_the_home_page_shows_the_overdue_and_the_header_links_the_dashboard(personas: Personas,
                                                                            cycles: Cycles) -> None:
    html = _html(personas.client(personas.employer_admin).get("/"))
    assert "1 人培训已逾期" in html and f"{_dashboard(personas.employer.code)}?status=overdue" in html
    assert reverse("learning:training_home") in html
    for persona in ("worker_user", "evaluator", "outsider"):
        page = _html(personas.client(getattr(personas, persona)).get("/"))
        assert _dashboard(personas.employer.code) not in page, persona
    # The outsider's own employer has an overdue cycle too: only theirs is shown to them.
    theirs = _html(personas.client(personas.outsider).get("/"))
    assert f"{_dashboard(personas.other_employer.code)}?status=overdue" in theirs


def test_the_training_home_leads_to_the_employer(personas: Personas) -> None:
    client = personas.client(personas.employer_admin)
    home = reverse("learning:training_home")
    response = client.get(home)
    assert response.status_code == 302 and response["Location"] == _dashboard(personas.employer.code)
    second = EmployerFactory(name="第二家单位")
    EmployerAdmin.objects.create(user=personas.employer_admin, employer=second)
    html = _html(client.get(home))
    assert _dashboard(personas.employer.code) in html and _dashboard(second.code) in html
    assert personas.client(personas.evaluator).get(home).status_code == 403
    assert personas.client(personas.worker_user).get(home).status_code == 404
    anonymous = Client().get(home)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


# -- one worker -----------------------------------------------------------------------------------

def test_the_worker_page_lists_every_cycle_with_what_is_missing(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    html = _html(client.get(_worker(cycles.zhao.code)))
    assert html.count("data-cycle=") == 2
    assert f'data-cycle="{cycles.overdue.code}" data-status="overdue"' in html
    assert "还差 0.5 学时" in html and "0.5 / 1.0" in html and "逾期 14 天" in html
    assert html.count('name="reason"') == 1  # the met cycle of last year has no withdraw form
    assert phone_mask(cycles.zhao.phone) in html and cycles.zhao.phone not in html
    withdrawn = _html(client.get(_worker(cycles.zhou.code)))
    assert "已撤销" in withdrawn and "布置错误" in withdrawn and 'name="reason"' not in withdrawn


def test_withdrawing_a_cycle(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    address = _worker(cycles.qian.code)
    missing = client.post(address, {"assignment": cycles.due.code, "reason": "  "}, follow=True)
    assert "请填写撤销原因" in missing.content.decode()
    done = client.post(address, {"assignment": cycles.due.code, "reason": "岗位调整前布置错误"}, follow=True)
    assert "已撤销" in done.content.decode()
    cycles.due.refresh_from_db()
    assert cycles.due.withdrawn_on == TODAY and cycles.due.withdrawn_reason == "岗位调整前布置错误"
    again = client.post(address, {"assignment": cycles.due.code, "reason": "再撤一次"}, follow=True)
    assert "已经撤销" in again.content.decode()
    met = client.post(_worker(cycles.wang.code), {"assignment": cycles.met.code, "reason": "试试"}, follow=True)
    assert "已经完成，不能撤销" in met.content.decode()
    # Another worker's cycle, another employer's, or no code at all: none of this page's.
    for code in (cycles.overdue.code, cycles.other.code, "NoSuchCycle1", "a\x00b", ""):
        refused = client.post(address, {"assignment": code, "reason": "x"}, follow=True)
        assert "没有这项培训任务" in refused.content.decode(), code
    cycles.other.refresh_from_db()
    cycles.overdue.refresh_from_db()
    assert cycles.other.withdrawn_on is None and cycles.overdue.withdrawn_on is None


# -- assigning ------------------------------------------------------------------------------------

def _due(days: int = 10) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def test_the_form_offers_programmes_roles_departments_hazards_and_the_roster(personas: Personas,
                                                                             cycles: Cycles) -> None:
    html = _html(personas.client(personas.employer_admin).get(_assign(personas.employer.code),
                                                              {"programme": "t-exposed"}))
    assert 'value="t-exposed" selected' in html and "接害劳动者上岗前职业卫生培训" in html
    assert 'name="post_role" value="exposed"' in html and "采煤一队" in html
    dust = HazardFactor.objects.get(name="煤尘").hazard_class
    assert f'name="hazard_class" value="{dust.code}"' in html
    assert all(f'value="{worker.code}"' in html for worker in (cycles.wang, cycles.zhao, cycles.sun))
    assert personas.other_worker.code not in html and personas.worker.id_number not in html


def test_assigning_by_role_counts_the_new_and_the_already_open(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    response = client.post(_assign(personas.employer.code), {
        "programme": "t-exposed", "post_role": "exposed", "due_on": _due()}, follow=True)
    html = _html(response)
    # 王工 met his cycle; 赵工 and 钱工 have open ones; 周工's was withdrawn.
    assert "已布置给 2 人；2 人已有未完成的这项培训" in html
    assert response.redirect_chain[-1][0] == _dashboard(personas.employer.code)
    fresh = TrainingAssignment.objects.filter(programme=cycles.exposed, starts_on=TODAY)
    assert sorted(fresh.values_list("worker__name", flat=True)) == ["周工", "王工"]
    assert set(fresh.values_list("due_on", flat=True)) == {TODAY + dt.timedelta(days=10)}
    assert set(fresh.values_list("assigned_by", flat=True)) == {personas.employer_admin.pk}


def test_assigning_by_department_or_hazard_picks_only_the_programmes_role(personas: Personas,
                                                                          cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    boss = WorkerFactory(employer=personas.employer, name="队长", post_role=PostRole.PRINCIPAL,
                         department=cycles.mining)
    client.post(_assign(personas.employer.code), {"programme": "t-exposed", "department": str(cycles.mining.pk),
                                                  "due_on": _due()})
    assert not TrainingAssignment.objects.filter(worker=boss).exists()
    assert TrainingAssignment.objects.filter(worker=cycles.wang, starts_on=TODAY).exists()
    dust = HazardFactor.objects.get(name="煤尘").hazard_class
    cycles.qian.exposures.set([HazardFactor.objects.get(name="煤尘")])
    TrainingAssignment.objects.filter(pk=cycles.due.pk).update(withdrawn_on=TODAY)
    response = client.post(_assign(personas.employer.code), {
        "programme": "t-exposed", "hazard_class": dust.code, "due_on": _due()}, follow=True)
    assert "已布置给 1 人；1 人已有" in _html(response)
    assert TrainingAssignment.objects.filter(worker=cycles.qian, starts_on=TODAY).exists()


def test_every_refusal_is_shown_and_assigns_nothing(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    address = _assign(personas.employer.code)
    before = TrainingAssignment.objects.count()

    def refused(data: dict[str, Any]) -> str:
        response = client.post(address, data)
        html = _html(response)
        assert 'data-testid="assign-error"' in html, data
        start = html.index('data-testid="assign-error">') + len('data-testid="assign-error">')
        return html[start:html.index("</p>", start)]

    other = refused({"programme": "t-exposed", "worker": [cycles.qian.code, personas.other_worker.code],
                     "due_on": _due()})
    unknown = refused({"programme": "t-exposed", "worker": [cycles.qian.code, "NoSuchWorker1"], "due_on": _due()})
    assert "不是本单位在岗劳动者" in other and personas.other_worker.code in other
    assert other.replace(personas.other_worker.code, "X") == unknown.replace("NoSuchWorker1", "X")
    assert "已经过去" in refused({"programme": "t-exposed", "worker": [cycles.qian.code], "due_on": _due(-1)})
    mismatch = refused({"programme": "t-principal", "worker": [cycles.qian.code, cycles.sun.code],
                        "due_on": _due()})
    assert "面向主要负责人" in mismatch and "钱工" in mismatch and "孙厂长" not in mismatch
    assert "格式" in refused({"programme": "t-exposed", "worker": [cycles.qian.code], "due_on": "15/07/2026"})
    assert "请填写截止日期" in refused({"programme": "t-exposed", "worker": [cycles.qian.code], "due_on": ""})
    assert "请选择" in refused({"programme": "", "worker": [cycles.qian.code], "due_on": _due()})
    assert "请选择" in refused({"programme": "no-such", "worker": [cycles.qian.code], "due_on": _due()})
    assert "没有选中任何劳动者" in refused({"programme": "t-exposed", "due_on": _due()})
    cycles.exposed.is_active = False
    cycles.exposed.save()
    assert "请选择" in refused({"programme": "t-exposed", "worker": [cycles.qian.code], "due_on": _due()})
    assert TrainingAssignment.objects.count() == before


def test_searching_the_list_keeps_the_ticks_and_assigns_nothing(personas: Personas, cycles: Cycles) -> None:
    client = personas.client(personas.employer_admin)
    html = _html(client.post(_assign(personas.employer.code), {
        "programme": "t-exposed", "worker": [cycles.zhou.code], "q": "赵", "goto": "1", "due_on": _due()}))
    assert f'<input type="hidden" name="worker" value="{cycles.zhou.code}">' in html
    assert f'value="{cycles.zhao.code}"' in html and 'data-testid="picked"' in html
    assert 'data-testid="assign-error"' not in html
    assert not TrainingAssignment.objects.filter(starts_on=TODAY).exists()


# -- who gets what --------------------------------------------------------------------------------

def test_personas_on_every_page(personas: Personas, cycles: Cycles) -> None:
    code = personas.employer.code
    addresses = [_dashboard(code), _worker(cycles.zhao.code), _assign(code),
                 reverse("learning:training_export", args=[code])]
    for address in addresses:
        assert personas.client(personas.employer_admin).get(address).status_code == 200, address
        assert personas.client(personas.superuser).get(address).status_code == 200, address
        assert personas.client(personas.evaluator).get(address).status_code == 403, address
        assert personas.client(personas.editor).get(address).status_code == 404, address
        response = Client().get(address)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), address
    evaluator = personas.client(personas.evaluator)
    assert evaluator.post(_assign(code), {"programme": "t-exposed", "post_role": "exposed",
                                          "due_on": _due()}).status_code == 403
    assert evaluator.post(_worker(cycles.qian.code), {"assignment": cycles.due.code, "reason": "x"}).status_code == 403
    # The worker: their own record is read-only here (403); the employer's pages do not exist for them.
    worker = personas.client(personas.worker_user)
    assert worker.get(_dashboard(code)).status_code == 404
    assert worker.get(_assign(code)).status_code == 404
    assert worker.get(_worker(personas.worker.code)).status_code == 403
    assert worker.get(_worker(cycles.zhao.code)).status_code == 404
    cycles.due.refresh_from_db()
    assert cycles.due.withdrawn_on is None


def test_the_outsider_gets_404_like_an_unknown_code(personas: Personas, cycles: Cycles) -> None:
    outsider = personas.client(personas.outsider)
    code = personas.employer.code
    pairs = [(_dashboard(code), _dashboard("NoSuchEmployer")), (_worker(cycles.zhao.code), _worker("NoSuchWorker1")),
             (_assign(code), _assign("NoSuchEmployer")),
             (reverse("learning:training_export", args=[code]), reverse("learning:training_export",
                                                                        args=["NoSuchEmployer"]))]
    for ours, unknown in pairs:
        mine, none = outsider.get(ours), outsider.get(unknown)
        assert mine.status_code == none.status_code == 404, ours
        assert _main(mine) == _main(none), ours
    assert outsider.post(_assign(code), {"programme": "t-exposed", "post_role": "exposed",
                                         "due_on": _due()}).status_code == 404
    assert outsider.post(_worker(cycles.qian.code), {"assignment": cycles.due.code, "reason": "x"}).status_code == 404
    assert outsider.get(_dashboard("a\x00b")).status_code == 404
    # Their own employer's dashboard counts their own worker only.
    html = _html(outsider.get(_dashboard(personas.other_employer.code), {"status": "all"}))
    assert _listed(html) == ["李工"] and 'data-testid="workers">1<' in html


def test_a_cycle_closed_by_an_exam_links_its_certificate(personas: Personas, cycles: Cycles, tmp_path: Any,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         django_capture_on_commit_callbacks: Any) -> None:
    from django.core.files.storage import storages

    from exams.models import Certificate
    from tests.exams.helpers import make_bank, make_exam
    from tests.exams.test_certificates import sit

    # The certificate's files go to a folder of the test, not the tree.
    storage = storages["private"]
    monkeypatch.setattr(storage, "location", str(tmp_path))
    monkeypatch.setattr(storage, "base_location", str(tmp_path), raising=False)
    make_bank(12)
    exam = make_exam(workers=[cycles.wang], attempts=3)
    cycles.exposed.exam = exam
    cycles.exposed.save()
    client = personas.client(personas.employer_admin)
    before = _html(client.get(_worker(cycles.wang.code)))
    assert "结业考试未通过" in before and 'data-testid="certificate"' not in before
    with django_capture_on_commit_callbacks(execute=True):
        sit(cycles.wang, exam)
    certificate = Certificate.objects.get(worker=cycles.wang)
    html = _html(client.get(_worker(cycles.wang.code)))
    assert f'data-cycle="{cycles.met.code}" data-status="met"' in html and "已通过" in html
    assert reverse("exams:certificate_file", args=[certificate.verification, "pdf"]) in html
    assert client.get(reverse("exams:certificate_file", args=[certificate.verification, "pdf"])).status_code == 200
