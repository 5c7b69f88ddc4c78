"""Errors of transcription; their messages end up in ``Recording.transcript_error`` for staff."""

from __future__ import annotations

from talentsync.errors import ApplicationError


class TranscriptionError(ApplicationError):
    """Transcribing a recording failed; the message says why in words a recruiter can act on."""

    code = "transcription_failed"
    status = 502


class NoAudioTrack(TranscriptionError):
    """The recording has no audio stream (nothing to transcribe: the transcript is skipped)."""

    code = "no_audio"


class AudioDecodeError(TranscriptionError):
    """FFmpeg could not read the recording's audio."""

    code = "audio_unreadable"


class TranscriptionServiceError(TranscriptionError):
    """The OpenAI-compatible transcription endpoint refused, failed or did not answer in time."""

    code = "transcription_service_error"
