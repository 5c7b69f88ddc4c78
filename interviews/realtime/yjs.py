"""The y-websocket protocol on the server side, and the documents a web process holds open.

Framing (y-protocols): a message is a var-uint type then its body — ``0`` sync (a var-uint step:
1 = state vector, 2 = missing updates, 3 = an update; then a var-length byte string), ``1``
awareness (a var-length byte string: var-uint count, then per client its id, clock and JSON
state as a var-length string), ``2`` auth (``0`` + reason = permission denied), ``3`` query
awareness. pycrdt builds sync messages but its ``Decoder`` does not check bounds and has no
awareness codec, so the reading side is the few strict functions below: every read checks the
buffer, and anything that does not parse exactly is a ``ValueError``.

Each web process keeps one pycrdt ``Doc`` per open room document (:class:`SharedDocument`),
shared by that process's sockets and loaded from the database when the first one connects. The
database is the authority: updates are appended to the log by a background writer (batched, in
order). A process hands an update straight to its own sockets of the document and relays it to
the other processes through the channel layer (not at all with the single-process in-memory
layer), so a process that joins later, or restarts, loads the same state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone
from pycrdt import Doc, TransactionEvent

from interviews.services import documents

logger = logging.getLogger(__name__)

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_AUTH = 2
MESSAGE_QUERY_AWARENESS = 3
SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2
AUTH_PERMISSION_DENIED = 0
#: one process's id on the channel layer: updates from this process are already in its Doc
PROCESS_ID = uuid.uuid4().hex
WRITE_BATCH = 200
#: how long the writer gathers updates before one write: typing makes an update per key, and one
#: transaction per key would keep the database thread (and the GIL) busy while rooms wait
WRITE_GATHER_SECONDS = 0.25
WRITE_RETRY_SECONDS = 1.0


# --- framing ---------------------------------------------------------------------------------
class Reader:
    """Reads lib0 var-uints and var-length strings from a frame, refusing anything truncated."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def var_uint(self) -> int:
        value, shift = 0, 0
        while True:
            if self.at >= len(self.data):
                raise ValueError("truncated var-uint")
            byte = self.data[self.at]
            self.at += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("var-uint too long")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        if length > len(self.data) - self.at:
            raise ValueError("truncated byte string")
        chunk = self.data[self.at : self.at + length]
        self.at += length
        return chunk

    def var_string(self) -> str:
        return self.var_bytes().decode("utf-8")  # UnicodeDecodeError is a ValueError

    def done(self) -> None:
        if self.at != len(self.data):
            raise ValueError("trailing bytes after the message")


def var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(data: bytes) -> bytes:
    return var_uint(len(data)) + data


@dataclass(frozen=True)
class Message:
    kind: int
    step: int | None = None
    body: bytes = b""


def parse(frame: bytes) -> Message:
    """One y-websocket message; ``ValueError`` when the frame is not exactly one message."""
    reader = Reader(frame)
    kind = reader.var_uint()
    if kind == MESSAGE_SYNC:
        step = reader.var_uint()
        if step not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ValueError(f"unknown sync step {step}")
        message = Message(kind, step, reader.var_bytes())
    elif kind == MESSAGE_AWARENESS:
        message = Message(kind, body=reader.var_bytes())
    elif kind == MESSAGE_AUTH:
        reader.var_uint()
        message = Message(kind, body=reader.var_string().encode())
    elif kind == MESSAGE_QUERY_AWARENESS:
        message = Message(kind)
    else:
        raise ValueError(f"unknown message type {kind}")
    reader.done()
    return message


def sync_message(step: int, body: bytes) -> bytes:
    return var_uint(MESSAGE_SYNC) + var_uint(step) + var_bytes(body)


def awareness_message(body: bytes) -> bytes:
    return var_uint(MESSAGE_AWARENESS) + var_bytes(body)


def permission_denied_message(reason: str) -> bytes:
    return var_uint(MESSAGE_AUTH) + var_uint(AUTH_PERMISSION_DENIED) + var_bytes(reason.encode())


@dataclass(frozen=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: Any  # the decoded JSON; None means the client left


def parse_awareness(body: bytes) -> list[AwarenessEntry]:
    reader = Reader(body)
    entries = []
    for _ in range(reader.var_uint()):
        client_id, clock = reader.var_uint(), reader.var_uint()
        entries.append(AwarenessEntry(client_id, clock, json.loads(reader.var_string())))
    reader.done()
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    out = bytearray(var_uint(len(entries)))
    for entry in entries:
        state = json.dumps(entry.state, separators=(",", ":"), ensure_ascii=False).encode()
        out += var_uint(entry.client_id) + var_uint(entry.clock) + var_bytes(state)
    return bytes(out)


# --- the documents this process holds open ------------------------------------------------------
@dataclass(eq=False)
class SharedDocument:
    """One room document as this process holds it, for as long as one of its sockets is open."""

    document_id: int
    doc: Doc = field(default_factory=Doc)
    sockets: int = 0
    #: this process's open sockets of the document (consumers): frames for them skip the channel
    #: layer, which carries only what other processes must see
    local: set[Any] = field(default_factory=set)
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    load_error: BaseException | None = None
    pending: list[tuple[int | None, datetime, bytes]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: the process's one subscription to the document's group (other processes' frames, and the
    #: domain's broadcasts such as the lock and the end of the interview)
    channel: str = ""
    group: str = ""
    layer: Any = None
    listener: asyncio.Task[None] | None = None
    _captured: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.doc.observe(self._capture)

    def _capture(self, event: TransactionEvent) -> None:
        self._captured.append(event.update)

    def apply(self, update: bytes) -> bytes | None:
        """Integrate an update; returns what it changed (None for nothing new). ValueError if bad."""
        self._captured.clear()
        self.doc.apply_update(update)
        changed, self._captured = self._captured, []
        if not changed:
            return None
        return changed[0] if len(changed) == 1 else _merge(changed)

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def missing(self, state_vector: bytes) -> bytes:
        """What a client with ``state_vector`` lacks; ValueError when it is no state vector."""
        return self.doc.get_update(state_vector)

    def record(self, *, author_id: int | None, update: bytes) -> None:
        """Queue an update for the log; the writer appends queued updates in order, in batches."""
        self.pending.append((author_id, timezone.now(), update))
        self.wake.set()

    async def write_pending(self) -> None:
        async with self.lock:  # the writer task and the last socket's release both flush
            while self.pending:
                batch = self.pending[:WRITE_BATCH]
                await database_sync_to_async(documents.document_append)(document_id=self.document_id, updates=batch)
                del self.pending[: len(batch)]

    async def run_writer(self) -> None:
        while True:
            await self.wake.wait()
            await asyncio.sleep(WRITE_GATHER_SECONDS)
            self.wake.clear()
            try:
                await self.write_pending()
            except Exception:  # the database is away: keep the updates and try again
                logger.exception("document %s: writing %d updates failed", self.document_id, len(self.pending))
                await asyncio.sleep(WRITE_RETRY_SECONDS)
                self.wake.set()

    async def listen(self, layer: Any) -> None:
        """Hand what arrives on the document's group to this process's sockets of it."""
        while True:
            message = await layer.receive(self.channel)
            try:
                await self._deliver(message)
            except Exception:  # one bad message must not end the process's subscription
                logger.exception("document %s: delivering %s failed", self.document_id, message.get("type"))

    async def _deliver(self, message: dict[str, Any]) -> None:
        if message.get("process") == PROCESS_ID:
            return  # this process's own frames went to its sockets directly
        kind = message.get("type")
        if kind == "yjs.update":
            self.apply(message["data"])
            frame = sync_message(SYNC_UPDATE, message["data"])
            for socket in list(self.local):
                await socket.send_frame(frame)
            return
        handler = {
            "yjs.awareness": "yjs_awareness",
            "yjs.awareness.query": "yjs_awareness_query",
            "yjs.state": "yjs_state",
            "room.closed": "room_closed",
        }.get(str(kind))
        if handler is not None:
            for socket in list(self.local):
                await getattr(socket, handler)(message)


def _merge(updates: list[bytes]) -> bytes:
    from pycrdt import merge_updates

    return bytes(merge_updates(*updates))


_open: dict[int, SharedDocument] = {}


async def acquire(document_id: int, *, group: str, layer: Any) -> SharedDocument:
    """The process's copy of a document, loaded from the database on first use.

    The first socket also subscribes the process to the document's ``group`` — before loading,
    so an update another process sends meanwhile is not missed (applying it twice is a no-op).
    """
    shared = _open.get(document_id)
    if shared is None:
        shared = _open[document_id] = SharedDocument(document_id)
        shared.sockets += 1
        try:
            shared.channel = await layer.new_channel(prefix="yjs.")
            await layer.group_add(group, shared.channel)
            shared.group, shared.layer = group, layer
            shared.listener = asyncio.create_task(shared.listen(layer))
            state = await database_sync_to_async(documents.document_state)(document_id=document_id)
            shared.apply(state)
        except BaseException as error:
            shared.load_error = error
            shared.loaded.set()
            await release(shared)
            raise
        shared.writer = asyncio.create_task(shared.run_writer())
        shared.loaded.set()
        return shared
    shared.sockets += 1
    await shared.loaded.wait()
    if shared.load_error is not None:
        await release(shared)
        raise RuntimeError("the document could not be loaded") from shared.load_error
    return shared


async def release(shared: SharedDocument) -> None:
    """A socket is done with the document; the last one flushes the log and closes it.

    The log is flushed *before* the document leaves the registry: a socket that connects
    meanwhile reuses this copy instead of loading a database state that lacks the queued updates.
    """
    shared.sockets -= 1
    if shared.sockets > 0:
        return
    try:
        await shared.write_pending()
    except Exception:
        logger.exception("document %s: %d updates could not be written", shared.document_id, len(shared.pending))
    if shared.sockets > 0:  # someone connected while we were writing: they keep it open
        return
    if _open.get(shared.document_id) is shared:
        del _open[shared.document_id]
    for task in (shared.writer, shared.listener):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if shared.channel and shared.layer is not None:
        await shared.layer.group_discard(shared.group, shared.channel)
