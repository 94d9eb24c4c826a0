"""Paper questionnaires typed in from an xlsx: one row per sheet of paper.

The template (``paper_template``) has the sheet number and date, then one column per item code.
Row 1 holds the codes the import reads; rows 2 and 3, marked 【题目】 and 【填写说明】 in column A,
show each item's wording and what may be written (choice codes with their wording, a range, "对 /
错"); the clerk types from row 4 on. A choice may be typed as its code or its wording.

Every row goes through answers_clean and response_paper_record (surveys.services.responses), the
same rules as a phone's response: skip logic, ranges, the wave's period, the frame and its quotas.
All rows are written in one transaction, or none: one bad row and nothing stays.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.exports import ExportColumn, ExportWorkbook
from surveys.models import Item, ItemKind, ItemType, SurveyImport, Wave
from surveys.services.imports import (
    ImportReport,
    RowError,
    SurveyFileError,
    cell_text,
    column_letter,
    file_content,
    parse_date,
    read_workbook,
    wave_import_check,
)
from surveys.services.responses import ResponseRefused, answers_clean, response_paper_record, wave_items

NUMBER, FILLED_ON = "问卷编号", "填表日期"
LABEL_MARK, HELP_MARK = "【题目】", "【填写说明】"
DATA_SHEET = "纸质问卷"
MAX_ROWS = 20000
PROGRESS_EVERY = 200
TEMPLATE_ROWS = 2000


def _entered(items: Sequence[Item]) -> list[Item]:
    return [item for item in items if item.type != ItemType.NOTE and item.kind != ItemKind.NOTE]


def _help(item: Item) -> str:
    """What the clerk may write in an item's column."""
    if item.type == ItemType.TRUE_FALSE:
        text = _("填 对 或 错")
    elif item.type == ItemType.SELECT_ONE:
        text = _("单选，填选项代码或文字：") + "；".join(f"{choice.get('value')} {choice.get('label')}"
                                                 for choice in item.choices)
    elif item.type == ItemType.SELECT_MULTIPLE:
        text = _("多选，填选项代码，用空格或逗号分隔：") + "；".join(f"{choice.get('value')} {choice.get('label')}"
                                                         for choice in item.choices)
    elif item.type == ItemType.INTEGER:
        low = "" if item.min_value is None else str(item.min_value)
        high = "" if item.max_value is None else str(item.max_value)
        text = _("整数") + (f" {low}–{high}" if low or high else "")
    else:
        text = _("文字，最多 500 字")
    if item.relevant:
        text += _("。仅当 %(condition)s 时填写，否则留空") % {"condition": item.relevant}
    if item.required and item.kind != ItemKind.KNOWLEDGE:
        text += _("。必填")
    return text


def paper_template(*, wave: Wave) -> bytes:
    """The data-entry sheet of a wave's questionnaire (see the module's docstring for its layout)."""
    items = _entered(wave_items(wave))
    stream = io.BytesIO()
    workbook = ExportWorkbook(stream, constant_memory=False)
    columns = [ExportColumn(NUMBER, 14), ExportColumn(FILLED_ON, 12)] + [ExportColumn(item.code, 16) for item in items]
    sheet = workbook.add_sheet(DATA_SHEET, columns)
    wrap = workbook.book.add_format({"text_wrap": True, "valign": "top", "font_color": "#555555",
                                     "bg_color": "#F5F5F5"})
    sheet.sheet.write_string(1, 0, LABEL_MARK, wrap)
    sheet.sheet.write_string(1, 1, _("例：2026-06-15"), wrap)
    sheet.sheet.write_string(2, 0, HELP_MARK, wrap)
    sheet.sheet.write_string(2, 1, _("调查期间内的日期"), wrap)
    for position, item in enumerate(items, start=2):
        sheet.sheet.write_string(1, position, item.label[:300], wrap)
        sheet.sheet.write_string(2, position, _help(item), wrap)
        values = [str(choice.get("value")) for choice in item.choices]
        if item.type == ItemType.TRUE_FALSE:
            values = ["对", "错"]
        if item.type in (ItemType.SELECT_ONE, ItemType.TRUE_FALSE) and values and len(",".join(values)) < 250:
            sheet.sheet.data_validation(3, position, TEMPLATE_ROWS, position, {
                "validate": "list", "source": values, "error_type": "warning",
                "error_message": _("请填选项代码")})
    sheet.sheet.set_row(1, 60)
    sheet.sheet.set_row(2, 60)
    sheet.sheet.freeze_panes(3, 1)
    sheet.row = 3
    sheet.finish()
    workbook.close()
    return stream.getvalue()


def _by_label(item: Item, text: str) -> str:
    """A choice typed as its wording (or its code in another case) becomes its code."""
    for choice in item.choices:
        value = str(choice.get("value", ""))
        if text == value:
            return value
    for choice in item.choices:
        value = str(choice.get("value", ""))
        if text.lower() == value.lower() or text == str(choice.get("label", "")).strip():
            return value
    return text


def _answer(item: Item, raw: Any) -> Any:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return raw if item.type == ItemType.INTEGER else cell_text(raw)
    text = cell_text(raw)
    if item.type == ItemType.SELECT_ONE:
        return _by_label(item, text)
    if item.type == ItemType.SELECT_MULTIPLE:
        return [_by_label(item, part) for part in re.split(r"[\s,，、;；]+", text) if part]
    return text


def _locate(error: Callable[[int, str, str], None], number: int, problem: ResponseRefused,
            positions: dict[str, int], headers: dict[str, str]) -> None:
    """A refusal in its column when it names one the file has; else on the row, naming the item."""
    header = headers.get(problem.field, problem.field)
    if header in positions:
        error(number, header, problem.message)
    elif problem.field:
        error(number, "", f"{problem.field}：{problem.message}")
    else:
        error(number, "", problem.message)


def paper_import(*, actor: Any, wave: Wave, file: Any, dry_run: bool,
                 on_progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Enter every row of the file as a paper response of ``wave``, all or nothing; every bad cell
    is named by row and column. ``actor`` is the clerk (entered_by) and must be set."""
    wave_import_check(actor=actor, wave=wave)
    if not getattr(actor, "pk", None):
        raise SurveyFileError(_("录入纸质问卷需要指明录入人"))
    report = ImportReport(kind=SurveyImport.Kind.PAPER)
    sheets = read_workbook(file_content(file))
    sheet = sheets.get(DATA_SHEET) or next(iter(sheets.values()), None)
    if sheet is None or not sheet.rows:
        raise SurveyFileError(_("文件里没有工作表"))
    items = wave_items(wave)
    entered = {item.code: item for item in _entered(items)}
    notes = {item.code for item in items} - set(entered)
    positions: dict[str, int] = {}
    for position, cell in enumerate(sheet.rows[0]):
        header = cell_text(cell)
        if not header or header in notes:
            continue
        if header in positions:
            report.errors.append(RowError("", 1, column_letter(position), header, _("列重复（第 %(letter)s 列已有）")
                                          % {"letter": column_letter(positions[header])}))
        elif header not in entered and header not in (NUMBER, FILLED_ON):
            report.errors.append(RowError("", 1, column_letter(position), header,
                                          _("问卷中没有题目 %(code)s") % {"code": header}))
        else:
            positions[header] = position
    for header in (NUMBER, FILLED_ON):
        if header not in positions:
            raise SurveyFileError(_("第 1 行缺少“%(header)s”列（请使用本轮调查下载的模板）") % {"header": header})
    letters = {header: column_letter(position) for header, position in positions.items()}
    headers = {"paper_number": NUMBER, "filled_on": FILLED_ON}

    def error(row: int, header: str, message: str) -> None:
        report.errors.append(RowError("", row, letters.get(header, ""), header, message))

    rows = [(number, values) for number, values in sheet.numbered(start=2)
            if not cell_text(values[positions[NUMBER]] if positions[NUMBER] < len(values) else "").startswith("【")]
    if len(rows) > MAX_ROWS:
        raise SurveyFileError(_("文件超过 %(limit)s 行；请分成几个文件导入") % {"limit": MAX_ROWS})
    report.total = len(rows)
    seen: dict[str, int] = {}
    with transaction.atomic():
        for done, (number, values) in enumerate(rows, start=1):
            def cell(header: str, values: tuple[Any, ...] = values) -> Any:
                position = positions.get(header)
                return values[position] if position is not None and position < len(values) else None

            paper_number = cell_text(cell(NUMBER))
            before = len(report.errors)
            if not paper_number:
                error(number, NUMBER, _("请填写问卷编号"))
            elif paper_number in seen:
                error(number, NUMBER, _("问卷编号 %(number)s 与第 %(row)s 行重复") % {
                    "number": paper_number, "row": seen[paper_number]})
            else:
                seen[paper_number] = number
            filled_on = parse_date(cell(FILLED_ON))
            if filled_on is None:
                error(number, FILLED_ON, _("请填写日期，例如 2026-06-15，不能是“%(value)s”") % {
                    "value": cell_text(cell(FILLED_ON)) or _("空")})
            answers = {code: _answer(item, cell(code)) for code, item in entered.items()
                       if code in positions and cell_text(cell(code))}
            _clean, problems = answers_clean(items=items, answers=answers)
            for problem in problems:
                _locate(error, number, problem, positions, {})
            if len(report.errors) == before and filled_on is not None:
                try:
                    with transaction.atomic():
                        response_paper_record(wave=wave, answers=answers, paper_number=paper_number,
                                              filled_on=filled_on, entered_by=actor, now=timezone.now())
                    report.created += 1
                except ResponseRefused as refused:
                    for problem in refused.errors or [refused]:
                        _locate(error, number, problem, positions, headers)
            if on_progress is not None and done % PROGRESS_EVERY == 0:
                on_progress(done, len(rows))
        if not rows:
            report.errors.append(RowError("", 0, "", "", _("文件里没有答卷（从第 4 行起填写）")))
        report.errors.sort(key=lambda item: (item.row, item.letter.rjust(3)))
        report.details["wave"] = wave.code
        if report.ok:
            audit(actor, "surveys.paper.import", wave, data={"responses": report.created, "dry_run": dry_run})
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    report.committed = not dry_run and report.ok
    return report
