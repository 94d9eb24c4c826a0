"""Roster template and export, written straight with XlsxWriter in constant-memory mode: a large
roster never sits whole in memory, and ID and phone columns are text so Excel cannot mangle them.

Language: the workbook is a file format that is read back by the importer, so its sheet names, header
cells, role words and cell values (是/否) stay in Chinese whatever the UI language is. Only the
instructions written for the person filling it in (notes, the drop-down's error message) are translated.
"""

from __future__ import annotations

from typing import IO

import xlsxwriter
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from orgs.idnumbers import id_number_mask
from orgs.models import Employer, ExportLog, HazardFactor, User, Worker
from orgs.services.roster_columns import COLUMNS, POST_ROLE_LABELS, spreadsheet_safe


def _header(workbook: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet, extra: tuple[str, ...] = ()) -> None:
    bold = workbook.add_format({"bold": True, "bg_color": "#E8F1EC", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    for position, column in enumerate(COLUMNS):
        sheet.write_string(0, position, column.header, bold)
        width = {"id_number": 22, "phone": 14, "exposures": 30}.get(column.key, 14)
        sheet.set_column(position, position, width, text)
    for offset, header in enumerate(extra):
        sheet.write_string(0, len(COLUMNS) + offset, header, bold)
    sheet.freeze_panes(1, 0)


def roster_template_write(stream: IO[bytes]) -> None:
    """The blank template: headers, text-formatted columns, a role drop-down, notes and the
    hazard catalogue to copy names from."""
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = workbook.add_worksheet("花名册")
    _header(workbook, sheet)
    role_column = [column.key for column in COLUMNS].index("post_role")
    sheet.data_validation(1, role_column, 20000, role_column, {
        "validate": "list", "source": list(POST_ROLE_LABELS.values()),
        "error_title": "岗位角色", "error_message": _("请从下拉列表中选择"),
    })
    notes = workbook.add_worksheet("填写说明")
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 60)
    notes.write_row(0, 0, ["列", "说明"])
    for row, column in enumerate(COLUMNS, start=1):
        # column.hint comes from roster_columns and is Chinese-only; the fallbacks are translated.
        notes.write_row(row, 0, [column.header, column.hint or (_("必填") if column.required else _("选填"))])
    notes.write_string(len(COLUMNS) + 2, 0, _("提示"))
    notes.write_string(len(COLUMNS) + 2, 1, _("同一身份证号再次导入时会更新原有记录，不会重复建档。"))
    catalogue = workbook.add_worksheet("危害因素目录")
    catalogue.set_column(0, 1, 40)
    catalogue.write_row(0, 0, ["类别", "名称", "也可写作"])
    for row, (class_name, name, aliases) in enumerate(
        HazardFactor.objects.values_list("hazard_class__name", "name", "aliases"), start=1
    ):
        catalogue.write_row(row, 0, [class_name, name, aliases.replace("|", "、")])
    workbook.close()


def roster_export_write(*, employer: Employer, user: User, stream: IO[bytes], sees_id_numbers: bool,
                        workers: QuerySet[Worker] | None = None) -> int:
    """Export the roster in the template's layout so it can be edited and imported again."""
    workbook = xlsxwriter.Workbook(stream, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("花名册")
    _header(workbook, sheet)
    queryset = workers if workers is not None else Worker.objects.filter(employer=employer)
    exposures: dict[int, list[str]] = {}
    through = Worker.exposures.through
    for worker_id, name in through.objects.filter(worker__in=queryset).values_list(
        "worker_id", "hazardfactor__name"
    ).order_by("worker_id", "hazardfactor__position"):
        exposures.setdefault(worker_id, []).append(name)
    rows = queryset.order_by("department__name", "name").values_list(
        "pk", "name", "id_number", "phone", "department__name", "post", "post_role", "hire_date", "is_active"
    )
    count = 0
    for count, (pk, name, id_number, phone, department, post, role, hire_date, active) in enumerate(
        rows.iterator(chunk_size=2000), start=1
    ):
        values = [name, id_number if sees_id_numbers else id_number_mask(id_number), phone, department or "",
                  post, POST_ROLE_LABELS.get(role, role), "、".join(exposures.get(pk, [])),
                  hire_date.isoformat() if hire_date else "", "是" if active else "否"]
        for position, value in enumerate(values):
            sheet.write_string(count, position, str(spreadsheet_safe(value)))
    workbook.close()
    ExportLog.objects.create(user=user, employer=employer, kind="roster", row_count=count,
                             masked=not sees_id_numbers)
    return count
