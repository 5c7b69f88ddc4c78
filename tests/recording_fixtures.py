"""Shared parts of the recording tests (docs/recording.md): a room with recording on, an aiortc
peer that joins it through the real signaling protocol like the room page does, the media process
as a real subprocess, a browser page agreeing on the pre-join screen, an event loop on a thread of
its own (aiortc peers next to Playwright's synchronous API) and reading a recording back with PyAV.

Each aiortc peer behaves like the room page: one peer connection per remote peer, the newcomer
offers, and the answering side puts its microphone and camera on the lines it was offered. Every
frame it receives is kept with the monotonic time it came: that is the test's own timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aioice.ice
import av
import pytest
from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.sdp import candidate_from_sdp
from playwright.sync_api import Page, expect
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from interviews.factories import room_with_people
from interviews.models import Interview, Participant
from recordings import storage
from recordings.consent import recording_consent_give
from recordings.models import Recording
from tests.conftest import Tenant
from tests.live_asgi import ROOT, database_url_of_tests
from tests.test_room_webrtc import CardTrack

T = TypeVar("T")

STEP = 15.0  # any single wait
TOLERANCE_S = 1.0
SCREEN_VIDEO = (400, 300)
RECORDING_TOOLS = {"video": True, "editor": False, "whiteboard": False, "chat": True, "recording": True}


@pytest.fixture
def loopback_host_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host candidates on 127.0.0.1 only (see tests/test_room_webrtc.py), for the peers of this process."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


def recorded_room(
    acme: Tenant, *, lead_token: str, candidate_token: str, candidate_name: str
) -> tuple[Interview, Participant, Participant]:
    """An open room of a stage that records, with an interviewer and the candidate (no consent yet)."""
    return room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=lead_token,
        candidate_token=candidate_token,
        stage__tools_config=RECORDING_TOOLS,
        candidate__full_name=candidate_name,
    )


def consent(*participants: Participant) -> None:
    """Each agrees to be recorded (as the pre-join screen would store it)."""
    for participant in participants:
        recording_consent_give(participant=participant, ip_address="127.0.0.1", user_agent="aiortc")


@dataclass
class Peer:
    """One participant as an aiortc program: the room socket and one peer connection per remote peer."""

    name: str
    ws: ClientConnection
    video: tuple[int, int]
    self_id: str = ""
    links: dict[str, RTCPeerConnection] = field(default_factory=dict)
    frames: list[dict[str, Any]] = field(default_factory=list)  # each with "at": monotonic time it came
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.relay = MediaRelay()
        self.camera = CardTrack(*self.video)
        self.mic = AudioStreamTrack()

    @classmethod
    async def open(cls, name: str, base: str, room_id: str, token: str, video: tuple[int, int]) -> Peer:
        url = base.replace("http://", "ws://", 1) + f"/ws/rooms/{room_id}/?token={token}"
        ws = await connect(url, origin=Origin(base), proxy=None, open_timeout=STEP)
        return cls(name=name, ws=ws, video=video)

    async def send(self, kind: str, payload: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"type": kind, "payload": payload}))

    async def join(self, room_id: str) -> list[dict[str, Any]]:
        """Join the room; the peers already there (the newcomer then offers to each, like the page)."""
        await self.send("JOIN_ROOM", {"roomId": room_id, "userInfo": {"audio": True, "video": True}})
        reply = json.loads(await asyncio.wait_for(self.ws.recv(), STEP))
        assert reply["type"] == "ROOM_PEERS", reply
        self.self_id = reply["payload"]["selfId"]
        self.task = asyncio.create_task(self._listen())
        return list(reply["payload"]["peers"])

    def link(self, peer: str) -> RTCPeerConnection:
        if peer not in self.links:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pc.addTrack(self.relay.subscribe(self.camera))
            pc.addTrack(self.relay.subscribe(self.mic))
            self.links[peer] = pc
        return self.links[peer]

    async def offer(self, peer: str) -> None:
        pc = self.link(peer)
        await pc.setLocalDescription(await pc.createOffer())
        await self.send("OFFER", {"sdp": {"type": "offer", "sdp": pc.localDescription.sdp}, "targetId": peer})

    async def share_screen(self, peer: str) -> None:
        """Add a screen share to the call with ``peer`` and renegotiate (as the room page does)."""
        self.link(peer).addTrack(CardTrack(*SCREEN_VIDEO))
        await self.offer(peer)

    async def _listen(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            frame["at"] = time.monotonic()
            self.frames.append(frame)
            kind, payload = frame["type"], frame["payload"]
            assert kind != "ERROR", f"{self.name} got {frame}"
            if kind == "OFFER":
                pc = self.link(payload["fromId"])
                await pc.setRemoteDescription(RTCSessionDescription(**payload["sdp"]))
                await pc.setLocalDescription(await pc.createAnswer())
                answer = {"type": "answer", "sdp": pc.localDescription.sdp}
                await self.send("ANSWER", {"sdp": answer, "targetId": payload["fromId"]})
            elif kind == "ANSWER":
                await self.links[payload["fromId"]].setRemoteDescription(RTCSessionDescription(**payload["sdp"]))
            elif kind == "ICE_CANDIDATE" and payload["candidate"]:
                init = payload["candidate"]
                candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
                candidate.sdpMid, candidate.sdpMLineIndex = init["sdpMid"], init["sdpMLineIndex"]
                await self.links[payload["fromId"]].addIceCandidate(candidate)

    def kinds(self) -> list[str]:
        return [frame["type"] for frame in self.frames]

    def recording(self) -> list[tuple[bool, float]]:
        """Each RECORDING_STATE received: whether it records, and when it came."""
        return [(f["payload"]["recording"], f["at"]) for f in self.frames if f["type"] == "RECORDING_STATE"]

    def seen(self, kind: str, user_id: str) -> float:
        """When this peer was told ``kind`` (USER_JOINED, USER_LEFT) about ``user_id``; the last time."""
        times = [f["at"] for f in self.frames if f["type"] == kind and f["payload"].get("userId") == user_id]
        assert times, f"{self.name} was not told {kind} of {user_id}"
        return times[-1]

    def recorder_id(self) -> str:
        """The peer id of the recorder, from the presence frames this peer received."""
        ids = [
            f["payload"]["userId"]
            for f in self.frames
            if f["type"] == "USER_JOINED" and (f["payload"].get("userInfo") or {}).get("role") == "recorder"
        ]
        assert ids, f"{self.name} saw no recorder"
        return str(ids[-1])

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(STEP):
            while not condition():
                if self.task is not None and self.task.done():
                    self.task.result()
                    raise AssertionError(f"{self.name}: the room socket closed")
                await asyncio.sleep(0.05)

    async def connected(self, peer: str) -> None:
        """Until the call with ``peer`` is connected (whoever offered)."""
        await self.until(lambda: peer in self.links and self.links[peer].connectionState == "connected")

    async def leave(self) -> float:
        """Leave the room (socket first, as a closing tab); returns when the socket was closed."""
        await self.ws.close()
        left = time.monotonic()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        for pc in self.links.values():
            await pc.close()
        return left


class LoopThread:
    """An asyncio loop on a thread of its own: aiortc peers live there while Playwright's sync API
    (which keeps a loop of its own on the test's thread) drives the browsers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="aiortc-peers", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = STEP * 2) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what is still running there (peers a failed test left behind), then stop."""

        async def cancel_the_rest() -> None:
            rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.run(cancel_the_rest(), timeout=STEP)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=STEP)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


MEDIA_LOG = ROOT / "var" / "test" / "media" / "run_media.log"


@contextmanager
def media_process(base: str, *, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``python manage.py run_media`` against the test database and the live server ``base``."""
    MEDIA_LOG.parent.mkdir(parents=True, exist_ok=True)
    child_env = {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "DEBUG": "1",
        "REDIS_URL": "",
        "MEDIA_ROOM_URL": base,
        "MEDIA_POLL_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    child_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with MEDIA_LOG.open("wb") as out:
        process = subprocess.Popen(  # our interpreter, our manage.py, fixed arguments
            [sys.executable, "manage.py", "run_media"], cwd=ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def media_watching(process: subprocess.Popen[bytes]) -> None:
    """Until the media process started watching the rooms (it says so in its log)."""
    deadline = time.monotonic() + STEP * 2
    while "media: watching rooms" not in MEDIA_LOG.read_text(errors="replace"):
        assert process.poll() is None, MEDIA_LOG.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the media process did not start"
        time.sleep(0.1)


def agree_and_join(page: Page, *, agree: bool = True) -> None:
    """On the pre-join screen of a recorded stage: agree (or not), camera and microphone on, join."""
    expect(page.get_by_text("This interview is recorded", exact=True)).to_be_visible()
    if agree:
        page.get_by_label("I agree to be recorded").check()
    page.get_by_role("button", name="Join with microphone").click()
    page.get_by_role("button", name="Join with camera").click()
    page.get_by_role("button", name="Join the interview").click()
    expect(page.locator("#room-stage")).to_be_visible()


@dataclass(frozen=True)
class Playback:
    """What PyAV reads back from a decrypted recording."""

    duration: float  # seconds, the end of the last packet
    sizes: frozenset[tuple[int, int]]  # of the decoded video frames
    video_frames: int
    audio_frames: int


def read_back(recording: Recording) -> Playback:
    with storage.recording_open(recording) as handle, av.open(handle, "r") as container:
        end, sizes, video, audio = 0.0, set(), 0, 0
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None:
                continue
            end = max(end, float(packet.pts * packet.time_base) + float((packet.duration or 0) * packet.time_base))
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    sizes.add((frame.width, frame.height))
                    video += 1
                else:
                    audio += 1
    return Playback(duration=end, sizes=frozenset(sizes), video_frames=video, audio_frames=audio)
