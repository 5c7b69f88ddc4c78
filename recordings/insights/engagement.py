"""Sentiment and engagement per speaker, from the transcript segments.

* **sentiment** — vaderSentiment's compound score (−1…1) of each segment, at the segment's start;
* **talk time** — the union of a speaker's segments (overlapping segments of two recordings of the
  same person count once); ``talkShare`` is that over the sum of every speaker's talk time;
* **pauses** — a silence of at least :data:`PAUSE_MS` (3 s) between two consecutive segments of
  the same speaker *during which nobody else spoke*: a gap filled by someone else is turn-taking,
  not a pause; ``longestPauseMs`` is the longest such silence (0 when there is none);
* **filler words** — :data:`FILLERS` counted case-insensitively on word boundaries ("um", "uh",
  "like", "you know", …; "like" is counted wherever it appears: the transcript cannot tell the
  filler from the verb), and ``fillerRate`` is that per minute of the speaker's talk time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from recordings.insights.evidence import SegmentRow, iso
from recordings.insights.types import AI_LABEL, EngagementPayload, SpeakerEngagement

PAUSE_MS = 3000
FILLERS = ("um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "like", "you know", "i mean", "basically")
_FILLER = re.compile(r"\b(?:" + "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in FILLERS) + r")\b", re.I)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def filler_count(text: str) -> int:
    return len(_FILLER.findall(text))


def sentiment(text: str) -> float:
    return round(float(_analyzer().polarity_scores(text)["compound"]), 4)


def _union_ms(intervals: Iterable[tuple[float, float]]) -> int:
    total = 0.0
    current: tuple[float, float] | None = None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += current[1] - current[0]
    return round(total)


@dataclass(frozen=True)
class _Span:
    start: float  # ms on the interview's timeline
    end: float


def _pauses(own: list[_Span], others: list[_Span]) -> list[float]:
    gaps: list[float] = []
    reach = None
    for span in own:
        if reach is not None and span.start - reach >= PAUSE_MS:
            gap_start, gap_end = reach, span.start
            if not any(o.start < gap_end and o.end > gap_start for o in others):
                gaps.append(gap_end - gap_start)
        reach = span.end if reach is None else max(reach, span.end)
    return gaps


def engagement(segments: list[SegmentRow]) -> EngagementPayload:
    """Per-speaker engagement of a transcript (the rules are in the module docstring)."""
    if not segments:
        return {"label": AI_LABEL, "speakers": []}
    origin = min(s.start for s in segments)

    def ms(at: datetime) -> float:
        return (at - origin).total_seconds() * 1000

    speakers: dict[tuple[int | None, str], list[SegmentRow]] = {}
    for segment in segments:
        key = (segment.participant_id, "" if segment.participant_id else segment.speaker)
        speakers.setdefault(key, []).append(segment)
    spans = {
        key: sorted((_Span(ms(s.start), ms(s.end)) for s in rows), key=lambda x: x.start)
        for key, rows in speakers.items()
    }
    talk = {key: _union_ms((x.start, x.end) for x in rows) for key, rows in spans.items()}
    total_talk = sum(talk.values())
    result: list[SpeakerEngagement] = []
    for key, rows in speakers.items():
        others = [x for other, xs in spans.items() if other != key for x in xs]
        pauses = _pauses(spans[key], others)
        fillers = sum(filler_count(s.text) for s in rows)
        minutes = talk[key] / 60000
        result.append(
            {
                "participantId": key[0],
                "name": rows[0].speaker,
                "role": rows[0].role,
                "talkShare": round(talk[key] / total_talk, 4) if total_talk else 0.0,
                "talkMs": talk[key],
                "pauses": len(pauses),
                "longestPauseMs": round(max(pauses)) if pauses else 0,
                "fillerWords": fillers,
                "fillerRate": round(fillers / minutes, 2) if minutes else 0.0,
                "sentiment": [{"at": iso(s.start), "compound": sentiment(s.text)} for s in rows],
            }
        )
    return {"label": AI_LABEL, "speakers": result}
