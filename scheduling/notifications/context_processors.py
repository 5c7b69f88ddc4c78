"""The bell's unread count for every page (queried only when a template shows it)."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from scheduling.notifications.selectors import notification_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "notifications_unread": SimpleLazyObject(lambda: notification_unread_count(actor=user)),
        # the live badge needs WebSockets, which only an ASGI server (daphne) serves; under WSGI
        # the count is the server-rendered one
        "notifications_live": isinstance(request, ASGIRequest),
    }
