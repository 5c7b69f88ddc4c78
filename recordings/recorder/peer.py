"""The recorder peer: joins one room over its socket (DESIGN.md §4.1) and records everyone in it.

It speaks the room's protocol like a browser: JOIN_ROOM, then an OFFER to each peer listed in
ROOM_PEERS (receive-only: one audio and one video line, which browsers fill with their
microphone and camera), and an ANSWER to each newcomer's OFFER and to every renegotiation (a
screen share is one more video line). aiortc gathers its ICE candidates before an offer or
answer is made and puts them in the description, so it sends no ICE_CANDIDATE of its own; it
applies the ones browsers trickle.

Before it takes media from anyone it checks their consent in the database; a peer without one
(a newcomer who did not agree, or a withdrawal) ends the whole recording at once — nothing is
recorded while they are present — and the media process decides later whether to come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from interviews import events
from interviews.realtime import recorder as credentials
from recordings import storage
from recordings.recorder import services
from recordings.recorder.media import Clock, FileSink

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0


@dataclass
class RemotePeer:
    """One browser in the room, the connection to it and the files of its tracks.

    Its camera file runs on ``clock``, started when the room said they are here (ROOM_PEERS or
    USER_JOINED, as the frame came): the file covers the whole time they were in the recording,
    not only from when their media came (negotiating with a browser can take seconds); its first
    picture and sound are stamped at the moment they came.
    """

    peer_id: str
    participant_id: int
    name: str
    pc: RTCPeerConnection
    clock: Clock = field(default_factory=Clock)
    camera: FileSink | None = None
    screens: dict[RTCRtpTransceiver, FileSink] = field(default_factory=dict)
    starting: set[asyncio.Task[None]] = field(default_factory=set)

    def sinks(self) -> list[FileSink]:
        return [s for s in [self.camera, *self.screens.values()] if s is not None]


class RoomRecorder:
    """Records one room from joining until :meth:`stop` or the room ends; then stores the files."""

    def __init__(self, *, interview_id: int, room_id: uuid.UUID | str, base_url: str) -> None:
        self.interview_id = interview_id
        self.room_id = uuid.UUID(str(room_id))
        self.base_url = base_url.rstrip("/")
        self.peer_id = credentials.recorder_peer_id()
        self.peers: dict[str, RemotePeer] = {}
        self.finished: list[FileSink] = []
        self.stopping = asyncio.Event()
        self.reason = ""
        self.joined = asyncio.Event()
        self.session_id: int | None = None
        self.ws: ClientConnection | None = None
        self.scratch: Path | None = None

    # --- life cycle ----------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        """Leave the room (from any task); :meth:`run` then finalises."""
        if not self.stopping.is_set():
            self.reason = reason
            logger.info("recorder %s: stopping (%s)", self.room_id, reason)
            self.stopping.set()

    async def run(self) -> int | None:
        """Record until stopped; the id of the stored session (None when nothing was recorded)."""
        self.scratch = await sync_to_async(storage.scratch_dir)()
        self.session_id = await sync_to_async(services.recording_session_start)(interview_id=self.interview_id)
        error = ""
        try:
            await self._attend()
        except Exception as exc:  # a broken socket or peer ends this recording, not the process
            logger.exception("recorder %s: recording failed", self.room_id)
            error = f"{type(exc).__name__}: {exc}"[:500]
        finally:
            await self._leave()
        files = [self._finished(sink) for sink in self.finished]
        session = await sync_to_async(services.recording_session_finish)(
            session_id=self.session_id, files=files, error=error
        )
        return session.pk if session is not None else None

    async def _attend(self) -> None:
        ws_url = self.base_url.replace("http", "ws", 1) + f"/ws/rooms/{self.room_id}/"
        credential = await sync_to_async(credentials.credential_mint, thread_sensitive=False)(
            room_id=self.room_id, peer=self.peer_id
        )
        self.ws = await connect(
            ws_url,
            origin=Origin(self.base_url),
            additional_headers={"X-TalentSync-Recorder": credential},
            proxy=None,
            open_timeout=CONNECT_TIMEOUT,
        )
        await self._send(events.JOIN_ROOM, {"roomId": str(self.room_id), "userInfo": {}})
        frames: asyncio.Queue[tuple[str | bytes, Clock] | None] = asyncio.Queue()
        reading = asyncio.ensure_future(self._read(self.ws, frames))
        stopping = asyncio.ensure_future(self.stopping.wait())
        try:
            while not self.stopping.is_set():
                getting = asyncio.ensure_future(frames.get())
                await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    break
                item = getting.result()
                if item is None:
                    self.stop("the room socket closed")
                    break
                await self._handle(*item)
        finally:
            stopping.cancel()
            reading.cancel()

    @staticmethod
    async def _read(ws: ClientConnection, frames: asyncio.Queue[tuple[str | bytes, Clock] | None]) -> None:
        """Every frame of the room with the moment it came (None: the socket closed).

        Frames are handled one at a time, and answering a browser's offer can take a second or
        more (aiortc gathers its candidates first): the moment a peer joined or left must not
        wait for that.
        """
        try:
            async for raw in ws:
                frames.put_nowait((raw, Clock()))
        except ConnectionClosed:
            pass
        finally:
            frames.put_nowait(None)

    async def _leave(self) -> None:
        """End every file at once and tell the room, then write the files out and hang up."""
        peers = list(self.peers.values())
        self.peers.clear()
        for peer in peers:
            for sink in peer.sinks():
                sink.end()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        for peer in peers:
            await self._drop(peer)

    # --- frames --------------------------------------------------------------------------
    async def _send(self, kind: str, payload: dict[str, Any]) -> None:
        if self.ws is not None:
            await self.ws.send(json.dumps({"type": kind, "payload": payload}))

    async def _handle(self, raw: str | bytes, arrived: Clock) -> None:
        try:
            frame = json.loads(raw)
            kind, payload = frame["type"], frame.get("payload") or {}
        except (ValueError, KeyError, TypeError):
            return
        if kind == events.ROOM_PEERS:
            self.joined.set()
            admitted = [await self._admit(entry.get("userId"), arrived) for entry in payload.get("peers", [])]
            for peer in admitted:  # everyone is admitted (their clocks run) before the first offer
                if peer is not None:
                    await self._offer(peer)
        elif kind == events.USER_JOINED:
            await self._admit(payload.get("userId"), arrived)
        elif kind == events.USER_LEFT:
            peer = self.peers.get(str(payload.get("userId")))
            if peer is not None:
                await self._drop(peer)
            if not self.peers:
                self.stop("everyone left")
        elif kind == events.RECORDING_CONSENT_WITHDRAWN:
            self.stop("a participant withdrew their consent")
        elif kind in (events.OFFER, events.ANSWER, events.ICE_CANDIDATE):
            await self._signal(kind, payload)
        elif kind == events.ERROR:
            logger.info("recorder %s: the room said %s", self.room_id, payload)

    async def _admit(self, peer_id: Any, arrived: Clock | None = None) -> RemotePeer | None:
        """The peer's connection, once their consent is checked; a peer without one stops everything."""
        if not isinstance(peer_id, str) or self.stopping.is_set():
            return None
        if peer_id in self.peers:
            return self.peers[peer_id]
        admission = await sync_to_async(services.peer_admission)(interview_id=self.interview_id, peer=peer_id)
        if admission is None:
            return None  # another recorder, or a peer that is no participant: nothing to record
        if not admission.consented:
            self.stop("a participant without consent is in the room")
            return None
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peer = RemotePeer(
            peer_id=peer_id,
            participant_id=admission.participant_id,
            name=admission.name,
            pc=pc,
            clock=arrived or Clock(),
        )
        self.peers[peer_id] = peer
        return peer

    async def _offer(self, peer: RemotePeer) -> None:
        peer.pc.addTransceiver("audio", direction="recvonly")
        peer.pc.addTransceiver("video", direction="recvonly")
        await peer.pc.setLocalDescription(await peer.pc.createOffer())
        await self._describe(events.OFFER, peer)

    async def _describe(self, kind: str, peer: RemotePeer) -> None:
        local = peer.pc.localDescription
        await self._send(kind, {"sdp": {"type": local.type, "sdp": local.sdp}, "targetId": peer.peer_id})

    async def _signal(self, kind: str, payload: dict[str, Any]) -> None:
        peer = await self._admit(payload.get("fromId"))
        if peer is None:
            return
        if kind == events.ICE_CANDIDATE:
            init = payload.get("candidate")
            if not isinstance(init, dict) or not init.get("candidate"):
                return  # end of candidates (aiortc needs no marker)
            with contextlib.suppress(ValueError, KeyError, IndexError):
                candidate = candidate_from_sdp(str(init["candidate"]).removeprefix("candidate:"))
                candidate.sdpMid, candidate.sdpMLineIndex = init.get("sdpMid"), init.get("sdpMLineIndex")
                await peer.pc.addIceCandidate(candidate)
            return
        description = payload.get("sdp")
        if not isinstance(description, dict) or description.get("type") not in ("offer", "answer"):
            return
        if description["type"] == "offer" and peer.pc.signalingState != "stable":
            return  # a collision: the browser is the polite side and rolls back (see recorder_peer_id)
        if description["type"] == "answer" and peer.pc.signalingState != "have-local-offer":
            return
        await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=description["sdp"], type=description["type"]))
        if description["type"] == "offer":
            await peer.pc.setLocalDescription(await peer.pc.createAnswer())
            await self._describe(events.ANSWER, peer)
        await self._follow_tracks(peer)

    # --- files ---------------------------------------------------------------------------
    async def _follow_tracks(self, peer: RemotePeer) -> None:
        """After a negotiation: start the files of new tracks, finish those of ended screen shares.

        The room page's layout: the first audio and the first video line carry the microphone
        and the camera, any further video line a screen share.
        """
        scratch = self.scratch
        if scratch is None:
            return
        transceivers = [t for t in peer.pc.getTransceivers() if not t.stopped]
        audio = next((t for t in transceivers if t.kind == "audio"), None)
        videos = [t for t in transceivers if t.kind == "video"]
        if peer.camera is None and (audio is not None or videos):
            sources = [t.receiver.track for t in [audio, videos[0] if videos else None] if t is not None]
            peer.camera = self._sink(peer, "camera", scratch)
            self._start(peer, peer.camera, sources)
        for transceiver in videos[1:]:
            receiving = transceiver.currentDirection in ("recvonly", "sendrecv")
            sink = peer.screens.get(transceiver)
            if receiving and sink is None:
                sink = peer.screens[transceiver] = self._sink(peer, "screen", scratch)
                self._start(peer, sink, [transceiver.receiver.track])
            elif not receiving and sink is not None:
                del peer.screens[transceiver]
                await self._finish(sink)

    def _sink(self, peer: RemotePeer, kind: str, scratch: Path) -> FileSink:
        """A new file of ``peer``: the camera on the peer's clock, a screen share on its own."""
        path = scratch / f"{uuid.uuid4().hex}.webm"
        clock = peer.clock if kind == "camera" else Clock()
        return FileSink(path=path, kind=kind, participant_id=peer.participant_id, speaker_name=peer.name, clock=clock)

    def _start(self, peer: RemotePeer, sink: FileSink, sources: list[Any]) -> None:
        task = asyncio.ensure_future(sink.start(sources))
        peer.starting.add(task)
        task.add_done_callback(peer.starting.discard)

    async def _finish(self, sink: FileSink) -> None:
        await sink.stop()
        self.finished.append(sink)

    async def _drop(self, peer: RemotePeer) -> None:
        """The peer left (or the recorder does): their files end now, then are written out."""
        self.peers.pop(peer.peer_id, None)
        sinks = peer.sinks()
        for sink in sinks:
            sink.end()
        for sink in sinks:
            await self._finish(sink)
        for task in list(peer.starting):
            with contextlib.suppress(Exception):
                await task
        await peer.pc.close()

    def _finished(self, sink: FileSink) -> services.FinishedFile:
        return services.FinishedFile(
            path=sink.path,
            kind=sink.kind,
            participant_id=sink.participant_id,
            speaker_name=sink.speaker_name,
            started_at=sink.clock.started_at,
            ended_at=sink.ended_at or sink.clock.started_at,
            received_audio=sink.received("audio"),
            received_video=sink.received("video"),
        )
