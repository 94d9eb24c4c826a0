"""Questionnaire items are checked item by item with messages naming the item and the field; a
questionnaire with responses keeps what scores; copies and bank items keep their sources."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core.errors import ServiceError
from exams.models import QuestionKind
from exams.services.bank import QuestionData, question_data_from, question_save
from surveys.models import Indicator, Item, ItemKind, ItemType, Questionnaire, Response, Wave
from surveys.services.questionnaires import (
    QuestionnaireInvalid,
    item_from_question,
    questionnaire_add_questions,
    questionnaire_copy,
    questionnaire_item_errors,
    questionnaire_save,
)
from tests.conftest import Personas
from tests.exams.helpers import make_question

pytestmark = pytest.mark.django_db

ABC = [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}, {"value": "c", "label": "丙"}]
YES_NO_NA = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}, {"value": "na", "label": "不适用"}]


def knowledge(code: str, **fields: Any) -> Item:
    values: dict[str, Any] = {"code": code, "kind": ItemKind.KNOWLEDGE, "type": ItemType.SELECT_ONE,
                              "label": f"知识题 {code}", "choices": ABC, "answer": ["a"], "points": 1,
                              "dimension_id": "law"}
    values.update(fields)
    return Item(**values)


def behaviour(code: str, **fields: Any) -> Item:
    values: dict[str, Any] = {"code": code, "kind": ItemKind.BEHAVIOUR, "type": ItemType.SELECT_ONE,
                              "label": "在噪声岗位工作时，您是否正确佩戴防噪音耳塞或耳罩？", "choices": YES_NO_NA,
                              "yes_value": "yes", "not_applicable_value": "na"}
    values.update(fields)
    return Item(**values)


def respondent(code: str, field: str, **fields: Any) -> Item:
    values: dict[str, Any] = {"code": code, "kind": ItemKind.RESPONDENT, "type": ItemType.SELECT_ONE,
                              "label": f"基本情况 {code}", "respondent_field": field,
                              "choices": [{"value": "male", "label": "男"}, {"value": "female", "label": "女"}]}
    values.update(fields)
    return Item(**values)


def make_questionnaire(items: list[Item] | None = None, *, actor: Any = None, form_id: str = "awareness_2025",
                       **fields: Any) -> Questionnaire:
    questionnaire = Questionnaire(title=fields.pop("title", "职业健康知识知晓率调查"), form_id=form_id, **fields)
    questionnaire.items = items if items is not None else [
        respondent("sex", "sex"), knowledge("k1"), knowledge("k2", dimension_id="protection_knowledge"), behaviour("b1")]
    return questionnaire_save(actor=actor, questionnaire=questionnaire, create=True)


def make_wave(questionnaire: Questionnaire, *, region: str = "320300", title: str = "2025 年徐州第一轮") -> Wave:
    now = timezone.now()
    return Wave.objects.create(questionnaire=questionnaire, title=title, region_id=region,
                               opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30))


def messages(items: list[Item]) -> list[str]:
    return [error.message for error in questionnaire_item_errors(Questionnaire(title="t", form_id="t"), items)]


# -- item rules ----------------------------------------------------------------------------------
def test_a_sound_questionnaire_has_no_errors() -> None:
    items = [respondent("sex", "sex"), knowledge("k1"), behaviour("b1", relevant="${k1} = 'a'"),
             knowledge("k2", type=ItemType.TRUE_FALSE, choices=[], answer=["对"])]
    assert messages(items) == []
    # True/false items get their choices, and an answer typed 对 is stored as true.
    assert items[3].choices == [{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]
    assert items[3].answer == ["true"]


def test_codes_are_slugs_and_unique() -> None:
    assert messages([knowledge("k1"), knowledge("k1"), knowledge(""), knowledge("1abc")]) == [
        "题目 k1：题目代码与第 1 题重复",
        "第 3 题：请填写题目代码",
        "题目 1abc：题目代码只能用字母、数字、下划线和连字符，以字母或下划线开头，最多 40 个字符",
    ]


def test_errors_name_the_item_and_its_field() -> None:
    errors = questionnaire_item_errors(Questionnaire(title="t", form_id="t"), [knowledge("k1", answer=["d"]),
                                                                                knowledge("", points=0)])
    assert [(error.field, error.message) for error in errors] == [
        ("k1.answer", "题目 k1：答案 d 不在选项中"),
        ("#2.code", "第 2 题：请填写题目代码"),
        ("#2.points", "题目 #2：分值至少为 1"),
    ]


def test_select_items_need_two_distinct_choices() -> None:
    assert messages([knowledge("k1", choices=[{"value": "a", "label": "甲"}]),
                     knowledge("k2", choices=[{"value": "a", "label": "甲"}, {"value": "a", "label": "乙"}]),
                     knowledge("k3", choices=[{"value": "a b", "label": "甲"}, {"value": "", "label": "乙"}],
                               answer=["a b"])]) == [
        "题目 k1：至少需要 2 个选项",
        "题目 k2：选项值 a 重复",
        "题目 k3：选项值“a b”不能含空格",
        "题目 k3：第 2 个选项没有选项值",
    ]


def test_knowledge_items_need_an_answer_points_and_a_dimension() -> None:
    assert messages([knowledge("k1", answer=["a", "b"]), knowledge("k2", type=ItemType.SELECT_MULTIPLE, answer=[]),
                     knowledge("k3", points=0, dimension_id=None), knowledge("k4", type=ItemType.INTEGER, choices=[])]) == [
        "题目 k1：单选题和判断题只能有一个答案",
        "题目 k2：请填写答案",
        "题目 k3：分值至少为 1",
        "题目 k3：请选择素养维度",
        "题目 k4：知识题应为单选、多选或判断题",
    ]
    # A multiple choice may have one or several right answers.
    assert messages([knowledge("k1", type=ItemType.SELECT_MULTIPLE, answer=["a", "c"])]) == []


def test_behaviour_items_name_their_yes_and_not_applicable_choices_and_a_behaviour_indicator() -> None:
    awareness = Indicator.objects.create(code="test_awareness", name="测试知晓率", kind=Indicator.Kind.AWARENESS,
                                         definition="测试")
    earplugs = Indicator.objects.create(code="test_earplugs", name="测试耳塞佩戴率", kind=Indicator.Kind.BEHAVIOUR,
                                        definition="测试")
    assert messages([knowledge("k1"), behaviour("b1", yes_value="maybe"), behaviour("b2", not_applicable_value="skip"),
                     behaviour("b3", yes_value=""), behaviour("b4", indicator=awareness),
                     behaviour("b5", indicator=earplugs), behaviour("b6", answer=["yes"])]) == [
        "题目 b1：计为“是”的选项 maybe 不在选项中",
        "题目 b2：“不适用”选项 skip 不在选项中",
        "题目 b3：请填写计为“是”的选项",
        "题目 b4：指标“测试知晓率”不是行为指标",
        "题目 b6：只有知识题填写答案",
    ]


def test_respondent_items_use_the_values_of_their_field() -> None:
    region = respondent("region", "region", choices=[{"value": "320300", "label": "徐州"},
                                                     {"value": "999999", "label": "无此地"}])
    industry = respondent("industry", "industry", choices=[{"value": "B", "label": "采矿业"},
                                                           {"value": "ZZ", "label": "无此行业"}])
    hazards = respondent("hazards", "hazards", type=ItemType.SELECT_MULTIPLE,
                         choices=[{"value": "dust", "label": "粉尘"}, {"value": "smoke", "label": "烟"}])
    assert messages([knowledge("k1"), respondent("sex", "sex", choices=[{"value": "m", "label": "男"},
                                                                        {"value": "female", "label": "女"}]),
                     respondent("sex2", "sex"), region, industry, hazards,
                     respondent("years", "years_exposed"),
                     respondent("years2", "age_group", type=ItemType.INTEGER, choices=[]),
                     knowledge("k2", respondent_field="education")]) == [
        "题目 sex：“性别”的选项值应为系统代码，m 不是",
        "题目 sex2：基本信息“性别”已由题目 sex 询问",
        "题目 region：“所在地区”的选项值应为系统代码，999999 不是",
        "题目 industry：“行业”的选项值应为系统代码，ZZ 不是",
        "题目 hazards：“接触危害因素”的选项值应为系统代码，smoke 不是",
        "题目 years：“接害工龄”应为整数题",
        "题目 years2：“年龄组”应为单选题",
        "题目 k2：只有基本情况题可以对应基本信息",
    ]
    # A region typed as text, years as an integer: fine.
    assert messages([knowledge("k1"), respondent("region", "region", type=ItemType.TEXT, choices=[]),
                     respondent("years", "years_exposed", type=ItemType.INTEGER, choices=[])]) == []


def test_skip_logic_looks_back_only_and_must_parse() -> None:
    assert messages([knowledge("k1", relevant="${k2} = 'a'"), knowledge("k2"),
                     knowledge("k3", relevant="${k1} = = 'a'")])[0] == "题目 k1：显示条件引用了前面没有的题目：k2"
    problems = messages([knowledge("k1"), knowledge("k3", relevant="${k1} = = 'a'")])
    assert len(problems) == 1 and problems[0].startswith("题目 k3：显示条件“${k1} = = 'a'”无法识别")


def test_a_questionnaire_needs_a_knowledge_item() -> None:
    assert messages([behaviour("b1")]) == ["问卷至少需要一道知识题"]


def test_saving_lists_every_problem_and_writes_nothing(personas: Personas) -> None:
    questionnaire = Questionnaire(title="", form_id="bad id")
    questionnaire.items = [knowledge("k1", answer=["z"]), knowledge("k1")]
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaire_save(actor=personas.editor, questionnaire=questionnaire, create=True)
    assert [error.message for error in caught.value.errors] == [
        "请填写标题", "表单代码只能用字母、数字、下划线和连字符，最多 60 个字符",
        "题目 k1：答案 z 不在选项中", "题目 k1：题目代码与第 1 题重复"]
    assert str(caught.value) == "；".join(error.message for error in caught.value.errors)
    assert not Questionnaire.objects.exists() and not Item.objects.exists()


def test_an_editor_saves_and_the_save_is_audited(personas: Personas) -> None:
    questionnaire = make_questionnaire(actor=personas.editor)
    assert [item.code for item in questionnaire.items.order_by("sort_order")] == ["sex", "k1", "k2", "b1"]
    assert questionnaire.created_by == personas.editor
    entry = ModelLogEntry.objects.get(action="surveys.questionnaire.create", object_id=str(questionnaire.pk))
    assert entry.user == personas.editor and entry.data["items"] == 4 and entry.data["knowledge"] == 2
    clash = Questionnaire(title="另一份", form_id="awareness_2025")
    clash.items = [knowledge("k1")]
    with pytest.raises(QuestionnaireInvalid, match="表单代码 awareness_2025 已被问卷“职业健康知识知晓率调查”使用"):
        questionnaire_save(actor=personas.editor, questionnaire=clash, create=True)


def test_only_editors_and_superusers_save_questionnaires(personas: Personas) -> None:
    for user in (personas.worker_user, personas.evaluator, personas.outsider):
        questionnaire = Questionnaire(title="问卷", form_id=f"f_{user.pk}")
        questionnaire.items = [knowledge("k1")]
        with pytest.raises(ServiceError, match="只有内容编辑可以修改调查问卷"):
            questionnaire_save(actor=user, questionnaire=questionnaire, create=True)
    assert make_questionnaire(actor=personas.superuser).pk


# -- freezing ------------------------------------------------------------------------------------
def _edit(questionnaire: Questionnaire, change: Any) -> Questionnaire:
    fresh = Questionnaire.objects.get(pk=questionnaire.pk)
    items = list(fresh.items.order_by("sort_order"))
    items = change(fresh, items) or items
    fresh.items = items
    return questionnaire_save(actor=None, questionnaire=fresh, create=False)


def test_without_responses_everything_may_change() -> None:
    questionnaire = make_questionnaire()
    make_wave(questionnaire)

    def change(fresh: Questionnaire, items: list[Item]) -> None:
        items[1].answer = ["b"]
        items[2].points = 3

    _edit(questionnaire, change)
    assert Item.objects.get(questionnaire=questionnaire, code="k1").answer == ["b"]


def test_responses_freeze_the_scoring_but_not_the_wording() -> None:
    questionnaire = make_questionnaire()
    Response.objects.create(wave=make_wave(questionnaire))

    def reword(fresh: Questionnaire, items: list[Item]) -> None:
        fresh.title, fresh.intro = "职业健康知识知晓率调查（修订）", "匿名填写，约 5 分钟"
        items[1].label, items[1].hint = "用人单位应当为劳动者建立哪种档案？", "单选"
        items[1].choices = [{"value": "a", "label": "职业健康监护档案"}, *items[1].choices[1:]]

    _edit(questionnaire, reword)
    k1 = Item.objects.get(questionnaire=questionnaire, code="k1")
    assert k1.label == "用人单位应当为劳动者建立哪种档案？" and k1.choices[0]["label"] == "职业健康监护档案"

    def rescore(fresh: Questionnaire, items: list[Item]) -> None:
        items[1].answer, items[1].points = ["b"], 2
        items[3].yes_value = "no"

    with pytest.raises(ServiceError) as caught:
        _edit(questionnaire, rescore)
    assert caught.value.message == (
        "这份问卷已有 1 份答卷，它们按现在的题目计分，不能再修改计分内容（题目 k1 的答案、分值；题目 b1 的计为“是”的选项）；"
        "题目文字、提示、说明和标题仍可修改。如需修改计分内容，请复制问卷，在副本中修改后用于新的调查轮次。")

    with pytest.raises(ServiceError, match="新增题目 k9；删除题目 k2"):
        _edit(questionnaire, lambda fresh, items: [items[0], items[1], items[3], knowledge("k9")])

    def threshold(fresh: Questionnaire, items: list[Item]) -> None:
        fresh.threshold = Decimal("0.60")

    with pytest.raises(ServiceError, match="（知晓标准）"):
        _edit(questionnaire, threshold)

    def skip_logic(fresh: Questionnaire, items: list[Item]) -> None:
        items[2].relevant = "${k1} = 'a'"

    with pytest.raises(ServiceError, match="题目 k2 的显示条件"):
        _edit(questionnaire, skip_logic)
    assert Item.objects.get(questionnaire=questionnaire, code="k1").answer == ["a"]
    assert Questionnaire.objects.get(pk=questionnaire.pk).threshold == Decimal("0.80")


# -- copies --------------------------------------------------------------------------------------
def test_a_copy_has_its_own_form_id_and_the_same_items(personas: Personas) -> None:
    question = make_question(1)
    questionnaire = make_questionnaire()
    questionnaire_add_questions(actor=None, questionnaire=questionnaire, questions=[question])
    Response.objects.create(wave=make_wave(questionnaire))
    copy = questionnaire_copy(actor=personas.editor, questionnaire=questionnaire)
    assert copy.pk != questionnaire.pk
    assert (copy.title, copy.form_id, copy.threshold) == ("职业健康知识知晓率调查（副本）", "awareness_2025_copy", Decimal("0.80"))

    def shape(q: Questionnaire) -> list[tuple[Any, ...]]:
        return [(i.code, i.kind, i.type, i.label, i.choices, i.answer, i.points, i.dimension_id, i.yes_value,
                 i.source_version_id) for i in q.items.order_by("sort_order")]

    assert shape(copy) == shape(questionnaire)
    assert copy.items.get(code=f"bank_{question.pk}").source_version_id == question.current_version_id
    entry = ModelLogEntry.objects.get(action="surveys.questionnaire.create", object_id=str(copy.pk))
    assert entry.data["copied_from"] == questionnaire.code and entry.user == personas.editor
    # The copy has no responses: its scoring may change.
    _edit(copy, lambda fresh, items: setattr(items[1], "answer", ["c"]))
    assert questionnaire_copy(actor=None, questionnaire=questionnaire).form_id == "awareness_2025_copy2"


# -- the exam bank -------------------------------------------------------------------------------
def test_items_taken_from_the_bank_keep_their_version() -> None:
    single = make_question(1, dimension="protection_skills")
    multiple = make_question(2, kind=QuestionKind.MULTIPLE)
    true_false = make_question(3, kind=QuestionKind.TRUE_FALSE, answer="错")
    assert item_from_question(question=single) == {
        "code": f"bank_{single.pk}", "kind": "knowledge", "type": "select_one", "label": "第 1 题：职业健康知识（single）",
        "hint": "", "choices": [{"value": letter, "label": f"第1题选项{letter.upper()}"} for letter in "abcd"],
        "answer": ["b"], "points": 1, "dimension_id": "protection_skills", "required": True,
        "source_version_id": single.current_version_id,
    }
    assert item_from_question(question=multiple)["answer"] == ["a", "c"]
    assert item_from_question(question=multiple)["type"] == "select_multiple"
    tf = item_from_question(question=true_false)
    assert (tf["type"], tf["choices"], tf["answer"]) == (
        "true_false", [{"value": "true", "label": "对"}, {"value": "false", "label": "错"}], ["false"])

    questionnaire = make_questionnaire()
    added = questionnaire_add_questions(actor=None, questionnaire=questionnaire, questions=[single, multiple, true_false])
    assert [item.code for item in added] == [f"bank_{single.pk}", f"bank_{multiple.pk}", f"bank_{true_false.pk}"]
    assert [item.code for item in questionnaire.items.order_by("sort_order")][-3:] == [item.code for item in added]
    first_version = single.current_version_id
    # The bank question changes: the item keeps the wording and the version it was taken from.
    data = question_data_from(single)
    question_save(actor=None, question=single, data=QuestionData(**{**data.__dict__, "stem": "改过的题干"}))
    single.refresh_from_db()
    assert single.current_version_id != first_version
    item = questionnaire.items.get(code=f"bank_{single.pk}")
    assert item.source_version_id == first_version and item.label == "第 1 题：职业健康知识（single）"
    # A question already taken is not taken twice.
    assert questionnaire_add_questions(actor=None, questionnaire=questionnaire, questions=[single]) == []
    assert questionnaire.items.count() == 7
