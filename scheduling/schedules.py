"""Periodic schedules of scheduling, created in code (see ``manage.py setup_schedules``)."""

from __future__ import annotations

from accounts.schedules import Schedule

SCHEDULES: list[Schedule] = [
    {
        # every 5 minutes: reminders land within a few minutes of "24 h / 1 h before"
        "name": "Send interview reminders",
        "task": "scheduling.reminders_send_due",
        "crontab": {"minute": "*/5"},
        "queue": "default",
    },
    {
        "name": "Chase overdue scorecards",
        "task": "scheduling.scorecards_chase_overdue",
        "crontab": {"minute": "7"},
        "queue": "default",
    },
    {
        # hourly: each organization's digest goes out at its own local hour
        "name": "Send recruiter digests",
        "task": "scheduling.digests_send",
        "crontab": {"minute": "2"},
        "queue": "default",
    },
    {
        "name": "Refresh external busy calendars",
        "task": "scheduling.external_calendars_refresh",
        "crontab": {"minute": "*/30"},
        "queue": "batch",
    },
]
