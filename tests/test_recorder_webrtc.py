"""The recorder peer records a room of two aiortc peers through a real daphne (docs/recording.md).

The peers (``tests.recording_fixtures.Peer``) behave like the room page. The recorder
(``recordings.recorder``, run by the media process's watcher in this test's event loop) joins with
its own credential, offers to both, and writes one WebM per camera and per screen share; the test
decrypts them through ``recordings.storage`` and reads them back with PyAV.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import pytest
from celery.signals import before_task_publish

from interviews.models import Interview, Participant
from recordings import storage
from recordings.models import Recording, RecordingSession
from recordings.recorder.watcher import MediaWatcher
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.recording_fixtures import (
    SCREEN_VIDEO,
    STEP,
    TOLERANCE_S,
    Peer,
    consent,
    loopback_host_candidates,  # noqa: F401
    read_back,
    recorded_room,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_host_candidates"),
]

LEAD_TOKEN = "recorder-lead-" + "l" * 30
CANDIDATE_TOKEN = "recorder-cand-" + "c" * 30
LEAD_VIDEO = (320, 240)
CANDIDATE_VIDEO = (176, 144)
WHOLE = 120.0
RECORDED_TOGETHER = 4.0  # seconds both peers are recorded before the screen share
SCREEN_FOR = 3.0
LEAD_ALONE = 2.0


@pytest.fixture
def published() -> Any:
    """Names and arguments of the Celery tasks sent while the test runs (a real Celery signal)."""
    sent: list[tuple[str, list[Any]]] = []

    def keep(sender: str | None = None, body: Any = None, **kwargs: Any) -> None:
        args = body[0] if isinstance(body, tuple | list) else []
        sent.append((str(sender), list(args)))

    before_task_publish.connect(keep, weak=False)
    yield sent
    before_task_publish.disconnect(keep)


def _room(acme: Tenant, *, consent_of: tuple[bool, bool] = (True, True)) -> tuple[Interview, Participant, Participant]:
    interview, lead, candidate = recorded_room(
        acme, lead_token=LEAD_TOKEN, candidate_token=CANDIDATE_TOKEN, candidate_name="Ada Lovelace"
    )
    consent(*(p for p, agrees in zip((lead, candidate), consent_of, strict=True) if agrees))
    return interview, lead, candidate


@dataclass
class Timeline:
    recording_from: float
    screen_from: float
    candidate_left: float
    lead_left: float
    lead_saw_recorder: dict[str, Any]
    lead_states: list[bool]
    sessions: list[int]


async def _recorded_call(base: str, room_id: str) -> Timeline:
    async with asyncio.timeout(WHOLE), contextlib.AsyncExitStack() as stack:
        lead = await Peer.open("interviewer", base, room_id, LEAD_TOKEN, LEAD_VIDEO)
        cand = await Peer.open("candidate", base, room_id, CANDIDATE_TOKEN, CANDIDATE_VIDEO)
        # given: the two in a call with each other
        assert await lead.join(room_id) == []
        assert [p["userId"] for p in await cand.join(room_id)] == [lead.self_id]
        await cand.offer(lead.self_id)
        await lead.until(lambda: lead.links.get(cand.self_id) is not None)
        await cand.until(lambda: cand.links[lead.self_id].connectionState == "connected")

        # when: the media process watches the room
        watcher = MediaWatcher(base_url=base, poll_seconds=0.3)
        watching = asyncio.create_task(watcher.run())
        stack.push_async_callback(lambda: asyncio.wait_for(asyncio.shield(watching), STEP))
        stack.callback(watcher.stop)

        # then: the recorder joins as a peer of role recorder, and both are told it records
        await lead.until(lambda: bool(lead.recording()))
        await cand.until(lambda: bool(cand.recording()))
        recording_from = lead.recording()[0][1]
        joined = [f["payload"] for f in lead.frames if f["type"] == "USER_JOINED"][-1]
        recorder_id = joined["userId"]
        # and: it connects to both (it offered; they answered)
        for peer in (lead, cand):
            await peer.connected(recorder_id)
        await asyncio.sleep(RECORDED_TOGETHER)

        # when: the candidate shares a screen, then leaves; the interviewer stays a while, then leaves
        screen_from = time.monotonic()
        await cand.share_screen(recorder_id)
        await cand.until(lambda: cand.links[recorder_id].signalingState == "stable")
        await asyncio.sleep(SCREEN_FOR)
        candidate_left = await cand.leave()
        await asyncio.sleep(LEAD_ALONE)
        states = [state for state, _at in lead.recording()]
        lead_left = await lead.leave()

        # then: the recorder leaves the empty room and stores the session
        async with asyncio.timeout(STEP * 2):
            while not watcher.sessions:  # noqa: ASYNC110 (the watcher has no event to wait on)
                await asyncio.sleep(0.1)
        return Timeline(
            recording_from=recording_from,
            screen_from=screen_from,
            candidate_left=candidate_left,
            lead_left=lead_left,
            lead_saw_recorder=joined,
            lead_states=states,
            sessions=list(watcher.sessions),
        )


def test_the_recorder_records_each_camera_and_screen_into_playable_files(acme: Tenant, published: Any) -> None:
    # given: a recorded stage, both participants consented
    interview, lead, candidate = _room(acme)
    with daphne_server() as base:
        # when
        timeline = asyncio.run(_recorded_call(base, str(interview.room_id)))

    # then: the browsers saw a peer of role recorder, and the recording state go on, then off
    assert timeline.lead_saw_recorder["userInfo"]["role"] == "recorder"
    assert timeline.lead_states == [True]
    # and: one stored session with the interviewer's camera, the candidate's camera and screen
    session = RecordingSession.objects.get(pk=timeline.sessions[0])
    assert session.status == RecordingSession.Status.READY
    files = {(r.participant_id, r.kind): r for r in session.recordings.all()}
    assert set(files) == {(lead.pk, "camera"), (candidate.pk, "camera"), (candidate.pk, "screen")}
    expected = {
        (lead.pk, "camera"): (timeline.lead_left - timeline.recording_from, LEAD_VIDEO, True),
        (candidate.pk, "camera"): (timeline.candidate_left - timeline.recording_from, CANDIDATE_VIDEO, True),
        (candidate.pk, "screen"): (timeline.candidate_left - timeline.screen_from, SCREEN_VIDEO, False),
    }
    for key, (seconds, size, with_audio) in expected.items():
        recording = files[key]
        playback = read_back(recording)
        duration = playback.duration
        # PyAV reads the decrypted file back: as long as it was recorded, showing what was sent
        assert abs(duration - seconds) <= TOLERANCE_S, (key, duration, seconds)
        assert abs(recording.duration_ms / 1000 - duration) <= 0.1
        assert playback.sizes == {size}, key
        assert (playback.audio_frames > 0, recording.has_audio, recording.has_video) == (with_audio, with_audio, True)
        assert recording.ended_at is not None
        span = (recording.ended_at - recording.started_at).total_seconds()
        assert abs(span - duration) <= TOLERANCE_S, (key, span, duration)
        assert recording.speaker_name == (lead.display_name if key[0] == lead.pk else "Ada Lovelace")
        # and: nothing but ciphertext on disk
        assert b"webm" not in storage.recording_path(recording).read_bytes()[:4096]
    # and: the recordings with audio are queued for transcription on the batch queue
    transcribed = sorted(args[0] for name, args in published if name == "recordings.transcribe_recording")
    assert transcribed == sorted(files[k].pk for k in [(lead.pk, "camera"), (candidate.pk, "camera")])


async def _call_without_recorder(base: str, room_id: str) -> tuple[list[str], list[str], int]:
    async with asyncio.timeout(WHOLE):
        lead = await Peer.open("interviewer", base, room_id, LEAD_TOKEN, LEAD_VIDEO)
        cand = await Peer.open("candidate", base, room_id, CANDIDATE_TOKEN, CANDIDATE_VIDEO)
        await lead.join(room_id)
        await cand.join(room_id)
        await cand.offer(lead.self_id)
        await cand.until(lambda: cand.links[lead.self_id].connectionState == "connected")
        watcher = MediaWatcher(base_url=base, poll_seconds=0.2)
        # when: the media process looks at the room several times
        for _ in range(5):
            await watcher.poll()
            await asyncio.sleep(0.2)
        started = len(watcher.recorders)
        watcher.stop()
        await watcher.run()
        kinds = (lead.kinds(), cand.kinds())
        await cand.leave()
        await lead.leave()
        return kinds[0], kinds[1], started


def test_nothing_is_recorded_while_someone_present_has_not_consented(acme: Tenant) -> None:
    # given: the candidate did not agree to be recorded (they may still join)
    interview, _lead, _candidate = _room(acme, consent_of=(True, False))
    with daphne_server() as base:
        # when
        lead_kinds, cand_kinds, started = asyncio.run(_call_without_recorder(base, str(interview.room_id)))
    # then: no recorder joined, nobody was told of a recording, nothing was stored
    assert started == 0
    assert "RECORDING_STATE" not in lead_kinds + cand_kinds
    assert not RecordingSession.objects.filter(interview=interview).exists()
    assert not Recording.objects.filter(interview=interview).exists()
