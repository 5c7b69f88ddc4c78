"""Celery finds ``<app>.tasks``: import the packages' task modules so their tasks register."""

from scheduling import booking_tasks
from scheduling.calendar import tasks as calendar_tasks
from scheduling.notifications import tasks as notification_tasks

__all__ = ["booking_tasks", "calendar_tasks", "notification_tasks"]
