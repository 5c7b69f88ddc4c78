"""The bell's socket ``/ws/notifications/`` through ``talentsync.asgi.application``.

Each socket goes through the project's full stack (origin validation, session middleware,
routing, ``NotificationConsumer``, the channel layer, the database). Where a test states that
something is *not* delivered, it then notifies the same socket's own user: the channel layer
keeps the order of messages, so a leaked frame would have arrived before that one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import User
from scheduling.models import NotificationKind
from scheduling.notifications.services import notifications_mark_read, notify
from talentsync.asgi import application
from tests.conftest import Tenant

TIMEOUT = 5
ORIGIN = b"http://localhost"
PATH = "/ws/notifications/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def fresh_channel_layer() -> AsyncIterator[None]:
    """A channel layer made on this test's event loop (channels_redis binds pools to a loop), closed after."""
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    yield
    layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    close_pools = getattr(layer, "close_pools", None)
    if close_pools is not None:
        await close_pools()
    await sync_to_async(connections.close_all)()


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


class Bell:
    def __init__(self, ws: WebsocketCommunicator) -> None:
        self.ws = ws

    async def frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await self.ws.receive_from(timeout=TIMEOUT))
        return frame


@pytest.fixture
async def dial() -> AsyncIterator[Any]:
    opened: list[WebsocketCommunicator] = []

    async def open_socket(cookie: bytes | None) -> tuple[WebsocketCommunicator, bool]:
        headers = [(b"origin", ORIGIN)] + ([(b"cookie", cookie)] if cookie else [])
        ws = WebsocketCommunicator(application, PATH, headers=headers)
        opened.append(ws)
        connected, _code = await ws.connect(timeout=TIMEOUT)
        return ws, connected

    yield open_socket
    for ws in opened:
        if not ws.future.done():
            await ws.disconnect(timeout=TIMEOUT)


async def bell_of(dial: Any, user: User) -> Bell:
    ws, connected = await dial(await sync_to_async(session_cookie)(user))
    assert connected
    bell = Bell(ws)
    first = await bell.frame()
    assert first["type"] == "unread", first
    return bell


def send(user: User, title: str, org: Any) -> None:
    notify(user=user, kind=NotificationKind.REMINDER, title=title, organization=org)


async def test_an_anonymous_socket_is_closed_with_4401(dial: Any) -> None:
    # when
    ws, connected = await dial(None)

    # then
    assert connected
    output = await ws.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": 4401}


async def test_the_socket_starts_with_the_unread_count(acme: Tenant, dial: Any) -> None:
    # given
    user = acme.users["interviewer"]
    for title in ("a", "b"):
        await sync_to_async(send)(user, title, acme.org)

    # when
    ws, connected = await dial(await sync_to_async(session_cookie)(user))

    # then
    assert connected
    assert json.loads(await ws.receive_from(timeout=TIMEOUT)) == {"type": "unread", "payload": {"count": 2}}


async def test_a_notification_reaches_its_users_socket_with_the_new_count(acme: Tenant, dial: Any) -> None:
    # given
    user = acme.users["interviewer"]
    bell = await bell_of(dial, user)

    # when
    await sync_to_async(send)(user, "Interview in 1 hour", acme.org)

    # then
    frame = await bell.frame()
    assert frame["type"] == "notification"
    assert frame["payload"]["title"] == "Interview in 1 hour"
    assert frame["payload"]["kind"] == "reminder"
    assert frame["payload"]["unread"] == 1


async def test_a_notification_never_reaches_another_users_socket(acme: Tenant, globex: Tenant, dial: Any) -> None:
    # given: two users of acme and one of globex are connected
    me = acme.users["interviewer"]
    colleague, stranger = acme.users["recruiter"], globex.users["interviewer"]
    colleague_bell, stranger_bell = await bell_of(dial, colleague), await bell_of(dial, stranger)
    await bell_of(dial, me)

    # when: I get a notification, then each of them gets one of their own
    await sync_to_async(send)(me, "for me only", acme.org)
    await sync_to_async(send)(colleague, "for the colleague", acme.org)
    await sync_to_async(send)(stranger, "for the stranger", globex.org)

    # then: the next frame each of them sees is their own
    assert (await colleague_bell.frame())["payload"]["title"] == "for the colleague"
    assert (await stranger_bell.frame())["payload"]["title"] == "for the stranger"


async def test_every_tab_of_the_user_gets_it(acme: Tenant, dial: Any) -> None:
    # given
    user = acme.users["interviewer"]
    tabs = [await bell_of(dial, user), await bell_of(dial, user)]

    # when
    await sync_to_async(send)(user, "both tabs", acme.org)

    # then
    for tab in tabs:
        assert (await tab.frame())["payload"]["title"] == "both tabs"


async def test_marking_read_elsewhere_updates_the_count(acme: Tenant, dial: Any) -> None:
    # given
    user = acme.users["interviewer"]
    await sync_to_async(send)(user, "a", acme.org)
    bell = await bell_of(dial, user)

    # when
    await sync_to_async(notifications_mark_read)(user=user)

    # then
    assert await bell.frame() == {"type": "unread", "payload": {"count": 0}}


async def test_frames_sent_by_the_client_are_ignored(acme: Tenant, dial: Any) -> None:
    # given
    user = acme.users["interviewer"]
    bell = await bell_of(dial, user)

    # when: the client tries to mark everything read or to subscribe elsewhere
    await bell.ws.send_to(text_data=json.dumps({"type": "subscribe", "payload": {"userId": 1}}))
    await bell.ws.send_to(text_data="not json")
    await sync_to_async(send)(user, "still works", acme.org)

    # then
    assert (await bell.frame())["payload"]["title"] == "still works"
