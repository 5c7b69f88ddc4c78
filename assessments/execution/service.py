"""The Django side of code execution: picks the backend, queues runs by priority, caches results.

SKELETON — the pool with priorities, the result cache and the throttles are being built; the
signatures below are the contract the rest of the project codes against.
"""

from __future__ import annotations

import enum
from functools import cache

from django.conf import settings

from assessments.execution.base import Backend, InteractiveRun, OutputCallback, RunRequest, RunResult, Runtime


class Priority(enum.IntEnum):
    LIVE = 0  # a live interview is waiting on this run
    DEFAULT = 1
    BATCH = 2  # async assessment grading, analysis


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many runs; retry after {retry_after} s")
        self.retry_after = retry_after


@cache
def get_backend() -> Backend:
    if settings.EXECUTION_BACKEND == "piston":
        from assessments.execution.piston_client import PistonClient

        return PistonClient(settings.EXECUTOR_URL)
    from assessments.execution.sandbox import LocalSandbox

    return LocalSandbox()


def runtimes() -> list[Runtime]:
    return get_backend().runtimes()


def execute(request: RunRequest, *, priority: Priority = Priority.DEFAULT, use_cache: bool = True) -> RunResult:
    """Run ``request`` through the configured backend, waiting for a pool slot by priority."""
    return get_backend().execute(request)


def start_interactive(request: RunRequest, *, on_output: OutputCallback) -> InteractiveRun:
    """Start a program with a live stdin (the room's REPL-like panel); always the local sandbox."""
    from assessments.execution.sandbox import LocalSandbox

    return LocalSandbox().start_interactive(request, on_output=on_output)


def throttle_check(*, key: str, organization_id: int) -> None:
    """Count one run for ``key`` (a participant or DSA token) and its organization; raise Throttled."""
