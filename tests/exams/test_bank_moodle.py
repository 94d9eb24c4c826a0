"""Moodle XML: reading Moodle's files (types, categories, fractions, HTML made safe), skipping the
types we do not have, refusing what is unsafe, and a bank that goes to Moodle and back unchanged."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring

from exams.models import Category, Question, QuestionKind
from exams.services import bank_files
from exams.services.bank import QuestionData, question_save
from exams.services.bank_files import BankFileError, bank_file_check
from exams.services.moodle import MoodleFileError, html_to_text, moodle_category_path, text_to_html
from orgs.models import HazardFactor, OccupationalDisease
from tests.exams.bankfiles import (
    bank_snapshot,
    category,
    empty_bank,
    multichoice,
    other_type,
    quiz,
    truefalse,
)

pytestmark = pytest.mark.django_db
NOISE = [(0, "30 dB"), (100, "85 dB(A)"), (0, "120 dB")]


def check(*questions, commit=False, create_categories=True):
    return bank_file_check(content=quiz(*questions), name="moodle.xml", commit=commit,
                           create_categories=create_categories)


def test_multichoice_single_and_multiple_truefalse_and_categories_are_read():
    result = check(
        category("$course$/top/法律法规/职业病防治法"),
        multichoice("Q1", "<p>噪声作业场所的职业接触限值是多少？</p>", NOISE, feedback="<p>GBZ 2.2：85 dB(A)</p>"),
        multichoice("Q2", "下列哪些属于个人防护用品？", [(50, "耳塞"), (50, "防尘口罩"), (-100, "通风设施")], single=False),
        category("$course$/危害因素"),
        truefalse("Q3", "粉尘作业应佩戴防尘口罩。", True, tags=["difficulty:2", "dimension:职业健康保护基本技能"]),
        truefalse("Q4", "噪声不会造成永久性听力损失。", False, tags=["hazard_class:physical", "hazard_factor:噪声",
                                                       "audience:worker", "audience:管理人员"]),
        commit=True)
    assert result.committed, result.errors
    q1, q2, q3, q4 = Question.objects.order_by("pk")
    assert (q1.kind, q1.stem, q1.options, q1.answer, q1.explanation, q1.category.path) == (
        # Stored as written, full-width ？ and ： included (exams.services.bank keeps prose as it is).
        QuestionKind.SINGLE, "噪声作业场所的职业接触限值是多少？", ["30 dB", "85 dB(A)", "120 dB"], "B",
        "GBZ 2.2：85 dB(A)", "法律法规/职业病防治法")
    assert (q2.kind, q2.answer) == (QuestionKind.MULTIPLE, "AB")
    assert (q3.kind, q3.answer, q3.category.path, q3.difficulty, q3.dimension_id) == (
        QuestionKind.TRUE_FALSE, "A", "危害因素", 2, "protection_skills")
    assert (q4.answer, q4.hazard_class_id, q4.hazard_factor.name) == ("B", "physical", "噪声")
    assert set(q4.audiences.values_list("code", flat=True)) == {"worker", "manager"}


@pytest.mark.parametrize(("raw", "path"), [
    ("$course$/top/法律法规/职业病防治法", "法律法规/职业病防治法"),
    ("$course$/法律法规", "法律法规"),
    ("$system$/top/Default for 题库/粉尘", "Default for 题库/粉尘"),
    ("$course$/top", ""),
    ("top/旧格式", "旧格式"),
    ("$course$/top/防护//卫生", "防护-卫生"),
])
def test_category_paths(raw, path):
    assert moodle_category_path(raw) == path


def test_types_we_do_not_have_are_skipped_and_listed_never_half_imported():
    result = check(
        other_type("essay", "论述题一"),
        multichoice("Q1", "选择题", NOISE),
        other_type("shortanswer", "填空"), other_type("matching", "连线"), other_type("numerical", "计算"),
        other_type("cloze", "完形"), other_type("multianswer", "嵌入"), other_type("description", "说明"),
        commit=True)
    assert result.committed, result.errors
    assert [(s.number, s.type, s.name) for s in result.skipped] == [
        (1, "essay", "论述题一"), (3, "shortanswer", "填空"), (4, "matching", "连线"), (5, "numerical", "计算"),
        (6, "cloze", "完形"), (7, "multianswer", "嵌入"), (8, "description", "说明")]
    assert list(Question.objects.values_list("stem", flat=True)) == ["选择题"]


def test_html_is_made_safe_text():
    stem = ('<p>噪声 <script>alert("x")</script><b>超标</b>&amp; &lt;危害&gt;</p>\n<p>第二行'
            '<img src="@@PLUGINFILE@@/noise%20map.png" alt="图"><style>p{color:red}</style>'
            '<iframe src="http://evil">内嵌</iframe></p><br>第三行&nbsp;&nbsp;两个空格')
    result = check(multichoice("Q", stem, [(100, "<em>对</em><script>steal()</script>"), (0, "错 <b>误</b>")],
                               feedback="<script>document.cookie</script><p>解析</p>"), commit=True)
    assert result.committed, result.errors
    question = Question.objects.get()
    assert question.stem == "噪声 超标& <危害>\n第二行\n\n第三行  两个空格"
    assert question.options == ["对", "错 误"]
    assert question.explanation == "解析"
    for value in (question.stem, *question.options, question.current_version.stem):
        assert "script" not in value and "alert" not in value and "steal" not in value and "<" not in value.replace(
            "<危害>", "")
    assert result.notes == [(1, "题干中的图片“noise map.png”未导入")]


def test_text_to_html_and_back_keeps_spaces_lines_and_markup_characters():
    for text in ("a  b", " 前导空格", "结尾 ", "<b>不是标签</b> & ]]>", "第一行\n\n第三行", "制表\t符"):
        assert html_to_text(text_to_html(text))[0] == text


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY boom "boom">]><quiz>&boom;</quiz>',
    b'<?xml version="1.0"?><!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd"><quiz></quiz>',
    b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]><quiz>&secret;</quiz>',
])
def test_dtds_and_entities_are_refused(document):
    with pytest.raises(MoodleFileError, match="DTD"):
        bank_file_check(content=document, name="evil.xml")


@pytest.mark.parametrize(("content", "words"), [
    (b"<quiz><question", "不是有效的 XML"),
    (b"<html><body/></html>", "根元素应为 <quiz>"),
    (b"<quiz></quiz>", "没有 <question>"),
    (b"   ", "空"),
])
def test_files_that_are_not_moodle_banks_are_refused(content, words):
    with pytest.raises(MoodleFileError, match=words):
        bank_file_check(content=content, name="bank.xml")


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(bank_files, "MAX_BYTES", 50)
    with pytest.raises(BankFileError, match="MB"):
        check(multichoice("Q", "题", NOISE))


@pytest.mark.parametrize(("question", "element", "words"), [
    (multichoice("两个答案", "单选两个对", [(100, "甲"), (50, "乙"), (0, "丙")]), "answer fraction", "单选题只能有一个答案"),
    (multichoice("无答案", "没有正确选项", [(0, "甲"), (0, "乙")]), "answer fraction", "没有 fraction 大于 0"),
    (multichoice("坏分数", "分数不是数", [("abc", "甲"), (100, "乙")]), "answer fraction", "不是数字"),
    (multichoice("一个选项", "只有一个选项", [(100, "甲")]), "answer", "至少需要 2 个选项"),
    (multichoice("重复选项", "两个选项一样", [(100, "甲"), (0, "甲")]), "answer", "内容相同"),
    (multichoice("空题干", "<p>  </p>", NOISE), "questiontext", "题干为空"),
    (truefalse("判断", "都错", False).replace('fraction="100"', 'fraction="0"'), "answer fraction", "恰好有一个"),
    (multichoice("难度", "难度标签错", NOISE, tags=["difficulty:9"]), "tags", "难度"),
    (multichoice("维度", "维度标签错", NOISE, tags=["dimension:天文"]), "tags", "没有素养维度"),
    (multichoice("因素", "因素标签错", NOISE, tags=["hazard_factor:星尘"]), "tags", "星尘"),
])
def test_each_bad_question_is_named_by_its_position_and_element(question, element, words):
    result = check(multichoice("好题", "没有问题的题", NOISE), question, commit=True)
    assert not result.committed
    assert [(error.row, error.letter, error.header) for error in result.errors] == [(2, "", element)]
    assert words in result.errors[0].message
    assert Question.objects.count() == 0


def test_unknown_categories_are_errors_unless_asked_and_duplicates_are_named():
    refused = check(category("$course$/top/新分类"), multichoice("Q1", "题一", NOISE), create_categories=False)
    assert [(error.row, error.header) for error in refused.errors] == [(2, "category")]
    assert "没有分类“新分类”" in refused.errors[0].message
    duplicated = check(multichoice("Q1", "题一", NOISE), multichoice("Q1 again", "<p>题一</p>", list(reversed(NOISE))))
    assert [(error.row, error.header) for error in duplicated.errors] == [(2, "questiontext")]
    assert "与本文件第 1 题重复" in duplicated.errors[0].message


def test_a_multiple_answer_question_with_one_right_option_becomes_a_single_choice():
    result = check(multichoice("Q", "只有一个对", [(100, "甲"), (0, "乙")], single=False), commit=True)
    assert result.committed
    assert Question.objects.get().kind == QuestionKind.SINGLE
    assert "作为单选题导入" in result.notes[0][1]


def test_single_defaults_to_true_and_old_true_false_answers_go_by_order():
    old = truefalse("旧", "旧文件的判断题", True).replace("<text>true</text>", "<text>正确</text>").replace(
        "<text>false</text>", "<text>错误</text>")
    result = check(multichoice("Q", "没有 single 元素", NOISE, single=None), old, commit=True)
    assert result.committed, result.errors
    assert list(Question.objects.order_by("pk").values_list("kind", "answer")) == [
        (QuestionKind.SINGLE, "B"), (QuestionKind.TRUE_FALSE, "A")]


def _round_trip_bank() -> None:
    noise = HazardFactor.objects.get(name="噪声").pk
    deafness = OccupationalDisease.objects.get(name="噪声聋", disease_class__catalogue="2024").pk
    for data in (
        QuestionData(kind="single", stem="未分类的题：A & B <c> ]]> 两个  空格", options=["甲 ", "乙", "丙"], answer="C",
                     explanation="第一行\n第二行", difficulty=1),
        QuestionData(kind="single", stem="职业病防治法自哪一年起施行？", options=["2001年", "2002年", "2003年", "2004年"],
                     answer="B", explanation="2002年5月1日", category_path="法律法规/职业病防治法", difficulty=2,
                     dimension_code="law", audience_codes=["principal", "manager"]),
        QuestionData(kind="multiple", stem="下列哪些属于物理因素？", options=["噪声", "高温", "煤尘", "振动", "苯"],
                     answer="ABD", category_path="危害因素/物理因素", difficulty=4, dimension_code="protection_knowledge",
                     hazard_class_code="physical", hazard_factor_id=noise, disease_id=deafness),
        QuestionData(kind="multiple", stem="全选的多选题", options=["甲", "乙"], answer="AB", category_path="危害因素",
                     is_active=False),
        QuestionData(kind="truefalse", stem="劳动者有权了解工作场所的职业病危害因素。", options=[], answer="对",
                     category_path="法律法规", difficulty=5, audience_codes=["worker"]),
        QuestionData(kind="truefalse", stem="职业病不能预防。", options=[], answer="错", category_path="法律法规"),
    ):
        question_save(actor=None, data=data, create_category=True)


def test_a_bank_exported_to_moodle_imports_back_identically():
    _round_trip_bank()
    before = bank_snapshot()
    assert len(before) == 6
    xml, count = bank_files.bank_export_moodle(actor=None)
    assert count == 6
    root = fromstring(xml)
    assert root.tag == "quiz"
    questions = root.findall("question")
    types = [element.get("type") for element in questions]
    # Uncategorised questions first, then each category question followed by its questions.
    assert types[0] == "multichoice"
    assert [_category_text(element) for element in questions if element.get("type") == "category"] == [
        "$course$/top/危害因素", "$course$/top/危害因素/物理因素", "$course$/top/法律法规", "$course$/top/法律法规/职业病防治法"]
    assert "<![CDATA[" in xml
    for element in questions:
        if element.get("type") == "multichoice" and element.findtext("single") == "false":
            right = [float(answer.get("fraction")) for answer in element.findall("answer")
                     if float(answer.get("fraction")) > 0]
            assert abs(sum(right) - 100) < 0.001
        if element.get("type") == "truefalse":
            assert [answer.findtext("text") for answer in element.findall("answer")] == ["true", "false"]
            assert sorted(answer.get("fraction") for answer in element.findall("answer")) == ["0", "100"]
    physical = next(element for element in questions if element.findtext("name/text", "").startswith("下列哪些"))
    assert {tag.findtext("text") for tag in physical.findall("tags/tag")} == {
        "difficulty:4", "dimension:protection_knowledge", "hazard_class:physical", "hazard_factor:噪声",
        "disease:噪声聋"}
    assert physical.findtext("generalfeedback/text") == ""
    empty_bank()
    assert Category.objects.count() == 0
    result = bank_file_check(content=xml.encode(), name="from-us.xml", commit=True, create_categories=True)
    assert result.committed, result.errors
    assert result.skipped == []
    assert bank_snapshot() == before


def test_a_code_with_a_double_hyphen_exports_well_formed_and_comes_back_as_information():
    import xml.etree.ElementTree as StdlibTree

    _round_trip_bank()
    before = bank_snapshot()
    # Public codes are token_urlsafe: "-" and "_" are among their characters, so "--" happens.
    codes = ["ab--cd--ef", "trailing-", "x-->y&<z>"]
    for question, code in zip(Question.objects.order_by("pk"), codes, strict=False):
        Question.objects.filter(pk=question.pk).update(code=code)
    xml, count = bank_files.bank_export_moodle(actor=None)
    assert count == 6
    for parse in (StdlibTree.fromstring, fromstring):
        root = parse(xml.encode())
        assert {element.findtext("idnumber") for element in root.findall("question")} >= set(codes)
    assert "<!--" not in xml
    empty_bank()
    result = bank_file_check(content=xml.encode(), name="from-us.xml", commit=True, create_categories=True)
    assert result.committed, result.errors
    assert bank_snapshot() == before
    # Another system's ID number is not taken as our code: each question got a fresh one.
    assert not Question.objects.filter(code__in=codes).exists()


def _category_text(element):
    return element.findtext("category/text")
