from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("内容")

    def ready(self) -> None:
        from cms import roles
        from cms.demo import seed_cms
        from cms.signal_handlers import register_signal_handlers
        from core.demo import register_seeder
        from core.nextsteps import register_navigation, register_next_steps

        register_signal_handlers()
        roles.register_roles()
        register_next_steps("cms", roles.next_steps)
        register_navigation("cms", roles.navigation)
        register_seeder("cms", seed_cms, order=20)
