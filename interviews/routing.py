"""WebSocket routes of the interview room (DESIGN.md §4.1) and of its shared documents (§4.2)."""

from django.urls import URLPattern, re_path

from interviews import consumers

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/rooms/(?P<room_id>[0-9a-fA-F-]{32,36})/$", consumers.RoomConsumer.as_asgi()),
    re_path(
        r"^ws/rooms/(?P<room_id>[0-9a-fA-F-]{32,36})/yjs/(?P<doc_name>[a-z]{1,20})/?$", consumers.YjsConsumer.as_asgi()
    ),
]
