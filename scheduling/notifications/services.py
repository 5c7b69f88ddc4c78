"""Writes of the bell: notify someone (in-app, live, and by e-mail unless they opted out), mark read, preferences."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.services import audit_record
from scheduling.models import Notification, NotificationKind, NotificationPreference
from scheduling.notifications import events
from scheduling.notifications.emails import Attachment, email_send
from scheduling.notifications.selectors import notification_email_wanted, notification_list, notification_unread_count

logger = logging.getLogger(__name__)

#: the generic e-mail copy of a notification that names no template of its own
NOTIFICATION_EMAIL = "scheduling/email/notification"


def absolute_url(url: str) -> str:
    """``url`` as a link that works outside the site (e-mail): site-relative paths get SITE_URL."""
    return settings.SITE_URL + url if url.startswith("/") else url


def _payload(notification: Notification) -> events.NotificationPayload:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "createdAt": notification.created_at.isoformat(),
        "unread": notification_unread_count(actor=notification.user),
    }


def _email_copy(
    *,
    notification: Notification,
    template: str,
    context: dict[str, Any],
    attachments: list[Attachment] | None,
) -> None:
    email_send(
        to=notification.user.email,
        template=template,
        context={
            **context,
            "notification": notification,
            "recipient": notification.user,
            "url": absolute_url(notification.url),
        },
        organization=notification.organization,
        attachments=attachments,
    )


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    organization: Organization | None = None,
    email_template: str | None = None,
    email_context: dict[str, Any] | None = None,
    attachments: list[Attachment] | None = None,
) -> Notification:
    """Notify ``user``: an in-app notification pushed to their bell, and an e-mail copy unless they opted out.

    The push and the e-mail happen after the surrounding transaction commits (at once when there is
    none). The e-mail is sent in the calling process, so call this from a worker for anything sent
    to many people; a refused e-mail raises there (after the notification is stored).
    """
    with transaction.atomic():
        notification = Notification(
            user=user,
            organization=organization,
            kind=kind,
            title=title[:200],
            body=body[:2000],
            url=url,
            created_at=timezone.now(),
        )
        notification.full_clean()
        notification.save()
        events.notification_push_on_commit(user.pk, partial(_payload, notification))
        if user.email and notification_email_wanted(user=user, kind=kind):
            transaction.on_commit(
                partial(
                    _email_copy,
                    notification=notification,
                    template=email_template or NOTIFICATION_EMAIL,
                    context=email_context or {},
                    attachments=attachments,
                )
            )
    return notification


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: those in ``ids`` (others' ids are ignored), or all of them."""
    unread = notification_list(actor=user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    marked = Notification.objects.filter(pk__in=list(unread.values_list("pk", flat=True))).update(
        read_at=timezone.now()
    )
    if marked:
        events.unread_push_on_commit(user.pk, partial(notification_unread_count, actor=user))
    return marked


@transaction.atomic
def notification_preferences_set(*, user: User, email_by_kind: dict[str, bool]) -> dict[str, bool]:
    """Choose, per kind, whether the user also gets it by e-mail; returns what changed."""
    known = set(NotificationKind.values)
    unknown = sorted(set(email_by_kind) - known)
    if unknown:
        raise ValidationError(_("Unknown kinds of notification: %(kinds)s.") % {"kinds": ", ".join(unknown)})
    current = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    changed: dict[str, bool] = {}
    for kind, email in email_by_kind.items():
        if current.get(kind, True) == bool(email):
            continue
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": bool(email)})
        changed[kind] = bool(email)
    if changed:
        audit_record(action="notification.preferences", actor=user, target=user, changes=changed)
    return changed
