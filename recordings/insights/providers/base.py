"""The interface every summary provider implements."""

from __future__ import annotations

from typing import Protocol

from recordings.insights.evidence import Evidence
from recordings.insights.types import SummaryPayload


class ProviderError(Exception):
    """The provider could not make a summary; the message (for recruiters) says why."""


class SummaryProvider(Protocol):
    #: stored in ``Insight.provider``
    name: str

    def summarize(self, evidence: Evidence) -> SummaryPayload:
        """A summary whose every claim cites something of ``evidence``; raises ProviderError."""
        ...
