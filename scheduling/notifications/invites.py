"""Calendar invites by e-mail on every booking, move and cancellation — debounced, sent once each.

Each change bumps the interview's ``CalendarEvent.sequence`` at once (scheduling.calendar) and
queues :func:`interview_invites_send` for that sequence after ``INVITE_DEBOUNCE_SECONDS``. When
the task runs, a later change has already bumped the sequence if the interview moved again, so
only the task of the last change sends: five quick reschedules produce one invite per person.
Each (participant, sequence) message is also claimed in the delivery ledger, so a retried or
duplicated task never sends a person the same invite twice.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from interviews.models import Interview, Participant
from scheduling.models import CalendarEvent, Delivery, NotificationKind
from scheduling.notifications.emails import email_send
from scheduling.notifications.ledger import delivery_claim, delivery_done, delivery_release
from scheduling.notifications.recipients import participant_zone, when_context
from scheduling.notifications.services import absolute_url, notify

logger = logging.getLogger(__name__)

INVITE_EMAIL = "scheduling/email/invite"


def invite_key(interview_id: int, participant_id: int, sequence: int) -> str:
    return f"invite:{interview_id}:{participant_id}:{sequence}"


def _enqueue(interview_id: int, sequence: int) -> None:
    from scheduling.notifications.tasks import interview_invites_send_task

    interview_invites_send_task.apply_async((interview_id, sequence), countdown=settings.INVITE_DEBOUNCE_SECONDS)


@transaction.atomic
def interview_invites_queue(*, interview_id: int, change: str) -> CalendarEvent | None:
    """Bring the interview's calendar identity up to date for ``change`` and queue its invites."""
    from scheduling.calendar.invites import calendar_event_bump, calendar_event_for

    interview = Interview.objects.filter(pk=interview_id).first()
    if interview is None:
        return None
    if change == "scheduled":
        event = calendar_event_for(interview=interview)
    else:
        event = calendar_event_bump(interview=interview, cancelled=change == "cancelled")
    transaction.on_commit(partial(_enqueue, interview.pk, event.sequence))
    return event


def _claim_sequence(interview_id: int, sequence: int) -> CalendarEvent | None:
    """The event if ``sequence`` is still its latest change (recorded as being sent), else None."""
    with transaction.atomic():
        event = CalendarEvent.objects.select_for_update().filter(interview_id=interview_id).first()
        if event is None or event.sequence != sequence or event.sent_sequence > sequence:
            return None  # a later change queued its own task, which sends the latest state
        if event.sent_sequence < sequence:
            event.sent_sequence = sequence
            event.save(update_fields=["sent_sequence"])
        # sent_sequence == sequence: a retry of this task; the ledger skips who already got it
        return event


def _already_invited(interview_id: int, participant_id: int) -> bool:
    return Delivery.objects.filter(
        key__startswith=f"invite:{interview_id}:{participant_id}:", sent_at__isnull=False
    ).exists()


def interview_invites_send(*, interview_id: int, sequence: int) -> int:
    """Send the invites of change ``sequence`` if it is still the latest; returns how many were sent."""
    event = _claim_sequence(interview_id, sequence)
    if event is None:
        return 0
    interview = (
        Interview.objects.select_related("organization", "stage", "position", "candidate")
        .filter(pk=interview_id)
        .first()
    )
    if interview is None:
        return 0
    method = "CANCEL" if event.cancelled else "REQUEST"
    sent = 0
    for participant in interview.participants.select_related("user", "candidate"):
        invited_before = _already_invited(interview.pk, participant.pk)
        if method == "CANCEL" and not invited_before:
            continue  # cancelled before their invite went out: nothing in their calendar to remove
        if method == "CANCEL":
            kind = NotificationKind.INTERVIEW_CANCELLED
        elif invited_before:
            kind = NotificationKind.INTERVIEW_UPDATED
        else:
            kind = NotificationKind.INTERVIEW_SCHEDULED
        delivery = delivery_claim(key=invite_key(interview.pk, participant.pk, sequence), kind=kind)
        if delivery is None:
            continue
        try:
            _send_one(interview=interview, participant=participant, method=method, sequence=sequence, kind=kind)
        except Exception:
            delivery_release(delivery=delivery)
            raise
        delivery_done(delivery=delivery)
        sent += 1
    return sent


def _titles(kind: str, interview: Interview, when: str, staff: bool) -> tuple[str, str]:
    names = {"stage": interview.stage.name, "candidate": interview.candidate.full_name, "when": when}
    names["org"] = interview.organization.name
    if kind == NotificationKind.INTERVIEW_CANCELLED:
        title = (
            _("Interview cancelled: %(candidate)s, %(stage)s") if staff else _("Your %(stage)s interview is cancelled")
        )
        body = _("The interview on %(when)s is cancelled.")
    elif kind == NotificationKind.INTERVIEW_UPDATED:
        title = _("Interview moved: %(candidate)s, %(stage)s") if staff else _("Your %(stage)s interview has moved")
        body = _("It now starts on %(when)s.")
    else:
        title = _("Interview booked: %(candidate)s, %(stage)s") if staff else _("Your %(stage)s interview with %(org)s")
        body = _("It starts on %(when)s.")
    return title % names, body % names


def _send_one(*, interview: Interview, participant: Participant, method: str, sequence: int, kind: str) -> None:
    from scheduling.calendar.invites import invite_filename, invite_ics, invite_mime_type

    zone = participant_zone(participant)
    when = when_context(interview, zone)
    staff = participant.user_id is not None
    title, body = _titles(kind, interview, f"{when['when']} ({when['tz_name']})", staff)
    ics = invite_ics(interview=interview, method=method, sequence=sequence, recipient_email=participant.email)
    attachments = [(invite_filename(method), ics, invite_mime_type(method))]
    url = reverse("interview_detail", kwargs={"pk": interview.pk}) if staff else ""
    context: dict[str, Any] = {
        **when,
        "interview": interview,
        "participant": participant,
        "kind": kind,
        "method": method,
        "title": title,
        "staff": staff,
        "stage_name": interview.stage.name,
        "position_title": interview.position.title,
    }
    if staff:
        notify(
            user=participant.user,  # type: ignore[arg-type]
            kind=kind,
            title=title,
            body=body,
            url=url,
            organization=interview.organization,
            email_template=INVITE_EMAIL,
            email_context=context,
            attachments=attachments,
        )
    else:
        email_send(
            to=participant.email,
            template=INVITE_EMAIL,
            context={**context, "recipient": participant.candidate, "url": absolute_url(url)},
            organization=interview.organization,
            attachments=attachments,
        )
