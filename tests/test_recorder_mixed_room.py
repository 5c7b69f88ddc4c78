"""The recorder in a mixed room (docs/recording.md): two aiortc peers and two headless Chromiums
(fake camera and microphone) meet through a real daphne while the media process
(``manage.py run_media``, a real subprocess) records them.

Each camera's file is read back with PyAV and must last as long as that participant's camera was
in the recording, within a second, measured on this test's own timeline: the frames the
interviewer's aiortc peer, present from start to end, received (RECORDING_STATE, USER_JOINED,
USER_LEFT) and when. Participants come and go at different times, and the session ends with two
of them still in the room. Someone present who did not agree keeps everything from being recorded.
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from interviews.factories import ParticipantFactory
from interviews.models import Interview, Participant
from recordings.models import Recording, RecordingSession
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.recording_fixtures import (
    TOLERANCE_S,
    LoopThread,
    Peer,
    agree_and_join,
    consent,
    loop_thread,  # noqa: F401
    loopback_host_candidates,  # noqa: F401
    media_process,
    media_watching,
    read_back,
    recorded_room,
)
from tests.test_room_browser import WAIT_MS, browser, open_page, remote_tile, wait_for_video  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_host_candidates"),
]

LEAD_TOKEN = "mixed-lead-" + "l" * 30
PANEL_TOKEN = "mixed-panel-" + "p" * 30
CANDIDATE_TOKEN = "mixed-cand-" + "c" * 30
RECRUITER_TOKEN = "mixed-recr-" + "r" * 30
LEAD_VIDEO = (320, 240)
PANEL_VIDEO = (176, 144)
ALL_TOGETHER_MS = 4000
BETWEEN_LEAVES_MS = 2000
LOOKS = 4  # polls of the media process while someone without consent is present


@dataclass
class MixedRoom:
    interview: Interview
    lead: Participant  # aiortc
    panel: Participant  # aiortc
    candidate: Participant  # Chromium
    recruiter: Participant  # Chromium


@pytest.fixture
def mixed_room(acme: Tenant) -> MixedRoom:
    interview, lead, candidate = recorded_room(
        acme, lead_token=LEAD_TOKEN, candidate_token=CANDIDATE_TOKEN, candidate_name="Grace Hopper"
    )
    panel = cast(Participant, ParticipantFactory(interview=interview, user=acme.users["admin"], token=PANEL_TOKEN))
    recruiter = cast(
        Participant, ParticipantFactory(interview=interview, user=acme.users["recruiter"], token=RECRUITER_TOKEN)
    )
    consent(lead, panel)  # the pages agree (or not) on their pre-join screen
    return MixedRoom(interview=interview, lead=lead, panel=panel, candidate=candidate, recruiter=recruiter)


def peer_of(participant: Participant) -> str:
    return participant.peer_id.hex


def join_aiortc(loop: LoopThread, base: str, room: MixedRoom, token: str, video: tuple[int, int]) -> Peer:
    """An aiortc participant joins and offers to everyone there (the recorder too), like the page."""
    name = "lead" if token == LEAD_TOKEN else "panel"
    room_id = str(room.interview.room_id)
    peer = loop.run(Peer.open(name, base, room_id, token, video))
    for present in loop.run(peer.join(room_id)):
        loop.run(peer.offer(present["userId"]))
        loop.run(peer.connected(present["userId"]))
    return peer


def join_chromium(chromium: Browser, base: str, token: str, *, agree: bool) -> tuple[BrowserContext, Page, list[str]]:
    context, page, errors = open_page(chromium, f"{base}/join/{token}/")
    agree_and_join(page, agree=agree)
    return context, page, errors


def test_two_aiortc_peers_and_two_browsers_are_recorded_each_for_as_long_as_they_were_there(
    mixed_room: MixedRoom,
    browser: Browser,  # noqa: F811
    loop_thread: LoopThread,  # noqa: F811
) -> None:
    room = mixed_room
    with daphne_server() as base, media_process(base) as media:
        # given: the media process watches; the interviewer (aiortc) comes first, and it records them
        lead = join_aiortc(loop_thread, base, room, LEAD_TOKEN, LEAD_VIDEO)
        loop_thread.run(lead.until(lambda: bool(lead.recording())))
        recorder = lead.recorder_id()
        loop_thread.run(lead.connected(recorder))

        # when: a second aiortc peer and two Chromiums that agreed on the pre-join screen join
        panel = join_aiortc(loop_thread, base, room, PANEL_TOKEN, PANEL_VIDEO)
        cand_context, cand_page, cand_errors = join_chromium(browser, base, CANDIDATE_TOKEN, agree=True)
        recr_context, recr_page, recr_errors = join_chromium(browser, base, RECRUITER_TOKEN, agree=True)
        for page in (cand_page, recr_page):
            expect(page.locator("#recording-indicator")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator("#people .tile")).to_have_count(4)  # theirs and the three others: none for the recorder
            wait_for_video(page, f"{remote_tile(page, room.lead)} video")
        wait_for_video(cand_page, f"{remote_tile(cand_page, room.recruiter)} video")
        cand_page.wait_for_timeout(ALL_TOGETHER_MS)

        # and: the candidate's page closes, later the panel's peer leaves
        cand_context.close()
        loop_thread.run(lead.until(lambda: any(f["type"] == "USER_LEFT" for f in lead.frames)))
        recr_page.wait_for_timeout(BETWEEN_LEAVES_MS)
        loop_thread.run(panel.leave())
        loop_thread.run(lead.until(lambda: len([f for f in lead.frames if f["type"] == "USER_LEFT"]) == 2))
        recr_page.wait_for_timeout(BETWEEN_LEAVES_MS)

        # and: the media process stops with the interviewer and the recruiter still in the room
        media.send_signal(signal.SIGTERM)
        assert media.wait(timeout=60) == 0
        loop_thread.run(lead.until(lambda: len(lead.recording()) == 2))
        expect(recr_page.locator("#recording-indicator")).to_be_hidden()
        loop_thread.run(lead.leave())
        recr_context.close()
        assert cand_errors == []
        assert recr_errors == []

    # then: the interviewer was told once it records, once it stopped
    (on, started), (off, ended) = lead.recording()
    assert (on, off) == (True, False)
    # and: one session, a camera file per participant, as long as each was in the recording
    session = RecordingSession.objects.get(interview=room.interview)
    assert session.status == RecordingSession.Status.READY
    files = {r.participant_id: r for r in session.recordings.all()}
    assert set(files) == {room.lead.pk, room.panel.pk, room.candidate.pk, room.recruiter.pk}
    assert {r.kind for r in files.values()} == {"camera"}
    joined = {p.pk: lead.seen("USER_JOINED", peer_of(p)) for p in (room.panel, room.candidate, room.recruiter)}
    left = {p.pk: lead.seen("USER_LEFT", peer_of(p)) for p in (room.panel, room.candidate)}
    expected = {
        room.lead.pk: ended - started,
        room.panel.pk: left[room.panel.pk] - joined[room.panel.pk],
        room.candidate.pk: left[room.candidate.pk] - joined[room.candidate.pk],
        room.recruiter.pk: ended - joined[room.recruiter.pk],
    }
    readings = {pk: read_back(recording) for pk, recording in files.items()}
    for pk, seconds in expected.items():
        recording, playback = files[pk], readings[pk]
        # PyAV reads the decrypted file back: as long as that camera was in the recording
        assert abs(playback.duration - seconds) <= TOLERANCE_S, (pk, playback.duration, seconds)
        assert (playback.video_frames > 0, playback.audio_frames > 0) == (True, True), pk
        assert (recording.has_audio, recording.has_video) == (True, True), pk
        span = (recording.ended_at - recording.started_at).total_seconds()  # type: ignore[operator]
        assert abs(span - playback.duration) <= TOLERANCE_S, (pk, span, playback.duration)
    assert readings[room.lead.pk].sizes == {LEAD_VIDEO}
    assert readings[room.panel.pk].sizes == {PANEL_VIDEO}


def test_nothing_is_recorded_while_a_browser_that_did_not_agree_is_in_the_mixed_room(
    mixed_room: MixedRoom,
    browser: Browser,  # noqa: F811
    loop_thread: LoopThread,  # noqa: F811
) -> None:
    room = mixed_room
    with daphne_server() as base:
        # given: both aiortc peers, a Chromium that agreed and one that did not, in one room
        lead = join_aiortc(loop_thread, base, room, LEAD_TOKEN, LEAD_VIDEO)
        panel = join_aiortc(loop_thread, base, room, PANEL_TOKEN, PANEL_VIDEO)
        cand_context, cand_page, _cand_errors = join_chromium(browser, base, CANDIDATE_TOKEN, agree=True)
        recr_context, recr_page, _recr_errors = join_chromium(browser, base, RECRUITER_TOKEN, agree=False)
        wait_for_video(recr_page, f"{remote_tile(recr_page, room.candidate)} video")
        with media_process(base) as media:
            # when: the media process looks at the room several times
            media_watching(media)
            recr_page.wait_for_timeout(LOOKS * 500)

            # then: no recorder came, and nobody was told of a recording
            for page in (cand_page, recr_page):
                expect(page.locator("#recording-indicator")).to_be_hidden()
            assert "RECORDING_STATE" not in lead.kinds() + panel.kinds()
            assert not RecordingSession.objects.filter(interview=room.interview).exists()

            # when: the one who did not agree leaves
            left_at = timezone.now()
            recr_context.close()
            # then: the recorder comes for the others (so it was watching all along)
            loop_thread.run(lead.until(lambda: bool(lead.recording())))
            expect(cand_page.locator("#recording-indicator")).to_be_visible(timeout=WAIT_MS)
            cand_page.wait_for_timeout(1000)
            _stop(media)
        loop_thread.run(lead.leave())
        loop_thread.run(panel.leave())
        cand_context.close()

    # and: nothing of the one who did not agree, nothing from before they left
    recordings = Recording.objects.filter(interview=room.interview)
    assert {r.participant_id for r in recordings} == {room.lead.pk, room.panel.pk, room.candidate.pk}
    assert all(r.started_at >= left_at for r in recordings)


def _stop(media: subprocess.Popen[Any]) -> None:
    media.send_signal(signal.SIGTERM)
    assert media.wait(timeout=60) == 0
