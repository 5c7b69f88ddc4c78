from __future__ import annotations

from celery import shared_task

from accounts import services


@shared_task(name="accounts.invitation_purge_expired", soft_time_limit=60, time_limit=90)
def invitation_purge_expired_task() -> int:
    """Delete invitations that expired long ago (run daily by Celery Beat)."""
    return services.invitation_purge_expired()


@shared_task(
    name="accounts.invitation_send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def invitation_send_email_task(invitation_id: int, token: str) -> bool:
    """E-mail an invitation's link, retrying while the mail server is unreachable."""
    return services.invitation_send_email(invitation_id=invitation_id, token=token)
