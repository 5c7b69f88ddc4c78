"""Fixtures of the replay tests (this module holds no tests).

A finished Acme interview of Grace Hopper with Acme's interviewer on the panel, built part by
part on one clock: a recording per person starting two seconds before the interview's
``started_at`` (so the session starts with the recordings), transcript segments, code typed by
both, whiteboard shapes, chat (one private message), runs, integrity events, the question asked,
and an AI summary citing some of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Role, User
from assessments.models import CodeRun, IntegrityEvent
from interviews.factories import InterviewFactory, ParticipantFactory, QuestionFactory
from interviews.models import ChatMessage, Interview, InterviewQuestionPlan, Participant, RoomDocument
from interviews.services import documents
from recordings import demo
from recordings.factories import InsightFactory, RecordingFactory, RecordingSessionFactory, TranscriptSegmentFactory
from recordings.models import Insight, Recording, TranscriptSegment
from tests.conftest import Tenant

START = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
#: the recordings start this long before the interview's started_at: the session's zero
LEAD_MS = 2000
HIDDEN_INPUT = "HIDDEN-TEST-INPUT-9731"


def at(ms: int) -> datetime:
    """An instant ``ms`` after the session's start."""
    return START + timedelta(milliseconds=ms)


@dataclass
class Scene:
    interview: Interview
    interviewer: User
    candidate_user: User
    lead: Participant
    candidate: Participant
    recordings: list[Recording] = field(default_factory=list)
    segments: list[TranscriptSegment] = field(default_factory=list)
    #: (ms on the session clock, text of the editor from then on)
    code: list[tuple[int, str]] = field(default_factory=list)
    runs: list[CodeRun] = field(default_factory=list)


#: what each one says, (ms from their recording's start, end ms, text)
LINES = {
    "interviewer": [
        (1000, 4000, "Welcome, please reverse a linked list."),
        (14000, 17000, "What is the complexity of that?"),
    ],
    "candidate": [
        (6000, 9000, "I will walk the list with two pointers."),
        (19000, 23000, "It is linear time with a hash map free approach."),
    ],
}
#: (ms on the session clock, who, text appended to the editor)
TYPING = [
    (5000, "interviewer", "# reverse a linked list\n"),
    (10000, "candidate", "def reverse(head):\n"),
    (12000, "candidate", "    prev = None\n"),
    (21000, "candidate", "    return prev\n"),
]


def build_scene(
    acme: Tenant, *, with_files: bool = False, seconds: int = 30, insights: bool = True, candidate_from_ms: int = 0
) -> Scene:
    """The scene; ``with_files`` gives each recording a real, playable WebM of ``seconds``.

    The candidate's recording starts ``candidate_from_ms`` after the interviewer's.
    """
    from pycrdt import Doc, Map, Text

    candidate_user = acme.users[Role.CANDIDATE]
    question = QuestionFactory(organization=acme.org, question_text="Reverse a singly linked list.")
    interview = InterviewFactory(
        organization=acme.org,
        scheduled_at=START,
        started_at=at(LEAD_MS),
        ended_at=at(seconds * 1000),
        status=Interview.Status.COMPLETED,
        candidate__full_name="Grace Hopper",
        candidate__email=candidate_user.email,
        candidate__user=candidate_user,
    )
    InterviewQuestionPlan.objects.create(interview=interview, question=question, order=1, asked_at=at(1000))
    lead = ParticipantFactory(interview=interview, user=acme.users[Role.INTERVIEWER])
    candidate = ParticipantFactory(
        interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE
    )
    scene = Scene(interview, acme.users[Role.INTERVIEWER], candidate_user, lead, candidate)
    people = {"interviewer": lead, "candidate": candidate}

    session = RecordingSessionFactory(interview=interview, started_at=at(0), ended_at=at(seconds * 1000))
    for who, participant in people.items():
        fields: dict[str, Any] = {
            "session": session,
            "participant": participant,
            "speaker_name": participant.display_name,
            "duration_ms": seconds * 1000,
            "started_at": at(candidate_from_ms if who == "candidate" else 0),
        }
        if with_files:
            import tempfile
            from pathlib import Path

            from recordings import storage

            with tempfile.TemporaryDirectory(dir=storage.scratch_dir()) as scratch:
                plain = Path(scratch) / "clip.webm"
                demo.synthesize_recording(
                    path=plain,
                    name=participant.display_name,
                    colour=demo.COLOURS[who],
                    lines=[(start / 1000, text) for start, _end, text in LINES[who]],
                    seconds=seconds,
                )
                recording = storage.recording_store(recording=RecordingFactory.build(**fields), plain_path=plain)
        else:
            recording = RecordingFactory(**fields)
        scene.recordings.append(recording)
        for index, (start, end, text) in enumerate(LINES[who]):
            scene.segments.append(
                TranscriptSegmentFactory(recording=recording, index=index, start_ms=start, end_ms=end, text=text)
            )

    # the code editor, each person on their own replica
    replicas = {who: Doc() for who in people}
    updates = []
    text_now = ""
    for ms, who, change in TYPING:
        doc = replicas[who]
        for other in replicas.values():
            doc.apply_update(other.get_update(doc.get_state()))
        before = doc.get_state()
        source = doc.get(documents.SOURCE_TEXT, type=Text)
        source += change
        text_now += change
        updates.append((people[who].pk, at(ms), doc.get_update(before)))
        scene.code.append((ms, text_now))
    code = RoomDocument.objects.create(interview=interview, name=RoomDocument.Name.CODE, language="python")
    documents.document_append(document_id=code.pk, updates=updates)

    board = Doc()
    board_updates = []
    for ms, element, x in ((15000, "box-one", 0), (18000, "box-two", 140)):
        before = board.get_state()
        board.get("elements", type=Map)[element] = demo.board_element("rectangle", element, x, 0, 100, 60)
        board_updates.append((candidate.pk, at(ms), board.get_update(before)))
    document = RoomDocument.objects.create(interview=interview, name=RoomDocument.Name.WHITEBOARD)
    documents.document_append(document_id=document.pk, updates=board_updates)

    ChatMessage.objects.create(interview=interview, sender=lead, text="Take your time.", sent_at=at(8000))
    ChatMessage.objects.create(
        interview=interview, sender=lead, recipient=candidate, text="Psst: a private note.", sent_at=at(9000)
    )
    scene.runs.append(
        CodeRun.objects.create(
            interview=interview,
            participant=candidate,
            source=CodeRun.Source.ROOM,
            language="python",
            code="print(1)",
            verdict="OK",
            stdout="first-run-output\n",
            created_at=at(13000),
        )
    )
    scene.runs.append(
        CodeRun.objects.create(
            interview=interview,
            participant=lead,
            source=CodeRun.Source.ROOM_TESTS,
            language="python",
            code="print(2)",
            verdict="WRONG_ANSWER",
            passed=1,
            total=2,
            results=[{"input": HIDDEN_INPUT, "hidden": True}],
            created_at=at(22000),
        )
    )
    IntegrityEvent.objects.create(
        interview=interview,
        participant=candidate,
        kind=IntegrityEvent.Kind.PASTE,
        detail={"length": 42},
        occurred_at=at(11000),
    )
    if insights:
        InsightFactory(
            interview=interview,
            kind=Insight.Kind.SUMMARY,
            payload={
                "label": "AI-generated",
                "highlights": [
                    {
                        "text": "Explained the two-pointer idea clearly.",
                        "cites": [
                            {
                                "kind": "transcript",
                                "at": at(6000).isoformat(),
                                "label": "Grace Hopper: two pointers",
                                "segmentId": scene.segments[2].pk,
                            }
                        ],
                    }
                ],
                "questions": [
                    {
                        "questionId": question.pk,
                        "questionText": question.question_text,
                        "askedAt": at(1000).isoformat(),
                        "strengths": [
                            {
                                "text": "Ran the code early.",
                                "cites": [
                                    {
                                        "kind": "run",
                                        "at": at(13000).isoformat(),
                                        "label": "Run",
                                        "runId": scene.runs[0].pk,
                                    }
                                ],
                            }
                        ],
                        "weaknesses": [
                            {"text": "One test failed.", "cites": [{"kind": "run", "at": "not a time", "label": "x"}]}
                        ],
                    }
                ],
            },
        )
        InsightFactory(
            interview=interview,
            kind=Insight.Kind.ENGAGEMENT,
            payload={
                "label": "AI-generated",
                "speakers": [
                    {
                        "participantId": candidate.pk,
                        "name": "Grace Hopper",
                        "role": "candidate",
                        "talkShare": 0.58,
                        "talkMs": 7000,
                        "pauses": 1,
                        "longestPauseMs": 4000,
                        "fillerWords": 2,
                        "fillerRate": 0.1,
                        "sentiment": [{"at": at(6000).isoformat(), "compound": 0.4}],
                    },
                ],
            },
        )
        InsightFactory(interview=interview, kind=Insight.Kind.CODE, status=Insight.Status.DISABLED, payload={})
    return scene


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    return build_scene(acme)
