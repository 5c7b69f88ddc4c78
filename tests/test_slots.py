"""The slot finder (scheduling/slots.py): time zones, DST, caps, buffers, balancing.

The property tests compare the finder with a brute-force model written independently here:
each person's working time is a set of whole minutes, built date by date from minute-by-minute
scans of the local clock; busy time and its buffer are removed minute by minute; caps are counted
from the local date of each interview. Every boundary in the generated data is a whole minute,
and so is every time-zone transition of the zones used, so minutes are exact.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.slots import (
    DateException,
    Interval,
    Person,
    Slot,
    WeeklyRule,
    find_slots,
    free_people,
    local_instant,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",  # -03:30 with DST
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Adelaide",  # +09:30 / +10:30
    "Australia/Lord_Howe",  # +10:30 / +11:00: a 30-minute DST change
    "Pacific/Chatham",  # +12:45 / +13:45
]
# Windows opening just before a DST change somewhere in ZONES (2025).
ANCHORS = [
    datetime(2025, 3, 8, tzinfo=UTC),  # New York, St John's: March 9
    datetime(2025, 3, 29, tzinfo=UTC),  # Berlin: March 30
    datetime(2025, 4, 5, tzinfo=UTC),  # Adelaide, Lord Howe, Chatham: April 6
    datetime(2025, 9, 27, tzinfo=UTC),  # Chatham: September 28
    datetime(2025, 10, 4, tzinfo=UTC),  # Adelaide, Lord Howe: October 5
    datetime(2025, 10, 25, tzinfo=UTC),  # Berlin: October 26
    datetime(2025, 11, 1, tzinfo=UTC),  # New York, St John's: November 2
]
WEEKDAYS_9_TO_5 = tuple(WeeklyRule(day, time(9), time(17)) for day in range(5))
EVERY_DAY_9_TO_5 = tuple(WeeklyRule(day, time(9), time(17)) for day in range(7))
NEARLY_ALL_DAY = tuple(WeeklyRule(day, time(0), time(23, 45)) for day in range(7))
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


# --- the brute-force model --------------------------------------------------------------
@functools.lru_cache(maxsize=65536)
def clock_reaches(zone_name: str, day: date, wall: time) -> int:
    """The first whole minute (POSIX seconds) at which the local clock shows ``day wall`` or later."""
    zone = ZoneInfo(zone_name)
    naive = datetime.combine(day, wall)
    guesses = [naive.replace(tzinfo=zone, fold=fold).timestamp() for fold in (0, 1)]
    moment = int(min(guesses)) // 60 * 60 - 3 * 3600
    assert datetime.fromtimestamp(moment, zone).replace(tzinfo=None) < naive
    while datetime.fromtimestamp(moment, zone).replace(tzinfo=None) < naive:
        moment += 60
    return moment


def working_minutes(person: Person, low: int, high: int) -> set[int]:
    """Minutes (POSIX seconds of their start) in ``[low, high)`` the person works."""
    zone = ZoneInfo(person.time_zone)
    found: set[int] = set()
    day = datetime.fromtimestamp(low, zone).date() - timedelta(days=2)
    last = datetime.fromtimestamp(high, zone).date() + timedelta(days=2)
    while day <= last:
        exceptions = [e for e in person.exceptions if e.date == day]
        if not any(not e.available and e.start is None for e in exceptions):
            windows = [(r.start, r.end) for r in person.rules if r.weekday == day.weekday()]
            windows += [(e.start, e.end) for e in exceptions if e.available and e.start and e.end]
            blocked = [(e.start, e.end) for e in exceptions if not e.available and e.start and e.end]
            opened = {
                m
                for s, e in windows
                for m in range(clock_reaches(person.time_zone, day, s), clock_reaches(person.time_zone, day, e), 60)
            }
            closed = {
                m
                for s, e in blocked
                for m in range(clock_reaches(person.time_zone, day, s), clock_reaches(person.time_zone, day, e), 60)
            }
            found |= opened - closed
        day += timedelta(days=1)
    return {m for m in found if low <= m < high}


def busy_minutes(person: Person) -> set[int]:
    buffer = person.buffer_minutes * 60
    return {
        m
        for iv in (*person.interviews, *person.busy)
        for m in range(int(iv.start.timestamp()) - buffer, int(iv.end.timestamp()) + buffer, 60)
    }


def local_day(person: Person, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(person.time_zone)).date()


def same_day_interviews(person: Person, moment: datetime) -> int:
    return sum(local_day(person, iv.start) == local_day(person, moment) for iv in person.interviews)


def same_week_interviews(person: Person, moment: datetime) -> int:
    week = local_day(person, moment).isocalendar()[:2]
    return sum(local_day(person, iv.start).isocalendar()[:2] == week for iv in person.interviews)


def under_caps(person: Person, moment: datetime) -> bool:
    day_ok = person.daily_cap is None or same_day_interviews(person, moment) < person.daily_cap
    week_ok = person.weekly_cap is None or same_week_interviews(person, moment) < person.weekly_cap
    return day_ok and week_ok


@dataclass
class Model:
    """The brute-force answer for one case."""

    working: dict[int, set[int]]
    busy: dict[int, set[int]]

    @classmethod
    def of(cls, case: Case) -> Model:
        low, high = int(case.window_start.timestamp()), int(case.window_end.timestamp())
        return cls(
            working={p.id: working_minutes(p, low, high) for p in case.people},
            busy={p.id: busy_minutes(p) for p in case.people},
        )

    def inside_working_time(self, person: Person, start: datetime, end: datetime) -> bool:
        return all(m in self.working[person.id] for m in range(int(start.timestamp()), int(end.timestamp()), 60))

    def clear_of_busy(self, person: Person, start: datetime, end: datetime) -> bool:
        return not any(m in self.busy[person.id] for m in range(int(start.timestamp()), int(end.timestamp()), 60))

    def free(self, person: Person, start: datetime, end: datetime) -> bool:
        return (
            self.inside_working_time(person, start, end)
            and self.clear_of_busy(person, start, end)
            and under_caps(person, start)
        )


# --- generated cases --------------------------------------------------------------------
@dataclass
class Case:
    people: list[Person]
    required: int
    duration: timedelta
    window_start: datetime
    window_end: datetime
    step: timedelta
    now: datetime
    min_notice: timedelta

    def run(self, limit: int | None = None, people: Sequence[Person] | None = None) -> list[Slot]:
        return find_slots(
            people=self.people if people is None else people,
            required=self.required,
            duration=self.duration,
            window_start=self.window_start,
            window_end=self.window_end,
            step=self.step,
            now=self.now,
            min_notice=self.min_notice,
            limit=limit,
        )

    def person(self, person_id: int) -> Person:
        return next(p for p in self.people if p.id == person_id)


quarter_times = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def windows(draw: st.DrawFn) -> tuple[time, time]:
    start = draw(st.integers(0, 94))
    end = draw(st.integers(start + 1, 95))  # the rules cannot end at 24:00
    return time(start // 4, start % 4 * 15), time(end // 4, end % 4 * 15)


@st.composite
def rules(draw: st.DrawFn) -> WeeklyRule:
    start, end = draw(windows())
    return WeeklyRule(weekday=draw(st.integers(0, 6)), start=start, end=end)


@st.composite
def exceptions(draw: st.DrawFn, first_day: date) -> DateException:
    day = first_day + timedelta(days=draw(st.integers(-1, 5)))
    if draw(st.booleans()):
        return DateException(date=day)  # the whole day off
    start, end = draw(windows())
    return DateException(date=day, start=start, end=end, available=draw(st.booleans()))


@st.composite
def intervals(draw: st.DrawFn, around: datetime) -> Interval:
    start = around + minutes(15 * draw(st.integers(-4 * 48, 4 * 24 * 5)))
    return Interval(start, start + minutes(draw(st.sampled_from([15, 30, 45, 60, 90, 120, 240]))))


@st.composite
def people(draw: st.DrawFn, person_id: int, window_start: datetime) -> Person:
    return Person(
        id=person_id,
        time_zone=draw(st.sampled_from(ZONES)),
        rules=tuple(draw(st.lists(rules(), max_size=6)))
        + draw(st.sampled_from([(), WEEKDAYS_9_TO_5, EVERY_DAY_9_TO_5, NEARLY_ALL_DAY, NEARLY_ALL_DAY])),
        exceptions=tuple(draw(st.lists(exceptions(window_start.date()), max_size=3))),
        interviews=tuple(draw(st.lists(intervals(window_start), max_size=5))),
        busy=tuple(draw(st.lists(intervals(window_start), max_size=5))),
        daily_cap=draw(st.sampled_from([None, None, None, 1, 2, 3, 0])),
        weekly_cap=draw(st.sampled_from([None, None, None, 1, 2, 4, 6, 0])),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15, 30])),
        recent_interviews=draw(st.integers(0, 3)),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    window_start = draw(st.sampled_from(ANCHORS)) + minutes(15 * draw(st.integers(0, 4 * 24)))
    window_end = window_start + timedelta(hours=draw(st.integers(2, 4 * 24)))
    count = draw(st.integers(1, 4))
    ids = draw(st.permutations([3, 7, 11, 42]))[:count]
    crowd = [draw(people(person_id, window_start)) for person_id in ids]
    return Case(
        people=crowd,
        required=draw(st.integers(1, count)),
        duration=minutes(draw(st.sampled_from([15, 30, 45, 60, 90, 120]))),
        window_start=window_start,
        window_end=window_end,
        step=minutes(draw(st.sampled_from([15, 30, 45, 60]))),
        now=window_start + minutes(draw(st.integers(-24 * 60, 6 * 60))),
        min_notice=minutes(draw(st.sampled_from([0, 60, 12 * 60]))),
    )


property_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties ---------------------------------------------------------------------------
@property_settings
@given(case=cases())
def test_every_slot_lies_inside_each_chosen_persons_working_time(case: Case) -> None:
    # given
    model = Model.of(case)
    # when
    slots = case.run()
    # then
    for slot in slots:
        for person_id in slot.interviewer_ids:
            assert model.inside_working_time(case.person(person_id), slot.start, slot.end), (slot, person_id)


@property_settings
@given(case=cases())
def test_no_slot_overlaps_busy_time_widened_by_the_buffer(case: Case) -> None:
    # when
    slots = case.run()
    # then
    for slot in slots:
        for person_id in slot.available_ids:
            person = case.person(person_id)
            buffer = minutes(person.buffer_minutes)
            for busy in (*person.interviews, *person.busy):
                assert slot.end <= busy.start - buffer or slot.start >= busy.end + buffer, (slot, person_id, busy)


@property_settings
@given(case=cases())
def test_caps_are_never_exceeded_counting_interviews_already_booked(case: Case) -> None:
    # when
    slots = case.run()
    # then: booking any one slot keeps each chosen person within their caps
    for slot in slots:
        for person_id in slot.interviewer_ids:
            person = case.person(person_id)
            if person.daily_cap is not None:
                assert same_day_interviews(person, slot.start) + 1 <= person.daily_cap
            if person.weekly_cap is not None:
                assert same_week_interviews(person, slot.start) + 1 <= person.weekly_cap


@property_settings
@given(case=cases())
def test_each_slot_has_exactly_required_distinct_free_people(case: Case) -> None:
    # when
    slots = case.run()
    # then
    for slot in slots:
        assert len(slot.interviewer_ids) == case.required
        assert len(set(slot.interviewer_ids)) == case.required
        assert slot.available_ids[: case.required] == slot.interviewer_ids
        assert len(set(slot.available_ids)) == len(slot.available_ids)


@property_settings
@given(case=cases())
def test_exactly_the_aligned_instants_with_enough_free_people_are_offered(case: Case) -> None:
    # given
    model = Model.of(case)
    step = int(case.step.total_seconds())
    earliest = max(case.window_start, case.now + case.min_notice)
    expected = {}
    start_k = -(-int(earliest.timestamp()) // step)
    moment = datetime.fromtimestamp(start_k * step, UTC)
    while moment + case.duration <= case.window_end:
        free = {p.id for p in case.people if model.free(p, moment, moment + case.duration)}
        if len(free) >= case.required:
            expected[moment] = free
        moment += case.step
    # when
    slots = case.run()
    # then
    assert {slot.start: set(slot.available_ids) for slot in slots} == expected
    assert all(slot.end - slot.start == case.duration for slot in slots)


@property_settings
@given(case=cases())
def test_the_least_loaded_people_are_chosen(case: Case) -> None:
    # when
    slots = case.run()
    # then: by interviews that local ISO week, then recent interviews, then id
    for slot in slots:
        ranked = sorted(
            slot.available_ids,
            key=lambda pid: (
                same_week_interviews(case.person(pid), slot.start),
                case.person(pid).recent_interviews,
                pid,
            ),
        )
        assert list(slot.interviewer_ids) == ranked[: case.required]


@property_settings
@given(case=cases(), data=st.data())
def test_the_result_does_not_depend_on_the_order_of_people_or_on_the_run(case: Case, data: st.DataObject) -> None:
    # given
    shuffled = data.draw(st.permutations(case.people))
    # when
    first, second, reordered = case.run(), case.run(), case.run(people=shuffled)
    # then
    assert first == second == reordered


@property_settings
@given(case=cases())
def test_free_people_agrees_with_the_slots_found(case: Case) -> None:
    # when
    slots = case.run()
    # then: the booking recheck sees the same people free, in the same order
    for slot in slots[:20]:
        assert free_people(people=case.people, start=slot.start, end=slot.end) == list(slot.available_ids)


@property_settings
@given(case=cases(), limit=st.integers(1, 5))
def test_the_limit_keeps_the_earliest_slots(case: Case, limit: int) -> None:
    # when
    everything, limited = case.run(), case.run(limit=limit)
    # then
    assert limited == everything[:limit]


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), anchor=st.sampled_from(ANCHORS), days=st.integers(-1, 3), wall=quarter_times)
def test_local_instant_is_the_first_moment_the_clock_shows_the_time(
    zone: str, anchor: datetime, days: int, wall: time
) -> None:
    # given
    day = anchor.date() + timedelta(days=days)
    # when
    moment = local_instant(ZoneInfo(zone), day, wall)
    # then
    assert moment == clock_reaches(zone, day, wall)


# --- hand-checked time zones and DST ------------------------------------------------------
def full_day_slots(person: Person, start: datetime, end: datetime, hours: int = 8) -> list[datetime]:
    """Starts of slots as long as the working day: only where the day is exactly ``hours`` long."""
    slots = find_slots(
        people=[person],
        required=1,
        duration=timedelta(hours=hours),
        window_start=start,
        window_end=end,
        step=minutes(15),
        now=FAR_PAST,
        limit=None,
    )
    return [slot.start for slot in slots]


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Berlin: CET (+1) until 2025-03-30 01:00 UTC, then CEST (+2)
        ("Europe/Berlin", utc(2025, 3, 29), [utc(2025, 3, 29, 8), utc(2025, 3, 30, 7), utc(2025, 3, 31, 7)]),
        # Berlin: CEST until 2025-10-26 01:00 UTC, then CET
        ("Europe/Berlin", utc(2025, 10, 25), [utc(2025, 10, 25, 7), utc(2025, 10, 26, 8), utc(2025, 10, 27, 8)]),
        # New York: EST (-5) until 2025-03-09 07:00 UTC, then EDT (-4)
        ("America/New_York", utc(2025, 3, 8), [utc(2025, 3, 8, 14), utc(2025, 3, 9, 13), utc(2025, 3, 10, 13)]),
        # New York: EDT until 2025-11-02 06:00 UTC, then EST
        ("America/New_York", utc(2025, 11, 1), [utc(2025, 11, 1, 13), utc(2025, 11, 2, 14), utc(2025, 11, 3, 14)]),
    ],
)
def test_a_nine_to_five_rule_stays_nine_to_five_local_across_the_change(
    zone: str, start: datetime, expected: list[datetime]
) -> None:
    # given
    person = Person(id=1, time_zone=zone, rules=EVERY_DAY_9_TO_5)
    # when
    starts = full_day_slots(person, start, start + timedelta(days=3))
    # then
    assert starts == expected


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        ("Asia/Kolkata", utc(2025, 6, 2), [utc(2025, 6, 2, 3, 30), utc(2025, 6, 3, 3, 30)]),  # +05:30
        ("Asia/Kathmandu", utc(2025, 6, 2), [utc(2025, 6, 2, 3, 15), utc(2025, 6, 3, 3, 15)]),  # +05:45
        # Adelaide: +10:30 until 2025-04-06 03:00 local, then +09:30
        ("Australia/Adelaide", utc(2025, 4, 4, 12), [utc(2025, 4, 4, 22, 30), utc(2025, 4, 5, 23, 30)]),
        # Chatham: +13:45 until 2025-04-06 03:45 local, then +12:45
        ("Pacific/Chatham", utc(2025, 4, 4, 12), [utc(2025, 4, 4, 19, 15), utc(2025, 4, 5, 20, 15)]),
    ],
)
def test_zones_with_half_and_quarter_hour_offsets(zone: str, start: datetime, expected: list[datetime]) -> None:
    # given
    person = Person(id=1, time_zone=zone, rules=EVERY_DAY_9_TO_5)
    # when
    starts = full_day_slots(person, start, start + timedelta(days=2))
    # then
    assert starts == expected


def test_a_night_window_on_the_spring_change_is_an_hour_shorter() -> None:
    # given: Sunday 01:00–05:00 Berlin on 2025-03-30, when 02:00–03:00 does not exist
    person = Person(id=1, time_zone="Europe/Berlin", rules=(WeeklyRule(6, time(1), time(5)),))
    # when
    three_hours = full_day_slots(person, utc(2025, 3, 29), utc(2025, 3, 31), hours=3)
    four_hours = full_day_slots(person, utc(2025, 3, 29), utc(2025, 3, 31), hours=4)
    # then: 01:00 CET = 00:00 UTC until 05:00 CEST = 03:00 UTC
    assert three_hours == [utc(2025, 3, 30, 0)]
    assert four_hours == []


def test_a_night_window_on_the_autumn_change_is_an_hour_longer() -> None:
    # given: Sunday 01:00–05:00 Berlin on 2025-10-26, when 02:00–03:00 happens twice
    person = Person(id=1, time_zone="Europe/Berlin", rules=(WeeklyRule(6, time(1), time(5)),))
    # when
    five_hours = full_day_slots(person, utc(2025, 10, 25), utc(2025, 10, 27), hours=5)
    # then: 01:00 CEST = 23:00 UTC the day before, until 05:00 CET = 04:00 UTC
    assert five_hours == [utc(2025, 10, 25, 23)]


def test_a_window_starting_at_a_time_that_does_not_exist_starts_at_the_jump() -> None:
    # given: Sunday 02:30–04:00 Berlin on 2025-03-30; the clock jumps from 02:00 to 03:00 CEST
    person = Person(id=1, time_zone="Europe/Berlin", rules=(WeeklyRule(6, time(2, 30), time(4)),))
    # when
    starts = full_day_slots(person, utc(2025, 3, 29), utc(2025, 3, 31), hours=1)
    # then: 03:00 CEST = 01:00 UTC until 04:00 CEST = 02:00 UTC
    assert starts == [utc(2025, 3, 30, 1)]


def test_a_window_starting_at_a_repeated_time_starts_at_its_first_occurrence() -> None:
    # given: Sunday 02:30–03:30 Berlin on 2025-10-26; 02:30 happens at 00:30 and 01:30 UTC
    person = Person(id=1, time_zone="Europe/Berlin", rules=(WeeklyRule(6, time(2, 30), time(3, 30)),))
    # when
    starts = full_day_slots(person, utc(2025, 10, 25), utc(2025, 10, 27), hours=2)
    # then: from 02:30 CEST = 00:30 UTC until 03:30 CET = 02:30 UTC
    assert starts == [utc(2025, 10, 26, 0, 30)]


# --- exceptions, notice, step, buffers, caps, balancing -------------------------------------
MONDAY = utc(2025, 6, 2)  # a Monday; June: no DST change anywhere near


def find(people: Sequence[Person], **kwargs: object) -> list[Slot]:
    options: dict = {
        "required": 1,
        "duration": minutes(60),
        "window_start": MONDAY,
        "window_end": MONDAY + timedelta(days=7),
        "step": minutes(30),
        "now": FAR_PAST,
        "limit": None,
    }
    options.update(kwargs)
    return find_slots(people=people, **options)


def days_with_slots(slots: Sequence[Slot]) -> list[date]:
    return sorted({slot.start.date() for slot in slots})


def test_a_whole_day_off_removes_that_day() -> None:
    # given
    person = Person(id=1, rules=WEEKDAYS_9_TO_5, exceptions=(DateException(date=date(2025, 6, 4)),))
    # when
    slots = find([person])
    # then
    assert days_with_slots(slots) == [date(2025, 6, 2), date(2025, 6, 3), date(2025, 6, 5), date(2025, 6, 6)]


def test_a_blocked_window_removes_only_that_window() -> None:
    # given: Tuesday 12:00–14:00 blocked
    blocked = DateException(date=date(2025, 6, 3), start=time(12), end=time(14), available=False)
    person = Person(id=1, rules=WEEKDAYS_9_TO_5, exceptions=(blocked,))
    # when
    tuesday = [s.start.time() for s in find([person]) if s.start.date() == date(2025, 6, 3)]
    # then
    morning = [time(9), time(9, 30), time(10), time(10, 30), time(11)]
    afternoon = [time(14), time(14, 30), time(15), time(15, 30), time(16)]
    assert tuesday == morning + afternoon


def test_an_extra_window_adds_time_on_a_day_without_rules() -> None:
    # given: Saturday 10:00–12:00 extra
    extra = DateException(date=date(2025, 6, 7), start=time(10), end=time(12), available=True)
    person = Person(id=1, rules=WEEKDAYS_9_TO_5, exceptions=(extra,))
    # when
    saturday = [s.start for s in find([person]) if s.start.date() == date(2025, 6, 7)]
    # then
    assert saturday == [utc(2025, 6, 7, 10), utc(2025, 6, 7, 10, 30), utc(2025, 6, 7, 11)]


def test_a_day_off_wins_over_an_extra_window_the_same_day() -> None:
    # given
    extra = DateException(date=date(2025, 6, 7), start=time(10), end=time(12), available=True)
    person = Person(id=1, rules=(), exceptions=(extra, DateException(date=date(2025, 6, 7))))
    # when
    slots = find([person])
    # then
    assert slots == []


def test_exceptions_are_read_in_the_persons_own_zone() -> None:
    # given: Kolkata (+05:30) takes Tuesday off; its Tuesday is 2025-06-02 18:30 → 06-03 18:30 UTC
    person = Person(
        id=1, time_zone="Asia/Kolkata", rules=EVERY_DAY_9_TO_5, exceptions=(DateException(date=date(2025, 6, 3)),)
    )
    # when
    slots = find([person])
    # then
    assert date(2025, 6, 3) not in days_with_slots(slots)
    assert slots[0].start == utc(2025, 6, 2, 3, 30)


def test_min_notice_holds_back_the_first_slots() -> None:
    # given: now is Monday 10:10 UTC, 12 h notice
    person = Person(id=1, rules=WEEKDAYS_9_TO_5)
    # when
    slots = find([person], now=utc(2025, 6, 2, 10, 10), min_notice=timedelta(hours=12))
    # then: Monday is gone; Tuesday opens at 09:00, the first step at or after 22:10 that is free
    assert slots[0].start == utc(2025, 6, 3, 9)


def test_no_slot_starts_before_now() -> None:
    # given
    person = Person(id=1, rules=WEEKDAYS_9_TO_5)
    # when
    slots = find([person], now=utc(2025, 6, 2, 13, 1))
    # then
    assert slots[0].start == utc(2025, 6, 2, 13, 30)


def test_starts_align_to_the_step_in_utc() -> None:
    # given: a Kathmandu day opens at 03:15 UTC; a 30-minute step starts at :00 and :30 UTC
    person = Person(id=1, time_zone="Asia/Kathmandu", rules=EVERY_DAY_9_TO_5)
    # when
    slots = find([person], step=minutes(30), window_end=MONDAY + timedelta(days=1))
    # then
    assert slots[0].start == utc(2025, 6, 2, 3, 30)
    assert all(slot.start.minute in (0, 30) and slot.start.second == 0 for slot in slots)
    assert slots[-1].end <= utc(2025, 6, 2, 11, 15)


def test_the_buffer_keeps_time_free_around_a_booked_interview() -> None:
    # given: an interview 12:00–13:00, 15 minutes of buffer, 15-minute step
    person = Person(id=1, rules=WEEKDAYS_9_TO_5, interviews=(Interval(utc(2025, 6, 2, 12), utc(2025, 6, 2, 13)),))
    # when
    monday = [s.start for s in find([person], step=minutes(15), window_end=MONDAY + timedelta(days=1))]
    # then: the last one before ends 11:45, the first one after starts 13:15
    assert utc(2025, 6, 2, 10, 45) in monday
    assert utc(2025, 6, 2, 11) not in monday
    assert utc(2025, 6, 2, 13) not in monday
    assert utc(2025, 6, 2, 13, 15) in monday


def test_the_buffer_applies_around_busy_blocks_too() -> None:
    # given
    person = Person(
        id=1, rules=WEEKDAYS_9_TO_5, busy=(Interval(utc(2025, 6, 2, 12), utc(2025, 6, 2, 13)),), buffer_minutes=30
    )
    # when
    monday = [s.start for s in find([person], step=minutes(15), window_end=MONDAY + timedelta(days=1))]
    # then
    assert utc(2025, 6, 2, 10, 30) in monday
    assert utc(2025, 6, 2, 10, 45) not in monday
    assert utc(2025, 6, 2, 13, 15) not in monday
    assert utc(2025, 6, 2, 13, 30) in monday


def test_busy_blocks_do_not_count_against_the_caps() -> None:
    # given: a daily cap of 1 and a busy block that morning
    person = Person(id=1, rules=WEEKDAYS_9_TO_5, busy=(Interval(utc(2025, 6, 2, 9), utc(2025, 6, 2, 10)),), daily_cap=1)
    # when
    slots = find([person], window_end=MONDAY + timedelta(days=1))
    # then
    assert slots


def test_the_daily_cap_counts_interviews_of_the_local_day() -> None:
    # given: New York (-4), cap 1; an interview Tuesday 02:00 UTC is still Monday evening in New York
    person = Person(
        id=1,
        time_zone="America/New_York",
        rules=WEEKDAYS_9_TO_5,
        interviews=(Interval(utc(2025, 6, 3, 2), utc(2025, 6, 3, 3)),),
        daily_cap=1,
    )
    # when
    days = days_with_slots(find([person]))
    # then: Monday is full, Tuesday is not
    assert days == [date(2025, 6, 3), date(2025, 6, 4), date(2025, 6, 5), date(2025, 6, 6)]


def test_the_weekly_cap_closes_the_rest_of_the_iso_week() -> None:
    # given: two interviews on Monday, a weekly cap of 2; the window spans two weeks
    booked = (Interval(utc(2025, 6, 2, 9), utc(2025, 6, 2, 10)), Interval(utc(2025, 6, 2, 11), utc(2025, 6, 2, 12)))
    person = Person(id=1, rules=WEEKDAYS_9_TO_5, interviews=booked, weekly_cap=2)
    # when
    days = days_with_slots(find([person], window_end=MONDAY + timedelta(days=14)))
    # then
    assert days == [date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 11), date(2025, 6, 12), date(2025, 6, 13)]


def test_the_person_with_fewer_interviews_that_week_is_chosen() -> None:
    # given: 1 is busier this week, 2 has more in the past weeks
    busy_week = Person(id=1, rules=WEEKDAYS_9_TO_5, interviews=(Interval(utc(2025, 6, 6, 9), utc(2025, 6, 6, 10)),))
    busy_month = Person(id=2, rules=WEEKDAYS_9_TO_5, recent_interviews=5)
    # when
    slots = find([busy_week, busy_month], window_end=MONDAY + timedelta(days=1))
    # then
    assert {slot.interviewer_ids for slot in slots} == {(2,)}
    assert slots[0].available_ids == (2, 1)


def test_recent_interviews_break_a_tie_in_the_week() -> None:
    # given
    people = [Person(id=1, rules=WEEKDAYS_9_TO_5, recent_interviews=4), Person(id=2, rules=WEEKDAYS_9_TO_5)]
    # when
    slots = find(people, window_end=MONDAY + timedelta(days=1))
    # then
    assert {slot.interviewer_ids for slot in slots} == {(2,)}


def test_the_lower_id_breaks_a_full_tie() -> None:
    # given
    people = [Person(id=9, rules=WEEKDAYS_9_TO_5), Person(id=4, rules=WEEKDAYS_9_TO_5)]
    # when
    slots = find(people, window_end=MONDAY + timedelta(days=1))
    # then
    assert {slot.interviewer_ids for slot in slots} == {(4,)}


def test_balancing_follows_the_week_of_each_slot() -> None:
    # given: 1 had an interview this week, 2 is booked next week
    one = Person(id=1, rules=WEEKDAYS_9_TO_5, interviews=(Interval(utc(2025, 6, 2, 9), utc(2025, 6, 2, 10)),))
    two = Person(id=2, rules=WEEKDAYS_9_TO_5, interviews=(Interval(utc(2025, 6, 9, 9), utc(2025, 6, 9, 10)),))
    # when
    slots = find([one, two], window_start=utc(2025, 6, 5), window_end=utc(2025, 6, 11))
    # then
    chosen = {slot.start.isocalendar()[1]: slot.interviewer_ids for slot in slots}
    assert chosen == {23: (2,), 24: (1,)}


def test_two_of_three_need_both_free() -> None:
    # given: 1 works mornings, 2 afternoons, 3 all day
    people = [
        Person(id=1, rules=(WeeklyRule(0, time(9), time(12)),)),
        Person(id=2, rules=(WeeklyRule(0, time(12), time(17)),)),
        Person(id=3, rules=(WeeklyRule(0, time(10), time(14)),)),
    ]
    # when
    slots = find(people, required=2, window_end=MONDAY + timedelta(days=1))
    # then
    assert [(s.start.hour, s.start.minute, s.interviewer_ids) for s in slots] == [
        (10, 0, (1, 3)),
        (10, 30, (1, 3)),
        (11, 0, (1, 3)),
        (12, 0, (2, 3)),
        (12, 30, (2, 3)),
        (13, 0, (2, 3)),
    ]


def test_free_people_respects_caps_and_buffers() -> None:
    # given
    capped = Person(
        id=1, rules=WEEKDAYS_9_TO_5, interviews=(Interval(utc(2025, 6, 2, 9), utc(2025, 6, 2, 10)),), daily_cap=1
    )
    buffered = Person(id=2, rules=WEEKDAYS_9_TO_5, busy=(Interval(utc(2025, 6, 2, 15), utc(2025, 6, 2, 16)),))
    free = Person(id=3, rules=WEEKDAYS_9_TO_5, recent_interviews=1)
    # when
    ids = free_people(people=[capped, buffered, free], start=utc(2025, 6, 2, 14), end=utc(2025, 6, 2, 14, 50))
    # then
    assert ids == [3]


def test_free_people_are_ordered_least_loaded_first() -> None:
    # given
    people = [replace(Person(id=i, rules=WEEKDAYS_9_TO_5), recent_interviews=3 - i) for i in (1, 2, 3)]
    # when
    ids = free_people(people=people, start=utc(2025, 6, 2, 14), end=utc(2025, 6, 2, 15))
    # then
    assert ids == [3, 2, 1]


def test_more_required_than_people_is_refused() -> None:
    with pytest.raises(ValueError, match="required"):
        find([Person(id=1, rules=WEEKDAYS_9_TO_5)], required=2)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        find([Person(id=1)], window_start=datetime(2025, 6, 2))  # noqa: DTZ001
