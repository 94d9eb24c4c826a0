"""Run the training rules by hand (what the beat runs nightly and each January): to catch up after
the scheduler was down, or to see what a change of programmes would set before it is set.

    manage.py training_rules sync [--employer CODE] [--dry-run]
    manage.py training_rules rollover --year 2027 [--dry-run]
    manage.py training_rules reminders [--dry-run]

--dry-run runs the same service in a transaction that is rolled back, and prints the same counts.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from learning.services.compliance import today_local


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Apply the training rules: sync the rosters, roll a year over, or send the reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync", "rollover", "reminders"])
        parser.add_argument("--employer", default="", help="sync: only this employer (its public code)")
        parser.add_argument("--year", type=int, default=None, help="rollover: the year to set (default: this year)")
        parser.add_argument("--dry-run", action="store_true", help="report what would be done, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                line = self._run(options)
                if options["dry_run"]:
                    raise _DryRun
        except _DryRun:
            line = f"{line} (dry run: nothing was saved or sent)"
        self.stdout.write(line)

    def _run(self, options: dict[str, Any]) -> str:
        from learning.services.programmes import training_rollover, training_sync, training_sync_all
        from learning.services.reminders import training_reminders_send
        from orgs.models import Employer

        action = options["action"]
        if action == "sync":
            if options["employer"]:
                employer = Employer.objects.filter(code=options["employer"]).first()
                if employer is None:
                    raise CommandError(f"no employer has the code {options['employer']!r}")
                result = training_sync(employer=employer)
                return (f"{employer.name}: {result.first} first cycles, {result.annual} annual, "
                        f"{result.changed} after a change, {result.withdrawn} withdrawn")
            return f"all employers: {training_sync_all()} cycles set"
        if action == "rollover":
            year = options["year"] or today_local().year
            if not 2000 <= year <= 2100:
                raise CommandError(f"--year {year} is not a year this platform can roll over to")
            rolled = training_rollover(year=year)
            return f"{year}: {rolled.created} annual cycles set for {rolled.workers_seen} workers seen"
        sent = training_reminders_send()
        return f"reminders: {sent.workers} to workers, {sent.admins} to employer admins"
