"""manage.py questionnaire_import FILE [--dry-run] [--user NAME]: an XLSForm in, for scripted
loads, through the same service and checks as the admin's import, printing the same errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.errors import ServiceError
from surveys.management.commands.frame_import import finish, user_named
from surveys.services.xlsform import questionnaire_import


class Command(BaseCommand):
    help = ("Import a questionnaire from an XLSForm (.xlsx with survey, choices and settings sheets); a form_id "
            "already here updates that questionnaire. Written all or nothing; every error is printed with its "
            "sheet, row and column and the command exits non-zero.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the XLSForm .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="check and list what would be written; write nothing")
        parser.add_argument("--user", help="username recorded as the importer (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("没有文件 %(path)s") % {"path": path})
        actor = user_named(options["user"])
        try:
            report = questionnaire_import(actor=actor, file=path.read_bytes(), dry_run=options["dry_run"],
                                          name=path.name)
        except ServiceError as error:
            raise CommandError(error.message) from error
        details = report.details
        what = (_("新建问卷 %(form_id)s") if details.get("create") else _("更新问卷 %(form_id)s")) % {
            "form_id": details.get("form_id", "")}
        finish(self, report, dry_run=options["dry_run"],
               done=_("%(what)s，%(count)s 道题") % {"what": what, "count": report.created})
