"""Start the AI analysis when an interview ends, unless its recordings still wait for transcription.

When some recording of the interview is still to be transcribed, the transcription task sends
``recordings.analyse_interview`` itself once the last one is done (recordings.transcription), so
the analysis sees the transcript. Re-running is harmless: the analysis replaces its insights.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from interviews.signals import interview_ended

# imported here so that every process that connects the receivers (web and worker: ready()) has
# the task registered; Celery's autodiscovery looks only at recordings.tasks
from recordings.insights.tasks import interview_analyse_task
from recordings.models import Recording, RecordingSession

DISPATCH_UID = "recordings.insights.analyse_on_interview_ended"
WAITING = (Recording.TranscriptStatus.PENDING, Recording.TranscriptStatus.RUNNING)


def transcription_pending(*, interview_id: int) -> bool:
    """Whether a recording of the interview still waits for its transcript."""
    return Recording.objects.filter(
        interview_id=interview_id, deleted_at__isnull=True, has_audio=True, transcript_status__in=WAITING
    ).exists()


def recording_in_progress(*, interview_id: int) -> bool:
    """Whether the recorder is still in the room: its recordings do not exist yet."""
    return RecordingSession.objects.filter(interview_id=interview_id, status=RecordingSession.Status.RECORDING).exists()


def analyse_on_interview_ended(sender: Any, *, interview_id: int, **kwargs: Any) -> None:
    # the recorder finishing (no audio) or the last transcription sends the analysis instead
    if recording_in_progress(interview_id=interview_id) or transcription_pending(interview_id=interview_id):
        return
    transaction.on_commit(lambda: interview_analyse_task.apply_async(args=(interview_id,), queue="batch"))


def connect() -> None:
    """Connect the receivers (from ``RecordingsConfig.ready``)."""
    interview_ended.connect(analyse_on_interview_ended, dispatch_uid=DISPATCH_UID)
