"""Periodic schedules of assessments, created in code (see ``manage.py setup_schedules``)."""

from __future__ import annotations

from accounts.schedules import Schedule

SCHEDULES: list[Schedule] = [
    {
        # the deadline is enforced on every request; this closes sessions nobody came back to,
        # so recruiters see them finished and the interview completed
        "name": "Close expired coding assessments",
        "task": "assessments.dsa_sessions_close_expired",
        "crontab": {"minute": "*/5"},
        "queue": "default",
    },
]
