"""Decode a recording's audio track into a stream of 16 kHz mono signed 16-bit PCM.

PyAV (FFmpeg) demuxes and decodes whatever the recorder wrote (WebM/Opus today) from any
seekable file object — ``recordings.storage.recording_open`` hands over the decrypted file
without writing plaintext to disk — and its resampler converts to the one format both engines
take. Frames are yielded as they are decoded, so a long recording never sits in memory whole.

The PCM stream stays on the recording's clock: sample ``n`` is at ``n / 16000`` seconds from
the start of the container (the recording's ``started_at``). When the track starts late or has
holes (packets lost on the network, the microphone muted), silence fills the difference, so
segment times computed from sample counts land where the speech really was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

import av
import av.error

from recordings.transcription.errors import AudioDecodeError, NoAudioTrack

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SAMPLE_BYTES = 2  # s16, one channel
# A hole in the timestamps shorter than this is jitter, not a gap worth filling.
_GAP_TOLERANCE_SAMPLES = SAMPLE_RATE // 10
_SILENCE_CHUNK = bytes(SAMPLE_RATE * SAMPLE_BYTES)  # one second
# Give up on a file where nothing but broken packets come out.
_MAX_BAD_PACKETS = 200


class SeekableSource(Protocol):
    """What PyAV needs of a file object: ``read`` and ``seek`` (a decrypted recording, an open file)."""

    def read(self, size: int = -1, /) -> bytes | None: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


def ms_of_samples(samples: int) -> int:
    """Milliseconds from the start of the stream to sample ``samples``."""
    return samples * 1000 // SAMPLE_RATE


def pcm_stream(source: SeekableSource | Path | str) -> Iterator[bytes]:
    """Yield the first audio track of ``source`` as 16 kHz mono s16 little-endian PCM chunks.

    Raises :class:`NoAudioTrack` when the file has no audio stream and
    :class:`AudioDecodeError` when FFmpeg cannot read it at all.
    """
    try:
        container = av.open(source if not isinstance(source, Path) else str(source), mode="r")
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioDecodeError(f"cannot open the recording as media: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise NoAudioTrack("the recording has no audio track")
        stream = container.streams.audio[0]
        # Times count from the start of the container, which the recorder aligns with the
        # recording's started_at; a track that starts later is padded with silence.
        origin = (container.start_time or 0) / 1_000_000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        produced = 0
        bad_packets = 0
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    # One damaged packet (a truncated last write, a bit flip) costs ~20 ms of
                    # audio, not the transcript.
                    bad_packets += 1
                    if bad_packets > _MAX_BAD_PACKETS:
                        raise AudioDecodeError("too many damaged audio packets") from None
                    continue
                for frame in frames:
                    if frame.time is not None:
                        expected = round((frame.time - origin) * SAMPLE_RATE)
                        gap = expected - produced
                        if gap > _GAP_TOLERANCE_SAMPLES:
                            for chunk in _silence(gap):
                                produced += len(chunk) // SAMPLE_BYTES
                                yield chunk
                    for out in resampler.resample(frame):
                        data = _frame_bytes(out)
                        produced += len(data) // SAMPLE_BYTES
                        yield data
            for out in resampler.resample(None):
                data = _frame_bytes(out)
                produced += len(data) // SAMPLE_BYTES
                yield data
        except av.error.FFmpegError as exc:
            raise AudioDecodeError(f"cannot decode the audio track: {exc}") from exc
        if bad_packets:
            logger.warning("skipped %d damaged audio packets", bad_packets)


def _frame_bytes(frame: av.AudioFrame) -> bytes:
    # Planes are padded for SIMD; only samples * 2 bytes are audio.
    return bytes(frame.planes[0])[: frame.samples * SAMPLE_BYTES]


def _silence(samples: int) -> Iterator[bytes]:
    left = samples * SAMPLE_BYTES
    while left > 0:
        take = min(left, len(_SILENCE_CHUNK))
        yield _SILENCE_CHUNK[:take]
        left -= take


class FrameReader:
    """Re-cut a stream of PCM chunks into frames of exactly ``frame_bytes`` (the last one padded)."""

    def __init__(self, chunks: Iterable[bytes], frame_bytes: int) -> None:
        self._chunks = iter(chunks)
        self._frame_bytes = frame_bytes
        self._buffer = bytearray()
        self.samples_read = 0

    def __iter__(self) -> Iterator[bytes]:
        size = self._frame_bytes
        for chunk in self._chunks:
            self._buffer += chunk
            while len(self._buffer) >= size:
                frame = bytes(self._buffer[:size])
                del self._buffer[:size]
                self.samples_read += size // SAMPLE_BYTES
                yield frame
        if self._buffer:
            tail = bytes(self._buffer) + bytes(size - len(self._buffer))
            self._buffer.clear()
            self.samples_read += size // SAMPLE_BYTES
            yield tail
