"""The recorder peer records a room of two aiortc peers through a real daphne (docs/recording.md).

Each peer here behaves like the room page: one peer connection per remote peer, the newcomer
offers, and the answering side puts its microphone and camera on the lines it was offered. The
recorder (``recordings.recorder``, run by the media process's watcher in this test's event loop)
joins with its own credential, offers to both, and writes one WebM per camera and per screen
share; the test decrypts them through ``recordings.storage`` and reads them back with PyAV.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import av
import pytest
from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.sdp import candidate_from_sdp
from celery.signals import before_task_publish
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from interviews.factories import room_with_people
from interviews.models import Interview, Participant
from recordings import storage
from recordings.consent import recording_consent_give
from recordings.models import Recording, RecordingSession
from recordings.recorder.watcher import MediaWatcher
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.test_room_webrtc import CardTrack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEAD_TOKEN = "recorder-lead-" + "l" * 30
CANDIDATE_TOKEN = "recorder-cand-" + "c" * 30
LEAD_VIDEO = (320, 240)
CANDIDATE_VIDEO = (176, 144)
SCREEN_VIDEO = (400, 300)
STEP = 15.0  # any single wait
WHOLE = 120.0
RECORDED_TOGETHER = 4.0  # seconds both peers are recorded before the screen share
SCREEN_FOR = 3.0
LEAD_ALONE = 2.0
TOLERANCE_S = 1.0
RECORDING_TOOLS = {"video": True, "editor": False, "whiteboard": False, "chat": True, "recording": True}


@pytest.fixture(autouse=True)
def _loopback_host_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host candidates on 127.0.0.1 only (see tests/test_room_webrtc.py); the recorder runs here too."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.fixture
def published() -> Any:
    """Names and arguments of the Celery tasks sent while the test runs (a real Celery signal)."""
    sent: list[tuple[str, list[Any]]] = []

    def keep(sender: str | None = None, body: Any = None, **kwargs: Any) -> None:
        args = body[0] if isinstance(body, tuple | list) else []
        sent.append((str(sender), list(args)))

    before_task_publish.connect(keep, weak=False)
    yield sent
    before_task_publish.disconnect(keep)


@dataclass
class Browser:
    """One participant: the room socket and one peer connection per remote peer."""

    name: str
    ws: ClientConnection
    video: tuple[int, int]
    self_id: str = ""
    links: dict[str, RTCPeerConnection] = field(default_factory=dict)
    frames: list[dict[str, Any]] = field(default_factory=list)
    recording: list[tuple[bool, float]] = field(default_factory=list)  # RECORDING_STATE, monotonic time
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.relay = MediaRelay()
        self.camera = CardTrack(*self.video)
        self.mic = AudioStreamTrack()

    @classmethod
    async def open(cls, name: str, base: str, room_id: str, token: str, video: tuple[int, int]) -> Browser:
        url = base.replace("http://", "ws://", 1) + f"/ws/rooms/{room_id}/?token={token}"
        ws = await connect(url, origin=Origin(base), proxy=None, open_timeout=STEP)
        return cls(name=name, ws=ws, video=video)

    async def send(self, kind: str, payload: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"type": kind, "payload": payload}))

    async def join(self, room_id: str) -> list[dict[str, Any]]:
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
            self.frames.append(frame)
            kind, payload = frame["type"], frame["payload"]
            assert kind != "ERROR", f"{self.name} got {frame}"
            if kind == "RECORDING_STATE":
                self.recording.append((payload["recording"], time.monotonic()))
            elif kind == "OFFER":
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

    async def until(self, condition: Any) -> None:
        async with asyncio.timeout(STEP):
            while not condition():
                if self.task is not None and self.task.done():
                    self.task.result()
                    raise AssertionError(f"{self.name}: the room socket closed")
                await asyncio.sleep(0.05)

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


def _room(acme: Tenant, *, consent: tuple[bool, bool] = (True, True)) -> tuple[Interview, Participant, Participant]:
    interview, lead, candidate = room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=LEAD_TOKEN,
        candidate_token=CANDIDATE_TOKEN,
        stage__tools_config=RECORDING_TOOLS,
        candidate__full_name="Ada Lovelace",
    )
    for participant, agrees in zip((lead, candidate), consent, strict=True):
        if agrees:
            recording_consent_give(participant=participant, ip_address="127.0.0.1", user_agent="aiortc")
    return interview, lead, candidate


@dataclass
class Timeline:
    recording_from: float
    screen_from: float
    candidate_left: float
    lead_left: float
    lead_saw_recorder: dict[str, Any]
    lead_states: list[bool]
    sessions: list[int]


async def _recorded_call(base: str, room_id: str) -> Timeline:
    async with asyncio.timeout(WHOLE), contextlib.AsyncExitStack() as stack:
        lead = await Browser.open("interviewer", base, room_id, LEAD_TOKEN, LEAD_VIDEO)
        cand = await Browser.open("candidate", base, room_id, CANDIDATE_TOKEN, CANDIDATE_VIDEO)
        # given: the two in a call with each other
        assert await lead.join(room_id) == []
        assert [p["userId"] for p in await cand.join(room_id)] == [lead.self_id]
        await cand.offer(lead.self_id)
        await lead.until(lambda: lead.links.get(cand.self_id) is not None)
        await cand.until(lambda: cand.links[lead.self_id].connectionState == "connected")

        # when: the media process watches the room
        watcher = MediaWatcher(base_url=base, poll_seconds=0.3)
        watching = asyncio.create_task(watcher.run())
        stack.push_async_callback(lambda: asyncio.wait_for(asyncio.shield(watching), STEP))
        stack.callback(watcher.stop)

        # then: the recorder joins as a peer of role recorder, and both are told it records
        await lead.until(lambda: bool(lead.recording))
        await cand.until(lambda: bool(cand.recording))
        recording_from = lead.recording[0][1]
        joined = [f["payload"] for f in lead.frames if f["type"] == "USER_JOINED"][-1]
        recorder_id = joined["userId"]
        # and: it connects to both (it offered; they answered)
        for browser in (lead, cand):
            await browser.until(lambda b=browser: recorder_id in b.links)
            await browser.until(lambda b=browser: b.links[recorder_id].connectionState == "connected")
        await asyncio.sleep(RECORDED_TOGETHER)

        # when: the candidate shares a screen, then leaves; the interviewer stays a while, then leaves
        screen_from = time.monotonic()
        await cand.share_screen(recorder_id)
        await cand.until(lambda: cand.links[recorder_id].signalingState == "stable")
        await asyncio.sleep(SCREEN_FOR)
        candidate_left = await cand.leave()
        await asyncio.sleep(LEAD_ALONE)
        states = [state for state, _at in lead.recording]
        lead_left = await lead.leave()

        # then: the recorder leaves the empty room and stores the session
        async with asyncio.timeout(STEP * 2):
            while not watcher.sessions:  # noqa: ASYNC110 (the watcher has no event to wait on)
                await asyncio.sleep(0.1)
        return Timeline(
            recording_from=recording_from,
            screen_from=screen_from,
            candidate_left=candidate_left,
            lead_left=lead_left,
            lead_saw_recorder=joined,
            lead_states=states,
            sessions=list(watcher.sessions),
        )


def _read_back(recording: Recording) -> tuple[float, set[tuple[int, int]], int]:
    """Duration (s, by PyAV), sizes of the decoded video frames and decoded audio frames."""
    with storage.recording_open(recording) as handle, av.open(handle, "r") as container:
        end, sizes, audio = 0.0, set(), 0
        for packet in container.demux():
            if packet.pts is None:
                continue
            end = max(end, float(packet.pts * packet.time_base) + float((packet.duration or 0) * packet.time_base))
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    sizes.add((frame.width, frame.height))
                else:
                    audio += 1
    return end, sizes, audio


def test_the_recorder_records_each_camera_and_screen_into_playable_files(acme: Tenant, published: Any) -> None:
    # given: a recorded stage, both participants consented
    interview, lead, candidate = _room(acme)
    with daphne_server() as base:
        # when
        timeline = asyncio.run(_recorded_call(base, str(interview.room_id)))

    # then: the browsers saw a peer of role recorder, and the recording state go on, then off
    assert timeline.lead_saw_recorder["userInfo"]["role"] == "recorder"
    assert timeline.lead_states == [True]
    # and: one stored session with the interviewer's camera, the candidate's camera and screen
    session = RecordingSession.objects.get(pk=timeline.sessions[0])
    assert session.status == RecordingSession.Status.READY
    files = {(r.participant_id, r.kind): r for r in session.recordings.all()}
    assert set(files) == {(lead.pk, "camera"), (candidate.pk, "camera"), (candidate.pk, "screen")}
    expected = {
        (lead.pk, "camera"): (timeline.lead_left - timeline.recording_from, LEAD_VIDEO, True),
        (candidate.pk, "camera"): (timeline.candidate_left - timeline.recording_from, CANDIDATE_VIDEO, True),
        (candidate.pk, "screen"): (timeline.candidate_left - timeline.screen_from, SCREEN_VIDEO, False),
    }
    for key, (seconds, size, with_audio) in expected.items():
        recording = files[key]
        duration, sizes, audio_frames = _read_back(recording)
        # PyAV reads the decrypted file back: as long as it was recorded, showing what was sent
        assert abs(duration - seconds) <= TOLERANCE_S, (key, duration, seconds)
        assert abs(recording.duration_ms / 1000 - duration) <= 0.1
        assert sizes == {size}, key
        assert (audio_frames > 0, recording.has_audio, recording.has_video) == (with_audio, with_audio, True)
        assert recording.ended_at is not None
        span = (recording.ended_at - recording.started_at).total_seconds()
        assert abs(span - duration) <= TOLERANCE_S, (key, span, duration)
        assert recording.speaker_name == (lead.display_name if key[0] == lead.pk else "Ada Lovelace")
        # and: nothing but ciphertext on disk
        assert b"webm" not in storage.recording_path(recording).read_bytes()[:4096]
    # and: the recordings with audio are queued for transcription on the batch queue
    transcribed = sorted(args[0] for name, args in published if name == "recordings.transcribe_recording")
    assert transcribed == sorted(files[k].pk for k in [(lead.pk, "camera"), (candidate.pk, "camera")])


async def _call_without_recorder(base: str, room_id: str) -> tuple[list[str], list[str], int]:
    async with asyncio.timeout(WHOLE):
        lead = await Browser.open("interviewer", base, room_id, LEAD_TOKEN, LEAD_VIDEO)
        cand = await Browser.open("candidate", base, room_id, CANDIDATE_TOKEN, CANDIDATE_VIDEO)
        await lead.join(room_id)
        await cand.join(room_id)
        await cand.offer(lead.self_id)
        await cand.until(lambda: cand.links[lead.self_id].connectionState == "connected")
        watcher = MediaWatcher(base_url=base, poll_seconds=0.2)
        # when: the media process looks at the room several times
        for _ in range(5):
            await watcher.poll()
            await asyncio.sleep(0.2)
        started = len(watcher.recorders)
        watcher.stop()
        await watcher.run()
        kinds = (lead.kinds(), cand.kinds())
        await cand.leave()
        await lead.leave()
        return kinds[0], kinds[1], started


def test_nothing_is_recorded_while_someone_present_has_not_consented(acme: Tenant) -> None:
    # given: the candidate did not agree to be recorded (they may still join)
    interview, _lead, _candidate = _room(acme, consent=(True, False))
    with daphne_server() as base:
        # when
        lead_kinds, cand_kinds, started = asyncio.run(_call_without_recorder(base, str(interview.room_id)))
    # then: no recorder joined, nobody was told of a recording, nothing was stored
    assert started == 0
    assert "RECORDING_STATE" not in lead_kinds + cand_kinds
    assert not RecordingSession.objects.filter(interview=interview).exists()
    assert not Recording.objects.filter(interview=interview).exists()
