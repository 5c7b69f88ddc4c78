"""A program started from the room's Run button, bridged between the sandbox and the room socket.

The sandbox runs the program in a thread of its own and calls back with output chunks; here they
are gathered for a few milliseconds (a program printing in a loop must not become one WebSocket
frame per line for every participant) and broadcast to the room as ``RUN_OUTPUT``. Stdin typed by
anyone in the room reaches the socket that owns the run through the room group, so a REPL-like
session works whichever process each participant is connected to.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from django.db import close_old_connections

from assessments.execution import service
from assessments.execution.base import ExecutionError, InteractiveRun, RunResult, StageResult, Verdict
from assessments.services import live_runs
from interviews import events

logger = logging.getLogger(__name__)

#: output gathered this long before a RUN_OUTPUT frame goes out
FLUSH_SECONDS = 0.04
#: one RUN_OUTPUT frame carries at most this much text (the room socket's frames stay small)
CHUNK_CHARS = 16 * 1024
#: what is kept of the output for the run's record (the sandbox caps what it passes on anyway)
KEEP_CHARS = 64 * 1024

Broadcast = Callable[[str, dict[str, Any]], Awaitable[None]]
T = TypeVar("T")

# Runs wait in threads of their own for as long as a program lives (a minute, waiting for typed
# input): on the event loop's default executor, shared with every thread_sensitive=False call of
# the process, a handful of waiting programs would stall Run, Stop and the language guess in every
# room. The sandbox bounds the work; this only bounds the waiting threads.
RUN_THREADS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="room-run")


async def in_run_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call ``fn`` in a run thread (with the ORM's connection hygiene, as database_sync_to_async)."""

    def call() -> T:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return await asyncio.get_running_loop().run_in_executor(RUN_THREADS, functools.partial(call))


class StdinRefused(Exception):
    """The program is not reading its input fast enough: the text was not delivered."""


def result_payload(run_id: str, result: RunResult) -> dict[str, Any]:
    """``RUN_FINISHED``: the verdict and figures of a run; outputs went out as RUN_OUTPUT."""
    step: StageResult | None = result.run or result.compile
    return {
        "runId": run_id,
        "verdict": str(result.verdict),
        "message": result.message,
        "exitCode": step.exit_code if step else None,
        "signal": step.signal if step else None,
        "wallMs": step.wall_ms if step else 0,
        "cpuMs": step.cpu_ms if step else 0,
        "memoryKB": step.memory_kb if step else 0,
        "truncated": bool(step and (step.stdout_truncated or step.stderr_truncated)),
        "compile": {
            "ok": result.verdict != Verdict.COMPILE_ERROR,
            "stderr": result.compile.stderr if result.compile else "",
        },
    }


class LiveRun:
    """One program running for a room; owned by the socket that started it."""

    def __init__(
        self, *, run_id: str, run: live_runs.RoomRun, broadcast: Broadcast, release: Callable[[], Awaitable[None]]
    ) -> None:
        self.run_id = run_id
        self.run = run
        self.broadcast = broadcast
        self.release = release
        self.handle: InteractiveRun | None = None
        self.done = asyncio.Event()
        self.outputs: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.kept = {"stdout": 0, "stderr": 0}
        self.queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.stop_requested = False

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()

        def on_output(stream: str, text: str) -> None:  # called from the sandbox's reader threads
            loop.call_soon_threadsafe(self.queue.put_nowait, (stream, text))

        pump = asyncio.create_task(self._pump())
        result: RunResult
        try:
            # compilation happens inside start_interactive: off the event loop
            self.handle = await asyncio.to_thread(service.start_interactive, self.run.request, on_output=on_output)
            if self.stop_requested:
                self.handle.kill()
            elif self.run.request.stdin:
                # input given up front is the whole input, as in a batch run: the program sees its
                # end; without it, the program reads what people type into the panel
                await asyncio.to_thread(self.handle.close_stdin)
            result = await asyncio.to_thread(self.handle.wait)
        except Exception as error:  # the sandbox failed, not the program
            logger.exception("room run %s failed in the sandbox", self.run_id)
            result = RunResult(
                language=self.run.request.language,
                version="",
                compile=None,
                run=None,
                verdict=Verdict.SANDBOX_ERROR,
                message=f"The sandbox could not run the program ({type(error).__name__}).",
            )
        self.queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        try:
            await self.release()  # whoever reads RUN_FINISHED may start the next run at once
            await self.broadcast(events.RUN_FINISHED, result_payload(self.run_id, result))
            await database_sync_to_async(live_runs.room_run_record)(
                run=self.run,
                result=result,
                stdout="".join(self.outputs["stdout"]),
                stderr="".join(self.outputs["stderr"]),
            )
        finally:
            self.done.set()

    def _keep(self, stream: str, text: str) -> None:
        if stream in self.kept and self.kept[stream] < KEEP_CHARS:
            piece = text[: KEEP_CHARS - self.kept[stream]]
            self.outputs[stream].append(piece)
            self.kept[stream] += len(piece)

    async def _pump(self) -> None:
        finished = False
        while not finished:
            item = await self.queue.get()
            if item is None:
                break
            chunks = [item]
            await asyncio.sleep(FLUSH_SECONDS)  # let a burst of output gather into one frame
            while not self.queue.empty():
                more = self.queue.get_nowait()
                if more is None:
                    finished = True
                    break
                chunks.append(more)
            await self._send(chunks)

    async def _send(self, chunks: list[tuple[str, str]]) -> None:
        merged: list[dict[str, str]] = []
        for stream, text in chunks:
            self._keep(stream, text)
            if merged and merged[-1]["stream"] == stream:
                merged[-1]["text"] += text
            else:
                merged.append({"stream": stream, "text": text})
        frame: list[dict[str, str]] = []
        size = 0
        for chunk in merged:
            text = chunk["text"]
            while text:
                room = CHUNK_CHARS - size
                piece, text = text[:room], text[room:]
                frame.append({"stream": chunk["stream"], "text": piece})
                size += len(piece)
                if size >= CHUNK_CHARS:
                    await self.broadcast(events.RUN_OUTPUT, {"runId": self.run_id, "chunks": frame})
                    frame, size = [], 0
        if frame:
            await self.broadcast(events.RUN_OUTPUT, {"runId": self.run_id, "chunks": frame})

    async def write_stdin(self, text: str, *, eof: bool = False) -> None:
        handle = self.handle
        if handle is None or self.done.is_set():
            return
        if text:
            try:
                # the sandbox queues it for a writer thread of its own and refuses, rather than
                # blocks, when the program is not reading (StdinFull)
                await in_run_thread(handle.write_stdin, text)
            except ExecutionError as error:
                raise StdinRefused(str(error)) from error
            self.queue.put_nowait(("stdin", text))
        if eof:
            await in_run_thread(handle.close_stdin)

    async def stop(self) -> None:
        self.stop_requested = True
        if self.handle is not None and not self.done.is_set():
            await in_run_thread(self.handle.kill)
