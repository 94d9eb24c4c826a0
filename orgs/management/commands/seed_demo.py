from django.core.management.base import BaseCommand

from orgs.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Seed the demo: four regions, ~20 employers, ~1,000 workers and one login per role."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args: object, **options: object) -> None:
        result = seed_demo(seed=int(options["seed"]))  # type: ignore[call-overload]
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: {result['employers']} employers, {result['workers_created']} workers added. "
            f"Logins (password {DEMO_PASSWORD}): admin, editor, moderator, employer, evaluator, worker 13800000001"
        ))
