"""Fixtures for the AI insights tests (this module holds no tests).

A finished Acme interview with Acme's interviewer and the candidate, one planned question with an
answer guide of three points, and helpers that add what happened in it: transcript segments of a
recording, chat lines, code typed in the editor (real pycrdt updates in the update log) and runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pycrdt import Doc, Text

from assessments.models import CodeRun, Problem
from interviews.factories import InterviewFactory, ParticipantFactory, QuestionFactory
from interviews.models import (
    ChatMessage,
    Interview,
    InterviewQuestion,
    InterviewQuestionPlan,
    Participant,
    RoomDocument,
)
from interviews.services import documents
from recordings.factories import RecordingFactory, RecordingSessionFactory, TranscriptSegmentFactory
from recordings.models import Recording, TranscriptSegment
from tests.conftest import Tenant

START = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
GUIDE = "- Use a hash map for constant-time lookups\n- Linear overall complexity\n- Handle duplicate values"
FOLLOW_UPS = ["What if the values contain duplicates?", "How would you test it?"]


@dataclass
class Scene:
    interview: Interview
    lead: Participant
    candidate: Participant
    question: InterviewQuestion
    plan: InterviewQuestionPlan
    recordings: dict[int, Recording] = field(default_factory=dict)
    doc: Doc = field(default_factory=Doc)

    def at(self, seconds: float) -> datetime:
        return START + timedelta(seconds=seconds)

    def recording(self, who: Participant) -> Recording:
        if who.pk not in self.recordings:
            session = RecordingSessionFactory(interview=self.interview, started_at=START)
            self.recordings[who.pk] = cast(
                Recording,
                RecordingFactory(
                    session=session,
                    participant=who,
                    speaker_name=who.display_name,
                    started_at=START,
                    transcript_status=Recording.TranscriptStatus.DONE,
                ),
            )
        return self.recordings[who.pk]

    def say(self, who: Participant, start_s: float, end_s: float, text: str) -> TranscriptSegment:
        recording = self.recording(who)
        index = TranscriptSegment.objects.filter(recording=recording).count()
        return cast(
            TranscriptSegment,
            TranscriptSegmentFactory(
                recording=recording,
                index=index,
                start_ms=round(start_s * 1000),
                end_ms=round(end_s * 1000),
                text=text,
            ),
        )

    def chat(self, who: Participant, seconds: float, text: str) -> ChatMessage:
        return ChatMessage.objects.create(interview=self.interview, sender=who, text=text, sent_at=self.at(seconds))

    def type(self, who: Participant, seconds: float, text: str) -> None:
        """Append ``text`` to the code editor as one update by ``who``."""
        document, _created = RoomDocument.objects.get_or_create(
            interview=self.interview, name=RoomDocument.Name.CODE, defaults={"language": "python"}
        )
        source = self.doc.get(documents.SOURCE_TEXT, type=Text)
        before = self.doc.get_state()
        source += text
        documents.document_append(
            document_id=document.pk, updates=[(who.pk, self.at(seconds), self.doc.get_update(before))]
        )

    def run(self, seconds: float, **fields: Any) -> CodeRun:
        defaults: dict[str, Any] = {
            "source": CodeRun.Source.ROOM,
            "language": "python",
            "code": "print(1)",
            "verdict": "OK",
        }
        return CodeRun.objects.create(
            interview=self.interview, participant=self.candidate, created_at=self.at(seconds), **(defaults | fields)
        )


def make_scene(tenant: Tenant, *, problem: Problem | None = None, status: str = Interview.Status.COMPLETED) -> Scene:
    live = status in (Interview.Status.SCHEDULED, Interview.Status.LIVE)
    interview = cast(
        Interview,
        InterviewFactory(
            organization=tenant.org,
            candidate__organization=tenant.org,
            candidate__position__organization=tenant.org,
            candidate__full_name="Ada Candidate",
            scheduled_at=datetime.now(UTC) if live else START,
            status=status,
            started_at=START,
            ended_at=None if live else START + timedelta(minutes=30),
        ),
    )
    hexid = interview.room_id.hex
    lead = cast(
        Participant, ParticipantFactory(interview=interview, user=tenant.users["interviewer"], token=f"lead-{hexid}")
    )
    candidate = cast(
        Participant,
        ParticipantFactory(
            interview=interview,
            user=None,
            candidate=interview.candidate,
            role=Participant.Role.CANDIDATE,
            token=f"candidate-{hexid}",
        ),
    )
    question = cast(
        InterviewQuestion,
        QuestionFactory(
            organization=tenant.org,
            question_text="Find two numbers that add up to a target.",
            expected_answer_guide=GUIDE,
            follow_up_questions=list(FOLLOW_UPS),
            problem=problem,
        ),
    )
    plan = InterviewQuestionPlan.objects.create(interview=interview, question=question, order=1, asked_at=START)
    return Scene(interview=interview, lead=lead, candidate=candidate, question=question, plan=plan)
