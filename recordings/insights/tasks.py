"""Celery tasks of AI insights (thin: they re-fetch by id and call a service).

Sent to the ``batch`` queue: the queue is given at the send (``queue="batch"``), as everywhere in
the project (the receiver here, the transcription task's ``send_task``).
"""

from __future__ import annotations

from celery import shared_task

from interviews.models import Interview
from recordings.insights.services import interview_analyse

#: the complexity estimate runs the solution up to 20 times in the sandbox, each within seconds
SOFT_TIME_LIMIT = 600
TIME_LIMIT = 660


@shared_task(
    name="recordings.analyse_interview",
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
    acks_late=True,
)
def interview_analyse_task(interview_id: int) -> int:
    """Make the AI insights of an interview (queue ``batch``); the number of insights written."""
    try:
        return len(interview_analyse(interview_id=interview_id))
    except Interview.DoesNotExist:
        return 0  # deleted since it was queued
