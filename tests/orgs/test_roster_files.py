"""Roster files as offices really send them: GBK CSV, BOMs, title rows, decorated headers, numbers
where text was meant, blank lines, old .xls, broken and random files. Never an exception: always a
message the clerk can act on, and nothing written."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from orgs.models import Employer, RosterImport, User, Worker
from orgs.services import RosterFileError, RosterUploadError, roster_import_commit, roster_import_start
from orgs.services.roster_columns import COLUMNS
from tests.orgs.rosterfiles import (
    HEADERS,
    DateCell,
    Number,
    check,
    counts,
    csv_bytes,
    errors_of,
    import_file,
    make_id,
    make_phone,
    person,
    read,
    table,
    upload,
    xlsx_bytes,
)

EXPECTED_HEADERS = "姓名、身份证号、手机号、部门、岗位、岗位角色、接触危害因素、入职日期"
TEN_MB = 10 * 1024 * 1024

pytestmark = pytest.mark.django_db


def _full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def _file_error(content: bytes, name: str) -> str:
    before = counts()
    with pytest.raises(RosterFileError) as excinfo:
        list(read(content, name).rows)
    assert counts() == before
    return str(excinfo.value)


def _upload_error(employer: Employer, admin: User, content: bytes, name: str) -> str:
    before = counts(), RosterImport.objects.count()
    with pytest.raises(RosterUploadError) as excinfo:
        roster_import_start(actor=admin, employer=employer, upload=upload(content, name))
    assert (counts(), RosterImport.objects.count()) == before
    return str(excinfo.value)


# --- encodings -----------------------------------------------------------------------------------


def test_it_reads_a_gbk_csv(employer: Employer) -> None:
    content = csv_bytes(table(person(1, "张三", department="采掘一队", exposures="煤尘、噪声")), encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really GBK, not UTF-8 by accident
    import_file(employer, content, "花名册.csv")
    worker = Worker.objects.get(id_number=make_id(1))
    assert worker.name == "张三"
    assert worker.department is not None and worker.department.name == "采掘一队"
    assert set(worker.exposures.values_list("name", flat=True)) == {"煤尘", "噪声"}


def test_it_reads_a_utf8_csv_with_bom(employer: Employer) -> None:
    content = csv_bytes(table(person(1, "李四")), encoding="utf-8-sig")
    assert content.startswith(b"\xef\xbb\xbf")
    result = import_file(employer, content, "花名册.csv")
    assert result.new == 1
    assert Worker.objects.get(id_number=make_id(1)).name == "李四"


def test_it_reads_a_utf8_csv_without_bom(employer: Employer) -> None:
    import_file(employer, csv_bytes(table(person(1, "王五"))), "花名册.csv")
    assert Worker.objects.get(id_number=make_id(1)).name == "王五"


def test_it_reads_a_tab_separated_txt(employer: Employer) -> None:
    import_file(employer, csv_bytes(table(person(1, "赵六")), delimiter="\t", encoding="gb18030"), "花名册.txt")
    assert Worker.objects.get(id_number=make_id(1)).name == "赵六"


def test_it_reads_excel_unicode_text(employer: Employer) -> None:
    text = "\r\n".join("\t".join(str(cell) for cell in row) for row in table(person(1, "钱七")))
    import_file(employer, text.encode("utf-16"), "花名册.txt")
    assert Worker.objects.get(id_number=make_id(1)).name == "钱七"


# --- layout --------------------------------------------------------------------------------------


def test_it_finds_the_headers_below_a_title_row(employer: Employer) -> None:
    content = xlsx_bytes(table(person(1), person(2, role="临时工"), title="徐州云龙矿业有限公司职工花名册（2024年）"))
    parsed = read(content)
    assert parsed.header_row == 2
    assert [(row, letter) for row, letter, _c, _m in errors_of(check(employer, content))] == [(4, "F")]


def test_it_finds_the_headers_on_the_tenth_row(employer: Employer) -> None:
    rows = [["说明"]] * 9 + table(person(1))
    assert read(xlsx_bytes(rows)).header_row == 10


def test_it_gives_up_on_headers_below_the_tenth_row() -> None:
    message = _file_error(xlsx_bytes([["说明"]] * 10 + table(person(1))), "花名册.xlsx")
    assert "前10行" in message
    assert EXPECTED_HEADERS in message


def test_it_reads_headers_with_marks_and_notes(employer: Employer) -> None:
    headers = ["姓名（必填）", "*身份证号", "手机号码*", "所在部门", "工种", "人员类别(必填)", "接触职业病危害因素",
               "入职时间："]
    content = xlsx_bytes(table(person(1, "张三"), headers=headers))
    parsed = read(content)
    assert parsed.columns == {"name": 0, "id_number": 1, "phone": 2, "department": 3, "post": 4,
                              "post_role": 5, "exposures": 6, "hire_date": 7}
    assert parsed.ignored_headers == []
    import_file(employer, content)
    assert Worker.objects.get(id_number=make_id(1)).name == "张三"


def test_it_reads_full_width_headers(employer: Employer) -> None:
    headers = ["＊姓名", "身份证号【必填】", "手机号 ", "部门", "岗位", "岗位角色", "接触危害因素", "入职日期"]
    assert set(read(xlsx_bytes(table(person(1), headers=headers))).columns) == {
        "name", "id_number", "phone", "department", "post", "post_role", "exposures", "hire_date"}


def test_it_names_the_column_letters_of_the_file(employer: Employer) -> None:
    headers = ["序号", "姓名", "岗位角色", "身份证号码", "手机"]
    rows = table(["1", "张三", "接害劳动者", make_id(1), make_phone(1)],
                 ["2", "李四", "接害劳动者", "123", make_phone(2)], headers=headers)
    result = check(employer, xlsx_bytes(rows))
    assert errors_of(result) == [(3, "D", "身份证号", "身份证号应为18位，这里是3位")]
    assert result.warnings == ["以下列不会导入：序号"]


def test_it_keeps_spreadsheet_row_numbers_across_blank_xlsx_rows(employer: Employer) -> None:
    rows = table(person(1), [], [], person(2, role="临时工"), [None, "  "], person(3, phone="123"))
    result = check(employer, xlsx_bytes(rows))
    assert [(row, letter) for row, letter, _c, _m in errors_of(result)] == [(5, "F"), (7, "C")]
    assert result.total_rows == 3


def test_it_keeps_row_numbers_across_blank_csv_lines(employer: Employer) -> None:
    content = csv_bytes(table(person(1), [], ["", "", ""], person(2, role="临时工")), encoding="gb18030")
    result = check(employer, content, "花名册.csv")
    assert [(row, letter) for row, letter, _c, _m in errors_of(result)] == [(5, "F")]
    assert result.total_rows == 2


def test_it_imports_rows_around_blank_lines(employer: Employer) -> None:
    result = import_file(employer, xlsx_bytes(table(person(1), [], person(2))))
    assert result.new == 2


# --- cells as spreadsheets store them ------------------------------------------------------------


def test_it_reads_full_width_digits_in_id_and_phone(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, id_number=_full_width(make_id(1)),
                                                  phone=_full_width(make_phone(1))))))
    worker = Worker.objects.get(name="测试1")
    assert (worker.id_number, worker.phone) == (make_id(1), make_phone(1))


def test_it_reads_a_lower_case_x(employer: Employer) -> None:
    with_x = make_id(7, birth=dt.date(1990, 1, 1))
    assert with_x.endswith("X")
    import_file(employer, csv_bytes(table(person(1, id_number=with_x.lower())), encoding="gb18030"), "花名册.csv")
    assert Worker.objects.filter(id_number=with_x).exists()


def test_it_refuses_an_id_number_typed_as_a_number(employer: Employer) -> None:
    before = counts()
    content = xlsx_bytes(table(person(1, id_number=Number(float(make_id(1))))))  # type: ignore[arg-type]
    result = check(employer, content)
    [(row, letter, column, message)] = errors_of(result)
    assert (row, letter, column) == (2, "B", "身份证号")
    assert "数字" in message and "文本" in message
    assert counts() == before


def test_it_refuses_an_id_number_shown_in_scientific_notation(employer: Employer) -> None:
    content = csv_bytes(table(person(1, id_number="1.10105E+17")), encoding="gb18030")
    [(row, letter, _column, message)] = errors_of(check(employer, content, "花名册.csv"))
    assert (row, letter) == (2, "B")
    assert "科学计数法" in message


def test_it_reads_a_phone_typed_as_a_number(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, phone=Number(13900000001)))))  # type: ignore[arg-type]
    assert Worker.objects.get(id_number=make_id(1)).phone == "13900000001"


@pytest.mark.parametrize("cell", [Number(45352), Number(45352.75), DateCell(dt.date(2024, 3, 1))])
def test_it_reads_excel_dates(employer: Employer, cell: object) -> None:
    import_file(employer, xlsx_bytes(table(person(1, hire_date=cell))))
    assert Worker.objects.get(id_number=make_id(1)).hire_date == dt.date(2024, 3, 1)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_it_reads_an_excel_serial_written_to_a_csv(employer: Employer, encoding: str) -> None:
    # Excel saves a date cell formatted as a number as its serial, so the CSV holds the text "45352".
    import_file(employer, csv_bytes(table(person(1, hire_date="45352")), encoding=encoding), "花名册.csv")
    assert Worker.objects.get(id_number=make_id(1)).hire_date == dt.date(2024, 3, 1)


def test_it_refuses_a_future_excel_date(employer: Employer) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    [(row, letter, _column, message)] = errors_of(check(employer, xlsx_bytes(table(person(1, hire_date=DateCell(tomorrow))))))
    assert (row, letter) == (2, "H")
    assert "晚于今天" in message


# --- files that are not rosters ------------------------------------------------------------------


def test_it_refuses_an_old_xls_file() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    message = _file_error(ole, "花名册.xls")
    assert "97-2003" in message
    assert ".xlsx" in message


def test_it_refuses_an_empty_file() -> None:
    assert _file_error(b"", "花名册.csv") == "文件是空的"


def test_it_refuses_blank_lines_only() -> None:
    assert _file_error(b"\r\n,,,\r\n\r\n", "花名册.csv") == "文件里没有数据"


def test_it_refuses_headers_without_rows(employer: Employer) -> None:
    before = counts()
    with pytest.raises(RosterFileError, match="表头下面没有数据行"):
        check(employer, xlsx_bytes(table()))
    assert counts() == before


def test_it_lists_the_expected_headers_when_none_match() -> None:
    message = _file_error(csv_bytes([["序号", "员工", "证件"], ["1", "张三", make_id(1)]]), "花名册.csv")
    assert "找不到表头" in message
    assert EXPECTED_HEADERS in message


def test_it_names_a_missing_required_column() -> None:
    message = _file_error(xlsx_bytes(table(["张三", make_id(1), "接害劳动者"], headers=["姓名", "身份证号", "岗位角色"])),
                          "花名册.xlsx")
    assert message.startswith("缺少必需的列：手机号")


def _without(header: str, *rows: list[Any]) -> list[list[Any]]:
    """A table whose header row lacks one column, and its rows without that cell."""
    position = HEADERS.index(header)
    return table(*(row[:position] + row[position + 1 :] for row in rows),
                 headers=HEADERS[:position] + HEADERS[position + 1 :])


@pytest.mark.parametrize("name", ["花名册.xlsx", "花名册.csv"])
@pytest.mark.parametrize("header", ["身份证号", "姓名", "手机号", "岗位角色"])
def test_it_names_the_one_required_column_a_header_row_lacks(header: str, name: str) -> None:
    rows = _without(header, person(1), person(2))
    content = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, encoding="gb18030")
    message = _file_error(content, name)
    assert message.startswith(f"缺少必需的列：{header}。")
    assert "找不到表头" not in message


def test_it_names_the_missing_column_below_a_title_row() -> None:
    rows = [["某某公司职工花名册"], *_without("身份证号", person(1))]
    assert _file_error(csv_bytes(rows, encoding="utf-8-sig"), "花名册.csv").startswith("缺少必需的列：身份证号。")


def test_it_names_every_missing_required_column() -> None:
    rows = table(["张三", make_id(1), "采掘一队"], headers=["姓名", "身份证号", "部门"])
    assert _file_error(csv_bytes(rows), "花名册.csv").startswith("缺少必需的列：手机号、岗位角色。")


def test_it_names_a_header_given_twice() -> None:
    message = _file_error(xlsx_bytes(table(person(1), headers=[*HEADERS[:3], "手机", *HEADERS[4:]])), "花名册.xlsx")
    assert "出现了两次" in message
    assert "第 D 列" in message


def test_it_refuses_random_bytes_named_xlsx() -> None:
    message = _file_error(random.Random(11643).randbytes(TEN_MB), "花名册.xlsx")
    assert "不是 Excel 工作簿" in message


def test_it_refuses_random_bytes_named_csv() -> None:
    message = _file_error(random.Random(32100).randbytes(TEN_MB), "花名册.csv")
    assert "编码" in message or "二进制" in message


def test_it_refuses_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert "无法读取这个 Excel 文件" in _file_error(buffer.getvalue(), "花名册.xlsx")


def test_it_refuses_a_truncated_workbook() -> None:
    content = xlsx_bytes(table(person(1)))
    assert "无法读取这个 Excel 文件" in _file_error(content[: len(content) // 2], "花名册.xlsx")


def test_it_refuses_a_workbook_with_a_damaged_sheet() -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(table(person(1)))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    assert "无法读取" in _file_error(buffer.getvalue(), "花名册.xlsx")


# --- uploads -------------------------------------------------------------------------------------


def test_it_checks_a_small_upload_at_once(employer: Employer, admin: User) -> None:
    before = counts()
    roster_import = roster_import_start(actor=admin, employer=employer,
                                        upload=upload(csv_bytes(table(person(1), person(2)), encoding="gb18030"),
                                                      "花名册.csv"))
    assert roster_import.status == RosterImport.Status.CHECKED
    assert (roster_import.progress_total, roster_import.summary["new"]) == (2, 2)
    assert roster_import.original_name == "花名册.csv"
    assert roster_import.created_by == admin
    assert counts() == before


@pytest.mark.parametrize("name", ["花名册.pdf", "花名册.docx", "花名册", "花名册.xlsx.exe"])
def test_it_refuses_other_extensions(employer: Employer, admin: User, name: str) -> None:
    message = _upload_error(employer, admin, xlsx_bytes(table(person(1))), name)
    assert ".xlsx" in message and ".csv" in message


def test_it_refuses_an_empty_upload(employer: Employer, admin: User) -> None:
    assert _upload_error(employer, admin, b"", "花名册.csv") == "文件是空的"


@override_settings(ROSTER_MAX_UPLOAD_BYTES=1024 * 1024)
def test_it_refuses_an_upload_over_the_limit(employer: Employer, admin: User) -> None:
    content = csv_bytes(table(person(1))) + b"\r\n" * (1024 * 1024)
    message = _upload_error(employer, admin, content, "花名册.csv")
    assert "超过 1 MB" in message


@override_settings(ROSTER_MAX_UPLOAD_BYTES=1024 * 1024, ROSTER_BACKGROUND_BYTES=2 * 1024 * 1024)
def test_it_accepts_an_upload_at_the_limit(employer: Employer, admin: User) -> None:
    head = csv_bytes(table(person(1)))
    content = head + b"\r\n" * ((1024 * 1024 - len(head)) // 2)
    content += b" " * (1024 * 1024 - len(content))
    assert len(content) == 1024 * 1024
    roster_import = roster_import_start(actor=admin, employer=employer, upload=upload(content, "花名册.csv"))
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.CHECKED


def test_it_rejects_an_xls_upload_with_a_message(employer: Employer, admin: User) -> None:
    roster_import = roster_import_start(actor=admin, employer=employer,
                                        upload=upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "花名册.xls"))
    assert roster_import.status == RosterImport.Status.REJECTED
    assert "97-2003" in roster_import.message


@pytest.mark.parametrize(("name", "words"), [("花名册.xlsx", "不是 Excel 工作簿"), ("花名册.csv", "编码")])
def test_it_rejects_ten_megabytes_of_noise_in_the_background(
    employer: Employer, admin: User, name: str, words: str, django_capture_on_commit_callbacks: Any,
) -> None:
    before = counts()
    noise = random.Random(len(name)).randbytes(TEN_MB).replace(b"\x00", b"\x01")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        roster_import = roster_import_start(actor=admin, employer=employer, upload=upload(noise, name))
        assert roster_import.status == RosterImport.Status.UPLOADED  # too big to check inside the request
    assert len(callbacks) == 1
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.REJECTED
    assert words in roster_import.message
    assert counts() == before


def test_it_never_fails_an_import_the_preview_accepted(employer: Employer, admin: User) -> None:
    content = csv_bytes(table(person(1, "张\x00三", department="采掘\x00一队")), encoding="utf-8-sig")
    roster_import = roster_import_start(actor=admin, employer=employer, upload=upload(content, "花名册.csv"))
    if roster_import.status == RosterImport.Status.REJECTED:
        assert [(error["row"], error["letter"]) for error in roster_import.errors][:1] == [(2, "A")]
        return
    roster_import_commit(roster_import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert "\x00" not in Worker.objects.get(id_number=make_id(1)).name


def test_it_stores_the_upload_under_an_unguessable_name(employer: Employer, admin: User) -> None:
    roster_import = roster_import_start(actor=admin, employer=employer,
                                        upload=upload(xlsx_bytes(table(person(1))), "花名册.xlsx"))
    assert "花名册" not in roster_import.file.name
    assert roster_import.original_name == "花名册.xlsx"


# --- the documentation ---------------------------------------------------------------------------


def test_the_roster_docs_list_every_column_of_the_template() -> None:
    text = (Path(settings.BASE_DIR) / "docs" / "roster.md").read_text(encoding="utf-8")
    template = text.split("## Template", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"[\u4e00-\u9fff]+", template.split("the headers", 1)[1].split(";", 1)[0])
    assert listed == [column.header for column in COLUMNS]
