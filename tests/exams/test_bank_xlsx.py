"""The xlsx bank template: reading, every row error with its row and column, all-or-nothing
commit, the downloadable template, and an export that imports back unchanged."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from exams.models import Category, Question, QuestionKind
from exams.resources import HEADERS
from exams.services import bank_files
from exams.services.bank import FALSE_WORDS, TRUE_WORDS, QuestionData, question_save
from exams.services.bank_files import BankFileError, bank_file_check
from orgs.models import HazardFactor, OccupationalDisease
from tests.exams.bankfiles import LETTER, bank_snapshot, empty_bank, read_sheet, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def check(rows, *, commit=False, create_categories=False, headers=HEADERS, name="题库.xlsx", **kwargs):
    return bank_file_check(content=xlsx_bytes(rows, headers, **kwargs), name=name, commit=commit,
                           create_categories=create_categories)


def errors_at(result):
    return {(error.row, error.letter, error.header) for error in result.errors}


def test_a_good_file_is_previewed_and_nothing_is_written_in_a_dry_run():
    Category.objects.create(path="法律法规", name="法律法规", depth=1)
    result = check([
        row(category="法律法规"),
        row(kind="多选题", stem="下列哪些属于个人防护用品？", options=("防尘口罩", "耳塞", "通风设施", "防护手套"), answer="ABD",
            difficulty=4),
        row(kind="判断题", stem="劳动者可以查阅、复印本人的职业健康监护档案。", options=(), answer="对"),
    ])
    assert result.ok, result.errors
    assert [(r.row, r.kind, r.answer, r.category, r.difficulty) for r in result.rows] == [
        (2, QuestionKind.SINGLE, "B", "法律法规", 3), (3, QuestionKind.MULTIPLE, "ABD", "", 4),
        (4, QuestionKind.TRUE_FALSE, "对", "", 3)]
    assert result.rows[2].options == ["正确", "错误"]
    assert not result.committed
    assert Question.objects.count() == 0


def test_commit_writes_every_row_through_question_save():
    result = check([row(), row(kind="判断题", stem="噪声作业应佩戴护听器。", options=(), answer="√")], commit=True)
    assert result.committed
    single, truefalse = Question.objects.order_by("pk")
    assert (single.kind, single.options, single.answer, single.explanation) == (
        QuestionKind.SINGLE, ["2001年", "2002年", "2003年"], "B", "2002年5月1日起施行")
    assert (truefalse.kind, truefalse.answer) == (QuestionKind.TRUE_FALSE, "A")
    # Each question starts with its first version, as any question saved through the bank does.
    assert single.current_version.number == 1 and single.current_version.answer == "B"


@pytest.mark.parametrize(("values", "header", "words"), [
    (row(answer="D"), "答案", "不在选项中"),
    (row(answer="AB"), "答案", "单选题只能有一个答案"),
    (row(kind="多选题", answer="A"), "答案", "至少有两个正确答案"),
    (row(answer=""), "答案", "答案为空"),
    (row(answer="AX"), "答案", "不是选项字母"),
    (row(kind="判断题", options=(), answer="也许"), "答案", "对 或 错"),
    # "X" reads as 错 to some and as a tick to others: no longer a true/false word.
    (row(kind="判断题", options=(), answer="X"), "答案", "对 或 错"),
    (row(kind="判断题", options=(), answer="x"), "答案", "对 或 错"),
    (row(stem="   "), "题干", "题干为空"),
    (row(kind="填空题"), "题型", "不认识的题型“填空题”"),
    (row(kind=""), "题型", "题型为空"),
    (row(difficulty=6), "难度", "1–5"),
    (row(difficulty="很难"), "难度", "1–5"),
    (row(options=("甲",)), "选项B", "至少需要 2 个选项"),
    (row(options=("甲", "", "丙")), "选项B", "后面还有选项"),
    (row(options=("甲", "乙", "甲")), "选项C", "内容相同"),
    (row(options=("甲", "乙" * 301)), "选项B", "超过 300 字"),
    (row(category="没有这个分类"), "分类", "没有分类“没有这个分类”"),
    (row(category="分" * 61), "分类", "过长"),
    (row(素养维度="不存在的维度"), "素养维度", "没有素养维度"),
    (row(危害因素类别="噪音类"), "危害因素类别", "没有危害因素类别"),
    (row(危害因素="月尘"), "危害因素", "没有“月尘”"),
    (row(危害因素类别="粉尘", 危害因素="噪声"), "危害因素", "不属于"),
    (row(适用对象="劳动者、外星人"), "适用对象", "外星人"),
    (row(启用="也许"), "启用", "是 或 否"),
])
def test_each_bad_cell_is_named_by_row_and_column(values, header, words):
    result = check([row(stem="第一题没有问题"), values])
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert (error.row, error.letter, error.header) == (3, LETTER[header], header)
    assert words in error.message


@pytest.mark.parametrize(("header", "formula"), [
    ("题干", '=HYPERLINK("https://example.com/law","职业病防治法")'),
    ("选项B", "=A1"),
    ("答案", '=CONCAT("A","B")'),
    ("解析", '=HYPERLINK("https://example.com")'),
    ("难度", "=1+2"),
    ("启用", "=TRUE()"),
])
def test_a_formula_is_named_as_a_formula_in_its_cell_in_any_column(header, formula):
    result = check([row(stem="第一题没有问题"), row(**{header: formula})])
    assert [(error.row, error.letter, error.header) for error in result.errors] == [(3, LETTER[header], header)]
    message = result.errors[0].message
    assert "不支持公式" in message and formula[:20] in message
    assert "题干为空" not in message


def test_the_cached_value_of_a_formula_is_not_taken_for_what_the_cell_says():
    # Excel stores a formula with its last result: the result is not what the editor wrote.
    content = xlsx_bytes([row(), row(stem="第二题", 答案='=IF(TRUE,"C","A")')])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    written = b'<c r="K3"><f>IF(TRUE,"C","A")</f><v /></c>'
    assert written in parts[sheet]
    parts[sheet] = parts[sheet].replace(written, b'<c r="K3" t="str"><f>IF(TRUE,"C","A")</f><v>C</v></c>')
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    result = bank_file_check(content=stream.getvalue(), name="excel.xlsx")
    assert [(error.row, error.header) for error in result.errors] == [(3, "答案")]
    assert "不支持公式" in result.errors[0].message


def test_the_notes_list_exactly_the_true_false_words_the_importer_accepts():
    stream = io.BytesIO()
    bank_files.bank_template_write(stream)
    notes = {cells[0]: cells[1] for cells in load_workbook(io.BytesIO(stream.getvalue()))["填写说明"].iter_rows(
        values_only=True) if cells[0]}
    found = re.search(r"判断题：(?P<true>[^；]+) 都表示“对”；(?P<false>[^（]+) 都表示“错”", notes["答案"])
    assert found, notes["答案"]
    assert set(found["true"].split("、")) == TRUE_WORDS
    assert set(found["false"].split("、")) == FALSE_WORDS
    assert "X" not in FALSE_WORDS | TRUE_WORDS
    for word in TRUE_WORDS | FALSE_WORDS:
        answer = "对" if word in TRUE_WORDS else "错"
        result = check([row(kind="判断题", stem=f"判断题 {word}", options=(), answer=word.lower())])
        assert result.ok and result.rows[0].answer == answer, (word, result.errors)


def test_every_problem_of_a_row_is_listed_not_only_the_first():
    result = check([row(stem="", answer="Z", difficulty=9, kind="单选题", category="无此分类")])
    assert errors_at(result) == {(2, LETTER[h], h) for h in ("题干", "答案", "难度", "分类")}


def test_duplicates_of_the_bank_and_of_another_row_are_refused():
    question_save(actor=None, data=QuestionData(kind="single", stem="职业病防治法自哪一年起施行？",
                                                options=["2003年", "2002年", "2001年"], answer="B"))
    other = row(stem="用人单位应当多久组织一次职业健康检查？", options=("每年", "每两年"), answer="A")
    # Same stem and options in another order and spacing is the same question.
    result = check([row(), other, dict(other, 题干="用人单位应当多久组织一次职业健康检查？ ")])
    messages = {error.row: error.message for error in result.errors}
    assert "与题库中已有的试题重复" in messages[2]
    assert messages[4] == "与本文件第 3 行重复"
    assert {error.header for error in result.errors} == {"题干"}


def test_one_bad_row_writes_nothing():
    before = Category.objects.count()
    result = check([row(stem="第一题", category="新分类"), row(stem="第二题"), row(stem="第三题", answer="E")],
                   commit=True, create_categories=True)
    assert not result.committed
    assert [(error.row, error.header) for error in result.errors] == [(4, "答案")]
    assert Question.objects.count() == 0
    assert Category.objects.count() == before


def test_unknown_categories_are_created_only_when_asked():
    refused = check([row(category="法律法规/职业病防治法")])
    assert not refused.ok and refused.errors[0].header == "分类"
    result = check([row(category="法律法规/职业病防治法"), row(stem="第二题", category="法律法规/职业病防治法")],
                   commit=True, create_categories=True)
    assert result.committed, result.errors
    assert result.new_categories == ["法律法规/职业病防治法"]
    assert [r.new_category for r in result.rows] == [True, True]
    assert set(Category.objects.values_list("path", "depth")) == {("法律法规", 1), ("法律法规/职业病防治法", 2)}
    assert set(Question.objects.values_list("category__path", flat=True)) == {"法律法规/职业病防治法"}


def test_catalogue_columns_take_names_codes_and_aliases():
    result = check([row(素养维度="职业健康法律知识", 危害因素="煤粉尘", 适用对象="劳动者、管理人员"),
                    row(stem="第二题", 素养维度="protection_skills", 危害因素类别="物理因素", 适用对象="public,worker")],
                   commit=True)
    assert result.committed, result.errors
    first, second = Question.objects.order_by("pk")
    assert (first.dimension_id, first.hazard_factor.name, first.hazard_class_id) == ("law", "煤尘", "dust")
    assert set(first.audiences.values_list("code", flat=True)) == {"worker", "manager"}
    assert (second.dimension_id, second.hazard_class_id) == ("protection_skills", "physical")
    assert set(second.audiences.values_list("code", flat=True)) == {"public", "worker"}


def test_the_disease_column_takes_a_name_or_an_alias_of_the_edition_in_force():
    result = check([row(职业病="噪声聋"), row(stem="第二题", 职业病="硅肺"), row(stem="第三题", 职业病="放射性白内障")],
                   commit=True)
    assert result.committed, result.errors
    names = [question.disease.name for question in Question.objects.order_by("pk")]
    assert names == ["噪声聋", "矽肺", "放射性白内障"]
    assert {question.disease.disease_class.catalogue_id for question in Question.objects.all()} == {"2024"}
    bad = check([row(stem="第四题", 职业病="星尘病")])
    assert [(error.row, error.header) for error in bad.errors] == [(2, "职业病")]
    assert "星尘病" in bad.errors[0].message


def test_the_header_row_is_found_below_a_title_in_any_order_and_letters_follow_the_file():
    headers = ("正确答案", "题目", "试题类型", "A", "B", "备注")
    values = [{"正确答案": "C", "题目": "噪声的单位是？", "试题类型": "单选", "A": "米", "B": "分贝"}]
    result = bank_file_check(content=xlsx_bytes(values, headers, title_rows=2), name="bank.xlsx")
    assert [(error.row, error.letter, error.header) for error in result.errors] == [(4, "A", "答案")]
    assert result.ignored_headers == ["备注"]


def _zip_of(name, data):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr(name, data)
    return stream.getvalue()


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"not a workbook", "bank.xlsx", "无法读取"),
    (_zip_of("hello.txt", b"not a workbook either"), "bank.xlsx", "无法读取"),
    (b"a,b", "bank.csv", "只接受"),
    (b"", "bank.xlsx", "空"),
])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(content, name, words):
    with pytest.raises(BankFileError, match=words):
        bank_file_check(content=content, name=name)


def test_missing_columns_and_empty_sheets_are_explained():
    with pytest.raises(BankFileError, match="缺少必需的列：答案"):
        bank_file_check(content=xlsx_bytes([row()], ("题型", "题干", "选项A")), name="bank.xlsx")
    with pytest.raises(BankFileError, match="没有试题"):
        bank_file_check(content=xlsx_bytes([]), name="bank.xlsx")
    with pytest.raises(BankFileError, match="找不到表头"):
        bank_file_check(content=xlsx_bytes([{"姓名": "王工"}], ("姓名", "身份证号")), name="bank.xlsx")


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(bank_files, "MAX_BYTES", 100)
    with pytest.raises(BankFileError, match="MB"):
        bank_file_check(content=xlsx_bytes([row()]), name="bank.xlsx")


def test_the_template_has_the_columns_a_type_drop_down_and_notes():
    stream = io.BytesIO()
    bank_files.bank_template_write(stream)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    assert workbook.sheetnames[:2] == ["题库", "填写说明"]
    assert list(next(workbook["题库"].iter_rows(values_only=True))) == list(HEADERS)
    validations = {str(validation.sqref).split(":")[0]: validation for validation in
                   workbook["题库"].data_validations.dataValidation}
    assert "单选题" in validations["A2"].formula1 and "判断题" in validations["A2"].formula1
    assert validations[f"{LETTER['难度']}2"].type == "whole"
    explained = {cells[0] for cells in workbook["填写说明"].iter_rows(values_only=True)}
    assert set(HEADERS) <= explained
    # The blank template itself has no question in it.
    with pytest.raises(BankFileError, match="没有试题"):
        bank_file_check(content=stream.getvalue(), name="template.xlsx")


def test_an_export_imports_back_into_an_empty_bank_unchanged():
    noise = HazardFactor.objects.get(name="噪声").pk
    deafness = OccupationalDisease.objects.get(name="噪声聋", disease_class__catalogue="2024").pk
    make = [
        QuestionData(kind="single", stem="=1+1 在表格里不是公式\n第二行", options=["-5℃", "+3", "@home", "普通"], answer="A",
                     explanation="解析\n两行", category_path="法律法规/职业病防治法", difficulty=5, dimension_code="law",
                     hazard_class_code="dust", audience_codes=["worker", "manager"]),
        QuestionData(kind="multiple", stem="下列哪些是物理因素？", options=["噪声", "高温", "煤尘"], answer="AB",
                     category_path="危害因素", hazard_factor_id=noise, disease_id=deafness, difficulty=2,
                     is_active=False),
        QuestionData(kind="truefalse", stem="听力保护用品要正确佩戴。", options=[], answer="对"),
    ]
    for data in make:
        question_save(actor=None, data=data, create_category=True)
    before = bank_snapshot()
    stream = io.BytesIO()
    assert bank_files.bank_export_xlsx(actor=None, stream=stream) == 3
    cells = read_sheet(stream.getvalue())
    assert cells[0] == HEADERS
    stems = {line[1] for line in cells[1:]}
    assert "'=1+1 在表格里不是公式\n第二行" in stems  # the formula guard of core.exports
    empty_bank()
    result = bank_file_check(content=stream.getvalue(), name="export.xlsx", commit=True, create_categories=True)
    assert result.committed, result.errors
    assert bank_snapshot() == before
