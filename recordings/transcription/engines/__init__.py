"""Speech-to-text engines behind one small interface.

An engine takes the recording's audio as 16 kHz mono s16 PCM chunks (``transcription.audio``)
and returns the stretches of speech it heard, with times in milliseconds from the start of
that stream. Two engines exist: PocketSphinx's bundled English model, offline (the default),
and any OpenAI-compatible ``/audio/transcriptions`` endpoint when
``settings.TRANSCRIPTION_API_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class Segment:
    """One stretch of speech: ``start_ms``/``end_ms`` from the start of the audio stream."""

    start_ms: int
    end_ms: int
    text: str
    confidence: float | None = None


class Engine(Protocol):
    """Turns a PCM stream into segments; ``name`` is stored as ``Recording.transcript_engine``."""

    name: str

    def transcribe(self, pcm: Iterable[bytes]) -> list[Segment]: ...


def engine_get() -> Engine:
    """The engine the settings ask for: the configured endpoint, else offline PocketSphinx."""
    if settings.TRANSCRIPTION_API_URL:
        from recordings.transcription.engines.openai_api import OpenAITranscriptionEngine

        return OpenAITranscriptionEngine.from_settings()
    from recordings.transcription.engines.sphinx import PocketSphinxEngine

    return PocketSphinxEngine()
