"""The funnel dashboard in headless Chromium: charts drawn from the page's data under the CSP,
each with its own table of exactly its figures (and the table behind it), filters that report
their errors, drill-down into the admin.
Screenshots go to test-artifacts/browser/ (and the funnel's to /tmp/r1-funnel.png)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.models import User
from tests.browser import launch_chromium, screenshot
from tests.browser import log_in as browser_log_in
from tests.conftest import Tenant
from tests.test_reporting_dashboards import many_positions
from tests.test_reporting_funnel import PERIOD, Story, build_story

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
MARCH = f"start={PERIOD['start'].isoformat()}&end={PERIOD['end'].isoformat()}"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    assert (ROOT / "static" / "dist" / "reports.js").exists(), "build the front end first: npm run build"
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.fixture
def story(acme: Tenant) -> Story:
    return build_story(acme)


def log_in(browser: Browser, base_url: str, user: User, problems: list[str], *, dark: bool = False) -> Page:
    return browser_log_in(browser, base_url, user, problems, dark=dark, viewport=(1300, 900))


def test_the_funnel_draws_its_charts_with_tables_beside_them(
    live_server, acme: Tenant, story: Story, browser: Browser
) -> None:
    problems: list[str] = []
    # given a recruiter signed in
    page = log_in(browser, live_server.url, acme.users["recruiter"], problems)
    # when they open the March funnel
    page.goto(f"{live_server.url}/reports/funnel/?{MARCH}")
    # then every chart is drawn on a canvas that has pixels
    expect(page.locator("html")).to_have_attribute("data-report-charts", "ready")
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(6)
    for index in range(6):
        expect(canvases.nth(index)).to_have_attribute("data-drawn", "true")
        box = canvases.nth(index).bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert box["height"] > 100
    # and each chart has its own table of exactly its figures: a row per label, a column per series
    charts = page.evaluate("JSON.parse(document.getElementById('report-charts').textContent)")
    assert len(charts) == 6
    for chart in charts:
        own = page.locator(f"table[data-chart-table='{chart['key']}']")
        expect(own.locator("tbody tr")).to_have_count(len(chart["labels"]))
        expect(own.locator("thead th")).to_have_count(1 + len(chart["series"]))
    # folded under its chart until asked for, then a real table with its caption
    expect(page.get_by_role("table", name="The funnel: candidates who reached each step")).to_have_count(0)
    page.locator("#chart-data-per_stage summary").click()
    funnel = page.get_by_role("table", name="The funnel: candidates who reached each step")
    expect(funnel).to_be_visible()
    expect(funnel.locator("tbody tr").last).to_contain_text("Hired")
    # and the data behind the charts is in the stage table
    table = page.get_by_role("table", name="Candidates per stage")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_contain_text("Screen")
    expect(table.locator("tbody tr").first.locator("td").nth(1)).to_have_text("7")  # reached
    expect(page.locator(".ts-reports__figures")).to_contain_text("Candidates")
    # and the back office's frame is there
    expect(page.locator("#site-name")).to_contain_text("TalentSync")
    path = screenshot(page, "reports-funnel")
    shutil.copy(path, "/tmp/r1-funnel.png")  # noqa: S108 - where the reviewer looks
    assert problems == []


def test_a_figure_opens_the_list_behind_it(live_server, acme: Tenant, story: Story, browser: Browser) -> None:
    problems: list[str] = []
    page = log_in(browser, live_server.url, acme.users["recruiter"], problems)
    page.goto(f"{live_server.url}/reports/funnel/?{MARCH}")
    # when they click "rejected here" at Screen
    row = page.get_by_role("table", name="Candidates per stage").locator("tbody tr").first
    row.locator("td").nth(4).get_by_role("link").click()
    # then the admin's candidate list shows just Cat
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Cat")
    assert problems == []


def test_bad_dates_are_reported_in_the_form(live_server, acme: Tenant, story: Story, browser: Browser) -> None:
    problems: list[str] = []
    page = log_in(browser, live_server.url, acme.users["recruiter"], problems)
    page.goto(f"{live_server.url}/reports/funnel/")
    # when they pick an end before the start
    page.get_by_label("From", exact=True).fill("2025-03-10")
    page.get_by_label("To", exact=True).fill("2025-03-01")
    page.get_by_role("button", name="Show report").click()
    # then the form says so and no chart is drawn
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".errorlist")).to_contain_text("The end of the period must be on or after its start.")
    expect(page.locator("canvas[data-chart]")).to_have_count(0)
    screenshot(page, "reports-funnel-bad-dates")
    assert problems == []


def test_a_wide_table_scrolls_in_its_box_not_the_page(
    live_server, acme: Tenant, story: Story, browser: Browser
) -> None:
    problems: list[str] = []
    page = log_in(browser, live_server.url, acme.users["recruiter"], problems)
    # given a window too narrow for the stages table (its Hired row ends in empty cells)
    page.set_viewport_size({"width": 1000, "height": 900})
    # when
    page.goto(f"{live_server.url}/reports/funnel/?{MARCH}")
    expect(page.locator("html")).to_have_attribute("data-report-charts", "ready")
    box = page.locator("#table-stages")
    # then the table scrolls inside its box, and the page itself is no wider than the window
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    screenshot(page, "reports-funnel-narrow")
    assert problems == []


def test_a_long_table_pages_and_shows_all_on_request(live_server, acme: Tenant, browser: Browser) -> None:
    problems: list[str] = []
    # given 55 positions with a candidate each: a positions table of 55 rows
    many_positions(acme, 55)
    page = log_in(browser, live_server.url, acme.users["recruiter"], problems)
    page.goto(f"{live_server.url}/reports/funnel/?{MARCH}")
    rows = page.locator("#table-positions tbody tr")
    expect(rows).to_have_count(50)
    # when they go to page 2
    page.get_by_role("navigation", name="Pages of the table By position").get_by_role("link", name="2").click()
    # then the last 5 rows, the filters kept, and the page is back at the table
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Role 050")
    assert "start=2025-03-01" in page.url
    assert page.url.endswith("#table-positions")
    screenshot(page, "reports-funnel-page-2")
    # and "Show all" lists every row, while the chart still has its own bars
    page.get_by_role("link", name="Show all 55 rows").click()
    expect(rows).to_have_count(55)
    expect(page.locator("table[data-chart-table='positions'] tbody tr")).to_have_count(55)
    assert problems == []
