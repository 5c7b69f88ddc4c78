"""Per-connection flood control for the room socket.

A token bucket admits ``rate`` frames per second with bursts of ``burst``. Frames beyond it are
refused with ``rate_limited``; a second, slower bucket counts the refusals, and a client that keeps
flooding after being told (the second bucket runs dry) is disconnected. Written here rather than
taken from a library because it is a dozen lines on a monotonic clock, per socket, with no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = self.clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class FloodGuard:
    """``admit()`` says whether to handle a frame; ``exhausted`` turns true when the client keeps on."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    warned_at: float = -1e9
    exhausted: bool = False
    frames: TokenBucket = field(init=False)
    refusals: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        self.frames = TokenBucket(self.rate, self.burst, self.clock)
        # as many refusals as one more burst, refilled at a fifth of the rate: a short spike
        # survives with errors, a sustained flood does not
        self.refusals = TokenBucket(max(self.rate / 5, 1.0), self.burst, self.clock)

    def admit(self) -> bool:
        if self.frames.take():
            return True
        if not self.refusals.take():
            self.exhausted = True
        return False

    def should_warn(self) -> bool:
        """At most one ``rate_limited`` error per second, so the warnings are no flood either."""
        now = self.clock()
        if now - self.warned_at >= 1.0:
            self.warned_at = now
            return True
        return False
