"""Reading roster files as offices really send them: xlsx from Excel or WPS, CSV in UTF-8 or GBK,
a title row above the headers, numbers where text was meant."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _

from core.errors import ServiceError
from orgs.services.roster_columns import COLUMNS, HEADER_LOOKUP, header_key

HEADER_SEARCH_ROWS = 10
REQUIRED_KEYS = frozenset(column.key for column in COLUMNS if column.required)


class RosterFileError(ServiceError):
    """The file as a whole cannot be read; the message tells the admin what to do."""


@dataclass
class RosterTable:
    """Data rows with their 1-based row numbers as the spreadsheet shows them."""

    columns: dict[str, int]  # column key -> index in the row
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    ignored_headers: list[str] = field(default_factory=list)
    column_letters: dict[str, str] = field(default_factory=dict)
    estimated_rows: int = 0  # data rows the file seems to hold, blank ones included


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _sniff_kind(head: bytes, name: str) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # Excel's "Unicode 文本": UTF-16 with a BOM, tab separated
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # Excel also wraps a password-protected .xlsx in this OLE container.
        raise RosterFileError(_("这是旧版 Excel 97-2003 (.xls) 文件或加了密码的 Excel 文件；"
                                "请去掉密码，在 Excel 或 WPS 中“另存为” .xlsx 后再上传"))
    suffix = Path(name).suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        raise RosterFileError(_("文件扩展名是 .xlsx，但内容不是 Excel 工作簿，可能已损坏；请重新导出后上传"))
    if b"\x00" in head:
        raise RosterFileError(_("文件不是表格（含有二进制内容）；请上传 .xlsx 或 .csv 文件"))
    return "csv"


def _xlsx_rows(stream: IO[bytes], size: list[int]) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterFileError(_("无法读取这个 Excel 文件，可能已损坏或加了密码；请另存为 .xlsx 后重试")) from exc
    try:
        sheet = workbook.worksheets[0]
        size[0] = sheet.max_row or 0  # from the sheet's dimension tag: an estimate, for the progress bar
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except (ParseError, SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        # A workbook whose zip opens but whose sheet XML is damaged fails only while rows are read.
        raise RosterFileError(_("无法读取这个 Excel 文件，可能已损坏或加了密码；请另存为 .xlsx 后重试")) from exc
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    # Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the system code page, GBK on Chinese
    # Windows; GB 18030 is a superset of GBK, so it reads both.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return codecs.decode(data, "utf-16")
        except UnicodeDecodeError as exc:
            raise RosterFileError(_("无法识别文件的文字编码；请在 Excel 中另存为“CSV UTF-8”或 .xlsx")) from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return codecs.decode(data, encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(_("无法识别文件的文字编码；请在 Excel 中另存为“CSV UTF-8”或 .xlsx"))


def _csv_rows(stream: IO[bytes], size: list[int]) -> Iterator[list[Any]]:
    text = _decode(stream.read())
    size[0] = text.count("\n") + 1
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def _is_blank(row: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def read_roster(stream: IO[bytes], name: str) -> RosterTable:
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise RosterFileError(_("文件是空的"))
    kind = _sniff_kind(head, name)
    size = [0]
    raw_rows = _xlsx_rows(stream, size) if kind == "xlsx" else _csv_rows(stream, size)
    table = _with_headers(raw_rows)
    # _with_headers has started reading, so the reader has measured the file by now.
    table.estimated_rows = max(size[0] - table.header_row, 0)
    return table


def _with_headers(raw_rows: Iterator[list[Any]]) -> RosterTable:
    looked_at: list[list[Any]] = []
    try:
        for _attempt in range(HEADER_SEARCH_ROWS):  # not "_": that is gettext here
            looked_at.append(next(raw_rows))
    except StopIteration:
        pass
    except csv.Error as exc:
        raise RosterFileError(_("CSV 文件格式错误：%(error)s") % {"error": exc}) from exc
    if not any(not _is_blank(row) for row in looked_at):
        raise RosterFileError(_("文件里没有数据"))
    for index, row in enumerate(looked_at):
        keys = [HEADER_LOOKUP.get(header_key(cell)) for cell in row]
        if _is_header_row(keys):
            return _table(index, row, keys, looked_at[index + 1 :], raw_rows)
    expected = "、".join(column.header for column in COLUMNS)
    raise RosterFileError(
        _("在前%(rows)s行中找不到表头（至少要有“姓名”和“身份证号”两列）。请使用下载的模板，表头为：%(headers)s")
        % {"rows": HEADER_SEARCH_ROWS, "headers": expected}
    )


def _is_header_row(keys: list[str | None]) -> bool:
    """姓名 and 身份证号 together, or every required column but one."""
    # A header row that lacks one required column must still be found, so that the admin is told
    # which column is missing rather than that there is no header. Two required headers at
    # least, so that a lone 姓名 in a title block is never taken for the header row.
    found = REQUIRED_KEYS.intersection(keys)
    return {"name", "id_number"} <= found or len(found) >= max(len(REQUIRED_KEYS) - 1, 2)


def _table(index: int, row: list[Any], keys: list[str | None], rest: list[list[Any]],
           raw_rows: Iterator[list[Any]]) -> RosterTable:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, key in enumerate(keys):
        if key is None:
            if row[position] not in (None, ""):
                ignored.append(str(row[position]))
        elif key in columns:
            raise RosterFileError(_("表头“%(header)s”出现了两次（第 %(letter)s 列）")
                                  % {"header": row[position], "letter": column_letter(position)})
        else:
            columns[key] = position
    missing = [column.header for column in COLUMNS if column.required and column.key not in columns]
    if missing:
        raise RosterFileError(_("缺少必需的列：%(headers)s。请使用下载的模板") % {"headers": "、".join(missing)})
    header_row = index + 1

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        number = header_row
        for data_row in rest:
            number += 1
            if not _is_blank(data_row):
                yield number, data_row
        try:
            for data_row in raw_rows:
                number += 1
                if not _is_blank(data_row):
                    yield number, data_row
        except csv.Error as exc:
            raise RosterFileError(_("第 %(row)s 行附近 CSV 格式错误：%(error)s") % {"row": number + 1, "error": exc}) from exc

    return RosterTable(
        columns=columns,
        header_row=header_row,
        rows=numbered(),
        ignored_headers=ignored,
        column_letters={key: column_letter(position) for key, position in columns.items()},
    )


def excel_serial_to_date(value: float) -> dt.date:
    # Excel's day 0 is 1899-12-30 once its 1900 leap-year bug is accounted for.
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
