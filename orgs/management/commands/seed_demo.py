from django.core.management.base import BaseCommand

from cms.demo import seed_knowledge_base
from orgs.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = ("Seed the demo: four regions, ~20 employers, ~1,000 workers, one login per role, and the "
            "knowledge base with its articles.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args: object, **options: object) -> None:
        result = seed_demo(seed=int(options["seed"]))  # type: ignore[call-overload]
        knowledge = seed_knowledge_base()
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: {result['employers']} employers, {result['workers_created']} workers added, "
            f"{knowledge['articles']} knowledge-base articles. "
            f"Logins (password {DEMO_PASSWORD}): admin, editor, moderator, employer, evaluator, worker 13800000001"
        ))
