"""Shared-document (Yjs) benchmark of the interview room (DESIGN.md §4.2); ``make bench`` runs it.

For 2, 10 and 50 clients in one document it measures, against
  (a)  our daphne with the in-memory channel layer,
  (b)  our daphne with the Redis channel layer, configured as in production (talentsync/settings.py),
  (c)  the y-websocket reference server, @y/websocket-server (Node; installed with npm into a
       temporary folder), as the point of comparison:

* update fan-out latency p50/p99: one writer (the interviewer) sets a new key of the Y.Map
  ``bench`` at a steady rate, its value the writer's clock (``time.perf_counter_ns``, from an epoch
  of this process); every other client applies the incoming update and, in an observer of the map,
  subtracts that value from its own clock. This holds whatever bytes each server re-encodes or
  merges;
* sustained throughput: a few writers (the interviewer and the candidate) each keep a window of
  updates in flight, an update leaving the window once every other client has it, for a fixed
  time. ``upd/s`` counts updates that reached every other client, ``deliv/s`` the updates applied
  by all receivers together. Our daphne is started for this phase with YJS_RATE_PER_SECOND /
  YJS_RATE_BURST raised, or its limiter would cap every socket at 200 frames/s; the output says so;
* correctness: a key a client does not have once deliveries stop is lost (one still arriving
  after a long drain is counted apart as queued); at the end every client's document must hold
  exactly what the writers wrote (``diff`` counts those that do not), and so must a late joiner
  that connects then and syncs from the server (``late``), and a client that connects once
  everyone has left and the server had to put the document away (``back``; ours reloads it from
  its update log). Sockets the server closed, frames it refused and errors in its log are counted
  too.

Rooms of our server hold more people than ROOM_MAX_PARTICIPANTS (6) allows: our daphne is started
with it raised, in case the Yjs socket counts people as the room socket does (the output says so).
All clients run in this one Python process (asyncio, pycrdt and ``websockets``) with the same
protocol for every server; the CPU use of the server, of Redis and of this client is printed with
each row, so a row limited by the client shows it.

The bench makes its own data in a temporary SQLite file (bench/_setup_rooms.py), uses Redis database
12 (``BENCH_REDIS_URL`` to change it) under a key prefix of its own, listens on 127.0.0.1 only,
bounds every loop and wait, and stops every process it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
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
from typing import Any
from urllib.parse import urlparse

from pycrdt import (
    Doc,
    Map,
    MapEvent,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from signaling import (  # the helpers of the signaling bench, found beside this file
    ROOT,
    Bench,
    cpu_seconds,
    describe_machine,
    free_port,
    load_average,
    node_version,
    serving,
)

Y_SERVER_PACKAGE = "@y/websocket-server"
Y_SERVER_VERSION = "0.1.1"
Y_SERVER_SPEC = f"{Y_SERVER_PACKAGE}@{Y_SERVER_VERSION}"
CLIENT_COUNTS = (2, 10, 50)
PHASES = ("latency", "throughput")
RATE = 20.0  # updates/s of the latency phase's writer: a fast typist, one update per keystroke
WRITERS = 2  # writers of the throughput phase: the interviewer and the candidate
WINDOW = 8  # updates in flight per writer (throughput)
TARGET_CLIENTS = 10
TARGET_RATIO = 1.5  # the issue: p99 fan-out no worse than 1.5x the Node reference at 10 clients
RAISED_PARTICIPANTS = "100"  # ROOM_MAX_PARTICIPANTS of our daphne: rooms of 50 clients and a late joiner
RAISED_RATE = "100000"  # YJS_RATE_PER_SECOND / YJS_RATE_BURST of our daphne in the throughput phase
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
DOC_NAME = "code"  # the editor's document (needs the stage's toolsConfig.editor)
MAP_NAME = "bench"
STEP_TIMEOUT = 15.0  # connect + sync, close, a window slot: any single wait
DRAIN_STALL = 3.0  # after the writers stop: nothing arrived for this long, what is missing is lost
DRAIN_CAP = 20.0  # updates still arriving after this long are counted as queued (an overloaded server)
BACK_AFTER = 1.0  # after the last client left: time for the server to put the document away
CONNECT_AT_ONCE = 10  # our server checks each token in the database: a few sockets at a time
EPOCH_NS = time.perf_counter_ns()  # the stamps are relative to it: small numbers, exact as float64
LOG_ERROR_MARKERS = (b"Traceback", b" ERROR ", b"ERROR:", b"Error:", b"Exception")


# --- the clients -----------------------------------------------------------------------------------
def now_ns() -> int:
    return time.perf_counter_ns() - EPOCH_NS


@dataclass(eq=False)
class Run:
    """What the clients of one measured run share: the keys in flight and everything written."""

    receivers: int = 0  # clients each update must reach (all but its writer)
    pending: dict[str, list[Any]] = field(default_factory=dict)  # key -> [writer, receivers still to get it]
    written: dict[str, int] = field(default_factory=dict)  # key -> value, as the writers set them
    completions: list[int] = field(default_factory=list)  # when each update had reached every receiver
    deliveries: int = 0

    def delivered(self, key: str) -> None:
        self.deliveries += 1
        entry = self.pending.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self.pending[key]
            self.completions.append(now_ns())
            writer: YClient = entry[0]
            if writer.window is not None:
                writer.window.release()


class YClient:
    """One y-websocket client: a pycrdt document synced with the server over one socket."""

    def __init__(self, index: int, url: str, origin: str, run: Run) -> None:
        self.index, self.url, self.origin, self.run = index, url, origin, run
        self.doc: Doc = Doc()
        self.map = self.doc.get(MAP_NAME, type=Map)
        self.map.observe(self._changed)
        self.synced = asyncio.Event()
        self.measuring = False
        self.closing = False
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.errors: Counter[str] = Counter()
        self.arrivals: list[tuple[int, int]] = []  # (arrival, latency) in ns
        self.awareness = 0
        self.sent = 0
        self.window: asyncio.Semaphore | None = None
        self._local = False
        self._outgoing: bytes | None = None
        self._writes: Any = None  # the subscription catching this client's own updates

    # the socket
    async def open(self) -> None:
        self.ws = await connect(
            self.url,
            origin=Origin(self.origin),
            proxy=None,
            compression=None,
            open_timeout=STEP_TIMEOUT,
            max_size=16 * 1024 * 1024,
        )
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(create_sync_message(self.doc))  # sync step 1: what this client has

    async def sync(self) -> None:
        await self.open()
        waiting = asyncio.ensure_future(self.synced.wait())
        reader = self.reader or waiting
        done, _ = await asyncio.wait({waiting, reader}, timeout=STEP_TIMEOUT, return_when="FIRST_COMPLETED")
        if waiting not in done:
            waiting.cancel()
            raise ConnectionError(
                "the server closed the socket before sync step 2" if reader in done else "no sync step 2 in time"
            )

    async def _read(self) -> None:
        if self.ws is None:
            return
        with contextlib.suppress(Exception):  # a closed socket ends the reader; counted below
            async for raw in self.ws:
                if isinstance(raw, str) or not raw:
                    self.errors["text_frame"] += 1
                    continue
                try:
                    reply = self._handle(raw)
                except Exception as error:  # a frame pycrdt cannot read: counted, the next is read
                    self.errors[f"bad_frame_{type(error).__name__}"] += 1
                    continue
                if reply is not None:
                    await self.ws.send(reply)
        if not self.closing:
            self.errors[f"closed_{self.ws.close_code}"] += 1

    def _handle(self, raw: bytes) -> bytes | None:
        kind = raw[0]
        if kind == YMessageType.SYNC:
            reply = handle_sync_message(raw[1:], self.doc)
            if raw[1] == YSyncMessageType.SYNC_STEP2:
                self.synced.set()
            return reply
        if kind == YMessageType.AWARENESS:
            self.awareness += 1
        elif kind == 2:  # messageAuth: permission denied
            self.errors["permission_denied"] += 1
        else:
            self.errors[f"message_type_{kind}"] += 1
        return None

    def down(self) -> bool:
        return self.reader is not None and self.reader.done()

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader

    # the document
    def _changed(self, event: MapEvent) -> None:
        if not self.measuring:
            return
        arrived = now_ns()
        for key, change in event.keys.items():
            if change.get("action") != "add" or key.split("-", 1)[0] == str(self.index):
                continue  # only others' new keys (this client's own writes fire here too)
            self.arrivals.append((arrived, arrived - int(change["newValue"])))
            self.run.delivered(key)

    def _caught(self, event: TransactionEvent) -> None:
        if self._local:
            self._outgoing = event.update

    async def write(self) -> None:
        """Set the next key of this client to the clock, and send the update to the server."""
        if self._writes is None:
            self._writes = self.doc.observe(self._caught)
        key = f"{self.index}-{self.sent}"
        self.run.pending[key] = [self, self.run.receivers]
        self._local, self._outgoing = True, None
        try:
            value = now_ns()
            self.map[key] = value
        finally:
            self._local = False
        self.run.written[key] = value
        if self._outgoing is None or self.ws is None:
            raise RuntimeError("pycrdt reported no update for a local change")
        await self.ws.send(create_update_message(self._outgoing))
        self.sent += 1

    def content(self) -> dict[str, Any]:
        """The document's map as a fresh document rebuilt from this one's whole state reads it."""
        copy: Doc = Doc()
        copy.apply_update(self.doc.get_update())
        return copy.get(MAP_NAME, type=Map).to_py() or {}


# --- one measured run ------------------------------------------------------------------------------
@dataclass
class RunResult:
    clients: int
    sent: int = 0
    lost: int = 0
    queued: int = 0
    diverged: int = 0
    late_ok: bool | None = None
    back_ok: bool | None = None
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ns: list[int] = field(default_factory=list)
    seconds: float = 0.0
    updates_per_second: float = 0.0
    deliveries_per_second: float = 0.0
    server_cpu: float = 0.0
    redis_cpu: float | None = None
    client_cpu: float = 0.0
    log_excerpt: str = ""

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(1, -(-len(ordered) * int(q * 1000) // 1000))  # ceil(q * n), q in thousandths
        return ordered[min(rank, len(ordered)) - 1] / 1e6

    @property
    def broken(self) -> bool:
        """Updates lost, documents that differ, or a client that could not take part."""
        return bool(self.lost or self.diverged or False in (self.late_ok, self.back_ok) or self.errors["join_failed"])


async def _drain(run: Run) -> bool:
    """Wait for the updates in flight; True when they were still arriving at ``DRAIN_CAP``."""
    started = last_progress = time.monotonic()
    delivered = -1
    while run.pending:
        now = time.monotonic()
        if run.deliveries != delivered:
            delivered, last_progress = run.deliveries, now
        elif now - last_progress > DRAIN_STALL:
            return False
        if now - started > DRAIN_CAP:
            return True
        await asyncio.sleep(0.02)
    return False


async def measure(
    urls: list[str],
    origin: str,
    *,
    seconds: float,
    rate: float | None,
    writers: int,
    window: int,
    server_pid: int,
    redis_pid: int | None,
) -> RunResult:
    """``len(urls) - 1`` clients (the last URL is the late joiner's) in one document, for ``seconds``.

    With ``rate``, the first client writes that many updates per second; otherwise the first
    ``writers`` clients keep ``window`` updates each in flight.
    """
    run = Run()
    clients = [YClient(index, url, origin, run) for index, url in enumerate(urls[:-1])]
    result = RunResult(clients=len(clients))
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def join(client: YClient) -> None:
        async with gate:
            try:
                await client.sync()
            except Exception as error:  # counted; the run goes on with the clients that synced
                client.errors["join_failed"] += 1
                client.errors[f"join_{type(error).__name__}"] += 1

    try:
        await asyncio.gather(*(join(client) for client in clients))
        live = [c for c in clients if c.synced.is_set()]
        writing = [c for c in live if c.index < (1 if rate else writers)]
        run.receivers = len(live) - 1
        for client in live:
            client.measuring = True
            client.window = None if rate else asyncio.Semaphore(window)
        loop = asyncio.get_running_loop()
        stalled = 0

        async def writer(client: YClient) -> None:
            nonlocal stalled
            next_at = loop.time()
            while next_at < stop and not client.down():
                if client.window is None:
                    await asyncio.sleep(max(0.0, next_at - loop.time()))
                    next_at += 1 / (rate or 1)
                else:
                    try:
                        await asyncio.wait_for(client.window.acquire(), STEP_TIMEOUT)
                    except TimeoutError:
                        stalled += 1
                        return
                    next_at = loop.time()
                try:
                    await client.write()
                except Exception as error:  # the server closed this socket: the writer stops, the row says so
                    client.errors[f"send_{type(error).__name__}"] += 1
                    return

        cpu_before = (cpu_seconds(server_pid), cpu_seconds(redis_pid), time.process_time())
        begin_ns = now_ns()
        start = loop.time()
        stop = start + seconds
        if len(live) >= 2 and writing:
            await asyncio.gather(*(writer(client) for client in writing))
        end_ns = now_ns()
        wall = (end_ns - begin_ns) / 1e9
        cpu_after = (cpu_seconds(server_pid), cpu_seconds(redis_pid), time.process_time())
        still_arriving = await _drain(run)

        # what the server serves to someone who comes now, while the others are still there
        if live:
            result.late_ok = await _fresh_copy(urls[-1], origin, run.written, result.errors, "late")

        missing = sum(len(run.written.keys() - c.map.keys()) for c in live)
        result.sent = len(run.written)
        result.lost = 0 if still_arriving else missing
        result.queued = missing if still_arriving else 0
        result.diverged = sum(1 for c in live if c.content() != run.written)
        warm_ns = begin_ns + int(seconds * 1e8)  # leave out the first tenth: connections warm up
        result.latencies_ns = [lat for c in live for arrived, lat in c.arrivals if arrived >= warm_ns]
        result.seconds = wall
        if wall > 0:
            result.updates_per_second = sum(1 for t in run.completions if t <= end_ns) / wall
            arrivals = sum(1 for c in live for arrived, _ in c.arrivals if arrived <= end_ns)
            result.deliveries_per_second = arrivals / wall
            result.server_cpu = (cpu_after[0] - cpu_before[0]) / wall
            result.redis_cpu = (cpu_after[1] - cpu_before[1]) / wall if redis_pid else None
            result.client_cpu = (cpu_after[2] - cpu_before[2]) / wall
        if stalled:
            result.errors["window_stalled"] += stalled
    finally:
        closing = asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        try:
            await asyncio.wait_for(closing, STEP_TIMEOUT)
        except TimeoutError:
            result.errors["close_timeout"] += 1
        for client in clients:
            result.errors.update(client.errors)
    if result.late_ok is not None:  # everyone has left: what does the server serve now?
        await asyncio.sleep(BACK_AFTER)
        result.back_ok = await _fresh_copy(urls[-1], origin, run.written, result.errors, "back")
    return result


async def _fresh_copy(url: str, origin: str, written: dict[str, int], errors: Counter[str], what: str) -> bool:
    """Whether a new client syncing from the server gets exactly ``written``; its errors go to ``errors``."""
    client = YClient(-1, url, origin, Run())
    try:
        await client.sync()
        return client.content() == written
    except Exception as error:
        errors[f"{what}_{type(error).__name__}"] += 1
        return False
    finally:
        try:
            await asyncio.wait_for(client.close(), STEP_TIMEOUT)
        except Exception as error:
            errors[f"{what}_close_{type(error).__name__}"] += 1
        errors.update({f"{what}_{code}": n for code, n in client.errors.items()})


# --- the servers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Server:
    key: str
    label: str
    redis: bool = False

    @property
    def ours(self) -> bool:
        return self.key != "node"


SERVERS = {
    s.key: s
    for s in (
        Server("memory", "(a)  daphne, in-memory layer"),
        Server("redis", "(b)  daphne, Redis layer", redis=True),
        Server("node", f"(c)  {Y_SERVER_PACKAGE} {Y_SERVER_VERSION}"),
    )
}


@dataclass
class YjsBench(Bench):
    """The signaling bench's temporary database and folder, with rooms big enough for a document."""

    node_versions: str = ""
    rooms_by_key: dict[str, dict[str, Any]] = field(default_factory=dict)

    def room_key(self, server: Server, phase: str, clients: int) -> str:
        return f"{server.key}/{phase}/{clients}"

    def create_document_rooms(self, keys: list[str], people: int) -> dict[str, dict[str, Any]]:
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "bench" / "_setup_rooms.py"), str(len(keys)), "--people", str(people)],
            cwd=ROOT,
            env=self.django_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"setting up the rooms failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        rooms = json.loads(done.stdout.strip().splitlines()[-1])
        return dict(zip(keys, rooms, strict=True))

    @contextlib.contextmanager
    def our_daphne(self, server: Server, phase: str) -> Iterator[tuple[str, int, Path]]:
        port = free_port()
        extra = {"ROOM_MAX_PARTICIPANTS": RAISED_PARTICIPANTS}
        if server.redis and self.redis_url:
            extra["REDIS_URL"] = self.redis_url
        if phase == "throughput":
            extra.update(YJS_RATE_PER_SECOND=RAISED_RATE, YJS_RATE_BURST=RAISED_RATE)
        extra["CHANNEL_LAYER_PREFIX"] = f"{self.prefix}-{server.key}-{phase}:asgi"
        extra.update(self.args.server_env)
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), self.args.asgi_app]
        with serving(
            f"{server.key}-{phase}", command, env=self.django_env(**extra), cwd=ROOT, port=port, logs=self.logs
        ) as running:
            yield running

    def install_node_server(self) -> Path:
        """npm install the reference server into the temporary folder; returns its entry script."""
        folder = self.tmp / "y-websocket-server"
        entry = folder / "node_modules" / Y_SERVER_PACKAGE / "package.json"
        if not entry.exists():
            folder.mkdir(exist_ok=True)
            (folder / "package.json").write_text('{"private": true}\n')
            npm = shutil.which("npm")
            if not npm or not shutil.which("node"):
                raise RuntimeError("node and npm are needed for the Node comparison")
            done = subprocess.run(  # noqa: S603
                [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", Y_SERVER_SPEC],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm install {Y_SERVER_PACKAGE} failed:\n{done.stderr[-3000:]}")
            versions = []
            for name in ("yjs", "y-protocols", "ws"):
                with contextlib.suppress(OSError, ValueError):
                    meta = json.loads((folder / "node_modules" / name / "package.json").read_text())
                    versions.append(f"{name} {meta['version']}")
            self.node_versions = ", ".join(versions)
        meta = json.loads(entry.read_text())
        bin_field = meta.get("bin")
        script = bin_field.get("y-websocket") if isinstance(bin_field, dict) else bin_field
        return entry.parent / (script or "src/server.js")

    @contextlib.contextmanager
    def node_server(self, phase: str) -> Iterator[tuple[str, int, Path]]:
        script = self.install_node_server()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "YPERSISTENCE", "CALLBACK_URL")}
        env.update(HOST="127.0.0.1", PORT=str(port))
        node = shutil.which("node") or "node"
        with serving(
            f"node-{phase}", [node, str(script)], env=env, cwd=script.parent, port=port, logs=self.logs
        ) as running:
            yield running


# --- the report ------------------------------------------------------------------------------------
COLUMNS = (
    ("server", 31),
    ("clients", 7),
    ("phase", 10),
    ("load", 13),
    ("n", 6),
    ("p50 ms", 7),
    ("p99 ms", 7),
    ("max ms", 7),
    ("upd/s", 6),
    ("deliv/s", 7),
    ("sent", 5),
    ("lost", 5),
    ("queued", 6),
    ("diff", 4),
    ("late", 4),
    ("back", 4),
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


def format_result(server: Server, phase: str, load: str, result: RunResult) -> str:
    errors = ",".join(f"{code}:{n}" for code, n in sorted(result.errors.items())) or "0"
    late, back = ("-" if ok is None else "ok" if ok else "DIFF" for ok in (result.late_ok, result.back_ok))
    return row(
        [
            server.label,
            str(result.clients),
            phase,
            load,
            str(len(result.latencies_ns)),
            f"{result.percentile(0.50):.2f}",
            f"{result.percentile(0.99):.2f}",
            f"{max(result.latencies_ns, default=0) / 1e6:.1f}",
            f"{result.updates_per_second:.0f}",
            f"{result.deliveries_per_second:.0f}",
            str(result.sent),
            str(result.lost),
            str(result.queued),
            str(result.diverged),
            late,
            back,
            f"{result.server_cpu:.0%}",
            f"{result.redis_cpu:.0%}" if result.redis_cpu is not None else "-",
            f"{result.client_cpu:.0%}",
            errors,
        ]
    )


def log_errors_since(log: Path, offset: int) -> tuple[int, str]:
    """Lines of the server's log since ``offset`` that report an error, and the first of them."""
    with log.open("rb") as server_log:
        server_log.seek(offset)
        lines = server_log.read().splitlines()
    hits = [i for i, line in enumerate(lines) if any(marker in line for marker in LOG_ERROR_MARKERS)]
    if not hits:
        return 0, ""
    first = hits[0]
    excerpt = b"\n".join(lines[max(0, first - 2) : first + 25]).decode(errors="replace")
    return len(hits), excerpt


Row = tuple[Server, str, RunResult]


async def run_server(bench: YjsBench, server: Server, phase: str, url: str, pid: int, log: Path) -> list[Row]:
    args = bench.args
    redis_pid = bench.redis_pid() if server.redis else None
    ws_base = url.replace("http://", "ws://", 1)
    results: list[Row] = []
    for count in args.clients:
        if server.ours:
            room = bench.rooms_by_key[bench.room_key(server, phase, count)]
            tokens = [room["lead"], room["candidate"], *room.get("others", [])][: count + 1]
            urls = [f"{ws_base}/ws/rooms/{room['room']}/yjs/{DOC_NAME}/?token={token}" for token in tokens]
        else:  # the reference server takes the document's name from the path and checks nothing
            urls = [f"{ws_base}/bench-{phase}-{count}?token=client-{index}" for index in range(count + 1)]
        offset = log.stat().st_size  # noqa: ASYNC240 - a stat of a local file between runs
        rate = args.rate if phase == "latency" else None
        result = await measure(
            urls,
            url,
            seconds=args.latency_seconds if rate else args.throughput_seconds,
            rate=rate,
            writers=1 if rate else min(args.writers, count),
            window=args.window,
            server_pid=pid,
            redis_pid=redis_pid,
        )
        await asyncio.sleep(0.2)  # let the log catch up with the closes
        found, excerpt = log_errors_since(log, offset)
        if found:
            result.errors["server_log_errors"] += found
            result.log_excerpt = excerpt
        load = f"{rate:g}/s, 1 writer" if rate else f"win {args.window} x{min(args.writers, count)}"
        print(format_result(server, phase, load, result), flush=True)
        results.append((server, phase, result))
        await asyncio.sleep(args.settle)
    return results


def run(bench: YjsBench, servers: list[Server]) -> int:
    args = bench.args
    began = time.monotonic()
    print(f"Shared-document (Yjs) benchmark — {describe_machine()}")
    print(f"Load average before: {load_average()} (other processes on these cores make every figure worse)")
    ours = [s for s in servers if s.ours]
    if ours:
        keys = [bench.room_key(s, phase, count) for s in ours for phase in args.phases for count in args.clients]
        people = max(args.clients) + 1
        print(f"Setting up a temporary SQLite database with {len(keys)} rooms of {people} people ...", flush=True)
        bench.rooms_by_key = bench.create_document_rooms(keys, people)
    node_line = "not run"
    if any(not s.ours for s in servers):
        print(f"Installing {Y_SERVER_SPEC} with npm into a temporary folder ...", flush=True)
        bench.install_node_server()
        node_line = f"{Y_SERVER_PACKAGE} {Y_SERVER_VERSION} ({bench.node_versions}) on Node {node_version()}"
    print(
        f"""
latency:    client 0 (the interviewer) sets a new key of Y.Map "{MAP_NAME}" {args.rate:g} times a second for
            {args.latency_seconds:g} s, the value its clock; every other client's map observer subtracts it from
            its own clock: writer → server → every receiver, first 10% left out. Servers at their limits.
throughput: {args.writers} writers (the interviewer, the candidate) with {args.window} updates each in flight for
            {args.throughput_seconds:g} s; an update leaves the window once every other client has it.
servers:    our daphne as in production (DEBUG=0), SQLite in a temporary file, document "{DOC_NAME}",
            started with ROOM_MAX_PARTICIPANTS={RAISED_PARTICIPANTS} (in case the Yjs socket counts people as the
            room socket does: its default 6 would refuse 10 and 50 clients), and for throughput with
            YJS_RATE_PER_SECOND=YJS_RATE_BURST={RAISED_RATE} (the limiter caps each socket at 200 frames/s);
            Redis {bench.redis_url or "not reachable"} under the prefix {bench.prefix};
            {node_line}.
client:     this Python process (asyncio): pycrdt documents over websockets, the same for every server.
columns:    n = latency samples, upd/s = updates that reached every other client per second, deliv/s =
            updates applied by all receivers per second, lost = keys missing from a client's document after
            the drain, diff = clients whose final document is not what was written, late = a client joining
            at the end syncs to the same document, back = so does one joining {BACK_AFTER:g} s after everyone
            left, cpu = share of one core, errors = close codes, server log errors and others.
"""
    )
    print(row([name for name, _ in COLUMNS]))
    print(row(["-" * width for _, width in COLUMNS]))
    results: list[Row] = []
    for server in servers:
        for phase in args.phases:
            context = bench.our_daphne(server, phase) if server.ours else bench.node_server(phase)
            with context as (url, pid, log):
                results += asyncio.run(run_server(bench, server, phase, url, pid, log))
    code = verdict(results, args.clients)
    print(f"Run time: {time.monotonic() - began:.0f} s")
    return code


def verdict(results: list[Row], counts: list[int]) -> int:
    print(f"\nLoad average after: {load_average()}")
    broken = [(server, phase, r) for server, phase, r in results if r.broken]
    for server, phase, r in broken:
        errors = ", ".join(f"{code} {n}" for code, n in sorted(r.errors.items()))
        late, back = ({None: "not checked", True: "same", False: "DIFFERENT"}[ok] for ok in (r.late_ok, r.back_ok))
        print(
            f"CORRECTNESS FAILED: {server.label.strip()}, {r.clients} clients, {phase}: {r.lost} keys lost, "
            f"{r.diverged} documents differ, late joiner {late}, joiner after all left {back}; "
            f"errors: {errors or 'none'}"
        )
    if not broken:
        print(
            "CORRECTNESS: every client, a late joiner and one joining after all had left got exactly the "
            "document that was written."
        )
    for server, phase, r in results:
        if r.queued:
            print(
                f"OVERLOADED: {server.label.strip()}, {r.clients} clients, {phase}: {r.queued} keys still "
                f"missing {DRAIN_CAP:g} s after the writers stopped"
            )
    for server, phase, r in results:
        if r.log_excerpt:
            print(f"--- {server.label.strip()}, {r.clients} clients, {phase}: errors in the server's log ---")
            print(r.log_excerpt)
            print("---")
    p99 = {
        server.key: r.percentile(0.99)
        for server, phase, r in results
        if phase == "latency" and r.clients == TARGET_CLIENTS and r.latencies_ns
    }
    reference = p99.get("node")
    for key in ("memory", "redis"):
        label = SERVERS[key].label.strip()
        if key not in p99 or reference is None:
            why = "not measured" if TARGET_CLIENTS in counts else f"no run with {TARGET_CLIENTS} clients"
            print(f"TARGET p99 ≤ {TARGET_RATIO:g}x Node at {TARGET_CLIENTS} clients, {label}: {why}")
            continue
        ratio = p99[key] / reference if reference else float("inf")
        status = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        print(
            f"TARGET p99 ≤ {TARGET_RATIO:g}x Node at {TARGET_CLIENTS} clients, {label}: {p99[key]:.2f} ms vs "
            f"{reference:.2f} ms, ratio {ratio:.2f}: {status}"
        )
    return 1 if broken else 0


def main() -> int:
    def numbers(kind: type) -> Callable[[str], list[Any]]:
        return lambda text: [kind(part) for part in text.split(",")]

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=numbers(int), default=list(CLIENT_COUNTS), help="e.g. 2,10,50")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated, of: {', '.join(SERVERS)}")
    parser.add_argument("--phases", default=",".join(PHASES), type=lambda s: s.split(","))
    parser.add_argument("--rate", type=float, default=RATE, help="updates/s of the latency phase's writer")
    parser.add_argument("--seconds", type=float, help="both phases' length (sets the two below)")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, default=WRITERS, help="writers of the throughput phase")
    parser.add_argument("--window", type=int, default=WINDOW, help="updates in flight per writer (throughput)")
    parser.add_argument("--settle", type=float, default=0.5, help="pause between runs, in seconds")
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
    args = parser.parse_args()
    args.server_env = dict(args.server_env)
    if args.seconds is not None:
        args.latency_seconds = args.throughput_seconds = args.seconds
    unknown = set(args.servers.split(",")) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if set(args.phases) - set(PHASES):
        parser.error(f"--phases takes {', '.join(PHASES)}")
    if min(args.clients) < 2 or args.writers < 1 or args.window < 1 or args.rate <= 0:
        parser.error("at least 2 clients, 1 writer, a window of 1 and a positive rate")
    if args.rate > 150:
        parser.error("--rate must stay under our server's default limit of 200 frames/s per socket")
    servers = [SERVERS[key] for key in args.servers.split(",")]

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers

    signal.signal(signal.SIGTERM, stop)
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    if any(s.redis for s in servers):
        parsed = urlparse(redis_url)
        try:
            socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1).close()
        except OSError:
            print(f"Redis is not reachable at {redis_url}: the Redis rows are left out.")
            redis_url = ""
            servers = [s for s in servers if not s.redis]

    with tempfile.TemporaryDirectory(prefix="talentsync-bench-") as folder:
        bench = YjsBench(tmp=Path(folder), args=args, redis_url=redis_url or None)
        try:
            return run(bench, servers)
        finally:
            bench.forget_redis_keys()
            if args.keep_logs:
                shutil.copytree(bench.logs, args.keep_logs, dirs_exist_ok=True)
                print(f"The servers' logs are in {args.keep_logs}.")


if __name__ == "__main__":
    sys.exit(main())
