"""Demo data of the replay for ``manage.py seed_demo``: safe to run again (finds before it creates).

A finished live-coding interview of Grace Hopper with Ivan Interviewer, about a hundred seconds
long, with everything the replay page shows: both people's recordings, their transcript, the code
editor's history, whiteboard drawings, chat (one private message), two code runs, integrity
events, the question asked, and — when the insights service is installed — the AI insights.

The recordings are made here rather than shipped: each is a card in the speaker's colour with
their name and a running clock (Pillow frames, VP8) and their lines spoken by espeak-ng (Opus),
in WebM as the recorder writes it, then encrypted through ``recordings.storage``. The transcript
is written from the known lines and their measured lengths: running speech recognition on
synthetic speech would take longer and only make the demo less exact.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User

#: the demo session, in seconds from its start: (when, who, line) — who is "interviewer" or "candidate"
SCRIPT: list[tuple[float, str, str]] = [
    (3.0, "interviewer", "Hello Grace, thanks for joining. Today we will solve a small coding problem together."),
    (10.0, "candidate", "Hi Ivan, thank you. I am ready."),
    (15.0, "interviewer", "Given a list of meeting intervals, return the minimum number of rooms needed."),
    (23.0, "candidate", "I would sort the meetings by start time and keep a heap of end times."),
    (31.0, "interviewer", "Sounds good. Please write it in the editor."),
    (36.0, "candidate", "I am writing the function now."),
    (55.0, "candidate", "Let me run it on the example."),
    (61.0, "interviewer", "Good. What is the time complexity?"),
    (66.0, "candidate", "Sorting takes n log n time, and the heap adds log n per meeting."),
    (78.0, "interviewer", "Can you sketch the timeline on the whiteboard?"),
    (89.0, "candidate", "These two meetings overlap, so we need two rooms."),
    (96.0, "interviewer", "Great, thank you Grace. That is all for today."),
]
#: the recorder joined this long after the start and recorded this long
RECORDING_FROM_S = 1.0
RECORDING_SECONDS = 102
SESSION_SECONDS = 105

#: the code editor: (seconds, who, text appended)
CODE: list[tuple[float, str, str]] = [
    (16.0, "interviewer", "# Minimum meeting rooms: intervals like [(0, 30), (5, 10), (15, 20)]\n"),
    (38.0, "candidate", "import heapq\n\n"),
    (41.0, "candidate", "def min_rooms(intervals):\n"),
    (44.0, "candidate", "    ends = []\n"),
    (46.5, "candidate", "    for start, end in sorted(intervals):\n"),
    (49.0, "candidate", "        if ends and ends[0] <= start:\n            heapq.heappop(ends)\n"),
    (52.0, "candidate", "        heapq.heappush(ends, end)\n    return len(ends)\n\n"),
    (54.0, "candidate", "print(min_rooms([(0, 30), (5, 10), (15, 20)]))\n"),
    (75.0, "candidate", "# O(n log n) time, O(n) memory\n"),
]
CHAT: list[tuple[float, str, bool, str]] = [
    (12.0, "interviewer", False, "The problem statement is at the top of the editor."),
    (40.0, "candidate", False, "May I use heapq?"),
    (42.0, "interviewer", True, "Yes, the standard library is fine."),
]
RUN_OUTPUT = "2\n"

COLOURS = {"interviewer": (37, 99, 235), "candidate": (4, 120, 87)}
SIZE = (320, 180)
FPS = 5
AUDIO_RATE = 48000


@dataclass(frozen=True)
class SpokenLine:
    """A line as it ended up in a synthesized recording: ms from the recording's start."""

    start_ms: int
    end_ms: int
    text: str


def _speak(text: str) -> tuple[bytes, int]:
    """espeak-ng's speech of ``text``: 16-bit mono PCM and its sample rate."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = subprocess.run(  # noqa: S603 - a fixed program, the text as one argument
        [espeak, "-v", "en-us", "-s", "165", "--stdout", text], check=True, capture_output=True, timeout=30
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        return reader.readframes(reader.getnframes()), reader.getframerate()


def _cards(name: str, colour: tuple[int, int, int], seconds: int) -> list[Any]:
    """One frame image per second: the speaker's name and the recording's clock on their colour."""
    from PIL import Image, ImageDraw, ImageFont

    big = ImageFont.load_default(size=30)
    small = ImageFont.load_default(size=20)
    images = []
    for second in range(seconds):
        image = Image.new("RGB", SIZE, colour)
        draw = ImageDraw.Draw(image)
        draw.text((SIZE[0] // 2, 70), name, fill=(255, 255, 255), font=big, anchor="mm")
        draw.text(
            (SIZE[0] // 2, 120), f"{second // 60}:{second % 60:02d}", fill=(255, 255, 255), font=small, anchor="mm"
        )
        images.append(image)
    return images


def synthesize_recording(
    *, path: Path, name: str, colour: tuple[int, int, int], lines: list[tuple[float, str]], seconds: int
) -> list[SpokenLine]:
    """Write a WebM (VP8 + Opus) of ``seconds``: a card with ``name`` and a clock, and ``lines`` spoken.

    ``lines`` are ``(seconds from the start, text)``; a line that would run into the next one
    starts after it instead. Returns where each line really is, in ms.
    """
    import av

    # the speech, laid out on one silent track
    rate = 0
    pcm = bytearray()
    spoken: list[SpokenLine] = []
    for at, text in lines:
        samples, rate = _speak(text)
        begin = max(int(at * rate), len(pcm) // 2)
        pcm.extend(b"\0" * (2 * begin - len(pcm)))
        pcm.extend(samples)
        spoken.append(SpokenLine(begin * 1000 // rate, (begin + len(samples) // 2) * 1000 // rate, text))
    rate = rate or 22050
    total = seconds * rate
    pcm = pcm[: 2 * total]
    pcm.extend(b"\0" * (2 * total - len(pcm)))

    with av.open(str(path), mode="w", format="webm") as container:
        # the options only take effect when given as the stream is made
        video = container.add_stream("libvpx", rate=FPS, options={"deadline": "realtime", "cpu-used": "8"})
        video.width, video.height = SIZE
        video.pix_fmt = "yuv420p"
        video.bit_rate = 150_000
        audio = container.add_stream("libopus", rate=AUDIO_RATE)
        audio.layout = "mono"
        audio.bit_rate = 32_000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
        cards = _cards(name, colour, seconds)
        frame_index = 0
        for second in range(seconds):
            for _ in range(FPS):
                frame = av.VideoFrame.from_image(cards[second])
                frame.pts = frame_index
                frame.time_base = Fraction(1, FPS)
                frame_index += 1
                container.mux(video.encode(frame))
            chunk = bytes(pcm[2 * second * rate : 2 * (second + 1) * rate])
            raw = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
            raw.planes[0].update(chunk)
            raw.sample_rate = rate
            raw.pts = second * rate
            raw.time_base = Fraction(1, rate)
            for resampled in resampler.resample(raw):
                container.mux(audio.encode(resampled))
        for resampled in resampler.resample(None):
            container.mux(audio.encode(resampled))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return spoken


def board_element(
    kind: str, ident: str, x: float, y: float, width: float, height: float, **extra: Any
) -> dict[str, Any]:
    """A whiteboard element as the room's board stores it (Excalidraw's JSON; defaults filled on load)."""
    return {
        "id": ident,
        "type": kind,
        "x": x,
        "y": y,
        "width": width,
        "height": height,
        "angle": 0,
        "strokeColor": "#1e1e1e",
        "backgroundColor": "transparent",
        "fillStyle": "solid",
        "strokeWidth": 2,
        "strokeStyle": "solid",
        "roughness": 1,
        "opacity": 100,
        "groupIds": [],
        "frameId": None,
        "roundness": None,
        "seed": sum(map(ord, ident)) * 7919 % 100_000 + 1,
        "version": 1,
        "versionNonce": 1,
        "isDeleted": False,
        "boundElements": None,
        "updated": 1,
        "link": None,
        "locked": False,
        **extra,
    }


def board_text(ident: str, x: float, y: float, text: str) -> dict[str, Any]:
    """A text on the whiteboard, as the room's board stores it."""
    return board_element(
        "text",
        ident,
        x,
        y,
        12 * len(text),
        25,
        text=text,
        originalText=text,
        fontSize=20,
        fontFamily=5,
        textAlign="left",
        verticalAlign="top",
        containerId=None,
        autoResize=True,
        lineHeight=1.25,
    )


#: the whiteboard: (seconds, who, element)
BOARD: list[tuple[float, str, dict[str, Any]]] = [
    (80.0, "candidate", board_element("rectangle", "meeting-a", 0, 0, 300, 50, backgroundColor="#a5d8ff")),
    (81.0, "candidate", board_text("label-a", 10, 12, "(0, 30)")),
    (83.0, "candidate", board_element("rectangle", "meeting-b", 50, 80, 60, 50, backgroundColor="#b2f2bb")),
    (84.0, "candidate", board_text("label-b", 55, 92, "(5, 10)")),
    (86.0, "candidate", board_element("rectangle", "meeting-c", 150, 80, 60, 50, backgroundColor="#b2f2bb")),
    (87.5, "candidate", board_text("label-c", 155, 92, "(15, 20)")),
    (91.0, "interviewer", board_text("answer", 0, 160, "2 rooms")),
]


def _yjs_log(
    people: dict[str, Any], start: datetime, edits: list[tuple[float, str, Any]], *, board: bool
) -> list[tuple[int | None, datetime, bytes]]:
    """The update log of a document edited by each person on their own replica, as in the room."""
    from pycrdt import Doc, Map, Text

    from interviews.services import documents

    replicas: dict[str, Doc[Any]] = {who: Doc() for who in people}
    updates: list[tuple[int | None, datetime, bytes]] = []
    for seconds, who, change in edits:
        doc = replicas[who]
        for other in replicas.values():  # everyone is in sync before the next edit
            doc.apply_update(other.get_update(doc.get_state()))
        before = doc.get_state()
        if board:
            doc.get("elements", type=Map)[change["id"]] = change
        else:
            text = doc.get(documents.SOURCE_TEXT, type=Text)
            text += change
        updates.append((people[who].pk, start + timedelta(seconds=seconds), doc.get_update(before)))
    return updates


def seed_recordings(*, organization: Organization, recruiter: User, interviewer: User) -> dict[str, Any]:
    """The replay demo interview (created once); returns ``{"interview": id, "replay": path}``.

    Needs the hiring demo (``interviews.demo.seed_acme_hiring``) first: it uses its candidate
    Grace Hopper and the "Live coding" stage of the "Backend engineering" pipeline.
    """
    from interviews.models import Candidate, Interview, PipelineStage

    grace = Candidate.objects.get(organization=organization, email="grace@example.test")
    stage = PipelineStage.objects.get(
        pipeline__organization=organization, pipeline__name="Backend engineering", name="Live coding"
    )
    interview = (
        Interview.objects.filter(candidate=grace, stage=stage, recording_sessions__isnull=False).distinct().first()
    )
    if interview is None:
        interview = _seed_interview(grace=grace, stage=stage, recruiter=recruiter, interviewer=interviewer)
    _ensure_recordings(interview)
    _analyse(interview)
    return {"interview": interview.pk, "replay": reverse("interview_replay", args=[interview.pk])}


def _seed_interview(*, grace: Any, stage: Any, recruiter: User, interviewer: User) -> Any:
    from assessments.models import CodeRun, IntegrityEvent
    from interviews import services
    from interviews.models import ChatMessage, Interview, InterviewQuestionPlan, Participant, RoomDocument
    from interviews.services import documents
    from recordings.models import RecordingConsent, RecordingSession

    start = (timezone.now() - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    interview, _tokens = services.interview_schedule(
        candidate=grace, stage=stage, scheduled_at=start, interviewers=[interviewer], actor=recruiter
    )
    Interview.objects.filter(pk=interview.pk).update(
        status=Interview.Status.COMPLETED, started_at=start, ended_at=start + timedelta(seconds=SESSION_SECONDS)
    )
    interview.refresh_from_db()
    people = {
        "interviewer": interview.participants.get(role=Participant.Role.INTERVIEWER),
        "candidate": interview.participants.get(role=Participant.Role.CANDIDATE),
    }
    at = lambda seconds: start + timedelta(seconds=seconds)  # noqa: E731

    for participant in people.values():
        RecordingConsent.objects.create(
            participant=participant,
            interview=interview,
            granted_at=start - timedelta(minutes=1),
            consent_text="I agree that this interview is recorded and transcribed (demo).",
        )
    RecordingSession.objects.create(
        interview=interview,
        status=RecordingSession.Status.READY,
        started_at=at(RECORDING_FROM_S),
        ended_at=at(RECORDING_FROM_S + RECORDING_SECONDS),
    )
    code = RoomDocument.objects.create(interview=interview, name=RoomDocument.Name.CODE, language="python")
    documents.document_append(document_id=code.pk, updates=_yjs_log(people, start, list(CODE), board=False))
    board = RoomDocument.objects.create(interview=interview, name=RoomDocument.Name.WHITEBOARD)
    documents.document_append(document_id=board.pk, updates=_yjs_log(people, start, list(BOARD), board=True))
    for seconds, who, private, text in CHAT:
        other = people["candidate" if who == "interviewer" else "interviewer"]
        ChatMessage.objects.create(
            interview=interview,
            sender=people[who],
            recipient=other if private else None,
            text=text,
            sent_at=at(seconds),
        )
    source = "".join(text for _s, _w, text in CODE[:-1])
    CodeRun.objects.create(
        interview=interview,
        participant=people["candidate"],
        source=CodeRun.Source.ROOM,
        language="python",
        code=source,
        verdict="OK",
        stdout=RUN_OUTPUT,
        exit_code=0,
        wall_ms=31,
        created_at=at(57),
    )
    CodeRun.objects.create(
        interview=interview,
        participant=people["interviewer"],
        source=CodeRun.Source.ROOM_TESTS,
        language="python",
        code=source,
        verdict="OK",
        passed=3,
        total=3,
        wall_ms=88,
        created_at=at(72),
    )
    for seconds, kind, detail in (
        (44.0, IntegrityEvent.Kind.TAB_HIDDEN, {}),
        (47.5, IntegrityEvent.Kind.TAB_VISIBLE, {}),
        (52.0, IntegrityEvent.Kind.PASTE, {"length": 36}),
    ):
        IntegrityEvent.objects.create(
            interview=interview, participant=people["candidate"], kind=kind, detail=detail, occurred_at=at(seconds)
        )
    InterviewQuestionPlan.objects.filter(interview=interview).update(asked_at=at(15))
    return interview


def _ensure_recordings(interview: Any) -> None:
    """Each participant's recording and transcript; a recording whose file went missing is made again."""
    from interviews.models import Participant
    from recordings import storage
    from recordings.models import Recording, TranscriptSegment

    session = interview.recording_sessions.first()
    for participant in interview.participants.select_related("user", "candidate").order_by("role"):
        who = "candidate" if participant.role == Participant.Role.CANDIDATE else "interviewer"
        recording = Recording.objects.filter(
            interview=interview, participant=participant, deleted_at__isnull=True
        ).first()
        if recording is not None and storage.recording_path(recording).exists():
            continue
        with tempfile.TemporaryDirectory(dir=storage.scratch_dir()) as scratch:
            plain = Path(scratch) / "demo.webm"
            lines = [(when - RECORDING_FROM_S, text) for when, speaker, text in SCRIPT if speaker == who]
            spoken = synthesize_recording(
                path=plain, name=participant.display_name, colour=COLOURS[who], lines=lines, seconds=RECORDING_SECONDS
            )
            if recording is None:
                recording = Recording(
                    session=session,
                    interview=interview,
                    participant=participant,
                    speaker_name=participant.display_name,
                    kind=Recording.Kind.CAMERA,
                    has_audio=True,
                    has_video=True,
                    duration_ms=RECORDING_SECONDS * 1000,
                    started_at=session.started_at,
                    ended_at=session.started_at + timedelta(seconds=RECORDING_SECONDS),
                )
            storage.recording_store(recording=recording, plain_path=plain)
        TranscriptSegment.objects.filter(recording=recording).delete()
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(
                recording=recording,
                interview=interview,
                participant=participant,
                speaker_name=participant.display_name,
                index=index,
                start_ms=line.start_ms,
                end_ms=line.end_ms,
                text=line.text,
                confidence=1.0,
            )
            for index, line in enumerate(spoken)
        )
        Recording.objects.filter(pk=recording.pk).update(
            transcript_status=Recording.TranscriptStatus.DONE, transcript_engine="demo script"
        )


def _analyse(interview: Any) -> None:
    """The AI insights, by the offline provider, if the insights service is installed and none exist yet."""
    from recordings.models import Insight

    if Insight.objects.filter(interview=interview).exists():
        return
    try:
        from recordings.insights.services import interview_analyse
    except ImportError:  # the insights part is not installed in this checkout
        return
    interview_analyse(interview_id=interview.pk)
