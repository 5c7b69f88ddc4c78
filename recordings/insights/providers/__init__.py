"""Summary providers: one interface, an offline one and an OpenAI-compatible one (docs/ai-insights.md)."""

from __future__ import annotations

from django.conf import settings

from recordings.insights.providers.base import ProviderError, SummaryProvider
from recordings.insights.providers.offline import OfflineProvider
from recordings.insights.providers.openai_compatible import OpenAICompatibleProvider

__all__ = ["OfflineProvider", "OpenAICompatibleProvider", "ProviderError", "SummaryProvider", "summary_provider"]


def summary_provider() -> SummaryProvider:
    """The OpenAI-compatible provider when ``AI_API_URL`` and ``AI_API_KEY`` are set, else the offline one."""
    if settings.AI_API_URL and settings.AI_API_KEY:
        return OpenAICompatibleProvider(
            url=settings.AI_API_URL,
            key=settings.AI_API_KEY,
            model=settings.AI_MODEL,
            timeout=float(settings.AI_TIMEOUT_SECONDS),
            max_retries=max(0, int(settings.AI_MAX_RETRIES)),
        )
    return OfflineProvider()
