"""manage.py bank_export --format xlsx|moodle [--output FILE]: the bank out, for scripted migrations.
Moodle XML goes to standard output when no file is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from exams.models import Category
from exams.services import bank_files


class Command(BaseCommand):
    help = "Export the question bank as the xlsx template (re-importable) or as Moodle XML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=("xlsx", "moodle"))
        parser.add_argument("--output", help="file to write (Moodle XML goes to standard output without it)")
        parser.add_argument("--category", help="only this category path and its sub-categories, e.g. 法律法规")
        parser.add_argument("--active-only", action="store_true", help="leave out questions that are switched off")
        parser.add_argument("--user", help="username recorded as the exporter (for the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("没有用户 %(name)s") % {"name": options["user"]})
        category = None
        if options["category"]:
            category = Category.objects.filter(path=options["category"].strip().strip("/")).first()
            if category is None:
                raise CommandError(_("没有分类 %(path)s") % {"path": options["category"]})
        output = Path(options["output"]) if options["output"] else None
        selection: dict[str, Any] = {"category": category, "active_only": options["active_only"]}
        if options["format"] == "xlsx":
            if output is None:
                raise CommandError(_("xlsx 需要 --output 文件名"))
            with output.open("wb") as stream:
                count = bank_files.bank_export_xlsx(actor=actor, stream=stream, **selection)
            self.stderr.write(_("已导出 %(count)s 道试题到 %(path)s") % {"count": count, "path": output})
            return
        text, count = bank_files.bank_export_moodle(actor=actor, **selection)
        if output is None:
            self.stdout.write(text, ending="")
            return
        output.write_text(text, encoding="utf-8")
        self.stderr.write(_("已导出 %(count)s 道试题到 %(path)s") % {"count": count, "path": output})
