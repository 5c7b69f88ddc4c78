"""iCalendar invites (RFC 5545 objects, RFC 5546 iTIP methods) for interviews, built with ``icalendar``.

Identity: every interview has one :class:`~scheduling.models.CalendarEvent` whose UID
(``<room_id>@<site host>``) never changes, so each calendar (Google, Outlook, Apple, CalDAV, the
ICS feed) keeps updating the same entry. SEQUENCE starts at 0 with the first booking and goes up
by one for every later change (move, new duration, cancellation); a client ignores a REQUEST or
CANCEL whose SEQUENCE is lower than the one it holds.

``calendar_event_bump`` is idempotent per version of the interview: it bumps only when the
interview row changed (``Interview.updated_at``) or its cancellation state changed since the last
bump, so the e-mail code and the CalDAV sync may both call it for the same change and SEQUENCE
still goes up once.

What Google Calendar and Outlook need to accept an e-mailed invite (RFC 5546 §3.2.2 / §3.2.5 and
their documented behaviour): METHOD both in the VCALENDAR and in the MIME type of the part
(``text/calendar; method=REQUEST; charset=UTF-8``), ORGANIZER, an ATTENDEE whose address is the
recipient's, UID, DTSTAMP, SEQUENCE, DTSTART/DTEND (UTC here, so no VTIMEZONE is needed), CRLF
line endings and lines folded at 75 octets (the library does both). A CANCEL carries the same UID,
a higher SEQUENCE and STATUS:CANCELLED.

Two audiences: staff (interviewers and observers) get the full copy with every participant and
a link to the interview's page; anyone else — the candidate, or a recipient the code does not
recognise — gets the candidate copy: only the organization, the position and stage names, and
themselves as attendee. Nothing internal (other attendees' addresses, observers/shadows, notes,
question hints) is ever in the candidate copy. Personal join links are never put in a shared
file; pass ``join_url`` only for the recipient's own copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Literal
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from interviews.models import Interview, Participant
from scheduling.models import CalendarEvent

PRODID = "-//TalentSync//Interviews//EN"
Method = Literal["REQUEST", "CANCEL"]
Audience = Literal["staff", "candidate"]
STAFF_ROLES = (Participant.Role.INTERVIEWER, Participant.Role.OBSERVER)


def site_host() -> str:
    return urlparse(settings.SITE_URL).hostname or "talentsync.local"


def interview_uid(interview: Interview) -> str:
    """The UID an interview's calendar entries carry (stored on its CalendarEvent once created)."""
    return f"{interview.room_id}@{site_host()}"


def calendar_event_for(*, interview: Interview) -> CalendarEvent:
    """The interview's calendar identity (created at SEQUENCE 0 the first time it is asked for)."""
    event, _created = CalendarEvent.objects.get_or_create(
        interview=interview,
        defaults={
            "uid": interview_uid(interview),
            "sequence": 0,
            "cancelled": interview.status == Interview.Status.CANCELLED,
            "changed_at": interview.updated_at or timezone.now(),
        },
    )
    return event


@transaction.atomic
def calendar_event_bump(*, interview: Interview, cancelled: bool = False) -> CalendarEvent:
    """Record a change of the interview (moved, resized, cancelled): SEQUENCE + 1, once per change.

    Call it for the ``rescheduled`` and ``cancelled`` changes (the first booking is SEQUENCE 0:
    use :func:`calendar_event_for`). Calling it again for the same version of the interview is a
    no-op, so several consumers of one change can call it safely.
    """
    calendar_event_for(interview=interview)
    event = CalendarEvent.objects.select_for_update().get(interview_id=interview.pk)
    current = Interview.objects.only("updated_at").get(pk=interview.pk)
    version = current.updated_at or timezone.now()
    if event.cancelled == cancelled and event.changed_at >= version:
        return event
    event.sequence += 1
    event.cancelled = cancelled
    event.changed_at = max(version, event.changed_at)
    event.save(update_fields=["sequence", "cancelled", "changed_at"])
    return event


def invite_mime_type(method: str) -> str:
    """The MIME type of the attachment / alternative part for an invite with this METHOD."""
    return f"text/calendar; method={_method(method)}; charset=UTF-8"


def invite_filename(method: str) -> str:
    return "cancel.ics" if _method(method) == "CANCEL" else "invite.ics"


def _method(method: str) -> Method:
    value = method.upper()
    if value not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    return value  # type: ignore[return-value]


def _organizer(interview: Interview) -> vCalAddress:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or 'no-reply@' + site_host()}")
    organizer.params["CN"] = vText(interview.organization.name)
    return organizer


def _attendee(email: str, name: str, *, role: str, cancelled: bool) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["CN"] = vText(name or email)
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = role
    if not cancelled:
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
    return attendee


def _participants(interview: Interview) -> list[Participant]:
    return list(interview.participants.select_related("user", "candidate").order_by("role", "pk"))


def audience_for(interview: Interview, recipient_email: str | None) -> Audience:
    """``staff`` only for an interviewer's or observer's own address; everyone else gets the candidate copy."""
    if not recipient_email:
        return "candidate"
    wanted = recipient_email.strip().lower()
    for participant in _participants(interview):
        if participant.role in STAFF_ROLES and participant.user_id and participant.email.lower() == wanted:
            return "staff"
    return "candidate"


def interview_page_url(interview: Interview) -> str:
    return settings.SITE_URL + reverse("interview_detail", kwargs={"pk": interview.pk})


def summary_for(interview: Interview, audience: Audience) -> str:
    if audience == "staff":
        return _("Interview: %(candidate)s · %(position)s (%(stage)s)") % {
            "candidate": interview.candidate.full_name,
            "position": interview.position.title,
            "stage": interview.stage.name,
        }
    return _("Interview with %(org)s: %(position)s (%(stage)s)") % {
        "org": interview.organization.name,
        "position": interview.position.title,
        "stage": interview.stage.name,
    }


def _description(interview: Interview, audience: Audience, join_url: str | None) -> str:
    lines = [summary_for(interview, audience), ""]
    if join_url:
        lines.append(_("Join the interview room: %(url)s") % {"url": join_url})
        lines.append(_("This link is personal: do not forward it."))
    else:
        lines.append(
            _("The interview takes place online in the browser. Your personal join link is in the e-mail you received.")
        )
    if audience == "staff":
        lines.append(_("Interview page: %(url)s") % {"url": interview_page_url(interview)})
    return "\n".join(lines)


def build_vevent(
    *,
    interview: Interview,
    uid: str,
    sequence: int,
    audience: Audience,
    cancelled: bool,
    with_attendees: bool,
    recipient_email: str | None = None,
    join_url: str | None = None,
    stamp: datetime | None = None,
) -> Event:
    """One VEVENT for an interview (shared by invites, the ICS feed and CalDAV)."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or timezone.now()).astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", interview.scheduled_at.astimezone(UTC))
    event.add("dtend", interview.ends_at.astimezone(UTC))
    event.add("summary", summary_for(interview, audience))
    event.add("description", _description(interview, audience, join_url))
    url = join_url or (interview_page_url(interview) if audience == "staff" else settings.SITE_URL + "/")
    event.add("location", url)
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "PRIVATE" if audience == "staff" else "PUBLIC")
    if with_attendees:
        event.add("organizer", _organizer(interview), encode=False)
        for participant in _participants(interview):
            if audience == "candidate" and not _is_recipient(participant, recipient_email):
                continue  # the candidate's copy names only its recipient
            role = "OPT-PARTICIPANT" if participant.role == Participant.Role.OBSERVER else "REQ-PARTICIPANT"
            event.add(
                "attendee",
                _attendee(participant.email, participant.display_name, role=role, cancelled=cancelled),
                encode=False,
            )
    return event


def _is_recipient(participant: Participant, recipient_email: str | None) -> bool:
    if recipient_email:
        return participant.email.lower() == recipient_email.strip().lower()
    return participant.role == Participant.Role.CANDIDATE


def new_calendar(*, method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", _method(method))
    return cal


def _load(interview: Interview) -> Interview:
    return Interview.objects.select_related("organization", "candidate", "position", "stage").get(pk=interview.pk)


def invite_ics(
    *,
    interview: Interview,
    method: str,
    sequence: int,
    recipient_email: str | None = None,
    join_url: str | None = None,
) -> bytes:
    """The iTIP invite (METHOD REQUEST) or cancellation (METHOD CANCEL) of an interview, as bytes.

    ``recipient_email`` picks the copy (see the module docstring); ``join_url`` puts the
    recipient's own join link in it — only for a file that goes to that recipient alone.
    """
    method = _method(method)
    interview = _load(interview)
    identity = calendar_event_for(interview=interview)
    cancelled = method == "CANCEL"
    cal = new_calendar(method=method)
    cal.add_component(
        build_vevent(
            interview=interview,
            uid=identity.uid,
            sequence=sequence,
            audience=audience_for(interview, recipient_email),
            cancelled=cancelled,
            with_attendees=True,
            recipient_email=recipient_email,
            join_url=join_url,
        )
    )
    return cal.to_ical()
