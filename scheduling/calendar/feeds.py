"""Private, revocable ICS feeds: a secret URL per user listing their interviews.

Only a SHA-256 digest of the token is stored, so the full URL is shown once, when it is issued;
issuing a new one revokes the old. The feed is a plain published calendar (no METHOD, no
ORGANIZER/ATTENDEE: a subscribed calendar is read-only, and attendee lines would make Outlook and
Apple Calendar offer RSVP buttons that cannot work). Entries carry the same UID and SEQUENCE as
the e-mailed invites, so a client holding both merges them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.services import audit_record
from interviews.models import Interview
from scheduling.calendar.invites import STAFF_ROLES, build_vevent, interview_uid, new_calendar
from scheduling.models import CalendarEvent, CalendarFeed

#: the feed lists interviews from this long ago onwards (and every future one)
FEED_PAST = timedelta(days=30)
#: how often subscribers are asked to re-fetch (REFRESH-INTERVAL, X-PUBLISHED-TTL)
FEED_REFRESH = timedelta(hours=1)
STAFF_MEMBER_ROLES = ("admin", "recruiter", "interviewer")


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("scheduling_calendar_feed", kwargs={"token": token})


@transaction.atomic
def feed_issue(*, user: User) -> str:
    """Give the user a new feed URL (the previous one stops working); returns the raw token."""
    now = timezone.now()
    revoked = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=user, token_hash=feed_token_hash(token), created_at=now)
    audit_record(action="calendar_feed.issue", actor=user, target=feed, changes={"revoked_previous": revoked})
    return token


@transaction.atomic
def feed_revoke(*, user: User) -> None:
    """Make the user's feed URL stop working."""
    feeds = list(CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for feed in feeds:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit_record(action="calendar_feed.revoke", actor=user, target=feed)


def feed_active(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed with this token (of an active user), or None."""
    if not token or len(token) > 128:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=feed_token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def feed_user_for_token(token: str) -> User | None:
    """The user whose active feed this token opens, or None (unknown, revoked, inactive user)."""
    feed = feed_for_token(token)
    return feed.user if feed is not None else None


def feed_mark_fetched(*, feed: CalendarFeed) -> None:
    """Stamp ``last_fetched_at``, at most once a minute (subscribers poll; no write per request)."""
    now = timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).filter(
        Q(last_fetched_at__isnull=True) | Q(last_fetched_at__lt=now - timedelta(minutes=1))
    ).update(last_fetched_at=now)


def feed_interviews(*, user: User) -> list[tuple[Interview, str]]:
    """The user's interviews for the feed with the copy each gets (``staff`` or ``candidate``).

    Staff see interviews they take part in as interviewer or observer, in organizations where they
    still hold a staff role; a candidate with an account sees their own interviews (candidate copy).
    """
    since = timezone.now() - FEED_PAST
    staff_orgs = Membership.objects.filter(user=user, role__in=STAFF_MEMBER_ROLES).values("organization_id")
    base = Interview.objects.select_related("organization", "candidate", "position", "stage").filter(
        scheduled_at__gte=since
    )
    staff = base.filter(
        organization_id__in=staff_orgs,
        participants__user=user,
        participants__role__in=STAFF_ROLES,
    ).distinct()
    candidate = base.filter(candidate__user=user)
    rows: dict[int, tuple[Interview, str]] = {}
    for interview in candidate:
        rows[interview.pk] = (interview, "candidate")
    for interview in staff:  # a staff role wins when someone is both
        rows[interview.pk] = (interview, "staff")
    return sorted(rows.values(), key=lambda row: (row[0].scheduled_at, row[0].pk))


def feed_ics(*, user: User) -> bytes:
    """The user's feed as an iCalendar file (VCALENDAR without METHOD)."""
    rows = feed_interviews(user=user)
    identities = {e.interview_id: e for e in CalendarEvent.objects.filter(interview_id__in=[i.pk for i, _a in rows])}
    cal = new_calendar()
    cal.add("x-wr-calname", _("TalentSync interviews"))
    cal.add("x-wr-caldesc", _("Your interviews on TalentSync"))
    cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", FEED_REFRESH)
    for interview, audience in rows:
        identity = identities.get(interview.pk)
        cancelled = interview.status == Interview.Status.CANCELLED or bool(identity and identity.cancelled)
        cal.add_component(
            build_vevent(
                interview=interview,
                uid=identity.uid if identity else interview_uid(interview),
                sequence=identity.sequence if identity else 0,
                audience="staff" if audience == "staff" else "candidate",
                cancelled=cancelled,
                with_attendees=False,
                stamp=interview.updated_at,
            )
        )
    return cal.to_ical()
