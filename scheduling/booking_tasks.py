"""Celery tasks of self-scheduling (imported by ``scheduling.tasks`` so they register)."""

from __future__ import annotations

from celery import shared_task

from scheduling import services


@shared_task(
    name="scheduling.link_send",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def scheduling_link_send_task(link_id: int, token: str) -> bool:
    """E-mail a candidate their self-scheduling link, retrying while the mail server is down."""
    return services.scheduling_link_send(link_id=link_id, token=token)
