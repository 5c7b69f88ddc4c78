"""The slot finder: when can ``required`` of these interviewers all meet? (no Django in here).

Everything is interval arithmetic on whole POSIX seconds. For each person, once per call:

1. working time: each local date's weekly rules plus extra windows, minus blocked windows, each
   wall-clock bound turned into a UTC instant (``local_instant``), merged;
2. minus busy time: booked interviews and other busy blocks, each widened by the person's buffer;
3. the free intervals become the set of instants a slot of ``duration`` may *start* at, minus
   the local days and ISO weeks whose cap is already reached;
4. a sweep over everyone's start sets, at step-aligned UTC instants, keeps the instants where at
   least ``required`` people can start, and picks the least-loaded of them.

docs/slots.md explains the rules (time zones, DST, caps, buffers, balancing) and their reasons.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DateException",
    "Interval",
    "Person",
    "Slot",
    "WeeklyRule",
    "find_slots",
    "free_people",
    "local_instant",
]

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Every ``weekday`` (0 = Monday) from ``start`` to ``end``, wall clock in the person's zone."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class DateException:
    """A dated change: ``available=False`` blocks the window (the whole day when no times are
    given); ``available=True`` adds the window to that date."""

    date: date
    start: time | None = None
    end: time | None = None
    available: bool = False


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of time, ``[start, end)``, as aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Person:
    """One interviewer's calendar as the finder sees it.

    ``interviews`` are booked interviews: busy time (with the buffer around it) and counted against
    the caps. ``busy`` is other busy time (busy blocks, the external calendar): the buffer applies
    around it too, but it does not count against the caps. A cap of ``None`` means no cap.
    """

    id: int
    time_zone: str = "UTC"
    rules: tuple[WeeklyRule, ...] = ()
    exceptions: tuple[DateException, ...] = ()
    interviews: tuple[Interval, ...] = ()
    busy: tuple[Interval, ...] = ()
    daily_cap: int | None = 3
    weekly_cap: int | None = 10
    buffer_minutes: int = 15
    recent_interviews: int = 0


@dataclass(frozen=True, slots=True)
class Slot:
    """A proposed interview time (UTC) and who would take it.

    ``interviewer_ids`` are the ``required`` people chosen; ``available_ids`` are everyone free for
    the whole slot, least loaded first (the chosen ones lead), so a booking that finds one of the
    chosen taken in the meantime can fall back on the next.
    """

    start: datetime
    end: datetime
    interviewer_ids: tuple[int, ...]
    available_ids: tuple[int, ...]


# --- instants ---------------------------------------------------------------------------
def local_instant(zone: ZoneInfo, day: date, wall: time) -> int:
    """The first instant (POSIX seconds) at which the clock in ``zone`` shows ``day`` ``wall`` or later.

    A wall-clock time that exists once is just that instant. One that occurs twice (the clocks
    go back) is its first occurrence, zoneinfo's ``fold=0``. One that does not exist (the clocks
    jump forward over it) is the moment of the jump: "from 02:30" on the night Berlin skips
    02:00–03:00 starts at 03:00 CEST, and "until 02:30" ends there too.
    """
    naive = datetime.combine(day, wall.replace(microsecond=0, tzinfo=None))  # whole seconds
    ts = int(naive.replace(tzinfo=zone).timestamp())  # fold=0: in a gap, read with the offset before the jump
    if _local(ts, zone) == naive:  # it exists; fold=0 made it the first of two if it is repeated
        return ts
    # In a gap: fold=0 lands after the jump and fold=1 before it; find the jump between the two.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    while low < ts:  # invariant: _local(ts) >= naive
        mid = (low + ts) // 2
        if _local(mid, zone) >= naive:
            ts = mid
        else:
            low = mid + 1
    return ts


def _local(ts: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, zone).replace(tzinfo=None)


def _seconds(moment: datetime, *, up: bool) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the slot finder needs aware datetimes")
    value = moment.timestamp()
    return math.ceil(value) if up else math.floor(value)


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# --- half-open integer intervals, each list sorted and non-overlapping ------------------
Spans = list[tuple[int, int]]


def _merge(spans: Iterable[tuple[int, int]]) -> Spans:
    out: Spans = []
    for a, b in sorted(s for s in spans if s[0] < s[1]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _subtract(base: Spans, cut: Spans) -> Spans:
    if not cut:
        return base
    out: Spans = []
    j = 0
    for a, b in base:
        while j < len(cut) and cut[j][1] <= a:
            j += 1
        current = a
        k = j
        while k < len(cut) and cut[k][0] < b:
            cut_start, cut_end = cut[k]
            if cut_start > current:
                out.append((current, cut_start))
            current = max(current, cut_end)
            if current >= b:
                break
            k += 1
        if current < b:
            out.append((current, b))
    return out


def _clip(spans: Spans, low: int, high: int) -> Spans:
    return [(max(a, low), min(b, high)) for a, b in spans if b > low and a < high and max(a, low) < min(b, high)]


# --- one person -------------------------------------------------------------------------
@dataclass(slots=True)
class _Plan:
    """What the sweep needs of a person: where a slot may start, and their load by week."""

    person: Person
    starts: Spans  # half-open sets of allowed start seconds
    week_edges: list[int]  # sorted starts of the person's local ISO weeks that hold interviews
    week_spans: list[tuple[int, int, int]]  # (start, end, interviews) for those weeks

    def week_load(self, ts: int) -> int:
        index = bisect.bisect_right(self.week_edges, ts) - 1
        if index >= 0:
            start, end, count = self.week_spans[index]
            if start <= ts < end:
                return count
        return 0

    def rank(self, ts: int) -> tuple[int, int, int]:
        return (self.week_load(ts), self.person.recent_interviews, self.person.id)


def _working(person: Person, zone: ZoneInfo, low: int, high: int) -> Spans:
    by_weekday: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for rule in person.rules:
        by_weekday[rule.weekday].append((rule.start, rule.end))
    by_date: dict[date, list[DateException]] = defaultdict(list)
    for exception in person.exceptions:
        by_date[exception.date].append(exception)
    spans: Spans = []
    # A day either side: a local date's window may fall in the range seen from UTC.
    day = datetime.fromtimestamp(low, zone).date() - _DAY
    last = datetime.fromtimestamp(high, zone).date() + _DAY
    while day <= last:
        opens = list(by_weekday[day.weekday()])
        closes: list[tuple[time, time]] = []
        day_off = False
        for exception in by_date.get(day, ()):
            if exception.start is None or exception.end is None:
                day_off = day_off or not exception.available
            elif exception.available:
                opens.append((exception.start, exception.end))
            else:
                closes.append((exception.start, exception.end))
        if opens and not day_off:
            windows = _merge((local_instant(zone, day, s), local_instant(zone, day, e)) for s, e in opens)
            if closes:
                windows = _subtract(
                    windows, _merge((local_instant(zone, day, s), local_instant(zone, day, e)) for s, e in closes)
                )
            spans.extend(windows)
        day += _DAY
    return _clip(_merge(spans), low, high)


def _plan(person: Person, *, low: int, high: int, duration: int) -> _Plan:
    """The instants in ``[low, high - duration]`` at which ``person`` can start a slot."""
    zone = ZoneInfo(person.time_zone)
    free = _working(person, zone, low, high)
    buffer = max(person.buffer_minutes, 0) * 60
    busy = _merge(
        (_seconds(iv.start, up=False) - buffer, _seconds(iv.end, up=True) + buffer)
        for iv in (*person.interviews, *person.busy)
    )
    free = _subtract(free, busy)
    starts = [(a, b - duration + 1) for a, b in free if b - a >= duration]

    days: Counter[date] = Counter()
    weeks: Counter[date] = Counter()  # keyed by the Monday of the local ISO week
    for interview in person.interviews:
        local_day = interview.start.astimezone(zone).date()
        days[local_day] += 1
        weeks[local_day - timedelta(days=local_day.weekday())] += 1
    week_spans = sorted(
        (local_instant(zone, monday, time()), local_instant(zone, monday + timedelta(days=7), time()), count)
        for monday, count in weeks.items()
    )
    no_cap_left = (person.daily_cap is not None and person.daily_cap <= 0) or (
        person.weekly_cap is not None and person.weekly_cap <= 0
    )
    if no_cap_left:
        starts = []
    elif starts:
        full: list[tuple[int, int]] = []
        if person.daily_cap is not None:
            full.extend(
                (local_instant(zone, day, time()), local_instant(zone, day + _DAY, time()))
                for day, count in days.items()
                if count >= person.daily_cap
            )
        if person.weekly_cap is not None:
            full.extend((start, end) for start, end, count in week_spans if count >= person.weekly_cap)
        starts = _subtract(starts, _merge(full))
    return _Plan(person=person, starts=starts, week_edges=[s for s, _, _ in week_spans], week_spans=week_spans)


def _check_people(people: Sequence[Person], required: int) -> None:
    if required < 1:
        raise ValueError("required must be at least 1")
    if required > len(people):
        raise ValueError(f"{required} interviewers required but only {len(people)} given")
    if len({p.id for p in people}) != len(people):
        raise ValueError("each person may appear only once")


# --- public -----------------------------------------------------------------------------
def find_slots(
    *,
    people: Sequence[Person],
    required: int,
    duration: timedelta,
    window_start: datetime,
    window_end: datetime,
    step: timedelta,
    now: datetime | None = None,
    min_notice: timedelta = timedelta(0),
    limit: int | None = 200,
) -> list[Slot]:
    """Slots of ``duration`` in the window, earliest first, each with ``required`` free people.

    Starts are whole multiples of ``step`` counted from 1970-01-01 00:00 UTC, no earlier than
    ``now + min_notice``; a slot ends by ``window_end``. At most ``limit`` slots (``None``: all).
    """
    _check_people(people, required)
    length = math.ceil(duration.total_seconds())
    every = math.ceil(step.total_seconds())
    if length <= 0 or every <= 0:
        raise ValueError("duration and step must be positive")
    now = now or datetime.now(UTC)
    low = _seconds(window_start, up=True)
    high = _seconds(window_end, up=False)
    earliest = max(low, _seconds(now + min_notice, up=True))
    if high - earliest < length or limit == 0:
        return []
    plans = [_plan(person, low=low, high=high, duration=length) for person in people]

    # Events at step indexes: a person becomes able to start (+1), stops (-1), or the ranking may
    # change (0, at the edges of their loaded weeks). Between two events the set is constant.
    events: list[tuple[int, int, int]] = []
    first_k = -(-earliest // every)
    last_k = (high - length) // every
    for index, plan in enumerate(plans):
        for a, b in plan.starts:
            k_from = max(-(-a // every), first_k)
            k_to = min((b - 1) // every, last_k)
            if k_from <= k_to:
                events.append((k_from, 1, index))
                events.append((k_to + 1, -1, index))
        for start, end, _ in plan.week_spans:
            events.append((-(-start // every), 0, index))
            events.append((-(-end // every), 0, index))
    events.sort()

    slots: list[Slot] = []
    active: set[int] = set()
    position = 0
    while position < len(events):
        k = events[position][0]
        while position < len(events) and events[position][0] == k:
            _, change, index = events[position]
            if change > 0:
                active.add(index)
            elif change < 0:
                active.discard(index)
            position += 1
        if len(active) < required or position == len(events):
            continue
        next_k = events[position][0]
        at = k * every
        ranked = sorted(active, key=lambda i: plans[i].rank(at))
        available = tuple(plans[i].person.id for i in ranked)
        chosen = available[:required]
        for slot_k in range(k, next_k):
            start = slot_k * every
            slots.append(
                Slot(start=_at(start), end=_at(start + length), interviewer_ids=chosen, available_ids=available)
            )
            if limit is not None and len(slots) >= limit:
                return slots
    return slots


def free_people(*, people: Sequence[Person], start: datetime, end: datetime) -> list[int]:
    """Ids of the people free for the whole of ``[start, end)``, least loaded first.

    Free means what it means to ``find_slots``: inside their working time, clear of busy time and
    its buffer, and under their daily and weekly caps. No step, notice or "now" applies here.
    """
    low = _seconds(start, up=True)
    high = _seconds(end, up=False)
    if high <= low:
        raise ValueError("end must be after start")
    free = []
    for person in people:
        plan = _plan(person, low=low, high=high, duration=high - low)
        if any(a <= low < b for a, b in plan.starts):
            free.append(plan)
    free.sort(key=lambda plan: plan.rank(low))
    return [plan.person.id for plan in free]
