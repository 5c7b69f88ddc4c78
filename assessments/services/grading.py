"""Grading: run code against a problem's test cases and judge each output.

``grade`` is generic: the async DSA endpoints use it (``/run`` with the visible cases, ``/submit``
with all of them) and so can the live room ("run against the test cases, hidden included" for
interviewers). It returns everything it learnt (:class:`Grade`, kept for recruiters);
``redact_for_candidate`` turns that into the DESIGN §4.3 answer, where a hidden case is exactly
``{testCaseId, passed, hidden: true}``.

One grading is one ``service.execute_batch`` call: the code is compiled once and run once per
case, with the cache scoped to the problem's organization. A compile error means no case ran, so
the grade has no results.

Everything kept from a program's output goes through :func:`clean_text`: PostgreSQL refuses NUL
in ``text`` and ``jsonb``, and a program that could make the save fail (a 500, the submission
rolled back and not counted) on a condition of a hidden input would read that input a bit at a
time, for free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from django.conf import settings

from assessments import checkers
from assessments.execution import service
from assessments.execution.base import (
    OUTPUT_CAP_BYTES,
    Limits,
    RunRequest,
    RunResult,
    Verdict,
)
from assessments.models import Problem, TestCase

#: the wall-clock limit of one run: room for a slow start (the JVM) above the CPU time limit
WALL_FACTOR = 2
WALL_EXTRA_MS = 1500
#: slack above the limits in :func:`budget_seconds` (process start-up, judging, the database)
BUDGET_MARGIN_SECONDS = 30


class VisibleResult(TypedDict):
    testCaseId: int
    passed: bool
    verdict: str
    executionTimeMs: int
    memoryUsedKB: int
    stdout: str
    stderr: str


class HiddenResult(TypedDict):
    testCaseId: int
    passed: bool
    hidden: bool


class CompileInfo(TypedDict):
    ok: bool
    stderr: str


class CandidateAnswer(TypedDict):
    compile: CompileInfo
    results: list[VisibleResult | HiddenResult]


@dataclass
class CaseResult:
    """What one test case did: everything, hidden data included (never for candidates)."""

    test_case_id: int
    name: str
    hidden: bool
    passed: bool
    verdict: str
    message: str
    execution_time_ms: int = 0
    memory_used_kb: int = 0
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    stdout_truncated: bool = False

    def as_json(self) -> dict[str, Any]:
        """The stored form (``Submission.results``), camelCase like the API."""
        return {
            "testCaseId": self.test_case_id,
            "name": self.name,
            "hidden": self.hidden,
            "passed": self.passed,
            "verdict": self.verdict,
            "message": self.message,
            "executionTimeMs": self.execution_time_ms,
            "memoryUsedKB": self.memory_used_kb,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "exitCode": self.exit_code,
            "stdoutTruncated": self.stdout_truncated,
        }


@dataclass
class Grade:
    language: str
    compile_ok: bool
    compile_stderr: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def sandbox_failed(self) -> bool:
        """Whether the runner failed (not the program) on some case: such a grade says nothing."""
        return any(r.verdict == Verdict.SANDBOX_ERROR for r in self.results)

    @property
    def score(self) -> float:
        """The percentage of cases passed (0 when there is none or the code did not compile)."""
        return round(100.0 * self.passed / self.total, 2) if self.total and self.compile_ok else 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"results": [r.as_json() for r in self.results]}


#: what a database cannot store: NUL (PostgreSQL text and jsonb) and lone surrogates (not UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str | None) -> str:
    """``text`` with every code point a database refuses replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text or "")


def cap_text(text: str | None, limit: int = OUTPUT_CAP_BYTES) -> str:
    """``text`` cleaned (:func:`clean_text`) and cut to at most ``limit`` UTF-8 bytes, whole characters."""
    cleaned = clean_text(text)
    raw = cleaned.encode("utf-8")
    if len(raw) <= limit:
        return cleaned
    return raw[:limit].decode("utf-8", errors="ignore")


def problem_limits(problem: Problem) -> Limits:
    cpu_ms = problem.cpu_time_limit_ms
    return Limits(
        cpu_ms=cpu_ms,
        wall_ms=cpu_ms * WALL_FACTOR + WALL_EXTRA_MS,
        memory_kb=problem.memory_limit_mb * 1024,
    )


def budget_seconds(*, problem: Problem, cases: int) -> int:
    """How long grading ``cases`` cases of ``problem`` may take: a wait for the pool, a compile, the
    runs up to the batch's budget (and the one run that crosses it)."""
    limits = problem_limits(problem)
    run_ms = limits.compile_wall_ms + service.batch_budget_ms(limits, cases) + limits.wall_ms
    return int(settings.EXECUTION_QUEUE_TIMEOUT_SECONDS + run_ms / 1000) + BUDGET_MARGIN_SECONDS


def _judge(case: TestCase, problem: Problem, result: RunResult) -> CaseResult:
    run = result.run
    base = CaseResult(
        test_case_id=case.pk,
        name=case.name,
        hidden=case.hidden,
        passed=False,
        verdict=str(result.verdict),
        message=cap_text(result.message),
    )
    if run is None:
        return base
    base.execution_time_ms = int(run.cpu_ms or run.wall_ms or 0)
    base.memory_used_kb = int(run.memory_kb or 0)
    base.stdout = cap_text(run.stdout)
    base.stderr = cap_text(run.stderr)
    base.exit_code = run.exit_code
    base.stdout_truncated = run.stdout_truncated
    if result.verdict != Verdict.OK:
        return base
    if checkers.output_matches(
        checker=problem.checker, expected=case.expected_output, actual=run.stdout, tolerance=problem.float_tolerance
    ):
        base.passed = True
        base.verdict = str(Verdict.OK)
    else:
        base.verdict = str(Verdict.WRONG_ANSWER)
        base.message = "The output differs from the expected output."
    return base


def selected_cases(*, problem: Problem, include_hidden: bool, case_ids: Iterable[int] | None = None) -> list[TestCase]:
    """The test cases a grading runs, in the problem's order."""
    cases = problem.test_cases.all().order_by("order", "pk")
    if not include_hidden:
        cases = cases.filter(hidden=False)
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    return list(cases)


def grade(
    *,
    problem: Problem,
    language: str,
    code: str,
    include_hidden: bool,
    priority: service.Priority,
    cases: list[TestCase] | None = None,
) -> Grade:
    """Run ``code`` against the selected test cases of ``problem`` (one batch) and judge each output.

    ``language`` is a canonical Piston name (see ``base.canonical_language``); ``cases`` narrows
    the selection (it must already respect ``include_hidden``).
    """
    if cases is None:
        cases = selected_cases(problem=problem, include_hidden=include_hidden)
    elif not include_hidden and any(c.hidden for c in cases):
        raise ValueError("hidden test cases were selected for a visible-only grading")
    outcome = Grade(language=language, compile_ok=True, compile_stderr="")
    if not cases:
        return outcome
    results = service.execute_batch(
        RunRequest(language=language, code=code, limits=problem_limits(problem)),
        [case.input for case in cases],
        priority=priority,
        cache_scope=f"org:{problem.organization_id}",
    )
    for case, result in zip(cases, results, strict=True):
        if result.verdict == Verdict.COMPILE_ERROR:  # compiled once: every case says the same
            compiled = result.compile
            outcome.compile_ok = False
            outcome.compile_stderr = cap_text((compiled.stderr or compiled.stdout) if compiled else result.message)
            outcome.results = []
            return outcome
        outcome.results.append(_judge(case, problem, result))
    return outcome


def redact_result(result: CaseResult) -> VisibleResult | HiddenResult:
    """One case as a candidate may see it: hidden cases say only whether they passed."""
    if result.hidden:
        return {"testCaseId": result.test_case_id, "passed": result.passed, "hidden": True}
    return {
        "testCaseId": result.test_case_id,
        "passed": result.passed,
        "verdict": result.verdict,
        "executionTimeMs": int(result.execution_time_ms),
        "memoryUsedKB": int(result.memory_used_kb),
        "stdout": cap_text(result.stdout),
        "stderr": cap_text(result.stderr),
    }


def redact_for_candidate(outcome: Grade) -> CandidateAnswer:
    """The DESIGN §4.3 answer: compile status and per-case results, no score, hidden cases redacted."""
    return {
        "compile": {"ok": outcome.compile_ok, "stderr": cap_text(outcome.compile_stderr)},
        "results": [] if not outcome.compile_ok else [redact_result(r) for r in outcome.results],
    }
