"""Create or update every app's Celery Beat schedule from code; safe to run again and again."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Create or update the periodic tasks declared in each app's schedules.py."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        seen = []
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.schedules")
            except ModuleNotFoundError:
                continue
            for item in module.SCHEDULES:
                # Every field is named: a partial match would reuse, say, a monthly "17 3 1 * *".
                fields = {f: "*" for f in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")}
                fields.update(item["crontab"])
                crontab, _ = CrontabSchedule.objects.get_or_create(timezone="UTC", **fields)
                task, created = PeriodicTask.objects.update_or_create(
                    name=item["name"],
                    defaults={
                        "task": item["task"],
                        "crontab": crontab,
                        "interval": None,
                        "queue": item["queue"],
                        "enabled": True,
                    },
                )
                seen.append(task.name)
                self.stdout.write(f"{'created' if created else 'updated'}: {task.name} ({item['task']})")
        self.stdout.write(self.style.SUCCESS(f"{len(seen)} schedule(s) in place."))
