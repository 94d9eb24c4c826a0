from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChampionsConfig(AppConfig):
    name = "champions"
    verbose_name = _("职业健康达人")

    def ready(self) -> None:
        from champions.roles import register_roles

        register_roles()
