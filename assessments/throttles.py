"""Run throttles: at most ``count`` runs per ``seconds`` for a key, counted in the Django cache.

A fixed window per key, counted with ``cache.add`` + ``cache.incr``: both are atomic in Redis and
in the local-memory cache, so concurrent requests on any number of processes never both get the
last run of a window. Each key's windows are shifted by an offset derived from the key, so not
every participant's window resets at the same instant (no synchronized bursts every minute).

Keys are tokens, participants, API keys or organizations — never client addresses, which are
shared behind NAT and can be forged through proxy headers. A key is hashed before it becomes part
of a cache key, so no token is readable in Redis.

DRF's throttles are not used: they key on the user or the client address, keep a list of
timestamps per key (a read-modify-write that two processes can race) and answer only DRF views,
while these also guard the room's Run button and the DSA pages.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

PREFIX = "throttle:v1"


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """``"20/60"`` → Rate(20, 60); an empty string disables the throttle (None)."""
        text = (text or "").strip()
        if not text:
            return None
        count, sep, seconds = text.partition("/")
        try:
            rate = cls(int(count), int(seconds))
        except ValueError:
            rate = None
        if not sep or rate is None or rate.count < 1 or rate.seconds < 1:
            raise ImproperlyConfigured(f"a rate is '<count>/<seconds>' with both at least 1, not {text!r}")
        return rate


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def rate_hit(*, scope: str, key: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one hit for ``key``; None when allowed, else the whole seconds until the window ends."""
    now = time.time() if now is None else now
    digest = _digest(f"{scope}:{key}")
    offset = int(digest[:8], 16) % rate.seconds
    window, into = divmod(now + offset, rate.seconds)
    cache_key = f"{PREFIX}:{scope}:{digest}:{int(window)}"
    # add() is a no-op when the key exists; incr() raises ValueError when it does not (it expired
    # between the two calls), in which case the window is new and we start it again.
    for _attempt in range(3):
        cache.add(cache_key, 0, timeout=rate.seconds + 1)
        try:
            hits = int(cache.incr(cache_key))
            break
        except ValueError:
            continue
    else:
        return None  # the cache keeps losing the key: fail open rather than refuse every run
    if hits <= rate.count:
        return None
    return max(1, math.ceil(rate.seconds - into))
