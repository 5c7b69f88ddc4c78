"""Two real WebRTC peers (aiortc) meet and exchange audio and video through the room socket of a
real daphne: signaling goes OFFER → ANSWER → ICE_CANDIDATE through the server (DESIGN.md §4.1).

aiortc never fires ``icecandidate`` events: it gathers every candidate before
``setLocalDescription`` returns and writes them into the SDP. To send the candidates through the
room as a browser does (trickle ICE), each peer sends its description without the
``a=candidate`` / ``a=end-of-candidates`` lines and then sends the candidates aiortc gathered, one
``ICE_CANDIDATE`` each, followed by the end-of-candidates marker (``candidate: null``). The call
therefore connects only if the server relays those ``ICE_CANDIDATE`` frames to the right peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import pytest
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.sdp import SessionDescription, candidate_from_sdp, candidate_to_sdp
from av import AudioFrame, VideoFrame
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from interviews.factories import room_with_people
from tests.conftest import Tenant
from tests.live_asgi import daphne_server

LEAD_TOKEN = "webrtc-lead-" + "l" * 30
CANDIDATE_TOKEN = "webrtc-cand-" + "c" * 30
LEAD_VIDEO = (320, 240)
CANDIDATE_VIDEO = (176, 144)
STEP_TIMEOUT = 10.0  # any single wait: a socket frame, the connection, a media frame
CALL_TIMEOUT = 60.0  # the whole call, set-up to hang-up
FRAMES = 5
QUIET_SPELL = 7.0  # seconds without signaling: longer than the Redis client's 5 s read timeout


@pytest.fixture(autouse=True)
def _loopback_host_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gather host candidates on 127.0.0.1 only (aioice skips loopback; it has no option for this).

    The peers then reach each other on any machine, a container without a network included, and
    no packet leaves the host. No STUN or TURN server is configured.
    """
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


class CardTrack(VideoStreamTrack):
    """A video source of ``width``×``height`` frames whose brightness changes every frame."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.width, self.height, self.count = width, height, 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height)
        for plane in frame.planes:
            plane.update(bytes([(self.count * 8) % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        self.count += 1
        return frame


def _without_candidates(sdp: str) -> str:
    """The description a trickle-ICE client sends: its candidates follow as ICE_CANDIDATE."""
    kept = [line for line in sdp.splitlines() if line and not line.startswith(("a=candidate:", "a=end-of-candidates"))]
    return "\r\n".join(kept) + "\r\n"


def _gathered_candidates(sdp: str) -> list[dict[str, Any]]:
    """The candidates aiortc gathered, as browsers' ``RTCIceCandidateInit`` objects."""
    return [
        {"candidate": "candidate:" + candidate_to_sdp(candidate), "sdpMid": media.rtp.muxId, "sdpMLineIndex": index}
        for index, media in enumerate(SessionDescription.parse(sdp).media)
        for candidate in media.ice_candidates
    ]


@dataclass
class Peer:
    """One participant's browser: a room socket and an aiortc peer connection sending media."""

    name: str
    ws: ClientConnection
    pc: RTCPeerConnection
    self_id: str = ""
    remote_tracks: dict[str, MediaStreamTrack] = field(default_factory=dict)
    relayed: list[dict[str, Any]] = field(default_factory=list)  # OFFER/ANSWER/ICE_CANDIDATE received
    sent_candidates: int = 0  # ICE_CANDIDATE frames sent with a candidate (they go with the first description)
    end_of_candidates: asyncio.Event = field(default_factory=asyncio.Event)
    signaling: asyncio.Task[None] | None = None
    trickled: bool = False

    @classmethod
    async def open(cls, name: str, base_url: str, room_id: str, token: str, video: tuple[int, int]) -> Peer:
        ws_url = base_url.replace("http://", "ws://", 1) + f"/ws/rooms/{room_id}/?token={token}"
        ws = await connect(ws_url, origin=Origin(base_url), proxy=None, open_timeout=STEP_TIMEOUT)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peer = cls(name=name, ws=ws, pc=pc)
        pc.addTrack(CardTrack(*video))
        pc.addTrack(AudioStreamTrack())  # 20 ms of silence per frame
        pc.on("track", lambda track: peer.remote_tracks.setdefault(track.kind, track))
        return peer

    async def send(self, kind: str, payload: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"type": kind, "payload": payload}))

    async def receive(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT))
        assert frame["type"] != "ERROR", f"{self.name} got {frame}"
        return frame

    async def join(self, room_id: str) -> list[str]:
        """JOIN_ROOM; returns the ids of the peers already in the room."""
        await self.send("JOIN_ROOM", {"roomId": room_id, "userInfo": {"audio": True, "video": True}})
        reply = await self.receive()
        assert reply["type"] == "ROOM_PEERS", reply
        self.self_id = reply["payload"]["selfId"]
        return [peer["userId"] for peer in reply["payload"]["peers"]]

    async def offer(self, target_id: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._send_description("OFFER", target_id)

    async def _send_description(self, kind: str, target_id: str) -> None:
        local = self.pc.localDescription
        await self.send(
            kind, {"sdp": {"type": local.type, "sdp": _without_candidates(local.sdp)}, "targetId": target_id}
        )
        if self.trickled:  # a renegotiation keeps the ICE session: no new candidates
            return
        self.trickled = True
        for candidate in _gathered_candidates(local.sdp):
            await self.send("ICE_CANDIDATE", {"candidate": candidate, "targetId": target_id})
            self.sent_candidates += 1
        await self.send("ICE_CANDIDATE", {"candidate": None, "targetId": target_id})

    def start_signaling(self) -> None:
        self.signaling = asyncio.create_task(self._signal(), name=f"{self.name}-signaling")

    async def _signal(self) -> None:
        """Handle what the room relays, in order (a candidate never overtakes its description)."""
        async for raw in self.ws:
            frame = json.loads(raw)
            kind, payload = frame["type"], frame["payload"]
            assert kind != "ERROR", f"{self.name} got {frame}"
            if kind not in ("OFFER", "ANSWER", "ICE_CANDIDATE"):
                continue
            self.relayed.append(frame)
            if kind in ("OFFER", "ANSWER"):
                await self.pc.setRemoteDescription(RTCSessionDescription(**payload["sdp"]))
                if kind == "OFFER":
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self._send_description("ANSWER", payload["fromId"])
            elif payload["candidate"] is None:
                await self.pc.addIceCandidate(None)
                self.end_of_candidates.set()
            else:
                init = payload["candidate"]
                candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
                candidate.sdpMid, candidate.sdpMLineIndex = init["sdpMid"], init["sdpMLineIndex"]
                await self.pc.addIceCandidate(candidate)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (bounded by the caller's timeout) until ``condition`` holds while the socket is up."""
        while not condition():
            self.check_signaling()
            await asyncio.sleep(0.05)

    def relayed_kinds(self) -> list[str]:
        return [frame["type"] for frame in self.relayed]

    async def remote_frames(self, kind: str) -> list[Any]:
        """``FRAMES`` decoded frames of the other peer's ``kind`` track."""
        await self.until(lambda: kind in self.remote_tracks)
        track = self.remote_tracks[kind]
        return [await asyncio.wait_for(track.recv(), STEP_TIMEOUT) for _ in range(FRAMES)]

    def check_signaling(self) -> None:
        """Raise what ended the signaling task, if it ended: the socket must stay up during the call."""
        if self.signaling is not None and self.signaling.done():
            self.signaling.result()
            raise AssertionError(f"{self.name}: the room socket closed during the call")

    async def hang_up(self) -> None:
        """Close the peer connection and the socket (what went wrong before was checked already)."""
        async with asyncio.timeout(STEP_TIMEOUT):
            await self.pc.close()
            await self.ws.close()
            if self.signaling is not None:
                self.signaling.cancel()
                await asyncio.gather(self.signaling, return_exceptions=True)


def _room(acme: Tenant) -> str:
    interview, _lead, _candidate = room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=LEAD_TOKEN,
        candidate_token=CANDIDATE_TOKEN,
        candidate__organization=acme.org,
        candidate__position__organization=acme.org,
    )
    return str(interview.room_id)


@dataclass(frozen=True)
class CallOutcome:
    """What each side of the call ended with."""

    lead_saw: set[tuple[int, int]]  # sizes of the video frames the interviewer decoded
    candidate_saw: set[tuple[int, int]]
    states: tuple[str, str]  # the two peer connections' states
    answers: int  # ANSWER frames the candidate received through the room


async def _call(room_id: str, *, lead_server: str, candidate_server: str, quiet_for: float = 0) -> CallOutcome:
    """The interviewer joins, the candidate joins and calls; each must see and hear the other.

    With ``quiet_for``, the call then goes on for that long without signaling before the candidate
    renegotiates (as when sharing a screen): the room must still relay the offer and the answer.
    """
    async with asyncio.timeout(CALL_TIMEOUT), contextlib.AsyncExitStack() as hang_up:
        lead = await Peer.open("interviewer", lead_server, room_id, LEAD_TOKEN, LEAD_VIDEO)
        hang_up.push_async_callback(lead.hang_up)
        cand = await Peer.open("candidate", candidate_server, room_id, CANDIDATE_TOKEN, CANDIDATE_VIDEO)
        hang_up.push_async_callback(cand.hang_up)
        # given: both in the room
        assert await lead.join(room_id) == []
        assert await cand.join(room_id) == [lead.self_id]
        joined = await lead.receive()
        assert (joined["type"], joined["payload"]["userId"]) == ("USER_JOINED", cand.self_id)

        # when: the newcomer calls the peer already there
        lead.start_signaling()
        cand.start_signaling()
        await cand.offer(lead.self_id)

        # then: each decodes the other's video at the size it was sent, and its audio
        lead_video, lead_audio = await lead.remote_frames("video"), await lead.remote_frames("audio")
        cand_video, cand_audio = await cand.remote_frames("video"), await cand.remote_frames("audio")
        assert {(f.width, f.height) for f in lead_video} == {CANDIDATE_VIDEO}
        assert {(f.width, f.height) for f in cand_video} == {LEAD_VIDEO}
        for frame in [*lead_audio, *cand_audio]:
            assert isinstance(frame, AudioFrame)
            assert (frame.sample_rate, frame.samples) == (48000, 960)  # Opus, 20 ms
        assert (lead.pc.connectionState, cand.pc.connectionState) == ("connected", "connected")

        # and: the signaling went through the room, stamped with the sender, to its target only
        for receiver, sender, description in ((lead, cand, "OFFER"), (cand, lead, "ANSWER")):
            await asyncio.wait_for(receiver.end_of_candidates.wait(), STEP_TIMEOUT)
            assert receiver.relayed_kinds() == [description] + ["ICE_CANDIDATE"] * (sender.sent_candidates + 1)
            assert sender.sent_candidates >= 1
            assert {(f["payload"]["fromId"], f["payload"]["targetId"]) for f in receiver.relayed} == {
                (sender.self_id, receiver.self_id)
            }

        if quiet_for:
            # when: the call goes on peer to peer, with nothing to signal for a while
            await asyncio.sleep(quiet_for)
            # and: the candidate renegotiates
            await cand.offer(lead.self_id)
            # then: the offer and the answer still cross the room
            async with asyncio.timeout(STEP_TIMEOUT):
                await cand.until(lambda: cand.relayed_kinds().count("ANSWER") == 2)
            assert lead.relayed_kinds().count("OFFER") == 2
            assert (lead.pc.signalingState, cand.pc.signalingState) == ("stable", "stable")

        lead.check_signaling()
        cand.check_signaling()
        return CallOutcome(
            lead_saw={(f.width, f.height) for f in lead_video},
            candidate_saw={(f.width, f.height) for f in cand_video},
            states=(lead.pc.connectionState, cand.pc.connectionState),
            answers=cand.relayed_kinds().count("ANSWER"),
        )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_interviewer_and_candidate_see_and_hear_each_other_through_one_server(acme: Tenant) -> None:
    room_id = _room(acme)
    with daphne_server() as server:
        outcome = asyncio.run(_call(room_id, lead_server=server, candidate_server=server))
    assert (outcome.lead_saw, outcome.candidate_saw) == ({CANDIDATE_VIDEO}, {LEAD_VIDEO})
    assert outcome.states == ("connected", "connected")


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_peers_on_two_servers_sharing_redis_see_and_hear_each_other(acme: Tenant) -> None:
    room_id = _room(acme)
    with daphne_server(redis=True) as first, daphne_server(redis=True) as second:
        outcome = asyncio.run(_call(room_id, lead_server=first, candidate_server=second))
    assert (outcome.lead_saw, outcome.candidate_saw) == ({CANDIDATE_VIDEO}, {LEAD_VIDEO})
    assert outcome.states == ("connected", "connected")


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_call_on_two_servers_can_renegotiate_after_a_quiet_spell(acme: Tenant) -> None:
    room_id = _room(acme)
    with daphne_server(redis=True) as first, daphne_server(redis=True) as second:
        outcome = asyncio.run(_call(room_id, lead_server=first, candidate_server=second, quiet_for=QUIET_SPELL))
    # the renegotiation after the quiet spell was answered through the room
    assert outcome.answers == 2
    assert outcome.states == ("connected", "connected")
