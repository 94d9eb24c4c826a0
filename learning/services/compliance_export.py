"""The employer's training compliance workbook on the shared export layer (core.exports): sheet
汇总, the compliance rate overall, by post role, by department and by programme with a native
column chart of the rate, and sheet 明细, one row per cycle due in the year with its standing and
what is missing. Written while the admin waits when small, by a background job with a progress
bar (core.jobs) when large, as the 学时 workbook is (learning.services.reports_export).

Every figure comes from learning.services.compliance through learning.training_reports. Phones
and ID numbers are not in it, so the export is logged as masked (PIPL art. 55).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook, SheetWriter, export_log
from core.jobs import job_claim, job_finish, job_progress
from core.models import JobStatus
from learning.models import ComplianceExport
from learning.reports import FIRST_YEAR, this_year
from learning.services.compliance import Standing
from learning.training_reports import Tally, TrainingSummary, employer_assignments, employer_summary, worker_assignments
from orgs.models import Employer, PostRole

__all__ = ["ComplianceExportError", "compliance_export_filename", "compliance_export_run", "compliance_export_start"]

logger = logging.getLogger(__name__)

# Up to this many cycles the workbook is written while the admin waits (the setting wins).
BACKGROUND_ROWS = 2000
EXPORT_KIND = "training_compliance"
_PROGRESS_EVERY = 500
# Where the charts sit on 汇总: to the right of the table, one under the other.
_CHART_COLUMN = 10


class ComplianceExportError(ServiceError):
    pass


class _ClaimLost(Exception):
    """Another worker took the export over: this one's file is thrown away."""


# -- the workbook ---------------------------------------------------------------------------------

def _summary_columns() -> tuple[ExportColumn, ...]:
    return (
        ExportColumn(_("分组"), 12), ExportColumn(_("名称"), 28), ExportColumn(_("应训人数"), 10, text=False),
        ExportColumn(_("已完成"), 10, text=False), ExportColumn(_("进行中"), 10, text=False),
        ExportColumn(_("已逾期"), 10, text=False), ExportColumn(_("合规率（%）"), 12, text=False),
        ExportColumn(_("培训任务数"), 12, text=False), ExportColumn(_("已完成任务数"), 12, text=False),
    )


def _detail_columns() -> tuple[ExportColumn, ...]:
    return (
        ExportColumn(_("姓名"), 12), ExportColumn(_("部门"), 14), ExportColumn(_("岗位"), 14),
        ExportColumn(_("岗位角色"), 16), ExportColumn(_("培训项目"), 30), ExportColumn(_("开始日期"), 12),
        ExportColumn(_("截止日期"), 12), ExportColumn(_("状态"), 10), ExportColumn(_("已得学时"), 10, text=False),
        ExportColumn(_("要求学时"), 10, text=False), ExportColumn(_("结业考试"), 12), ExportColumn(_("证书编号"), 14),
        ExportColumn(_("尚缺"), 36),
    )


def _tally_row(group: str, name: str, tally: Tally) -> list[Any]:
    return [group, name, tally.workers, tally.met, tally.due, tally.overdue, tally.rate, tally.cycles,
            tally.cycles_met]


def _section(writer: SheetWriter, group: str, items: list[tuple[str, Tally]]) -> tuple[int, int] | None:
    """Write one group's rows; the first and last row written (for a chart), or None if empty."""
    if not items:
        return None
    first = writer.row
    writer.write_many(_tally_row(group, name, tally) for name, tally in items)
    return first, writer.row - 1


def _chart(workbook: ExportWorkbook, writer: SheetWriter, rows: tuple[int, int], title: str, anchor_row: int) -> None:
    """A native column chart of the rate (column G) against the names (column B) of these rows."""
    chart = workbook.book.add_chart({"type": "column"})
    name = writer.sheet.get_name()
    first, last = rows
    chart.add_series({"name": _("合规率（%）"), "categories": [name, first, 1, last, 1],
                      "values": [name, first, 6, last, 6], "data_labels": {"value": True}})
    chart.set_title({"name": title})
    chart.set_y_axis({"min": 0, "max": 100, "name": "%"})
    chart.set_legend({"none": True})
    writer.sheet.insert_chart(anchor_row, _CHART_COLUMN, chart, {"x_scale": 1.2, "y_scale": 1.1})


def _write_summary(workbook: ExportWorkbook, summary: TrainingSummary, employer: Employer) -> int:
    writer = workbook.add_sheet(_("汇总"), _summary_columns())
    writer.write(_tally_row(_("合计"), _("全部"), summary.total))
    roles = _section(writer, _("岗位角色"), [(label, tally) for _value, label, tally in summary.roles()])
    departments = _section(writer, _("部门"), sorted(
        ((name or _("未分部门"), tally) for name, tally in summary.by_department.items()), key=lambda item: item[0]))
    _section(writer, _("培训项目"), list(summary.by_programme.items()))
    rows = writer.data_rows
    writer.finish()
    # Notes under the table, after its last row (constant-memory mode writes rows in order).
    notes = [
        _("单位：%(name)s") % {"name": employer.name},
        _("年度：%(year)s（截止日期在该年内的培训任务；已撤销的不计）") % {"year": summary.year},
        _("合规率 = 该年应完成的培训全部完成的人数 ÷ 应训人数；每人按其最差的一项计入一次。"),
        _("导出时间：%(at)s；不含手机号和身份证号。") % {"at": f"{timezone.localtime():%Y-%m-%d %H:%M}"},
    ]
    for offset, text in enumerate(notes, start=writer.row + 1):
        writer.sheet.write_string(offset, 0, text)
    anchor = 1
    if roles:
        _chart(workbook, writer, roles, _("按岗位角色的合规率"), anchor)
        anchor += 18
    if departments:
        _chart(workbook, writer, departments, _("按部门的合规率"), anchor)
    return rows


def _exam(standing: Standing) -> str:
    if not standing.exam_needed:
        return _("无需考试")
    return _("已通过") if standing.exam_passed else _("未通过")


def _detail(rows: Iterator[tuple[dict[str, Any], Standing]], roles: dict[str, str]) -> Iterator[list[Any]]:
    for row, standing in rows:
        role = row.get("worker__post_role") or ""
        # An empty value is a blank cell (None), not an empty string a filter would list apart.
        yield [row["worker__name"], row.get("worker__department__name") or None, row.get("worker__post") or None,
               roles.get(role, role), row["programme__name"], row["starts_on"].isoformat(),
               standing.due_on.isoformat(), standing.status_label, standing.hours, standing.required_hours,
               _exam(standing), standing.certificate or None, "；".join(standing.missing) or None]


def _write(export: ComplianceExport, token: str, stream: Any) -> tuple[int, int]:
    workbook = ExportWorkbook(stream)
    summary = employer_summary(export.employer, export.year)
    summary_rows = _write_summary(workbook, summary, export.employer)
    roles = {value: str(label) for value, label in PostRole.choices}
    detail = workbook.add_sheet(_("明细"), _detail_columns())
    for done, values in enumerate(_detail(worker_assignments(export.employer, export.year), roles), start=1):
        detail.write(values)
        if done % _PROGRESS_EVERY == 0 and not job_progress(ComplianceExport, export.pk, token, done=done):
            raise _ClaimLost
    detail.finish()
    workbook.close()
    return summary_rows, detail.data_rows


# -- the job --------------------------------------------------------------------------------------

def _checked_year(year: object) -> int:
    last = this_year() + 1
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= last:
        raise ComplianceExportError(_("year 应为 %(first)s 到 %(last)s 之间的年份") % {"first": FIRST_YEAR, "last": last},
                                    field="year")
    return year


def compliance_export_start(*, actor: Any, employer: Employer, year: int,
                            background_rows: int | None = None) -> ComplianceExport:
    """Ask for the compliance workbook of the employer's cycles due in ``year``. Up to
    ``background_rows`` cycles (settings.TRAINING_EXPORT_BACKGROUND_ROWS, default 2,000) it is
    written now and the returned export is done; beyond, it is queued (on commit) and the page
    shows its progress. The caller has resolved ``employer`` through the scope (its admins' write
    reach)."""
    year = _checked_year(year)
    total = employer_assignments(employer, year).count()
    limit = background_rows if background_rows is not None else getattr(
        settings, "TRAINING_EXPORT_BACKGROUND_ROWS", BACKGROUND_ROWS)
    export = ComplianceExport.objects.create(
        employer=employer, year=year, created_by=actor if getattr(actor, "pk", None) else None,
        progress_total=total, language=translation.get_language() or settings.LANGUAGE_CODE)
    if total <= limit:
        compliance_export_run(export_id=export.pk)
        export.refresh_from_db()
    else:
        from learning.tasks import compliance_export_task

        transaction.on_commit(lambda: compliance_export_task.delay(export.pk))
    return export


def compliance_export_run(*, export_id: int) -> bool:
    """Write the workbook of one export. Safe to run twice: only a queued export (or one whose
    worker died and whose lease ran out) is written, and only the current claim may finish it."""
    token = job_claim(ComplianceExport, export_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return False
    export = ComplianceExport.objects.select_related("employer", "created_by").get(pk=export_id)
    with translation.override(export.language):
        return _run_claimed(export, token)


def _run_claimed(export: ComplianceExport, token: str) -> bool:
    stored = ""
    try:
        with tempfile.TemporaryFile() as spool:
            summary, cycles = _write(export, token, spool)
            spool.seek(0)
            export.result_file.save(f"training-compliance-{export.year}-{timezone.localdate():%Y%m%d}.xlsx",
                                    File(spool), save=False)
            stored = export.result_file.name or ""
        filters = {"year": export.year}
        with transaction.atomic():
            if not job_finish(ComplianceExport, export.pk, token, status=JobStatus.DONE, result_file=stored,
                              progress_done=cycles, progress_total=cycles,
                              message=_("已导出汇总 %(summary)s 行、明细 %(cycles)s 行")
                              % {"summary": summary, "cycles": cycles}):
                raise _ClaimLost
            export_log(actor=export.created_by, kind=EXPORT_KIND, row_count=cycles, masked=True,
                       employer_id=export.employer_id, filters=filters)
            audit(export.created_by, "learning.compliance.export", export, employer_id=export.employer_id,
                  data={"rows": cycles, "summary": summary, "filters": filters})
    except _ClaimLost:
        _discard(stored)
        return False
    except Exception:
        logger.exception("training compliance export %s failed", export.pk)
        _discard(stored)
        job_finish(ComplianceExport, export.pk, token, status=JobStatus.FAILED,
                   message=_("导出失败，请稍后重试；如仍失败请联系平台管理员"))
        return False
    return True


def compliance_export_filename(*, export: ComplianceExport) -> str:
    stamp = f"{timezone.localtime(export.finished_at or export.created_at):%Y%m%d-%H%M}"
    return f"training-compliance-{export.year}-{stamp}.xlsx"


def _discard(name: str) -> None:
    if name:
        ComplianceExport._meta.get_field("result_file").storage.delete(name)

