"""Signaling relay benchmark of the interview room (DESIGN.md §4.1); ``make bench`` runs it.

For 1, 10 and 100 rooms of two peers it measures, against
  (a)  our daphne with the in-memory channel layer,
  (b)  our daphne with the Redis channel layer as in production (talentsync/settings.py: Redis pub/sub),
  (b') on request (--servers ...,redis-core): channels_redis' list-based core layer, for comparison,
  (c)  a Socket.IO room relay in Node (bench/socketio_relay.js; socket.io installed into a temporary
       folder), the usual choice for this job, as the point of comparison:

* one-way relay latency p50/p99: each peer sends OFFER / ICE_CANDIDATE frames to the other
  (``targetId``) at a steady rate, every server at its default limits (ours: 50 frames/s, burst
  100 per socket). The sender writes ``time.perf_counter_ns()`` into the frame; the receiver, in the
  same process, subtracts it on arrival;
* sustained throughput: each direction keeps a fixed window of frames in flight. Our daphne is
  started for this phase with ROOM_RATE_PER_SECOND / ROOM_RATE_BURST raised, or the limiter would
  cap every socket at 50 frames/s; the output says so;
* correctness: every frame carries its room and a sequence number. A frame arriving at a peer of
  another room, from anyone but the room's other peer, or addressed to someone else is misrouted; a
  frame that has not arrived once deliveries stop is lost (one still queued in an overloaded server
  30 s after the senders stopped is counted apart); duplicates and reordering are counted; so are
  ERROR frames and sockets the server closed.

All peers run in this one Python process (asyncio): our server through ``websockets``, the Socket.IO
relay through the python-socketio AsyncClient (WebSocket transport), with the same frames (same JSON
shape and size). CPU use of the server, of Redis and of this client is printed with each row, so a
row limited by the client shows it.

The bench makes its own data in a temporary SQLite file (bench/_setup_rooms.py), uses Redis database
12 (``BENCH_REDIS_URL`` to change it) under a key prefix of its own, listens on 127.0.0.1 only,
bounds every loop and wait, and stops every process it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import socketio
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
SOCKET_IO_VERSION = "4.8.4"
ROOM_COUNTS = (1, 10, 100)
RATES = (1.0, 10.0)  # frames/s per peer in the latency phase: a steady room, a call being set up
LATENCY_TARGET_MS = 10.0
RAISED_RATE = "100000"  # frames/s and burst of our daphne in the throughput phase
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
STEP_TIMEOUT = 15.0  # connect, join, close, a window slot: any single wait
DRAIN_STALL = 3.0  # after the senders stop: nothing arrived for this long, what is missing is lost
DRAIN_CAP = 30.0  # frames still arriving after this long are counted as queued (an overloaded server)
OFFER_EVERY = 10  # one OFFER (SDP ~2 KB) for nine ICE_CANDIDATE frames (~0.3 KB)

CANDIDATE = (
    "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 "
    "generation 0 ufrag EsAw network-id 1 network-cost 10"
)
FINGERPRINT = "a=fingerprint:sha-256 " + ":".join(f"{(i * 37) % 256:02X}" for i in range(32))
SDP = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS 7c1a0a2e-5d0b-4f38-9a57-d7a3c1f0b6a2",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle",
        FINGERPRINT,
        "a=setup:actpass",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=sendrecv",
        "a=msid:7c1a0a2e-5d0b-4f38-9a57-d7a3c1f0b6a2 1f0b6a27-c1a0-4a2e-9d0b-4f389a57d7a3",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2",
        "a=fmtp:63 111/111",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=ssrc:3735928559 cname:Yq6Sx1F2pYwGmC9a",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle",
        FINGERPRINT,
        "a=setup:actpass",
        "a=mid:1",
        "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=sendrecv",
        "a=msid:7c1a0a2e-5d0b-4f38-9a57-d7a3c1f0b6a2 9a57d7a3-1f0b-4a27-8c1a-0a2e5d0b4f38",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 goog-remb",
        "a=rtcp-fb:96 transport-cc",
        "a=rtcp-fb:96 ccm fir",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:102 H264/90000",
        "a=rtcp-fb:102 goog-remb",
        "a=rtcp-fb:102 transport-cc",
        "a=rtcp-fb:102 nack pli",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        "a=rtpmap:103 rtx/90000",
        "a=fmtp:103 apt=102",
        "a=rtpmap:104 VP9/90000",
        "a=fmtp:104 profile-id=0",
        "a=rtpmap:105 rtx/90000",
        "a=fmtp:105 apt=104",
        "a=ssrc-group:FID 2882400001 2882400002",
        "a=ssrc:2882400001 cname:Yq6Sx1F2pYwGmC9a",
        "a=ssrc:2882400002 cname:Yq6Sx1F2pYwGmC9a",
        "",
    ]
)


# --- what the peers send and check ---------------------------------------------------------------
def signal_frame(*, room: int, seq: int, target_id: str) -> dict[str, Any]:
    """An OFFER or ICE_CANDIDATE frame as the room page sends it, stamped for the bench."""
    stamp = {"room": room, "seq": seq, "t": time.perf_counter_ns()}
    if seq % OFFER_EVERY == 0:
        return {
            "type": "OFFER",
            "payload": {"sdp": {"type": "offer", "sdp": SDP, "bench": stamp}, "targetId": target_id},
        }
    candidate = {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "EsAw", "bench": stamp}
    return {"type": "ICE_CANDIDATE", "payload": {"candidate": candidate, "targetId": target_id}}


@dataclass(eq=False)
class Peer:
    """One side of a room: what it sent, and everything it received checked against the room."""

    room: int
    self_id: str = ""
    partner: Peer | None = None
    known: set[str] = field(default_factory=set)  # peer ids this socket was told are in its room
    sent: int = 0
    received: int = 0
    seen: set[int] = field(default_factory=set)
    next_seq: int = 0
    duplicates: int = 0
    reordered: int = 0
    misrouted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    arrivals: list[tuple[int, int]] = field(default_factory=list)  # (arrival ns, latency ns)
    window: asyncio.Semaphore | None = None  # frames this peer may still have in flight (throughput)

    def deliver(self, frame: Any) -> None:
        """A relayed OFFER / ICE_CANDIDATE arrived at this peer."""
        now = time.perf_counter_ns()
        payload = frame.get("payload") if isinstance(frame, dict) else None
        if not isinstance(payload, dict):
            self.misrouted += 1
            return
        body = payload.get("sdp") if frame.get("type") == "OFFER" else payload.get("candidate")
        stamp = body.get("bench") if isinstance(body, dict) else None
        partner = self.partner
        if (
            not isinstance(stamp, dict)
            or partner is None
            or stamp.get("room") != self.room
            or payload.get("fromId") != partner.self_id
            or payload.get("targetId") != self.self_id
        ):
            self.misrouted += 1
            return
        seq = stamp["seq"]
        if seq in self.seen:
            self.duplicates += 1
            return
        self.seen.add(seq)
        if seq != self.next_seq:
            self.reordered += 1
        self.next_seq = max(self.next_seq, seq + 1)
        self.received += 1
        self.arrivals.append((now, now - stamp["t"]))
        if partner.window is not None:
            partner.window.release()

    def note_error(self, payload: Any) -> None:
        """The server refused a frame of this peer (an ERROR frame): count it, free its window slot."""
        code = payload.get("code") if isinstance(payload, dict) else None
        self.errors[str(code)] += 1
        if self.window is not None:
            self.window.release()


class Link(Protocol):
    """One peer's connection to the server under test."""

    async def open(self) -> None: ...
    async def join(self) -> None: ...
    async def send(self, frame: dict[str, Any]) -> None: ...
    async def close(self) -> None: ...
    def down(self) -> bool: ...  # the server ended the connection


class RoomSocketLink:
    """Our room socket: ``/ws/rooms/<room>/?token=...``, JOIN_ROOM, then relayed frames."""

    def __init__(self, base_url: str, room_id: str, token: str, peer: Peer) -> None:
        self.base_url, self.room_id, self.token, self.peer = base_url, room_id, token, peer
        self.ws: ClientConnection
        self.reader: asyncio.Task[None] | None = None
        self.closing = False

    async def open(self) -> None:
        url = f"{self.base_url.replace('http://', 'ws://', 1)}/ws/rooms/{self.room_id}/?token={self.token}"
        self.ws = await connect(
            url, origin=Origin(self.base_url), proxy=None, compression=None, open_timeout=STEP_TIMEOUT
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):  # a closed socket ends the reader; counted below
            async for raw in self.ws:
                frame = json.loads(raw)
                kind, payload = frame.get("type"), frame.get("payload") or {}
                if kind in ("OFFER", "ICE_CANDIDATE"):
                    self.peer.deliver(frame)
                elif kind == "ROOM_PEERS":
                    self.peer.known.update(p["userId"] for p in payload["peers"])
                    self.peer.self_id = payload["selfId"]
                elif kind == "USER_JOINED":
                    self.peer.known.add(payload["userId"])
                elif kind == "ERROR":
                    self.peer.note_error(payload)
        if not self.closing:
            self.peer.errors[f"closed_{self.ws.close_code}"] += 1

    async def join(self) -> None:
        await self.ws.send(json.dumps({"type": "JOIN_ROOM", "payload": {"roomId": self.room_id, "userInfo": {}}}))

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        self.closing = True
        if self.reader is not None:  # set once the socket is open
            await self.ws.close()
            await self.reader

    def down(self) -> bool:
        return self.reader is not None and self.reader.done()


class SocketIOLink:
    """The Socket.IO relay: ``join`` with an acknowledgement, then ``signal`` events."""

    def __init__(self, base_url: str, room_id: str, token: str, peer: Peer) -> None:
        self.base_url, self.room_id, self.peer = base_url, room_id, peer
        self.closing = False
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("signal", self.peer.deliver)
        self.sio.on("ERROR", self.peer.note_error)
        self.sio.on("USER_JOINED", lambda payload: self.peer.known.add(payload["userId"]))
        self.sio.on("disconnect", self._disconnected)

    def _disconnected(self, reason: Any = None) -> None:
        if not self.closing:
            self.peer.errors["disconnected"] += 1

    async def open(self) -> None:
        await self.sio.connect(self.base_url, transports=["websocket"], wait_timeout=STEP_TIMEOUT)

    async def join(self) -> None:
        reply = await self.sio.call("join", self.room_id, timeout=STEP_TIMEOUT)
        if "error" in reply:
            raise RuntimeError(f"the Socket.IO relay refused a join: {reply}")
        self.peer.known.update(reply["peers"])
        self.peer.self_id = reply["selfId"]

    async def send(self, frame: dict[str, Any]) -> None:
        await self.sio.emit("signal", frame)

    async def close(self) -> None:
        self.closing = True
        await self.sio.disconnect()

    def down(self) -> bool:
        return self.peer.errors["disconnected"] > 0


LinkFactory = Callable[[str, str, Peer], Link]


# --- one measured run ----------------------------------------------------------------------------
@dataclass
class RunResult:
    sent: int
    received: int
    lost: int
    queued: int  # not delivered yet when the bench stopped waiting, deliveries still going on
    misrouted: int
    duplicates: int
    reordered: int
    errors: Counter[str]
    latencies_ns: list[int]
    seconds: float
    per_second: float  # frames delivered while the senders ran, per second
    server_cpu: float
    redis_cpu: float | None
    client_cpu: float

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(1, -(-len(ordered) * int(q * 1000) // 1000))  # ceil(q * n), q in thousandths
        return ordered[min(rank, len(ordered)) - 1] / 1e6

    @property
    def broken(self) -> bool:
        """Frames lost, misrouted, duplicated, refused by the server, or sockets it closed."""
        return bool(self.lost or self.misrouted or self.duplicates or self.errors)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _wait_for(condition: Callable[[], bool], what: str, within: float = STEP_TIMEOUT) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {within} s")
        await asyncio.sleep(0.005)


async def _connect_rooms(
    rooms: list[dict[str, str]], make_link: LinkFactory
) -> tuple[list[tuple[Peer, Link]], list[tuple[Peer, Peer]]]:
    """Open both sockets of every room and join them: the interviewer first, then the candidate.

    A room whose peers do not meet (a socket refused or closed by the server, no reply in time) is
    left out of the run and counted in ``join_failed`` on its interviewer.
    """
    links: list[tuple[Peer, Link]] = []
    pairs: list[tuple[Peer, Peer]] = []
    gate = asyncio.Semaphore(10)  # joins write to the database: a few at a time

    async def one_room(index: int, room: dict[str, str]) -> None:
        lead, cand = Peer(room=index), Peer(room=index)
        lead.partner, cand.partner = cand, lead
        lead_link = make_link(room["room"], room["lead"], lead)
        cand_link = make_link(room["room"], room["candidate"], cand)
        links.extend([(lead, lead_link), (cand, cand_link)])

        async def until(condition: Callable[[], bool], what: str) -> None:
            await _wait_for(lambda: condition() or lead_link.down() or cand_link.down(), what)
            if lead_link.down() or cand_link.down():
                raise ConnectionError(f"the server closed a socket before the {what}")

        try:
            async with gate:
                await lead_link.open()
                await lead_link.join()
                await until(lambda: bool(lead.self_id), "ROOM_PEERS of the interviewer")
                await cand_link.open()
                await cand_link.join()
                await until(
                    lambda: bool(cand.self_id) and cand.self_id in lead.known and lead.self_id in cand.known,
                    "meeting of the two peers",
                )
        except Exception:  # counted; the run goes on with the rooms that met
            lead.errors["join_failed"] += 1
        else:
            pairs.append((lead, cand))

    await asyncio.gather(*(one_room(index, room) for index, room in enumerate(rooms)))
    return links, pairs


async def _drain(peers: list[Peer]) -> bool:
    """Wait for the frames in flight; True when they were still arriving at ``DRAIN_CAP``."""
    started = last_progress = time.monotonic()
    delivered = -1
    while any(p.partner and p.received < p.partner.sent for p in peers):
        now = time.monotonic()
        total = sum(p.received for p in peers)
        if total != delivered:
            delivered, last_progress = total, now
        elif now - last_progress > DRAIN_STALL:
            return False
        if now - started > DRAIN_CAP:
            return True
        await asyncio.sleep(0.05)
    return False


async def measure(
    rooms: list[dict[str, str]],
    make_link: LinkFactory,
    *,
    seconds: float,
    rate: float | None,
    window: int | None,
    server_pid: int,
    redis_pid: int | None,
    during_load: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
) -> RunResult:
    """Send for ``seconds``: ``rate`` frames/s per peer (latency), or ``window`` in flight (throughput)."""
    links, pairs = await _connect_rooms(rooms, make_link)
    peers = [peer for pair in pairs for peer in pair]
    link_of = {id(peer): link for peer, link in links}
    for peer in peers:
        peer.window = asyncio.Semaphore(window) if window else None
    stalled = 0
    loop = asyncio.get_running_loop()

    async def sender(peer: Peer, partner: Peer) -> None:
        nonlocal stalled
        link = link_of[id(peer)]
        next_at = start + (random.random() / rate if rate else 0)  # noqa: S311 - spreading, not security
        while next_at < stop:
            if peer.window is None:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                next_at += 1 / (rate or 1)
            else:
                try:
                    await asyncio.wait_for(peer.window.acquire(), STEP_TIMEOUT)
                except TimeoutError:
                    stalled += 1
                    return
                next_at = loop.time()
            try:
                await link.send(signal_frame(room=peer.room, seq=peer.sent, target_id=partner.self_id))
            except Exception as error:  # the server closed this socket: this peer stops, the row says so
                peer.errors[f"send_{type(error).__name__}"] += 1
                return
            peer.sent += 1

    cpu_before = (cpu_seconds(server_pid), cpu_seconds(redis_pid), time.process_time())
    wall_before = time.perf_counter()
    start = loop.time()
    stop = start + seconds
    with during_load():
        await asyncio.gather(*(sender(a, b) for a, b in pairs), *(sender(b, a) for a, b in pairs))
    wall = time.perf_counter() - wall_before
    cpu_after = (cpu_seconds(server_pid), cpu_seconds(redis_pid), time.process_time())
    still_arriving = await _drain(peers)
    closing = asyncio.gather(*(link.close() for _peer, link in links), return_exceptions=True)
    await asyncio.wait_for(closing, STEP_TIMEOUT)

    # latencies of what arrived after the first tenth of the run (connections warm up)
    begin_ns, end_ns = int(wall_before * 1e9), int((wall_before + wall) * 1e9)
    warm_ns = begin_ns + int(seconds * 1e8)
    errors: Counter[str] = Counter()
    for peer, _link in links:
        errors.update(peer.errors)
    if stalled:
        errors["window_stalled"] += stalled
    missing = sum(p.partner.sent - p.received for p in peers if p.partner)
    return RunResult(
        sent=sum(p.sent for p in peers),
        received=sum(p.received for p in peers),
        lost=0 if still_arriving else missing,
        queued=missing if still_arriving else 0,
        misrouted=sum(p.misrouted for p in peers),
        duplicates=sum(p.duplicates for p in peers),
        reordered=sum(p.reordered for p in peers),
        errors=errors,
        latencies_ns=[lat for p in peers for (arrived, lat) in p.arrivals if arrived >= warm_ns],
        seconds=wall,
        per_second=sum(1 for p in peers for (arrived, _) in p.arrivals if begin_ns <= arrived <= end_ns) / wall,
        server_cpu=(cpu_after[0] - cpu_before[0]) / wall,
        redis_cpu=(cpu_after[1] - cpu_before[1]) / wall if redis_pid else None,
        client_cpu=(cpu_after[2] - cpu_before[2]) / wall,
    )


# --- the servers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Server:
    key: str
    label: str
    redis_query: str | None = None  # None: no Redis; "": the production settings; else added to the URL
    env: tuple[tuple[str, str], ...] = ()  # extra environment of our daphne

    @property
    def ours(self) -> bool:
        return self.key != "socketio"


SERVERS = {
    s.key: s
    for s in (
        Server("memory", "(a)  daphne, in-memory layer"),
        Server("redis", "(b)  daphne, Redis pub/sub layer", redis_query=""),
        Server("redis-core", "(b') daphne, Redis core layer", redis_query="", env=(("CHANNEL_LAYER_BACKEND", "core"),)),
        Server("socketio", f"(c)  socket.io {SOCKET_IO_VERSION}, Node"),
    )
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(
    name: str, command: list[str], *, env: dict[str, str], cwd: Path, port: int, logs: Path
) -> Iterator[tuple[str, int, Path]]:
    """Run ``command`` until the block ends; yields its URL, pid and log once it listens on ``port``."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not listen on {port} within 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        try:
            yield f"http://127.0.0.1:{port}", process.pid, log
        except BaseException:
            print(f"--- the end of {name}'s log ---\n{log.read_text(errors='replace')[-4000:]}", file=sys.stderr)
            raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Bench:
    tmp: Path
    args: argparse.Namespace
    redis_url: str | None
    prefix: str = field(default_factory=lambda: f"talentsync-bench-{os.getpid()}")
    rooms: list[dict[str, str]] = field(default_factory=list)

    @property
    def logs(self) -> Path:
        path = self.tmp / "logs"
        path.mkdir(exist_ok=True)
        return path

    def django_env(self, **extra: str) -> dict[str, str]:
        """The environment of our processes: the temporary database and folder, never the real ones."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ROOM_"))}
        env.update(
            DEBUG="0",
            SECRET_KEY="bench-" + "k" * 50,
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL="http://127.0.0.1",
            DATABASE_URL=f"sqlite:///{self.tmp / 'bench.sqlite3'}",
            VAR_DIR=str(self.tmp / "var"),
            REDIS_URL="",
            CELERY_BROKER_URL="filesystem://",
            CHANNEL_LAYER_PREFIX=f"{self.prefix}:asgi",
            CACHE_KEY_PREFIX=self.prefix,
            LOG_LEVEL="INFO",  # channels_redis says at INFO when it drops a frame over capacity
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def create_rooms(self, count: int) -> None:
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "bench" / "_setup_rooms.py"), str(count)],
            cwd=ROOT,
            env=self.django_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"setting up the rooms failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        self.rooms = json.loads(done.stdout.strip().splitlines()[-1])

    @contextlib.contextmanager
    def daphne(self, server: Server, phase: str) -> Iterator[tuple[str, int, Path]]:
        port = free_port()
        extra: dict[str, str] = {}
        if server.redis_query is not None and self.redis_url:
            separator = "&" if "?" in self.redis_url else "?"
            extra["REDIS_URL"] = self.redis_url + (separator + server.redis_query if server.redis_query else "")
        if phase == "throughput":
            extra.update(ROOM_RATE_PER_SECOND=RAISED_RATE, ROOM_RATE_BURST=RAISED_RATE)
        # a prefix per server: what one leaves in Redis (groups of its sockets, queued frames) never
        # reaches the next one
        extra["CHANNEL_LAYER_PREFIX"] = f"{self.prefix}-{server.key}-{phase}:asgi"
        extra.update(server.env)
        extra.update(self.args.server_env)
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), self.args.asgi_app]
        env = self.django_env(**extra)
        with serving(f"{server.key}-{phase}", command, env=env, cwd=ROOT, port=port, logs=self.logs) as running:
            yield running

    @contextlib.contextmanager
    def socketio_relay(self) -> Iterator[tuple[str, int, Path]]:
        folder = self.tmp / "socketio-relay"
        folder.mkdir(exist_ok=True)
        (folder / "package.json").write_text('{"private": true}\n')
        npm, node = shutil.which("npm"), shutil.which("node")
        if not npm or not node:
            raise RuntimeError("node and npm are needed for the Socket.IO comparison")
        done = subprocess.run(  # noqa: S603
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", f"socket.io@{SOCKET_IO_VERSION}"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm install socket.io failed:\n{done.stderr[-3000:]}")
        shutil.copy(ROOT / "bench" / "socketio_relay.js", folder / "socketio_relay.js")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
        with serving(
            "socketio", [node, "socketio_relay.js", str(port)], env=env, cwd=folder, port=port, logs=self.logs
        ) as running:
            yield running

    def redis_pid(self) -> int | None:
        if not self.redis_url:
            return None
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.info("server")["process_id"])
        finally:
            client.close()

    def forget_redis_keys(self) -> None:
        if not self.redis_url:
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@contextlib.contextmanager
def profiling(args: argparse.Namespace, pid: int, label: str) -> Iterator[None]:
    """With ``--profile DIR``, sample the server with py-spy while the load runs (its figures then suffer)."""
    spy = shutil.which("py-spy", path=args.py_spy_path) if args.profile else None
    if not spy:
        yield
        return
    out = Path(args.profile) / f"{label}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603
        [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # let py-spy attach before the load starts
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its samples and exits
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the report ----------------------------------------------------------------------------------
COLUMNS = (
    ("server", 31),
    ("rooms", 5),
    ("phase", 10),
    ("load", 10),
    ("n", 6),
    ("p50 ms", 8),
    ("p99 ms", 8),
    ("max ms", 8),
    ("msg/s", 6),
    ("sent", 6),
    ("recv", 6),
    ("lost", 5),
    ("queued", 6),
    ("misr", 4),
    ("dup", 4),
    ("reord", 5),
    ("srv cpu", 7),
    ("redis", 5),
    ("client", 6),
    ("errors", 6),
)


def row(values: list[str]) -> str:
    return "  ".join(
        value if i == len(COLUMNS) - 1 else value.rjust(width) if i else value.ljust(width)
        for i, ((_, width), value) in enumerate(zip(COLUMNS, values, strict=True))
    )


def format_result(server: Server, rooms: int, phase: str, load: str, result: RunResult) -> str:
    errors = ",".join(f"{code}:{n}" for code, n in sorted(result.errors.items())) or "0"
    return row(
        [
            server.label,
            str(rooms),
            phase,
            load,
            str(len(result.latencies_ns)),
            f"{result.percentile(0.50):.2f}",
            f"{result.percentile(0.99):.2f}",
            f"{max(result.latencies_ns, default=0) / 1e6:.1f}",
            f"{result.per_second:.0f}",
            str(result.sent),
            str(result.received),
            str(result.lost),
            str(result.queued),
            str(result.misrouted),
            str(result.duplicates),
            str(result.reordered),
            f"{result.server_cpu:.0%}",
            f"{result.redis_cpu:.0%}" if result.redis_cpu is not None else "-",
            f"{result.client_cpu:.0%}",
            errors,
        ]
    )


def describe_machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), Python {platform.python_version()}"


def node_version() -> str:
    node = shutil.which("node")
    if not node:
        return "?"
    done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    return done.stdout.strip()


Row = tuple[Server, int, str, float | None, RunResult]


def _over_capacity_since(log: Path, offset: int) -> int:
    """Frames channels_redis dropped, as it logs them, since ``offset`` in the server's log."""
    with log.open("rb") as server_log:
        server_log.seek(offset)
        return server_log.read().count(b"channels over capacity in group")


async def run_phase(bench: Bench, server: Server, phase: str, url: str, pid: int, log: Path) -> list[Row]:
    args = bench.args
    if server.ours:
        make: LinkFactory = lambda room, token, peer: RoomSocketLink(url, room, token, peer)  # noqa: E731
    else:
        make = lambda room, token, peer: SocketIOLink(url, room, token, peer)  # noqa: E731
    redis_pid = bench.redis_pid() if server.redis_query is not None else None
    loads: list[float | None] = list(args.rates) if phase == "latency" else [None]
    results: list[Row] = []
    for rate in loads:
        for count in args.rooms:
            log_offset = log.stat().st_size  # noqa: ASYNC240 - a stat of a local file between runs
            result = await measure(
                bench.rooms[:count],
                make,
                seconds=args.latency_seconds if rate else args.throughput_seconds,
                rate=rate,
                window=None if rate else args.window,
                server_pid=pid,
                redis_pid=redis_pid,
                during_load=functools.partial(profiling, args, pid, f"{server.key}-{phase}-{rate or 'max'}-{count}"),
            )
            dropped = _over_capacity_since(log, log_offset)
            if dropped:  # channels_redis dropped these frames silently (one process holds 1000 at most)
                result.errors["over_capacity"] += dropped
            load = f"{rate:g}/s/peer" if rate else f"window {args.window}"
            print(format_result(server, count, phase, load, result), flush=True)
            results.append((server, count, phase, rate, result))
            await asyncio.sleep(args.settle)  # let the server finish the disconnects before the next run
    return results


def run(bench: Bench, servers: list[Server]) -> int:
    args = bench.args
    print(f"Signaling relay benchmark — {describe_machine()}")
    print(f"Load average before: {load_average()} (other processes on these cores make every figure worse)")
    print(f"Setting up a temporary SQLite database with {max(args.rooms)} rooms ...", flush=True)
    bench.create_rooms(max(args.rooms))
    rates = ", ".join(f"{r:g}" for r in args.rates)
    print(
        f"""
latency:    each peer sends OFFER/ICE_CANDIDATE frames (1 in {OFFER_EVERY} an OFFER with {len(SDP)} B of SDP) to
            the other at {rates} frames/s for {args.latency_seconds:g} s; servers at their default limits
            (ours: 50 frames/s, burst 100 per socket); one-way sender → server → receiver, first 10% left out.
throughput: {args.window} frames in flight per direction for {args.throughput_seconds:g} s; our daphne started with
            ROOM_RATE_PER_SECOND=ROOM_RATE_BURST={RAISED_RATE} (the limiter would cap each socket at 50/s).
servers:    daphne as in production (DEBUG=0), SQLite in a temporary file; Redis {bench.redis_url or "not reachable"}
            under the prefix {bench.prefix};
            socket.io {SOCKET_IO_VERSION} on Node {node_version()} (bench/socketio_relay.js).
client:     this Python process (asyncio): websockets for ours, python-socketio AsyncClient (WebSocket
            transport) for Socket.IO; the same frames through both.
columns:    n = latency samples, msg/s = frames delivered per second, misr = misrouted (wrong room, sender
            or target), reord = out of order, cpu = share of one core, errors = ERROR codes and closed sockets.
"""
    )
    print(row([name for name, _ in COLUMNS]))
    print(row(["-" * width for _, width in COLUMNS]))
    results: list[Row] = []
    for server in servers:
        for phase in args.phases:
            context = bench.daphne(server, phase) if server.ours else bench.socketio_relay()
            with context as (url, pid, log):
                results += asyncio.run(run_phase(bench, server, phase, url, pid, log))
    return verdict(results)


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1 / 5 / 15 min)"


def verdict(results: list[Row]) -> int:
    print(f"\nLoad average after: {load_average()}")
    broken = [(server, count, phase, rate, r) for server, count, phase, rate, r in results if r.broken]
    if broken:
        for server, count, _phase, rate, r in broken:
            load = f"{rate:g}/s/peer" if rate else "throughput"
            errors = ", ".join(f"{code} {n}" for code, n in sorted(r.errors.items()))
            print(
                f"CORRECTNESS FAILED: {server.label.strip()}, {count} rooms, {load}: {r.lost} lost, "
                f"{r.misrouted} misrouted, {r.duplicates} duplicated; errors: {errors or 'none'}"
            )
    else:
        print("CORRECTNESS: every frame arrived once, in its own room, from the right peer, to the right peer.")
    for server, count, _phase, rate, r in results:
        if r.queued:
            load = f"{rate:g}/s/peer" if rate else "throughput"
            print(
                f"OVERLOADED: {server.label.strip()}, {count} rooms, {load}: {r.queued} frames still queued "
                f"{DRAIN_CAP:g} s after the senders stopped"
            )
    for server, count, phase, rate, r in results:
        if server.ours and phase == "latency" and count == 100:
            p99 = r.percentile(0.99)
            status = "met" if p99 < LATENCY_TARGET_MS and not (r.broken or r.queued) else "MISSED"
            where = f"at 100 rooms, {rate:g}/s/peer: {server.label}"
            print(f"TARGET p99 < {LATENCY_TARGET_MS:g} ms {where}: {p99:.2f} ms, {status}")
    return 1 if broken else 0


def main() -> int:
    def numbers(kind: type) -> Callable[[str], list[Any]]:
        return lambda text: [kind(part) for part in text.split(",")]

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=numbers(int), default=list(ROOM_COUNTS), help="room counts, e.g. 1,10,100")
    # redis-core (the layer production no longer uses, and which loses frames at its capacity) only on request
    default_servers = ",".join(key for key in SERVERS if key != "redis-core")
    parser.add_argument("--servers", default=default_servers, help=f"comma-separated, of: {', '.join(SERVERS)}")
    parser.add_argument("--phases", default="latency,throughput", type=lambda s: s.split(","))
    parser.add_argument("--rates", type=numbers(float), default=list(RATES), help="frames/s per peer (latency)")
    parser.add_argument("--latency-seconds", type=float, default=8.0)
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--window", type=int, default=10, help="frames in flight per direction (throughput)")
    parser.add_argument("--settle", type=float, default=1.0, help="pause between runs, in seconds")
    parser.add_argument("--asgi-app", default="talentsync.asgi:application", help="what our daphne serves")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        type=lambda s: tuple(s.split("=", 1)),
        metavar="KEY=VALUE",
        help="extra environment of our daphne (repeatable), e.g. to try a fix in a settings module",
    )
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the servers' logs into DIR at the end")
    parser.add_argument("--profile", metavar="DIR", help="record py-spy samples of the server into DIR")
    parser.add_argument("--py-spy-path", default=os.environ.get("PATH"), help="where to look for py-spy")
    args = parser.parse_args()
    args.server_env = dict(args.server_env)
    if max(args.rates) > 45:
        parser.error("--rates must stay under the room's default limit of 50 frames/s per socket")
    unknown = set(args.servers.split(",")) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    servers = [SERVERS[key] for key in args.servers.split(",")]

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers

    signal.signal(signal.SIGTERM, stop)
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    parsed = urlparse(redis_url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1).close()
    except OSError:
        print(f"Redis is not reachable at {redis_url}: the Redis rows are left out.")
        redis_url = ""
        servers = [s for s in servers if s.redis_query is None]

    with tempfile.TemporaryDirectory(prefix="talentsync-bench-") as folder:
        bench = Bench(tmp=Path(folder), args=args, redis_url=redis_url or None)
        try:
            return run(bench, servers)
        finally:
            bench.forget_redis_keys()
            if args.keep_logs:
                shutil.copytree(bench.logs, args.keep_logs, dirs_exist_ok=True)
                print(f"The servers' logs are in {args.keep_logs}.")


if __name__ == "__main__":
    sys.exit(main())
