"""External busy calendars: an ICS served by a real local HTTP server, imported as BusyBlocks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from scheduling.calendar.ics_import import MAX_ICS_BYTES, external_calendar_refresh
from scheduling.calendar.tasks import external_calendars_refresh_task
from scheduling.factories import BusyBlockFactory, InterviewerProfileFactory
from scheduling.models import BusyBlock, InterviewerProfile

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _local_servers_allowed(settings) -> None:
    """The servers of these tests listen on 127.0.0.1, which production settings refuse."""
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True


def _ics_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sample_calendar() -> tuple[bytes, dict[str, object]]:
    """A calendar relative to now: weekly meeting, all-day event, a free one, a cancelled one, a New York one."""
    now = timezone.now()
    weekly = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    all_day = (now.astimezone(BERLIN) + timedelta(days=3)).date()
    ny_day = (now.astimezone(NEW_YORK) + timedelta(days=2)).date()
    ny_start = datetime.combine(ny_day, time(9, 0), tzinfo=NEW_YORK)
    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Test//Busy//EN",
            "BEGIN:VEVENT",
            "UID:weekly@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{_ics_stamp(weekly)}",
            f"DTEND:{_ics_stamp(weekly + timedelta(minutes=30))}",
            "RRULE:FREQ=WEEKLY",
            "SUMMARY:Team sync (PRIVATE-TITLE)",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:allday@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;VALUE=DATE:{all_day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{all_day + timedelta(days=1):%Y%m%d}",
            "SUMMARY:Holiday",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:free@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{_ics_stamp(now + timedelta(days=4))}",
            f"DTEND:{_ics_stamp(now + timedelta(days=4, hours=1))}",
            "TRANSP:TRANSPARENT",
            "SUMMARY:Shown as free",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:cancelled@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{_ics_stamp(now + timedelta(days=5))}",
            f"DTEND:{_ics_stamp(now + timedelta(days=5, hours=1))}",
            "STATUS:CANCELLED",
            "SUMMARY:Called off",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:newyork@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=America/New_York:{ny_start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=America/New_York:{ny_start + timedelta(hours=1):%Y%m%dT%H%M%S}",
            "SUMMARY:Dentist",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    return text.encode(), {"weekly": weekly, "all_day": all_day, "ny_start": ny_start}


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {}

    def do_GET(self) -> None:
        status, content_type, body = self.routes.get(self.path, (404, "text/plain", b"missing"))
        if status == 302:
            self.send_response(302)
            self.send_header("Location", body.decode())
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ics_server() -> Iterator[tuple[str, dict[str, tuple[int, str, bytes]], dict[str, object]]]:
    data, facts = sample_calendar()
    routes: dict[str, tuple[int, str, bytes]] = {
        "/cal.ics": (200, "text/calendar", data),
        "/moved.ics": (302, "", b"/cal.ics"),
        "/broken.ics": (500, "text/plain", b"oops"),
        "/page.html": (200, "text/html", b"<!doctype html><html><body>Log in</body></html>"),
        "/huge.ics": (200, "text/calendar", b"BEGIN:VCALENDAR\r\n" + b"X" * (MAX_ICS_BYTES + 10)),
    }
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes, facts
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def profile(acme) -> InterviewerProfile:
    user = acme.users["interviewer"]
    user.time_zone = "Europe/Berlin"
    user.save()
    return InterviewerProfileFactory(organization=acme.org, user=user)


def blocks(profile: InterviewerProfile) -> list[BusyBlock]:
    return list(BusyBlock.objects.filter(user=profile.user, organization=profile.organization, source="ics"))


def refresh_from(profile: InterviewerProfile, url: str) -> int:
    InterviewerProfile.objects.filter(pk=profile.pk).update(ics_url=url)
    return external_calendar_refresh(profile_id=profile.pk)


def test_weekly_meeting_is_expanded_over_eight_weeks(profile, ics_server):
    # given
    base, _routes, facts = ics_server
    # when
    refresh_from(profile, f"{base}/cal.ics")
    # then
    weekly = sorted(b.starts_at for b in blocks(profile) if b.external_uid == "weekly@test")
    first = facts["weekly"]
    assert weekly == [first + timedelta(weeks=n) for n in range(8)]  # type: ignore[operator]


def test_all_day_event_blocks_the_whole_local_day(profile, ics_server):
    # given
    base, _routes, facts = ics_server
    day = facts["all_day"]
    # when
    refresh_from(profile, f"{base}/cal.ics")
    # then
    (block,) = [b for b in blocks(profile) if b.external_uid == "allday@test"]
    assert block.starts_at == datetime.combine(day, time(0), tzinfo=BERLIN)  # type: ignore[call-overload]
    assert block.ends_at == datetime.combine(day + timedelta(days=1), time(0), tzinfo=BERLIN)  # type: ignore[operator]


def test_event_in_another_zone_lands_at_the_right_instant(profile, ics_server):
    # given
    base, _routes, facts = ics_server
    # when
    refresh_from(profile, f"{base}/cal.ics")
    # then
    (block,) = [b for b in blocks(profile) if b.external_uid == "newyork@test"]
    assert block.starts_at == facts["ny_start"]
    assert block.ends_at - block.starts_at == timedelta(hours=1)


def test_free_and_cancelled_events_do_not_block(profile, ics_server):
    # given
    base, _routes, _facts = ics_server
    # when
    stored = refresh_from(profile, f"{base}/cal.ics")
    # then
    uids = {b.external_uid for b in blocks(profile)}
    assert uids == {"weekly@test", "allday@test", "newyork@test"}
    assert stored == len(blocks(profile)) == 8 + 1 + 1


def test_titles_are_not_kept_and_the_fetch_is_recorded(profile, ics_server):
    # given
    base, _routes, _facts = ics_server
    # when
    refresh_from(profile, f"{base}/cal.ics")
    # then
    assert {b.title for b in blocks(profile)} == {""}
    profile.refresh_from_db()
    assert profile.ics_fetched_at is not None
    assert profile.ics_error == ""


def test_a_refresh_replaces_imported_blocks_but_not_manual_ones(profile, ics_server):
    # given
    base, _routes, _facts = ics_server
    manual = BusyBlockFactory(organization=profile.organization, user=profile.user, source="manual")
    refresh_from(profile, f"{base}/cal.ics")
    # when
    refresh_from(profile, f"{base}/cal.ics")
    # then
    assert len(blocks(profile)) == 10
    assert BusyBlock.objects.filter(pk=manual.pk).exists()


def test_redirects_are_followed(profile, ics_server):
    # given
    base, _routes, _facts = ics_server
    # when
    stored = refresh_from(profile, f"{base}/moved.ics")
    # then
    assert stored == 10


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/broken.ics", "HTTP 500"),
        ("/page.html", "iCalendar"),
        ("/huge.ics", "larger than 2 MiB"),
        ("/nothing-here.ics", "HTTP 404"),
    ],
)
def test_a_failed_refresh_keeps_the_old_blocks_and_says_why(profile, ics_server, path, message):
    # given
    base, _routes, _facts = ics_server
    refresh_from(profile, f"{base}/cal.ics")
    before = sorted(b.pk for b in blocks(profile))
    # when
    stored = refresh_from(profile, f"{base}{path}")
    # then
    profile.refresh_from_db()
    assert stored == 0
    assert message in profile.ics_error
    assert sorted(b.pk for b in blocks(profile)) == before


def test_an_unreachable_server_is_reported(profile):
    # given: nothing listens on port 9 of 127.0.0.1
    # when
    refresh_from(profile, "http://127.0.0.1:9/cal.ics")
    # then
    profile.refresh_from_db()
    assert "could not be reached" in profile.ics_error


def test_private_addresses_are_refused_outside_development(profile, ics_server):
    # given
    base, _routes, _facts = ics_server
    # when
    with override_settings(CALENDAR_FETCH_ALLOW_PRIVATE=False):
        refresh_from(profile, f"{base}/cal.ics")
    # then
    profile.refresh_from_db()
    assert "private network" in profile.ics_error
    assert blocks(profile) == []


def test_beat_task_refreshes_every_profile_with_an_address(acme, profile, ics_server):
    # given
    base, _routes, _facts = ics_server
    InterviewerProfile.objects.filter(pk=profile.pk).update(ics_url=f"{base}/cal.ics")
    other = InterviewerProfileFactory(organization=acme.org, user=acme.users["admin"])  # no address
    # when (tasks run eagerly in the test settings)
    queued = external_calendars_refresh_task.delay().get()
    # then
    assert queued == 1
    assert len(blocks(profile)) == 10
    assert not BusyBlock.objects.filter(user=other.user).exists()
