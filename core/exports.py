"""Excel exports: one workbook writer on XlsxWriter's constant-memory mode, the formula guard, a
download response, and the export log (who exported what, PIPL art. 55)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse
from xlsxwriter.worksheet import Worksheet

from core.models import ExportLog

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection, OWASP)."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportColumn:
    header: str
    width: int = 14
    # Text columns (ID numbers, phones, codes) keep their digits: Excel would turn
    # 320305199001016275 into 3.20305E+17.
    text: bool = True


class SheetWriter:
    """Rows go out in order (constant-memory mode writes each row once and forgets it)."""

    def __init__(self, workbook: ExportWorkbook, sheet: Worksheet, columns: Sequence[ExportColumn],
                 header: bool = True) -> None:
        self.workbook = workbook
        self.sheet = sheet
        self.columns = columns
        self.row = 0
        if header:
            for position, column in enumerate(columns):
                sheet.write_string(0, position, column.header, workbook.header_format)
            sheet.freeze_panes(1, 0)
            self.row = 1

    def write(self, values: Iterable[Any]) -> None:
        for position, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool):
                self.sheet.write_boolean(self.row, position, value)
            elif isinstance(value, int | float) and not (position < len(self.columns) and self.columns[position].text):
                self.sheet.write_number(self.row, position, value)
            else:
                self.sheet.write_string(self.row, position, str(spreadsheet_safe(str(value))))
        self.row += 1

    def write_many(self, rows: Iterable[Iterable[Any]]) -> int:
        for values in rows:
            self.write(values)
        return self.data_rows

    @property
    def data_rows(self) -> int:
        return max(0, self.row - 1)

    def finish(self, *, autofilter: bool = True) -> None:
        if autofilter and self.columns:
            self.sheet.autofilter(0, 0, max(self.row - 1, 0), len(self.columns) - 1)


class ExportWorkbook:
    """A workbook for a stream; ``constant_memory`` for anything that may be large. Strings are
    never turned into formulas, numbers or links, whatever they look like."""

    def __init__(self, stream: IO[bytes], *, constant_memory: bool = True) -> None:
        options: dict[str, Any] = {"strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False}
        options["constant_memory" if constant_memory else "in_memory"] = True
        self.book = xlsxwriter.Workbook(stream, options)
        self.header_format = self.book.add_format({"bold": True, "bg_color": "#E8F1EC", "border": 1,
                                                   "font_name": "宋体", "text_wrap": True, "valign": "top"})
        self.text_format = self.book.add_format({"num_format": "@"})

    def add_sheet(self, name: str, columns: Sequence[ExportColumn], *, header: bool = True) -> SheetWriter:
        sheet = self.book.add_worksheet(name[:31])
        for position, column in enumerate(columns):
            sheet.set_column(position, position, column.width, self.text_format if column.text else None)
        return SheetWriter(self, sheet, columns, header=header)

    def close(self) -> None:
        self.book.close()


def export_log(*, actor: Any, kind: str, row_count: int, masked: bool, employer_id: int | None = None,
               region_code: str = "", filters: dict[str, Any] | None = None) -> ExportLog:
    """Record an export: scoped by employer (its own roster) or by region (an evaluator's workbook)."""
    if employer_id is None and not region_code:
        raise ValueError("an export is logged under an employer or a region")
    return ExportLog.objects.create(
        user=actor if getattr(actor, "pk", None) else None, kind=kind, employer_id=employer_id,
        region_code=region_code, row_count=row_count, masked=masked, filters=filters or {},
    )


def xlsx_response(stream: IO[bytes], filename: str) -> FileResponse:
    """Stream a finished workbook (a temporary file, rewound here) as a download."""
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=filename, content_type=XLSX)
