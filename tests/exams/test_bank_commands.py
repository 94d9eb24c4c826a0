"""manage.py bank_import / bank_export: the same checks and row errors as the admin, a non-zero
exit when a file is bad, and nothing written by a dry run or a bad file."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from wagtail.models import ModelLogEntry

from exams.models import BankImport, Category, Question
from exams.services.bank import QuestionData, question_save
from tests.exams.bankfiles import bank_snapshot, empty_bank, multichoice, other_type, quiz, row, truefalse, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(*args):
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue(), str(raised.value)


@pytest.fixture
def good_xlsx(tmp_path):
    path = tmp_path / "题库.xlsx"
    path.write_bytes(xlsx_bytes([row(), row(kind="判断题", stem="噪声作业应佩戴护听器。", options=(), answer="对")]))
    return path


@pytest.fixture
def bad_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes([row(), row(stem="第二题", answer="AB"), row(stem="", difficulty=8)]))
    return path


def test_a_dry_run_prints_what_would_be_created_and_writes_nothing(good_xlsx):
    out = run("bank_import", str(good_xlsx), "--dry-run")
    assert "检查通过（未写入）：将新增 2 道试题" in out
    assert Question.objects.count() == 0
    assert BankImport.objects.count() == 0


def test_a_bad_file_prints_every_row_error_and_fails(bad_xlsx):
    for args in (("bank_import", str(bad_xlsx), "--dry-run"), ("bank_import", str(bad_xlsx))):
        out, message = run_failing(*args)
        assert out.splitlines() == [
            "第 3 行 K 列（答案）：单选题只能有一个答案，而这里是 AB",
            "第 4 行 B 列（题干）：题干为空",
            "第 4 行 N 列（难度）：难度应为 1–5 的整数，而不是“8”",
        ]
        assert message == "发现 3 处问题，未写入任何数据"
    assert Question.objects.count() == 0
    assert BankImport.objects.get().status == "rejected"


def test_the_process_exits_non_zero_on_errors(bad_xlsx, capsys):
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "bank_import", str(bad_xlsx), "--dry-run"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "第 3 行 K 列（答案）" in captured.out
    assert "发现 3 处问题" in captured.err


def test_an_import_writes_all_and_is_audited(good_xlsx, personas):
    out = run("bank_import", str(good_xlsx), "--user", personas.editor.username)
    assert "已导入 2 道试题" in out
    assert Question.objects.count() == 2
    record = BankImport.objects.get()
    assert (record.status, record.created_by, record.summary["create"]) == ("imported", personas.editor, 2)
    entry = ModelLogEntry.objects.get(action="exams.bank.import")
    assert (entry.user, entry.object_id, entry.data["created"]) == (personas.editor, str(record.pk), 2)
    # The same file again: every row is now a duplicate of the bank, and nothing more is written.
    out, _message = run_failing("bank_import", str(good_xlsx))
    assert out.count("与题库中已有的试题重复") == 2
    assert Question.objects.count() == 2


def test_unknown_categories_need_the_flag(tmp_path):
    path = tmp_path / "cats.xlsx"
    path.write_bytes(xlsx_bytes([row(category="法律法规/职业病防治法")]))
    out, _message = run_failing("bank_import", str(path))
    assert "第 2 行 M 列（分类）：没有分类“法律法规/职业病防治法”" in out
    out = run("bank_import", str(path), "--create-categories")
    assert "新建分类 法律法规/职业病防治法" in out
    assert Category.objects.filter(path="法律法规/职业病防治法").exists()


def test_moodle_files_list_the_skipped_types(tmp_path):
    path = tmp_path / "moodle.xml"
    path.write_bytes(quiz(other_type("essay", "谈谈防尘"), multichoice("Q1", "选择", [(100, "甲"), (0, "乙")]),
                          truefalse("Q2", "判断", True)))
    out = run("bank_import", str(path))
    assert "跳过第 1 题（essay）：谈谈防尘" in out
    assert "已导入 2 道试题" in out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(quiz(multichoice("坏题", "没有答案", [(0, "甲"), (0, "乙")])))
    out, _message = run_failing("bank_import", str(bad), "--dry-run")
    assert out.startswith("第 1 题 <answer fraction>：坏题：没有 fraction 大于 0 的选项")


@pytest.mark.parametrize(("args", "words"), [
    (("bank_import", "/nonexistent/bank.xlsx"), "没有文件"),
    (("bank_export", "--format", "xlsx"), "--output"),
    (("bank_export", "--format", "moodle", "--category", "没有"), "没有分类"),
    (("bank_import", "README.md"), "只接受"),
])
def test_bad_arguments_are_explained(args, words):
    _out, message = run_failing(*args)
    assert words in message


def test_export_to_stdout_and_to_a_file_and_back(tmp_path):
    question_save(actor=None, create_category=True, data=QuestionData(
        kind="multiple", stem="下列哪些属于粉尘？", options=["煤尘", "矽尘", "噪声"], answer="AB", category_path="危害因素/粉尘",
        hazard_class_code="dust", difficulty=4))
    question_save(actor=None, data=QuestionData(kind="truefalse", stem="职业病可以预防。", options=[], answer="对"))
    before = bank_snapshot()
    xml = run("bank_export", "--format", "moodle")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>') and xml.count("<question ") == 3
    workbook = tmp_path / "bank.xlsx"
    run("bank_export", "--format", "xlsx", "--output", str(workbook))
    only_dust = run("bank_export", "--format", "moodle", "--category", "危害因素")
    assert "下列哪些属于粉尘" in only_dust and "职业病可以预防" not in only_dust
    assert ModelLogEntry.objects.filter(action="exams.bank.export").count() == 3
    for path in (workbook, tmp_path / "bank.xml"):
        if path.suffix == ".xml":
            path.write_text(xml, encoding="utf-8")
        empty_bank()
        run("bank_import", str(path), "--create-categories")
        assert bank_snapshot() == before
