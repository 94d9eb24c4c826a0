"""The surveys admin: editors build questionnaires (through questionnaire_save), take items from
the bank and copy; indicators and targets are kept by superusers and read by editors; workers,
employer admins and outsiders have no admin at all."""

from __future__ import annotations

import re
from typing import Any

import pytest
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from surveys.models import Indicator, Item, Questionnaire, Response, Target
from tests.conftest import Personas
from tests.exams.helpers import make_question
from tests.surveys.test_questionnaires import make_questionnaire, make_wave

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = "/admin/surveys/questionnaires/"
INDICATORS = "/admin/surveys/indicators/"
TARGETS = "/admin/surveys/targets/"


def _item(code: str, **fields: Any) -> dict[str, Any]:
    values = {"id": "", "code": code, "kind": "knowledge", "type": "select_one", "label": f"题目 {code}", "hint": "",
              "choices": "a = 职业健康监护档案\nb = 个人信用档案\nc = 学历档案", "answer": "a", "points": "1",
              "dimension": "law", "yes_value": "", "not_applicable_value": "", "indicator": "", "respondent_field": "",
              "relevant": "", "required": "on", "min_value": "", "max_value": ""}
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def _form(items: list[dict[str, Any]], *, initial: int = 0, **fields: Any) -> dict[str, Any]:
    values = {"title": "职业健康知识知晓率调查", "intro": "匿名填写", "form_id": "awareness_admin", "version": "2025",
              "threshold": "0.80"}
    values.update(fields)
    return nested_form_data({**values, "items": inline_formset(items, initial=initial)})


def _stored_items(questionnaire: Questionnaire) -> list[dict[str, Any]]:
    rows = []
    for item in questionnaire.items.order_by("sort_order"):
        rows.append(_item(item.code, id=item.pk, kind=item.kind, type=item.type, label=item.label,
                          choices="\n".join(f"{c['value']} = {c['label']}" for c in item.choices),
                          answer=" ".join(item.answer), points=str(item.points), dimension=item.dimension_id or "",
                          yes_value=item.yes_value, not_applicable_value=item.not_applicable_value,
                          respondent_field=item.respondent_field, relevant=item.relevant))
    return rows


def _errors(response: Any) -> list[str]:
    page = response.content.decode()
    return [re.sub(r"<[^>]+>|\s+", "", error) for error in re.findall(r'class="error-message"[^>]*>(.*?)</', page, re.S)]


def test_an_editor_builds_a_questionnaire_through_the_service(personas: Personas) -> None:
    client = personas.client(personas.editor)
    assert client.get(QUESTIONNAIRES + "new/").status_code == 200
    response = client.post(QUESTIONNAIRES + "new/", _form([
        _item("sex", kind="respondent", choices="male = 男\nfemale = 女", answer="", points="1", dimension="",
              respondent_field="sex"),
        _item("k1"),
        _item("k2", type="true_false", choices="", answer="错", dimension="protection_knowledge"),
        _item("k3", type="select_multiple", answer="a, c", relevant="${k1} = 'a'"),
    ]))
    assert response.status_code == 302, _errors(response)
    questionnaire = Questionnaire.objects.get(form_id="awareness_admin")
    items = {item.code: item for item in questionnaire.items.all()}
    assert [item.code for item in questionnaire.items.order_by("sort_order")] == ["sex", "k1", "k2", "k3"]
    assert items["k1"].choices[0] == {"value": "a", "label": "职业健康监护档案"} and items["k1"].answer == ["a"]
    assert items["k2"].choices == [{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]
    assert items["k2"].answer == ["false"] and items["k3"].answer == ["a", "c"]
    assert ModelLogEntry.objects.filter(action="surveys.questionnaire.create", object_id=str(questionnaire.pk),
                                        user=personas.editor).exists()
    # The edit form shows choices as lines and answers as values, never JSON.
    page = client.get(f"{QUESTIONNAIRES}edit/{questionnaire.pk}/").content.decode()
    choices = re.search(r'<textarea name="items-1-choices"[^>]*>(.*?)</textarea>', page, re.S)
    assert choices is not None and choices.group(1).strip() == "a = 职业健康监护档案\nb = 个人信用档案\nc = 学历档案"
    answer = re.search(r'<input type="text" name="items-3-answer" value="([^"]*)"', page)
    assert answer is not None and answer.group(1) == "a c"

    rows = _stored_items(questionnaire)
    rows[1]["label"] = "用人单位应当为劳动者建立哪种档案？"
    response = client.post(f"{QUESTIONNAIRES}edit/{questionnaire.pk}/", _form(rows, initial=len(rows)))
    assert response.status_code == 302, _errors(response)
    assert Item.objects.get(questionnaire=questionnaire, code="k1").label == "用人单位应当为劳动者建立哪种档案？"
    assert ModelLogEntry.objects.filter(action="surveys.questionnaire.edit", object_id=str(questionnaire.pk)).count() == 1


def test_item_problems_show_on_the_item_fields(personas: Personas) -> None:
    client = personas.client(personas.editor)
    response = client.post(QUESTIONNAIRES + "new/", _form([
        _item("k1", answer="d"), _item("k2", dimension=""), _item("k3", relevant="${k9} = 'a'")]))
    assert response.status_code == 200
    errors = _errors(response)
    assert "题目k1：答案d不在选项中" in errors and "题目k2：请选择素养维度" in errors
    assert "题目k3：显示条件引用了前面没有的题目：k9" in errors
    assert "问卷有3处问题，已在下方题目中标出" in response.content.decode().replace(" ", "")
    assert not Questionnaire.objects.exists()


def test_a_questionnaire_with_responses_refuses_a_scoring_change_in_the_admin(personas: Personas) -> None:
    questionnaire = make_questionnaire(actor=personas.editor)
    Response.objects.create(wave=make_wave(questionnaire))
    rows = _stored_items(questionnaire)
    rows[1]["answer"] = "b"
    response = personas.client(personas.editor).post(f"{QUESTIONNAIRES}edit/{questionnaire.pk}/",
                                                     _form(rows, initial=len(rows), form_id=questionnaire.form_id))
    assert response.status_code == 200
    page = response.content.decode()
    assert "不能再修改计分内容（题目 k1 的答案）" in page and "请复制问卷" in page
    assert Item.objects.get(questionnaire=questionnaire, code="k1").answer == ["a"]


def test_the_list_counts_items_and_waves(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    make_wave(questionnaire)
    make_wave(questionnaire, title="第二轮")
    make_questionnaire(form_id="unused", title="备用问卷")
    client = personas.client(personas.editor)
    page = client.get(QUESTIONNAIRES).content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*awareness_2025(?:(?!</tr>).)*</tr>", page, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>|\s+", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    # knowledge 2, behaviour 1, respondent 1, waves 2
    assert cells[3:7] == ["2", "1", "1", "2"], cells
    assert "知识题" in page and "调查轮次" in page
    in_use = client.get(QUESTIONNAIRES, {"in_use": "true"}).context["object_list"]
    assert [q.form_id for q in in_use] == ["awareness_2025"]
    frozen = client.get(QUESTIONNAIRES, {"frozen": "false"}).context["object_list"]
    assert {q.form_id for q in frozen} == {"awareness_2025", "unused"}


def test_taking_items_from_the_bank_in_the_admin_keeps_the_version(personas: Personas) -> None:
    chosen, other = make_question(1, category="法律法规/职业病防治法"), make_question(2, category="个体防护")
    inactive = make_question(3)
    inactive.is_active = False
    inactive.save()
    questionnaire = make_questionnaire()
    client = personas.client(personas.editor)
    url = f"{QUESTIONNAIRES}from-bank/{questionnaire.pk}/"
    page = client.get(url, {"q": "第 1 题"})
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == [chosen]
    assert [q.pk for q in client.get(url, {"category": other.category_id}).context["page"].object_list] == [other.pk]
    assert inactive not in client.get(url).context["page"].object_list
    response = client.post(url, {"questions": [chosen.pk, inactive.pk]})
    assert response.status_code == 302 and response["Location"] == f"{QUESTIONNAIRES}edit/{questionnaire.pk}/"
    item = questionnaire.items.get(code=f"bank_{chosen.pk}")
    assert item.source_version_id == chosen.current_version_id and item.answer == ["b"]
    assert not questionnaire.items.filter(code=f"bank_{inactive.pk}").exists()
    assert "已在问卷中" in client.get(url).content.decode()


def test_copying_in_the_admin_opens_the_copy(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    client = personas.client(personas.editor)
    url = f"{QUESTIONNAIRES}duplicate/{questionnaire.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url)
    copy = Questionnaire.objects.get(form_id="awareness_2025_copy")
    assert response["Location"] == f"{QUESTIONNAIRES}edit/{copy.pk}/"
    assert copy.items.count() == 4


def test_people_without_the_admin_get_nowhere(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    urls = [QUESTIONNAIRES, QUESTIONNAIRES + "new/", f"{QUESTIONNAIRES}edit/{questionnaire.pk}/",
            f"{QUESTIONNAIRES}from-bank/{questionnaire.pk}/", f"{QUESTIONNAIRES}duplicate/{questionnaire.pk}/",
            INDICATORS, TARGETS]
    for user in (personas.worker_user, personas.employer_admin, personas.outsider, None):
        client = personas.client(user)
        for url in urls:
            response = client.get(url)
            # Wagtail sends whoever may not use the admin to its sign-in page.
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (user, url)
        response = client.post(f"{QUESTIONNAIRES}duplicate/{questionnaire.pk}/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert Questionnaire.objects.count() == 1


def test_reviewers_read_questionnaires_but_do_not_change_them(personas: Personas) -> None:
    questionnaire = make_questionnaire()
    client = personas.client(personas.reviewer)
    assert client.get(QUESTIONNAIRES).status_code == 200
    for url in (f"{QUESTIONNAIRES}edit/{questionnaire.pk}/", f"{QUESTIONNAIRES}from-bank/{questionnaire.pk}/",
                f"{QUESTIONNAIRES}duplicate/{questionnaire.pk}/", QUESTIONNAIRES + "new/"):
        assert client.get(url)["Location"] == "/admin/", url
    assert client.post(f"{QUESTIONNAIRES}duplicate/{questionnaire.pk}/")["Location"] == "/admin/"
    assert Questionnaire.objects.count() == 1


# -- indicators and targets ----------------------------------------------------------------------
def test_superusers_keep_indicators_and_targets_through_the_services(personas: Personas) -> None:
    client = personas.client(personas.superuser)
    response = client.post(INDICATORS + "new/", {"code": "test_gloves", "kind": "behaviour", "name": "测试手套佩戴率",
                                                 "definition": "正确佩戴手套的人数 ÷ 适用人数"})
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="test_gloves")
    assert ModelLogEntry.objects.filter(action="surveys.indicator.create", object_id="test_gloves").exists()
    # The code is typed once: a changed code in the post is ignored.
    response = client.post(f"{INDICATORS}edit/test_gloves/", {"code": "other", "kind": "behaviour",
                                                              "name": "测试手套正确佩戴率", "definition": "新定义"})
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.name == "测试手套正确佩戴率" and not Indicator.objects.filter(code="other").exists()
    response = client.post(TARGETS + "new/", {"indicator": "test_gloves", "region": "320300", "year": "2025",
                                              "value": "0.9", "source": "徐州市职业健康保护行动"})
    assert response.status_code == 302
    target = Target.objects.get(indicator_id="test_gloves")
    assert target.region_id == "320300" and str(target.value) == "0.9000"
    assert ModelLogEntry.objects.filter(action="surveys.target.create", object_id=str(target.pk)).exists()
    listing = client.get(TARGETS, {"indicator": "test_gloves"}).content.decode()
    assert "90%" in listing and "徐州" in listing


def test_editors_read_indicators_and_targets_only(personas: Personas) -> None:
    client = personas.client(personas.editor)
    assert client.get(INDICATORS).status_code == 200 and client.get(TARGETS).status_code == 200
    assert client.get(INDICATORS + "new/")["Location"] == "/admin/"
    assert client.get(TARGETS + "new/")["Location"] == "/admin/"
