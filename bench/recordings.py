"""Recordings benchmark (issue 8): encryption at rest, Range streaming, transcription, AI analysis.

What it measures, on one machine, in one run (``make bench`` runs it):

* encrypting a 64 MiB file into the chunked AES-256-GCM format (``recordings.crypto``), and
  reading it back whole, against plainly copying / reading the same bytes: the cost of
  encryption at rest;
* a seek: 256 KiB read at a random offset of the encrypted file against the plain one (what a
  video player's Range request costs);
* the streaming view end to end (``recording_media`` through Django's test client: signature,
  permission check, decryption): 1 MiB Range requests at random offsets;
* transcribing a synthesized 2-minute recording (espeak-ng speech in a VP8 + Opus WebM, the
  recorder's format) with the offline PocketSphinx engine: the real-time factor;
* the AI analysis of that interview (offline provider: summary, engagement, code evaluation
  without a coding problem, so no sandbox runs).

The issue names no targets for these, so the exit status is 0 unless something fails. The
database and files live in a temporary folder that is deleted afterwards.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
REPEAT = 40


def _median_ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


def _timed(action: Any) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def crypto_figures(folder: Path) -> None:
    from recordings import crypto

    plain = folder / "plain.bin"
    sealed = folder / "sealed.enc"
    plain.write_bytes(os.urandom(64 * MIB))
    size = plain.stat().st_size

    def encrypt() -> None:
        with plain.open("rb") as src, sealed.open("wb") as dst:
            crypto.encrypt_stream(src, dst)

    def copy() -> None:
        with plain.open("rb") as src, (folder / "copy.bin").open("wb") as dst:
            while block := src.read(MIB):
                dst.write(block)

    def read_sealed() -> None:
        with crypto.open_decrypted(sealed) as reader:
            while reader.read(MIB):
                pass

    def read_plain() -> None:
        with plain.open("rb") as reader:
            while reader.read(MIB):
                pass

    encrypt_s = min(_timed(encrypt) for _ in range(3))
    copy_s = min(_timed(copy) for _ in range(3))
    read_s = min(_timed(read_sealed) for _ in range(3))
    plain_s = min(_timed(read_plain) for _ in range(3))
    overhead = sealed.stat().st_size / size - 1
    print(f"encrypt 64 MiB      {size / MIB / encrypt_s:8.0f} MiB/s   (plain copy {size / MIB / copy_s:6.0f} MiB/s)")
    print(f"decrypt-read 64 MiB {size / MIB / read_s:8.0f} MiB/s   (plain read {size / MIB / plain_s:6.0f} MiB/s)")
    print(f"size overhead       {overhead * 100:8.3f} %")

    rng = random.Random(8)  # noqa: S311 - offsets to read, not secrets
    offsets = [rng.randrange(0, size - 256 * 1024) for _ in range(REPEAT * 5)]
    with crypto.open_decrypted(sealed) as reader:
        sealed_seeks = [_timed(lambda o=o: (reader.seek(o), reader.read(256 * 1024))) for o in offsets]
    with plain.open("rb") as raw:
        plain_seeks = [_timed(lambda o=o: (raw.seek(o), raw.read(256 * 1024))) for o in offsets]
    print(f"seek + read 256 KiB encrypted: {_median_ms(sealed_seeks)}")
    print(f"seek + read 256 KiB plain:     {_median_ms(plain_seeks)}")


def django_setup(folder: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="talentsync.settings",
        DEBUG="0",
        SECRET_KEY="bench-" + "k" * 50,
        ALLOWED_HOSTS="testserver,127.0.0.1",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3",
        VAR_DIR=str(folder / "var"),
        RECORDINGS_ROOT=str(folder / "recordings"),
        RECORDING_KEY="YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI=",
        SECURE_SSL_REDIRECT="0",
        REDIS_URL="",
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="0",
        CACHE_KEY_PREFIX="talentsync-bench-recordings",
    )
    import django

    django.setup()


def django_figures() -> None:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from accounts.factories import MembershipFactory, OrganizationFactory, UserFactory
    from accounts.models import Organization, Role, User
    from interviews.factories import InterviewFactory, ParticipantFactory
    from interviews.models import Interview, Participant
    from recordings import storage
    from recordings.demo import synthesize_recording
    from recordings.factories import RecordingFactory, RecordingSessionFactory
    from recordings.insights.services import interview_analyse
    from recordings.models import Recording
    from recordings.transcription.services import recording_transcribe
    from recordings.urls_signing import recording_signed_url

    call_command("migrate", verbosity=0, interactive=False)
    org = cast(Organization, OrganizationFactory(name="Bench", slug="bench"))
    recruiter = cast(User, UserFactory(email="recruiter@bench.test"))
    MembershipFactory(user=recruiter, organization=org, role=Role.RECRUITER)
    began = timezone.now() - timedelta(hours=1)
    interview = cast(
        Interview,
        InterviewFactory(organization=org, status=Interview.Status.COMPLETED, started_at=began, ended_at=began),
    )
    candidate = cast(Participant, ParticipantFactory(interview=interview, role=Participant.Role.CANDIDATE))

    # a 2-minute camera recording, speech every few seconds
    seconds = 120
    sentences = [
        "I would sort the meetings by their start time.",
        "Then I keep a heap of the end times of the rooms in use.",
        "Each meeting either reuses the room that frees up first or needs a new one.",
        "Sorting takes n log n time and every heap operation takes log n.",
        "So the whole solution runs in n log n time and linear space.",
        "Let me write a test with two overlapping meetings and one that starts later.",
    ]
    lines = [(2.0 + 20.0 * n, text) for n, text in enumerate(sentences)]
    from recordings.storage import scratch_dir

    webm = scratch_dir() / "bench-speech.webm"
    synthesize_recording(path=webm, name="Bench", colour=(30, 64, 120), lines=lines, seconds=seconds)
    size = webm.stat().st_size
    session = RecordingSessionFactory(interview=interview, started_at=began)
    recording = cast(
        Recording,
        RecordingFactory(
            session=session,
            participant=candidate,
            duration_ms=seconds * 1000,
            started_at=began,
            transcript_status=Recording.TranscriptStatus.PENDING,
        ),
    )
    storage.recording_store(recording=recording, plain_path=webm)
    print(f"\nsynthesized recording: {seconds} s, {size / MIB:.1f} MiB (VP8 + Opus WebM)")

    client = Client()
    client.force_login(recruiter)
    url = recording_signed_url(recording=recording, user=recruiter)
    rng = random.Random(9)  # noqa: S311 - offsets to read, not secrets
    chunk = min(MIB, size // 2)
    ranges = [rng.randrange(0, size - chunk) for _ in range(REPEAT)]

    def fetch(start: int) -> None:
        response = client.get(url, headers={"range": f"bytes={start}-{start + chunk - 1}"})
        if response.status_code != 206:
            raise RuntimeError(f"expected 206 Partial Content, got {response.status_code}")
        streamed = response.streaming_content if response.streaming else [response.content]  # type: ignore[attr-defined]
        body = b"".join(streamed)
        if len(body) != chunk:
            raise RuntimeError(f"expected {chunk} bytes, got {len(body)}")

    fetch(ranges[0])  # warm: first connection, imports
    samples = [_timed(lambda s=s: fetch(s)) for s in ranges]
    print(f"GET Range {chunk // 1024} KiB (view: signature, permission, decrypt): {_median_ms(samples)}")

    transcribe_s = _timed(lambda: recording_transcribe(recording_id=recording.pk))
    recording.refresh_from_db()
    print(
        f"transcription (PocketSphinx) of {seconds} s: {transcribe_s:.1f} s, real-time factor"
        f" {transcribe_s / seconds:.2f} ({recording.segments.count()} segments, status {recording.transcript_status})"
    )
    analyse = [_timed(lambda: interview_analyse(interview_id=interview.pk)) for _ in range(5)]
    print(f"AI analysis (offline, 3 insights): {_median_ms(analyse)}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="talentsync-bench-rec-") as name:
        folder = Path(name)
        django_setup(folder)
        crypto_figures(folder)
        django_figures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
