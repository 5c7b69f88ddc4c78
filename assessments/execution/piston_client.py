"""A Backend that runs code on any Piston v2 server, and the Piston v2 JSON shapes both ways.

``PistonClient`` talks to engineer-man/piston, to emkc.org's public instance or to this project's
own executor (``/api/v2/``, served by ``assessments.piston_views`` with :func:`result_to_piston`).
Our executor adds a ``verdict`` (and ``message``) to the answer; a plain Piston server does not,
so the verdict is then inferred from the exit code, the signal and Piston 3's ``status``.

Django-free, like the rest of ``assessments.execution``; HTTP through requests.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import requests

from assessments.execution.base import (
    VERDICT_MESSAGES,
    ExecutionError,
    Limits,
    RunRequest,
    RunResult,
    Runtime,
    StageResult,
    Verdict,
    budget_exhausted,
    canonical_language,
)

# Piston runs the first file; Java's public class may have any name in our sandbox, but a real
# Piston compiles ``Main.java``-style names more happily.
FILE_NAMES = {
    "python": "main.py",
    "javascript": "main.js",
    "typescript": "main.ts",
    "c": "main.c",
    "c++": "main.cpp",
    "java": "Main.java",
    "go": "main.go",
    "rust": "main.rs",
}
# Piston's name for a language's runtime, where it has one (its ``runtime`` field).
RUNTIME_NAMES = {"javascript": "node", "typescript": "node"}
# Piston 3's per-stage ``status`` → our verdict.
PISTON_STATUS = {
    "TO": Verdict.TIME_LIMIT,
    "OL": Verdict.OUTPUT_LIMIT,
    "EL": Verdict.OUTPUT_LIMIT,
    "RE": Verdict.RUNTIME_ERROR,
    "SG": Verdict.RUNTIME_ERROR,
    "XX": Verdict.SANDBOX_ERROR,
}
RETRY_STATUSES = frozenset({502, 503, 504})


# --- Piston shapes ------------------------------------------------------------------------
def runtime_to_piston(runtime: Runtime) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "language": runtime.language,
        "version": runtime.version,
        "aliases": list(runtime.aliases),
    }
    if runtime.language in RUNTIME_NAMES:
        payload["runtime"] = RUNTIME_NAMES[runtime.language]
    return payload


def stage_to_piston(stage: StageResult) -> dict[str, Any]:
    return {
        "stdout": stage.stdout,
        "stderr": stage.stderr,
        "output": stage.stdout + stage.stderr,
        "code": stage.exit_code,
        "signal": stage.signal,
        # Piston 3 has these too (memory in bytes); the rest are ours.
        "message": stage.message or None,
        "cpu_time": stage.cpu_ms,
        "wall_time": stage.wall_ms,
        "memory": stage.memory_kb * 1024,
        "verdict": stage.verdict.value,
        "stdout_truncated": stage.stdout_truncated,
        "stderr_truncated": stage.stderr_truncated,
    }


def result_to_piston(result: RunResult) -> dict[str, Any]:
    """A RunResult as Piston v2 answers it, plus our ``verdict``, ``message`` and ``cached``.

    Like Piston, ``run`` is absent when the compile step failed.
    """
    payload: dict[str, Any] = {"language": result.language, "version": result.version}
    if result.run is not None:
        payload["run"] = stage_to_piston(result.run)
    if result.compile is not None:
        payload["compile"] = stage_to_piston(result.compile)
    payload["verdict"] = result.verdict.value
    payload["message"] = result.message
    payload["cached"] = result.cached
    return payload


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _infer_stage_verdict(stage: dict[str, Any], *, compile_step: bool) -> Verdict:
    status = stage.get("status")
    if isinstance(status, str) and status in PISTON_STATUS:
        verdict = PISTON_STATUS[status]
    elif stage.get("signal") == "SIGKILL":
        # Piston kills with SIGKILL when the time runs out (its memory limit makes the program
        # fail on its own allocation instead).
        verdict = Verdict.TIME_LIMIT
    elif stage.get("signal") or _int_or_none(stage.get("code")) not in (0, None):
        verdict = Verdict.RUNTIME_ERROR
    else:
        verdict = Verdict.OK
    if compile_step and verdict == Verdict.RUNTIME_ERROR:
        return Verdict.COMPILE_ERROR
    return verdict


def stage_from_piston(stage: Any, *, compile_step: bool = False) -> StageResult:
    if not isinstance(stage, dict):
        raise ExecutionError("the executor answered a stage that is not an object")
    try:
        verdict = Verdict(stage["verdict"])
    except (KeyError, ValueError):
        verdict = _infer_stage_verdict(stage, compile_step=compile_step)
    memory = _int_or_none(stage.get("memory"))
    message = stage.get("message")
    return StageResult(
        stdout=str(stage.get("stdout") or ""),
        stderr=str(stage.get("stderr") or ""),
        exit_code=_int_or_none(stage.get("code")),
        signal=stage.get("signal") if isinstance(stage.get("signal"), str) else None,
        wall_ms=_int_or_none(stage.get("wall_time")) or 0,
        cpu_ms=_int_or_none(stage.get("cpu_time")) or 0,
        memory_kb=(memory // 1024) if memory and memory > 0 else 0,
        stdout_truncated=bool(stage.get("stdout_truncated")),
        stderr_truncated=bool(stage.get("stderr_truncated")),
        verdict=verdict,
        message=message if isinstance(message, str) and message else VERDICT_MESSAGES[verdict],
    )


def result_from_piston(payload: Any, *, language: str) -> RunResult:
    """Piston's answer to ``POST /execute`` as a RunResult (our verdict when present, else inferred)."""
    if not isinstance(payload, dict):
        raise ExecutionError("the executor answered something that is not a JSON object")
    compile_stage = stage_from_piston(payload["compile"], compile_step=True) if payload.get("compile") else None
    run_stage = stage_from_piston(payload["run"]) if payload.get("run") else None
    if compile_stage is not None and compile_stage.verdict == Verdict.OK and compile_stage.exit_code not in (0, None):
        compile_stage.verdict = Verdict.COMPILE_ERROR
    try:
        verdict = Verdict(payload["verdict"])
    except (KeyError, ValueError):
        if compile_stage is not None and compile_stage.verdict != Verdict.OK:
            verdict = compile_stage.verdict
        elif run_stage is not None:
            verdict = run_stage.verdict
        else:
            raise ExecutionError("the executor's answer has neither a run nor a failed compile step") from None
    message = payload.get("message")
    return RunResult(
        language=canonical_language(str(payload.get("language") or "")) or language,
        version=str(payload.get("version") or ""),
        compile=compile_stage,
        run=run_stage,
        verdict=verdict,
        message=message if isinstance(message, str) and message else VERDICT_MESSAGES[verdict],
        cached=payload.get("cached") is True,
    )


def request_to_piston(request: RunRequest) -> dict[str, Any]:
    limits = request.limits
    return {
        "language": request.language,
        "version": "*",
        "files": [{"name": FILE_NAMES.get(request.language, "main"), "content": request.code}],
        "stdin": request.stdin,
        "args": [],
        "compile_timeout": limits.compile_wall_ms,
        "run_timeout": limits.wall_ms,
        "compile_cpu_time": limits.compile_cpu_ms,
        "run_cpu_time": limits.cpu_ms,
        "compile_memory_limit": limits.compile_memory_kb * 1024,
        "run_memory_limit": limits.memory_kb * 1024,
    }


# --- the client ---------------------------------------------------------------------------
class PistonClient:
    """Run code on a Piston v2 server at ``base_url`` (``…/api/v2`` is appended when missing)."""

    name = "piston"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        bearer: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.2,
        session: requests.Session | None = None,
    ) -> None:
        if not base_url:
            raise ExecutionError("EXECUTOR_URL is empty: the piston backend needs the executor's address")
        base = base_url.rstrip("/")
        self.base_url = base if "/api/v2" in base else f"{base}/api/v2"
        self.timeout = timeout  # seconds on top of the run's own limits
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.headers = {"Accept": "application/json", "User-Agent": "talentsync-piston-client/1"}
        if api_key:
            self.headers["Authorization"] = f"Api-Key {api_key}"
        elif bearer:
            self.headers["Authorization"] = f"Bearer {bearer}"

    def _send(self, method: str, path: str, *, read_timeout: float, json_body: Any = None) -> Any:
        """One call, retried on connection failures and 502/503/504 — never on other answers.

        A read timeout is not retried either: the program may be running, and sending it again
        would run it twice on an executor that is already slow.
        """
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json_body,
                    headers=self.headers,
                    timeout=(self.connect_timeout, read_timeout),
                )
            except requests.ConnectionError as exc:
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * attempt)
                    continue
                raise ExecutionError(f"cannot reach the executor at {self.base_url}: {exc}") from exc
            except requests.Timeout as exc:
                raise ExecutionError(
                    f"the executor at {self.base_url} did not answer within {read_timeout:.0f} s"
                ) from exc
            except requests.RequestException as exc:
                raise ExecutionError(f"request to the executor failed: {exc}") from exc
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                time.sleep(self.backoff * attempt)
                continue
            return self._decode(response)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = body.get("message") if isinstance(body, dict) else None
            detail = message if isinstance(message, str) and message else response.text[:200]
            if response.status_code == 429:
                retry_after = response.headers.get("Retry-After", "?")
                raise ExecutionError(f"the executor is throttling this client; retry after {retry_after} s")
            raise ExecutionError(f"the executor answered {response.status_code}: {detail}")
        if body is None:
            raise ExecutionError(f"the executor answered {response.status_code} with a body that is not JSON")
        return body

    def runtimes(self) -> list[Runtime]:
        """The languages the server runs that we know by name (raises ExecutionError)."""
        body = self._send("GET", "/runtimes", read_timeout=self.timeout)
        if not isinstance(body, list):
            raise ExecutionError("the executor's runtimes are not a JSON list")
        found: list[Runtime] = []
        for item in body:
            if not isinstance(item, dict):
                continue
            language = canonical_language(str(item.get("language") or ""))
            if language is None:
                continue
            aliases = item.get("aliases")
            aliases = aliases if isinstance(aliases, list) else []
            found.append(
                Runtime(language=language, version=str(item.get("version") or ""), aliases=tuple(map(str, aliases)))
            )
        return found

    def execute_batch(
        self, request: RunRequest, stdins: list[str], *, budget_ms: int | None = None, priority: str | None = None
    ) -> list[RunResult]:
        """One :meth:`execute` per stdin (Piston has no batch, so each compiles), in order.

        Stops at the first compile error (every case gets it) and, like the local sandbox, once
        the runs' wall time adds up to ``budget_ms`` (the remaining cases are not sent).
        """
        results: list[RunResult] = []
        spent_ms = 0
        for stdin in stdins:
            if budget_ms is not None and spent_ms >= budget_ms:
                last = results[-1] if results else None
                results.append(budget_exhausted(request, last.version if last else "", last.compile if last else None))
                continue
            result = self.execute(replace(request, stdin=stdin), priority=priority)
            if result.verdict == Verdict.COMPILE_ERROR:
                return results + [replace(result) for _ in stdins[len(results) :]]
            spent_ms += result.run.wall_ms if result.run is not None else 0
            results.append(result)
        return results

    def execute(self, request: RunRequest, *, priority: str | None = None) -> RunResult:
        """Run on the server; any failure of the server or the network is a SANDBOX_ERROR result.

        ``priority`` (``live``, ``default``, ``batch``) is an extra field our executor honours
        for bearer callers, so a live interview keeps its place in the executor's pool too.
        """
        limits: Limits = request.limits
        read_timeout = (limits.compile_wall_ms + limits.wall_ms) / 1000 + self.timeout
        payload = request_to_piston(request)
        if priority is not None:
            payload["priority"] = priority
        try:
            body = self._send("POST", "/execute", read_timeout=read_timeout, json_body=payload)
            return result_from_piston(body, language=request.language)
        except ExecutionError as exc:
            return RunResult(
                language=request.language,
                version="",
                compile=None,
                run=None,
                verdict=Verdict.SANDBOX_ERROR,
                message=str(exc),
            )
