"""Helpers for the sandbox tests and benchmark: a sandbox on its own uid range, leftover scans.

Kept in the package (it needs no test framework) so the benchmark can check for leftovers too.
"""

from __future__ import annotations

import os

from assessments.execution.base import Limits, RunRequest, RunResult
from assessments.execution.sandbox import LocalSandbox

# A uid range of its own, so leftover scans cannot confuse these tests with other suites' runs.
TEST_UID_BASE = 2_150_000
TEST_UID_SLOTS = 16

# Small limits keep the suite quick on a loaded 2-core machine.
LIMITS = Limits(cpu_ms=1000, wall_ms=3000, memory_kb=128 * 1024, compile_wall_ms=30000)
WALL_SLACK_MS = 2500  # kill + reap + a loaded machine


def make_sandbox(**kwargs: object) -> LocalSandbox:
    return LocalSandbox(uid_base=TEST_UID_BASE, uid_slots=TEST_UID_SLOTS, **kwargs)  # type: ignore[arg-type]


def run(sandbox: LocalSandbox, language: str, code: str, stdin: str = "", limits: Limits = LIMITS) -> RunResult:
    return sandbox.execute(RunRequest(language=language, code=code, stdin=stdin, limits=limits))


SANDBOX_PROCESS_NAMES = frozenset({"bwrap", "prlimit"})


def leftover_processes() -> list[str]:
    """Processes still running under the test uid range, and unreaped children of this process."""
    found = []
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as fh:
                status = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue  # exited while we looked
        real_uid = int(status["Uid"].split()[0])
        name, state, ppid = status["Name"].strip(), status["State"].strip(), status["PPid"].strip()
        if TEST_UID_BASE <= real_uid < TEST_UID_BASE + TEST_UID_SLOTS:
            found.append(f"{entry} {name} uid={real_uid} {state}")
        elif ppid == me and state.startswith("Z") and name in SANDBOX_PROCESS_NAMES:
            # only the sandbox's own: this process is a child subreaper, so unrelated orphans
            # (a browser test's Chromium helpers) are re-parented here too, and are not ours to judge
            found.append(f"{entry} {name} zombie child")
    return found
