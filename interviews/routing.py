"""WebSocket routes of the interview room (DESIGN.md §4.1); the Yjs route arrives with the editor."""

from django.urls import URLPattern, re_path

from interviews import consumers

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/rooms/(?P<room_id>[0-9a-fA-F-]{32,36})/$", consumers.RoomConsumer.as_asgi()),
]
