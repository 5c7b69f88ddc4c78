"""Transcription through a real Celery worker: the task sent twice at once leaves one transcript."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings

from recordings.models import Recording, TranscriptSegment
from tests.test_reminders_worker import CELERY, database_url_of_this_test
from tests.test_transcription import KEY_WORDS, PHRASES, recording_with, speech_wav, webm_of, words_of

pytestmark = [pytest.mark.services, pytest.mark.slow]

# A Redis database of its own (reminders use 13, beat 14).
BROKER_URL = "redis://127.0.0.1:6379/10"
TASK = "recordings.transcribe_recording"
SUCCEEDED = re.compile(rf"Task {re.escape(TASK)}\[[0-9a-f-]+\] succeeded in ([0-9.]+)s: (\d+)")
RECORDING_KEY = base64.b64encode(b"transcription-worker-test-key-32"[:32]).decode()


@pytest.fixture
def broker() -> Iterator[str]:
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    yield BROKER_URL
    client.flushdb()
    client.close()


@pytest.fixture
def worker(transactional_db, broker: str, tmp_path: Path, settings) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``celery worker`` (2 processes, queue ``batch``) on the test database and the same recordings folder."""
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDING_KEY = RECORDING_KEY
    settings.TRANSCRIPTION_API_URL = ""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "RECORDINGS_ROOT": str(tmp_path / "recordings"),
        "RECORDING_KEY": RECORDING_KEY,
        "TRANSCRIPTION_API_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                CELERY, "-A", "talentsync", "worker", "-Q", "batch", "--pool", "prefork", "--concurrency", "2",
                "-I", "recordings.transcription.tasks", "-n", "test-transcription@%h", "--without-gossip",
                "--without-mingle", "-l", "info",
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    yield proc, log
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    print(f"----- worker (exit {proc.returncode}) -----\n{log.read_text(errors='replace')}")


def test_the_task_sent_twice_at_once_leaves_one_transcript_and_sends_the_analysis(
    worker: tuple[subprocess.Popen, Path], broker: str
) -> None:
    # given: an encrypted camera recording of espeak-ng speech, waiting for its transcript
    proc, log = worker
    recording = recording_with(webm_of(speech_wav(PHRASES)))

    # when: two senders queue its transcription, and both worker processes take one
    sender = Celery("test-sender", broker=broker)
    try:
        for _ in range(2):
            sender.send_task(TASK, args=[recording.pk], queue="batch")
    finally:
        sender.close()
    deadline = time.monotonic() + 240
    results: list[tuple[str, str]] = []
    while time.monotonic() < deadline and proc.poll() is None:
        results = SUCCEEDED.findall(log.read_text(errors="replace"))
        if len(results) == 2:
            break
        time.sleep(0.5)

    # then: both runs succeeded with the same count, and the transcript is there once
    assert proc.poll() is None, "the worker exited early (output below)"
    assert len(results) == 2, "both tasks should have finished (worker output below)"
    print("worker runs (seconds, segments):", results)
    counts = {int(count) for _seconds, count in results}
    recording.refresh_from_db()
    assert recording.transcript_status == Recording.TranscriptStatus.DONE, recording.transcript_error
    segments = TranscriptSegment.objects.filter(recording=recording)
    assert counts == {segments.count()}
    assert sorted(segments.values_list("index", flat=True)) == list(range(segments.count()))
    assert words_of(segments) >= KEY_WORDS
    # the last one to finish sent the interview's analysis to the batch queue
    assert "recordings.analyse_interview" in log.read_text(errors="replace")
