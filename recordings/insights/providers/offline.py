"""The offline provider: guide-point coverage and runs (recordings.insights.summary), no network."""

from __future__ import annotations

from recordings.insights.evidence import Evidence
from recordings.insights.summary import offline_summary
from recordings.insights.types import SummaryPayload


class OfflineProvider:
    name = "offline"

    def summarize(self, evidence: Evidence) -> SummaryPayload:
        return offline_summary(evidence)
