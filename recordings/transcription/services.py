"""Transcribe recordings into ``TranscriptSegment`` rows (docs/transcription.md)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interviews.models import Interview
from recordings import crypto, storage
from recordings.models import MediaSettings, Recording, RecordingSession, TranscriptSegment
from recordings.transcription.audio import SAMPLE_BYTES, ms_of_samples, pcm_stream
from recordings.transcription.engines import Engine, Segment, engine_get
from recordings.transcription.errors import NoAudioTrack, TranscriptionError

logger = logging.getLogger(__name__)

TRANSCRIBE_TASK = "recordings.transcribe_recording"
ANALYSE_TASK = "recordings.analyse_interview"
QUEUE = "batch"
_TEXT_LIMIT = 10_000
Status = Recording.TranscriptStatus


def recording_transcription_enqueue(*, recording: Recording) -> None:
    """Mark the recording's transcript as waiting and send the transcription task once this commits."""
    Recording.objects.filter(pk=recording.pk).update(transcript_status=Status.PENDING, transcript_error="")
    recording.transcript_status = Status.PENDING
    recording_id = recording.pk
    transaction.on_commit(lambda: current_app.send_task(TRANSCRIBE_TASK, args=[recording_id], queue=QUEUE))


def recording_transcribe(*, recording_id: int) -> int:
    """Transcribe one recording's audio, replacing its transcript; return the number of segments.

    Safe to run again at any time: the segments are replaced in one transaction, never added to.
    The transcript status ends as ``done``, ``failed`` (with the reason in ``transcript_error``)
    or ``skipped`` (no audio, deleted, or transcription switched off for the organization). When
    no other recording of the interview is still waiting, the interview's analysis is sent off.
    """
    recording = (
        Recording.objects.select_related("interview__organization", "participant__user", "participant__candidate")
        .filter(pk=recording_id)
        .first()
    )
    if recording is None:
        logger.info("recording %s is gone; nothing to transcribe", recording_id)
        return 0
    reason = _skip_reason(recording)
    if reason:
        _finish(recording_id=recording_id, status=Status.SKIPPED, error=reason, segments=[])
        return 0

    engine = engine_get()
    Recording.objects.filter(pk=recording_id).update(
        transcript_status=Status.RUNNING,
        transcript_engine=engine.name[:60],
        transcript_error="",
        transcript_started_at=timezone.now(),
    )
    started = time.monotonic()
    try:
        segments, audio_ms = _run(recording, engine)
    except NoAudioTrack:
        _finish(recording_id=recording_id, status=Status.SKIPPED, error=_("The recording has no sound."), segments=[])
        return 0
    except (TranscriptionError, storage.RecordingUnavailable, crypto.RecordingCryptoError) as exc:
        logger.warning("transcription of recording %s failed: %s", recording_id, exc)
        _finish(recording_id=recording_id, status=Status.FAILED, error=_describe(exc), segments=None)
        return 0
    except SoftTimeLimitExceeded:
        _finish(
            recording_id=recording_id,
            status=Status.FAILED,
            error=_("Transcription took longer than its time limit and was stopped."),
            segments=None,
        )
        raise
    except Exception:
        logger.exception("transcription of recording %s crashed", recording_id)
        _finish(
            recording_id=recording_id,
            status=Status.FAILED,
            error=_("Transcription failed because of an internal error; the logs have the details."),
            segments=None,
        )
        raise
    written = _finish(recording_id=recording_id, status=Status.DONE, error="", segments=segments)
    logger.info(
        "transcribed recording %s with %s: %d segments from %.1f s of audio in %.1f s",
        recording_id,
        engine.name,
        written,
        audio_ms / 1000,
        time.monotonic() - started,
    )
    return written


def _skip_reason(recording: Recording) -> str:
    if recording.deleted_at is not None:
        return _("The recording was deleted.")
    if not recording.has_audio:
        return _("The recording has no sound.")
    media_settings, _created = MediaSettings.objects.get_or_create(organization=recording.interview.organization)
    if not media_settings.transcription_enabled:
        return _("Transcription is switched off for this organization.")
    return ""


def _run(recording: Recording, engine: Engine) -> tuple[list[Segment], int]:
    counter = _SampleCounter()
    with storage.recording_open(recording) as source:
        segments = engine.transcribe(counter.count(pcm_stream(source)))
    audio_ms = ms_of_samples(counter.samples)
    return _tidy(segments, audio_ms=audio_ms), audio_ms


class _SampleCounter:
    """Counts the samples that flow through, so segments can be clamped to the audio's length."""

    def __init__(self) -> None:
        self.samples = 0

    def count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.samples += len(chunk) // SAMPLE_BYTES
            yield chunk


def _tidy(segments: list[Segment], *, audio_ms: int) -> list[Segment]:
    """Ordered by time, inside the audio, with text that fits the column."""
    tidy: list[Segment] = []
    for segment in sorted(segments, key=lambda s: (s.start_ms, s.end_ms)):
        text = " ".join(segment.text.split())[:_TEXT_LIMIT]
        if not text:
            continue
        start = min(max(segment.start_ms, 0), audio_ms)
        end = min(max(segment.end_ms, start), audio_ms)
        tidy.append(Segment(start_ms=start, end_ms=end, text=text, confidence=segment.confidence))
    return tidy


def _describe(exc: Exception) -> str:
    if isinstance(exc, TranscriptionError):
        return exc.message
    if isinstance(exc, storage.RecordingUnavailable):
        return _("The recording's file is missing or was deleted.")
    return _("The recording's file could not be decrypted (damaged, or encrypted with an unknown key).")


@transaction.atomic
def _finish(*, recording_id: int, status: str, error: str, segments: list[Segment] | None) -> int:
    """Store the outcome; ``segments=None`` keeps the transcript there was (a failed re-run)."""
    recording = Recording.objects.select_for_update().filter(pk=recording_id).first()
    if recording is None:
        return 0
    if recording.deleted_at is not None and status != Status.SKIPPED:
        # Deleted while it was being transcribed: its transcript must not come back.
        status, error, segments = Status.SKIPPED, _("The recording was deleted."), []
    written = 0
    if segments is not None:
        TranscriptSegment.objects.filter(recording_id=recording_id).delete()
        speaker = recording.speaker_name or (recording.participant.display_name if recording.participant else "")
        rows = [
            TranscriptSegment(
                recording_id=recording_id,
                interview_id=recording.interview_id,
                participant_id=recording.participant_id,
                speaker_name=speaker[:200],
                index=index,
                start_ms=segment.start_ms,
                end_ms=segment.end_ms,
                text=segment.text,
                confidence=segment.confidence,
            )
            for index, segment in enumerate(segments)
        ]
        TranscriptSegment.objects.bulk_create(rows)
        written = len(rows)
    recording.transcript_status = status
    recording.transcript_error = error
    recording.save(update_fields=["transcript_status", "transcript_error"])
    _analysis_send_when_last(interview_id=recording.interview_id)
    return written


def _analysis_send_when_last(*, interview_id: int) -> None:
    """Send the interview's analysis on commit when none of its recordings waits for a transcript."""
    # Locking the interview row serializes the recordings of one interview finishing at the
    # same moment on two workers: the second one sees the first one's outcome, so exactly the
    # last one sends the analysis.
    Interview.objects.select_for_update().filter(pk=interview_id).values_list("pk", flat=True).first()
    waiting = (
        Recording.objects.filter(
            interview_id=interview_id,
            deleted_at__isnull=True,
            transcript_status__in=[Status.PENDING, Status.RUNNING],
        ).exists()
        or RecordingSession.objects.filter(interview_id=interview_id, status=RecordingSession.Status.RECORDING).exists()
    )
    if waiting:
        return
    transaction.on_commit(lambda: current_app.send_task(ANALYSE_TASK, args=[interview_id], queue=QUEUE))


def transcriptions_stale_fail(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Mark failed the transcriptions left "running" longer than ``older_than``; return how many.

    A worker killed mid-run (out of memory, a hard time limit, a lost machine) leaves its
    recording "running", and Celery does not deliver the task again: without this the interview
    would wait for that transcript, and its analysis, for ever. The recruiter can start it again
    from the back office ("Transcribe again"). Interviews left with nothing to wait for get their
    analysis.
    """
    cutoff = (now or timezone.now()) - older_than
    stale = Recording.objects.filter(transcript_status=Status.RUNNING, transcript_started_at__lt=cutoff)
    failed = 0
    for recording_id, interview_id in list(stale.values_list("pk", "interview_id")):
        with transaction.atomic():
            changed = Recording.objects.filter(pk=recording_id, transcript_status=Status.RUNNING).update(
                transcript_status=Status.FAILED,
                transcript_error=_("The transcription stopped without finishing (its worker was lost). Run it again."),
            )
            if changed:
                failed += 1
                logger.warning("transcription of recording %s was left running: marked failed", recording_id)
                _analysis_send_when_last(interview_id=interview_id)
    return failed
