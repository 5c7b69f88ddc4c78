"""System checks of recordings: the encryption key must be usable, and set in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from recordings import crypto


@register(Tags.security)
def recording_key_valid(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A RECORDING_KEY (or old key) that is set must be 32 bytes of base64."""
    errors: list[CheckMessage] = []
    values = [("RECORDING_KEY", settings.RECORDING_KEY)] if settings.RECORDING_KEY else []
    values += [("RECORDING_OLD_KEYS", v) for v in crypto._old_key_values()]
    for name, value in values:
        try:
            crypto.key_parse(value)
        except ValueError as exc:
            errors.append(
                Error(
                    f"{name} is not a usable recording key: {exc}",
                    hint="Generate one with `python manage.py generate_recording_key`.",
                    id="recordings.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def recording_key_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off, recordings need their own key (the SECRET_KEY fallback is for development)."""
    if settings.DEBUG or settings.RECORDING_KEY:
        return []
    return [
        Error(
            "RECORDING_KEY is not set: recordings cannot be encrypted.",
            hint="Generate one with `python manage.py generate_recording_key` and put it in the environment.",
            id="recordings.E002",
        )
    ]
