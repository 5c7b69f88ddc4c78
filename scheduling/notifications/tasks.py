"""Celery tasks of scheduling.notifications (thin: re-fetch by id, call a service)."""
