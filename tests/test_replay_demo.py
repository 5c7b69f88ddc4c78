"""The replay's demo data: a playable recorded interview, made once, whatever the number of runs."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from django.test import Client

from accounts.models import Role
from interviews.demo import seed_acme_hiring
from recordings import storage
from recordings.demo import RECORDING_SECONDS, SCRIPT, seed_recordings
from recordings.models import Recording, TranscriptSegment
from tests.conftest import Tenant

pytestmark = pytest.mark.slow


@pytest.fixture
def seeded(acme: Tenant, settings, tmp_path: Path) -> dict:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    seed_acme_hiring(
        organization=acme.org,
        recruiter=acme.users[Role.RECRUITER],
        interviewers=[acme.users[Role.INTERVIEWER], acme.users[Role.ADMIN]],
    )
    return seed_recordings(
        organization=acme.org, recruiter=acme.users[Role.RECRUITER], interviewer=acme.users[Role.INTERVIEWER]
    )


def test_the_demo_recordings_are_encrypted_playable_webm_of_the_expected_length(seeded: dict) -> None:
    # given
    recordings = list(Recording.objects.filter(interview_id=seeded["interview"]))
    # then one per participant, encrypted on disk, and PyAV plays the decrypted bytes
    names = {p.display_name for p in Recording.objects.get(pk=recordings[0].pk).interview.participants.all()}
    assert sorted(r.speaker_name for r in recordings) == sorted(names)
    assert len(recordings) == 2
    for recording in recordings:
        assert not storage.recording_path(recording).read_bytes().startswith(b"\x1a\x45\xdf\xa3")  # no EBML header
        with storage.recording_open(recording) as plain, av.open(plain) as container:
            assert abs(container.duration / 1_000_000 - RECORDING_SECONDS) <= 1
            assert {s.type for s in container.streams} == {"video", "audio"}


def test_the_demo_transcript_is_the_script_spoken(seeded: dict) -> None:
    # then every line of the script is a segment of its speaker's recording, in order
    segments = TranscriptSegment.objects.filter(interview_id=seeded["interview"]).select_related("recording")
    spoken = sorted((s.recording.started_at.timestamp() * 1000 + s.start_ms, s.text) for s in segments)
    assert [text for _at, text in spoken] == [text for _at, _who, text in SCRIPT]


def test_seeding_again_changes_nothing(acme: Tenant, seeded: dict) -> None:
    # given
    files = {r.pk: storage.recording_path(r).stat().st_mtime_ns for r in Recording.objects.all()}
    segments = list(TranscriptSegment.objects.values_list("pk", flat=True))
    # when
    again = seed_recordings(
        organization=acme.org, recruiter=acme.users[Role.RECRUITER], interviewer=acme.users[Role.INTERVIEWER]
    )
    # then
    assert again == seeded
    assert {r.pk: storage.recording_path(r).stat().st_mtime_ns for r in Recording.objects.all()} == files
    assert list(TranscriptSegment.objects.values_list("pk", flat=True)) == segments


def test_a_lost_demo_file_is_made_again(acme: Tenant, seeded: dict) -> None:
    # given the file of one recording went missing
    lost = Recording.objects.filter(interview_id=seeded["interview"]).first()
    assert lost is not None
    storage.recording_path(lost).unlink()
    # when
    seed_recordings(
        organization=acme.org, recruiter=acme.users[Role.RECRUITER], interviewer=acme.users[Role.INTERVIEWER]
    )
    # then
    with storage.recording_open(lost) as plain, av.open(plain) as container:
        assert abs(container.duration / 1_000_000 - RECORDING_SECONDS) <= 1


def test_the_demo_replay_opens_for_the_interviewer(acme: Tenant, seeded: dict) -> None:
    client = Client()
    client.force_login(acme.users[Role.INTERVIEWER])
    response = client.get(seeded["replay"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Given a list of meeting intervals" in page
    assert "privately to Grace Hopper" in page
