"""AI insights of an interview: summary, engagement, code evaluation (docs/ai-insights.md).

The insights are AI output: every payload is labelled "AI-generated", they are shown only to the
people who may see the interview's recordings (never to the candidate), and they never write a
scorecard. An organization that switched AI insights off (``MediaSettings.ai_enabled``) gets
three ``disabled`` insights and no provider is called.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from assessments.models import Problem
from interviews.models import Interview
from recordings.insights import code_metrics, complexity
from recordings.insights.engagement import engagement
from recordings.insights.evidence import Evidence, interview_evidence
from recordings.insights.providers import ProviderError, summary_provider
from recordings.insights.types import AI_LABEL, CodePayload
from recordings.models import Insight, MediaSettings

logger = logging.getLogger(__name__)

KINDS = (Insight.Kind.SUMMARY, Insight.Kind.ENGAGEMENT, Insight.Kind.CODE)
ENGAGEMENT_PROVIDER = "offline:vaderSentiment"
CODE_PROVIDER = "offline:radon+lizard+pyflakes+sandbox"


def ai_enabled(*, organization_id: int) -> bool:
    """Whether the organization uses AI insights (its settings are created on first use)."""
    media, _created = MediaSettings.objects.get_or_create(organization_id=organization_id)
    return media.ai_enabled


@transaction.atomic
def _store(
    interview: Interview, kind: str, *, status: str, provider: str, payload: dict[str, Any], error: str = ""
) -> Insight:
    insight, _created = Insight.objects.update_or_create(
        interview=interview,
        kind=kind,
        defaults={"status": status, "provider": provider, "payload": payload, "error": error},
    )
    return insight


def _problem(evidence: Evidence) -> Problem | None:
    """The coding problem the final code answers: that of the last question asked which has one."""
    with_problem = [(q.asked_at, -q.order, q.problem_id) for q in evidence.questions if q.problem_id is not None]
    if not with_problem:
        return None
    asked = [row for row in with_problem if row[0] is not None]
    # the last asked; when none was pushed in the room, the first of the plan
    problem_id = max(asked, key=lambda row: row[0])[2] if asked else with_problem[0][2]  # type: ignore[arg-type,return-value]
    return Problem.objects.filter(pk=problem_id, organization_id=evidence.interview.organization_id).first()


def code_evaluation(evidence: Evidence) -> CodePayload:
    """Metrics, lint findings and the complexity estimate of the interview's final code."""
    language = evidence.language
    code = evidence.final_code
    payload: CodePayload = {
        "label": AI_LABEL,
        "language": language,
        "metrics": {},
        "lint": [],
        "complexity": None,
        "complexityReason": None,
    }
    if not code.strip():
        payload["complexityReason"] = _("No code was written.")
        return payload
    metrics, lint = code_metrics.code_metrics(code, language)
    payload["metrics"] = metrics
    payload["lint"] = lint
    try:
        payload["complexity"] = complexity.estimate(problem=_problem(evidence), language=language, code=code)
    except complexity.NotMeasurable as exc:
        payload["complexityReason"] = str(exc)
    return payload


def _analyse(interview: Interview, kind: str, evidence: Evidence) -> Insight:
    if kind == Insight.Kind.SUMMARY:
        provider = summary_provider()
        try:
            summary = provider.summarize(evidence)
        except ProviderError as exc:
            return _store(
                interview, kind, status=Insight.Status.FAILED, provider=provider.name, payload={}, error=str(exc)
            )
        return _store(interview, kind, status=Insight.Status.READY, provider=provider.name, payload=dict(summary))
    if kind == Insight.Kind.ENGAGEMENT:
        payload: dict[str, Any] = dict(engagement(evidence.segments))
        return _store(interview, kind, status=Insight.Status.READY, provider=ENGAGEMENT_PROVIDER, payload=payload)
    return _store(
        interview, kind, status=Insight.Status.READY, provider=CODE_PROVIDER, payload=dict(code_evaluation(evidence))
    )


def interview_analyse(*, interview_id: int) -> list[Insight]:
    """Make or remake the summary, engagement and code insights of an interview (one row per kind).

    Idempotent: a re-run replaces each insight. Long (the complexity estimate runs code in the
    sandbox), so it holds no transaction open; each insight is written on its own.
    """
    interview = Interview.objects.select_related("organization").get(pk=interview_id)
    if not ai_enabled(organization_id=interview.organization_id):
        return [
            _store(interview, kind, status=Insight.Status.DISABLED, provider="", payload={}, error="") for kind in KINDS
        ]
    evidence = interview_evidence(interview=interview)
    insights: list[Insight] = []
    for kind in KINDS:
        try:
            insights.append(_analyse(interview, kind, evidence))
        except Exception:
            # One analysis failing (a bug, a library choking on odd input) must not lose the others.
            logger.exception("insight %s of interview %s failed", kind, interview_id)
            insights.append(
                _store(
                    interview,
                    kind,
                    status=Insight.Status.FAILED,
                    provider="",
                    payload={},
                    error=_("This analysis failed unexpectedly; it is retried when the interview is analysed again."),
                )
            )
    return insights
