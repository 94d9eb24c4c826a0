"""Seed the demo: every app's seeder, in order (orgs' employers and rosters before the knowledge
base, the knowledge base before courses and exams). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.demo import registered_seeders


class Command(BaseCommand):
    help = "Seed the demo through the services of every app (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for seeder in registered_seeders():
            result = seeder.run()
            summary = ", ".join(f"{key}={value}" for key, value in result.items())
            self.stdout.write(f"{seeder.name}: {summary}")
        self.stdout.write(self.style.SUCCESS("demo ready"))
