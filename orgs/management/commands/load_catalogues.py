from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from orgs.catalogues import PARTS, Changes, load_catalogues


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = ("Load or refresh the national catalogues from orgs/catalogues/*.csv (regions, industries, hazard "
            "factors, occupational diseases). Run twice, the second run changes nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would change and change nothing.")
        parser.add_argument("--only", choices=PARTS, action="append", help="Load only this catalogue (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        parts = tuple(options["only"] or PARTS)
        report: dict[str, Changes] = {}
        try:
            with transaction.atomic():
                report = load_catalogues(parts=parts)
                if options["dry_run"]:
                    raise _DryRun
        except _DryRun:
            self.stdout.write("Dry run: nothing was written.")
        for part, changes in report.items():
            self.stdout.write(f"{part}: {changes.rows} rows, {changes.created} created, {changes.updated} updated, "
                              f"{len(changes.retired)} retired")
            for old, new in changes.renamed:
                self.stdout.write(f"  renamed {old} -> {new} (the old name stays recognised)")
            for old, new in changes.merged:
                self.stdout.write(f"  merged {old} into {new}")
            for name in changes.retired:
                self.stdout.write(f"  retired {name} (no longer in the catalogue; kept for what points at it)")
        if not any(changes.changed for changes in report.values()):
            self.stdout.write("Nothing to change.")
