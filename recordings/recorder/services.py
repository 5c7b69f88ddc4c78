"""What the media process reads and writes: rooms to record, sessions and their files."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from celery import current_app
from django.db import transaction
from django.utils import timezone

from interviews.models import Interview, Participant, RoomPresence
from interviews.services.rooms import OPEN_STATUSES, PRESENCE_STALE_AFTER
from recordings import storage
from recordings.consent import consent_active, room_recording_allowed
from recordings.models import Recording, RecordingSession
from recordings.recorder.media import probe

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoomToRecord:
    interview_id: int
    room_id: uuid.UUID


def rooms_to_record(*, limit: int, busy: set[int]) -> list[RoomToRecord]:
    """Rooms the recorder should be in now and is not (``busy``): at most ``limit`` of them."""
    if limit <= 0:
        return []
    cutoff = timezone.now() - PRESENCE_STALE_AFTER
    occupied = RoomPresence.objects.filter(seen_at__gte=cutoff).values("interview_id")
    candidates = (
        Interview.objects.filter(status__in=OPEN_STATUSES, pk__in=occupied, stage__tools_config__recording=True)
        .exclude(pk__in=busy)
        .order_by("pk")
        .values_list("pk", "room_id")[: limit * 4]  # bounded: a few may lack consent
    )
    rooms = [RoomToRecord(interview_id=pk, room_id=room_id) for pk, room_id in candidates]
    return [room for room in rooms if room_recording_allowed(interview_id=room.interview_id)][:limit]


@dataclass(frozen=True)
class Admission:
    participant_id: int
    name: str
    consented: bool


def peer_admission(*, interview_id: int, peer: str) -> Admission | None:
    """Who a peer of the room is, and whether they consent to be recorded (None: not a participant)."""
    try:
        peer_uuid = uuid.UUID(hex=peer)
    except (TypeError, ValueError):
        return None
    participant = (
        Participant.objects.select_related("user", "candidate")
        .filter(interview_id=interview_id, peer_id=peer_uuid)
        .first()
    )
    if participant is None:
        return None
    return Admission(
        participant_id=participant.pk,
        name=participant.display_name,
        consented=consent_active(participant=participant),
    )


def recording_session_start(*, interview_id: int) -> int:
    """Open a recording session for the interview (the recorder is joining its room)."""
    session = RecordingSession.objects.create(interview_id=interview_id, status=RecordingSession.Status.RECORDING)
    return session.pk


@dataclass(frozen=True)
class FinishedFile:
    path: Path
    kind: str
    participant_id: int | None
    speaker_name: str
    started_at: datetime
    ended_at: datetime
    received_audio: bool
    received_video: bool


def _store(session: RecordingSession, finished: FinishedFile) -> Recording | None:
    found = probe(finished.path)
    if found is None or not (finished.received_audio or finished.received_video):
        finished.path.unlink(missing_ok=True)  # nothing playable, or nothing but filler
        return None
    has_audio = found.has_audio and finished.received_audio
    recording = Recording(
        session=session,
        interview_id=session.interview_id,
        participant_id=finished.participant_id,
        speaker_name=finished.speaker_name[:200],
        kind=finished.kind,
        has_audio=has_audio,
        has_video=found.has_video and finished.received_video,
        content_type="video/webm",
        duration_ms=found.duration_ms,
        started_at=finished.started_at,
        ended_at=finished.ended_at,
        transcript_status=Recording.TranscriptStatus.PENDING if has_audio else Recording.TranscriptStatus.SKIPPED,
    )
    recording.full_clean(exclude=["session", "interview", "participant", "file_name"])
    recording.save()
    return storage.recording_store(recording=recording, plain_path=finished.path)


def recording_session_finish(*, session_id: int, files: list[FinishedFile], error: str = "") -> RecordingSession | None:
    """Encrypt a finished session's files into recordings and queue the transcription of those with audio.

    A session that recorded nothing (the recorder left before any media came) leaves no trace.
    """
    session = RecordingSession.objects.get(pk=session_id)
    stored: list[Recording] = []
    for finished in files:
        try:
            with transaction.atomic():
                recording = _store(session, finished)
        except Exception:  # one broken file must not lose the others
            logger.exception("recording session %s: storing %s failed", session_id, finished.path.name)
            finished.path.unlink(missing_ok=True)
            error = error or "a file could not be stored"
            continue
        if recording is not None:
            stored.append(recording)
    if not stored and not error:
        session.delete()
        _analyse_if_ended(session.interview_id)
        return None
    with transaction.atomic():
        session.status = RecordingSession.Status.READY if stored else RecordingSession.Status.FAILED
        session.ended_at = timezone.now()
        session.error = error[:2000]
        session.save(update_fields=["status", "ended_at", "error"])
        for recording in stored:
            if recording.has_audio:
                recording_id = recording.pk
                transaction.on_commit(
                    lambda pk=recording_id: current_app.send_task(  # type: ignore[misc]
                        "recordings.transcribe_recording", args=[pk], queue="batch"
                    )
                )
        if not any(recording.has_audio for recording in stored):
            _analyse_if_ended(session.interview_id)
    return session


def _analyse_if_ended(interview_id: int) -> None:
    """Start the AI analysis of an ended interview when no transcript will come to start it.

    While this session was still recording, the interview's end did not start the analysis
    (``recordings.insights.receivers``), and without audio no transcription will start it either.
    """
    ended = Interview.objects.filter(pk=interview_id, status=Interview.Status.COMPLETED).exists()
    if ended:
        transaction.on_commit(
            lambda: current_app.send_task(  # type: ignore[misc]
                "recordings.analyse_interview", args=[interview_id], queue="batch"
            )
        )


def sessions_orphaned_fail() -> int:
    """Sessions left "recording" by a media process that died: failed (their files are lost)."""
    return RecordingSession.objects.filter(status=RecordingSession.Status.RECORDING).update(
        status=RecordingSession.Status.FAILED, ended_at=timezone.now(), error="the media process stopped"
    )
