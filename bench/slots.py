"""Slot finder benchmark (issue 7): 5 interviewers, 4 weeks, realistic calendars; ``make bench`` runs it.

The calendars (seeded, so every run is the same), over four weeks that cross a European clock
change: five interviewers in five zones (Berlin, London,
New York, Kolkata, Kathmandu), each working Monday to Friday 09:00–12:00 and 13:00–17:30 in their
own zone, with about 15 busy blocks a week (30–120 minutes, mostly in working hours), about
4 booked interviews a week (with their 15-minute buffers and the caps of 3 a day / 10 a week), one
day off, one blocked afternoon and one extra evening window over the four weeks, and a few
interviews in the past four weeks (the balancing's "recent interviews").

It times, many times each, and prints the median and p95 in milliseconds:

* ``find_slots`` alone (scheduling/slots.py, no database), for 1, 2 and 3 of the 5 interviewers,
  every slot of the 4 weeks (no limit) and with the default limit of 200;
* ``slots_find`` (scheduling/selectors.py) end to end: the 7 queries against a temporary SQLite
  database holding the same calendars, plus the finder;
* ``slot_free_interviewers``, the booking recheck of one slot.

The target of the issue is a median under 50 ms; the exit status is 1 when the pure finder or
``slots_find`` misses it. The database is a temporary file that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduling.slots import DateException, Interval, Person, WeeklyRule, find_slots, free_people  # noqa: E402

TARGET_MS = 50.0
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]
WEEKS = 4
RULES = tuple(
    WeeklyRule(day, start, end) for day in range(5) for start, end in ((time(9), time(12)), (time(13), time(17, 30)))
)


@dataclass
class Calendar:
    """One interviewer's calendar, in the shapes of both the models and the finder."""

    zone: str
    rules: tuple[WeeklyRule, ...] = RULES
    exceptions: list[DateException] = field(default_factory=list)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    interviews: list[tuple[datetime, int]] = field(default_factory=list)  # start, minutes

    def person(self, pk: int, now: datetime) -> Person:
        recent = sum(now - timedelta(days=28) <= start < now for start, _ in self.interviews)
        return Person(
            id=pk,
            time_zone=self.zone,
            rules=self.rules,
            exceptions=tuple(self.exceptions),
            interviews=tuple(Interval(s, s + timedelta(minutes=m)) for s, m in self.interviews),
            busy=tuple(Interval(s, e) for s, e in self.busy),
            daily_cap=3,
            weekly_cap=10,
            buffer_minutes=15,
            recent_interviews=recent,
        )


def working_moment(rng: random.Random, zone: ZoneInfo, day: date) -> datetime:
    local = datetime.combine(day, time(8)) + timedelta(minutes=15 * rng.randrange(0, 40))
    return local.replace(tzinfo=zone).astimezone(UTC)


def calendars(start: date, seed: int = 7) -> list[Calendar]:
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
    days = [start + timedelta(days=d) for d in range(-28, WEEKS * 7)]
    made = []
    for name in ZONES:
        zone = ZoneInfo(name)
        calendar = Calendar(zone=name)
        for day in days:
            if day.weekday() >= 5:
                continue
            for _ in range(3):  # ~15 busy blocks a week
                begin = working_moment(rng, zone, day)
                calendar.busy.append((begin, begin + timedelta(minutes=rng.choice([30, 30, 45, 60, 60, 90, 120]))))
            if rng.random() < 0.8:  # ~4 interviews a week
                calendar.interviews.append((working_moment(rng, zone, day), rng.choice([45, 60, 60, 90])))
        calendar.busy = [(s, e) for s, e in calendar.busy if s.date() >= start]  # blocks: only ahead
        ahead = [d for d in days if d >= start and d.weekday() < 5]
        off, blocked, extra = rng.sample(ahead, 3)
        calendar.exceptions = [
            DateException(date=off),
            DateException(date=blocked, start=time(13), end=time(17, 30), available=False),
            DateException(date=extra, start=time(18), end=time(20), available=True),
        ]
        made.append(calendar)
    return made


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def window_monday(now: datetime) -> date:
    """The Monday two weeks before the next European clock change at least three weeks ahead.

    So the four weeks always cross a DST change of Berlin and London (New York's falls one or two
    weeks apart from it), as a real search window often does.
    """
    year = now.year
    while True:
        for month in (3, 10):
            change = last_sunday(year, month)
            if change >= now.date() + timedelta(weeks=3):
                return change - timedelta(days=13)
        year += 1


def timed(label: str, run: Callable[[], object], repeat: int) -> tuple[str, float, float, object]:
    for _ in range(max(3, repeat // 20)):  # warm up
        result = run()
    samples = []
    for _ in range(repeat):
        began = clock.perf_counter()
        result = run()
        samples.append((clock.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return label, statistics.median(samples), p95, result


def report(rows: list[tuple[str, float, float, object]]) -> None:
    for label, median, p95, result in rows:
        size = f"{len(result)} slots" if isinstance(result, list) and result and hasattr(result[0], "start") else ""
        mark = "ok" if median < TARGET_MS else "MISSED"
        print(f"  {label:<58} median {median:7.2f} ms   p95 {p95:7.2f} ms   {size:<12} {mark}")


def pure_rows(cals: list[Calendar], window_start: datetime, now: datetime, repeat: int) -> list:
    people = [c.person(pk, now) for pk, c in enumerate(cals, start=1)]
    window_end = window_start + timedelta(weeks=WEEKS)

    def search(required: int, limit: int | None) -> Callable[[], object]:
        return lambda: find_slots(
            people=people,
            required=required,
            duration=timedelta(minutes=60),
            window_start=window_start,
            window_end=window_end,
            step=timedelta(minutes=30),
            now=now,
            min_notice=timedelta(hours=12),
            limit=limit,
        )

    rows = [timed(f"find_slots: {r} of 5, 60 min, step 30, all slots", search(r, None), repeat) for r in (1, 2, 3)]
    rows.append(timed("find_slots: 2 of 5, 60 min, step 30, limit 200", search(2, 200), repeat))
    probe = window_start + timedelta(days=2, hours=13)
    rows.append(
        timed(
            "free_people: one slot, 5 people",
            lambda: free_people(people=people, start=probe, end=probe + timedelta(hours=1)),
            repeat,
        )
    )
    return rows


def database_rows(cals: list[Calendar], window_start: datetime, repeat: int) -> list:
    with tempfile.TemporaryDirectory(prefix="talentsync-bench-") as folder:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="talentsync.settings",
            DEBUG="0",
            SECRET_KEY="bench-" + "k" * 50,
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL="http://127.0.0.1",
            DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3",
            VAR_DIR=f"{folder}/var",
            REDIS_URL="",
            CELERY_BROKER_URL="filesystem://",
            CACHE_KEY_PREFIX="talentsync-bench-slots",
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        from accounts.factories import MembershipFactory, OrganizationFactory, UserFactory
        from accounts.models import Organization, User
        from interviews.factories import InterviewFactory, ParticipantFactory
        from interviews.models import Interview
        from scheduling.models import AvailabilityException, AvailabilityRule, BusyBlock, InterviewerProfile
        from scheduling.selectors import slot_free_interviewers, slots_find

        call_command("migrate", verbosity=0, interactive=False)
        with transaction.atomic():
            org = cast(Organization, OrganizationFactory(name="Bench", slug="bench"))
            ids = []
            for n, cal in enumerate(cals):
                user = cast(User, UserFactory(email=f"slots-{n}@bench.test", password=None, time_zone=cal.zone))
                MembershipFactory(user=user, organization=org)
                InterviewerProfile.objects.create(organization=org, user=user)
                AvailabilityRule.objects.bulk_create(
                    AvailabilityRule(organization=org, user=user, weekday=r.weekday, start_time=r.start, end_time=r.end)
                    for r in cal.rules
                )
                AvailabilityException.objects.bulk_create(
                    AvailabilityException(
                        organization=org,
                        user=user,
                        date=e.date,
                        start_time=e.start,
                        end_time=e.end,
                        available=e.available,
                    )
                    for e in cal.exceptions
                )
                BusyBlock.objects.bulk_create(
                    BusyBlock(organization=org, user=user, starts_at=s, ends_at=e) for s, e in cal.busy
                )
                for start, minutes in cal.interviews:
                    past = start < datetime.now(UTC)
                    interview = InterviewFactory(
                        organization=org,
                        scheduled_at=start,
                        duration_minutes=minutes,
                        status=Interview.Status.COMPLETED if past else Interview.Status.SCHEDULED,
                    )
                    ParticipantFactory(interview=interview, user=user)
                ids.append(user.pk)
        window_end = window_start + timedelta(weeks=WEEKS)

        def search(required: int) -> Callable[[], object]:
            return lambda: slots_find(
                organization=org,
                user_ids=ids,
                required=required,
                duration_minutes=60,
                window_start=window_start,
                window_end=window_end,
                limit=10_000,
            )

        rows = [timed(f"slots_find (SQLite, 7 queries): {r} of 5, all slots", search(r), repeat) for r in (1, 2, 3)]
        rows.append(
            timed(
                "slots_find (SQLite): 2 of 5, limit 200 (the default)",
                lambda: slots_find(
                    organization=org,
                    user_ids=ids,
                    required=2,
                    duration_minutes=60,
                    window_start=window_start,
                    window_end=window_end,
                ),
                repeat,
            )
        )
        probe = window_start + timedelta(days=2, hours=13)
        rows.append(
            timed(
                "slot_free_interviewers (SQLite): one slot, 5 people",
                lambda: slot_free_interviewers(
                    organization=org, user_ids=ids, start=probe, end=probe + timedelta(hours=1)
                ),
                repeat,
            )
        )
        counts = {
            "busy blocks": BusyBlock.objects.count(),
            "interviews": Interview.objects.count(),
            "rules": AvailabilityRule.objects.count(),
            "exceptions": AvailabilityException.objects.count(),
        }
        connection.close()
    print("  database rows: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed runs per row (default 200)")
    parser.add_argument("--no-db", action="store_true", help="time the pure finder only")
    args = parser.parse_args()

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    first = window_monday(now)
    window_start = datetime.combine(first, time(), tzinfo=UTC)
    cals = calendars(first)
    ahead = [
        (len([b for b in c.busy if b[0] >= window_start]), len([i for i in c.interviews if i[0] >= window_start]))
        for c in cals
    ]
    print(
        f"slot finder: 5 interviewers ({', '.join(ZONES)}), {WEEKS} weeks from {first} (UTC, across a DST change),"
        f" 60-minute slots every 30 minutes, 12 h notice; target median < {TARGET_MS:.0f} ms"
    )
    print(
        "  per person over the window: "
        + ", ".join(f"{b} busy blocks + {i} interviews" for b, i in ahead)
        + "; 2 rules a weekday, 3 exceptions, up to 28 days of history"
    )
    print(f"  Python {sys.version.split()[0]}, {args.repeat} timed runs a row")
    rows = pure_rows(cals, window_start, now, args.repeat)
    report(rows)
    checked = [rows[1]]
    if not args.no_db:
        db_rows = database_rows(cals, window_start, max(20, args.repeat // 2))
        report(db_rows)
        checked.append(db_rows[1])
    missed = [label for label, median, _p95, _ in checked if median >= TARGET_MS]
    if missed:
        print("target missed by: " + "; ".join(missed))
        return 1
    print(f"target met: median under {TARGET_MS:.0f} ms for 2 of 5 over {WEEKS} weeks, with and without the database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
