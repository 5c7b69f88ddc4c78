"""WebSocket routes of the interview room (the room and Yjs consumers arrive with the room)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
