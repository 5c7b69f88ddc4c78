"""ASGI entry point: HTTP to Django, WebSockets through origin validation and authentication."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "talentsync.settings")

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from interviews.routing import websocket_urlpatterns  # noqa: E402
from scheduling.notifications.routing import websocket_urlpatterns as notification_urlpatterns  # noqa: E402
from talentsync import daphne_close_codes  # noqa: E402

daphne_close_codes.install()


def build_application(websocket_routes: Sequence[Any]) -> ProtocolTypeRouter:
    """The project's protocol router around ``websocket_routes`` (tests add their own consumer)."""
    return ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(list(websocket_routes)))),
        }
    )


application = build_application([*websocket_urlpatterns, *notification_urlpatterns])
