"""The execution interface every backend implements, and the values that cross it.

Django-free on purpose: the sandbox can run as its own process and the HTTP client can talk to
any Piston-compatible server.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

# Piston's language names; ``cpp`` is accepted as an alias of ``c++`` (DESIGN §4.3).
LANGUAGES = ("python", "javascript", "typescript", "c", "c++", "java", "go", "rust")
ALIASES = {
    "cpp": "c++",
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "node": "javascript",
    "ts": "typescript",
    "golang": "go",
    "rs": "rust",
}

MAX_CODE_BYTES = 64 * 1024
MAX_STDIN_BYTES = 1024 * 1024
OUTPUT_CAP_BYTES = 64 * 1024


def canonical_language(name: str) -> str | None:
    """The Piston name of a language, or None when it is not one we run."""
    name = (name or "").strip().lower()
    name = ALIASES.get(name, name)
    return name if name in LANGUAGES else None


class Verdict(enum.StrEnum):
    OK = "OK"
    WRONG_ANSWER = "WRONG_ANSWER"
    TIME_LIMIT = "TIME_LIMIT"
    MEMORY_LIMIT = "MEMORY_LIMIT"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    COMPILE_ERROR = "COMPILE_ERROR"
    OUTPUT_LIMIT = "OUTPUT_LIMIT"
    SANDBOX_ERROR = "SANDBOX_ERROR"


VERDICT_MESSAGES: dict[Verdict, str] = {
    Verdict.OK: "Ran to completion.",
    Verdict.WRONG_ANSWER: "The output differs from the expected output.",
    Verdict.TIME_LIMIT: "Stopped: the time limit was exceeded.",
    Verdict.MEMORY_LIMIT: "Stopped: the memory limit was exceeded.",
    Verdict.RUNTIME_ERROR: "The program exited with an error.",
    Verdict.COMPILE_ERROR: "The code did not compile.",
    Verdict.OUTPUT_LIMIT: "Stopped: the program wrote more output than allowed.",
    Verdict.SANDBOX_ERROR: "The sandbox could not run the program; this is not your code's fault.",
}


@dataclass(frozen=True)
class Limits:
    """Per-run limits. ``memory_kb`` is the program's memory (heap flags for the JVM)."""

    cpu_ms: int = 2000
    wall_ms: int = 5000
    memory_kb: int = 256 * 1024
    processes: int = 32
    file_bytes: int = 1024 * 1024
    open_files: int = 64
    output_bytes: int = OUTPUT_CAP_BYTES
    compile_cpu_ms: int = 15000
    compile_wall_ms: int = 20000
    compile_memory_kb: int = 1024 * 1024

    def key(self) -> tuple[int, ...]:
        return (
            self.cpu_ms,
            self.wall_ms,
            self.memory_kb,
            self.processes,
            self.file_bytes,
            self.open_files,
            self.output_bytes,
            self.compile_cpu_ms,
            self.compile_wall_ms,
            self.compile_memory_kb,
        )


@dataclass(frozen=True)
class RunRequest:
    language: str  # canonical Piston name
    code: str
    stdin: str = ""
    limits: Limits = field(default_factory=Limits)


@dataclass
class StageResult:
    """What one step (compile or run) did. Outputs are capped and marked truncated."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    signal: str | None = None  # e.g. "SIGKILL"
    wall_ms: int = 0
    cpu_ms: int = 0
    memory_kb: int = 0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    verdict: Verdict = Verdict.OK  # OK, TIME_LIMIT, MEMORY_LIMIT, RUNTIME_ERROR, OUTPUT_LIMIT, SANDBOX_ERROR…
    message: str = ""


@dataclass
class RunResult:
    language: str
    version: str
    compile: StageResult | None  # None for interpreted languages
    run: StageResult | None  # None when compilation failed
    verdict: Verdict
    message: str
    cached: bool = False


@dataclass(frozen=True)
class Runtime:
    language: str
    version: str
    aliases: tuple[str, ...] = ()


OutputCallback = Callable[[str, str], None]  # (stream "stdout"|"stderr", text chunk)


class InteractiveRun(Protocol):
    """A program running with a live stdin; output arrives through the callback given to start."""

    def write_stdin(self, text: str) -> None: ...
    def close_stdin(self) -> None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float | None = None) -> RunResult: ...


class Backend(Protocol):
    """What every backend implements; a backend may also implement :class:`BatchBackend`."""

    name: str

    def runtimes(self) -> list[Runtime]: ...

    def execute(self, request: RunRequest) -> RunResult: ...


class BatchBackend(Backend, Protocol):
    """A backend with the optional ``execute_batch``: one program, one run per stdin.

    ``request.stdin`` is ignored; compiled languages compile once. When compilation fails every
    result is that COMPILE_ERROR result. Once the runs' accumulated wall time reaches
    ``budget_ms`` the remaining stdins are not run: they come back as :func:`budget_exhausted`.
    """

    def execute_batch(
        self, request: RunRequest, stdins: list[str], *, budget_ms: int | None = None
    ) -> list[RunResult]: ...


BUDGET_EXHAUSTED_MESSAGE = "Stopped: not run: the submission used up its time budget."


def budget_exhausted(request: RunRequest, version: str, compile_result: StageResult | None) -> RunResult:
    """The result of a batch case skipped because the batch used up its time budget (``run`` is None)."""
    return RunResult(
        language=request.language,
        version=version,
        compile=compile_result,
        run=None,
        verdict=Verdict.TIME_LIMIT,
        message=BUDGET_EXHAUSTED_MESSAGE,
    )


class ExecutionError(Exception):
    """The backend itself failed (not the user's program): maps to SANDBOX_ERROR."""


class StdinFull(ExecutionError):
    """An interactive program is not reading its stdin and the pending input is at its bound."""
