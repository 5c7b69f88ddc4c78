"""Periodic schedules of accounts, created in code (see ``manage.py setup_schedules``)."""

from __future__ import annotations

from typing import TypedDict


class Schedule(TypedDict):
    name: str
    task: str
    crontab: dict[str, str]
    queue: str


SCHEDULES: list[Schedule] = [
    {
        "name": "Purge expired invitations",
        "task": "accounts.invitation_purge_expired",
        "crontab": {"minute": "17", "hour": "3"},
        "queue": "batch",
    },
]
