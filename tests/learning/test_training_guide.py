"""The small-employer guide: the duties the law gives a mining employer with dust and noise, the
refusals of bad answers, the one-step assignment (what the law requires for the roster, nothing
twice, next year's annual cycle instead of a second first one), and the page for each persona."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from learning.models import AssignmentSource, TrainingAssignment
from learning.services.guide import Duty, guide_assign, guide_duties
from learning.services.programmes import TrainingError, training_sync
from orgs.models import HazardFactor, PostRole, Worker
from tests.conftest import Personas
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 3, 10)


@pytest.fixture
def roster(personas: Personas) -> list[Worker]:
    """云龙矿业 (coal mining, GB/T 4754 division 06): a principal and 20 exposed workers (王工 and
    19 more) exposed to coal dust and noise; no occupational-health manager."""
    hazards = list(HazardFactor.objects.filter(name__in=["煤尘", "噪声"]))
    WorkerFactory(employer=personas.employer, name="张总", post="总经理", post_role=PostRole.PRINCIPAL)
    workers = [personas.worker]
    for number in range(19):
        worker = cast(Worker, WorkerFactory(employer=personas.employer, name=f"矿工{number:02d}", post="采煤工"))
        worker.exposures.set(hazards)
        workers.append(worker)
    return workers


def _factor(name: str) -> int:
    return HazardFactor.objects.get(name=name).pk


def _answers(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "industry_code": "06", "hazard_class_codes": ["dust", "physical"],
        "hazard_factor_ids": [_factor("煤尘"), _factor("噪声")],
        "headcount": {PostRole.PRINCIPAL: 1, PostRole.MANAGER: 0, PostRole.EXPOSED: 20}}
    answers.update(changes)
    return answers


def _by_key(duties: list[Duty]) -> dict[str, Duty]:
    return {duty.key: duty for duty in duties}


# -- the duties ----------------------------------------------------------------------------------


def test_a_mining_employer_with_dust_and_noise_gets_its_statutory_duties(personas: Personas, roster: list[Worker]) -> None:
    duties = _by_key(guide_duties(employer=personas.employer, today=TODAY, **_answers()))
    appoint = duties["appoint-manager"]
    assert appoint.kind == "appoint" and "第二十条" in appoint.legal_basis and "职业卫生管理人员" in appoint.note
    pre_job = duties["exposed-pre-job"]
    assert pre_job.due_on == TODAY + dt.timedelta(days=30)
    assert pre_job.hours == 8 and pre_job.on_roster == 20 and pre_job.answered == 20 and pre_job.to_assign == 20
    assert "第三十四条" in pre_job.legal_basis and "不少于 8 学时" in pre_job.legal_basis
    principal = duties["principal-initial"]
    assert principal.hours == 16 and principal.due_on == TODAY + dt.timedelta(days=90) and principal.to_assign == 1
    # Nobody here was ever trained: the first cycle is what is due now, not the annual one.
    assert duties["principal-annual"].to_assign == 0 and duties["exposed-annual"].to_assign == 0
    assert duties["exposed-annual"].due_on == dt.date(2025, 12, 31) and duties["exposed-annual"].hours == 4
    assert duties["manager-initial"].on_roster == 0 and duties["manager-initial"].to_assign == 0
    # The answers agree with the roster, and the roster records both hazards.
    assert not [key for key in duties if key.startswith(("roster-", "hazard-", "factor-"))]
    # What must be done by hand comes first.
    assert next(iter(duties)) == "appoint-manager"


def test_a_disagreement_with_the_roster_is_itself_an_item(personas: Personas, roster: list[Worker]) -> None:
    headcount = {PostRole.PRINCIPAL: 1, PostRole.MANAGER: 1, PostRole.EXPOSED: 25}
    duties = _by_key(guide_duties(employer=personas.employer, today=TODAY,
                                  **_answers(headcount=headcount, hazard_class_codes=["dust", "physical", "chemical"])))
    assert duties["roster-manager"].title == "花名册中没有职业卫生管理人员，请指定并在花名册中标注"
    assert "appoint-manager" not in duties  # the admin says there is one: put them on the roster
    assert duties["roster-exposed"].on_roster == 20 and duties["roster-exposed"].answered == 25
    assert "其余 5 人" in duties["exposed-pre-job"].note
    # Chemicals said to be present, nobody on the roster recorded as exposed to them.
    assert "化学因素" in duties["hazard-chemical"].title


def test_hazards_on_the_roster_the_admin_did_not_name_are_flagged(personas: Personas, roster: list[Worker]) -> None:
    duties = _by_key(guide_duties(employer=personas.employer, today=TODAY,
                                  **_answers(hazard_class_codes=["dust"], hazard_factor_ids=[])))
    assert "物理因素" in duties["hazard-unchosen"].title


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"industry_code": "ZZ"}, "industry", "没有这个行业代码：ZZ"),
    ({"industry_code": "0\x006"}, "industry", "没有这个行业代码"),
    ({"industry_code": ""}, "industry", "请选择"),
    ({"hazard_class_codes": ["dust", "gas"]}, "hazard_classes", "没有这个危害因素类别：gas"),
    ({"hazard_factor_ids": ["x1"]}, "hazard_factors", "没有这个危害因素：x1"),
    ({"hazard_factor_ids": [999999]}, "hazard_factors", "没有这个危害因素：999999"),
    ({"hazard_class_codes": [], "hazard_factor_ids": []}, "hazard_classes", "请至少选择一类"),
    ({"headcount": {"principal": 1, "manager": 0, "exposed": -1}}, "headcount_exposed", "不能是负数"),
    ({"headcount": {"principal": 1, "manager": 0, "exposed": 100001}}, "headcount_exposed", "不能超过 100000 人"),
    ({"headcount": {"principal": 1, "manager": "2", "exposed": 3}}, "headcount_manager", "整数"),
    ({"headcount": {"principal": 0, "manager": 0, "exposed": 0}}, "headcount_principal", "不能都是 0"),
    ({"headcount": {"principal": 1, "boss": 1}}, "headcount", "没有这个岗位角色：boss"),
])
def test_bad_answers_are_refused_naming_the_field(personas: Personas, changes: dict[str, Any], field: str,
                                                  words: str) -> None:
    with pytest.raises(TrainingError) as refused:
        guide_duties(employer=personas.employer, today=TODAY, **_answers(**changes))
    assert refused.value.field == field and words in refused.value.message


# -- the assignment ------------------------------------------------------------------------------


def _cycles(personas: Personas) -> list[tuple[str, str, dt.date]]:
    return sorted(TrainingAssignment.objects.filter(employer=personas.employer).values_list(
        "worker__name", "programme__code", "due_on"))


def test_guide_assign_sets_what_the_law_requires_once(personas: Personas, roster: list[Worker]) -> None:
    result = guide_assign(actor=personas.employer_admin, employer=personas.employer, today=TODAY, **_answers())
    assert result.created == 21
    assert result.by_programme == {"principal-initial": 1, "exposed-pre-job": 20}
    cycles = TrainingAssignment.objects.filter(employer=personas.employer)
    assert set(cycles.values_list("source", flat=True)) == {AssignmentSource.GUIDE}
    assert cycles.get(programme__code="principal-initial").worker.name == "张总"
    assert cycles.get(programme__code="principal-initial").due_on == TODAY + dt.timedelta(days=90)
    pre_job = cycles.filter(programme__code="exposed-pre-job")
    assert set(pre_job.values_list("worker_id", flat=True)) == {worker.pk for worker in roster}
    assert set(pre_job.values_list("due_on", flat=True)) == {TODAY + dt.timedelta(days=30)}
    assert not cycles.filter(programme__kind="annual").exists()
    assert not TrainingAssignment.objects.filter(worker=personas.other_worker).exists()
    before = _cycles(personas)

    again = guide_assign(actor=personas.employer_admin, employer=personas.employer, today=TODAY, **_answers())
    assert again.created == 0 and _cycles(personas) == before
    later = guide_assign(actor=personas.employer_admin, employer=personas.employer,
                         today=TODAY + dt.timedelta(days=40), **_answers())
    assert later.created == 0 and _cycles(personas) == before
    # The nightly rules agree: nothing missing.
    assert training_sync(employer=personas.employer, today=TODAY).created == 0
    assert ModelLogEntry.objects.filter(action="learning.training.guide").count() == 1


def test_next_year_the_guide_sets_the_annual_cycle_not_a_second_first_one(personas: Personas,
                                                                          roster: list[Worker]) -> None:
    guide_assign(actor=personas.employer_admin, employer=personas.employer, today=TODAY, **_answers())
    next_year = dt.date(2026, 2, 1)
    result = guide_assign(actor=personas.employer_admin, employer=personas.employer, today=next_year, **_answers())
    assert result.by_programme == {"principal-annual": 1, "exposed-annual": 20}
    assert set(TrainingAssignment.objects.filter(starts_on__year=2026).values_list("due_on", flat=True)) == {
        dt.date(2026, 12, 31)}
    assert guide_assign(actor=personas.employer_admin, employer=personas.employer, today=next_year,
                        **_answers()).created == 0


def test_someone_the_rules_already_trained_is_not_assigned_again(personas: Personas, roster: list[Worker]) -> None:
    Worker.objects.filter(employer=personas.employer).update(hire_date=TODAY)
    assert training_sync(employer=personas.employer, today=TODAY).first == 21
    duties = _by_key(guide_duties(employer=personas.employer, today=TODAY, **_answers()))
    assert duties["exposed-pre-job"].to_assign == 0 and "20 人已有" in duties["exposed-pre-job"].note
    result = guide_assign(actor=personas.employer_admin, employer=personas.employer, today=TODAY, **_answers())
    assert result.created == 0 and set(result.skipped) >= {"exposed-pre-job", "principal-initial"}


# -- the page ------------------------------------------------------------------------------------


def _url(code: str) -> str:
    return reverse("learning:training_guide", args=[code])


def _query(**changes: Any) -> dict[str, Any]:
    query: dict[str, Any] = {"industry": "06", "hazard_classes": ["dust", "physical"],
                             "hazard_factors": [str(_factor("煤尘")), str(_factor("噪声"))],
                             "headcount_principal": "1", "headcount_manager": "0", "headcount_exposed": "20",
                             "step": "2"}
    query.update(changes)
    return query


def _main(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    return html[html.index("<main"):html.index("</main>")]


def _error_at(html: str, field: str, words: str) -> bool:
    """The message stands in the field's own paragraph or fieldset, before its input."""
    for block in re.findall(r"<(?:p|fieldset) class=\"invalid\".*?</(?:p|fieldset)>", html, flags=re.S):
        if words in block and f'name="{field}"' in block:
            return True
    return False


def test_the_questions_are_prefilled_from_the_roster(personas: Personas, roster: list[Worker]) -> None:
    html = _main(personas.client(personas.employer_admin).get(_url(personas.employer.code)))
    assert re.search(r'name="headcount_exposed" value="20"', html)
    assert re.search(r'name="headcount_principal" value="1"', html)
    assert re.search(r'<option value="06" selected>', html)
    assert re.search(r'value="dust"[^>]*checked', html) and re.search(r'value="physical"[^>]*checked', html)
    assert not re.search(r'value="chemical"[^>]*checked', html)
    assert f'value="{_factor("煤尘")}" checked' in html
    assert personas.worker.phone not in html and personas.worker.id_number not in html


def test_the_checklist_then_one_click_assigns_it(personas: Personas, roster: list[Worker]) -> None:
    client = personas.client(personas.employer_admin)
    html = _main(client.get(_url(personas.employer.code), _query()))
    assert 'data-duty="appoint-manager"' in html and "配备职业卫生管理人员" in html
    assert "接害劳动者上岗前职业卫生培训" in html and "不少于 8 学时" in html and "第三十四条" in html
    assert "本次布置 20 人" in html and "一键布置" in html
    assert html.index('data-duty="appoint-manager"') < html.index('data-duty="exposed-pre-job"')
    response = client.post(_url(personas.employer.code), {k: v for k, v in _query().items() if k != "step"})
    assert response.status_code == 302
    assert response["Location"] == f"/learning/employer/{personas.employer.code}/training/"
    assert TrainingAssignment.objects.filter(employer=personas.employer, source=AssignmentSource.GUIDE).count() == 21
    # Assigned: the checklist now has nobody left to assign, and says so instead of the button.
    html = _main(client.get(_url(personas.employer.code), _query()))
    assert "本次布置 20 人" not in html and 'data-testid="assign"' not in html


def test_the_edit_link_shows_the_questions_as_answered(personas: Personas, roster: list[Worker]) -> None:
    html = _main(personas.client(personas.employer_admin).get(_url(personas.employer.code), _query(
        step="1", headcount_exposed="7")))
    assert 'data-testid="guide-form"' in html and re.search(r'name="headcount_exposed" value="7"', html)


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"industry": "ZZ"}, "industry", "没有这个行业代码：ZZ"),
    ({"industry": "0\x006"}, "industry", "没有这个行业代码"),
    ({"hazard_classes": ["gas"]}, "hazard_classes", "没有这个危害因素类别：gas"),
    ({"hazard_classes": [], "hazard_factors": []}, "hazard_classes", "请至少选择一类"),
    ({"hazard_factors": ["abc"]}, "hazard_factors", "没有这个危害因素：abc"),
    ({"headcount_exposed": "-3"}, "headcount_exposed", "不能是负数"),
    ({"headcount_exposed": "250000"}, "headcount_exposed", "不能超过 100000 人"),
    ({"headcount_exposed": "99999999999999999999999"}, "headcount_exposed", "不能超过 100000 人"),
    ({"headcount_manager": "two"}, "headcount_manager", "请填写整数人数"),
    ({"headcount_principal": ""}, "headcount_principal", "请填写人数"),
    ({"headcount_principal": "0", "headcount_exposed": "0"}, "headcount_principal", "不能都是 0"),
])
def test_bad_input_re_renders_the_form_with_the_error_at_the_field(personas: Personas, roster: list[Worker],
                                                                    changes: dict[str, Any], field: str,
                                                                    words: str) -> None:
    client = personas.client(personas.employer_admin)
    html = _main(client.get(_url(personas.employer.code), _query(**changes)))
    assert _error_at(html, field, words), html
    posted = {key: value for key, value in _query(**changes).items() if key != "step"}
    html = _main(client.post(_url(personas.employer.code), posted))
    assert _error_at(html, field, words)
    assert not TrainingAssignment.objects.filter(employer=personas.employer).exists()


@pytest.mark.parametrize(("persona", "status"), [
    ("employer_admin", 200), ("superuser", 200), ("evaluator", 403), ("outsider", 404), ("worker_user", 404),
    ("editor", 404), ("reviewer", 404),
])
def test_who_may_use_the_guide(personas: Personas, roster: list[Worker], persona: str, status: int) -> None:
    client = personas.client(getattr(personas, persona))
    url = _url(personas.employer.code)
    assert client.get(url).status_code == status
    assert client.get(url, _query()).status_code == status
    posted = client.post(url, {key: value for key, value in _query().items() if key != "step"})
    assert posted.status_code == (302 if status == 200 else status)
    created = TrainingAssignment.objects.filter(employer=personas.employer).exists()
    assert created == (status == 200)


def test_an_unknown_code_and_an_anonymous_visitor(personas: Personas) -> None:
    admin = personas.client(personas.employer_admin)
    assert admin.get(_url("NOSUCHCODE")).status_code == 404
    assert admin.get(_url("bad\x00code")).status_code == 404
    anonymous = personas.client(None)
    response = anonymous.get(_url(personas.employer.code))
    assert response.status_code == 302 and "login" in response["Location"]
    assert anonymous.post(_url(personas.employer.code), {}).status_code == 302
    # The outsider's own employer works for them: the page is theirs there.
    assert personas.client(personas.outsider).get(_url(personas.other_employer.code)).status_code == 200


def test_the_page_reads_at_phone_width(personas: Personas, roster: list[Worker]) -> None:
    """The checklist stacks into cards under 700 px and hides the chrome when printed."""
    html = personas.client(personas.employer_admin).get(_url(personas.employer.code), _query()).content.decode()
    assert 'name="viewport" content="width=device-width' in html
    assert "@media (max-width: 699px)" in html and "@media print" in html
    assert 'data-label="完成期限"' in html
