"""The interview room end to end: headless Chromiums with a fake camera and microphone meet
through a real daphne (in-memory channel layer), the room page and its socket.

- The interviewer and the candidate join through their links and see each other's video; a
  pushed question reaches the candidate without its hint or answer guide (neither in the page
  nor in any WebSocket frame the candidate's page received); a screen share reaches the
  interviewer; a chat line that looks like HTML arrives as text; when the candidate's page
  closes, the interviewer's page drops their tile; the interviewer ends the interview.
- A dropped socket reconnects and joins again; a second window takes the seat (4409) and the
  first one stays out.
- An observer joins by keyboard, receive-only; a chat-only room has no video and keeps private
  lines private.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, WebSocketRoute, expect, sync_playwright

from interviews.factories import ParticipantFactory, QuestionFactory, room_with_people
from interviews.models import Interview, InterviewQuestionPlan, Participant
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import Tenant
from tests.live_asgi import ROOT, daphne_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts" / "room"
LEAD_TOKEN = "room-browser-lead-" + "l" * 30
CANDIDATE_TOKEN = "room-browser-cand-" + "c" * 30
QUESTION = "Design a rate limiter for a public API"
HINT = "HINT-token-bucket-per-api-key"
GUIDE = "GUIDE-redis-incr-with-expiry"
CHAT = "<b>bold?</b> & <script>alert(1)</script>"
WAIT_MS = 30_000  # any single wait for the network, the media or the page
REMOTE_VIDEO_PLAYS = """(selector) => {
  const video = document.querySelector(selector);
  return Boolean(video) && video.videoWidth > 0 && video.readyState >= 2 && !video.paused;
}"""


@dataclass
class Room:
    interview: Interview
    lead: Participant
    candidate: Participant
    question_id: int


@dataclass
class Frames:
    """Every text frame a page received on any WebSocket."""

    received: list[str] = field(default_factory=list)

    def watch(self, socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: self.received.append(str(payload)))


@pytest.fixture
def room(acme: Tenant) -> Room:
    interview, lead, candidate = room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=LEAD_TOKEN,
        candidate_token=CANDIDATE_TOKEN,
        candidate__full_name="Grace Hopper",
    )
    question = QuestionFactory(
        organization=acme.org, question_text=QUESTION, interviewer_hints=HINT, expected_answer_guide=GUIDE
    )
    InterviewQuestionPlan.objects.create(interview=interview, question=question, order=1)
    return Room(interview=interview, lead=lead, candidate=candidate, question_id=question.pk)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running on this thread; the test body is
    # synchronous, so let it use the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=WAIT_MS)
    assert (ROOT / "static" / "dist" / "room.js").exists(), "build the front end first: npm run build"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    expect.set_options(timeout=5_000)  # Playwright's default, for the tests that run after
    connections.close_all()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_page(
    browser: Browser,
    url: str,
    *,
    frames: Frames | None = None,
    dark: bool = False,
    route: Callable[[WebSocketRoute], None] | None = None,
) -> tuple[BrowserContext, Page, list[str]]:
    """A page in its own browser context (its own cookies and devices), with its script errors."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, color_scheme="dark" if dark else "light")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: print(f"[{url[-12:]}] {message.type}: {message.text}"))
    if frames is not None:
        page.on("websocket", frames.watch)
    if route is not None:
        page.route_web_socket(re.compile(r"/ws/rooms/[0-9a-f-]+/(\?|$)"), route)
    page.goto(url)
    return context, page, errors


def join_with_camera_and_microphone(page: Page) -> None:
    page.get_by_role("button", name="Join with microphone").click()
    page.get_by_role("button", name="Join with camera").click()
    expect(page.get_by_role("button", name="Join with camera")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Join the interview").click()
    expect(page.locator("#room-stage")).to_be_visible()


def remote_tile(page: Page, participant: Participant) -> str:
    return f'.tile[data-peer-id="{participant.peer_id.hex}"]'


def wait_for_video(page: Page, selector: str) -> None:
    page.wait_for_function(REMOTE_VIDEO_PLAYS, arg=selector, timeout=WAIT_MS)


def assert_no_secret(texts: list[Any]) -> None:
    for text in texts:
        assert HINT not in str(text)
        assert GUIDE not in str(text)


@pytest.mark.django_db(transaction=True)
def test_interviewer_and_candidate_meet_push_share_chat_and_leave(room: Room, browser: Browser) -> None:
    candidate_frames = Frames()
    with daphne_server() as base:
        # given: the interviewer on the pre-join screen, previewing their devices
        lead_context, lead, lead_errors = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        expect(lead.locator("h1")).to_have_text("Interview with Acme")
        expect(lead.get_by_role("button", name="Join with camera")).to_have_attribute("aria-pressed", "false")
        expect(lead.get_by_role("button", name="Join with microphone")).to_have_attribute("aria-pressed", "false")
        screenshot(lead, "01-prejoin")
        lead.get_by_role("button", name="Preview devices").click()
        wait_for_video(lead, "#preview-video")
        expect(lead.get_by_role("button", name="Preview devices")).to_have_attribute("aria-pressed", "true")
        expect(lead.locator("#camera-select option")).not_to_have_count(0)
        lead.wait_for_function("() => document.querySelector('#preview-level').value > 0")  # the fake microphone beeps
        screenshot(lead, "02-prejoin-preview")

        # when: both join through their links with camera and microphone on
        join_with_camera_and_microphone(lead)
        expect(lead.locator("#room-status")).to_contain_text("Waiting for the others")
        cand_context, cand, cand_errors = open_page(
            browser, f"{base}/join/{CANDIDATE_TOKEN}/", frames=candidate_frames, dark=True
        )
        join_with_camera_and_microphone(cand)

        # then: each one sees the other's video playing, with their name
        wait_for_video(lead, f"{remote_tile(lead, room.candidate)} video")
        wait_for_video(cand, f"{remote_tile(cand, room.lead)} video")
        expect(lead.locator(remote_tile(lead, room.candidate))).to_contain_text("Grace Hopper")
        expect(cand.locator(remote_tile(cand, room.lead))).to_contain_text(str(room.lead.user))
        expect(lead.locator(f"{remote_tile(lead, room.candidate)} .badge-quality")).to_be_visible()
        # and the microphone/camera state each one announced (MEDIA_STATE), the active speaker
        expect(cand.locator(f"{remote_tile(cand, room.lead)}.camera-off")).to_have_count(0)
        # (the interviewer mutes first: their own microphone's beeps would win every time)
        lead.get_by_role("button", name="Microphone", exact=True).click()
        expect(cand.locator(remote_tile(cand, room.lead))).to_contain_text("Microphone off")
        expect(lead.locator(f"{remote_tile(lead, room.candidate)}.speaking")).to_have_count(1)
        expect(lead.locator(f"{remote_tile(lead, room.candidate)} .badge-quality")).to_contain_text("round trip")

        # when: the interviewer pushes the planned question
        push = lead.locator(f'button[data-push-question="{room.question_id}"]')
        expect(push).to_be_enabled()
        push.click()
        # then: the candidate sees its text, and never the hint or the guide
        expect(cand.locator("#question-card")).to_be_visible()
        expect(cand.locator("#question-card-text")).to_have_text(QUESTION)
        expect(lead.locator(f'[data-push-state="{room.question_id}"]')).to_have_text("Pushed")
        assert_no_secret([cand.content()])
        assert any(QUESTION in frame for frame in candidate_frames.received)
        assert_no_secret(candidate_frames.received)
        assert HINT in lead.content()
        screenshot(lead, "03-room-interviewer")
        screenshot(cand, "04-room-candidate")

        # when: the candidate shares their screen
        cand.get_by_role("button", name="Share screen").click()
        expect(cand.get_by_role("button", name="Share screen")).to_have_attribute("aria-pressed", "true")
        # then: a second video from the candidate plays on the interviewer's page
        screen_tile = f'.tile-screen[data-screen^="{room.candidate.peer_id.hex}:"]'
        wait_for_video(lead, f"{screen_tile} video")
        expect(lead.locator(screen_tile)).to_contain_text("Screen of Grace Hopper")
        screenshot(lead, "05-interviewer-sees-the-shared-screen")
        # and stopping the share removes it there
        cand.get_by_role("button", name="Share screen").click()
        expect(lead.locator(screen_tile)).to_have_count(0)

        # when: the candidate mutes and opens the audio settings
        cand.get_by_role("button", name="Microphone", exact=True).click()
        expect(cand.get_by_role("button", name="Microphone", exact=True)).to_have_attribute("aria-pressed", "false")
        # then: the interviewer sees it on the candidate's tile
        expect(lead.locator(f"{remote_tile(lead, room.candidate)}")).to_contain_text("Microphone off")
        cand.get_by_text("Audio and devices").click()
        noise = cand.get_by_role("button", name="Noise suppression")
        noise.click()
        expect(noise).to_have_attribute("aria-pressed", "false")
        screenshot(cand, "06-candidate-audio-settings-dark")
        cand.keyboard.press("Escape")
        expect(cand.locator("details.media-settings")).not_to_have_attribute("open", "")

        # when: the candidate writes in the chat
        cand.get_by_label("Message").fill(CHAT)
        cand.get_by_role("button", name="Send", exact=True).click()
        # then: the interviewer's page shows it as text, not as markup
        line = lead.locator("#chat-log .chat-line").last
        expect(line.locator(".chat-text")).to_have_text(CHAT)
        expect(line.locator(".chat-from")).to_have_text("Grace Hopper")
        expect(lead.locator("#chat-log b, #chat-log script")).to_have_count(0)
        screenshot(lead, "07-chat")

        # when: the candidate's page closes
        assert_no_secret(candidate_frames.received)
        assert_no_secret([cand.content()])
        assert cand_errors == []
        cand_context.close()
        # then: the interviewer gets USER_LEFT and the tile disappears
        expect(lead.locator(remote_tile(lead, room.candidate))).to_have_count(0)
        expect(lead.locator("#room-status")).to_contain_text("Grace Hopper left.")

        # when: the interviewer ends the interview (after confirming)
        lead.get_by_role("button", name="End interview").click()
        expect(lead.locator("#end-dialog")).to_be_visible()
        screenshot(lead, "08-end-confirm")
        lead.locator("#end-confirm").click()
        # then: everyone is out and the interview is completed
        expect(lead.locator("#room-ended-message")).to_have_text("The interviewer ended the interview.")
        expect(lead.locator("#rejoin-button")).to_be_hidden()
        screenshot(lead, "09-ended")
        assert Interview.objects.get(pk=room.interview.pk).status == Interview.Status.COMPLETED
        assert lead_errors == []
        lead_context.close()


RECORD_STATUS = """() => {
  const status = document.getElementById("room-status");
  window.roomStatuses = [];
  new MutationObserver(() => window.roomStatuses.push(status.textContent)).observe(status, {
    childList: true, characterData: true, subtree: true,
  });
}"""
SAID_IN_ORDER = """(expected) => {
  let at = 0;
  for (const said of window.roomStatuses) if (at < expected.length && said.startsWith(expected[at])) at += 1;
  return at === expected.length;
}"""


def wait_until_said(page: Page, *expected: str) -> None:
    """Wait until the status line has said each of ``expected`` (prefixes), in this order."""
    page.wait_for_function(SAID_IN_ORDER, arg=list(expected))


@pytest.mark.django_db(transaction=True)
def test_a_dropped_socket_reconnects_and_a_second_window_takes_the_seat(room: Room, browser: Browser) -> None:
    with daphne_server() as base:
        # given: the interviewer in the room, and the candidate whose socket runs through a
        # route the test can cut (as a network drop would)
        lead_context, lead, lead_errors = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        join_with_camera_and_microphone(lead)
        sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []

        def through_the_test(route: WebSocketRoute) -> None:
            sockets.append((route, route.connect_to_server()))

        cand_context, cand, cand_errors = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/", route=through_the_test)
        cand.evaluate(RECORD_STATUS)
        lead.evaluate(RECORD_STATUS)
        join_with_camera_and_microphone(cand)
        wait_for_video(lead, f"{remote_tile(lead, room.candidate)} video")
        assert len(sockets) == 1

        # when: the connection drops
        page_side, server_side = sockets[0]
        server_side.close()
        page_side.close(code=4000, reason="network drop")

        # then: the interviewer sees the candidate go; the candidate's page says it reconnects,
        # joins again on a new socket and the call comes back on both sides
        wait_until_said(lead, "Grace Hopper joined.", "Grace Hopper left.", "Grace Hopper joined.")
        wait_until_said(
            cand, "You are in the room with", "Connection lost. Reconnecting in 1 s…", "Reconnecting…", "You are in"
        )
        assert len(sockets) == 2
        wait_for_video(lead, f"{remote_tile(lead, room.candidate)} video")
        wait_for_video(cand, f"{remote_tile(cand, room.lead)} video")
        screenshot(cand, "10-candidate-after-reconnecting")

        # when: the candidate opens their link in a second window and joins there
        other_context, other, other_errors = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/")
        join_with_camera_and_microphone(other)

        # then: the new window holds the seat and the call; the old one is closed with 4409,
        # says why and does not reconnect
        expect(cand.locator("#room-ended-message")).to_have_text(
            "You joined this room from another window, so this one is disconnected."
        )
        expect(cand.locator("#rejoin-button")).to_be_visible()
        expect(cand.locator("#room-stage")).to_be_hidden()
        wait_for_video(other, f"{remote_tile(other, room.lead)} video")
        wait_for_video(lead, f"{remote_tile(lead, room.candidate)} video")
        expect(lead.locator(".tile[data-peer-id]")).to_have_count(2)  # the interviewer and one candidate
        screenshot(cand, "11-replaced-window")
        assert len(sockets) == 2
        assert lead_errors == cand_errors == other_errors == []
        for context in (lead_context, cand_context, other_context):
            context.close()


def tab_to(page: Page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus after {limit} tabs")


@pytest.mark.django_db(transaction=True)
def test_an_observer_joins_by_keyboard_without_camera_or_microphone_and_watches(room: Room, browser: Browser) -> None:
    # given: the interviewer in the room with the camera on, and an observer's link
    observer_token = "room-browser-obs-" + "o" * 30
    observer = ParticipantFactory(interview=room.interview, role=Participant.Role.OBSERVER, token=observer_token)
    with daphne_server() as base:
        lead_context, lead, lead_errors = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        join_with_camera_and_microphone(lead)

        # when: the observer joins with the keyboard alone
        watch_context, watch, watch_errors = open_page(browser, f"{base}/join/{observer_token}/")
        expect(watch.locator("#camera-select")).to_have_count(0)  # nothing to pick, nothing captured
        tab_to(watch, "#join-button")
        watch.keyboard.press("Enter")
        expect(watch.locator("#room-stage")).to_be_visible()
        expect(watch.locator("#leave-button")).to_be_focused()  # the focus moves into the room's controls

        # then: they see and hear the interviewer (receive-only), and have no media controls
        wait_for_video(watch, f"{remote_tile(watch, room.lead)} video")
        expect(watch.locator("#mic-button, #camera-button, #screen-button")).to_have_count(0)
        expect(watch.locator("#plan-panel")).to_have_count(0)  # not staff: no hints, no guide
        assert HINT not in watch.content()
        # and the interviewer sees the observer's tile without video
        observer_tile = lead.locator(remote_tile(lead, observer))
        expect(observer_tile).to_contain_text("Observer")
        expect(observer_tile).to_have_class(re.compile(r"\bcamera-off\b"))
        expect(observer_tile).to_contain_text("Watching only")
        screenshot(watch, "12-observer")
        assert lead_errors == watch_errors == []
        for context in (lead_context, watch_context):
            context.close()


@pytest.mark.django_db(transaction=True)
def test_a_chat_only_room_has_no_video_and_private_lines_reach_only_their_target(room: Room, browser: Browser) -> None:
    # given: a stage whose room has chat but no video, and a shadowing observer
    stage = room.interview.stage
    stage.tools_config = {"video": False, "editor": False, "whiteboard": False, "chat": True}
    stage.save(update_fields=["tools_config"])
    observer_token = "room-browser-obs-" + "p" * 30
    observer = ParticipantFactory(interview=room.interview, role=Participant.Role.OBSERVER, token=observer_token)
    with daphne_server() as base:
        pages = {}
        for who, token in (("lead", LEAD_TOKEN), ("candidate", CANDIDATE_TOKEN), ("observer", observer_token)):
            context, page, errors = open_page(browser, f"{base}/join/{token}/")
            page.get_by_role("button", name="Join the interview").click()
            expect(page.locator("#chat-send")).to_be_enabled()
            pages[who] = (context, page, errors)
        lead = pages["lead"][1]
        cand = pages["candidate"][1]
        watch = pages["observer"][1]
        expect(lead.locator(".tile[data-peer-id]")).to_have_count(3)
        assert lead.locator("video").count() == 0

        # when: the interviewer writes privately to the observer, then to everyone
        lead.get_by_label("Send to").select_option(label=observer.display_name)
        lead.get_by_label("Message").fill("Watch how she handles bursts")
        lead.keyboard.press("Enter")
        expect(watch.locator("#chat-log .chat-text")).to_have_text(["Watch how she handles bursts"])
        expect(watch.locator("#chat-log .chat-to")).to_have_text(["privately to you"])
        lead.get_by_label("Send to").select_option(label="Everyone")
        lead.get_by_label("Message").fill("Welcome, Grace")
        lead.get_by_role("button", name="Send", exact=True).click()

        # then: the candidate gets the group line only; the sender sees both, the private one marked
        expect(cand.locator("#chat-log .chat-text")).to_have_text(["Welcome, Grace"])
        expect(watch.locator("#chat-log .chat-text")).to_have_text(["Watch how she handles bursts", "Welcome, Grace"])
        expect(lead.locator("#chat-log .chat-to")).to_have_text([f"privately to {observer.display_name}"])
        screenshot(lead, "13-chat-only-room")

        # when: the candidate reloads and joins again, the history comes back (group lines only)
        cand.reload()
        cand.get_by_role("button", name="Join the interview").click()
        expect(cand.locator("#chat-log .chat-text")).to_have_text(["Welcome, Grace"])
        expect(cand.locator("#chat-log .chat-from")).to_have_text([str(room.lead.user)])
        for context, _page, errors in pages.values():
            assert errors == []
            context.close()
