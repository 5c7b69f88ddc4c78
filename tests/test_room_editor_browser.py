"""The room's code editor and whiteboard end to end: two headless Chromiums (the interviewer and
the candidate) in one room through a real daphne, the room page, its socket and the Yjs sockets.

- Both write in the shared editor and each sees the other's text and named cursor; the language
  is the room's (picked by one, a paste's guess only offered); the interviewer's lock makes the
  candidate's editor read-only on both sides; "Focus time" hides the interviewer's cursor; the
  preferences are each person's own and survive a reload. Without the whiteboard tool there is
  no whiteboard in the page and no Excalidraw code is fetched.
- With the whiteboard, a shape drawn on one page appears on the other, and on a page that joins
  later; its code, styles and fonts come from our own static files only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from interviews.factories import room_with_people
from interviews.models import Interview, Participant
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import Tenant
from tests.live_asgi import ROOT, daphne_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts" / "room-editor"
DIST = ROOT / "static" / "dist"
LEAD_TOKEN = "room-editor-lead-" + "l" * 30
CANDIDATE_TOKEN = "room-editor-cand-" + "c" * 30
WAIT_MS = 30_000
# a class name only Excalidraw's own code holds: the files that carry it are "Excalidraw code"
EXCALIDRAW_MARKER = "excalidraw__canvas"
PYTHON_SNIPPET = (
    "import sys\n\n"
    "def main() -> None:\n"
    "    for line in sys.stdin:\n"
    "        print(line.strip()[::-1])\n\n"
    'if __name__ == "__main__":\n'
    "    main()\n"
)
# the editor's text as CodeMirror shows it, without the remote carets' name labels
EDITOR_TEXT = """() => [...document.querySelectorAll('#editor-panel .cm-line')].map((line) => {
  const copy = line.cloneNode(true);
  for (const caret of copy.querySelectorAll('.cm-ySelectionCaret')) caret.remove();
  return copy.textContent;
}).join('\\n')"""


@dataclass
class Room:
    interview: Interview
    lead: Participant
    candidate: Participant


@dataclass
class Watched:
    """What a page did: its script errors, CSP reports, requests and WebSockets."""

    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)


def make_room(acme: Tenant, **tools: bool) -> Room:
    interview, lead, candidate = room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=LEAD_TOKEN,
        candidate_token=CANDIDATE_TOKEN,
        candidate__full_name="Grace Hopper",
        stage__tools_config={"video": True, "editor": True, "whiteboard": True, "chat": True, **tools},
    )
    return Room(interview=interview, lead=lead, candidate=candidate)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running on this thread; the test body is
    # synchronous, so let it use the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=WAIT_MS)
    assert (DIST / "room.js").exists(), "build the front end first: npm run build"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    expect.set_options(timeout=5_000)  # Playwright's default, for the tests that run after
    connections.close_all()


def excalidraw_files() -> set[str]:
    """The built files (paths under static/dist) that hold Excalidraw's code."""
    found = {
        path.relative_to(DIST).as_posix()
        for path in DIST.rglob("*.js")
        if EXCALIDRAW_MARKER in path.read_text(encoding="utf-8", errors="replace")
    }
    assert found, f"no built file holds {EXCALIDRAW_MARKER!r}: is the whiteboard in the build?"
    return found


def dist_requests(watched: Watched) -> set[str]:
    return {re.sub(r"^.*?/static/dist/", "", url.split("?")[0]) for url in watched.requests if "/static/dist/" in url}


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_page(browser: Browser, url: str, *, dark: bool = False) -> tuple[BrowserContext, Page, Watched]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, color_scheme="dark" if dark else "light")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    watched = Watched()
    page.on("pageerror", lambda error: watched.errors.append(str(error)))

    def console(message: object) -> None:
        text = getattr(message, "text", "")
        location = getattr(message, "location", None)
        if location:
            text = f"{text} ({location.get('url', '') if isinstance(location, dict) else location})"
        print(f"[{url[-12:]}] {getattr(message, 'type', '')}: {text}")
        if "Content Security Policy" in text:
            watched.csp.append(text)

    page.on("console", console)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("websocket", lambda socket: watched.sockets.append(socket.url))
    page.goto(url)
    return context, page, watched


def join(page: Page) -> None:
    page.get_by_role("button", name="Join the interview").click()
    expect(page.locator("#room-stage")).to_be_visible()
    expect(page.locator("#editor-panel[data-doc='synced']")).to_have_count(1)


def editor(page: Page) -> Locator:
    return page.locator("#editor-panel .cm-content")


def type_at_end(page: Page, text: str) -> None:
    editor(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def remote_caret(page: Page, name: str) -> Locator:
    return page.locator("#editor-panel .cm-ySelectionInfo", has_text=name)


def editor_text(page: Page) -> str:
    return str(page.evaluate(EDITOR_TEXT))


@pytest.mark.django_db(transaction=True)
def test_two_people_write_together_and_the_interviewer_leads_the_editor(acme: Tenant, browser: Browser) -> None:
    room = make_room(acme, whiteboard=False)
    lead_name = str(room.lead.user)
    with daphne_server() as base:
        # given: the interviewer and the candidate in a room with the editor and no whiteboard
        lead_context, lead, lead_seen = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        cand_context, cand, cand_seen = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/", dark=True)
        join(lead)
        join(cand)

        # when: each one writes
        type_at_end(lead, "# two sum\n")
        expect(editor(cand)).to_contain_text("# two sum")
        type_at_end(cand, "def two_sum(nums, target):\nseen = {}")
        # then: both have the same text (the editor indented the line after the colon)
        expect(editor(lead)).to_contain_text("def two_sum(nums, target):")
        expect(editor(lead)).to_contain_text("    seen = {}")
        assert editor_text(lead) == editor_text(cand)
        # and each sees the other's cursor with their name
        expect(remote_caret(lead, "Grace Hopper")).to_be_visible()
        type_at_end(lead, "\n")
        expect(remote_caret(cand, lead_name)).to_be_visible()
        screenshot(lead, "01-interviewer-editor")
        screenshot(cand, "02-candidate-editor-dark")

        # when: the interviewer picks Go
        lead.get_by_label("Language").select_option(label="Go")
        # then: it is the room's language, on both pages
        expect(cand.get_by_label("Language")).to_have_value("go")
        expect(cand.locator("#editor-panel[data-language='go']")).to_have_count(1)
        expect(lead.locator("#editor-panel[data-language='go']")).to_have_count(1)

        # when: the candidate pastes a page of Python
        cand.evaluate("(text) => navigator.clipboard.writeText(text)", PYTHON_SNIPPET)
        editor(cand).click()
        cand.keyboard.press("Control+End")
        cand.keyboard.press("Control+V")
        # then: they are offered the switch, which is not made for them
        suggestion = cand.locator("#language-guess")
        expect(suggestion).to_be_visible()
        expect(suggestion).to_contain_text("Python")
        expect(cand.get_by_label("Language")).to_have_value("go")
        expect(lead.locator("#language-guess")).to_be_hidden()
        screenshot(cand, "03-candidate-language-suggestion")
        # and taking it switches the room
        cand.get_by_role("button", name="Switch to Python").click()
        expect(lead.get_by_label("Language")).to_have_value("python")
        expect(suggestion).to_be_hidden()

        # when: the interviewer locks the editor
        lock = lead.get_by_role("button", name="Lock editor")
        lock.click()
        expect(lock).to_have_attribute("aria-pressed", "true")
        # then: the candidate's editor is read-only, and says so
        expect(cand.locator("#editor-lock-note")).to_have_text(
            "The interviewer locked the editor: you can read the code but not change it."
        )
        expect(editor(cand)).to_have_attribute("aria-readonly", "true")
        expect(cand.get_by_label("Language")).to_be_disabled()
        before = editor_text(cand)
        type_at_end(cand, "XYZZY")
        cand.keyboard.press("Enter")
        assert editor_text(cand) == before
        # and what the interviewer types after it arrives, without the candidate's keys, on both sides
        type_at_end(lead, "# locked now")
        expect(editor(cand)).to_contain_text("# locked now")
        assert "XYZZY" not in editor_text(cand)
        assert "XYZZY" not in editor_text(lead)
        screenshot(cand, "04-candidate-locked")
        # when: unlocked, the candidate types again
        lock.click()
        expect(cand.locator("#editor-lock-note")).to_be_hidden()
        type_at_end(cand, " # unlocked")
        expect(editor(lead)).to_contain_text("# unlocked")

        # when: the interviewer takes focus time
        expect(remote_caret(cand, lead_name)).to_be_visible()
        lead.get_by_role("button", name="Focus time").click()
        # then: their cursor is gone from the candidate's page, and they see the countdown
        expect(remote_caret(cand, lead_name)).to_have_count(0)
        expect(lead.locator("#focus-countdown")).to_have_text(re.compile(r"hidden from the others for [45]:\d\d\."))
        type_at_end(lead, "\n# thinking")
        expect(editor(cand)).to_contain_text("# thinking")
        expect(remote_caret(cand, lead_name)).to_have_count(0)
        screenshot(lead, "05-interviewer-focus-time")
        # and cancelling shows it again
        lead.get_by_role("button", name="Show my cursor").click()
        expect(lead.get_by_role("button", name="Focus time")).to_be_focused()
        type_at_end(lead, "!")
        expect(remote_caret(cand, lead_name)).to_be_visible()

        # when: the candidate sets their own preferences
        cand.get_by_text("Editor settings").click()
        cand.get_by_label("Theme").select_option("light")
        cand.get_by_label("Font size").select_option("18")
        cand.get_by_label("Key bindings").select_option("vim")
        # then: their editor changes at once, the interviewer's does not
        expect(cand.locator("#editor-panel[data-theme='light'][data-keymap='vim']")).to_have_count(1)
        expect(editor(cand)).to_have_css("font-size", "18px")
        expect(cand.locator("#editor-panel .cm-vimMode")).to_have_count(1)
        expect(editor(lead)).to_have_css("font-size", "14px")
        expect(lead.locator("#editor-panel[data-keymap='default']")).to_have_count(1)
        screenshot(cand, "06-candidate-preferences")
        # and they are still there after a reload (without the editor's text being touched)
        text = editor_text(lead)
        cand.reload()
        join(cand)
        expect(cand.locator("#editor-panel[data-theme='light'][data-keymap='vim']")).to_have_count(1)
        expect(cand.get_by_label("Font size")).to_have_value("18")
        expect(editor(cand)).to_have_text(re.compile(re.escape("# thinking!")))
        assert editor_text(cand) == text

        # and: no whiteboard anywhere, and none of its code fetched
        for page, seen in ((lead, lead_seen), (cand, cand_seen)):
            expect(page.locator("#whiteboard-panel, [role='tab'], .excalidraw")).to_have_count(0)
            assert dist_requests(seen).isdisjoint(excalidraw_files() | {"whiteboard.js", "whiteboard.css"})
            assert not any("excalidraw-assets" in url for url in seen.requests)
            assert not any("/yjs/whiteboard" in url for url in seen.sockets)
            assert any("/yjs/code" in url for url in seen.sockets)
            assert seen.errors == []
            assert seen.csp == []
        lead_context.close()
        cand_context.close()


def draw(page: Page, tool: str, *, at: tuple[int, int], size: int = 120) -> None:
    """Pick an Excalidraw tool and drag a shape on the board, as a mouse would."""
    page.locator(f'#whiteboard-panel label:has(> [data-testid="toolbar-{tool}"])').click()
    expect(page.locator(f'#whiteboard-panel [data-testid="toolbar-{tool}"]')).to_be_checked()
    box = page.locator("#whiteboard-host canvas.interactive").bounding_box()
    assert box is not None
    x, y = box["x"] + at[0], box["y"] + at[1]
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + size / 2, y + size / 3, steps=4)
    page.mouse.move(x + size, y + size * 2 / 3, steps=4)
    page.mouse.up()


def write(page: Page, text: str, *, at: tuple[int, int]) -> None:
    page.locator('#whiteboard-panel label:has(> [data-testid="toolbar-text"])').click()
    box = page.locator("#whiteboard-host canvas.interactive").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    expect(page.locator("#whiteboard-panel textarea.excalidraw-wysiwyg")).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Escape")


def shapes(page: Page, n: int) -> None:
    expect(page.locator(f'#whiteboard-host[data-shapes="{n}"]')).to_have_count(1)


@pytest.mark.django_db(transaction=True)
def test_a_shape_drawn_on_the_whiteboard_appears_for_the_others(acme: Tenant, browser: Browser) -> None:
    make_room(acme)
    with daphne_server() as base:
        # given: both in a room with the editor and the whiteboard
        lead_context, lead, lead_seen = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        cand_context, cand, cand_seen = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/", dark=True)
        join(lead)
        join(cand)
        # the editor's tab is open first; the board is fetched when it is opened
        expect(lead.get_by_role("tab", name="Code editor")).to_have_attribute("aria-selected", "true")
        expect(lead.locator("#whiteboard-panel")).to_be_hidden()
        assert dist_requests(lead_seen).isdisjoint(excalidraw_files())

        # when: the interviewer opens the whiteboard and draws a rectangle
        lead.get_by_role("tab", name="Whiteboard").click()
        expect(lead.locator("#whiteboard-panel .excalidraw")).to_be_visible()
        assert not dist_requests(lead_seen).isdisjoint(excalidraw_files())
        draw(lead, "rectangle", at=(400, 180))
        shapes(lead, 1)
        # and writes a label (text needs Excalidraw's hand-drawn font)
        write(lead, "rate limiter", at=(410, 340))
        shapes(lead, 2)

        # then: the candidate, opening the board by keyboard, sees it
        cand.get_by_role("tab", name="Code editor").focus()
        cand.keyboard.press("ArrowRight")
        expect(cand.get_by_role("tab", name="Whiteboard")).to_be_focused()
        expect(cand.get_by_role("tab", name="Whiteboard")).to_have_attribute("aria-selected", "true")
        expect(cand.locator("#editor-panel")).to_be_hidden()
        shapes(cand, 2)

        # when: the candidate draws an ellipse
        draw(cand, "ellipse", at=(560, 260), size=90)
        # then: the interviewer has both shapes, the candidate too (no echo doubles them)
        shapes(lead, 3)
        shapes(cand, 3)
        screenshot(lead, "07-interviewer-whiteboard")
        screenshot(cand, "08-candidate-whiteboard-dark")

        # when: someone joins later (the candidate reloads)
        cand.reload()
        join(cand)
        cand.get_by_role("tab", name="Whiteboard").click()
        # then: the board is there for them
        shapes(cand, 3)
        # and switching back to the editor keeps it
        cand.get_by_role("tab", name="Code editor").click()
        expect(cand.locator("#editor-panel")).to_be_visible()
        cand.get_by_role("tab", name="Whiteboard").click()
        shapes(cand, 3)
        screenshot(cand, "09-late-joiner-whiteboard")

        # and: everything came from our own server (code, styles, fonts), nothing the CSP refused
        for seen in (lead_seen, cand_seen):
            assert all(url.startswith((base, "data:", "blob:")) for url in seen.requests), seen.requests
            assert "whiteboard.css" in dist_requests(seen)
            assert seen.errors == []
            assert seen.csp == []
        assert any("/static/dist/excalidraw-assets/fonts/" in url for url in lead_seen.requests + cand_seen.requests)
        lead_context.close()
        cand_context.close()


@pytest.mark.django_db(transaction=True)
def test_a_whiteboard_only_room_opens_the_board_at_once_without_the_editor(acme: Tenant, browser: Browser) -> None:
    # given: a system-design stage: video and whiteboard, no editor
    make_room(acme, editor=False)
    codemirror = {
        path.relative_to(DIST).as_posix()
        for path in DIST.rglob("*.js")
        if "cm-content" in path.read_text(encoding="utf-8", errors="replace")
    }
    assert codemirror, "no built file holds CodeMirror"
    with daphne_server() as base:
        context, page, seen = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/")
        # when: the candidate joins
        page.get_by_role("button", name="Join the interview").click()
        # then: the board is there without a tab to pick, and no editor anywhere
        expect(page.locator("#whiteboard-panel .excalidraw")).to_be_visible()
        expect(page.get_by_role("heading", name="Whiteboard")).to_be_visible()
        expect(page.locator("[role='tab'], #editor-panel, .cm-editor")).to_have_count(0)
        draw(page, "diamond", at=(400, 200))
        shapes(page, 1)
        assert dist_requests(seen).isdisjoint(codemirror)
        assert not any("/yjs/code" in url for url in seen.sockets)
        screenshot(page, "10-whiteboard-only-room")
        assert seen.errors == []
        assert seen.csp == []
        context.close()
