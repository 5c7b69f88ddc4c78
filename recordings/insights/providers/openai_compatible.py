"""A summary from any OpenAI-compatible ``/chat/completions`` endpoint, checked against the evidence.

The model gets the interview's evidence as JSON — questions with their guide points, transcript
segments (with ids), chat lines, code events and runs (with ids), the final code — and is asked,
in JSON mode, for highlights and per-question strengths and weaknesses citing that evidence. The
answer is then *checked*, never trusted: a transcript citation must name a segment id of this
interview, a run citation a run id of it, a chat or code citation the instant of one of its chat
lines or code events (within a second); anything else is dropped, and so is a claim left with no
citation, and a question not in the interview's plan. Citations are rebuilt from our rows (the
model's times and labels are not kept).

Requests: ``Authorization: Bearer <AI_API_KEY>``, ``AI_TIMEOUT_SECONDS`` per attempt, and up to
``AI_MAX_RETRIES`` retries with exponential backoff (or the server's ``Retry-After``) on 429,
5xx and network errors. Any other failure, or an answer that is not the JSON asked for, is a
:class:`ProviderError` with a clear message (the summary insight is then ``failed``).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import requests
from django.utils.translation import gettext as _

from recordings.insights.evidence import Evidence, Utterance, iso
from recordings.insights.providers.base import ProviderError
from recordings.insights.types import AI_LABEL, Cite, Claim, QuestionSummary, SummaryPayload

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 10.0
MAX_TRANSCRIPT_CHARS = 60_000
MAX_CODE_CHARS = 12_000
MAX_CODE_EVENTS = 200
MAX_CLAIM_CHARS = 500
MAX_CLAIMS = 12
TIME_SLACK = timedelta(seconds=1)

SYSTEM_PROMPT = """\
You review a technical interview for the hiring team. You get its evidence as JSON. Answer with
one JSON object and nothing else, of this shape:
{"highlights": [Claim], "questions": [{"questionId": int, "strengths": [Claim], "weaknesses": [Claim]}]}
where Claim = {"text": str, "cites": [Cite]} and Cite is one of
{"kind": "transcript", "segmentId": int}, {"kind": "run", "runId": int},
{"kind": "chat", "at": "<the 'at' of a chat line>"}, {"kind": "code", "at": "<the 'at' of a code event>"}.
Rules: every claim cites at least one item of the evidence; cite only ids and instants present in
the evidence; judge each question against its guide points (what the candidate covered is a
strength, what they missed a weakness); do not rate or recommend hiring; at most 12 claims per list.
"""


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def _parse_at(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


class _Citations:
    """What a model's citation may name: this interview's segments, runs, chat lines, code events."""

    def __init__(self, evidence: Evidence) -> None:
        self.segments = {
            s.id: Utterance(
                kind="transcript",
                at=s.start,
                participant_id=s.participant_id,
                role=s.role,
                speaker=s.speaker,
                text=s.text,
                stems=frozenset(),
                segment_id=s.id,
            )
            for s in evidence.segments
        }
        self.runs = {r.id: r for r in evidence.runs}
        self.chat = evidence.chat
        self.code = [*evidence.pastes, *(u for u in evidence.candidate_words if u.kind == "code")]

    def _at(self, items: list[Utterance], value: Any) -> Cite | None:
        at = _parse_at(value)
        if at is None:
            return None
        match = min(items, key=lambda u: abs(u.at - at), default=None)
        return match.cite() if match is not None and abs(match.at - at) <= TIME_SLACK else None

    def resolve(self, raw: Any) -> Cite | None:
        if not isinstance(raw, dict):
            return None
        kind = raw.get("kind")
        if kind == "transcript":
            segment = self.segments.get(raw.get("segmentId"))  # type: ignore[arg-type]
            return segment.cite() if segment is not None else None
        if kind == "run":
            run = self.runs.get(raw.get("runId"))  # type: ignore[arg-type]
            return run.cite() if run is not None else None
        if kind == "chat":
            return self._at(self.chat, raw.get("at"))
        if kind == "code":
            return self._at(self.code, raw.get("at"))
        return None

    def claims(self, raw: Any) -> list[Claim]:
        if not isinstance(raw, list):
            return []
        kept: list[Claim] = []
        for item in raw[:MAX_CLAIMS]:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                continue
            cites: list[Cite] = []
            for raw_cite in item.get("cites") or []:
                cite = self.resolve(raw_cite)
                if cite is not None and cite not in cites:
                    cites.append(cite)
            if cites:
                kept.append({"text": item["text"].strip()[:MAX_CLAIM_CHARS], "cites": cites})
        return kept


def evidence_document(evidence: Evidence) -> dict[str, Any]:
    """The evidence as the model reads it (sizes capped)."""
    transcript: list[dict[str, Any]] = []
    used = 0
    for s in evidence.segments:
        used += len(s.text)
        if used > MAX_TRANSCRIPT_CHARS:
            break
        transcript.append({"segmentId": s.id, "at": iso(s.start), "speaker": s.speaker, "role": s.role, "text": s.text})
    code_events = [*evidence.pastes, *(u for u in evidence.candidate_words if u.kind == "code")]
    return {
        "interview": {"start": iso(evidence.start), "end": iso(evidence.end)},
        "questions": [
            {
                "questionId": q.question_id,
                "text": q.text,
                "askedAt": iso(q.asked_at) if q.asked_at else None,
                "guidePoints": [p.text for p in q.points],
                "problemId": q.problem_id,
            }
            for q in evidence.questions
        ],
        "transcript": transcript,
        "chat": [{"at": iso(m.at), "sender": m.speaker, "role": m.role, "text": m.text} for m in evidence.chat],
        "codeEvents": [{"at": iso(u.at), "label": u.text} for u in sorted(code_events, key=lambda u: u.at)][
            :MAX_CODE_EVENTS
        ],
        "runs": [
            {"runId": r.id, "at": iso(r.at), "label": r.label(), "problemId": r.problem_id} for r in evidence.runs
        ],
        "finalCode": {"language": evidence.language, "text": evidence.final_code[:MAX_CODE_CHARS]},
    }


class OpenAICompatibleProvider:
    def __init__(self, *, url: str, key: str, model: str, timeout: float, max_retries: int) -> None:
        self.url = _endpoint(url)
        self.key = key
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.name = f"openai-compatible:{model}"[:120]  # Insight.provider holds 120 characters

    def _post(self, body: dict[str, Any]) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            try:
                response = requests.post(self.url, json=body, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = _("the AI service could not be reached (%(error)s)") % {"error": type(exc).__name__}
            else:
                if response.status_code < 400:
                    return response
                if response.status_code != 429 and response.status_code < 500:
                    raise ProviderError(
                        _("The AI service refused the request (HTTP %(status)s).") % {"status": response.status_code}
                    )
                problem = _("the AI service answered HTTP %(status)s") % {"status": response.status_code}
                try:
                    retry_after = float(response.headers.get("Retry-After", ""))
                except ValueError:
                    retry_after = None
            if attempt == self.max_retries:
                raise ProviderError(
                    _("No summary: %(problem)s, after %(n)s attempt(s).") % {"problem": problem, "n": attempt + 1}
                )
            wait = retry_after if retry_after is not None else BACKOFF_SECONDS * 2**attempt
            logger.info("AI provider: %s; retrying in %.1f s", problem, wait)
            time.sleep(min(max(wait, 0.0), BACKOFF_CAP_SECONDS))
        raise AssertionError("unreachable")

    def summarize(self, evidence: Evidence) -> SummaryPayload:
        body = {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": json.dumps(evidence_document(evidence), ensure_ascii=False)},
            ],
        }
        response = self._post(body)
        invalid = _("The AI service answered something other than the JSON summary asked for.")
        try:
            content = response.json()["choices"][0]["message"]["content"]
            answer = json.loads(content)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(invalid) from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("questions", []), list):
            raise ProviderError(invalid)
        return self._checked(answer, evidence)

    def _checked(self, answer: dict[str, Any], evidence: Evidence) -> SummaryPayload:
        citations = _Citations(evidence)
        given: dict[int, dict[str, Any]] = {}
        for item in answer.get("questions") or []:
            if isinstance(item, dict) and isinstance(item.get("questionId"), int):
                given.setdefault(item["questionId"], item)
        questions: list[QuestionSummary] = [
            {
                "questionId": q.question_id,
                "questionText": q.text,
                "askedAt": iso(q.asked_at) if q.asked_at else None,
                "strengths": citations.claims(given.get(q.question_id, {}).get("strengths")),
                "weaknesses": citations.claims(given.get(q.question_id, {}).get("weaknesses")),
            }
            for q in evidence.questions
        ]
        return {"label": AI_LABEL, "highlights": citations.claims(answer.get("highlights")), "questions": questions}
