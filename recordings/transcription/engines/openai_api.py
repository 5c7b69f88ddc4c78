"""Speech-to-text through an OpenAI-compatible ``POST /audio/transcriptions`` endpoint.

Works with OpenAI's API and the servers that copy it (speaches / faster-whisper-server,
LocalAI, whisper.cpp's server, vLLM...). ``TRANSCRIPTION_API_URL`` is either the API base
(``https://api.openai.com/v1``) or the full endpoint URL; ``TRANSCRIPTION_API_KEY`` goes in
``Authorization: Bearer``; ``TRANSCRIPTION_MODEL`` names the model.

The audio is sent as 16 kHz mono WAV — the one format every such server accepts — in pieces of
about five minutes (9.6 MB each, under OpenAI's 25 MB upload limit), each cut in a pause (0.3 s
that PocketSphinx's voice activity detector hears as silence) so no word is split in two. Only
one piece is in memory at a time. ``response_format=verbose_json`` gives segments with start/end
seconds, which are shifted by the piece's offset in the recording.

Failures: 429 and 5xx answers, timeouts and dropped connections are retried with exponential
backoff (``Retry-After`` is honoured, capped); anything else, or running out of attempts, raises
:class:`TranscriptionServiceError` with a message that names the cause.
"""

from __future__ import annotations

import io
import logging
import math
import time
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from pocketsphinx import Vad

from recordings.transcription.audio import SAMPLE_BYTES, SAMPLE_RATE, FrameReader
from recordings.transcription.engines import Segment
from recordings.transcription.errors import TranscriptionServiceError

logger = logging.getLogger(__name__)

ENDPOINT_PATH = "/audio/transcriptions"
PIECE_SECONDS = 300.0
# Past the target length a piece ends at the first silent frame, or here at the latest.
PIECE_MAX_EXTRA_SECONDS = 30.0
# A pause this long is between words, not a stop consonant inside one.
PAUSE_SECONDS = 0.3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class AudioPiece:
    """A WAV file of part of the stream, starting ``offset_ms`` into it."""

    index: int
    offset_ms: int
    duration_ms: int
    wav: bytes


def endpoint_url(base: str) -> str:
    """``base`` itself when it already names the endpoint, else ``base`` + ``/audio/transcriptions``."""
    base = base.strip()
    if base.rstrip("/").endswith(ENDPOINT_PATH):
        return base.rstrip("/")
    return base.rstrip("/") + ENDPOINT_PATH


def pieces_of(
    pcm: Iterable[bytes], *, piece_seconds: float = PIECE_SECONDS, max_extra_seconds: float = PIECE_MAX_EXTRA_SECONDS
) -> Iterator[AudioPiece]:
    """Cut the PCM stream into WAV pieces of about ``piece_seconds``, each ending in silence."""
    vad = Vad(sample_rate=SAMPLE_RATE)
    frame_samples = vad.frame_bytes // SAMPLE_BYTES
    target = int(piece_seconds * SAMPLE_RATE)
    hard_max = target + int(max_extra_seconds * SAMPLE_RATE)
    pause_frames = max(1, round(PAUSE_SECONDS / vad.frame_length))
    buffer = bytearray()
    offset = 0
    index = 0
    silent_run = 0
    for frame in FrameReader(pcm, vad.frame_bytes):
        buffer += frame
        silent_run = 0 if vad.is_speech(frame) else silent_run + 1
        samples = len(buffer) // SAMPLE_BYTES
        if samples >= hard_max or (samples >= target and silent_run >= pause_frames):
            yield _piece(index, offset, bytes(buffer))
            offset += samples
            index += 1
            buffer.clear()
    if len(buffer) // SAMPLE_BYTES >= frame_samples:
        yield _piece(index, offset, bytes(buffer))


def _piece(index: int, offset_samples: int, pcm: bytes) -> AudioPiece:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_BYTES)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
    return AudioPiece(
        index=index,
        offset_ms=offset_samples * 1000 // SAMPLE_RATE,
        duration_ms=(len(pcm) // SAMPLE_BYTES) * 1000 // SAMPLE_RATE,
        wav=out.getvalue(),
    )


class OpenAITranscriptionEngine:
    """An OpenAI-compatible ``/audio/transcriptions`` endpoint (``response_format=verbose_json``)."""

    def __init__(
        self,
        *,
        url: str,
        api_key: str = "",
        model: str = "whisper-1",
        language: str = "",
        timeout_seconds: float = 300.0,
        connect_timeout_seconds: float = 10.0,
        max_retries: int = 2,
        backoff_seconds: float = 1.0,
        piece_seconds: float = PIECE_SECONDS,
    ) -> None:
        self.url = endpoint_url(url)
        self.api_key = api_key
        self.model = model
        self.language = language
        self.timeout = (connect_timeout_seconds, timeout_seconds)
        self.max_retries = max(0, max_retries)
        self.backoff_seconds = backoff_seconds
        self.piece_seconds = piece_seconds
        self.name = f"openai-compatible:{model}"[:60]

    @classmethod
    def from_settings(cls) -> OpenAITranscriptionEngine:
        return cls(
            url=settings.TRANSCRIPTION_API_URL,
            api_key=settings.TRANSCRIPTION_API_KEY,
            model=settings.TRANSCRIPTION_MODEL,
            language=settings.TRANSCRIPTION_LANGUAGE,
            timeout_seconds=settings.TRANSCRIPTION_TIMEOUT_SECONDS,
            max_retries=settings.TRANSCRIPTION_MAX_RETRIES,
            piece_seconds=float(settings.TRANSCRIPTION_PIECE_SECONDS),
        )

    def transcribe(self, pcm: Iterable[bytes]) -> list[Segment]:
        segments: list[Segment] = []
        with requests.Session() as session:
            for piece in pieces_of(pcm, piece_seconds=self.piece_seconds):
                answer = self._post(session, piece)
                segments.extend(_segments_of(answer, piece))
        return segments

    def _post(self, session: requests.Session, piece: AudioPiece) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = {"model": self.model, "response_format": "verbose_json", "timestamp_granularities[]": "segment"}
        if self.language:
            data["language"] = self.language
        attempts = self.max_retries + 1
        problem = ""
        retry_after: float | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self._delay(attempt, retry_after))
                retry_after = None
            files = {"file": (f"audio-{piece.index:04d}.wav", piece.wav, "audio/wav")}
            try:
                response = session.post(self.url, headers=headers, data=data, files=files, timeout=self.timeout)
            except requests.Timeout:
                problem = _("no answer within %(seconds)s seconds") % {"seconds": _seconds(self.timeout[1])}
                logger.warning("transcription endpoint timed out (attempt %d/%d)", attempt + 1, attempts)
                continue
            except requests.ConnectionError as exc:
                problem = _("could not connect (%(error)s)") % {"error": _short(exc)}
                logger.warning("transcription endpoint unreachable (attempt %d/%d): %s", attempt + 1, attempts, exc)
                continue
            if response.status_code in RETRY_STATUSES:
                problem = _("HTTP %(status)s: %(detail)s") % {
                    "status": response.status_code,
                    "detail": _error_detail(response),
                }
                retry_after = _retry_after(response)
                logger.warning(
                    "transcription endpoint answered %s (attempt %d/%d)", response.status_code, attempt + 1, attempts
                )
                continue
            if response.status_code >= 400:
                raise TranscriptionServiceError(
                    _("The transcription service refused the audio (HTTP %(status)s): %(detail)s")
                    % {"status": response.status_code, "detail": _error_detail(response)}
                )
            try:
                answer = response.json()
            except ValueError:
                raise TranscriptionServiceError(
                    _("The transcription service answered with something that is not JSON.")
                ) from None
            if not isinstance(answer, dict):
                raise TranscriptionServiceError(_("The transcription service answered with unexpected JSON."))
            return answer
        raise TranscriptionServiceError(
            _("The transcription service at %(url)s failed %(count)s times; last: %(problem)s")
            % {"url": self.url, "count": attempts, "problem": problem}
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_SECONDS)
        return float(self.backoff_seconds * 2 ** (attempt - 1))


def _segments_of(answer: dict[str, Any], piece: AudioPiece) -> list[Segment]:
    raw = answer.get("segments")
    if not isinstance(raw, list) or not raw:
        # A server that ignores verbose_json still gives the text: one segment for the piece.
        text = str(answer.get("text") or "").strip()
        if not text:
            return []
        return [Segment(start_ms=piece.offset_ms, end_ms=piece.offset_ms + piece.duration_ms, text=text)]
    segments: list[Segment] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        text = str(item.get("text") or "").strip()
        if not text:
            continue
        try:
            start = float(item.get("start", 0.0))
            end = float(item.get("end", start))
        except (TypeError, ValueError):
            continue
        start_ms = piece.offset_ms + max(0, round(start * 1000))
        end_ms = piece.offset_ms + min(max(round(end * 1000), round(start * 1000), 0), piece.duration_ms)
        segments.append(
            Segment(start_ms=start_ms, end_ms=max(end_ms, start_ms), text=text, confidence=_confidence(item))
        )
    return segments


def _confidence(item: dict[str, Any]) -> float | None:
    logprob = item.get("avg_logprob")
    if not isinstance(logprob, int | float) or math.isnan(logprob):
        return None
    return round(min(max(math.exp(logprob), 0.0), 1.0), 4)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return _short(response.text or response.reason or "")
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return _short(str(error["message"]))
        if isinstance(error, str):
            return _short(error)
        if body.get("detail"):
            return _short(str(body["detail"]))
    return _short(str(body))


def _short(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(value: float) -> str:
    return f"{value:g}"
