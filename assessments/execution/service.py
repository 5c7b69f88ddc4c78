"""The Django side of code execution: picks the backend, queues runs by priority, caches results.

* **Backend** — ``EXECUTION_BACKEND=local`` runs the bubblewrap sandbox in this process;
  ``piston`` sends runs to ``EXECUTOR_URL`` (any Piston v2 server, this project's executor included).
* **Pool** — at most ``EXECUTION_MAX_CONCURRENCY`` runs at once in this process; waiting runs go
  by priority (a live interview before the default before batch grading), first come first served
  within one. A run that waits longer than ``EXECUTION_QUEUE_TIMEOUT_SECONDS`` gets SANDBOX_ERROR.
  Celery tasks that run code belong on the ``batch`` queue and pass ``Priority.BATCH``.
* **Cache** — identical (backend, language, code, stdin, limits, scope) return the stored result
  for ``EXECUTION_CACHE_SECONDS``, marked ``cached``. The scope (``org:<id>``) keeps tenants
  apart: with one shared cache, another organization could tell a problem's hidden input by
  guessing it and watching for a hit (the answer's speed shows a hit even without ``cached``).
  Failures of ours (SANDBOX_ERROR) are never stored, nor is a time limit reached on the wall
  clock with CPU time to spare: that one depends on how busy the machine was, and storing it
  would fail the candidate again on a quiet machine.
* **Batches** — :func:`execute_batch` runs one program against many stdins (grading): one pool
  slot, one compile, cached cases skipped, and a time budget for the whole batch.
* **Throttles** — :func:`throttle_check` counts runs per participant/token and per organization.

Callers in an event loop (the room consumer) call :func:`execute` in a thread of its own
(``sync_to_async(..., thread_sensitive=False)``): it blocks for as long as the program runs.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import logging
import threading
import time
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache

from assessments import throttles
from assessments.execution.base import (
    MAX_CODE_BYTES,
    VERDICT_MESSAGES,
    Backend,
    BatchBackend,
    ExecutionError,
    InteractiveRun,
    Limits,
    OutputCallback,
    RunRequest,
    RunResult,
    Runtime,
    StageResult,
    Verdict,
    budget_exhausted,
    canonical_language,
)
from assessments.execution.pool import PoolTimeout, PriorityPool

logger = logging.getLogger(__name__)

CACHE_PREFIX = "exec:v2"  # v2: the key includes the cache scope
RUNTIMES_TTL_SECONDS = 60.0


class Priority(enum.IntEnum):
    LIVE = 0  # a live interview is waiting on this run
    DEFAULT = 1
    BATCH = 2  # async assessment grading, analysis


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many runs; retry after {retry_after} s")
        self.retry_after = retry_after


# --- backend ------------------------------------------------------------------------------
@cache
def get_backend() -> Backend:
    if settings.EXECUTION_BACKEND == "piston":
        from assessments.execution.piston_client import PistonClient

        return PistonClient(settings.EXECUTOR_URL, bearer=settings.EXECUTOR_API_TOKEN or None)
    from assessments.execution.sandbox import LocalSandbox

    return LocalSandbox()


_runtimes_lock = threading.Lock()
# The backend itself is kept in the entry: an id() alone could be reused by a later object.
_runtimes_memo: dict[int, tuple[Backend, float, list[Runtime]]] = {}


def runtimes(*, backend: Backend | None = None) -> list[Runtime]:
    """The installed languages; asked of the backend at most once a minute (raises ExecutionError)."""
    backend = backend or get_backend()
    now = time.monotonic()
    with _runtimes_lock:
        memo = _runtimes_memo.get(id(backend))
        if memo and memo[0] is backend and now - memo[1] < RUNTIMES_TTL_SECONDS:
            return list(memo[2])
    found = backend.runtimes()
    with _runtimes_lock:
        _runtimes_memo[id(backend)] = (backend, now, list(found))
    return list(found)


# --- pool ---------------------------------------------------------------------------------
_pool_lock = threading.Lock()
_pool: PriorityPool | None = None


def get_pool() -> PriorityPool:
    """This process's pool, sized by ``EXECUTION_MAX_CONCURRENCY`` (rebuilt if the setting changes)."""
    global _pool
    size = max(1, int(settings.EXECUTION_MAX_CONCURRENCY))
    with _pool_lock:
        if _pool is None or _pool.size != size:
            # Holders of the old pool's slots release them on the old pool: it needs no draining.
            _pool = PriorityPool(size)
        return _pool


# --- cache --------------------------------------------------------------------------------
def cache_key(request: RunRequest, *, backend: Backend, scope: str = "") -> str:
    """sha256 of a canonical JSON of what decides a run's result, and of who may see it (``scope``)."""
    canonical = json.dumps(
        {
            "scope": scope,
            "backend": getattr(backend, "name", type(backend).__name__),
            "language": request.language,
            "code": request.code,
            "stdin": request.stdin,
            "limits": dataclasses.asdict(request.limits),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f"{CACHE_PREFIX}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def is_cacheable(result: RunResult, limits: Limits) -> bool:
    if result.verdict == Verdict.SANDBOX_ERROR:
        return False
    if result.run is None:
        # Not run: a failed compile is the code's doing; a case a batch skipped for its time
        # budget (TIME_LIMIT) depends on the cases before it.
        return result.verdict == Verdict.COMPILE_ERROR
    if result.verdict == Verdict.TIME_LIMIT:
        stage = result.run if result.run is not None else result.compile
        cpu_limit = limits.cpu_ms if result.run is not None else limits.compile_cpu_ms
        return stage is not None and stage.cpu_ms >= cpu_limit
    return True


def _to_cache(result: RunResult) -> dict[str, Any]:
    # Plain values, not a pickled dataclass: an entry written by an older release still loads
    # (or is skipped) instead of failing to unpickle.
    return dataclasses.asdict(result)


def _stage_from_cache(data: dict[str, Any] | None) -> StageResult | None:
    if data is None:
        return None
    fields = {f.name for f in dataclasses.fields(StageResult)}
    stage = StageResult(**{k: v for k, v in data.items() if k in fields})
    stage.verdict = Verdict(stage.verdict)
    return stage


def _from_cache(data: Any) -> RunResult | None:
    try:
        return RunResult(
            language=data["language"],
            version=data["version"],
            compile=_stage_from_cache(data["compile"]),
            run=_stage_from_cache(data["run"]),
            verdict=Verdict(data["verdict"]),
            message=data["message"],
            cached=True,
        )
    except (KeyError, TypeError, ValueError):
        return None


# --- runs ---------------------------------------------------------------------------------
def sandbox_error(request: RunRequest, message: str) -> RunResult:
    return RunResult(
        language=request.language,
        version="",
        compile=None,
        run=None,
        verdict=Verdict.SANDBOX_ERROR,
        message=message or VERDICT_MESSAGES[Verdict.SANDBOX_ERROR],
    )


def _checked(request: RunRequest) -> RunRequest:
    language = canonical_language(request.language)
    if language is None:
        raise ValueError(f"unknown language {request.language!r}")
    if len(request.code.encode()) > MAX_CODE_BYTES:
        raise ValueError(f"code over {MAX_CODE_BYTES} bytes")
    return request if language == request.language else dataclasses.replace(request, language=language)


def _backend_execute(backend: Backend, request: RunRequest, priority: Priority) -> RunResult:
    from assessments.execution.piston_client import PistonClient

    if isinstance(backend, PistonClient):
        # The executor has a pool of its own: tell it where this run belongs in the queue.
        return backend.execute(request, priority=priority.name.lower())
    return backend.execute(request)


def execute(
    request: RunRequest,
    *,
    priority: Priority = Priority.DEFAULT,
    use_cache: bool = True,
    cache_scope: str = "",
    backend: Backend | None = None,
) -> RunResult:
    """Run ``request`` through the configured backend, waiting for a pool slot by priority.

    ``cache_scope`` is part of the cache key: pass ``f"org:{organization_id}"`` wherever another
    organization's caller could send the same run. Raises ValueError for a language we do not
    run or code over 64 KiB (callers validate first); a failure of the backend itself comes back
    as a SANDBOX_ERROR result, never as an exception.
    """
    request = _checked(request)
    backend = backend or get_backend()
    key = cache_key(request, backend=backend, scope=cache_scope) if use_cache else None
    if key is not None:
        hit = _from_cache(django_cache.get(key))
        if hit is not None:
            return hit
    try:
        with get_pool().slot(priority, timeout=settings.EXECUTION_QUEUE_TIMEOUT_SECONDS):
            result = _backend_execute(backend, request, priority)
    except PoolTimeout:
        logger.warning("execution pool: no free slot within %s s", settings.EXECUTION_QUEUE_TIMEOUT_SECONDS)
        return sandbox_error(request, "Every execution slot stayed busy; try again in a moment.")
    except ExecutionError as exc:
        logger.warning("execution backend failed: %s", exc)
        return sandbox_error(request, str(exc))
    except Exception:
        # A bug in a backend must not turn into a 500 on a candidate's page.
        logger.exception("execution backend crashed")
        return sandbox_error(request, VERDICT_MESSAGES[Verdict.SANDBOX_ERROR])
    if key is not None and is_cacheable(result, request.limits):
        django_cache.set(key, _to_cache(result), timeout=settings.EXECUTION_CACHE_SECONDS)
    return result


def batch_budget_ms(limits: Limits, runs: int) -> int:
    """How much wall time the runs of one batch may add up to before the rest are not run."""
    return min(runs * limits.wall_ms, round(float(settings.EXECUTION_BATCH_BUDGET_SECONDS) * 1000))


def _backend_execute_batch(
    backend: Backend, request: RunRequest, stdins: list[str], priority: Priority, budget_ms: int
) -> list[RunResult]:
    from assessments.execution.piston_client import PistonClient

    if isinstance(backend, PistonClient):
        return backend.execute_batch(request, stdins, budget_ms=budget_ms, priority=priority.name.lower())
    if hasattr(backend, "execute_batch"):
        batch_backend: BatchBackend = backend  # type: ignore[assignment]
        return batch_backend.execute_batch(request, stdins, budget_ms=budget_ms)
    # A backend without batches: the same contract, one execute per stdin (each compiles).
    results: list[RunResult] = []
    spent_ms = 0
    for stdin in stdins:
        if spent_ms >= budget_ms:
            last = results[-1] if results else None
            results.append(budget_exhausted(request, last.version if last else "", last.compile if last else None))
            continue
        result = backend.execute(dataclasses.replace(request, stdin=stdin))
        spent_ms += result.run.wall_ms if result.run is not None else 0
        results.append(result)
        if result.verdict == Verdict.COMPILE_ERROR:
            return results + [dataclasses.replace(result) for _ in stdins[len(results) :]]
    return results


def execute_batch(
    request: RunRequest,
    stdins: list[str],
    *,
    priority: Priority = Priority.DEFAULT,
    use_cache: bool = True,
    cache_scope: str = "",
) -> list[RunResult]:
    """Run ``request``'s program once per stdin (its own ``stdin`` is ignored), compiling once.

    One result per stdin, in order. Cached cases (same key as :func:`execute` with that stdin)
    are served from the cache; the others run in one backend batch while this holds one pool
    slot. When the runs' wall time adds up to :func:`batch_budget_ms`, the remaining cases come
    back as TIME_LIMIT without running. Raises ValueError like :func:`execute`; a failure of the
    backend makes every case not served from the cache a SANDBOX_ERROR.
    """
    request = _checked(request)
    backend = get_backend()
    stdins = list(stdins)
    results: list[RunResult | None] = [None] * len(stdins)
    keys: list[str] = []
    if use_cache:
        keys = [cache_key(dataclasses.replace(request, stdin=s), backend=backend, scope=cache_scope) for s in stdins]
        stored = django_cache.get_many(list(set(keys)))
        for i, key in enumerate(keys):
            if key in stored:
                results[i] = _from_cache(stored[key])
    missing = [i for i, result in enumerate(results) if result is None]
    if missing:
        # Identical stdins in one batch run once.
        todo = list(dict.fromkeys(stdins[i] for i in missing))
        fresh = _run_batch(backend, request, todo, priority, batch_budget_ms(request.limits, len(todo)))
        by_stdin = dict(zip(todo, fresh, strict=True))
        for i in missing:
            results[i] = by_stdin[stdins[i]]
        if use_cache:
            to_store = {
                keys[i]: _to_cache(by_stdin[stdins[i]])
                for i in missing
                if is_cacheable(by_stdin[stdins[i]], request.limits)
            }
            if to_store:
                django_cache.set_many(to_store, timeout=settings.EXECUTION_CACHE_SECONDS)
    return [result for result in results if result is not None]


def _run_batch(
    backend: Backend, request: RunRequest, stdins: list[str], priority: Priority, budget_ms: int
) -> list[RunResult]:
    try:
        with get_pool().slot(priority, timeout=settings.EXECUTION_QUEUE_TIMEOUT_SECONDS):
            results = _backend_execute_batch(backend, request, stdins, priority, budget_ms)
        if len(results) != len(stdins):
            raise ExecutionError(f"the backend answered {len(results)} results for {len(stdins)} stdins")
        return results
    except PoolTimeout:
        logger.warning("execution pool: no free slot within %s s", settings.EXECUTION_QUEUE_TIMEOUT_SECONDS)
        error = sandbox_error(request, "Every execution slot stayed busy; try again in a moment.")
    except ExecutionError as exc:
        logger.warning("execution backend failed: %s", exc)
        error = sandbox_error(request, str(exc))
    except Exception:
        logger.exception("execution backend crashed")
        error = sandbox_error(request, VERDICT_MESSAGES[Verdict.SANDBOX_ERROR])
    return [dataclasses.replace(error) for _ in stdins]


@cache
def _interactive_sandbox() -> Any:
    from assessments.execution.sandbox import LocalSandbox

    return LocalSandbox()


def start_interactive(request: RunRequest, *, on_output: OutputCallback) -> InteractiveRun:
    """Start a program with a live stdin (the room's REPL-like panel); always the local sandbox.

    It takes no pool slot: such a program mostly waits for people to type, and the room allows
    one at a time, throttled per participant and organization (assessments.services.live_runs).
    """
    return _interactive_sandbox().start_interactive(_checked(request), on_output=on_output)


# --- throttles ----------------------------------------------------------------------------
def throttle_check(*, key: str, organization_id: int, rate: str | None = None, now: float | None = None) -> None:
    """Count one run for ``key`` (a participant or DSA token) and its organization; raise Throttled.

    ``rate`` overrides ``EXECUTION_RATE_PER_PARTICIPANT`` for this key (API keys have their own);
    the key is checked first, so a throttled participant does not use up the organization's runs.
    """
    key_rate = throttles.Rate.parse(settings.EXECUTION_RATE_PER_PARTICIPANT if rate is None else rate)
    if key_rate is not None:
        retry_after = throttles.rate_hit(scope="run", key=key, rate=key_rate, now=now)
        if retry_after is not None:
            raise Throttled(retry_after)
    org_rate = throttles.Rate.parse(settings.EXECUTION_RATE_PER_ORGANIZATION)
    if org_rate is not None:
        retry_after = throttles.rate_hit(scope="run-org", key=str(organization_id), rate=org_rate, now=now)
        if retry_after is not None:
            raise Throttled(retry_after)
