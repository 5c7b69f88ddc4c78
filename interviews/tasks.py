from __future__ import annotations

from celery import shared_task

from interviews import services


@shared_task(
    name="interviews.join_link_send",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def join_link_send_task(participant_id: int, token: str) -> bool:
    """E-mail one participant their personal join link, retrying while the mail server is down."""
    return services.join_link_send(participant_id=participant_id, token=token)
