"""Fixtures for the code playback tests (this module holds no tests).

A finished Acme interview of Grace Hopper with Acme's interviewer on the panel, and a recorder
that edits one pycrdt document per author (as each browser holds its own copy of the Yjs
document), keeps every update as the server stores it, and appends them to the update log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from pycrdt import Doc, Text

from accounts.models import Role, User
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant, RoomDocument
from interviews.services import documents
from tests.conftest import Tenant

START = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
PASTE = (
    "def is_palindrome(word: str) -> bool:\n"
    "    cleaned = [c.lower() for c in word if c.isalnum()]\n"
    "    return cleaned == cleaned[::-1]\n"
)
IDLE_SECONDS = 95


@dataclass
class Recorder:
    """Edits made by several people on their own replica, in order, at chosen instants."""

    start: datetime
    docs: dict[int, Doc] = field(default_factory=dict)
    #: ``(author participant id, time, update)`` as ``document_append`` takes them
    updates: list[tuple[int | None, datetime, bytes]] = field(default_factory=list)
    #: the text after each update, as the author's replica has it
    texts: list[str] = field(default_factory=list)

    def _replica(self, author: int) -> Doc:
        if author not in self.docs:
            doc: Doc = Doc()
            for update in (u for _a, _t, u in self.updates):
                doc.apply_update(update)
            self.docs[author] = doc
        return self.docs[author]

    def edit(self, author: Participant, ms: int, change: str | tuple[int, int], at: int | None = None) -> None:
        """At ``ms`` after the start, ``author`` inserts ``change`` at ``at`` (end by default) or deletes a range."""
        doc = self._replica(author.pk)
        text = doc.get(documents.SOURCE_TEXT, type=Text)
        before = doc.get_state()
        if isinstance(change, str):
            text.insert(len(text) if at is None else at, change)
        else:
            del text[change[0] : change[1]]
        update = doc.get_update(before)
        for other, replica in self.docs.items():
            if other != author.pk:
                replica.apply_update(update)
        self.updates.append((author.pk, self.start + timedelta(milliseconds=ms), update))
        self.texts.append(str(text))

    def type(self, author: Participant, ms: int, words: str, *, every_ms: int = 400) -> int:
        """Type ``words`` one character per update; returns the instant after the last one."""
        for char in words:
            self.edit(author, ms, char)
            ms += every_ms
        return ms

    @property
    def instants(self) -> list[int]:
        return [(t - self.start) // timedelta(milliseconds=1) for _a, t, _u in self.updates]


@dataclass
class Session:
    interview: Interview
    interviewer: User
    candidate_user: User
    lead: Participant
    candidate: Participant


@pytest.fixture
def session(acme: Tenant) -> Session:
    candidate_user = acme.users[Role.CANDIDATE]
    interview = InterviewFactory(
        organization=acme.org,
        scheduled_at=START - timedelta(minutes=5),
        status=Interview.Status.COMPLETED,
        candidate__full_name="Grace Hopper",
        candidate__email=candidate_user.email,
        candidate__user=candidate_user,
    )
    lead = ParticipantFactory(interview=interview, user=acme.users[Role.INTERVIEWER])
    candidate = ParticipantFactory(
        interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE
    )
    return Session(
        interview=interview,
        interviewer=acme.users[Role.INTERVIEWER],
        candidate_user=candidate_user,
        lead=lead,
        candidate=candidate,
    )


def record_session(session: Session) -> Recorder:
    """The interviewer writes a prompt, the candidate types, pauses, pastes a solution and fixes it."""
    recorder = Recorder(start=START)
    ms = recorder.type(session.lead, 0, "# is it a palindrome?\n", every_ms=150)
    ms = recorder.type(session.candidate, ms + 4_000, "def f(", every_ms=300)
    recorder.edit(session.candidate, ms, (len(recorder.texts[-1]) - 6, len(recorder.texts[-1])))  # delete "def f("
    ms += IDLE_SECONDS * 1000  # a long pause
    recorder.edit(session.candidate, ms, PASTE)  # then a large paste
    ms += 2_500
    recorder.edit(session.lead, ms, "# why lower()?\n", at=len("# is it a palindrome?\n"))
    ms = recorder.type(session.candidate, ms + 3_000, "\nprint(is_palindrome('Level'))", every_ms=120)
    return recorder


def store(recorder: Recorder, interview: Interview, *, batch: int = 1) -> RoomDocument:
    """Append the recorded updates to the interview's code document, ``batch`` at a time."""
    document = RoomDocument.objects.create(interview=interview, name=RoomDocument.Name.CODE, language="python")
    for i in range(0, len(recorder.updates), batch):
        documents.document_append(document_id=document.pk, updates=recorder.updates[i : i + batch])
    return document
