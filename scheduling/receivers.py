"""Receivers: scheduling reacts to interview changes (invites, notifications) without interviews knowing."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from interviews.signals import interview_changed
from scheduling.notifications.invites import interview_invites_queue


@receiver(interview_changed, dispatch_uid="scheduling.notifications.invites")
def interview_changed_queue_invites(
    sender: Any, *, interview_id: int, change: str, actor_id: int | None = None, **kwargs: Any
) -> None:
    """Bump the calendar identity and queue the (debounced) invites of a booking, move or cancellation."""
    interview_invites_queue(interview_id=interview_id, change=change)
