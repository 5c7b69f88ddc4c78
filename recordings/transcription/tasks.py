"""Celery task of transcription (thin: take the id, call the service).

Sent to the ``batch`` queue (``queue="batch"`` at the send, as everywhere in the project) so
speech-to-text never delays reminders or room work. The service
replaces a recording's transcript in one transaction, so a redelivery (``acks_late`` after a
worker crash) or a second send only does the work again and never duplicates segments.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from recordings.transcription import services

# PocketSphinx decodes 4-8x faster than real time on one core (262 s of speech took 70 s on a
# busy two-core machine, 14 s took 2 s on an idle one), so an hour of audio takes 8-15 minutes;
# two hours of limit leaves room for a slow machine or a slow remote endpoint.
SOFT_TIME_LIMIT_SECONDS = 2 * 60 * 60
TIME_LIMIT_SECONDS = SOFT_TIME_LIMIT_SECONDS + 120


@shared_task(
    name=services.TRANSCRIBE_TASK,
    acks_late=True,
    soft_time_limit=SOFT_TIME_LIMIT_SECONDS,
    time_limit=TIME_LIMIT_SECONDS,
)
def recording_transcribe_task(recording_id: int) -> int:
    """Transcribe one recording (replacing its transcript); return the number of segments."""
    return services.recording_transcribe(recording_id=recording_id)


@shared_task(name="recordings.transcriptions_fail_stale", soft_time_limit=120, time_limit=180)
def transcriptions_fail_stale_task() -> int:
    """Mark failed the transcriptions whose worker was lost (left running past the time limit)."""
    return services.transcriptions_stale_fail(older_than=timedelta(seconds=TIME_LIMIT_SECONDS + 10 * 60))
