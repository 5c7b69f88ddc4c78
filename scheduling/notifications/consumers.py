"""The bell's WebSocket: ``/ws/notifications/`` pushes the logged-in user's new notifications live.

Frames (JSON text, server → client only): ``{"type": "unread", "payload": {"count": n}}`` on
connect and whenever the count changes elsewhere (read in another tab), and
``{"type": "notification", "payload": {id, kind, title, body, url, createdAt, unread}}``.
Only a session may open it (anonymous: closed with 4401); the group is the session user's own,
so nothing a client sends can reach another user's notifications.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from scheduling.notifications import events
from scheduling.notifications.selectors import notification_unread_count

CLOSE_NOT_AUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Relays the session user's notification events from the channel layer to their browser."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        self.group = events.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        count = await database_sync_to_async(notification_unread_count)(actor=user)
        await self.send_json({"type": events.UNREAD, "payload": {"count": count}})

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """The socket is one-way: whatever a client sends is ignored (marking read is a POST form)."""

    async def notification_created(self, event: events.NotificationCreated) -> None:
        await self.send_json({"type": events.NOTIFICATION, "payload": event["payload"]})

    async def notification_unread(self, event: events.UnreadChanged) -> None:
        await self.send_json({"type": events.UNREAD, "payload": event["payload"]})
