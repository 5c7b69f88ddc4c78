"""Code playback in headless Chromium: the rebuilt text at recorded instants, colours, marks, controls.

The page is served by Django's live server; the expected text at each instant comes from the
server's own reconstruction (``document_text_at``, across snapshots), so the browser's replay
and the server's agree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.services import documents
from tests.browser import launch_chromium, log_in
from tests.test_playback_fixtures import IDLE_SECONDS, PASTE, START, Session, record_session, session, store

__all__ = ["session"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "playback"
SLIDER = "#playback-slider"
CODE = "#playback-text"


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running on this thread; the test body is
    # synchronous, so let it use the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    assert (ROOT / "static" / "dist" / "playback.js").exists(), "build the front end first: npm run build"
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        connections.close_all()


def clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def slider_value(page: Page) -> int:
    return int(page.locator(SLIDER).input_value())


def test_the_replay_shows_the_recorded_text_at_each_instant_in_each_authors_colour(
    live_server, session: Session, browser: Browser, settings
) -> None:
    # given a recorded session, stored with a snapshot every three updates
    settings.YJS_SNAPSHOT_EVERY = 3
    recorder = record_session(session)
    document = store(recorder, session.interview)
    instants = sorted(set(recorder.instants))
    expected = {
        ms: documents.document_text_at(document=document, at=START + timedelta(milliseconds=ms)) for ms in instants
    }
    paste_at = next(ms for ms, text in zip(recorder.instants, recorder.texts, strict=True) if PASTE in text)
    idle_from = next(a for a, b in itertools.pairwise(instants) if b - a >= IDLE_SECONDS * 1000)
    duration = instants[-1]
    problems: list[str] = []

    # when the interviewer opens the playback from their interview page
    page = log_in(browser, live_server.url, session.interviewer, problems)
    page.goto(f"{live_server.url}/interviews/{session.interview.pk}/")
    screenshot(page, "00-interview-page")
    page.get_by_role("link", name="Code playback").click()
    expect(page.locator("h1")).to_have_text("Code playback")
    expect(page.locator("#playback")).to_have_attribute("data-state", "ready")
    expect(page.locator(SLIDER)).to_have_attribute("max", str(duration))
    expect(page.locator("#playback-clock")).to_have_text(f"0:00 of {clock(duration)}")
    screenshot(page, "01-start")

    # then at every recorded instant the page shows the text the server rebuilds for it
    for ms in instants:
        page.locator(SLIDER).fill(str(ms))
        assert page.locator(CODE).text_content() == expected[ms], f"at {ms} ms"
    # (also going backwards, which rebuilds from a checkpoint)
    for ms in reversed(instants[::3]):
        page.locator(SLIDER).fill(str(ms))
        assert page.locator(CODE).text_content() == expected[ms], f"back at {ms} ms"

    # and at the end each author's characters carry their own colour
    page.locator(SLIDER).fill(str(duration))
    colours = page.evaluate(
        """() => ["0", "1"].map((a) => {
          const runs = document.querySelectorAll(`#playback-text span[data-author="${a}"]`);
          return [...new Set([...runs].map((run) => getComputedStyle(run).color))];
        })"""
    )
    candidate_colours, interviewer_colours = colours
    assert len(candidate_colours) == 1
    assert len(interviewer_colours) == 1
    assert candidate_colours != interviewer_colours
    body = page.evaluate("() => getComputedStyle(document.body).color")
    assert body not in candidate_colours + interviewer_colours
    expect(page.locator(f'{CODE} span[data-author="1"]').first).to_have_attribute(
        "title", f"typed by {session.interviewer.full_name} (Interviewer)"
    )
    screenshot(page, "02-end")

    # when they jump to the large paste marked on the timeline
    marks = page.locator("#playback-marks button")
    expect(marks).to_have_count(2)
    paste = page.get_by_role("button", name=f"Large paste by Grace Hopper (Candidate) at {clock(paste_at)}")
    paste.click()
    # then the slider is there and the pasted lines stand out as just typed
    assert slider_value(page) == paste_at
    assert page.locator(CODE).text_content() == expected[paste_at]
    fresh = page.locator(f"{CODE} .playback-fresh")
    expect(fresh).to_have_count(1)
    expect(fresh).to_have_text(PASTE)
    expect(page.locator("#playback-typing")).to_have_text("Typing: Grace Hopper (Candidate)")
    screenshot(page, "03-paste")

    # when they jump to the long pause, then step change by change
    page.get_by_role("button", name=f"Idle for {clock(IDLE_SECONDS * 1000)} from {clock(idle_from)}").click()
    assert slider_value(page) == idle_from
    assert page.locator(CODE).text_content() == expected[idle_from]
    page.locator(SLIDER).fill(str(idle_from + 30_000))
    expect(page.locator("#playback-typing")).to_have_text("Nobody is typing")
    expect(page.locator("#playback-clock")).to_have_text(f"{clock(idle_from + 30_000)} of {clock(duration)}")
    screenshot(page, "04-idle")
    page.get_by_role("button", name="Next change").click()
    assert slider_value(page) == paste_at
    page.get_by_role("button", name="Previous change").click()
    assert slider_value(page) == idle_from

    # and the keyboard moves the slider by seconds
    page.locator(SLIDER).focus()
    page.keyboard.press("ArrowRight")
    assert slider_value(page) == idle_from + 1000
    page.keyboard.press("Home")
    assert slider_value(page) == 0
    assert page.locator(CODE).text_content() == expected[0]

    # when they play at 16 times the real speed
    page.get_by_text("16×").click()
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_have_attribute("data-playing", "true")
    page.wait_for_function("(s) => Number(document.querySelector(s).value) > 8000", arg=SLIDER)
    screenshot(page, "05-playing")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_have_attribute("data-playing", "false")
    # then the replay advanced through the session, and stopped where it was paused
    stopped = slider_value(page)
    assert 8000 < stopped < duration
    page.wait_for_timeout(300)
    assert slider_value(page) == stopped
    shown = max(ms for ms in instants if ms <= stopped)
    assert page.locator(CODE).text_content() == expected[shown]

    assert problems == []


def test_the_playback_in_dark_mode_and_on_a_narrow_screen(live_server, session: Session, browser: Browser) -> None:
    # given
    recorder = record_session(session)
    store(recorder, session.interview)
    problems: list[str] = []
    page = log_in(browser, live_server.url, session.interviewer, problems, dark=True)
    # when
    page.goto(f"{live_server.url}/interviews/{session.interview.pk}/playback/")
    expect(page.locator("#playback")).to_have_attribute("data-state", "ready")
    page.get_by_role("button", name="Next change").click()
    page.locator(SLIDER).fill(str(recorder.instants[-1]))
    # then
    assert page.locator(CODE).text_content() == recorder.texts[-1]
    screenshot(page, "06-dark")
    page.set_viewport_size({"width": 420, "height": 900})
    screenshot(page, "07-narrow")
    assert problems == []


def test_an_interview_without_code_shows_the_empty_page(live_server, session: Session, browser: Browser) -> None:
    # given an interview nobody wrote code in
    other = InterviewFactory(organization=session.interview.organization, candidate__full_name="Alan Turing")
    ParticipantFactory(interview=other, user=session.interviewer)
    problems: list[str] = []
    page = log_in(browser, live_server.url, session.interviewer, problems)
    # when
    page.goto(f"{live_server.url}/interviews/{other.pk}/playback/")
    # then
    expect(page.get_by_role("heading", level=2)).to_have_text("No code was written in this interview")
    expect(page.locator(SLIDER)).to_have_count(0)
    screenshot(page, "08-empty")
    assert problems == []


def test_the_back_office_links_to_the_playback(live_server, acme, session: Session, browser: Browser) -> None:
    # given code was written in the interview
    recorder = record_session(session)
    store(recorder, session.interview)
    problems: list[str] = []
    page = log_in(browser, live_server.url, acme.users["recruiter"], problems)
    # when a recruiter opens the interview in the back office and follows the link
    page.goto(f"{live_server.url}/admin/interviews/interview/{session.interview.pk}/change/")
    link = page.get_by_role("link", name="Replay the code, keystroke by keystroke")
    expect(link).to_be_visible()
    screenshot(page, "09-back-office")
    link.click()
    # then the playback opens
    expect(page.locator("#playback")).to_have_attribute("data-state", "ready")
    assert page.locator(CODE).text_content() == recorder.texts[0]
    assert problems == []
