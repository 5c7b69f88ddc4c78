"""Recordings at rest: the chunked AEAD format, keys and rotation, the storage API on real files."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from celery import _state as celery_state
from celery.signals import before_task_publish
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import AuditLog
from interviews.models import Interview
from recordings import crypto, storage
from recordings.factories import InsightFactory, RecordingFactory, TranscriptSegmentFactory
from recordings.insights.services import interview_analyse
from recordings.models import Insight, Recording, RecordingSession, TranscriptSegment
from talentsync.celery import app as celery_app
from tests.conftest import Tenant
from tests.test_insights_fixtures import make_scene

SMALL_CHUNK = 1024  # many chunks from little data
KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


def webm_bytes(*, seconds: float = 2.0, fps: int = 10) -> bytes:
    """A real WebM (VP8 video + Opus audio) made with PyAV; noisy frames make it span many chunks."""
    noise = np.random.default_rng(8)
    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="webm") as container:
        video = container.add_stream("libvpx", rate=fps)
        video.width, video.height, video.pix_fmt = 240, 180, "yuv420p"
        video.bit_rate = 4_000_000
        video.gop_size = 5  # a key frame every half second, so players can seek
        audio = container.add_stream("libopus", rate=48000)
        audio.layout = "mono"
        frames = int(seconds * fps)
        for _ in range(frames):
            picture = noise.integers(0, 256, size=(180, 240, 3), dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        samples_per_frame = 960
        tone = (np.sin(np.arange(int(seconds * 48000)) * 2 * np.pi * 440 / 48000) * 0.3).astype(np.float32)
        for start in range(0, len(tone) - samples_per_frame + 1, samples_per_frame):
            frame = av.AudioFrame.from_ndarray(
                tone[None, start : start + samples_per_frame], format="flt", layout="mono"
            )
            frame.sample_rate = 48000
            frame.pts = start
            frame.time_base = Fraction(1, 48000)
            for packet in audio.encode(frame):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    return out_buf.getvalue()


def media_summary(source: object) -> tuple[float, int]:
    """(duration in seconds, number of decoded video frames) of a file path or file object."""
    with av.open(source) as container:  # type: ignore[call-overload]
        duration = float(container.duration or 0) / av.time_base
        frames = sum(1 for _ in container.decode(video=0))
    return duration, frames


@pytest.fixture
def recordings_root(settings, tmp_path: Path) -> Path:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    return settings.RECORDINGS_ROOT


@pytest.fixture
def sent_tasks() -> Iterator[list[tuple[str, list[Any], str]]]:
    """(task name, args, queue) of each task published; to an in-memory broker that nobody reads."""
    sent: list[tuple[str, list[Any], str]] = []

    def on_publish(sender: str, body: Any, routing_key: str = "", **kwargs: Any) -> None:
        args = body[0] if isinstance(body, tuple | list) else body.get("args")
        sent.append((sender, list(args), routing_key))

    eager, broker = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf["broker_url"] = "memory://"
    celery_app.close()  # a pool made earlier for another broker is not reused
    celery_state._register_app(celery_app)  # type: ignore[attr-defined]
    before_task_publish.connect(on_publish, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(on_publish)
        celery_app.conf.task_always_eager = eager
        celery_app.conf["broker_url"] = broker
        celery_app.close()
        celery_state._register_app(celery_app)  # type: ignore[attr-defined]


def insight_text(interview: Interview) -> str:
    """Every insight payload of the interview, as one JSON text."""
    return json.dumps([i.payload for i in Insight.objects.filter(interview=interview)], ensure_ascii=False)


# --- the format ------------------------------------------------------------------------------
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=6 * SMALL_CHUNK),
    reads=st.lists(st.tuples(st.integers(0, 7000), st.integers(0, 3000)), max_size=8),
)
def test_any_range_decrypts_to_the_same_bytes(data: bytes, reads: list[tuple[int, int]]) -> None:
    # given
    sealed = crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK)

    # when
    with crypto.DecryptingReader(io.BytesIO(sealed)) as reader:
        whole = reader.read()
        pieces = []
        for offset, length in reads:
            reader.seek(offset)
            pieces.append(reader.read(length))
        size = reader.seek(0, os.SEEK_END)

    # then
    assert whole == data
    assert size == len(data)
    assert pieces == [data[offset : offset + length] for offset, length in reads]


@pytest.mark.parametrize("length", [0, 1, SMALL_CHUNK - 1, SMALL_CHUNK, SMALL_CHUNK + 1, 3 * SMALL_CHUNK])
def test_sizes_at_chunk_boundaries_round_trip(length: int) -> None:
    # given
    data = os.urandom(length)

    # when
    sealed = crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK)

    # then
    assert crypto.decrypt_bytes(sealed) == data
    chunks = max(1, -(-length // SMALL_CHUNK))
    assert len(sealed) == crypto.HEADER_SIZE + length + chunks * crypto.TAG_SIZE


def test_the_same_plaintext_encrypts_differently_each_time() -> None:
    # given
    data = b"x" * 5000

    # when
    first, second = (crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK) for _ in range(2))

    # then: a fresh salt (so a fresh file key) per file
    assert first != second
    assert data[:64] not in first


@hypothesis_settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=1, max_size=4 * SMALL_CHUNK), where=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_flipped_bit_is_detected(data: bytes, where: int, bit: int) -> None:
    # given
    sealed = bytearray(crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK))
    sealed[where % len(sealed)] ^= 1 << bit

    # when / then: refused on open (header, last chunk) or when the damaged chunk is read
    with pytest.raises(crypto.RecordingCryptoError):
        crypto.decrypt_bytes(bytes(sealed))


def _chunks(sealed: bytes) -> tuple[bytes, list[bytes]]:
    stride = SMALL_CHUNK + crypto.TAG_SIZE
    body = sealed[crypto.HEADER_SIZE :]
    return sealed[: crypto.HEADER_SIZE], [body[i : i + stride] for i in range(0, len(body), stride)]


def test_truncation_reordering_and_splicing_are_detected() -> None:
    # given: a file of four chunks, and a second file under the same key
    data = os.urandom(3 * SMALL_CHUNK + 100)
    header, chunks = _chunks(crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK))
    other_header, other_chunks = _chunks(crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK))
    assert len(chunks) == 4
    damaged = {
        "cut at a chunk boundary": header + b"".join(chunks[:2]),
        "cut inside a chunk": header + b"".join(chunks)[:-7],
        "last chunk dropped, middle promoted": header + chunks[0] + chunks[1] + chunks[3],
        "two chunks swapped": header + chunks[1] + chunks[0] + chunks[2] + chunks[3],
        "a chunk repeated": header + chunks[0] + chunks[0] + chunks[2] + chunks[3],
        "a chunk from another file": header + other_chunks[0] + b"".join(chunks[1:]),
        "another file's header": other_header + b"".join(chunks),
        "header only": header,
        "empty": b"",
        "chunk size edited": header[:6] + (2048).to_bytes(4, "big") + header[10:] + b"".join(chunks),
    }

    # when
    accepted = []
    for name, blob in damaged.items():
        try:
            crypto.decrypt_bytes(blob)
        except crypto.RecordingCryptoError:
            continue
        accepted.append(name)

    # then
    assert accepted == []


def test_a_truncated_file_is_refused_when_opened_before_any_byte_is_read() -> None:
    # given
    data = os.urandom(3 * SMALL_CHUNK)
    header, chunks = _chunks(crypto.encrypt_bytes(data, chunk_size=SMALL_CHUNK))

    # when / then: the first chunk is intact, yet open() refuses the file
    with pytest.raises(crypto.RecordingCryptoError, match="chunk 1"):
        crypto.DecryptingReader(io.BytesIO(header + b"".join(chunks[:2])))


def test_not_a_recording_is_refused() -> None:
    with pytest.raises(crypto.RecordingCryptoError, match="magic"):
        crypto.decrypt_bytes(b"\x1aE\xdf\xa3" + os.urandom(200))


# --- keys ------------------------------------------------------------------------------------
def test_a_file_needs_its_own_key(settings) -> None:
    # given: a file written under key A
    settings.RECORDING_KEY = KEY_A
    sealed = crypto.encrypt_bytes(b"secret interview")

    # when: only key B is configured (and no development fallback)
    settings.RECORDING_KEY = KEY_B
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-production-secret-key-" + "x" * 40

    # then
    with pytest.raises(crypto.UnknownKeyError):
        crypto.decrypt_bytes(sealed)


@pytest.mark.parametrize("old_keys", [[KEY_A], KEY_A, f" {KEY_B} , {KEY_A} "])
def test_old_keys_still_decrypt_after_rotation_and_new_files_use_the_new_key(settings, old_keys: object) -> None:
    # given
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-production-secret-key-" + "x" * 40
    settings.RECORDING_KEY = KEY_A
    old_file = crypto.encrypt_bytes(b"before rotation")

    # when: B becomes the key, A moves to the old keys
    settings.RECORDING_KEY = KEY_B
    settings.RECORDING_OLD_KEYS = old_keys
    new_file = crypto.encrypt_bytes(b"after rotation")

    # then
    assert crypto.decrypt_bytes(old_file) == b"before rotation"
    with crypto.DecryptingReader(io.BytesIO(new_file)) as reader:
        assert reader.key_id == crypto.key_id(b"B" * 32)
    settings.RECORDING_OLD_KEYS = []
    assert crypto.decrypt_bytes(new_file) == b"after rotation"
    with pytest.raises(crypto.UnknownKeyError):
        crypto.decrypt_bytes(old_file)


def test_debug_without_a_key_derives_one_from_the_secret_key_with_a_purpose(settings) -> None:
    # given
    settings.DEBUG = True
    settings.RECORDING_KEY = ""

    # when
    key = crypto.current_key()

    # then: stable, 32 bytes, not the secret key itself, different for another SECRET_KEY
    assert key == crypto.current_key()
    assert len(key) == 32
    assert key not in settings.SECRET_KEY.encode()
    settings.SECRET_KEY = settings.SECRET_KEY + "-other"
    assert crypto.current_key() != key


@pytest.mark.django_db
def test_with_debug_off_no_key_is_derived_even_from_the_development_secret_key(settings, recordings_root: Path) -> None:
    # given: a file written in development (DEBUG on, no key), with the placeholder SECRET_KEY
    settings.SECRET_KEY = "django-insecure-local-development-only-key-do-not-use-in-production"
    settings.RECORDING_KEY = ""
    settings.DEBUG = True
    from_development = crypto.encrypt_bytes(b"made with the derived key")
    plain_path = storage.scratch_dir() / "camera.webm"
    plain_path.write_bytes(b"plaintext media")
    recording = RecordingFactory()

    # when: DEBUG is off, the SECRET_KEY still the placeholder, RECORDING_KEY not set
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="RECORDING_KEY must be set when DEBUG is off"):
        storage.recording_store(recording=recording, plain_path=plain_path)

    # then: nothing was written and the plaintext is kept; the derived key decrypts nothing either
    assert plain_path.read_bytes() == b"plaintext media"
    assert sorted(p.name for p in recordings_root.iterdir()) == ["scratch"]
    recording.refresh_from_db()
    assert recording.size_bytes == 0
    settings.RECORDING_KEY = KEY_A
    with pytest.raises(crypto.UnknownKeyError):
        crypto.decrypt_bytes(from_development)


def test_production_without_a_key_refuses_to_encrypt(settings) -> None:
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-production-secret-key-" + "x" * 40
    settings.RECORDING_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="RECORDING_KEY"):
        crypto.encrypt_bytes(b"x")


def test_generate_recording_key_prints_a_usable_key(capsys) -> None:
    # when
    call_command("generate_recording_key")
    first = capsys.readouterr().out.strip()
    call_command("generate_recording_key")
    second = capsys.readouterr().out.strip()

    # then
    assert len(crypto.key_parse(first)) == 32
    assert first != second


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_fails_the_system_check(settings, bad: str) -> None:
    settings.RECORDING_KEY = bad
    assert "recordings.E001" in [m.id for m in run_checks()]


def test_the_deploy_check_wants_a_key_when_debug_is_off(settings) -> None:
    # given
    settings.DEBUG = False
    settings.RECORDING_KEY = ""

    # then
    assert "recordings.E002" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.RECORDING_KEY = KEY_A
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "recordings.E002" not in ids
    assert "recordings.E001" not in ids


# --- storage on real files -----------------------------------------------------------------
@pytest.mark.django_db
def test_stored_recording_is_encrypted_on_disk_and_plays_when_decrypted(recordings_root: Path) -> None:
    # given: a real WebM the recorder left in the scratch directory
    media = webm_bytes(seconds=2.0)
    plain_path = storage.scratch_dir() / "camera.webm"
    plain_path.write_bytes(media)
    assert media_summary(str(plain_path))[1] == 20
    recording = RecordingFactory()

    # when
    storage.recording_store(recording=recording, plain_path=plain_path)

    # then: plaintext gone, ciphertext in place with owner-only rights, size recorded
    path = storage.recording_path(recording)
    assert not plain_path.exists()
    assert path.parent == recordings_root
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(storage.scratch_dir().stat().st_mode) == 0o700
    recording.refresh_from_db()
    assert recording.size_bytes == len(media)
    on_disk = path.read_bytes()
    assert media[:32] not in on_disk
    assert media[-32:] not in on_disk
    # the file on disk is not media
    with pytest.raises(av.error.InvalidDataError):
        media_summary(str(path))
    # the decrypted stream plays, seekably
    with storage.recording_open(recording) as handle:
        assert handle.seekable()
        assert handle.readable()
        assert not handle.writable()
        duration, frames = media_summary(handle)
    assert frames == 20
    assert duration == pytest.approx(2.0, abs=0.2)
    with storage.recording_open(recording) as handle:
        assert handle.read() == media


@pytest.mark.django_db
def test_pyav_can_seek_inside_the_decrypted_stream(recordings_root: Path) -> None:
    # given
    recording = RecordingFactory.with_file(plain=webm_bytes(seconds=3.0))

    # when
    with storage.recording_open(recording) as handle, av.open(handle) as container:
        stream = container.streams.video[0]
        container.seek(int(2.0 / stream.time_base), stream=stream, backward=True)
        first = next(container.decode(stream))

    # then
    assert first.time is not None
    assert 1.5 <= first.time <= 2.0


@pytest.mark.django_db
def test_deleting_a_recording_removes_its_file_and_transcript_and_is_audited(
    recordings_root: Path, sent_tasks: list[tuple[str, list[Any], str]], django_capture_on_commit_callbacks
) -> None:
    # given
    recording = RecordingFactory.with_file(plain=b"plain media bytes" * 100)
    TranscriptSegmentFactory.create_batch(3, recording=recording)
    other = TranscriptSegmentFactory()  # another recording's transcript stays
    path = storage.recording_path(recording)
    assert path.exists()
    actor = recording.participant.user

    # when
    with django_capture_on_commit_callbacks(execute=True):
        storage.recording_delete(recording=recording, actor=actor)
        storage.recording_delete(recording=recording, actor=actor)  # again: nothing more happens

    # then
    recording.refresh_from_db()
    assert recording.deleted_at is not None
    assert not path.exists()
    assert not TranscriptSegment.objects.filter(recording=recording).exists()
    assert TranscriptSegment.objects.filter(pk=other.pk).exists()
    assert RecordingSession.objects.get(pk=recording.session_id).status == RecordingSession.Status.DELETED
    audit = AuditLog.objects.get(action="recording.delete", target_id=str(recording.pk))
    assert audit.actor == actor
    assert audit.organization == recording.interview.organization
    assert audit.changes["segments"] == 3
    assert sent_tasks == [("recordings.analyse_interview", [recording.interview_id], "batch")]
    with pytest.raises(storage.RecordingUnavailable):
        storage.recording_open(recording)


@pytest.mark.django_db(transaction=True)
def test_a_deletion_that_is_rolled_back_keeps_the_file(recordings_root: Path) -> None:
    # given
    recording = RecordingFactory.with_file(plain=b"still needed" * 100)
    TranscriptSegmentFactory(recording=recording)
    path = storage.recording_path(recording)

    def delete_then_fail() -> None:
        with transaction.atomic():
            storage.recording_delete(recording=recording)
            raise RuntimeError("a later step of the same transaction failed")

    # when: the transaction the deletion ran in fails afterwards
    with pytest.raises(RuntimeError, match="later step"):
        delete_then_fail()

    # then: the rows are back, and so is the file they name
    recording.refresh_from_db()
    assert recording.deleted_at is None
    assert TranscriptSegment.objects.filter(recording=recording).count() == 1
    assert path.exists()
    with storage.recording_open(recording) as handle:
        assert handle.read() == b"still needed" * 100


@pytest.mark.django_db
def test_deleting_a_recording_drops_the_insights_quoting_its_transcript_and_analyses_again(
    acme: Tenant,
    recordings_root: Path,
    sent_tasks: list[tuple[str, list[Any], str]],
    django_capture_on_commit_callbacks,
) -> None:
    # given: an analysed interview whose summary quotes what the candidate said
    phrase = "I would put every number in a hash map"
    scene = make_scene(acme)
    scene.say(scene.lead, 0, 8, "Please find two numbers in the list that add up to the target.")
    scene.say(scene.candidate, 10, 18, f"{phrase} so each lookup is constant.")
    interview_analyse(interview_id=scene.interview.pk)
    assert phrase in insight_text(scene.interview)
    code = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.CODE)
    elsewhere = InsightFactory(payload={"label": "AI-generated", "highlights": [phrase], "questions": []})

    # when: the candidate's recording is deleted
    with django_capture_on_commit_callbacks(execute=True):
        storage.recording_delete(recording=scene.recordings[scene.candidate.pk])

    # then: its summary and engagement are gone at once, the code evaluation and other interviews stay
    kinds = set(Insight.objects.filter(interview=scene.interview).values_list("kind", flat=True))
    assert kinds == {Insight.Kind.CODE}
    assert Insight.objects.get(pk=code.pk).payload == code.payload
    assert Insight.objects.get(pk=elsewhere.pk).payload == elsewhere.payload
    assert sent_tasks == [("recordings.analyse_interview", [scene.interview.pk], "batch")]

    # when: the queued analysis runs
    (name, args, _queue) = sent_tasks[0]
    celery_app.tasks[name](*args)

    # then: made again from what is left, without a word of the deleted transcript
    assert Insight.objects.filter(interview=scene.interview).count() == 3
    assert Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY).status == Insight.Status.READY
    assert phrase not in insight_text(scene.interview)


@pytest.mark.django_db
def test_a_session_keeps_its_status_while_one_of_its_recordings_is_left(recordings_root: Path) -> None:
    # given
    first = RecordingFactory.with_file(plain=b"a")
    RecordingFactory.with_file(plain=b"b", session=first.session)

    # when
    storage.recording_delete(recording=first)

    # then
    assert RecordingSession.objects.get(pk=first.session_id).status == RecordingSession.Status.READY


@pytest.mark.django_db(transaction=True)
def test_a_recording_row_deleted_outright_takes_its_file_along(recordings_root: Path) -> None:
    # given
    recording = RecordingFactory.with_file(plain=b"bytes")
    path = storage.recording_path(recording)

    # when: its interview is deleted (cascade), committed
    recording.interview.delete()

    # then
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not path.exists()


@pytest.mark.django_db
def test_a_missing_file_is_reported_as_unavailable(recordings_root: Path) -> None:
    recording = RecordingFactory.with_file(plain=b"bytes")
    storage.recording_path(recording).unlink()
    with pytest.raises(storage.RecordingUnavailable):
        storage.recording_open(recording)


@pytest.mark.django_db
def test_recording_path_never_leaves_the_root(recordings_root: Path) -> None:
    for name in ("../escape.enc", "a/b.enc", ".hidden", ""):
        with pytest.raises(ValueError, match="unsafe"):
            storage.recording_path(Recording(file_name=name))
