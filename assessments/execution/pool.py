"""A bounded pool of concurrent runs whose waiting room is served by priority, FIFO within one.

Written by hand because nothing in the standard library or a well-kept package does this:
``concurrent.futures`` and ``threading.BoundedSemaphore`` wake waiters in no defined order, and a
``queue.PriorityQueue`` of work items would need worker threads of its own, while here the caller's
thread (a Django request thread, a Celery worker) runs its own program once it holds a slot.

Django-free, like the rest of ``assessments.execution``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PoolTimeout(Exception):
    """No slot became free in time."""


class PriorityPool:
    """At most ``size`` holders at once; the lowest priority number waiting goes first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one slot")
        self.size = size
        self._busy = 0
        self._waiting: list[tuple[int, int]] = []  # heap of (priority, arrival)
        self._arrivals = itertools.count()
        self._cond = threading.Condition()

    @property
    def busy(self) -> int:
        with self._cond:
            return self._busy

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def acquire(self, priority: int, *, timeout: float | None = None) -> None:
        """Wait for a slot; raise PoolTimeout after ``timeout`` seconds (None waits forever)."""
        with self._cond:
            ticket = (int(priority), next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            try:
                got = self._cond.wait_for(lambda: self._busy < self.size and self._waiting[0] == ticket, timeout)
            except BaseException:
                self._leave(ticket)
                raise
            if not got:
                self._leave(ticket)
                raise PoolTimeout(f"no free slot within {timeout} s")
            heapq.heappop(self._waiting)
            self._busy += 1
            # The head changed: with several free slots the next waiter may go at once.
            self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            if self._busy <= 0:
                raise RuntimeError("release() without acquire()")
            self._busy -= 1
            self._cond.notify_all()

    @contextmanager
    def slot(self, priority: int, *, timeout: float | None = None) -> Iterator[None]:
        """Hold a slot for the body of the ``with`` block."""
        self.acquire(priority, timeout=timeout)
        try:
            yield
        finally:
            self.release()

    def _leave(self, ticket: tuple[int, int]) -> None:
        # Called with the condition held: a waiter that gives up leaves the heap, and whoever is
        # now at its head must re-check.
        self._waiting.remove(ticket)
        heapq.heapify(self._waiting)
        self._cond.notify_all()
