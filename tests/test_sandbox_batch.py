"""LocalSandbox.execute_batch through the real bubblewrap sandbox: one compile, one run per stdin."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessments.execution.base import BUDGET_EXHAUSTED_MESSAGE, Limits, RunRequest, Verdict
from assessments.execution.sandbox import LocalSandbox
from assessments.execution.testing import LIMITS, leftover_processes, make_sandbox

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]

# Prints the binary's inode and modification time (to the nanosecond): the same in every run
# only if every run used the one binary the compile step wrote. Then tries to replace it.
STAT_SELF = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
int main(void) {
    struct stat st;
    long n = 0, x;
    while (scanf("%ld", &x) == 1) n += x;
    stat("/box/main", &st);
    FILE *f = fopen("/box/main", "w");
    printf("%ld %lu %ld.%09ld %s\n", n, (unsigned long) st.st_ino, (long) st.st_mtim.tv_sec,
           st.st_mtim.tv_nsec, f ? "writable" : strerror(errno));
    return 0;
}
"""


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return make_sandbox()


@pytest.fixture
def work_root() -> Iterator[Path]:
    # The per-run uids must be able to traverse the work root (pytest's tmp_path is 0700).
    path = Path(tempfile.mkdtemp(prefix="sandbox-batch-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path)


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    yield
    assert leftover_processes() == []


def test_a_compiled_program_is_compiled_once_and_run_once_per_stdin_on_a_read_only_binary(work_root: Path) -> None:
    # given
    sandbox = make_sandbox(work_root=str(work_root))
    request = RunRequest("c", STAT_SELF, limits=LIMITS)

    # when
    results = sandbox.execute_batch(request, ["1 2", "10 20 30", ""])

    # then: each case ran on its own stdin...
    assert [r.verdict for r in results] == [Verdict.OK] * 3
    lines = [r.run.stdout.split() for r in results if r.run is not None]
    assert [line[0] for line in lines] == ["3", "60", "0"]
    # ...against the one binary, which no run could replace
    assert len({(line[1], line[2]) for line in lines}) == 1
    assert all(" ".join(line[3:]) == "Read-only file system" for line in lines)
    # and the workspace is gone
    assert os.listdir(work_root) == []


def test_an_interpreted_program_runs_once_per_stdin(sandbox: LocalSandbox) -> None:
    # when
    results = sandbox.execute_batch(RunRequest("python", "print(input()[::-1])", limits=LIMITS), ["abc", "xy"])

    # then
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.OK]
    assert [r.run.stdout for r in results if r.run is not None] == ["cba\n", "yx\n"]
    assert all(r.compile is None for r in results)


def test_request_stdin_is_ignored_and_no_stdins_is_no_results(sandbox: LocalSandbox) -> None:
    request = RunRequest("python", "print(input())", stdin="ignored", limits=LIMITS)
    results = sandbox.execute_batch(request, ["used"])
    assert [r.run.stdout for r in results if r.run is not None] == ["used\n"]
    assert sandbox.execute_batch(request, []) == []


def test_a_compile_error_is_every_cases_result(sandbox: LocalSandbox, work_root: Path) -> None:
    # given
    sandbox = make_sandbox(work_root=str(work_root))

    # when
    results = sandbox.execute_batch(RunRequest("c", "int main( {", limits=LIMITS), ["1", "2", "3", "4"])

    # then
    assert len(results) == 4
    assert {r.verdict for r in results} == {Verdict.COMPILE_ERROR}
    assert all(r.run is None for r in results)
    assert len({r.compile.stderr for r in results if r.compile is not None}) == 1
    assert "error" in results[0].compile.stderr  # type: ignore[union-attr]
    assert os.listdir(work_root) == []


def test_cases_past_the_time_budget_are_not_run(sandbox: LocalSandbox) -> None:
    # given: a budget the first run alone uses up (a sandboxed run takes well over 1 ms)
    request = RunRequest("python", "print(input())", limits=LIMITS)

    # when
    results = sandbox.execute_batch(request, ["a", "b", "c"], budget_ms=1)

    # then
    assert results[0].verdict == Verdict.OK
    assert results[0].run is not None
    assert results[0].run.stdout == "a\n"
    for skipped in results[1:]:
        assert skipped.verdict == Verdict.TIME_LIMIT
        assert skipped.run is None
        assert skipped.message == BUDGET_EXHAUSTED_MESSAGE
        assert "not run: the submission used up its time budget" in skipped.message


def test_each_case_keeps_its_own_limits_and_verdict(sandbox: LocalSandbox) -> None:
    # given: the second case makes the program loop forever
    code = "n = int(input())\nwhile n == 2:\n    pass\nprint(n)"
    limits = Limits(cpu_ms=500, wall_ms=3000)

    # when
    results = sandbox.execute_batch(RunRequest("python", code, limits=limits), ["1", "2", "3"])

    # then
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.TIME_LIMIT, Verdict.OK]
    assert results[2].run is not None
    assert results[2].run.stdout == "3\n"
