"""Print a new random RECORDING_KEY (32 bytes, base64) for the environment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from recordings import crypto


class Command(BaseCommand):
    help = (
        "Print a new random key for RECORDING_KEY. To rotate, move the current key to "
        "RECORDING_OLD_KEYS (comma-separated) and set the new one as RECORDING_KEY."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(crypto.key_generate())
