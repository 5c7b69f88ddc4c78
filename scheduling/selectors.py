"""Reads for the slot finder: an organization's interviewers' calendars, loaded in a fixed number of queries.

The arithmetic lives in scheduling/slots.py (no Django there); this module turns rows into its
dataclasses and validates what callers ask for. Callers check permissions first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.timezones import zone_of
from interviews.models import Interview, Participant
from scheduling.models import (
    AvailabilityException,
    AvailabilityRule,
    BusyBlock,
    InterviewerPool,
    InterviewerProfile,
    PoolMember,
    SchedulingSettings,
)
from scheduling.slots import DateException, Interval, Person, Slot, WeeklyRule, find_slots, free_people

__all__ = [
    "Person",
    "Slot",
    "pool_user_ids",
    "slot_free_interviewers",
    "slot_people_load",
    "slots_find",
]

#: interviews that take an interviewer's time and count against their caps and load
LOAD_STATUSES = (
    Interview.Status.SCHEDULED,
    Interview.Status.LIVE,
    Interview.Status.COMPLETED,
    Interview.Status.NO_SHOW,
)
#: "recent interviews" (the balancing tie-break) look back this far
RECENT = timedelta(days=28)
MAX_WINDOW = timedelta(weeks=8)
MIN_DURATION, MAX_DURATION = 15, 480


def _default(model: Any, name: str) -> int:
    return int(model._meta.get_field(name).get_default())


# A user without an InterviewerProfile row, an organization without SchedulingSettings: the
# models' own field defaults (daily 3, weekly 10, buffer 15; step 30, notice 12 h).
_PROFILE_FIELDS = ("daily_cap", "weekly_cap", "buffer_minutes")
_PROFILE_DEFAULTS = tuple(_default(InterviewerProfile, name) for name in _PROFILE_FIELDS)
_SETTINGS_DEFAULTS = {name: _default(SchedulingSettings, name) for name in ("slot_step_minutes", "min_notice_hours")}
# A local date's windows can lie up to ~26 h from the same UTC date; a week's caps need the whole
# local ISO week around each end of the window.
_DAY_MARGIN = timedelta(days=2)
_WEEK_MARGIN = timedelta(days=8)
_MAX_BUFFER = timedelta(minutes=240)  # the database caps InterviewerProfile.buffer_minutes here
_MAX_INTERVIEW = timedelta(minutes=MAX_DURATION)


def _zone_name(name: str, fallback: str) -> str:
    return zone_of(name, fallback).key


def slot_people_load(
    *,
    organization: Organization,
    user_ids: list[int],
    window_start: datetime,
    window_end: datetime,
    exclude_interview_id: int | None = None,
) -> list[Person]:
    """The calendars of those of ``user_ids`` who are active members of ``organization``, by id.

    Six queries whatever the number of people: users, profiles, weekly rules, exceptions, busy
    blocks, and interviews (as interviewer or observer). Only this organization's data
    is read. ``exclude_interview_id`` leaves one interview out (the one being moved).
    """
    ids = sorted(set(user_ids))
    if not ids:
        return []
    users = list(
        User.objects.filter(pk__in=ids, is_active=True, memberships__organization=organization)
        .values_list("pk", "time_zone")
        .distinct()
    )
    ids = sorted(pk for pk, _zone in users)
    if not ids:
        return []
    profiles = {
        row[0]: row[1:]
        for row in InterviewerProfile.objects.filter(organization=organization, user_id__in=ids).values_list(
            "user_id", *_PROFILE_FIELDS
        )
    }
    rules: dict[int, list[WeeklyRule]] = defaultdict(list)
    for user_id, weekday, opens, closes in AvailabilityRule.objects.filter(
        organization=organization, user_id__in=ids
    ).values_list("user_id", "weekday", "start_time", "end_time"):
        rules[user_id].append(WeeklyRule(weekday=weekday, start=opens, end=closes))
    exceptions: dict[int, list[DateException]] = defaultdict(list)
    for user_id, day, maybe_opens, maybe_closes, available in AvailabilityException.objects.filter(
        organization=organization,
        user_id__in=ids,
        date__gte=(window_start - _DAY_MARGIN).date(),
        date__lte=(window_end + _DAY_MARGIN).date(),
    ).values_list("user_id", "date", "start_time", "end_time", "available"):
        exceptions[user_id].append(DateException(date=day, start=maybe_opens, end=maybe_closes, available=available))
    busy: dict[int, list[Interval]] = defaultdict(list)
    for user_id, starts_at, ends_at in BusyBlock.objects.filter(
        organization=organization,
        user_id__in=ids,
        starts_at__lt=window_end + _MAX_BUFFER,
        ends_at__gt=window_start - _MAX_BUFFER,
    ).values_list("user_id", "starts_at", "ends_at"):
        busy[user_id].append(Interval(starts_at, ends_at))

    now = timezone.now()
    interviews: dict[int, list[Interval]] = defaultdict(list)
    recent: dict[int, int] = defaultdict(int)
    booked = Participant.objects.filter(
        user_id__in=ids,
        role__in=(Participant.Role.INTERVIEWER, Participant.Role.OBSERVER),
        interview__organization=organization,
        interview__status__in=LOAD_STATUSES,
        interview__scheduled_at__gte=min(window_start - _WEEK_MARGIN - _MAX_INTERVIEW, now - RECENT),
        interview__scheduled_at__lt=max(window_end + _WEEK_MARGIN, now),
    )
    if exclude_interview_id is not None:
        booked = booked.exclude(interview_id=exclude_interview_id)
    rows = booked.values_list("user_id", "interview__scheduled_at", "interview__duration_minutes")
    for user_id, scheduled_at, minutes in rows:
        interviews[user_id].append(Interval(scheduled_at, scheduled_at + timedelta(minutes=minutes)))
        if now - RECENT <= scheduled_at < now:
            recent[user_id] += 1

    zones = dict(users)
    people = []
    for pk in ids:
        daily_cap, weekly_cap, buffer_minutes = profiles.get(pk) or _PROFILE_DEFAULTS
        people.append(
            Person(
                id=pk,
                time_zone=_zone_name(zones[pk], organization.time_zone),
                rules=tuple(rules[pk]),
                exceptions=tuple(exceptions[pk]),
                interviews=tuple(sorted(interviews[pk], key=lambda iv: iv.start)),
                busy=tuple(busy[pk]),
                daily_cap=daily_cap,
                weekly_cap=weekly_cap,
                buffer_minutes=buffer_minutes,
                recent_interviews=recent[pk],
            )
        )
    return people


def _check_window(window_start: datetime, window_end: datetime) -> None:
    if timezone.is_naive(window_start) or timezone.is_naive(window_end):
        raise ValidationError(_("Give the times with their time zone."), code="naive")
    if window_end <= window_start:
        raise ValidationError(_("The end of the window must be after its start."), code="window_order")


def slots_find(
    *,
    organization: Organization,
    user_ids: list[int],
    required: int,
    duration_minutes: int,
    window_start: datetime,
    window_end: datetime,
    step_minutes: int | None = None,
    min_notice_hours: int | None = None,
    exclude_interview_id: int | None = None,
    limit: int = 200,
) -> list[Slot]:
    """Interview slots in the window where ``required`` of ``user_ids`` are free, earliest first.

    The step and the minimum notice default to the organization's SchedulingSettings (or that
    model's defaults when it has no row). Raises ValidationError on a request that cannot be met.
    """
    _check_window(window_start, window_end)
    if window_end - window_start > MAX_WINDOW:
        raise ValidationError(
            _("Search at most %(weeks)d weeks at a time.") % {"weeks": MAX_WINDOW.days // 7}, code="window_too_long"
        )
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        raise ValidationError(
            _("An interview lasts %(min)d to %(max)d minutes.") % {"min": MIN_DURATION, "max": MAX_DURATION},
            code="duration",
        )
    if required < 1:
        raise ValidationError(_("At least one interviewer is needed."), code="required")
    if step_minutes is None or min_notice_hours is None:
        stored = (
            SchedulingSettings.objects.filter(organization=organization)
            .values("slot_step_minutes", "min_notice_hours")
            .first()
        ) or _SETTINGS_DEFAULTS
        step_minutes = stored["slot_step_minutes"] if step_minutes is None else step_minutes
        min_notice_hours = stored["min_notice_hours"] if min_notice_hours is None else min_notice_hours
    if step_minutes < 1:
        raise ValidationError(_("The step between slots must be at least a minute."), code="step")
    if min_notice_hours < 0:
        raise ValidationError(_("The minimum notice cannot be negative."), code="notice")
    people = slot_people_load(
        organization=organization,
        user_ids=user_ids,
        window_start=window_start,
        window_end=window_end,
        exclude_interview_id=exclude_interview_id,
    )
    if required > len(people):
        raise ValidationError(
            _("%(required)d interviewers are needed but only %(count)d can be scheduled.")
            % {"required": required, "count": len(people)},
            code="too_few_people",
        )
    return find_slots(
        people=people,
        required=required,
        duration=timedelta(minutes=duration_minutes),
        window_start=window_start,
        window_end=window_end,
        step=timedelta(minutes=step_minutes),
        now=timezone.now(),
        min_notice=timedelta(hours=min_notice_hours),
        limit=limit,
    )


def slot_free_interviewers(
    *,
    organization: Organization,
    user_ids: list[int],
    start: datetime,
    end: datetime,
    exclude_interview_id: int | None = None,
) -> list[int]:
    """Which of ``user_ids`` are free for exactly ``[start, end)`` now, least loaded first.

    For the booking recheck inside a locked transaction: working time, busy time and buffers,
    daily and weekly caps. It ignores the step and the minimum notice (the caller checks those).
    """
    _check_window(start, end)
    people = slot_people_load(
        organization=organization,
        user_ids=user_ids,
        window_start=start,
        window_end=end,
        exclude_interview_id=exclude_interview_id,
    )
    return free_people(people=people, start=start, end=end)


def pool_user_ids(*, pool: InterviewerPool, include_trainees: bool = False) -> list[int]:
    """Ids of a pool's qualified members (and trainees on request) who are active in its organization."""
    members: Any = PoolMember.objects.filter(
        pool=pool, user__is_active=True, user__memberships__organization_id=pool.organization_id
    )
    if not include_trainees:
        members = members.filter(status=PoolMember.Status.QUALIFIED)
    return list(members.order_by("user_id").values_list("user_id", flat=True).distinct())
