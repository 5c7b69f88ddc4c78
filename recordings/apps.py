from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings and insights")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from recordings import (
            checks,  # noqa: F401  (registers the system checks)
            storage,
        )
        from recordings.insights import receivers
        from recordings.models import Recording

        receivers.connect()  # the AI analysis starts when an interview ends
        # a recording row deleted outright (cascade from its interview, the shell) takes its file along
        post_delete.connect(
            storage.recording_post_delete, sender=Recording, dispatch_uid="recordings.recording_file_remove"
        )
