"""The Celery application: queues ``live`` > ``default`` > ``batch``, schedules in the database."""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "talentsync.settings")

app = Celery("talentsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("live", "default", "batch"))
app.autodiscover_tasks()
