"""Self-scheduling in a real browser, from two time zones: the page detects each one's zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from playwright.sync_api import Browser, expect, sync_playwright

from interviews.models import Interview
from scheduling.models import SchedulingLink
from tests.browser import launch_chromium, screenshot
from tests.conftest import Tenant
from tests.test_booking import another_candidate, open_link, scene_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop marked as running on this thread, which makes
    # Django refuse ORM calls from the test body; the test is synchronous, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.mark.parametrize(
    ("browser_zone", "also_known_as"),
    [("America/New_York", "America/New_York"), ("Asia/Kolkata", "Asia/Calcutta")],
)
def test_a_candidate_sees_slots_in_their_own_zone_and_books_one(
    live_server, acme: Tenant, browser: Browser, browser_zone: str, also_known_as: str
) -> None:
    # given a link to a Berlin interviewer's day (another candidate's link shares the interviewer)
    scene = scene_for(acme)
    _other, _other_token = open_link(scene, candidate=another_candidate(scene))
    link, token = open_link(scene)
    page = browser.new_context(timezone_id=browser_zone, viewport={"width": 1100, "height": 900}).new_page()
    slug = browser_zone.split("/")[1].lower()

    # when the candidate opens the link from the e-mail (no zone in it)
    page.goto(f"{live_server.url}/schedule/{token}/")
    # then the page puts the browser's zone in the URL and shows the times in it
    page.wait_for_url("**/schedule/*/?tz=*")
    zone = parse_qs(urlparse(page.url).query)["tz"][0]
    assert zone in (browser_zone, also_known_as)
    expect(page.locator("#zone-note")).to_contain_text(zone)
    expect(page.locator("#zone-select")).to_have_value(zone)
    first = page.locator("button.slot").first
    start = datetime.fromisoformat(first.get_attribute("data-start").replace("Z", "+00:00"))  # type: ignore[union-attr]
    expected = start.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    assert first.inner_text() == expected
    assert expected == start.astimezone(ZoneInfo(browser_zone)).strftime("%H:%M")
    screenshot(page, f"self-schedule-{slug}-01-slots")

    # when they pick the third time of the first day
    chosen = page.locator("button.slot").nth(2)
    chosen_start = chosen.get_attribute("data-start")
    label = chosen.inner_text()
    with page.expect_navigation():
        chosen.click()

    # then they see the booking, at that time, in their zone, with ways to move or cancel it
    expect(page.locator("#booking-title")).to_have_text("You are booked")
    expect(page.locator("#booking-time")).to_contain_text(label)
    expect(page.locator("#booking-time")).to_contain_text(zone)
    expect(page.get_by_role("link", name="Pick another time")).to_be_visible()
    screenshot(page, f"self-schedule-{slug}-02-booked")
    link.refresh_from_db()
    assert link.status == SchedulingLink.Status.BOOKED
    assert link.candidate_time_zone == zone
    interview = Interview.objects.get(pk=link.interview_id)
    assert interview.scheduled_at.isoformat().replace("+00:00", "Z") == chosen_start
