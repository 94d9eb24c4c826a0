"""manage.py questionnaire_export FORM_ID [--output FILE]: a questionnaire as XLSForm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.audit import audit
from surveys.management.commands.frame_import import user_named
from surveys.models import Questionnaire
from surveys.services.xlsform import questionnaire_xlsform, xlsform_filename


class Command(BaseCommand):
    help = "Write a questionnaire as an XLSForm workbook that pyxform, KoboToolbox and ODK read."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("form_id", help="the questionnaire's form_id")
        parser.add_argument("--output", help="the file to write (default: FORM_ID.xlsx in the current directory)")
        parser.add_argument("--user", help="username recorded as the exporter (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        questionnaire = Questionnaire.objects.filter(form_id=options["form_id"]).first()
        if questionnaire is None:
            raise CommandError(_("没有表单代码为 %(form_id)s 的问卷") % {"form_id": options["form_id"]})
        actor = user_named(options["user"])
        target = Path(options["output"] or xlsform_filename(questionnaire))
        target.write_bytes(questionnaire_xlsform(questionnaire=questionnaire))
        audit(actor, "surveys.questionnaire.export", questionnaire,
              data={"form_id": questionnaire.form_id, "items": questionnaire.items.count(), "file": target.name})
        self.stdout.write(self.style.SUCCESS(_("已写入 %(path)s") % {"path": target}))
