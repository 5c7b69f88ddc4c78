from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from scheduling import receivers  # noqa: F401  (connects to interviews.signals)
        from scheduling.calendar import receivers as calendar_receivers  # noqa: F401
