"""External busy time: an interviewer's own calendar (an ICS URL) imported as BusyBlocks.

Parsing and recurrence expansion are the libraries' (``icalendar``, ``recurring_ical_events``,
``x_wr_timezone`` for Google's ``X-WR-TIMEZONE`` exports). Only *when* someone is busy is kept:
titles are not stored, since nobody else should read them. A failed refresh keeps the blocks of
the last good one and says why in ``InterviewerProfile.ics_error``.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar

from accounts.timezones import zone_of
from scheduling.calendar.fetching import FetchRefused, fetch_limited
from scheduling.models import BusyBlock, InterviewerProfile

logger = logging.getLogger(__name__)

#: the import looks this far ahead
IMPORT_HORIZON = timedelta(weeks=8)
#: the largest calendar file accepted
MAX_ICS_BYTES = 2 * 1024 * 1024
#: at most this many busy blocks per calendar (a runaway RRULE stops here)
MAX_BLOCKS = 2000


class CalendarUnusable(Exception):
    """The file is not a calendar we can use; the message is for the user."""


def _zone(profile: InterviewerProfile) -> ZoneInfo:
    return zone_of(profile.user.time_zone, profile.organization.time_zone)


def _as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if timezone.is_naive(value):  # a "floating" time: the person's own wall clock
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    # an all-day date blocks the whole local day, from local midnight
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


Interval = tuple[datetime, datetime, str]


def busy_intervals(data: bytes, *, zone: ZoneInfo, start: datetime, end: datetime) -> list[Interval]:
    """Busy (start, end, uid) in UTC from an iCalendar file, between ``start`` and ``end``."""
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarUnusable(_("The address does not return an iCalendar (.ics) file.")) from exc
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise CalendarUnusable(_("The address does not return an iCalendar (.ics) file."))
    try:
        calendar = x_wr_timezone.to_standard(calendar)
        occurrences = recurring_ical_events.of(calendar, components=["VEVENT"]).between(start, end)
    except Exception as exc:  # the libraries raise many types for broken recurrences
        raise CalendarUnusable(_("The calendar could not be read: %(error)s") % {"error": str(exc)[:120]}) from exc
    blocks: list[Interval] = []
    for event in occurrences:
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue  # "show as free"
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        dtstart = event.get("DTSTART")
        if dtstart is None:
            continue
        begin = _as_utc(dtstart.dt, zone)
        dtend = event.get("DTEND")
        if dtend is not None:
            finish = _as_utc(dtend.dt, zone)
        elif event.get("DURATION") is not None:
            finish = begin + event["DURATION"].dt
        elif not isinstance(dtstart.dt, datetime):
            finish = _as_utc(dtstart.dt + timedelta(days=1), zone)
        else:
            continue  # an instant takes no time
        if finish <= begin:
            continue
        blocks.append((max(begin, start), min(finish, end), str(event.get("UID", ""))[:255]))
        if len(blocks) >= MAX_BLOCKS:
            break
    return [b for b in blocks if b[1] > b[0]]


def _fail(profile: InterviewerProfile, message: str) -> int:
    InterviewerProfile.objects.filter(pk=profile.pk).update(ics_error=message[:300])
    logger.info("external calendar of profile %s not refreshed: %s", profile.pk, message)
    return 0


def external_calendar_refresh(*, profile_id: int) -> int:
    """Re-import one interviewer's external busy calendar; returns the number of busy blocks stored.

    On any failure the previous blocks stay and ``ics_error`` says why (0 is returned).
    """
    profile = InterviewerProfile.objects.select_related("user", "organization").filter(pk=profile_id).first()
    if profile is None or not profile.ics_url:
        return 0
    now = timezone.now()
    start, end = now.replace(second=0, microsecond=0), now + IMPORT_HORIZON
    try:
        data = fetch_limited(profile.ics_url, max_bytes=MAX_ICS_BYTES)
        intervals = busy_intervals(data, zone=_zone(profile), start=start, end=end)
    except (FetchRefused, CalendarUnusable) as exc:
        return _fail(profile, str(exc))
    with transaction.atomic():
        locked = InterviewerProfile.objects.select_for_update().get(pk=profile.pk)
        if locked.ics_url != profile.ics_url:
            return 0  # the address changed meanwhile: the refresh queued for the new one wins
        BusyBlock.objects.filter(
            organization_id=profile.organization_id, user_id=profile.user_id, source=BusyBlock.Source.ICS
        ).delete()
        BusyBlock.objects.bulk_create(
            [
                BusyBlock(
                    organization_id=profile.organization_id,
                    user_id=profile.user_id,
                    starts_at=begin,
                    ends_at=finish,
                    source=BusyBlock.Source.ICS,
                    external_uid=uid,
                    title="",
                )
                for begin, finish, uid in intervals
            ]
        )
        locked.ics_fetched_at = timezone.now()
        locked.ics_error = ""
        locked.save(update_fields=["ics_fetched_at", "ics_error"])
    return len(intervals)


def external_calendar_clear(*, profile: InterviewerProfile) -> int:
    """Remove the imported busy blocks (the ICS address was removed)."""
    deleted, _rows = BusyBlock.objects.filter(
        organization_id=profile.organization_id, user_id=profile.user_id, source=BusyBlock.Source.ICS
    ).delete()
    return deleted
