"""The one ``ApplicationError`` family, mapped once for the API (and later the room socket)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the domain was broken; ``code`` is stable, ``message`` is for people."""

    code = "application_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}


class NotAllowed(ApplicationError):
    code = "forbidden"
    status = 403


class StateError(ApplicationError):
    code = "invalid_state"
    status = 409


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors onto DRF responses with ``{code, message, extra}``."""
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if isinstance(exc, ApplicationError):
        return Response({"code": exc.code, "message": exc.message, "extra": exc.extra}, status=exc.status)
    return exception_handler(exc, context)
