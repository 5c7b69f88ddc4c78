"""The WebSocket stack of ``talentsync.asgi``: origin validation, session authentication, channel layer.

Every socket goes through ``build_application`` (the project's own router and middleware) with a
small consumer defined here, so the tests exercise the real stack and not the consumer alone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import path

from accounts.models import User
from talentsync.asgi import build_application
from tests.conftest import Tenant

ALLOWED_ORIGIN = b"http://localhost"
NOT_AUTHENTICATED = 4401
# A socket refused by AllowedHostsOriginValidator is closed before any consumer runs; the test
# communicator reports that handshake rejection (HTTP 403 under daphne) as close code 1000.
HANDSHAKE_REJECTED = 1000


class WhoAmIConsumer(AsyncJsonWebsocketConsumer):
    """Accept signed-in users only and tell them who the server thinks they are."""

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=NOT_AUTHENTICATED)
            return
        await self.accept()
        await self.send_json({"email": user.email})


class GroupEchoConsumer(AsyncJsonWebsocketConsumer):
    """Join the group named in the URL; relay what a member sends to every member, stamped by the server."""

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=NOT_AUTHENTICATED)
            return
        self.group = f"test.{self.scope['url_route']['kwargs']['group']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": "group.message", "text": str(content["text"]), "from": self.scope["user"].email}
        )

    async def group_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"text": event["text"], "from": event["from"]})


application = build_application(
    [
        path("ws/test/", WhoAmIConsumer.as_asgi()),
        path("ws/test/group/<slug:group>/", GroupEchoConsumer.as_asgi()),
    ]
)


def session_cookie(user: User) -> bytes:
    """A ``Cookie`` header value carrying a real, stored session of ``user``."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(route: str, *, origin: bytes | None, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, route, headers=headers)


@pytest.fixture(autouse=True)
async def close_connections_of_the_async_stack() -> AsyncIterator[None]:
    """Close what the middleware opened in asgiref's worker thread, so the test database can be dropped."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def interviewer(acme: Tenant) -> User:
    return acme.users["interviewer"]


@pytest.fixture
def interviewer_cookie(interviewer: User) -> bytes:
    return session_cookie(interviewer)


@pytest.mark.django_db(transaction=True)
async def test_socket_without_origin_is_refused_even_with_a_valid_session(interviewer_cookie: bytes) -> None:
    # given: a signed-in user's cookie but no Origin header
    ws = communicator("/ws/test/", origin=None, cookie=interviewer_cookie)

    # when
    connected, code = await ws.connect()

    # then
    assert (connected, code) == (False, HANDSHAKE_REJECTED)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_from_a_foreign_origin_is_refused_even_with_a_valid_session(interviewer_cookie: bytes) -> None:
    # given: a page on another site replaying the user's cookie
    ws = communicator("/ws/test/", origin=b"http://evil.example", cookie=interviewer_cookie)

    # when
    connected, code = await ws.connect()

    # then
    assert (connected, code) == (False, HANDSHAKE_REJECTED)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_from_an_allowed_origin_with_a_session_sees_the_signed_in_user(
    interviewer: User, interviewer_cookie: bytes
) -> None:
    # given
    ws = communicator("/ws/test/", origin=ALLOWED_ORIGIN, cookie=interviewer_cookie)

    # when
    connected, _ = await ws.connect()

    # then
    assert connected
    assert await ws.receive_json_from(timeout=5) == {"email": interviewer.email}
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_socket_from_an_allowed_origin_is_closed_with_4401() -> None:
    # given: the right origin but no session
    ws = communicator("/ws/test/", origin=ALLOWED_ORIGIN)

    # when
    connected, code = await ws.connect()

    # then
    assert (connected, code) == (False, NOT_AUTHENTICATED)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_with_a_forged_session_id_is_anonymous(interviewer_cookie: bytes) -> None:
    # given: a session cookie that names no stored session
    forged = f"{settings.SESSION_COOKIE_NAME}={uuid.uuid4().hex}".encode()
    ws = communicator("/ws/test/", origin=ALLOWED_ORIGIN, cookie=forged)

    # when
    connected, code = await ws.connect()

    # then
    assert (connected, code) == (False, NOT_AUTHENTICATED)
    await ws.disconnect()


# --- real Redis channel layer -----------------------------------------------------------
@pytest.fixture
def candidate_cookie(acme: Tenant) -> bytes:
    return session_cookie(acme.users["candidate"])


async def connected(ws: WebsocketCommunicator) -> WebsocketCommunicator:
    ok, code = await ws.connect()
    assert ok, f"socket refused with {code}"
    return ws


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_two_consumers_exchange_a_group_message_through_redis(
    interviewer: User, interviewer_cookie: bytes, candidate_cookie: bytes
) -> None:
    # given: two users' sockets in the same group on the Redis channel layer
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    route = f"/ws/test/group/{uuid.uuid4().hex}/"
    sender = await connected(communicator(route, origin=ALLOWED_ORIGIN, cookie=interviewer_cookie))
    receiver = await connected(communicator(route, origin=ALLOWED_ORIGIN, cookie=candidate_cookie))

    # when
    await sender.send_json_to({"text": "hello over redis"})

    # then: the other consumer relays it, stamped with the sender the server authenticated
    assert await receiver.receive_json_from(timeout=5) == {"text": "hello over redis", "from": interviewer.email}
    assert await sender.receive_json_from(timeout=5) == {"text": "hello over redis", "from": interviewer.email}
    await sender.disconnect()
    await receiver.disconnect()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_group_send_from_outside_reaches_a_connected_socket_through_redis(candidate_cookie: bytes) -> None:
    # given: a socket in a group, and a sender that is not a consumer (as domain broadcasts are)
    group = uuid.uuid4().hex
    ws = await connected(communicator(f"/ws/test/group/{group}/", origin=ALLOWED_ORIGIN, cookie=candidate_cookie))
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisPubSubChannelLayer"

    # when
    await layer.group_send(f"test.{group}", {"type": "group.message", "text": "room closed", "from": "system"})

    # then
    assert await ws.receive_json_from(timeout=5) == {"text": "room closed", "from": "system"}
    await ws.disconnect()
