"""manage.py frame_import WAVE_CODE FILE [--dry-run] [--user NAME]: a wave's sampling frame from
xlsx, through the same service and checks as the evaluator's page, printing the same errors.

The helpers here (``user_named``, ``finish``) are shared by the other survey file commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ServiceError
from surveys.models import Wave
from surveys.services.frame import frame_import
from surveys.services.imports import ImportReport


def user_named(username: str | None) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("没有用户 %(name)s") % {"name": username})
    return user


def wave_coded(code: str) -> Wave:
    wave = Wave.objects.select_related("region", "questionnaire").filter(code=code).first()
    if wave is None:
        raise CommandError(_("没有调查轮次 %(code)s") % {"code": code})
    return wave


def finish(command: BaseCommand, report: ImportReport, *, dry_run: bool, done: str) -> None:
    """Print the report as the pages list it; exit non-zero when anything was wrong."""
    for line in report.lines():
        command.stdout.write(line)
    if report.errors:
        count = len(report.errors)
        raise CommandError(ngettext("发现 %(count)s 处问题，未写入任何数据", "发现 %(count)s 处问题，未写入任何数据", count)
                           % {"count": count})
    if dry_run:
        command.stdout.write(_("检查通过（未写入）：将%(done)s") % {"done": done})
    else:
        command.stdout.write(command.style.SUCCESS(_("已导入：%(done)s") % {"done": done}))


def run(call: Any) -> ImportReport:
    try:
        result: ImportReport = call()
    except PermissionDenied as error:
        raise CommandError(str(error)) from error
    except ServiceError as error:
        raise CommandError(error.message) from error
    return result


class Command(BaseCommand):
    help = ("Replace a wave's sampling frame with an xlsx (地区代码, 行业代码, 人群, 总体人数, 样本配额). Written all or "
            "nothing; every error is printed with its row and column and the command exits non-zero.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave", help="the wave's code")
        parser.add_argument("file", help="the frame .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument("--user", help="username recorded as the importer (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = wave_coded(options["wave"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("没有文件 %(path)s") % {"path": path})
        actor = user_named(options["user"])
        report = run(lambda: frame_import(actor=actor, wave=wave, file=path.read_bytes(), dry_run=options["dry_run"]))
        finish(self, report, dry_run=options["dry_run"],
               done=_("%(count)s 个抽样层，总体人数合计 %(population)s") % {
                   "count": report.created, "population": report.details.get("population", 0)})
