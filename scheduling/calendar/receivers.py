"""Calendar receivers: CalDAV sync follows interview changes (connected in SchedulingConfig.ready)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver

from interviews.signals import interview_changed
from scheduling.calendar.invites import STAFF_ROLES
from scheduling.models import CalDavAccount


@receiver(interview_changed, dispatch_uid="scheduling.calendar.caldav_sync")
def queue_caldav_sync(sender: Any, *, interview_id: int, **kwargs: Any) -> None:
    """Queue the CalDAV sync of a changed interview, when anyone on it (or who was) syncs a calendar."""
    from scheduling.calendar.tasks import caldav_sync_interview_task

    concerned = CalDavAccount.objects.filter(enabled=True).filter(
        Q(user__participations__interview_id=interview_id, user__participations__role__in=STAFF_ROLES)
        | Q(events__interview_id=interview_id)
    )
    if concerned.exists():
        transaction.on_commit(partial(caldav_sync_interview_task.delay, interview_id))
