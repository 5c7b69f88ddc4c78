"""What an analysis reads about one interview, gathered once: questions, speech, chat, code, runs.

Everything carries its instant on the interview's timeline (aware UTC), so every claim built from
it can cite the moment it came from. Transcript segments count milliseconds from their recording's
``started_at``; the code editor's history is its Yjs update log (``DocumentUpdate``), replayed
update by update to see when each identifier first appeared and which single updates were big
pastes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from pycrdt import Doc, Text

from assessments.models import CodeRun
from interviews.models import ChatMessage, DocumentUpdate, Interview, Participant, RoomDocument
from interviews.services.documents import SOURCE_TEXT, document_state
from recordings.insights import guide
from recordings.insights.types import Cite, CiteKind
from recordings.models import TranscriptSegment

#: one update of the code document that grows it by at least this many characters is a "big paste"
BIG_PASTE_CHARS = 120
#: the code log is replayed in full, but its text is read at most this many times (long logs are
#: sampled evenly: first appearances and pastes are then placed at the sample after them)
MAX_CODE_SAMPLES = 3000
LABEL_CHARS = 90
CANDIDATE = Participant.Role.CANDIDATE


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Utterance:
    """Something a participant said, wrote in the chat, or typed in the editor, at one instant."""

    kind: CiteKind
    at: datetime
    participant_id: int | None
    role: str
    speaker: str
    text: str
    stems: frozenset[str]
    segment_id: int | None = None
    chat_id: int | None = None

    def cite(self) -> Cite:
        if self.kind == "transcript":
            return {
                "kind": "transcript",
                "at": iso(self.at),
                "label": f"{self.speaker}: {_short(self.text)}",
                "segmentId": self.segment_id or 0,
            }
        if self.kind == "chat":
            return {"kind": "chat", "at": iso(self.at), "label": f"{self.speaker}: {_short(self.text)}"}
        return {"kind": "code", "at": iso(self.at), "label": _short(self.text)}


@dataclass(frozen=True)
class SegmentRow:
    id: int
    participant_id: int | None
    speaker: str
    role: str
    start: datetime
    end: datetime
    text: str


@dataclass(frozen=True)
class RunRow:
    id: int
    at: datetime
    source: str
    verdict: str
    passed: int | None
    total: int | None
    problem_id: int | None
    language: str

    @property
    def tested(self) -> bool:
        return self.source == CodeRun.Source.ROOM_TESTS and bool(self.total)

    @property
    def all_passed(self) -> bool:
        return self.tested and self.passed == self.total

    @property
    def failed(self) -> bool:
        if self.tested:
            return (self.passed or 0) < (self.total or 0)
        return self.verdict not in ("OK", "")

    def label(self) -> str:
        if self.tested:
            return f"Run against the tests: {self.passed}/{self.total} passed"
        return f"Run ({self.language}): {self.verdict}"

    def cite(self) -> Cite:
        return {"kind": "run", "at": iso(self.at), "label": self.label(), "runId": self.id}


@dataclass(frozen=True)
class QuestionRow:
    question_id: int
    text: str
    asked_at: datetime | None
    points: list[guide.GuidePoint]
    follow_ups: list[str]
    problem_id: int | None
    order: int


@dataclass
class Evidence:
    interview: Interview
    start: datetime
    end: datetime
    questions: list[QuestionRow]
    segments: list[SegmentRow]
    #: what the candidate said, wrote and typed, in time order
    candidate_words: list[Utterance]
    chat: list[Utterance]
    pastes: list[Utterance]
    runs: list[RunRow]
    code_document: RoomDocument | None
    final_code: str
    language: str
    names: dict[int, str] = field(default_factory=dict)

    def window(self, question: QuestionRow) -> tuple[datetime, datetime]:
        """The stretch of the interview a question's answer is looked for in.

        From the moment it was asked to the moment the next question was asked (or the end); a
        question never pushed in the room is looked for over the whole interview.
        """
        if question.asked_at is None:
            return self.start, self.end
        later = sorted(q.asked_at for q in self.questions if q.asked_at is not None and q.asked_at > question.asked_at)
        return question.asked_at, later[0] if later else self.end


def _questions(interview: Interview) -> list[QuestionRow]:
    plan = interview.plan.select_related("question").order_by("order", "pk")
    return [
        QuestionRow(
            question_id=item.question_id,
            text=item.question.question_text,
            asked_at=item.asked_at,
            points=guide.guide_points(item.question.expected_answer_guide),
            follow_ups=[str(f) for f in item.question.follow_up_questions or [] if str(f).strip()],
            problem_id=item.question.problem_id,
            order=item.order,
        )
        for item in plan
    ]


def _segments(interview: Interview) -> list[SegmentRow]:
    rows = (
        TranscriptSegment.objects.filter(interview=interview, recording__deleted_at__isnull=True)
        .select_related("recording", "participant")
        .order_by("recording__started_at", "recording_id", "index")
    )
    segments = [
        SegmentRow(
            id=s.pk,
            participant_id=s.participant_id,
            speaker=s.speaker_name or (s.participant.display_name if s.participant else ""),
            role=s.participant.role if s.participant else "",
            start=s.recording.started_at + timedelta(milliseconds=s.start_ms),
            end=s.recording.started_at + timedelta(milliseconds=s.end_ms),
            text=s.text,
        )
        for s in rows
    ]
    return sorted(segments, key=lambda s: (s.start, s.id))


def _chat(interview: Interview, names: dict[int, str], roles: dict[int, str]) -> list[Utterance]:
    messages = ChatMessage.objects.filter(interview=interview).order_by("sent_at", "pk")
    return [
        Utterance(
            kind="chat",
            at=m.sent_at,
            participant_id=m.sender_id,
            role=roles.get(m.sender_id, ""),
            speaker=names.get(m.sender_id, ""),
            text=m.text,
            stems=frozenset(guide.words_of(m.text)),
            chat_id=m.pk,
        )
        for m in messages
    ]


@dataclass
class CodeHistory:
    document: RoomDocument | None = None
    final_text: str = ""
    #: candidate updates that introduced new identifiers
    typed: list[Utterance] = field(default_factory=list)
    pastes: list[Utterance] = field(default_factory=list)


def code_history(interview: Interview, roles: dict[int, str], names: dict[int, str]) -> CodeHistory:
    """Replay the code document's update log: first appearances of identifiers, big pastes, final text."""
    document = RoomDocument.objects.filter(interview=interview, name=RoomDocument.Name.CODE).first()
    history = CodeHistory(document=document)
    if document is None:
        return history
    updates = DocumentUpdate.objects.filter(document=document).order_by("pk")
    count = updates.count()
    if not count:
        return history
    stride = max(1, -(-count // MAX_CODE_SAMPLES))
    doc: Doc = Doc()
    source = doc.get(SOURCE_TEXT, type=Text)
    seen: set[str] = set()
    previous_length = 0
    for i, (at, author_id, data) in enumerate(updates.values_list("created_at", "author_id", "data").iterator()):
        doc.apply_update(bytes(data))
        if (i + 1) % stride and i + 1 != count:
            continue
        text = str(source)
        grown = len(text) - previous_length
        previous_length = len(text)
        found = guide.identifiers(text)
        fresh = sorted(found - seen)
        seen |= found
        if roles.get(author_id or 0) != CANDIDATE:
            continue
        who = names.get(author_id or 0, "")
        if grown >= BIG_PASTE_CHARS:
            history.pastes.append(
                Utterance(
                    kind="code",
                    at=at,
                    participant_id=author_id,
                    role=CANDIDATE,
                    speaker=who,
                    text=f"Pasted {grown} characters into the editor",
                    stems=frozenset(),
                )
            )
        if fresh:
            history.typed.append(
                Utterance(
                    kind="code",
                    at=at,
                    participant_id=author_id,
                    role=CANDIDATE,
                    speaker=who,
                    text="Code: " + ", ".join(fresh[:6]) + ("…" if len(fresh) > 6 else ""),
                    stems=frozenset(guide.identifier_words(" ".join(fresh))),
                )
            )
    history.final_text = str(source)
    return history


def final_code(document: RoomDocument) -> str:
    """The code document's text as it stands (the newest snapshot plus the log after it)."""
    doc: Doc = Doc()
    doc.apply_update(document_state(document_id=document.pk))
    return str(doc.get(SOURCE_TEXT, type=Text))


def _runs(interview: Interview) -> list[RunRow]:
    return [
        RunRow(
            id=r.pk,
            at=r.created_at,
            source=r.source,
            verdict=r.verdict,
            passed=r.passed,
            total=r.total,
            problem_id=r.problem_id,
            language=r.language,
        )
        for r in CodeRun.objects.filter(interview=interview).order_by("created_at", "pk")
    ]


def interview_evidence(*, interview: Interview) -> Evidence:
    """Everything the analysis of ``interview`` reads, with instants."""
    participants = list(Participant.objects.filter(interview=interview).select_related("user", "candidate"))
    names = {p.pk: p.display_name for p in participants}
    roles = {p.pk: p.role for p in participants}
    segments = _segments(interview)
    chat = _chat(interview, names, roles)
    code = code_history(interview, roles, names)
    runs = _runs(interview)
    said = [
        Utterance(
            kind="transcript",
            at=s.start,
            participant_id=s.participant_id,
            role=s.role,
            speaker=s.speaker,
            text=s.text,
            stems=frozenset(guide.words_of(s.text)),
            segment_id=s.id,
        )
        for s in segments
        if s.role == CANDIDATE
    ]
    candidate_words = sorted(
        [*said, *(m for m in chat if m.role == CANDIDATE), *code.typed], key=lambda u: (u.at, u.kind)
    )
    instants = [s.start for s in segments] + [m.at for m in chat] + [r.at for r in runs]
    start = interview.started_at or (min(instants) if instants else interview.scheduled_at)
    end = interview.ended_at or max([timezone.now(), *instants])
    return Evidence(
        interview=interview,
        start=min([start, *instants]) if instants else start,
        end=end,
        questions=_questions(interview),
        segments=segments,
        candidate_words=candidate_words,
        chat=chat,
        pastes=code.pastes,
        runs=runs,
        code_document=code.document,
        final_code=code.final_text,
        language=code.document.language if code.document else "",
        names=names,
    )
