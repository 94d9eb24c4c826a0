"""manage.py bank_import FILE [--dry-run] [--create-categories] [--user NAME]: a bank file in, for
scripted migrations, through the same services and checks as the admin's import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ServiceError
from exams.services import bank_files


def error_lines(errors: list[dict[str, Any]], *, moodle: bool) -> list[str]:
    """The row errors as the admin's preview lists them, one per line."""
    lines = []
    for error in errors:
        if moodle:
            where = _("第 %(row)s 题") % {"row": error["row"]} + (f" <{error['header']}>" if error["header"] else "")
        elif error["row"]:
            where = _("第 %(row)s 行") % {"row": error["row"]} + (
                _(" %(letter)s 列（%(header)s）") % error if error["header"] else "")
        else:
            where = _("文件")
        lines.append(f"{where}：{error['message']}")
    return lines


def report_lines(summary: dict[str, Any], errors: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> list[str]:
    moodle = summary.get("format") == "moodle"
    lines = error_lines(errors, moodle=moodle)
    hidden = summary.get("error_count", len(errors)) - len(errors)
    if hidden > 0:
        lines.append(_("……另有 %(count)s 处问题未列出") % {"count": hidden})
    lines += [_("跳过第 %(number)s 题（%(type)s）：%(name)s") % {**item, "name": item["name"] or "—"} for item in skipped]
    for note in summary.get("notes", []):
        where = (_("第 %(row)s 题") if moodle else _("第 %(row)s 行")) % {"row": note["row"]}
        lines.append(_("说明：%(where)s：%(message)s") % {"where": where, "message": note["message"]})
    if summary.get("ignored_headers"):
        lines.append(_("忽略了不认识的列：") + "、".join(summary["ignored_headers"]))
    return lines


class Command(BaseCommand):
    help = ("Import a question-bank file: the xlsx template (.xlsx) or Moodle XML (.xml), by suffix. The file is "
            "checked first and written all or nothing; every bad row is printed and the command exits non-zero.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx or .xml file")
        parser.add_argument("--dry-run", action="store_true", help="check and list what would be created; write nothing")
        parser.add_argument("--create-categories", action="store_true",
                            help="create the file's categories that the bank does not have (otherwise they are errors)")
        parser.add_argument("--user", help="username recorded as the importer (for the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("没有文件 %(path)s") % {"path": path})
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("没有用户 %(name)s") % {"name": options["user"]})
        if path.stat().st_size > bank_files.MAX_BYTES:
            raise CommandError(_("文件超过 %(limit)s MB；请分成几个文件导入") % {"limit": bank_files.size_limit_text()})
        create = options["create_categories"]
        try:
            if options["dry_run"]:
                result = bank_files.bank_file_check(content=path.read_bytes(), name=path.name, actor=actor,
                                                    create_categories=create)
                summary, errors, skipped, message = result.summary(), result.errors_json(), result.skipped_json(), ""
            else:
                with path.open("rb") as stream:
                    record = bank_files.bank_import_start(actor=actor, upload=File(stream, name=path.name),
                                                          create_categories=create)
                if record.status == bank_files.BankImportStatus.CHECKED:
                    record = bank_files.bank_import_confirm(actor=actor, bank_import=record)
                summary, errors, skipped, message = record.summary, record.errors, record.skipped, record.message
        except ServiceError as error:
            raise CommandError(error.message) from error
        for line in report_lines(summary, errors, skipped):
            self.stdout.write(line)
        if message:
            raise CommandError(message)
        if errors:
            count = summary.get("error_count", len(errors))
            raise CommandError(ngettext("发现 %(count)s 处问题，未写入任何数据", "发现 %(count)s 处问题，未写入任何数据", count)
                               % {"count": count})
        new = "、".join(summary.get("new_categories", []))
        categories = _("，新建分类 %(names)s") % {"names": new} if new else ""
        if options["dry_run"]:
            self.stdout.write(_("检查通过（未写入）：将新增 %(count)s 道试题") % {"count": summary["create"]} + categories)
        else:
            self.stdout.write(self.style.SUCCESS(_("已导入 %(count)s 道试题") % {"count": summary["create"]} + categories))
