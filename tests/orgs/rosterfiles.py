"""Building roster files the way offices send them (xlsx from Excel/WPS, CSV in GBK or UTF-8),
and small helpers around the roster services for tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from orgs.idnumbers import id_number_make
from orgs.models import Department, Employer, User, Worker
from orgs.services import read_roster, roster_check, roster_write
from orgs.services.roster import RosterCheck, roster_transfers
from orgs.services.roster_columns import COLUMNS
from orgs.services.roster_read import RosterTable

# The columns most files have; the optional 在岗 column is added by the tests that need it.
HEADERS: list[str] = [column.header for column in COLUMNS if column.key != "is_active"]
# The column positions of person()'s rows, for services that take rows from code (roster_rows_import).
COLUMNS_BY_POSITION: dict[str, int] = {column.key: position for position, column in
                                       enumerate(column for column in COLUMNS if column.key != "is_active")}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Number:
    """A cell typed as a number in Excel (write_number), e.g. an ID number the clerk forgot to
    format as text."""

    value: float


@dataclass(frozen=True)
class DateCell:
    """A real date cell (a serial number with a date format), as Excel stores typed dates."""

    value: dt.date


def make_id(sequence: int, birth: dt.date = dt.date(1985, 6, 1), region: str = "110105") -> str:
    """A valid GB 11643 number. Region 110105 keeps clear of the factories' 320303 numbers."""
    return id_number_make(region, birth, sequence)


def make_phone(sequence: int) -> str:
    """A valid mobile number outside the factories' 137… and the personas' 138… ranges."""
    return f"139{sequence:08d}"


def person(sequence: int, name: str | None = None, *, id_number: str | None = None, phone: str | None = None,
           department: str = "采掘一队", post: str = "采煤工", role: str = "接害劳动者",
           exposures: str = "煤尘、噪声", hire_date: object = "2020-03-01") -> list[Any]:
    """One data row in template column order."""
    return [name or f"测试{sequence}", id_number or make_id(sequence), phone or make_phone(sequence),
            department, post, role, exposures, hire_date]


def table(*rows: Sequence[Any], headers: Sequence[Any] = HEADERS, title: str | None = None) -> list[list[Any]]:
    """Header row (with an optional title row above it) followed by the rows."""
    result: list[list[Any]] = []
    if title is not None:
        result.append([title])
    result.append(list(headers))
    result.extend(list(row) for row in rows)
    return result


def xlsx_bytes(rows: Sequence[Sequence[Any]], sheet_name: str = "花名册") -> bytes:
    """Write rows to an xlsx: strings as text cells, Number as numeric cells, DateCell as date
    cells, int/float as numbers, None (or an empty list for a row) as nothing."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet(sheet_name)
    for row_index, row in enumerate(rows):
        for col_index, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Number):
                sheet.write_number(row_index, col_index, value.value)
            elif isinstance(value, DateCell):
                sheet.write_datetime(row_index, col_index,
                                     dt.datetime.combine(value.value, dt.time()), date_format)
            elif isinstance(value, bool):
                sheet.write_boolean(row_index, col_index, value)
            elif isinstance(value, int | float):
                sheet.write_number(row_index, col_index, value)
            else:
                sheet.write_string(row_index, col_index, str(value))
    workbook.close()
    return buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """A CSV as Excel saves it: encoding "utf-8-sig" for "CSV UTF-8", "gb18030" for plain CSV
    on Chinese Windows."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return text.getvalue().encode(encoding)


def upload(content: bytes, name: str = "花名册.xlsx") -> SimpleUploadedFile:
    content_type = XLSX_TYPE if name.endswith(".xlsx") else "text/csv"
    return SimpleUploadedFile(name, content, content_type=content_type)


def read(content: bytes, name: str = "花名册.xlsx") -> RosterTable:
    return read_roster(io.BytesIO(content), name)


def check(employer: Employer, content: bytes, name: str = "花名册.xlsx") -> RosterCheck:
    """The dry run of a file, as the upload does it."""
    return roster_check(employer=employer, table=read(content, name))


def import_file(employer: Employer, content: bytes, name: str = "花名册.xlsx") -> RosterCheck:
    """Check and write a file that must be clean."""
    result = check(employer, content, name)
    assert result.ok, [error.as_dict() for error in result.errors]
    with transaction.atomic():
        roster_write(employer=employer, check=result)
        roster_transfers(actor=None, employer=employer, check=result)
    return result


def errors_of(result: RosterCheck) -> list[tuple[int, str, str, str]]:
    return [(error.row, error.letter, error.column, error.message) for error in result.errors]


def counts() -> tuple[int, int, int]:
    """(workers, users, departments): compared before and after anything that must write nothing."""
    return Worker.objects.count(), User.objects.count(), Department.objects.count()


def read_xlsx(content: bytes) -> list[list[Any]]:
    """The first sheet's values, read back with openpyxl."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
