"""The slot finder's Django side (scheduling/selectors.py): what it loads, from where, in how many queries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import Organization, User
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant
from scheduling.factories import (
    AvailabilityExceptionFactory,
    AvailabilityRuleFactory,
    BusyBlockFactory,
    InterviewerProfileFactory,
    PoolFactory,
    PoolMemberFactory,
)
from scheduling.models import PoolMember, SchedulingSettings
from scheduling.selectors import pool_user_ids, slot_free_interviewers, slot_people_load, slots_find

pytestmark = pytest.mark.django_db


def next_monday(weeks_ahead: int = 2) -> datetime:
    """00:00 UTC on a Monday ``weeks_ahead`` weeks from now: well past any minimum notice."""
    day = (timezone.now() + timedelta(weeks=weeks_ahead)).date()
    day -= timedelta(days=day.weekday())
    return datetime.combine(day, time(), tzinfo=UTC)


def interviewer(org: Organization, *, zone: str = "UTC", days: range = range(7), **user: object) -> User:
    """A member of ``org`` working 09:00–17:00 in ``zone`` on ``days``."""
    person = UserFactory(time_zone=zone, password=None, **user)
    MembershipFactory(user=person, organization=org)
    for weekday in days:
        AvailabilityRuleFactory(organization=org, user=person, weekday=weekday)
    return person


def book(org: Organization, people: list[User], start: datetime, *, minutes: int = 60, **options: object) -> Interview:
    interview = InterviewFactory(organization=org, scheduled_at=start, duration_minutes=minutes, **options)
    for person in people:
        ParticipantFactory(interview=interview, user=person, role=Participant.Role.INTERVIEWER)
    return interview


def starts(org: Organization, people: list[User], monday: datetime, **options: object) -> list[datetime]:
    search: dict = {
        "organization": org,
        "user_ids": [p.pk for p in people],
        "required": 1,
        "duration_minutes": 60,
        "window_start": monday,
        "window_end": monday + timedelta(days=1),
        "step_minutes": 30,
        "min_notice_hours": 0,
    }
    search.update(options)
    return [slot.start for slot in slots_find(**search)]


def at(monday: datetime, hour: int, minute: int = 0) -> datetime:
    return monday.replace(hour=hour, minute=minute)


# --- busy time ------------------------------------------------------------------------------
def test_a_booked_interview_blocks_its_time_and_the_buffer(acme):
    # given: 60 minutes at 12:00, the default 15-minute buffer
    monday = next_monday()
    person = interviewer(acme.org)
    book(acme.org, [person], at(monday, 12))
    # when
    found = starts(acme.org, [person], monday)
    # then: 10:30–11:30 fits, 11:00–12:00 would touch the buffer; 13:30 is the first after
    assert at(monday, 10, 30) in found
    assert at(monday, 11) not in found
    assert at(monday, 12) not in found
    assert at(monday, 13) not in found
    assert at(monday, 13, 30) in found


def test_an_observer_seat_is_busy_time_too(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org)
    interview = InterviewFactory(organization=acme.org, scheduled_at=at(monday, 12))
    ParticipantFactory(interview=interview, user=person, role=Participant.Role.OBSERVER)
    # when
    found = starts(acme.org, [person], monday)
    # then
    assert at(monday, 12) not in found


def test_a_cancelled_interview_frees_its_time(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org)
    book(acme.org, [person], at(monday, 12), status=Interview.Status.CANCELLED)
    # when
    found = starts(acme.org, [person], monday)
    # then
    assert at(monday, 12) in found


def test_the_interview_being_moved_does_not_block_itself(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org)
    interview = book(acme.org, [person], at(monday, 12))
    # when
    found = starts(acme.org, [person], monday, exclude_interview_id=interview.pk)
    # then
    assert at(monday, 12) in found


def test_a_busy_block_and_its_buffer_are_busy(acme):
    # given: a custom 30-minute buffer
    monday = next_monday()
    person = interviewer(acme.org)
    InterviewerProfileFactory(organization=acme.org, user=person, buffer_minutes=30)
    BusyBlockFactory(organization=acme.org, user=person, starts_at=at(monday, 12), ends_at=at(monday, 13))
    # when
    found = starts(acme.org, [person], monday)
    # then
    assert at(monday, 10, 30) in found
    assert at(monday, 11) not in found
    assert at(monday, 13) not in found
    assert at(monday, 13, 30) in found


def test_the_daily_cap_of_the_profile_counts_booked_interviews(acme):
    # given: a cap of 1 and one interview on Monday
    monday = next_monday()
    person = interviewer(acme.org)
    InterviewerProfileFactory(organization=acme.org, user=person, daily_cap=1)
    book(acme.org, [person], at(monday, 9))
    # when
    found = starts(acme.org, [person], monday, window_end=monday + timedelta(days=2))
    # then
    assert found
    assert {s.date() for s in found} == {(monday + timedelta(days=1)).date()}


def test_the_default_daily_cap_is_three(acme):
    # given: no profile; three interviews on Monday
    monday = next_monday()
    person = interviewer(acme.org)
    for hour in (9, 11, 13):
        book(acme.org, [person], at(monday, hour))
    # when
    found = starts(acme.org, [person], monday)
    # then
    assert found == []


def test_a_day_off_and_an_extra_window_come_from_the_exceptions(acme):
    # given: Monday off, an extra window on Saturday for someone who works weekdays
    monday = next_monday()
    person = interviewer(acme.org, days=range(5))
    AvailabilityExceptionFactory(organization=acme.org, user=person, date=monday.date())
    saturday = monday + timedelta(days=5)
    AvailabilityExceptionFactory(
        organization=acme.org, user=person, date=saturday.date(), start_time=time(10), end_time=time(11), available=True
    )
    # when
    found = starts(acme.org, [person], monday, window_end=monday + timedelta(days=7))
    # then
    assert {s.date() for s in found} == {(monday + timedelta(days=d)).date() for d in (1, 2, 3, 4)} | {saturday.date()}
    assert [s for s in found if s.date() == saturday.date()] == [at(saturday, 10)]


# --- time zones and load ----------------------------------------------------------------------
def test_the_users_own_zone_reads_the_rules(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org, zone="Asia/Kathmandu")
    # when
    found = starts(acme.org, [person], monday, step_minutes=15)
    # then: 09:00 in Kathmandu (+05:45) is 03:15 UTC
    assert found[0] == at(monday, 3, 15)


def test_a_user_without_a_zone_gets_the_organizations(acme):
    # given
    acme.org.time_zone = "Asia/Kolkata"
    acme.org.save(update_fields=["time_zone"])
    monday = next_monday()
    person = interviewer(acme.org, zone="")
    # when
    found = starts(acme.org, [person], monday)
    # then: 09:00 in Kolkata (+05:30) is 03:30 UTC
    assert found[0] == at(monday, 3, 30)


def test_the_one_with_fewer_recent_interviews_is_chosen(acme):
    # given: two free people; the first did two interviews last week
    monday = next_monday()
    one, two = sorted([interviewer(acme.org), interviewer(acme.org)], key=lambda u: u.pk)
    for days in (3, 5):
        book(acme.org, [one], timezone.now() - timedelta(days=days), status=Interview.Status.COMPLETED)
    # when
    slots = slots_find(
        organization=acme.org,
        user_ids=[one.pk, two.pk],
        required=1,
        duration_minutes=60,
        window_start=monday,
        window_end=monday + timedelta(days=1),
    )
    # then
    assert slots
    assert {slot.interviewer_ids for slot in slots} == {(two.pk,)}
    assert (
        slot_people_load(
            organization=acme.org, user_ids=[one.pk, two.pk], window_start=monday, window_end=monday + timedelta(days=1)
        )[0].recent_interviews
        == 2
    )


def test_two_interviewers_needed_get_two_distinct_ones(acme):
    # given
    monday = next_monday()
    people = [interviewer(acme.org) for _ in range(3)]
    book(acme.org, [people[0]], at(monday, 9))
    # when
    slots = slots_find(
        organization=acme.org,
        user_ids=[p.pk for p in people],
        required=2,
        duration_minutes=60,
        window_start=monday,
        window_end=monday + timedelta(days=1),
        min_notice_hours=0,
    )
    # then
    assert slots
    assert all(len(set(slot.interviewer_ids)) == 2 for slot in slots)
    assert {slot.interviewer_ids for slot in slots} == {(people[1].pk, people[2].pk)}


# --- settings ---------------------------------------------------------------------------------
def test_the_step_defaults_to_thirty_minutes_without_settings(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org)
    # when
    found = starts(acme.org, [person], monday, step_minutes=None)
    # then
    assert {s.minute for s in found} == {0, 30}


def test_the_organizations_step_is_used(acme):
    # given
    SchedulingSettings.objects.create(organization=acme.org, slot_step_minutes=60)
    monday = next_monday()
    person = interviewer(acme.org)
    # when
    found = starts(acme.org, [person], monday, step_minutes=None)
    # then
    assert found[:2] == [at(monday, 9), at(monday, 10)]


def test_the_minimum_notice_defaults_to_twelve_hours(acme):
    # given: someone available around the clock, from now on
    person = UserFactory(time_zone="UTC", password=None)
    MembershipFactory(user=person, organization=acme.org)
    for weekday in range(7):
        AvailabilityRuleFactory(
            organization=acme.org, user=person, weekday=weekday, start_time=time(0), end_time=time(23, 59)
        )
    now = timezone.now()
    # when
    found = starts(acme.org, [person], now, window_end=now + timedelta(days=2), min_notice_hours=None)
    # then
    # then: the first start at or after now + 12 h that fits before the 23:59 gap
    assert found
    assert now + timedelta(hours=12) <= found[0] < now + timedelta(hours=13, minutes=5)


# --- tenancy ------------------------------------------------------------------------------------
def test_people_of_another_organization_are_left_out(acme, globex):
    # given
    monday = next_monday()
    ours = interviewer(acme.org)
    theirs = interviewer(globex.org)
    # when
    people = slot_people_load(
        organization=acme.org, user_ids=[ours.pk, theirs.pk], window_start=monday, window_end=monday + timedelta(days=1)
    )
    # then
    assert [p.id for p in people] == [ours.pk]


def test_another_organizations_rules_and_busy_time_are_not_used(acme, globex):
    # given: one person in both; globex knows them as working at night and busy at noon
    monday = next_monday()
    person = interviewer(acme.org)
    MembershipFactory(user=person, organization=globex.org)
    AvailabilityRuleFactory(organization=globex.org, user=person, weekday=0, start_time=time(1), end_time=time(3))
    BusyBlockFactory(organization=globex.org, user=person, starts_at=at(monday, 12), ends_at=at(monday, 13))
    InterviewerProfileFactory(organization=globex.org, user=person, daily_cap=0)
    # when
    found = starts(acme.org, [person], monday)
    # then
    assert at(monday, 1) not in found
    assert at(monday, 12) in found


# --- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"required": 3}, "too_few_people"),
        ({"required": 0}, "required"),
        ({"window_end": "before"}, "window_order"),
        ({"window_end": "nine weeks"}, "window_too_long"),
        ({"duration_minutes": 10}, "duration"),
        ({"duration_minutes": 481}, "duration"),
    ],
)
def test_requests_that_cannot_be_met_are_refused_with_a_reason(acme, change, code):
    # given
    monday = next_monday()
    people = [interviewer(acme.org), interviewer(acme.org)]
    search = {
        "organization": acme.org,
        "user_ids": [p.pk for p in people],
        "required": 1,
        "duration_minutes": 60,
        "window_start": monday,
        "window_end": monday + timedelta(days=1),
    }
    search.update(change)
    if search["window_end"] == "before":
        search["window_end"] = monday - timedelta(hours=1)
    elif search["window_end"] == "nine weeks":
        search["window_end"] = monday + timedelta(weeks=9)
    # when / then
    with pytest.raises(ValidationError) as caught:
        slots_find(**search)
    assert caught.value.code == code
    assert str(caught.value.messages[0])


def test_more_required_than_members_counts_only_members(acme, globex):
    # given: two ids, one of them from another organization
    monday = next_monday()
    with pytest.raises(ValidationError) as caught:
        slots_find(
            organization=acme.org,
            user_ids=[interviewer(acme.org).pk, interviewer(globex.org).pk],
            required=2,
            duration_minutes=60,
            window_start=monday,
            window_end=monday + timedelta(days=1),
        )
    # then
    assert caught.value.code == "too_few_people"


# --- queries -----------------------------------------------------------------------------------
def calendars(org: Organization, count: int, monday: datetime) -> list[int]:
    """``count`` people with a full calendar each: rules, an exception, busy blocks, interviews."""
    ids = []
    for n in range(count):
        person = interviewer(org, zone=["Europe/Berlin", "America/New_York", "Asia/Kolkata"][n % 3])
        InterviewerProfileFactory(organization=org, user=person, daily_cap=4)
        AvailabilityExceptionFactory(organization=org, user=person, date=(monday + timedelta(days=2)).date())
        BusyBlockFactory(organization=org, user=person, starts_at=at(monday, 10), ends_at=at(monday, 11))
        book(org, [person], at(monday, 14 + n % 3))
        ids.append(person.pk)
    return ids


@pytest.mark.parametrize("count", [2, 6])
def test_finding_slots_takes_the_same_queries_for_2_or_6_people(acme, count, django_assert_num_queries):
    # given
    monday = next_monday()
    ids = calendars(acme.org, count, monday)
    # when / then: users, profiles, rules, exceptions, busy blocks, interviews, settings
    with django_assert_num_queries(7):
        slots = slots_find(
            organization=acme.org,
            user_ids=ids,
            required=2,
            duration_minutes=60,
            window_start=monday,
            window_end=monday + timedelta(weeks=4),
        )
    assert slots


@pytest.mark.parametrize("count", [2, 6])
def test_the_booking_recheck_takes_the_same_queries_for_2_or_6_people(acme, count, django_assert_num_queries):
    # given
    monday = next_monday()
    ids = calendars(acme.org, count, monday)
    # when / then
    with django_assert_num_queries(6):
        free = slot_free_interviewers(organization=acme.org, user_ids=ids, start=at(monday, 12), end=at(monday, 13))
    # 12:00–13:00 UTC is inside Berlin's working day only (Kolkata has stopped, New York not started)
    assert free == [pk for n, pk in enumerate(ids) if n % 3 == 0]


# --- the booking recheck ----------------------------------------------------------------------
def test_only_the_free_ones_pass_the_booking_recheck(acme):
    # given
    monday = next_monday()
    booked, free = interviewer(acme.org), interviewer(acme.org)
    book(acme.org, [booked], at(monday, 10))
    # when
    ids = slot_free_interviewers(
        organization=acme.org, user_ids=[booked.pk, free.pk], start=at(monday, 10, 30), end=at(monday, 11, 30)
    )
    # then
    assert ids == [free.pk]


def test_the_recheck_ignores_the_interview_being_moved(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org)
    interview = book(acme.org, [person], at(monday, 10))
    # when
    ids = slot_free_interviewers(
        organization=acme.org,
        user_ids=[person.pk],
        start=at(monday, 10, 30),
        end=at(monday, 11, 30),
        exclude_interview_id=interview.pk,
    )
    # then
    assert ids == [person.pk]


def test_the_recheck_refuses_outside_working_hours(acme):
    # given
    monday = next_monday()
    person = interviewer(acme.org)
    # when
    ids = slot_free_interviewers(
        organization=acme.org, user_ids=[person.pk], start=at(monday, 16, 30), end=at(monday, 17, 30)
    )
    # then
    assert ids == []


# --- pools ---------------------------------------------------------------------------------------
def test_a_pool_gives_its_qualified_members(acme, globex):
    # given
    pool = PoolFactory(organization=acme.org)
    qualified, trainee = interviewer(acme.org), interviewer(acme.org)
    outsider = interviewer(globex.org)  # someone who left, or never belonged
    PoolMemberFactory(pool=pool, user=qualified)
    PoolMemberFactory(pool=pool, user=trainee, status=PoolMember.Status.TRAINEE)
    PoolMemberFactory(pool=pool, user=outsider)
    # when
    default, with_trainees = pool_user_ids(pool=pool), pool_user_ids(pool=pool, include_trainees=True)
    # then
    assert default == [qualified.pk]
    assert with_trainees == sorted([qualified.pk, trainee.pk])
