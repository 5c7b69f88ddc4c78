"""Realtime events of the bell: the per-user group, payload shapes and the on-commit broadcast.

Domain code calls :func:`notification_push_on_commit` / :func:`unread_push_on_commit`; only this
module and ``consumers.py`` touch Channels (STYLE rule 5). Payloads are JSON of primitives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypedDict

from django.db import transaction

from interviews.events import broadcast

#: frame types the bell socket sends (``{"type": ..., "payload": ...}``)
NOTIFICATION = "notification"
UNREAD = "unread"


class NotificationPayload(TypedDict):
    id: int
    kind: str
    title: str
    body: str
    url: str
    createdAt: str
    unread: int


class UnreadPayload(TypedDict):
    count: int


class NotificationCreated(TypedDict):
    type: Literal["notification.created"]
    payload: NotificationPayload


class UnreadChanged(TypedDict):
    type: Literal["notification.unread"]
    payload: UnreadPayload


def user_group(user_id: int) -> str:
    """The channel-layer group of every bell socket of one user (any tab, any process)."""
    return f"notifications.user.{int(user_id)}"


def notification_push_on_commit(user_id: int, payload_of: Callable[[], NotificationPayload]) -> None:
    """After commit, build the payload (it reads the unread count then) and push it to the user."""

    def push() -> None:
        message: NotificationCreated = {"type": "notification.created", "payload": payload_of()}
        broadcast(user_group(user_id), dict(message))

    transaction.on_commit(push)


def unread_push_on_commit(user_id: int, count_of: Callable[[], int]) -> None:
    """After commit, tell the user's open bells their new unread count."""

    def push() -> None:
        message: UnreadChanged = {"type": "notification.unread", "payload": {"count": count_of()}}
        broadcast(user_group(user_id), dict(message))

    transaction.on_commit(push)
