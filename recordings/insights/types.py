"""The payloads of AI insights (the replay page renders them: keep these shapes exactly).

Every payload carries ``label: "AI-generated"``. Times are ISO-8601 UTC instants.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

AI_LABEL = "AI-generated"

CiteKind = Literal["transcript", "code", "run", "chat"]


class Cite(TypedDict):
    kind: CiteKind
    at: str
    label: str
    segmentId: NotRequired[int]
    runId: NotRequired[int]


class Claim(TypedDict):
    text: str
    cites: list[Cite]


class QuestionSummary(TypedDict):
    questionId: int
    questionText: str
    askedAt: str | None
    strengths: list[Claim]
    weaknesses: list[Claim]


class SummaryPayload(TypedDict):
    label: str
    highlights: list[Claim]
    questions: list[QuestionSummary]


class SentimentPoint(TypedDict):
    at: str
    compound: float


class SpeakerEngagement(TypedDict):
    participantId: int | None
    name: str
    role: str
    talkShare: float
    talkMs: int
    pauses: int
    longestPauseMs: int
    fillerWords: int
    fillerRate: float
    sentiment: list[SentimentPoint]


class EngagementPayload(TypedDict):
    label: str
    speakers: list[SpeakerEngagement]


class LintFinding(TypedDict):
    line: int
    message: str
    code: str


class ComplexityPoint(TypedDict):
    n: int
    ms: int


class ComplexityEstimate(TypedDict):
    estimate: str
    points: list[ComplexityPoint]


class CodePayload(TypedDict):
    label: str
    language: str
    metrics: dict[str, object]
    lint: list[LintFinding]
    complexity: ComplexityEstimate | None
    #: why ``complexity`` is null (None when it is not)
    complexityReason: str | None
