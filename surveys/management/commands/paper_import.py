"""manage.py paper_import WAVE_CODE FILE --user NAME [--dry-run]: paper questionnaires from the
wave's data-entry xlsx, through the same service and checks as the evaluator's page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from surveys.management.commands.frame_import import finish, run, user_named, wave_coded
from surveys.services.paper import paper_import


class Command(BaseCommand):
    help = ("Enter paper questionnaires of a wave from its data-entry template (.xlsx). Every row is checked like "
            "an online response; written all or nothing; every error is printed with its row and column.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave", help="the wave's code")
        parser.add_argument("file", help="the filled-in template .xlsx")
        parser.add_argument("--user", required=True, help="username of the clerk who entered the sheets")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = wave_coded(options["wave"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("没有文件 %(path)s") % {"path": path})
        actor = user_named(options["user"])
        report = run(lambda: paper_import(actor=actor, wave=wave, file=path.read_bytes(), dry_run=options["dry_run"]))
        finish(self, report, dry_run=options["dry_run"],
               done=_("%(count)s 份纸质问卷") % {"count": report.created})
