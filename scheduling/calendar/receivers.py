"""Calendar receivers: CalDAV sync follows interview changes (connected in SchedulingConfig.ready)."""

from __future__ import annotations
