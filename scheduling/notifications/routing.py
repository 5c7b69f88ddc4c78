"""WebSocket route of the bell (added to talentsync/asgi.py beside the room's)."""

from django.urls import URLPattern, path

from scheduling.notifications import consumers

websocket_urlpatterns: list[URLPattern] = [
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
]
