"""Celery tasks of scheduling.notifications (thin: re-fetch by id, call a service).

Task names are fixed (scheduling/schedules.py names the periodic ones). Every task is
idempotent, so ``acks_late`` redelivery after a worker crash is safe.
"""

from __future__ import annotations

from celery import shared_task

from scheduling.notifications import invites, reminders


@shared_task(
    name="scheduling.interview_invites_send",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def interview_invites_send_task(interview_id: int, sequence: int) -> int:
    """Send an interview's calendar invites for change ``sequence`` unless a later change superseded it."""
    return invites.interview_invites_send(interview_id=interview_id, sequence=sequence)


@shared_task(name="scheduling.reminders_send_due", acks_late=True, soft_time_limit=240, time_limit=280)
def reminders_send_due_task() -> int:
    """Send the interview reminders that are due (every 5 minutes from beat)."""
    return reminders.reminders_send_due()


@shared_task(name="scheduling.scorecards_chase_overdue", acks_late=True, soft_time_limit=240, time_limit=280)
def scorecards_chase_overdue_task() -> int:
    """Ask interviewers once for their overdue scorecards."""
    return reminders.scorecards_chase_overdue()


@shared_task(name="scheduling.digests_send", acks_late=True, soft_time_limit=600, time_limit=660)
def digests_send_task() -> int:
    """Send the recruiters' daily digests of the organizations whose local digest hour it is."""
    return reminders.digests_send()
