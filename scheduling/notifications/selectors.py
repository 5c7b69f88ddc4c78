"""Reads of the bell: a user's own notifications, from organizations they still belong to."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Membership
from scheduling.models import Notification, NotificationKind, NotificationPreference


def notification_list(*, actor: Any) -> QuerySet[Notification]:
    """The actor's notifications, newest first.

    Only their own, and only from organizations they are still a member of (a notification of an
    organization they left stays out of sight), plus those not tied to any organization.
    """
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    orgs = Membership.objects.filter(user=actor).values("organization_id")
    return Notification.objects.filter(Q(organization__isnull=True) | Q(organization_id__in=orgs), user=actor)


def notification_unread_count(*, actor: Any) -> int:
    """How many of the actor's visible notifications are unread."""
    return notification_list(actor=actor).filter(read_at__isnull=True).count()


def notification_email_wanted(*, user: Any, kind: str) -> bool:
    """Whether ``user`` wants ``kind`` by e-mail too (no preference row: yes)."""
    pref = NotificationPreference.objects.filter(user=user, kind=kind).values_list("email", flat=True).first()
    return True if pref is None else bool(pref)


def notification_preferences_get(*, actor: Any) -> dict[str, bool]:
    """Every kind with whether the actor gets it by e-mail."""
    stored = dict(NotificationPreference.objects.filter(user=actor).values_list("kind", "email"))
    return {kind.value: stored.get(kind.value, True) for kind in NotificationKind}
