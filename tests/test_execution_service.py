"""The execution service: the pool serves live runs first, identical runs are cached, runs are throttled."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from assessments import throttles
from assessments.execution import service
from assessments.execution.base import Limits, RunRequest, RunResult, Runtime, StageResult, Verdict
from assessments.execution.piston_client import PistonClient
from assessments.execution.service import Priority, Throttled
from tests.live_asgi import free_port


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """A bounded wait for another thread to reach a state (not a timing assertion)."""
    deadline = time.monotonic() + 20
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.005)


class GateBackend:
    """Records the order runs start in and holds each until the test lets one through.

    For the pool's ordering only: which run starts next is the pool's decision, not the sandbox's.
    """

    name = "gate"

    def __init__(self) -> None:
        self.started: list[str] = []
        self.proceed = threading.Semaphore(0)
        self._lock = threading.Lock()

    def runtimes(self) -> list[Runtime]:
        return [Runtime(language="python", version="0")]

    def execute(self, request: RunRequest) -> RunResult:
        with self._lock:
            self.started.append(request.code)
        if not self.proceed.acquire(timeout=30):
            raise AssertionError("the test never let this run finish")
        return RunResult(
            language=request.language,
            version="0",
            compile=None,
            run=StageResult(stdout=request.code, exit_code=0),
            verdict=Verdict.OK,
            message="",
        )


@pytest.fixture
def one_slot(settings) -> Iterator[None]:
    settings.EXECUTION_MAX_CONCURRENCY = 1
    yield
    assert service.get_pool().busy == 0


def _in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_with_the_pool_full_a_live_run_queued_after_batch_runs_starts_first(one_slot: None) -> None:
    # given: the only slot is taken, then two batch runs and a default run queue up, then a live one
    backend = GateBackend()
    pool = service.get_pool()

    def submit(label: str, priority: Priority) -> threading.Thread:
        request = RunRequest(language="python", code=label)
        return _in_thread(lambda: service.execute(request, priority=priority, use_cache=False, backend=backend))

    threads = [submit("holder", Priority.BATCH)]
    _wait_until(lambda: backend.started == ["holder"], "the first run holds the slot")
    for position, (label, priority) in enumerate(
        [
            ("batch-1", Priority.BATCH),
            ("batch-2", Priority.BATCH),
            ("default", Priority.DEFAULT),
            ("live", Priority.LIVE),
        ],
        start=1,
    ):
        threads.append(submit(label, priority))
        _wait_until(lambda n=position: pool.waiting == n, f"{label} is queued")  # type: ignore[misc]

    # when: the runs finish one at a time
    for started in range(2, 6):
        backend.proceed.release()
        _wait_until(lambda n=started: len(backend.started) == n, "the next run starts")  # type: ignore[misc]
    backend.proceed.release()
    for thread in threads:
        thread.join(timeout=10)

    # then: live first, then default, then batch in the order it arrived
    assert backend.started == ["holder", "live", "default", "batch-1", "batch-2"]
    assert pool.waiting == 0


def test_the_pool_runs_as_many_at_once_as_configured(settings) -> None:
    # given
    settings.EXECUTION_MAX_CONCURRENCY = 3
    backend = GateBackend()
    pool = service.get_pool()
    # when: five runs arrive at once
    threads = [
        _in_thread(
            lambda i=i: service.execute(
                RunRequest(language="python", code=f"run-{i}"), use_cache=False, backend=backend
            )  # type: ignore[misc]
        )
        for i in range(5)
    ]
    _wait_until(lambda: len(backend.started) == 3 and pool.waiting == 2, "three run, two wait")
    # then
    assert pool.busy == 3
    for _ in range(5):
        backend.proceed.release()
    for thread in threads:
        thread.join(timeout=10)
    assert len(backend.started) == 5
    assert pool.busy == 0


# --- with the real sandbox ----------------------------------------------------------------
@pytest.mark.sandbox
def test_a_run_that_waits_too_long_for_a_slot_is_a_sandbox_error(settings, one_slot: None) -> None:
    # given: the only slot is busy with a program that sleeps
    settings.EXECUTION_QUEUE_TIMEOUT_SECONDS = 0.2
    sleeper = RunRequest(language="python", code="import time\ntime.sleep(1.5)\nprint('done')")
    results: list[RunResult] = []
    thread = _in_thread(lambda: results.append(service.execute(sleeper, use_cache=False)))
    _wait_until(lambda: service.get_pool().busy == 1, "the sleeper holds the slot")
    # when
    result = service.execute(RunRequest(language="python", code="print(1)"), priority=Priority.LIVE)
    # then
    assert result.verdict == Verdict.SANDBOX_ERROR
    assert "busy" in result.message
    thread.join(timeout=20)
    assert results[0].verdict == Verdict.OK
    assert results[0].run is not None
    assert results[0].run.stdout == "done\n"


RANDOM = "import os\nprint(os.urandom(16).hex())"


@pytest.mark.sandbox
def test_an_identical_run_is_served_from_the_cache() -> None:
    # given: a program whose every real run prints something new
    request = RunRequest(language="python", code=RANDOM)
    first = service.execute(request)
    # when
    second = service.execute(RunRequest(language="python", code=RANDOM))
    # then
    assert first.verdict == second.verdict == Verdict.OK
    assert first.run is not None
    assert second.run is not None
    assert (first.cached, second.cached) == (False, True)
    assert second.run.stdout == first.run.stdout
    assert second.version == first.version


@pytest.mark.sandbox
@pytest.mark.parametrize(
    "other",
    [
        RunRequest(language="python", code=RANDOM, stdin="x"),
        RunRequest(language="python", code=RANDOM + "\n"),
        RunRequest(language="python", code=RANDOM, limits=Limits(cpu_ms=1500)),
    ],
    ids=["stdin", "code", "limits"],
)
def test_a_run_differing_in_stdin_code_or_limits_is_not_served_from_the_cache(other: RunRequest) -> None:
    # given
    first = service.execute(RunRequest(language="python", code=RANDOM))
    # when
    result = service.execute(other)
    # then
    assert result.cached is False
    assert result.run is not None
    assert first.run is not None
    assert result.run.stdout != first.run.stdout


@pytest.mark.sandbox
def test_use_cache_false_runs_again() -> None:
    request = RunRequest(language="python", code=RANDOM)
    first = service.execute(request)
    again = service.execute(request, use_cache=False)
    assert again.cached is False
    assert again.run is not None
    assert first.run is not None
    assert again.run.stdout != first.run.stdout


@pytest.mark.sandbox
def test_a_wall_clock_time_limit_with_cpu_to_spare_is_not_cached() -> None:
    # given: a program that sleeps past its wall clock (its verdict depends on the machine, not the code)
    request = RunRequest(language="python", code="import time\ntime.sleep(30)", limits=Limits(wall_ms=800))
    # when
    result = service.execute(request)
    # then
    assert result.verdict == Verdict.TIME_LIMIT
    assert cache.get(service.cache_key(request, backend=service.get_backend())) is None
    assert service.execute(request).cached is False


def test_a_sandbox_error_is_never_cached() -> None:
    # given: a real backend that fails — an executor nobody listens on
    backend = PistonClient(f"http://127.0.0.1:{free_port()}", retries=0)
    request = RunRequest(language="python", code="print(1)")
    # when
    first = service.execute(request, backend=backend)
    second = service.execute(request, backend=backend)
    # then
    assert first.verdict == second.verdict == Verdict.SANDBOX_ERROR
    assert "cannot reach" in first.message
    assert second.cached is False
    assert cache.get(service.cache_key(request, backend=backend)) is None


def test_the_cache_key_is_a_sha256_of_every_input() -> None:
    backend = GateBackend()
    base = RunRequest(language="python", code="print(1)")
    keys = {
        service.cache_key(r, backend=backend)
        for r in (
            base,
            RunRequest(language="c", code="print(1)"),
            RunRequest(language="python", code="print(2)"),
            RunRequest(language="python", code="print(1)", stdin="\n"),
            RunRequest(language="python", code="print(1)", limits=Limits(memory_kb=1024)),
        )
    }
    assert len(keys) == 5
    assert service.cache_key(RunRequest(language="python", code="print(1)"), backend=backend) in keys
    assert len(service.cache_key(base, backend=backend).rsplit(":", 1)[1]) == 64


def test_an_unknown_language_or_oversized_code_is_refused_before_running() -> None:
    backend = GateBackend()
    with pytest.raises(ValueError, match="unknown language"):
        service.execute(RunRequest(language="cobol", code="x"), backend=backend)
    with pytest.raises(ValueError, match="65536"):
        service.execute(RunRequest(language="python", code="#" * (64 * 1024 + 1)), backend=backend)
    assert backend.started == []


@pytest.mark.sandbox
def test_an_alias_runs_as_its_language() -> None:
    result = service.execute(RunRequest(language="py", code="print('aliased')"))
    assert result.verdict == Verdict.OK
    assert result.language == "python"


def test_the_piston_setting_selects_the_http_client(settings) -> None:
    settings.EXECUTION_BACKEND = "piston"
    settings.EXECUTOR_URL = "http://executor.internal:8000"
    settings.EXECUTOR_API_TOKEN = "secret-token"
    service.get_backend.cache_clear()
    try:
        backend = service.get_backend()
        assert isinstance(backend, PistonClient)
        assert backend.base_url == "http://executor.internal:8000/api/v2"
        assert backend.headers["Authorization"] == "Bearer secret-token"
    finally:
        service.get_backend.cache_clear()


@pytest.mark.sandbox
def test_interactive_runs_use_the_local_sandbox_even_with_the_piston_backend(settings) -> None:
    # given: the configured backend points at an executor nobody listens on
    settings.EXECUTION_BACKEND = "piston"
    settings.EXECUTOR_URL = f"http://127.0.0.1:{free_port()}"
    service.get_backend.cache_clear()
    chunks: list[tuple[str, str]] = []
    try:
        # when
        run = service.start_interactive(
            RunRequest(language="python", code="name = input()\nprint('hi', name)"),
            on_output=lambda stream, text: chunks.append((stream, text)),
        )
        run.write_stdin("ada\n")
        run.close_stdin()
        result = run.wait(timeout=20)
    finally:
        service.get_backend.cache_clear()
    # then
    assert result.verdict == Verdict.OK
    assert "hi ada" in "".join(text for stream, text in chunks if stream == "stdout")


# --- cache scope --------------------------------------------------------------------------
@pytest.mark.sandbox
def test_a_cached_result_is_served_only_within_its_scope() -> None:
    # given: organization 1 ran a program
    request = RunRequest(language="python", code=RANDOM)
    first = service.execute(request, cache_scope="org:1")
    # when
    same_org = service.execute(request, cache_scope="org:1")
    other_org = service.execute(request, cache_scope="org:2")
    unscoped = service.execute(request)
    # then
    assert (first.cached, same_org.cached, other_org.cached, unscoped.cached) == (False, True, False, False)
    assert other_org.run is not None
    assert first.run is not None
    assert other_org.run.stdout != first.run.stdout


def test_the_cache_key_includes_the_scope() -> None:
    backend = GateBackend()
    request = RunRequest(language="python", code="print(1)")
    keys = {service.cache_key(request, backend=backend, scope=scope) for scope in ("", "org:1", "org:2", "bearer")}
    assert len(keys) == 4


# --- batches ------------------------------------------------------------------------------
class RecordingSandbox:
    """The real local sandbox, recording each batch it is given and whether a pool slot was held."""

    name = "local"

    def __init__(self) -> None:
        from assessments.execution.sandbox import LocalSandbox

        self.sandbox = LocalSandbox()
        self.batches: list[list[str]] = []
        self.busy_slots: list[int] = []

    def runtimes(self) -> list[Runtime]:
        return self.sandbox.runtimes()

    def execute(self, request: RunRequest) -> RunResult:
        raise AssertionError("a batch must not fall back to one execute per stdin")

    def execute_batch(self, request: RunRequest, stdins: list[str], *, budget_ms: int | None = None) -> list[RunResult]:
        self.batches.append(list(stdins))
        self.busy_slots.append(service.get_pool().busy)
        return self.sandbox.execute_batch(request, stdins, budget_ms=budget_ms)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> RecordingSandbox:
    backend = RecordingSandbox()
    monkeypatch.setattr(service, "get_backend", lambda: backend)
    return backend


SALTED = "import os\nprint(input(), os.urandom(8).hex())"


@pytest.mark.sandbox
def test_a_batch_runs_every_stdin_in_one_backend_call_holding_one_slot(recording: RecordingSandbox) -> None:
    # when
    results = service.execute_batch(RunRequest("python", SALTED), ["a", "b", "c"], priority=Priority.BATCH)
    # then
    assert [r.verdict for r in results] == [Verdict.OK] * 3
    assert [r.run.stdout.split()[0] for r in results if r.run is not None] == ["a", "b", "c"]
    assert recording.batches == [["a", "b", "c"]]
    assert recording.busy_slots == [1]
    assert service.get_pool().busy == 0


@pytest.mark.sandbox
def test_a_batch_serves_cached_cases_and_runs_only_the_missing_ones(recording: RecordingSandbox) -> None:
    # given: two cases ran before, in this scope
    request = RunRequest("python", SALTED)
    before = service.execute_batch(request, ["a", "b"], cache_scope="org:7")
    # when
    results = service.execute_batch(request, ["a", "new", "b"], cache_scope="org:7")
    # then
    assert recording.batches == [["a", "b"], ["new"]]
    assert [r.cached for r in results] == [True, False, True]
    assert [r.run.stdout for r in results if r.run is not None][::2] == [
        r.run.stdout for r in before if r.run is not None
    ]


@pytest.mark.sandbox
def test_a_batch_shares_the_cache_with_execute_within_a_scope_only(recording: RecordingSandbox) -> None:
    # given
    request = RunRequest("python", SALTED)
    single = service.execute(dataclasses.replace(request, stdin="x"), cache_scope="org:1", backend=recording.sandbox)
    # when
    same_scope = service.execute_batch(request, ["x"], cache_scope="org:1")
    other_scope = service.execute_batch(request, ["x"], cache_scope="org:2")
    # then
    assert same_scope[0].cached is True
    assert same_scope[0].run is not None
    assert single.run is not None
    assert same_scope[0].run.stdout == single.run.stdout
    assert other_scope[0].cached is False


@pytest.mark.sandbox
def test_a_batch_that_uses_up_its_budget_returns_the_rest_as_time_limit_uncached(
    settings, recording: RecordingSandbox
) -> None:
    # given: a budget the first run alone uses up
    settings.EXECUTION_BATCH_BUDGET_SECONDS = 0.001
    request = RunRequest("python", SALTED)
    # when
    results = service.execute_batch(request, ["a", "b", "c"])
    # then
    assert results[0].verdict == Verdict.OK
    assert [r.verdict for r in results[1:]] == [Verdict.TIME_LIMIT, Verdict.TIME_LIMIT]
    assert all(r.run is None and "used up its time budget" in r.message for r in results[1:])
    # and the skipped cases run next time (only they were not cached)
    settings.EXECUTION_BATCH_BUDGET_SECONDS = 120
    again = service.execute_batch(request, ["a", "b", "c"])
    assert [r.cached for r in again] == [True, False, False]
    assert [r.verdict for r in again] == [Verdict.OK] * 3


@pytest.mark.sandbox
def test_a_batch_that_does_not_compile_is_a_compile_error_for_every_case(recording: RecordingSandbox) -> None:
    # when
    results = service.execute_batch(RunRequest("c", "int main( {"), ["1", "2", "3"])
    # then
    assert [r.verdict for r in results] == [Verdict.COMPILE_ERROR] * 3
    assert len(recording.batches) == 1
    # a compile error is the code's doing: cached per case
    assert [r.cached for r in service.execute_batch(RunRequest("c", "int main( {"), ["1", "2", "3"])] == [True] * 3


def test_a_batch_on_a_backend_without_batches_runs_one_execute_per_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: the gate backend has no execute_batch
    backend = GateBackend()
    monkeypatch.setattr(service, "get_backend", lambda: backend)
    for _ in range(2):
        backend.proceed.release()
    # when
    results = service.execute_batch(RunRequest("python", "ignored"), ["1", "2"], use_cache=False)
    # then
    assert len(results) == 2
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert backend.started == ["ignored", "ignored"]


def test_a_batch_with_an_unreachable_executor_is_a_sandbox_error_per_case(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = PistonClient(f"http://127.0.0.1:{free_port()}", retries=0)
    monkeypatch.setattr(service, "get_backend", lambda: backend)
    results = service.execute_batch(RunRequest("python", "print(1)"), ["1", "2"])
    assert [r.verdict for r in results] == [Verdict.SANDBOX_ERROR] * 2
    assert all("cannot reach" in r.message for r in results)


# --- throttles ----------------------------------------------------------------------------
NOW = 1_700_000_000.0


def test_the_call_after_the_last_allowed_one_is_throttled_until_the_window_ends() -> None:
    # given
    rate = throttles.Rate(3, 60)
    for _ in range(3):
        assert throttles.rate_hit(scope="t", key="token-a", rate=rate, now=NOW) is None
    # when
    retry_after = throttles.rate_hit(scope="t", key="token-a", rate=rate, now=NOW)
    # then: refused, and refused until exactly Retry-After seconds later
    assert retry_after is not None
    assert 1 <= retry_after <= 60
    assert throttles.rate_hit(scope="t", key="token-a", rate=rate, now=NOW + retry_after - 1) is not None
    assert throttles.rate_hit(scope="t", key="token-a", rate=rate, now=NOW + retry_after) is None


def test_another_key_is_not_affected_by_a_throttled_one() -> None:
    rate = throttles.Rate(1, 60)
    assert throttles.rate_hit(scope="t", key="token-a", rate=rate, now=NOW) is None
    assert throttles.rate_hit(scope="t", key="token-a", rate=rate, now=NOW) is not None
    assert throttles.rate_hit(scope="t", key="token-b", rate=rate, now=NOW) is None
    assert throttles.rate_hit(scope="other", key="token-a", rate=rate, now=NOW) is None


def test_concurrent_hits_never_exceed_the_rate() -> None:
    # given
    rate = throttles.Rate(10, 3600)
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def hit_five_times() -> None:
        barrier.wait()
        for _ in range(5):
            ok = throttles.rate_hit(scope="t", key="shared", rate=rate, now=NOW) is None
            with lock:
                allowed.append(ok)

    # when: 8 threads x 5 hits at once
    threads = [_in_thread(hit_five_times) for _ in range(8)]
    for thread in threads:
        thread.join(timeout=10)
    # then
    assert len(allowed) == 40
    assert allowed.count(True) == 10


def test_throttle_check_limits_each_participant(settings) -> None:
    # given
    settings.EXECUTION_RATE_PER_PARTICIPANT = "2/60"
    settings.EXECUTION_RATE_PER_ORGANIZATION = "100/60"
    service.throttle_check(key="participant-1", organization_id=1, now=NOW)
    service.throttle_check(key="participant-1", organization_id=1, now=NOW)
    # when / then
    with pytest.raises(Throttled) as caught:
        service.throttle_check(key="participant-1", organization_id=1, now=NOW)
    assert isinstance(caught.value.retry_after, int)
    assert 1 <= caught.value.retry_after <= 60
    service.throttle_check(key="participant-2", organization_id=1, now=NOW)  # another participant runs


def test_throttle_check_limits_each_organization(settings) -> None:
    # given: many participants of one organization
    settings.EXECUTION_RATE_PER_PARTICIPANT = "5/60"
    settings.EXECUTION_RATE_PER_ORGANIZATION = "3/60"
    for n in range(3):
        service.throttle_check(key=f"participant-{n}", organization_id=7, now=NOW)
    # when / then: a fourth participant of the same organization is refused
    with pytest.raises(Throttled) as caught:
        service.throttle_check(key="participant-9", organization_id=7, now=NOW)
    assert caught.value.retry_after >= 1
    # and another organization is not
    service.throttle_check(key="participant-9", organization_id=8, now=NOW)


def test_a_throttled_participant_does_not_use_up_the_organizations_runs(settings) -> None:
    settings.EXECUTION_RATE_PER_PARTICIPANT = "1/60"
    settings.EXECUTION_RATE_PER_ORGANIZATION = "2/60"
    service.throttle_check(key="noisy", organization_id=1, now=NOW)
    for _ in range(5):
        with pytest.raises(Throttled):
            service.throttle_check(key="noisy", organization_id=1, now=NOW)
    service.throttle_check(key="quiet", organization_id=1, now=NOW)


def test_an_empty_rate_disables_the_throttle_and_a_bad_one_is_refused(settings) -> None:
    settings.EXECUTION_RATE_PER_PARTICIPANT = ""
    settings.EXECUTION_RATE_PER_ORGANIZATION = ""
    for _ in range(50):
        service.throttle_check(key="anyone", organization_id=1, now=NOW)
    settings.EXECUTION_RATE_PER_PARTICIPANT = "20 per minute"
    with pytest.raises(ImproperlyConfigured, match="count"):
        service.throttle_check(key="anyone", organization_id=1, now=NOW)
    assert throttles.Rate.parse("20/60") == throttles.Rate(20, 60)
    for bad in ("0/60", "5/0", "/60", "5"):
        with pytest.raises(ImproperlyConfigured):
            throttles.Rate.parse(bad)
