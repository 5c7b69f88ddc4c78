"""Periodic schedules of recordings, created in code (see ``manage.py setup_schedules``)."""

from __future__ import annotations

from accounts.schedules import Schedule

SCHEDULES: list[Schedule] = [
    {
        # daily, at a quiet hour: recordings past their organization's retention go
        "name": "Purge expired recordings",
        "task": "recordings.purge_expired_recordings",
        "crontab": {"minute": "41", "hour": "3"},
        "queue": "default",
    },
    {
        # a transcription whose worker died stays "running" and holds back the interview's analysis
        "name": "Fail lost transcriptions",
        "task": "recordings.transcriptions_fail_stale",
        "crontab": {"minute": "*/30"},
        "queue": "default",
    },
]
