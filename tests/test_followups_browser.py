"""The follow-ups panel (static/src/room/followups.js) in Chromium against the real endpoint.

The panel is not wired into the room page by this module: the test renders the template partial
into a page of the live server and loads the module's source there, so what runs is the shipped
file talking to the shipped view.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from django.template.loader import render_to_string
from playwright.sync_api import Browser, Page, expect, sync_playwright

from interviews.models import Interview
from tests.browser import launch_chromium
from tests.conftest import Tenant
from tests.test_insights_fixtures import FOLLOW_UPS, Scene, make_scene

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MODULE = Path(__file__).resolve().parent.parent / "static" / "src" / "room" / "followups.js"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running on this thread; the test body is
    # synchronous, so let it use the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        connections.close_all()


def panel_page(browser: Browser, base_url: str, scene: Scene, token: str) -> Page:
    # The page's own CSP forbids inline scripts; the test injects the module, so it bypasses it.
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(f"{base_url}/rooms/{scene.interview.room_id}/followups/")  # any page of the server's origin
    partial = render_to_string("recordings/_followups.html", {"interview": scene.interview, "may_lead": True})
    page.set_content(f"<!doctype html><html lang='en'><body>{partial}</body></html>")
    source = MODULE.read_text()
    page.add_script_tag(content=f"{source}\nwindow.FollowUpPanel = FollowUpPanel;", type="module")
    page.wait_for_function("() => typeof window.FollowUpPanel === 'function'")
    page.evaluate(
        """([token, questionId]) => {
            const root = document.querySelector('#followups-panel');
            window.panel = new window.FollowUpPanel(root, { url: root.dataset.followupsUrl, token });
            window.panel.show(questionId);
        }""",
        [token, scene.question.pk],
    )
    return page


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    scene = make_scene(acme, status=Interview.Status.LIVE)
    scene.chat(scene.candidate, 5, "A hash map makes each lookup constant")
    return scene


def test_the_interviewer_sees_the_suggestions_and_the_coverage(live_server, scene: Scene, browser: Browser) -> None:
    # when
    page = panel_page(browser, live_server.url, scene, f"lead-{scene.interview.room_id.hex}")

    # then
    items = page.locator("[data-followups-list] li")
    expect(items).to_have_text(
        [
            FOLLOW_UPS[0],
            "Not covered yet: Linear overall complexity",
            "Not covered yet: Handle duplicate values",
            FOLLOW_UPS[1],
        ]
    )
    expect(page.locator("[data-followups-coverage]")).to_have_text("1 of 3 guide points covered so far")
    expect(page.locator("#followups-panel")).to_be_visible()


def test_a_candidates_token_gets_nothing_to_show(live_server, scene: Scene, browser: Browser) -> None:
    # when
    page = panel_page(browser, live_server.url, scene, f"candidate-{scene.interview.room_id.hex}")

    # then
    expect(page.locator("[data-followups-status]")).to_have_text("The suggestions could not be loaded. Try Refresh.")
    expect(page.locator("[data-followups-list] li")).to_have_count(0)
