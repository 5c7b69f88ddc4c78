"""Time zones at the edges (STYLE rule 13): which zone a person reads wall-clock times in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(*names: str | None) -> ZoneInfo:
    """The first valid zone among ``names`` (e.g. the user's, then the organization's), else UTC."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
