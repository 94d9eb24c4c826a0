"""Roster template and export on the shared workbook writer (core.exports): constant-memory mode
for the export, so a large roster never sits whole in memory; ID and phone columns are text so
Excel cannot mangle them; every export is logged.

Language: the workbook is a file format that is read back by the importer, so its sheet names, header
cells, role words and cell values (是/否) stay in Chinese whatever the UI language is. Only the
instructions written for the person filling it in (notes, the drop-down's error message) are translated.
"""

from __future__ import annotations

from typing import IO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.audit import audit
from core.exports import ExportColumn, ExportWorkbook, export_log
from core.masking import id_number_shown, phone_shown
from orgs.models import Employer, HazardFactor, PostRole, User, Worker, split_words
from orgs.services.roster_columns import COLUMNS, POST_ROLE_LABELS

_WIDTHS = {"id_number": 22, "phone": 14, "exposures": 30}
ROSTER_COLUMNS = tuple(ExportColumn(column.header, _WIDTHS.get(column.key, 14)) for column in COLUMNS)


def roster_template_write(stream: IO[bytes]) -> None:
    """The blank template: headers, text-formatted columns, a role drop-down, notes and the
    hazard catalogue to copy names from."""
    workbook = ExportWorkbook(stream, constant_memory=False)
    sheet = workbook.add_sheet("花名册", ROSTER_COLUMNS)
    role_column = [column.key for column in COLUMNS].index("post_role")
    sheet.sheet.data_validation(1, role_column, 20000, role_column, {
        "validate": "list", "source": list(POST_ROLE_LABELS.values()),
        "error_title": "岗位角色", "error_message": _("请从下拉列表中选择"),
    })
    notes = workbook.add_sheet("填写说明", (ExportColumn("列", 16), ExportColumn("说明", 60)))
    for column in COLUMNS:
        # column.hint comes from roster_columns and is Chinese-only; the fallbacks are translated.
        notes.write([column.header, column.hint or (_("必填") if column.required else _("选填"))])
    notes.write([])
    notes.write([_("提示"), _("同一身份证号再次导入时会更新原有记录，不会重复建档。")])
    catalogue = workbook.add_sheet("危害因素目录", (ExportColumn("类别", 14), ExportColumn("序号", 6),
                                                   ExportColumn("名称", 40), ExportColumn("备注", 24),
                                                   ExportColumn("也可写作", 40)))
    catalogue.write_many(
        [class_name, number or "", name, remark, "、".join(split_words(aliases) + split_words(former))]
        for class_name, number, name, remark, aliases, former in HazardFactor.objects.filter(in_catalogue=True)
        .values_list("hazard_class__name", "number", "name", "remark", "aliases", "former_names"))
    catalogue.finish()
    workbook.close()


def roster_export_write(*, actor: User, employer: Employer, stream: IO[bytes], sees_raw: bool,
                        workers: QuerySet[Worker] | None = None, filters: dict[str, str] | None = None) -> int:
    """Export the roster in the template's layout so it can be edited and imported again."""
    workbook = ExportWorkbook(stream)
    sheet = workbook.add_sheet("花名册", ROSTER_COLUMNS)
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
    for pk, name, id_number, phone, department, post, role, hire_date, active in rows.iterator(chunk_size=2000):
        sheet.write([name, id_number_shown(id_number, raw=sees_raw), phone_shown(phone, raw=sees_raw),
                     department or "", post, POST_ROLE_LABELS.get(PostRole(role), role), "、".join(exposures.get(pk, [])),
                     hire_date.isoformat() if hire_date else "", "是" if active else "否"])
    sheet.finish()
    workbook.close()
    count = sheet.data_rows
    export_log(actor=actor, kind="roster", row_count=count, masked=not sees_raw, employer_id=employer.pk,
               filters=filters or {})
    audit(actor, "orgs.roster.export", employer, employer_id=employer.pk, data={"rows": count})
    return count
