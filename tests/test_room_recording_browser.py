"""Recording end to end: two headless Chromiums (fake camera and microphone) agree on the pre-join
screen, join through a real daphne, and the media process (``manage.py run_media``, a real
subprocess) records them; both pages show the Recording sign while it runs, no tile for it.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import AuditLog
from interviews.models import Participant
from recordings.models import Recording, RecordingConsent, RecordingSession
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.recording_fixtures import agree_and_join, media_process, read_back, recorded_room
from tests.test_room_browser import WAIT_MS, browser, open_page, remote_tile, wait_for_video  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEAD_TOKEN = "rec-browser-lead-" + "l" * 30
CANDIDATE_TOKEN = "rec-browser-cand-" + "c" * 30
RECORD_FOR_MS = 4000
SESSION_MS = 3000


def _both_recorded(browser: Any, base: str, candidate: Participant) -> tuple[Page, list[str], Page, list[str]]:  # noqa: F811
    """Both agree on the pre-join screen, join with camera and microphone, see each other, and
    see the Recording sign once the recorder came."""
    _lc, lead_page, lead_errors = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
    agree_and_join(lead_page)
    _cc, cand_page, cand_errors = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/")
    agree_and_join(cand_page)
    wait_for_video(lead_page, f"{remote_tile(lead_page, candidate)} video")
    for page in (lead_page, cand_page):
        expect(page.locator("#recording-indicator")).to_be_visible(timeout=WAIT_MS)
    return lead_page, lead_errors, cand_page, cand_errors


@pytest.mark.django_db(transaction=True)
def test_two_browsers_that_agreed_are_recorded_and_see_the_recording_sign(acme: Tenant, browser: Any) -> None:  # noqa: F811
    # given: a recorded stage
    interview, lead, candidate = recorded_room(
        acme, lead_token=LEAD_TOKEN, candidate_token=CANDIDATE_TOKEN, candidate_name="Grace Hopper"
    )
    with daphne_server() as base, media_process(base) as media:
        # when: both agree on the pre-join screen and join with camera and microphone
        lead_page, lead_errors, cand_page, cand_errors = _both_recorded(browser, base, candidate)

        # then: the recorder comes, and both pages show the sign (and no tile for it)
        for page in (lead_page, cand_page):
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
        playback = read_back(recording)
        assert playback.video_frames > 0, recording
        assert playback.audio_frames > 0, recording
        assert playback.duration >= RECORD_FOR_MS / 1000 - 1
        assert recording.duration_ms >= RECORD_FOR_MS - 1000


@pytest.mark.django_db(transaction=True)
def test_withdrawing_consent_in_the_room_stops_the_recording_and_agreeing_again_starts_a_new_one(
    acme: Tenant,
    browser: Any,  # noqa: F811
) -> None:
    # given: two browsers that agreed are being recorded
    interview, lead, candidate = recorded_room(
        acme, lead_token=LEAD_TOKEN, candidate_token=CANDIDATE_TOKEN, candidate_name="Grace Hopper"
    )
    with daphne_server() as base, media_process(base) as media:
        lead_page, lead_errors, cand_page, cand_errors = _both_recorded(browser, base, candidate)
        cand_page.wait_for_timeout(SESSION_MS)

        # when: the candidate withdraws their consent from inside the room
        cand_page.get_by_role("button", name="Withdraw my consent to be recorded").click()
        # then: the recorder leaves, both pages see it, and the first session is stored
        for page in (lead_page, cand_page):
            expect(page.locator("#recording-indicator")).to_be_hidden()
        first = _stored_session(interview)
        assert not Recording.objects.filter(interview=interview).exclude(session=first).exists()

        # when: they agree again
        cand_page.get_by_role("button", name="Agree to be recorded").click()
        agreed_again_at = timezone.now()
        # then: the recorder comes back by itself: a new session
        for page in (lead_page, cand_page):
            expect(page.locator("#recording-indicator")).to_be_visible(timeout=WAIT_MS)
        cand_page.wait_for_timeout(SESSION_MS)
        media.send_signal(signal.SIGTERM)
        assert media.wait(timeout=60) == 0
        assert lead_errors == []
        assert cand_errors == []

    # and: two sessions, each with both cameras; the second began after the consent came back
    sessions = list(RecordingSession.objects.filter(interview=interview).order_by("pk"))
    assert [s.pk for s in sessions] == [first.pk, sessions[-1].pk]
    assert [s.status for s in sessions] == [RecordingSession.Status.READY] * 2
    for session in sessions:
        cameras = {r.participant_id: r for r in session.recordings.filter(kind="camera")}
        assert set(cameras) == {lead.pk, candidate.pk}
        for recording in cameras.values():
            assert read_back(recording).duration >= SESSION_MS / 1000 - 1
    assert first.ended_at is not None
    assert first.ended_at < agreed_again_at
    assert all(r.started_at >= agreed_again_at for r in sessions[1].recordings.all())
    # and: the candidate's consent is active again, the withdrawal and the new consent audited
    assert RecordingConsent.objects.get(participant=candidate).active
    actions = AuditLog.objects.filter(target_id=str(candidate.pk), action__startswith="recording.consent.")
    assert list(actions.order_by("pk").values_list("action", flat=True)) == [
        "recording.consent.give",
        "recording.consent.withdraw",
        "recording.consent.give",
    ]


def _stored_session(interview: Any) -> RecordingSession:
    """The interview's recording session, once the recorder stored it (it leaves first, then stores)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        session = RecordingSession.objects.filter(interview=interview).exclude(status="recording").first()
        if session is not None:
            return session
        assert time.monotonic() < deadline, "the session was not stored"
        time.sleep(0.1)
