"""Who reads a message in which time zone: the edge where UTC instants become wall-clock times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats

from accounts.models import User
from accounts.timezones import zone_of
from interviews.models import Interview, Participant


def user_zone(user: User, interview: Interview) -> ZoneInfo:
    """A user's own zone, else their organization's."""
    return zone_of(user.time_zone, interview.organization.time_zone)


def candidate_zone(interview: Interview) -> ZoneInfo:
    """The zone the candidate picked on their self-scheduling link, else the organization's."""
    from scheduling.models import SchedulingLink

    try:
        chosen = interview.scheduling_link.candidate_time_zone
    except SchedulingLink.DoesNotExist:
        chosen = ""
    return zone_of(chosen, interview.organization.time_zone)


def participant_zone(participant: Participant) -> ZoneInfo:
    interview = participant.interview
    if participant.user_id:
        return user_zone(participant.user, interview)  # type: ignore[arg-type]
    return candidate_zone(interview)


def local_text(moment: datetime, zone: ZoneInfo, fmt: str = "DATETIME_FORMAT") -> str:
    """``moment`` as the reader sees it, e.g. "May 4, 2026, 9 a.m."."""
    return formats.date_format(moment.astimezone(zone), fmt)


def when_context(interview: Interview, zone: ZoneInfo) -> dict[str, object]:
    """Template variables for an interview's time in ``zone`` (the templates print them as they are)."""
    start, end = interview.scheduled_at.astimezone(zone), interview.ends_at.astimezone(zone)
    return {
        "starts_local": start,
        "ends_local": end,
        "when": local_text(start, zone),
        "until": formats.date_format(end, "TIME_FORMAT"),
        "tz_name": zone.key,
        "utc_offset": start.strftime("%z")[:3] + ":" + start.strftime("%z")[3:],
    }
