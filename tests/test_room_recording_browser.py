"""Recording end to end: two headless Chromiums (fake camera and microphone) agree on the pre-join
screen, join through a real daphne, and the media process (``manage.py run_media``, a real
subprocess) records them; both pages show the Recording sign while it runs, no tile for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import av
import pytest
from playwright.sync_api import Page, expect

from interviews.factories import room_with_people
from recordings import storage
from recordings.models import Recording, RecordingConsent
from tests.conftest import Tenant
from tests.live_asgi import ROOT, daphne_server, database_url_of_tests
from tests.test_room_browser import WAIT_MS, browser, open_page, remote_tile, wait_for_video  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEAD_TOKEN = "rec-browser-lead-" + "l" * 30
CANDIDATE_TOKEN = "rec-browser-cand-" + "c" * 30
RECORD_FOR_MS = 4000


@contextmanager
def media_process(base: str) -> Iterator[subprocess.Popen[bytes]]:
    """``python manage.py run_media`` against the test database and the live server ``base``."""
    log_dir = ROOT / "var" / "test" / "media"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "DEBUG": "1",
        "REDIS_URL": "",
        "MEDIA_ROOM_URL": base,
        "MEDIA_POLL_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with (log_dir / "run_media.log").open("wb") as out:
        process = subprocess.Popen(  # our interpreter, our manage.py, fixed arguments
            [sys.executable, "manage.py", "run_media"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def agree_and_join(page: Page) -> None:
    expect(page.get_by_text("This interview is recorded", exact=True)).to_be_visible()
    page.get_by_label("I agree to be recorded").check()
    page.get_by_role("button", name="Join with microphone").click()
    page.get_by_role("button", name="Join with camera").click()
    page.get_by_role("button", name="Join the interview").click()
    expect(page.locator("#room-stage")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_two_browsers_that_agreed_are_recorded_and_see_the_recording_sign(acme: Tenant, browser: Any) -> None:  # noqa: F811
    # given: a recorded stage
    interview, lead, candidate = room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=LEAD_TOKEN,
        candidate_token=CANDIDATE_TOKEN,
        stage__tools_config={"video": True, "editor": False, "whiteboard": False, "chat": True, "recording": True},
        candidate__full_name="Grace Hopper",
    )
    with daphne_server() as base, media_process(base) as media:
        # when: both agree on the pre-join screen and join with camera and microphone
        _lc, lead_page, lead_errors = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        agree_and_join(lead_page)
        _cc, cand_page, cand_errors = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/")
        agree_and_join(cand_page)
        wait_for_video(lead_page, f"{remote_tile(lead_page, candidate)} video")

        # then: the recorder comes, and both pages show the sign (and no tile for it)
        for page in (lead_page, cand_page):
            expect(page.locator("#recording-indicator")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator("#recording-indicator")).to_have_text("Recording")
            expect(page.locator("#people .tile")).to_have_count(2)
        lead_page.wait_for_timeout(RECORD_FOR_MS)

        # when: the media process stops (it leaves every room and stores the files first)
        media.send_signal(signal.SIGTERM)
        assert media.wait(timeout=60) == 0
        # then: the sign goes away
        for page in (lead_page, cand_page):
            expect(page.locator("#recording-indicator")).to_be_hidden()
        assert lead_errors == []
        assert cand_errors == []

    # and: the consents were stored from the pages, and each camera is a playable file
    assert set(RecordingConsent.objects.filter(withdrawn_at=None).values_list("participant", flat=True)) == {
        lead.pk,
        candidate.pk,
    }
    recordings = {r.participant_id: r for r in Recording.objects.filter(interview=interview, kind="camera")}
    assert set(recordings) == {lead.pk, candidate.pk}
    for recording in recordings.values():
        assert recording.has_audio
        assert recording.has_video
        with storage.recording_open(recording) as handle, av.open(handle, "r") as container:
            times = [float(frame.time) for frame in container.decode(video=0) if frame.time is not None]
        assert times, recording
        assert times[-1] >= RECORD_FOR_MS / 1000 - 1
        assert recording.duration_ms >= RECORD_FOR_MS - 1000
