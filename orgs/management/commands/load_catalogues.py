from django.core.management.base import BaseCommand

from orgs.catalogues import load_catalogues


class Command(BaseCommand):
    help = "Load or refresh the region, industry and hazard-factor catalogues from orgs/catalogues/*.csv."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(str(load_catalogues()))
