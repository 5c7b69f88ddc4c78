"""The candidate's assessment page end to end: headless Chromium (fake camera) against a real daphne.

The candidate opens the token link (a start screen: nothing starts until they press Start),
starts the assessment, which accepts the proctoring notice, sees the camera indicator,
types code in CodeMirror, runs it against the samples, submits it (hidden tests: passed/failed
only), and a webcam snapshot arrives on the server; the page never shows the score or hidden data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.models import AuditLog
from assessments.models import DsaSession, IntegrityEvent, ProctoringSnapshot, Submission
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import Tenant
from tests.live_asgi import ROOT, daphne_server
from tests.test_dsa_api import HIDDEN_STRINGS, SCORE_TEXT, make_dsa

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sandbox]

ARTIFACTS = ROOT / "test-artifacts" / "dsa"
WAIT_MS = 30_000
SOLUTION = "print(input().upper())"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=WAIT_MS)
    assert (ROOT / "static" / "dist" / "dsa.js").exists(), "build the front end first: npm run build"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    expect.set_options(timeout=5_000)
    connections.close_all()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_secret(page: Page) -> None:
    html = page.content()
    for secret in HIDDEN_STRINGS:
        assert secret not in html
    assert SCORE_TEXT not in html


@pytest.mark.django_db(transaction=True)
def test_candidate_runs_submits_and_is_proctored(acme: Tenant, browser: Browser) -> None:
    # given: a proctored assessment with a snapshot every 2 s
    dsa = make_dsa(acme.org, proctoringEnabled=True, languages=["python", "javascript"])
    dsa.problem.starter_code = {"python": "# write your solution here\n"}
    dsa.problem.save()
    with daphne_server(env={"DSA_SNAPSHOT_INTERVAL_SECONDS": "2"}) as base:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: print(f"[dsa] {message.type}: {message.text}"))
        page.on("response", lambda r: print(f"[dsa] {r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{base}/v1/dsa/{dsa.token}/")

        # then: a start screen with the facts and the proctoring notice, no statement, no editor
        expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
        expect(page.get_by_role("heading", name="This assessment is proctored")).to_be_visible()
        expect(page.locator("#dsa-start")).to_contain_text(dsa.problem.title)
        expect(page.locator("#dsa-start")).to_contain_text("20 submissions in all")
        expect(page.locator("#dsa-work")).to_have_count(0)
        expect(page.locator(".cm-content")).to_have_count(0)
        expect(page.locator("#dsa-camera")).to_be_hidden()
        assert not DsaSession.objects.filter(started_at__isnull=False).exists()
        screenshot(page, "01-start")

        # when: the candidate starts (which is also the consent to the camera)
        page.get_by_role("button", name="Start the assessment").click()
        # then: the clock runs, the camera indicator is on and the problem shows
        expect(page.locator("#dsa-countdown")).to_contain_text("Time left")
        expect(page.locator("#dsa-camera")).to_have_attribute("data-state", "on")
        expect(page.locator("#dsa-camera")).to_contain_text("Camera on — a snapshot every 2 s")
        expect(page.get_by_role("heading", name=dsa.problem.title)).to_be_visible()
        expect(page.locator(".cm-content")).to_contain_text("write your solution here")
        expect(page.locator("#dsa-notice")).to_be_hidden()
        assert DsaSession.objects.get(interview=dsa.interview).started_at is not None
        assert AuditLog.objects.filter(action="dsa.proctoring_consent").count() == 1
        screenshot(page, "01b-started")

        # when: the candidate types a solution and runs it
        page.locator(".cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.type(SOLUTION)
        page.get_by_role("button", name="Run", exact=True).click()
        # then: both samples passed, with their details
        expect(page.locator("#dsa-results-summary")).to_have_text("2 of 2 tests passed.")
        expect(page.locator(".dsa-result-pass")).to_have_count(2)
        expect(page.locator(".dsa-result").first).to_contain_text("HELLO")
        screenshot(page, "02-run")

        # when: the candidate submits
        page.get_by_role("button", name="Submit", exact=True).click()
        # then: seven results, hidden ones say passed/failed only
        expect(page.locator("#dsa-results-summary")).to_contain_text("4 of 7 tests passed.")
        expect(page.locator(".dsa-result")).to_have_count(7)
        hidden = page.locator(".dsa-result", has_text="Hidden test")
        expect(hidden).to_have_count(5)
        expect(hidden.locator(".dsa-result-facts")).to_have_count(0)
        expect(page.locator("#dsa-submissions-left")).to_have_text("Submissions left: 19")
        assert Submission.objects.get().score == 57.14
        assert_no_secret(page)

        # and: a snapshot arrived on the server
        page.wait_for_function("() => Boolean(document.querySelector('#dsa-camera').dataset.lastSnapshot)")
        assert ProctoringSnapshot.objects.filter(session__interview=dsa.interview).exists()
        screenshot(page, "03-submitted")

        # when: the candidate pastes into the editor (the length is reported, not the text)
        page.locator(".cm-content").click()
        page.evaluate(
            """() => {
              const data = new DataTransfer();
              data.setData('text/plain', 'x = 1  # pasted');
              const paste = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
              document.querySelector('.cm-content').dispatchEvent(paste);
            }"""
        )
        # and finishes the assessment
        page.get_by_role("button", name="Finish assessment").click()
        page.get_by_role("button", name="Finish", exact=True).click()
        # then
        expect(page.locator("#dsa-ended")).to_be_visible()
        expect(page.locator("#dsa-camera")).to_be_hidden()
        screenshot(page, "04-finished")
        paste = IntegrityEvent.objects.get(interview=dsa.interview, kind="paste")
        assert paste.detail == {"length": len("x = 1  # pasted")}
        assert errors == []
        context.close()


@pytest.mark.django_db(transaction=True)
def test_the_recruiter_sees_the_snapshot_gallery(acme: Tenant, browser: Browser, tmp_path: Path) -> None:
    # given: a finished proctored session with one snapshot and one submission
    import io

    from django.test import Client
    from PIL import Image

    dsa = make_dsa(acme.org, proctoringEnabled=True)
    client = Client()
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 140, 90)).save(buffer, format="JPEG")
    assert client.post(dsa.url("snapshot"), data=buffer.getvalue(), content_type="image/jpeg").status_code == 200
    assert (
        client.post(
            dsa.url("submit"),
            data='{"language": "python", "code": "print(input().upper())"}',
            content_type="application/json",
        ).status_code
        == 200
    )
    session_id = ProctoringSnapshot.objects.get().session_id
    recruiter = acme.users["recruiter"]
    with daphne_server() as base:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        # log in through the session cookie of a Django test client
        login = Client()
        login.force_login(recruiter)
        cookie = login.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/admin/assessments/dsasession/{session_id}/change/")
        expect(page.get_by_role("heading", name="Webcam snapshots")).to_be_visible()
        image = page.locator(".ts-dsa-gallery img").first
        expect(image).to_be_visible()
        page.wait_for_function("() => document.querySelector('.ts-dsa-gallery img').naturalWidth === 320")
        expect(page.locator(".ts-dsa-score").first).to_contain_text("Score 57%")
        screenshot(page, "05-recruiter-session")
        context.close()
