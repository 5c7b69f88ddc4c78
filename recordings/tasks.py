"""Celery tasks of recordings (autodiscovery reads this module): purge, transcription, AI analysis."""

from recordings import purge
from recordings.insights import tasks as insights_tasks
from recordings.transcription import tasks as transcription_tasks

__all__ = ["insights_tasks", "purge", "transcription_tasks"]
