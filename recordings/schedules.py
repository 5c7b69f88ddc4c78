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
]
