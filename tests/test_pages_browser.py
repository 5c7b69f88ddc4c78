"""The interviewer and candidate pages in a real browser: a keyboard-only scorecard, light and dark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.factories import PASSWORD
from accounts.models import User
from interviews.models import Scorecard
from tests.browser import launch_chromium
from tests.test_pages_fixtures import SECRETS, Scene, scene

__all__ = ["scene"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "pages"


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop marked as running on this thread, which makes
    # Django refuse ORM calls from the test body; the test is synchronous, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop runs use their own connection; close it so the
        # test database can be dropped.
        connections.close_all()


def log_in(browser: Browser, base_url: str, user: User, *, color_scheme: str = "light") -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme).new_page()  # type: ignore[arg-type]
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/dashboard/")
    return page


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus after {limit} tabs")


def test_interviewer_fills_and_submits_the_scorecard_with_the_keyboard_only(
    live_server, scene: Scene, browser: Browser
) -> None:
    # given the interviewer, logged in, on their dashboard
    page = log_in(browser, live_server.url, scene.interviewer)
    screenshot(page, "01-interviewer-dashboard")
    # when they open the interview from the list (by keyboard)
    tab_to(page, f"a[href$='/interviews/{scene.interview.pk}/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Interview with Grace Hopper")
    # and open the first hint
    tab_to(page, "details.reveal > summary")
    page.keyboard.press("Enter")
    expect(page.locator("details.reveal").first).to_have_attribute("open", "")
    screenshot(page, "02-interview-page")

    # and submit too early, getting the errors next to the fields
    tab_to(page, "button[value=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("fieldset.has-error")).to_have_count(3)
    expect(page.locator("#id_recommendation_error")).to_have_text("Give an overall recommendation before submitting.")
    screenshot(page, "03-scorecard-errors")
    assert not Scorecard.objects.exists()

    # and rate each criterion with Space and the arrow keys
    tab_to(page, "input[name=rating_0]")
    page.keyboard.press("Space")  # 1
    page.keyboard.press("ArrowRight")  # 2
    page.keyboard.press("ArrowRight")  # 3
    screenshot(page, "04-focus-on-a-rating")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 4
    page.keyboard.press("Tab")  # the recommendation
    page.keyboard.press("Space")  # strong no
    page.keyboard.press("ArrowRight")  # no
    page.keyboard.press("ArrowRight")  # yes
    page.keyboard.press("Tab")
    page.keyboard.type("Explained trade-offs clearly.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "draft"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "submit"
    screenshot(page, "05-scorecard-filled")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # then the scorecard is final and shown read-only
    expect(page.locator(".messages")).to_contain_text("Scorecard submitted")
    expect(page.locator("form.scorecard-form")).to_have_count(0)
    expect(page.locator("#scorecard-title + p")).to_contain_text("A submitted scorecard can no longer change.")
    screenshot(page, "06-scorecard-submitted")
    card = Scorecard.objects.get(interview=scene.interview, author=scene.interviewer)
    assert card.ratings == {"Problem solving": 3, "Communication": 4}
    assert card.recommendation == "yes"
    assert card.comments == "Explained trade-offs clearly."
    assert card.submitted_at is not None

    # and the same page reads well in dark mode
    dark = log_in(browser, live_server.url, scene.interviewer, color_scheme="dark")
    dark.goto(f"{live_server.url}/interviews/{scene.interview.pk}/")
    screenshot(dark, "07-interview-page-dark")


def test_candidate_sees_their_interview_and_joins_without_the_token(
    live_server, scene: Scene, browser: Browser
) -> None:
    # given
    User.objects.filter(pk=scene.candidate_user.pk).update(time_zone="Asia/Kolkata")
    page = log_in(browser, live_server.url, scene.candidate_user)
    # then
    expect(page.locator("#next-title")).to_have_text("Your interviews")
    expect(page.locator(".interview-card time")).to_contain_text("14:30")
    screenshot(page, "08-candidate-dashboard")
    # when
    with page.expect_navigation():
        page.get_by_role("link", name=f"Join {scene.interview.stage.name}").click()
    # then
    expect(page.locator("h1")).to_have_text("Interview with Acme")
    screenshot(page, "09-candidate-lobby")
    for secret in SECRETS:
        assert secret not in page.content()
    dark = log_in(browser, live_server.url, scene.candidate_user, color_scheme="dark")
    screenshot(dark, "10-candidate-dashboard-dark")
