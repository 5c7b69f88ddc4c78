"""Celery tasks of scheduling.calendar (thin: re-fetch by id, call a service)."""
