"""The AI insights as the replay page shows them (payload formats: docs/replay.md).

The payloads are JSON written by a provider — the offline one or a remote model — so nothing in
them is trusted: each is rebuilt here from the documented keys only, with types checked, texts
cut to a sane length and every citation's instant turned into milliseconds on the replay's
timeline (a citation whose instant does not parse is dropped rather than guessed). The
template escapes the texts as always.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from recordings.models import Insight
from recordings.replay.clock import clock

TEXT_CHARS = 2000
LABEL_CHARS = 200
MAX_ITEMS = 50
#: sentiment points per speaker drawn (one per transcript segment; an hour is a few hundred)
MAX_SERIES = 2000
CITE_KINDS = ("transcript", "code", "run", "chat")


@dataclass
class InsightView:
    """One insight for the page: its state and, when ready, its cleaned content."""

    status: str
    status_label: str
    provider: str = ""
    #: the provider's own label ("AI-generated"), always shown beside the content
    label: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    #: summary only: every citation on the timeline, ``{at, clock, kind, label, mark}``
    citations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.status == Insight.Status.READY


def _text(value: Any, limit: int = TEXT_CHARS) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _base(insight: Insight | None) -> InsightView | None:
    if insight is None:
        return None
    view = InsightView(status=insight.status, status_label=str(insight.get_status_display()), provider=insight.provider)
    payload = insight.payload if isinstance(insight.payload, dict) else {}
    view.label = _text(payload.get("label"), LABEL_CHARS) or _("AI-generated")
    return view


def summary_view(
    insight: Insight | None, *, at: Callable[[datetime], int], segment_at: dict[int, int]
) -> InsightView | None:
    """The summary: highlights, strengths and weaknesses per question, each with its citations."""
    view = _base(insight)
    if view is None or insight is None or not view.ready:
        return view
    payload = insight.payload if isinstance(insight.payload, dict) else {}

    def cite(raw: Any) -> dict[str, Any] | None:
        if not isinstance(raw, dict) or raw.get("kind") not in CITE_KINDS:
            return None
        segment = raw.get("segmentId")
        instant = _instant(raw.get("at"))
        if isinstance(segment, int) and segment in segment_at:
            ms = segment_at[segment]  # the transcript's own time, if the segment is on the page
        elif instant is not None:
            ms = at(instant)
        else:
            return None
        label = _text(raw.get("label"), LABEL_CHARS)
        item = {"kind": raw["kind"], "at": ms, "clock": clock(ms), "label": label}
        item["mark"] = _("AI citation at %(time)s: %(label)s") % {"time": item["clock"], "label": label}
        view.citations.append(item)
        return item

    def claims(raw: Any) -> list[dict[str, Any]]:
        out = []
        for claim in raw[:MAX_ITEMS] if isinstance(raw, list) else []:
            if not isinstance(claim, dict) or not _text(claim.get("text")):
                continue
            cites = claim.get("cites")
            kept = [c for c in (cite(x) for x in (cites[:MAX_ITEMS] if isinstance(cites, list) else [])) if c]
            out.append({"text": _text(claim["text"]), "cites": kept})
        return out

    questions = []
    for raw in payload.get("questions", [])[:MAX_ITEMS] if isinstance(payload.get("questions"), list) else []:
        if not isinstance(raw, dict):
            continue
        asked = _instant(raw.get("askedAt"))
        questions.append(
            {
                "text": _text(raw.get("questionText")),
                "asked": clock(at(asked)) if asked is not None else "",
                "askedAt": at(asked) if asked is not None else None,
                "strengths": claims(raw.get("strengths")),
                "weaknesses": claims(raw.get("weaknesses")),
            }
        )
    view.data = {"highlights": claims(payload.get("highlights")), "questions": questions}
    view.citations.sort(key=lambda c: c["at"])
    return view


#: the sentiment chart's size (SVG user units); y runs from +1 at the top to -1 at the bottom
CHART_WIDTH = 240
CHART_HEIGHT = 48


def _sentiment_series(
    series: list[Any], *, at: Callable[[datetime], int] | None, duration_ms: int
) -> tuple[list[dict[str, Any]], str]:
    """A speaker's sentiment over the session: the points (ms, value, clock) and an SVG polyline."""
    points: list[dict[str, Any]] = []
    for raw in series:
        if not isinstance(raw, dict):
            continue
        value, instant = _number(raw.get("compound")), _instant(raw.get("at"))
        if value is None or instant is None or at is None:
            continue
        ms = at(instant)
        points.append({"at": ms, "clock": clock(ms), "value": round(max(-1.0, min(1.0, value)), 2)})
    points.sort(key=lambda p: p["at"])
    span = max(duration_ms, 1)
    line = " ".join(
        f"{CHART_WIDTH * min(p['at'], span) / span:.1f},{CHART_HEIGHT * (1 - p['value']) / 2:.1f}" for p in points
    )
    return points, line


def engagement_view(
    insight: Insight | None, *, at: Callable[[datetime], int] | None = None, duration_ms: int = 0
) -> InsightView | None:
    """Speaking time, pauses, filler words and sentiment per speaker (over time, when ``at`` is given)."""
    view = _base(insight)
    if view is None or insight is None or not view.ready:
        return view
    payload = insight.payload if isinstance(insight.payload, dict) else {}
    speakers: list[dict[str, Any]] = []
    for raw in payload.get("speakers", [])[:MAX_ITEMS] if isinstance(payload.get("speakers"), list) else []:
        if not isinstance(raw, dict):
            continue
        share = _number(raw.get("talkShare"))
        series: list[Any] = raw["sentiment"] if isinstance(raw.get("sentiment"), list) else []
        scores = [s for s in (_number(p.get("compound")) for p in series if isinstance(p, dict)) if s is not None]
        points, line = _sentiment_series(series[:MAX_SERIES], at=at, duration_ms=duration_ms)
        speakers.append(
            {
                "series": points,
                "line": line,
                "name": _text(raw.get("name"), LABEL_CHARS),
                "role": _text(raw.get("role"), LABEL_CHARS),
                "share": round(100 * max(0.0, min(1.0, share))) if share is not None else None,
                "talk": clock(int(_number(raw.get("talkMs")) or 0)),
                "pauses": int(_number(raw.get("pauses")) or 0),
                "longestPause": clock(int(_number(raw.get("longestPauseMs")) or 0)),
                "fillerWords": int(_number(raw.get("fillerWords")) or 0),
                "fillerRate": _number(raw.get("fillerRate")),
                "sentiment": round(sum(scores) / len(scores), 2) if scores else None,
                "sentimentPoints": len(scores),
            }
        )
    view.data = {"speakers": speakers, "chartWidth": CHART_WIDTH, "chartHeight": CHART_HEIGHT}
    return view


def code_view(insight: Insight | None) -> InsightView | None:
    """The final code's metrics, lint findings and empirical time complexity."""
    view = _base(insight)
    if view is None or insight is None or not view.ready:
        return view
    payload = insight.payload if isinstance(insight.payload, dict) else {}
    metrics: list[tuple[str, str]] = []

    def flatten(prefix: str, value: Any) -> None:
        if len(metrics) >= MAX_ITEMS:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            metrics.append((prefix[:LABEL_CHARS], str(round(value, 2) if isinstance(value, float) else value)[:100]))

    flatten("", payload.get("metrics"))
    lint = [
        {
            "line": item.get("line"),
            "message": _text(item.get("message"), LABEL_CHARS),
            "code": _text(item.get("code"), 40),
        }
        for item in (payload.get("lint", [])[:MAX_ITEMS] if isinstance(payload.get("lint"), list) else [])
        if isinstance(item, dict)
    ]
    complexity = payload.get("complexity") if isinstance(payload.get("complexity"), dict) else None
    points = []
    if complexity is not None and isinstance(complexity.get("points"), list):
        for point in complexity["points"][:MAX_ITEMS]:
            if isinstance(point, dict) and _number(point.get("n")) is not None and _number(point.get("ms")) is not None:
                points.append({"n": int(point["n"]), "ms": round(float(point["ms"]), 1)})
    view.data = {
        "language": _text(payload.get("language"), 40),
        "metrics": metrics,
        "lint": lint,
        "complexity": {"estimate": _text(complexity.get("estimate"), 40), "points": points} if complexity else None,
    }
    return view
