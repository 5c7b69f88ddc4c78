"""Writing a participant's tracks to WebM files with aiortc's ``MediaRecorder``.

``MediaRecorder`` muxes frames with the timestamps they carry. Frames decoded from WebRTC carry
RTP timestamps, which start at a random value per track and stop advancing while a sender sends
nothing (a microphone or camera turned off): audio and video would drift apart and a file would
not say how long it really lasted. Each track is therefore wrapped in a :class:`WallClockTrack`
that restamps its frames on the recording's own clock (zero at the file's ``started_at``) and
fills gaps — silence for audio, the last picture again for video — so a file's timeline is the
wall clock's: a transcript second *n* is the interview's ``started_at + n``. That restamping (and
reading the duration back with PyAV) is all that is written by hand here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame
from django.utils import timezone

AUDIO_RATE = 48000
VIDEO_RATE = 30  # MediaRecorder's WebM video stream runs at 1/30 s ticks
#: without a frame for this long, a gap is filled (an audio frame every 20 ms, so 5 are missing)
AUDIO_GAP = 0.1
VIDEO_GAP = 0.5
#: audio that arrives this far ahead of the wall clock (after a filled gap) is dropped
AUDIO_AHEAD_MAX = 0.3
#: a file's streams are sized by their first frame; without one this soon the camera is off
START_WAIT = 3.0
#: the picture of a camera that is off from the start
BLACK_SIZE = (640, 480)
#: libvpx's defaults ("good", cpu-used 1) take tens of milliseconds a frame, and MediaRecorder
#: encodes on the event loop that also reads the room's socket: with a few cameras the loop fell
#: seconds behind (joins and leaves seen late, files too short or too long, frames lost).
VP8_OPTIONS = {"deadline": "realtime", "cpu-used": "8"}


class Clock:
    """Seconds since a file started, on the monotonic clock; ``started_at`` is its wall time."""

    def __init__(self) -> None:
        self.origin = time.monotonic()
        self.started_at: datetime = timezone.now()

    def now(self) -> float:
        return time.monotonic() - self.origin


class WallClockTrack(MediaStreamTrack):
    """Frames of ``source`` restamped on ``clock``, with gaps filled (see the module docstring)."""

    def __init__(self, source: MediaStreamTrack, clock: Clock) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.clock = clock
        self.pending: asyncio.Future[Any] | None = None
        self.samples = 0  # audio: samples written so far (the next pts)
        self.tick = -1  # video: the last 1/30 s tick used
        self.last_video: VideoFrame | None = None
        self.frames = 0  # frames that came from the source (not fillers)
        self.first_frame_at: float | None = None
        self.primed: AudioFrame | VideoFrame | None = None
        self.audio_shape: tuple[str, str, int] = ("s16", "stereo", AUDIO_RATE)  # what aiortc's Opus decoder gives
        self.ended = False

    async def prime(self) -> None:
        """Wait (a little) for the first frame, so the file's stream is sized by it."""
        with contextlib.suppress(MediaStreamError):
            self.primed = await self._next(wait=START_WAIT)
        if self.primed is None and self.kind == "video":
            black = VideoFrame(width=BLACK_SIZE[0], height=BLACK_SIZE[1], format="yuv420p")
            for index, plane in enumerate(black.planes):
                plane.update(bytes([16 if index == 0 else 128]) * plane.buffer_size)
            self.primed = black  # a first frame at once sizes the stream (see FileSink.start)

    async def recv(self) -> AudioFrame | VideoFrame:  # type: ignore[override]
        while True:
            if self.readyState != "live":
                raise MediaStreamError  # the file ended: no filler after its end either
            if self.primed is not None:
                frame, self.primed = self.primed, None
            elif self._audio_behind():
                frame = None  # a gap: catch up with silence before waiting again
            else:
                frame = await self._next()
            stamped = self._stamp_audio(frame) if self.kind == "audio" else self._stamp_video(frame)
            if stamped is not None:
                return stamped

    def _audio_behind(self) -> bool:
        if self.kind != "audio" or self.samples == 0 or (self.pending is not None and self.pending.done()):
            return False
        return self.samples / self.audio_shape[2] < self.clock.now() - AUDIO_GAP

    async def _next(self, wait: float | None = None) -> AudioFrame | VideoFrame | None:
        """The source's next frame, or None when it is late (a gap to fill)."""
        if self.ended:
            raise MediaStreamError
        pending = self.pending
        if pending is None:
            pending = self.pending = asyncio.ensure_future(self.source.recv())
        gap = wait if wait is not None else AUDIO_GAP if self.kind == "audio" else VIDEO_GAP
        done, _ = await asyncio.wait({pending}, timeout=gap)
        if not done:
            return None
        self.pending = None
        if pending.cancelled():  # stopped while waiting
            self.ended = True
            raise MediaStreamError
        try:
            frame = pending.result()
        except MediaStreamError:
            self.ended = True
            raise
        if not isinstance(frame, AudioFrame | VideoFrame):
            raise MediaStreamError
        self.frames += 1
        if self.first_frame_at is None:
            self.first_frame_at = self.clock.now()
        return frame

    def _stamp_audio(self, frame: AudioFrame | VideoFrame | None) -> AudioFrame | None:
        now = self.clock.now()
        if frame is not None and not isinstance(frame, AudioFrame):
            return None
        if frame is not None:  # silence must look like the real frames, or the encoder's resampler refuses it
            self.audio_shape = (frame.format.name, frame.layout.name, frame.sample_rate or AUDIO_RATE)
        rate = self.audio_shape[2]
        if self.samples == 0:
            # the file's audio begins when its first frame came (silence until then)
            start = self.first_frame_at if frame is not None and self.first_frame_at is not None else now
            self.samples = max(1, int(start * rate))
        written = self.samples / rate
        if frame is None:
            if written > now - AUDIO_GAP / 2:
                return None  # not behind the wall clock: nothing to fill yet
            frame = AudioFrame(format=self.audio_shape[0], layout=self.audio_shape[1], samples=rate // 50)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate = rate
        elif written > now + AUDIO_AHEAD_MAX:
            return None  # a burst after a filled gap: keep the file on the wall clock
        frame.pts = self.samples
        frame.time_base = Fraction(1, rate)
        self.samples += frame.samples
        return frame

    def _stamp_video(self, frame: AudioFrame | VideoFrame | None) -> VideoFrame | None:
        if frame is None:
            if self.last_video is None:
                return None  # nothing to repeat yet
            frame = self.last_video
        elif not isinstance(frame, VideoFrame):
            return None
        tick = round(self.clock.now() * VIDEO_RATE)
        if tick <= self.tick:
            if self.tick - tick > 1:
                return None  # frames arrive faster than 30 per second: drop this one
            tick = self.tick + 1
        self.tick = tick
        self.last_video = frame  # the encoder took its own reference: restamping it again is safe
        frame.pts = tick
        frame.time_base = Fraction(1, VIDEO_RATE)
        return frame

    def stop(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
        super().stop()


class RealtimeRecorder(MediaRecorder):
    """aiortc's ``MediaRecorder``, its VP8 encoder set for real time (see ``VP8_OPTIONS``)."""

    def addTrack(self, track: MediaStreamTrack) -> None:
        super().addTrack(track)
        if track.kind == "video":
            # MediaRecorder keeps its streams private and opens the encoder at the first frame
            context = getattr(self, "_MediaRecorder__tracks")[track]  # noqa: B009
            context.stream.options = dict(VP8_OPTIONS)


@dataclass
class FileSink:
    """One file being written: a participant's camera and microphone, or one screen share."""

    path: Path
    kind: str  # "camera" | "screen"
    participant_id: int | None
    speaker_name: str
    clock: Clock = field(default_factory=Clock)
    tracks: list[WallClockTrack] = field(default_factory=list)
    recorder: RealtimeRecorder | None = None
    ended_at: datetime | None = None
    closed: bool = False

    async def start(self, sources: list[MediaStreamTrack]) -> None:
        if self.closed:
            return  # the session ended before the first frame was awaited
        self.tracks = [WallClockTrack(source, self.clock) for source in sources]
        await asyncio.gather(*(track.prime() for track in self.tracks))
        if self.closed:
            return
        self.recorder = RealtimeRecorder(str(self.path), format="webm")
        # The first packet muxed opens every stream's encoder, and MediaRecorder sizes the video
        # stream by its first frame: the video track goes first (its first frame is ready).
        for track in sorted(self.tracks, key=lambda t: t.kind != "video"):
            self.recorder.addTrack(track)
        await self.recorder.start()

    def end(self) -> None:
        """The file ends now: no frame is taken after this, however long writing it out takes.

        All files of a session (or of a peer who left) end at the same instant, then are written
        out one by one; a file that waited for the others to be written would run on for longer
        than it was recorded.
        """
        if self.closed:
            return
        self.closed = True
        self.ended_at = timezone.now()
        for track in self.tracks:
            track.stop()

    async def stop(self) -> None:
        """End the file (when not yet) and write it out."""
        self.end()
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            with contextlib.suppress(Exception):  # a file that never got a frame cannot be closed cleanly
                await recorder.stop()

    def received(self, kind: str) -> bool:
        """Whether the participant's ``kind`` track delivered at least one real frame."""
        return any(track.kind == kind and track.frames > 0 for track in self.tracks)


@dataclass(frozen=True)
class Probe:
    duration_ms: int
    has_audio: bool
    has_video: bool


def probe(path: Path) -> Probe | None:
    """What PyAV reads back from a written file (None when it is not a playable file)."""
    try:
        with av.open(str(path)) as container:
            has_audio = any(s.type == "audio" for s in container.streams)
            has_video = any(s.type == "video" for s in container.streams)
            end = 0.0
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None:
                    continue
                length = float((packet.duration or 0) * packet.time_base)
                end = max(end, float(packet.pts * packet.time_base) + length)
    except (av.FFmpegError, OSError):
        return None
    if end <= 0:
        return None
    return Probe(duration_ms=round(end * 1000), has_audio=has_audio, has_video=has_video)
