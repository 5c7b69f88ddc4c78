"""Transcription of recordings: espeak-ng speech in a WebM, PocketSphinx offline, an OpenAI-compatible server.

The speech comes from espeak-ng (Debian package) and is encoded the way the recorder writes
camera tracks (WebM: VP8 video + Opus audio at 48 kHz), then stored through the real
encryption. The OpenAI-compatible endpoint is a real HTTP server started here, standing in for
the remote service: it checks the request like the real one would and transcribes the WAV it
receives with PocketSphinx, so its answers carry real words and times.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
import pytest
from celery import _state as celery_state
from celery.signals import before_task_publish

from recordings import storage
from recordings.factories import MediaSettingsFactory, RecordingFactory
from recordings.models import MediaSettings, Recording, RecordingSession, TranscriptSegment
from recordings.transcription.audio import SAMPLE_RATE, pcm_stream
from recordings.transcription.engines.openai_api import endpoint_url, pieces_of
from recordings.transcription.engines.sphinx import PocketSphinxEngine
from recordings.transcription.services import recording_transcribe, recording_transcription_enqueue
from talentsync.celery import app as celery_app

# Phrases espeak-ng's en-us voice says in a way PocketSphinx's bundled model gets (mostly)
# right at 120-160 words per minute; the first one lets the decoder's cepstral mean settle.
PHRASES = [
    "hello there",
    "i have worked as a software engineer for five years",
    "one two three four five six",
    "thank you very much for your time",
]
KEY_WORDS = {"three", "four", "five", "years"}
ESPEAK_RATE = 140
API_KEY = "sk-test-transcription-123"


# --- media -----------------------------------------------------------------------------------------
def speech_wav(phrases: list[str], *, pause_ms: int = 1200, rate: int = ESPEAK_RATE) -> bytes:
    """espeak-ng's en-us voice saying ``phrases`` with a pause between them (a WAV file)."""
    ssml = "<speak>" + f'<break time="{pause_ms}ms"/>'.join(phrases) + "</speak>"
    espeak = shutil.which("espeak-ng")
    assert espeak, "espeak-ng is missing: apt-get install -y espeak-ng (scripts/system-packages.txt)"
    done = subprocess.run([espeak, "-m", "-v", "en-us", "-s", str(rate), "--stdout", ssml], capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def pcm48k_stereo(wav: bytes) -> np.ndarray:
    """The WAV's samples as 48 kHz stereo s16, shape (1, samples * 2) like PyAV's packed frames."""
    with av.open(io.BytesIO(wav), mode="r") as source:
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
        parts = [out.to_ndarray() for frame in source.decode(audio=0) for out in resampler.resample(frame)]
        parts += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(parts, axis=1)


def webm_of(
    wav: bytes | None, *, audio_offset_s: float = 0.0, lead_s: float = 0.5, tail_s: float = 1.0, video: bool = True
) -> bytes:
    """A camera-track WebM like the recorder's: VP8 video from 0 s, Opus audio from ``audio_offset_s``."""
    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="webm") as container:
        audio_stream = None
        if wav is not None:
            audio_stream = container.add_stream("libopus", rate=48000)
            audio_stream.layout = "stereo"
            pcm = pcm48k_stereo(wav)
            silence = lambda seconds: np.zeros((1, int(seconds * 48000) * 2), dtype=np.int16)  # noqa: E731
            pcm = np.concatenate([silence(lead_s), pcm, silence(tail_s)], axis=1)
            seconds = pcm.shape[1] / 2 / 48000
        else:
            seconds = 3.0
        if video:
            video_stream = container.add_stream("libvpx", rate=10)
            video_stream.width, video_stream.height, video_stream.pix_fmt = 64, 48, "yuv420p"
            for i in range(int((audio_offset_s + seconds) * 10)):
                picture = np.full((48, 64, 3), (i * 37) % 256, dtype=np.uint8)
                picture_frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                picture_frame.pts, picture_frame.time_base = i, Fraction(1, 10)
                for packet in video_stream.encode(picture_frame):
                    container.mux(packet)
            for packet in video_stream.encode():
                container.mux(packet)
        if audio_stream is not None:
            offset = int(audio_offset_s * 48000)
            step = 960  # 20 ms, one Opus frame
            for start in range(0, pcm.shape[1] // 2, step):
                chunk = np.ascontiguousarray(pcm[:, start * 2 : (start + step) * 2])
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
                frame.sample_rate = 48000
                frame.pts, frame.time_base = offset + start, Fraction(1, 48000)
                for packet in audio_stream.encode(frame):
                    container.mux(packet)
            for packet in audio_stream.encode():
                container.mux(packet)
    return out_buf.getvalue()


def duration_ms_of(data: bytes) -> int:
    with av.open(io.BytesIO(data), mode="r") as container:
        return int((container.duration or 0) / 1000)


@pytest.fixture(scope="module")
def speech_webm() -> bytes:
    return webm_of(speech_wav(PHRASES))


@pytest.fixture(autouse=True)
def _private_recordings_root(settings, tmp_path: Path) -> None:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.TRANSCRIPTION_API_URL = ""


def words_of(segments: Any) -> set[str]:
    return {word for segment in segments for word in segment.text.split()}


def make_recording(**kwargs: Any) -> Recording:
    """A recording row without a file (``RecordingFactory``, typed)."""
    return cast(Recording, RecordingFactory(**kwargs))


def recording_with(data: bytes, **kwargs: Any) -> Recording:
    return RecordingFactory.with_file(plain=data, duration_ms=duration_ms_of(data), **kwargs)


def stored_segments(recording: Recording) -> list[tuple[int, int, int, str, int | None, str]]:
    return list(
        TranscriptSegment.objects.filter(recording=recording)
        .order_by("index")
        .values_list("index", "start_ms", "end_ms", "text", "participant_id", "speaker_name")
    )


# --- offline engine through storage ------------------------------------------------------------------
def test_offline_engine_transcribes_an_encrypted_webm_with_its_key_words(db, speech_webm: bytes) -> None:
    # given: a camera recording of espeak-ng speech, encrypted at rest
    recording = recording_with(speech_webm)
    assert storage.recording_path(recording).read_bytes()[:4] != speech_webm[:4] == b"\x1a\x45\xdf\xa3"

    # when
    started = time.monotonic()
    count = recording_transcribe(recording_id=recording.pk)
    took = time.monotonic() - started

    # then: the key words are heard, in segments that follow each other inside the recording
    recording.refresh_from_db()
    print(f"transcribed {recording.duration_ms / 1000:.1f} s of audio in {took:.1f} s")
    assert recording.transcript_status == Recording.TranscriptStatus.DONE, recording.transcript_error
    assert recording.transcript_engine == "pocketsphinx-en-us"
    segments = list(TranscriptSegment.objects.filter(recording=recording).order_by("index"))
    assert count == len(segments) >= 3
    assert words_of(segments) >= KEY_WORDS, [s.text for s in segments]
    assert [s.index for s in segments] == list(range(len(segments)))
    for earlier, later in itertools.pairwise(segments):
        assert earlier.end_ms <= later.start_ms
    for segment in segments:
        assert 0 <= segment.start_ms < segment.end_ms <= recording.duration_ms
        assert segment.confidence is not None
        assert 0.0 <= segment.confidence <= 1.0
        assert segment.participant_id == recording.participant_id
        assert segment.speaker_name == recording.speaker_name != ""
        assert segment.interview_id == recording.interview_id
    counting = next(s for s in segments if "three" in s.text.split())
    years = next(s for s in segments if "years" in s.text.split())
    assert years.end_ms <= counting.start_ms  # said in the order they were spoken


def test_running_again_replaces_the_transcript_and_never_duplicates_it(db, speech_webm: bytes) -> None:
    # given: a transcribed recording
    recording = recording_with(speech_webm)
    first_count = recording_transcribe(recording_id=recording.pk)
    first = stored_segments(recording)

    # when: the task runs again (a redelivery, or a second send)
    second_count = recording_transcribe(recording_id=recording.pk)

    # then: the same segments, once
    assert second_count == first_count == len(first) > 0
    assert stored_segments(recording) == first
    assert TranscriptSegment.objects.filter(recording=recording).count() == first_count


def test_a_track_that_starts_late_keeps_the_recording_clock() -> None:
    # given: the same phrase, once with audio from 0 s and once starting 3 s into the file
    wav = speech_wav(["one two three four five six"])
    on_time = webm_of(wav)
    late = webm_of(wav, audio_offset_s=3.0)
    engine = PocketSphinxEngine()

    # when
    heard_on_time = engine.transcribe(pcm_stream(io.BytesIO(on_time)))
    heard_late = engine.transcribe(pcm_stream(io.BytesIO(late)))

    # then: the late speech is found 3 s later
    assert len(heard_on_time) == len(heard_late) == 1
    assert "three" in heard_late[0].text.split()
    assert abs((heard_late[0].start_ms - heard_on_time[0].start_ms) - 3000) <= 60
    assert heard_late[0].start_ms >= 3000


def test_the_decoder_streams_small_chunks_of_16khz_mono_pcm(speech_webm: bytes) -> None:
    # given: a WebM of about 14 s
    duration_ms = duration_ms_of(speech_webm)

    # when
    chunks = list(pcm_stream(io.BytesIO(speech_webm)))

    # then: 20 ms pieces as they are decoded, adding up to the file's length
    total_samples = sum(len(chunk) for chunk in chunks) // 2
    assert abs(total_samples * 1000 / SAMPLE_RATE - duration_ms) <= 50
    assert max(len(chunk) for chunk in chunks) <= SAMPLE_RATE // 10 * 2
    assert len(chunks) > 100


def test_a_long_monologue_is_cut_into_bounded_segments(speech_webm: bytes) -> None:
    # given: an engine that cuts utterances after 1.5 s
    engine = PocketSphinxEngine(max_utterance_seconds=1.5)

    # when
    segments = engine.transcribe(pcm_stream(io.BytesIO(speech_webm)))

    # then: more, shorter segments, still in order
    assert len(segments) > len(PHRASES)
    for segment in segments:
        assert segment.end_ms - segment.start_ms <= 1500 + 30
    assert [s.start_ms for s in segments] == sorted(s.start_ms for s in segments)


# --- skipped and failed -----------------------------------------------------------------------------
def test_a_recording_without_audio_is_skipped(db) -> None:
    # given: a screen recording flagged without audio, and a camera file whose audio track is missing
    flagged = make_recording(kind=Recording.Kind.SCREEN, has_audio=False)
    silent_file = recording_with(webm_of(None), has_audio=True)

    # when
    counts = [recording_transcribe(recording_id=r.pk) for r in (flagged, silent_file)]

    # then
    assert counts == [0, 0]
    for recording in (flagged, silent_file):
        recording.refresh_from_db()
        assert recording.transcript_status == Recording.TranscriptStatus.SKIPPED
        assert recording.transcript_error == "The recording has no sound."
        assert not TranscriptSegment.objects.filter(recording=recording).exists()


def test_transcription_switched_off_for_the_organization_is_skipped(db, speech_webm: bytes) -> None:
    # given: an organization that does not want transcripts
    recording = recording_with(speech_webm)
    MediaSettingsFactory(organization=recording.interview.organization, transcription_enabled=False)

    # when
    count = recording_transcribe(recording_id=recording.pk)

    # then
    recording.refresh_from_db()
    assert count == 0
    assert recording.transcript_status == Recording.TranscriptStatus.SKIPPED
    assert "switched off" in recording.transcript_error
    assert not TranscriptSegment.objects.filter(recording=recording).exists()


def test_media_settings_are_created_on_first_use(db, speech_webm: bytes) -> None:
    # given: an organization without media settings
    recording = recording_with(speech_webm)
    organization = recording.interview.organization
    assert not MediaSettings.objects.filter(organization=organization).exists()

    # when
    recording_transcribe(recording_id=recording.pk)

    # then: the defaults are in place (transcription on)
    assert MediaSettings.objects.get(organization=organization).transcription_enabled is True
    recording.refresh_from_db()
    assert recording.transcript_status == Recording.TranscriptStatus.DONE


def test_a_missing_or_unreadable_file_fails_with_a_clear_error(db) -> None:
    # given: a row whose file was never stored, and a file that is not media
    missing = make_recording()
    garbage = RecordingFactory.with_file(plain=b"this is not a webm file at all" * 100)

    # when
    for recording in (missing, garbage):
        recording_transcribe(recording_id=recording.pk)

    # then
    missing.refresh_from_db()
    garbage.refresh_from_db()
    assert missing.transcript_status == garbage.transcript_status == Recording.TranscriptStatus.FAILED
    assert missing.transcript_error == "The recording's file is missing or was deleted."
    assert garbage.transcript_error.startswith("cannot open the recording as media")


def test_a_deleted_recording_is_skipped_and_gets_no_transcript(db, speech_webm: bytes) -> None:
    # given: a recording deleted (file gone, row kept)
    recording = recording_with(speech_webm)
    storage.recording_delete(recording=recording)

    # when
    count = recording_transcribe(recording_id=recording.pk)

    # then
    recording.refresh_from_db()
    assert count == 0
    assert recording.transcript_status == Recording.TranscriptStatus.SKIPPED
    assert not TranscriptSegment.objects.filter(recording=recording).exists()


def test_an_unknown_recording_id_is_a_no_op(db) -> None:
    assert recording_transcribe(recording_id=987654321) == 0


# --- tasks sent on commit ---------------------------------------------------------------------------
@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Publish tasks for real to an in-memory broker nobody consumes, and record what went out."""
    recorded: list[dict[str, Any]] = []

    def record(sender: str, body: Any, routing_key: str = "", **kwargs: Any) -> None:
        args = body[0] if isinstance(body, tuple | list) else body.get("args")
        recorded.append({"task": sender, "args": list(args), "queue": routing_key})

    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf["broker_url"] = "memory://"
    before_task_publish.connect(record, weak=False)
    try:
        yield recorded
    finally:
        before_task_publish.disconnect(record)
        celery_app.conf.task_always_eager = saved[0]
        celery_app.conf["broker_url"] = saved[1]
        celery_app.close()
        celery_state._register_app(celery_app)  # type: ignore[attr-defined]


def test_the_analysis_is_sent_on_commit_after_the_last_recording_of_the_interview(
    db, published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    # given: an interview with two recordings waiting for their transcript (one has no sound)
    first = make_recording(has_audio=False)
    second = make_recording(has_audio=False, session=first.session)

    # when: the first one is done
    with django_capture_on_commit_callbacks(execute=True):
        recording_transcribe(recording_id=first.pk)

    # then: the analysis waits for the other one
    assert [p for p in published if p["task"] == "recordings.analyse_interview"] == []

    # when: the last one is done — nothing is sent before the commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recording_transcribe(recording_id=second.pk)
    assert published == []
    for callback in callbacks:
        callback()

    # then: one analysis of the interview, on the batch queue
    assert published == [{"task": "recordings.analyse_interview", "args": [first.interview_id], "queue": "batch"}]


def test_no_analysis_while_the_interview_is_still_being_recorded(
    db, published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    # given: the only recording so far, while the recorder still records another stretch
    recording = make_recording(has_audio=False)
    RecordingSession.objects.create(interview_id=recording.interview_id, status=RecordingSession.Status.RECORDING)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        recording_transcribe(recording_id=recording.pk)

    # then
    assert published == []


def test_enqueueing_sends_the_transcription_task_to_the_batch_queue_on_commit(
    db, published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    # given: a recording whose earlier transcription failed
    recording = make_recording(transcript_status=Recording.TranscriptStatus.FAILED, transcript_error="boom")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        recording_transcription_enqueue(recording=recording)

    # then
    recording.refresh_from_db()
    assert recording.transcript_status == Recording.TranscriptStatus.PENDING
    assert recording.transcript_error == ""
    assert published == [{"task": "recordings.transcribe_recording", "args": [recording.pk], "queue": "batch"}]


def test_a_transcription_whose_worker_was_lost_is_failed_and_the_analysis_goes_ahead(
    db, published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    # given: one recording left "running" three hours ago by a worker that died, one running now
    from datetime import timedelta

    from django.utils import timezone

    from recordings.transcription.services import transcriptions_stale_fail

    lost = make_recording(transcript_status=Recording.TranscriptStatus.RUNNING)
    Recording.objects.filter(pk=lost.pk).update(transcript_started_at=timezone.now() - timedelta(hours=3))
    busy = make_recording(transcript_status=Recording.TranscriptStatus.RUNNING)
    Recording.objects.filter(pk=busy.pk).update(transcript_started_at=timezone.now() - timedelta(minutes=5))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        failed = transcriptions_stale_fail(older_than=timedelta(hours=2, minutes=12))

    # then: only the lost one, with a reason, and its interview (nothing else waiting) is analysed
    lost.refresh_from_db()
    busy.refresh_from_db()
    assert failed == 1
    assert lost.transcript_status == Recording.TranscriptStatus.FAILED
    assert "worker was lost" in lost.transcript_error
    assert busy.transcript_status == Recording.TranscriptStatus.RUNNING
    assert published == [{"task": "recordings.analyse_interview", "args": [lost.interview_id], "queue": "batch"}]


def test_the_task_is_registered_under_its_contract_name() -> None:
    from recordings.transcription import tasks

    task = celery_app.tasks["recordings.transcribe_recording"]
    assert task.name == tasks.recording_transcribe_task.name
    assert task.acks_late is True
    assert task.soft_time_limit is not None
    assert task.time_limit is not None
    assert task.time_limit > task.soft_time_limit


# --- the OpenAI-compatible endpoint ---------------------------------------------------------------
@dataclass
class Received:
    path: str
    authorization: str
    fields: dict[str, str]
    file_name: str
    file_type: str
    wav_rate: int
    wav_channels: int
    wav_seconds: float


@dataclass
class FakeTranscriptionServer:
    """A real HTTP server speaking OpenAI's ``POST /v1/audio/transcriptions`` (multipart, verbose_json).

    ``plan`` says how to answer the next requests: "ok", "500", "429", "slow" (no answer for
    ``slow_seconds``); when it runs out, every request is answered "ok".
    """

    plan: list[str] = field(default_factory=list)
    slow_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any], **headers: str) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        behaviour = self.plan.pop(0) if self.plan else "ok"
        self.answered.append(behaviour)
        if behaviour == "slow":
            time.sleep(self.slow_seconds)
            return
        if handler.path != "/v1/audio/transcriptions":
            self.reply(handler, 404, {"error": {"message": "not found"}})
            return
        if handler.headers.get("Authorization") != f"Bearer {API_KEY}":
            self.reply(handler, 401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request"}})
            return
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {handler.headers.get('Content-Type')}\r\n\r\n".encode() + body
        )
        fields: dict[str, str] = {}
        audio = b""
        file_name = file_type = ""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = cast(bytes, part.get_payload(decode=True) or b"")
            if part.get_filename():
                audio, file_name, file_type = payload, part.get_filename() or "", part.get_content_type()
            else:
                fields[str(name)] = payload.decode()
        if not audio or fields.get("model") != "whisper-test":
            self.reply(handler, 400, {"error": {"message": "model and file are required"}})
            return
        with wave.open(io.BytesIO(audio)) as wav:
            rate, channels, frames = wav.getframerate(), wav.getnchannels(), wav.readframes(wav.getnframes())
        self.received.append(
            Received(
                path=handler.path,
                authorization=handler.headers.get("Authorization", ""),
                fields=fields,
                file_name=file_name,
                file_type=file_type,
                wav_rate=rate,
                wav_channels=channels,
                wav_seconds=len(frames) / 2 / rate,
            )
        )
        if behaviour == "500":
            self.reply(handler, 500, {"error": {"message": "The server had an error while processing your request."}})
            return
        if behaviour == "429":
            self.reply(handler, 429, {"error": {"message": "Rate limit reached"}}, Retry_After="0")
            return
        heard = PocketSphinxEngine().transcribe([frames])
        segments = [
            {
                "id": i,
                "start": s.start_ms / 1000,
                "end": s.end_ms / 1000,
                "text": " " + s.text,
                "avg_logprob": math.log(max(s.confidence or 0.01, 0.01)),
                "no_speech_prob": 0.01,
            }
            for i, s in enumerate(heard)
        ]
        self.reply(
            handler,
            200,
            {
                "task": "transcribe",
                "language": "english",
                "duration": len(frames) / 2 / rate,
                "text": " ".join(s.text for s in heard),
                "segments": segments,
            },
        )


@pytest.fixture
def api_server(settings) -> Iterator[FakeTranscriptionServer]:
    server = FakeTranscriptionServer()
    server.start()
    settings.TRANSCRIPTION_API_URL = server.base_url
    settings.TRANSCRIPTION_API_KEY = API_KEY
    settings.TRANSCRIPTION_MODEL = "whisper-test"
    settings.TRANSCRIPTION_TIMEOUT_SECONDS = 30
    settings.TRANSCRIPTION_MAX_RETRIES = 2
    yield server
    server.stop()


def test_the_endpoint_url_is_the_base_or_the_full_path() -> None:
    assert endpoint_url("https://api.openai.com/v1") == "https://api.openai.com/v1/audio/transcriptions"
    assert endpoint_url("https://api.openai.com/v1/") == "https://api.openai.com/v1/audio/transcriptions"
    assert endpoint_url("http://stt:8000/v1/audio/transcriptions") == "http://stt:8000/v1/audio/transcriptions"


def test_audio_is_cut_into_pieces_in_the_pauses(speech_webm: bytes) -> None:
    # given: the 14 s of speech and pieces of about 3 s
    chunks = list(pcm_stream(io.BytesIO(speech_webm)))
    total = sum(len(c) for c in chunks) // 2

    # when
    pieces = list(pieces_of(chunks, piece_seconds=3.0, max_extra_seconds=5.0))

    # then: contiguous pieces covering the whole stream, each ended in a pause (not at a hard cut)
    assert len(pieces) >= 3
    assert pieces[0].offset_ms == 0
    for earlier, later in itertools.pairwise(pieces):
        assert later.offset_ms == earlier.offset_ms + earlier.duration_ms
        assert 3000 <= earlier.duration_ms < 8000
    # (the last piece ends on a whole 30 ms frame)
    assert 0 <= sum(p.duration_ms for p in pieces) - total * 1000 // SAMPLE_RATE <= 30 + len(pieces)
    with wave.open(io.BytesIO(pieces[0].wav)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)


def test_the_openai_compatible_endpoint_transcribes_in_pieces_on_the_recording_clock(
    db, speech_webm: bytes, api_server: FakeTranscriptionServer, settings
) -> None:
    # given: the endpoint configured, pieces of about 4 s, and the offline transcript to compare with
    settings.TRANSCRIPTION_PIECE_SECONDS = 4
    offline = PocketSphinxEngine().transcribe(pcm_stream(io.BytesIO(speech_webm)))
    recording = recording_with(speech_webm)

    # when
    count = recording_transcribe(recording_id=recording.pk)

    # then: several requests, each as OpenAI expects it
    recording.refresh_from_db()
    assert recording.transcript_status == Recording.TranscriptStatus.DONE, recording.transcript_error
    assert recording.transcript_engine == "openai-compatible:whisper-test"
    assert len(api_server.received) >= 2
    for request in api_server.received:
        assert request.path == "/v1/audio/transcriptions"
        assert request.authorization == f"Bearer {API_KEY}"
        assert request.fields["model"] == "whisper-test"
        assert request.fields["response_format"] == "verbose_json"
        assert request.file_name.endswith(".wav")
        assert request.file_type == "audio/wav"
        assert (request.wav_rate, request.wav_channels) == (16000, 1)
    assert abs(sum(r.wav_seconds for r in api_server.received) * 1000 - recording.duration_ms) <= 100

    # ...and the segments are shifted onto the recording's clock
    segments = list(TranscriptSegment.objects.filter(recording=recording).order_by("index"))
    assert count == len(segments) > 0
    assert words_of(segments) >= KEY_WORDS, [s.text for s in segments]
    for earlier, later in itertools.pairwise(segments):
        assert earlier.start_ms <= later.start_ms
    for segment in segments:
        assert 0 <= segment.start_ms <= segment.end_ms <= recording.duration_ms
        assert segment.speaker_name == recording.speaker_name
    counting_api = next(s for s in segments if "three" in s.text.split())
    counting_offline = next(s for s in offline if "three" in s.text.split())
    assert abs(counting_api.start_ms - counting_offline.start_ms) <= 1000


def test_a_500_then_a_429_are_retried_until_the_endpoint_answers(
    db, speech_webm: bytes, api_server: FakeTranscriptionServer
) -> None:
    # given: an endpoint that fails twice before it answers
    api_server.plan = ["500", "429", "ok"]
    recording = recording_with(speech_webm)

    # when
    count = recording_transcribe(recording_id=recording.pk)

    # then
    recording.refresh_from_db()
    assert api_server.answered == ["500", "429", "ok"]
    assert recording.transcript_status == Recording.TranscriptStatus.DONE, recording.transcript_error
    assert count > 0
    assert words_of(TranscriptSegment.objects.filter(recording=recording)) >= KEY_WORDS


def test_an_endpoint_that_does_not_answer_in_time_fails_with_a_clear_error(
    db, speech_webm: bytes, api_server: FakeTranscriptionServer, settings
) -> None:
    # given: a read timeout of 0.5 s, one retry, and an endpoint that takes 3 s
    settings.TRANSCRIPTION_TIMEOUT_SECONDS = 0.5
    settings.TRANSCRIPTION_MAX_RETRIES = 1
    api_server.plan = ["slow", "slow"]
    recording = recording_with(speech_webm)

    # when
    count = recording_transcribe(recording_id=recording.pk)

    # then
    recording.refresh_from_db()
    assert count == 0
    assert api_server.answered == ["slow", "slow"]
    assert recording.transcript_status == Recording.TranscriptStatus.FAILED
    assert recording.transcript_error == (
        f"The transcription service at {api_server.base_url}/audio/transcriptions failed 2 times; "
        "last: no answer within 0.5 seconds"
    )
    assert not TranscriptSegment.objects.filter(recording=recording).exists()


def test_a_refused_request_is_not_retried_and_says_why(
    db, speech_webm: bytes, api_server: FakeTranscriptionServer, settings
) -> None:
    # given: a wrong API key
    settings.TRANSCRIPTION_API_KEY = "sk-wrong"
    recording = recording_with(speech_webm)

    # when
    recording_transcribe(recording_id=recording.pk)

    # then: one request, and the service's own words in the error
    recording.refresh_from_db()
    assert api_server.answered == ["ok"]
    assert recording.transcript_status == Recording.TranscriptStatus.FAILED
    assert recording.transcript_error == (
        "The transcription service refused the audio (HTTP 401): Incorrect API key provided"
    )


def test_a_failed_rerun_keeps_the_transcript_there_was(
    db, speech_webm: bytes, api_server: FakeTranscriptionServer, settings
) -> None:
    # given: a recording transcribed through the endpoint
    recording = recording_with(speech_webm)
    recording_transcribe(recording_id=recording.pk)
    before = stored_segments(recording)
    assert before

    # when: a re-run fails (the endpoint is down)
    settings.TRANSCRIPTION_MAX_RETRIES = 0
    api_server.plan = ["500"]
    recording_transcribe(recording_id=recording.pk)

    # then
    recording.refresh_from_db()
    assert recording.transcript_status == Recording.TranscriptStatus.FAILED
    assert "HTTP 500" in recording.transcript_error
    assert stored_segments(recording) == before
