"""The replay page in headless Chromium, with real (synthesized, encrypted, streamed) recordings.

Seeking shows the code and the transcript of that instant and the whiteboard as it was; a click
on a transcript line puts each video at its own offset of that instant; the search filters the
transcript; playing moves the clock and the videos together. Screenshots go to
test-artifacts/replay/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.factories import PASSWORD
from accounts.models import User
from tests.browser import launch_chromium
from tests.browser import log_in as browser_log_in
from tests.conftest import Tenant
from tests.test_replay_fixtures import LINES, TYPING, Scene, build_scene

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "replay"
SLIDER = "#replay-slider"
CODE = "#replay-code"
#: the candidate's recording starts this long after the interviewer's: each video has its own offset
CANDIDATE_FROM_MS = 1500


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    assert (ROOT / "static" / "dist" / "replay.js").exists(), "build the front end first: npm run build"
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.fixture
def recorded(acme: Tenant, settings, tmp_path: Path) -> Scene:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    return build_scene(acme, with_files=True, seconds=30, candidate_from_ms=CANDIDATE_FROM_MS)


def log_in(browser: Browser, base_url: str, user: User, problems: list[str], *, dark: bool = False) -> Page:
    return browser_log_in(browser, base_url, user, problems, dark=dark, viewport=(1400, 1000))


def code_at(ms: int) -> str:
    return "".join(text for when, _who, text in TYPING if when <= ms)


def video_time(page: Page, recording_id: int) -> float:
    return page.evaluate("(id) => document.getElementById(`replay-video-${id}`).currentTime", recording_id)


def seek(page: Page, ms: int) -> None:
    page.locator(SLIDER).fill(str(ms))
    expect(page.locator("#replay")).to_have_attribute("data-now", str(ms))


def current_segments(page: Page) -> list[str]:
    return page.locator('#replay-transcript li[aria-current="true"] .replay-segment-text').all_text_contents()


def test_seeking_shows_the_code_transcript_and_whiteboard_of_that_instant(
    live_server, recorded: Scene, browser: Browser
) -> None:
    problems: list[str] = []
    # given the interviewer opens the replay from the interview's page
    page = log_in(browser, live_server.url, recorded.interviewer, problems)
    page.goto(f"{live_server.url}/interviews/{recorded.interview.pk}/")
    page.get_by_role("link", name="Replay the interview").click()
    expect(page.locator("h1")).to_have_text("Replay")
    expect(page.locator("#replay")).to_have_attribute("data-state", "ready")
    # the videos are loaded through their signed URLs
    for recording in recorded.recordings:
        page.wait_for_function(
            "(id) => document.getElementById(`replay-video-${id}`).readyState >= 1", arg=recording.pk
        )
    screenshot(page, "01-start")

    # when they seek to 7 s: the candidate speaks (their line 6.0 s into a recording 1.5 s late)
    seek(page, 7600)
    # then the code is what was typed by then, and that line is the current one
    assert page.locator(CODE).text_content() == code_at(7600)
    assert current_segments(page) == ["I will walk the list with two pointers."]
    expect(page.locator("#replay-whiteboard-status")).to_have_text("The whiteboard is empty at this moment.")
    screenshot(page, "02-at-7s")

    # when they seek on to 21 s, past the first run and both whiteboard shapes
    seek(page, 21_000)
    # then
    assert page.locator(CODE).text_content() == code_at(21_000)
    assert current_segments(page) == ["It is linear time with a hash map free approach."]
    expect(page.locator("#replay-whiteboard")).to_have_attribute("data-shapes", "2")
    expect(page.locator("#replay-whiteboard svg")).to_have_count(1)
    expect(page.locator("#replay-run-summary")).to_contain_text("Code run at 0:13: OK")
    expect(page.locator("#replay-run-output")).to_have_text("first-run-output\n")
    # what happened later is marked as such in the lists
    expect(page.locator('#replay-runs li[data-future="true"]')).to_have_count(1)
    screenshot(page, "03-at-21s")

    # and going back rebuilds the earlier state
    seek(page, 16_000)
    assert page.locator(CODE).text_content() == code_at(16_000)
    expect(page.locator("#replay-whiteboard")).to_have_attribute("data-shapes", "1")

    # when they click the interviewer's second line in the transcript
    interviewer, candidate = recorded.recordings
    line = LINES["interviewer"][1]
    page.locator("#replay-transcript li", has_text=line[2]).get_by_role("button").click()
    # then the timeline is at its start, and each video at its own offset of that instant
    expect(page.locator("#replay")).to_have_attribute("data-now", str(line[0]))
    assert int(page.locator(SLIDER).input_value()) == line[0]
    assert video_time(page, interviewer.pk) == pytest.approx(line[0] / 1000, abs=0.05)
    assert video_time(page, candidate.pk) == pytest.approx((line[0] - CANDIDATE_FROM_MS) / 1000, abs=0.05)
    assert current_segments(page) == [line[2]]
    # and a candidate's line: its video at the line's own start
    start_ms, _end, text = LINES["candidate"][1]
    page.locator("#replay-transcript li", has_text=text).get_by_role("button").click()
    assert video_time(page, candidate.pk) == pytest.approx(start_ms / 1000, abs=0.05)
    assert video_time(page, interviewer.pk) == pytest.approx((start_ms + CANDIDATE_FROM_MS) / 1000, abs=0.05)
    assert page.locator(CODE).text_content() == code_at(start_ms + CANDIDATE_FROM_MS)
    screenshot(page, "04-transcript-click")

    # when they search the transcript
    search = page.get_by_label("Search the transcript")
    search.fill("POINTERS")
    # then only the matching line stays, the match marked
    visible = page.locator("#replay-transcript li:not([hidden])")
    expect(visible).to_have_count(1)
    expect(visible.locator("mark")).to_have_text("pointers")
    expect(page.locator("#replay-search-status")).to_have_text("1 of 4 segments match")
    screenshot(page, "05-search")
    search.fill("")
    expect(visible).to_have_count(4)

    # when they jump to an AI citation from the summary
    page.get_by_role("button", name="AI citation at 0:07: Grace Hopper: two pointers").first.click()
    expect(page.locator("#replay")).to_have_attribute("data-now", str(LINES["candidate"][0][0] + CANDIDATE_FROM_MS))

    # when they show one recording at a time
    page.get_by_text("One at a time").click()
    expect(page.locator("#replay-videos figure:visible")).to_have_count(1)
    page.get_by_label("Recording shown").select_option(str(candidate.pk))
    expect(page.locator(f'#replay-videos figure[data-recording="{candidate.pk}"]')).to_be_visible()
    expect(page.locator(f'#replay-videos figure[data-recording="{interviewer.pk}"]')).to_be_hidden()
    page.get_by_text("Side by side").click()
    expect(page.locator("#replay-videos figure:visible")).to_have_count(2)

    # when they play from 2 s
    seek(page, 2000)
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_have_attribute("data-playing", "true")
    page.wait_for_function("() => Number(document.getElementById('replay').dataset.now) > 3500")
    # then the videos play along with the clock
    playing = page.evaluate("(id) => !document.getElementById(`replay-video-${id}`).paused", interviewer.pk)
    assert playing
    screenshot(page, "06-playing")
    page.get_by_role("button", name="Pause").click()
    now = int(page.locator("#replay").get_attribute("data-now") or 0)
    assert now > 3500
    assert video_time(page, interviewer.pk) == pytest.approx(now / 1000, abs=0.5)
    assert page.evaluate("(id) => document.getElementById(`replay-video-${id}`).paused", interviewer.pk)

    # and the keyboard moves the slider by seconds
    page.locator(SLIDER).focus()
    page.keyboard.press("Home")
    page.keyboard.press("PageUp")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#replay")).to_have_attribute("data-now", "11000")

    assert problems == []


def test_the_replay_in_dark_mode_and_on_a_narrow_screen(live_server, recorded: Scene, browser: Browser) -> None:
    # given
    problems: list[str] = []
    page = log_in(browser, live_server.url, recorded.interviewer, problems, dark=True)
    # when
    page.goto(f"{live_server.url}/interviews/{recorded.interview.pk}/replay/")
    expect(page.locator("#replay")).to_have_attribute("data-state", "ready")
    seek(page, 21_000)
    expect(page.locator("#replay-whiteboard")).to_have_attribute("data-shapes", "2")
    # then
    assert page.locator(CODE).text_content() == code_at(21_000)
    screenshot(page, "07-dark")
    page.set_viewport_size({"width": 420, "height": 900})
    screenshot(page, "08-narrow")
    assert problems == []


def test_without_javascript_the_page_still_shows_the_recordings_and_lists(
    live_server, recorded: Scene, browser: Browser
) -> None:
    # given a browser with script switched off
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", recorded.interviewer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    # when
    page.goto(f"{live_server.url}/interviews/{recorded.interview.pk}/replay/?q=complexity")
    # then the videos have their own controls, the transcript is searched by the server
    assert page.locator("video[controls]").count() == 2
    expect(page.locator("#replay-transcript li:not([hidden])")).to_have_count(1)
    expect(page.locator(CODE)).to_have_text(code_at(10**9))
    screenshot(page, "09-no-script")
