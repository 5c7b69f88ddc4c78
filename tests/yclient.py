"""A y-websocket protocol client on pycrdt, as the browser's provider behaves (for tests).

It speaks the frames the stock ``y-websocket`` provider sends: on open, its state vector (sync
step 1); it answers the server's step 1 with step 2; local changes go out as sync updates and
awareness as awareness updates. Frames are built by hand from lib0 var-uints so a test can also
send broken ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map, Text, TransactionEvent
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from interviews.realtime import yjs

STEP_TIMEOUT = 10.0


@dataclass
class YClient:
    ws: ClientConnection
    doc: Doc = field(default_factory=Doc)
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    awareness: dict[int, Any] = field(default_factory=dict)
    awareness_changed: asyncio.Event = field(default_factory=asyncio.Event)
    denied: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None
    closed_code: int | None = None
    _remote: bool = False
    _clock: int = 0

    @classmethod
    async def open(cls, base_url: str, room_id: str, token: str | None, doc: str = "code") -> YClient:
        url = base_url.replace("http://", "ws://", 1) + f"/ws/rooms/{room_id}/yjs/{doc}/"
        if token is not None:
            url += f"?token={token}"
        ws = await connect(url, origin=Origin(base_url), proxy=None, open_timeout=STEP_TIMEOUT, max_size=None)
        client = cls(ws=ws)
        client.doc.observe(client._local_change)
        client.reader = asyncio.create_task(client._read())
        await client._send(yjs.sync_message(yjs.SYNC_STEP1, client.doc.get_state()))  # a refused socket is closing
        return client

    def __post_init__(self) -> None:
        # attributes, not properties: ``client.text += "x"`` edits the Y.Text in place
        self.text: Text = self.doc.get("source", type=Text)
        self.board: Map = self.doc.get("elements", type=Map)

    def _local_change(self, event: TransactionEvent) -> None:
        if not self._remote:
            asyncio.get_running_loop().create_task(self._send(yjs.sync_message(yjs.SYNC_UPDATE, event.update)))

    async def _send(self, frame: bytes) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(frame)

    async def send_raw(self, frame: bytes | str) -> None:
        await self.ws.send(frame)

    async def set_awareness(self, state: dict[str, Any] | None) -> None:
        self._clock += 1
        entry = yjs.AwarenessEntry(self.doc.client_id, self._clock, state)
        await self.ws.send(yjs.awareness_message(yjs.encode_awareness([entry])))

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                assert isinstance(frame, bytes), f"the server sent a text frame: {frame!r}"
                message = yjs.parse(frame)
                if message.kind == yjs.MESSAGE_SYNC and message.step == yjs.SYNC_STEP1:
                    await self.ws.send(yjs.sync_message(yjs.SYNC_STEP2, self.doc.get_update(message.body)))
                elif message.kind == yjs.MESSAGE_SYNC:
                    self._remote = True
                    try:
                        self.doc.apply_update(message.body)
                    finally:
                        self._remote = False
                    if message.step == yjs.SYNC_STEP2:
                        self.synced.set()
                    self.changed.set()
                elif message.kind == yjs.MESSAGE_AWARENESS:
                    for entry in yjs.parse_awareness(message.body):
                        self.awareness[entry.client_id] = entry.state
                    self.awareness_changed.set()
                elif message.kind == yjs.MESSAGE_AUTH:
                    self.denied.append(message.body.decode())
                    self.changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closed_code = self.ws.close_code
            self.changed.set()
            self.awareness_changed.set()

    async def wait_for(self, check: Callable[[], bool], *, what: str, event: str = "changed") -> None:
        """Wait (bounded) until ``check()`` holds, re-checking whenever a frame arrives."""
        flag: asyncio.Event = getattr(self, event)
        async with asyncio.timeout(STEP_TIMEOUT):
            while not check():
                if self.closed_code is not None:
                    raise AssertionError(f"closed ({self.closed_code}) while waiting for {what}")
                flag.clear()
                await flag.wait()

    async def wait_closed(self) -> int | None:
        async with asyncio.timeout(STEP_TIMEOUT):
            if self.reader is not None:
                await self.reader
        return self.closed_code

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await self.reader


def awareness_names(client: YClient) -> list[str]:
    return sorted(s["user"]["name"] for s in client.awareness.values() if isinstance(s, dict) and "user" in s)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class RoomSocket:
    """The room's JSON socket (DESIGN.md §4.1), for the messages that drive the editor."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def join(cls, base_url: str, room_id: str, token: str) -> RoomSocket:
        url = base_url.replace("http://", "ws://", 1) + f"/ws/rooms/{room_id}/?token={token}"
        ws = await connect(url, origin=Origin(base_url), proxy=None, open_timeout=STEP_TIMEOUT)
        socket = cls(ws)
        await socket.send("JOIN_ROOM", {"roomId": room_id, "userInfo": {}})
        await socket.expect("ROOM_PEERS")
        return socket

    async def send(self, kind: str, payload: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"type": kind, "payload": payload}))

    async def expect(self, kind: str) -> dict[str, Any]:
        """The payload of the next frame of type ``kind`` (others are skipped), within the timeout."""
        async with asyncio.timeout(STEP_TIMEOUT):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == kind:
                    return dict(frame["payload"])

    async def close(self) -> None:
        await self.ws.close()
