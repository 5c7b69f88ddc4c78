"""Every language through the real bubblewrap sandbox: correct, wrong, limits, errors, interactive.

Each program reads a command from stdin (``echo WORD``, ``loop``, ``alloc``, ``crash``) so one
source per language exercises every verdict. Interpreted languages report a syntax error as
RUNTIME_ERROR (there is no compile step; the interpreter exits 1 with the error on stderr);
TypeScript type errors are COMPILE_ERROR (tsc runs as its own step).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from assessments.execution.base import Limits, RunRequest, StdinFull, Verdict, canonical_language
from assessments.execution.sandbox import LocalSandbox
from assessments.execution.testing import LIMITS, WALL_SLACK_MS, leftover_processes, make_sandbox, run

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]

PROGRAMS = {
    "python": """
import sys
cmd, *rest = sys.stdin.read().split()
if cmd == "echo":
    print(rest[0][::-1])
elif cmd == "loop":
    while True:
        pass
elif cmd == "alloc":
    hoard = []
    while True:
        hoard.append(bytearray(1 << 20))
elif cmd == "crash":
    raise ValueError("boom")
""",
    "javascript": """
const [cmd, arg] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/);
if (cmd === "echo") console.log(arg.split("").reverse().join(""));
else if (cmd === "loop") { for (;;) {} }
else if (cmd === "alloc") { const hoard = []; for (;;) hoard.push(new Array(1e6).fill(1.5)); }
else if (cmd === "crash") { throw new Error("boom"); }
""",
    "typescript": """
const [cmd, arg]: string[] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/);
function reverse(s: string): string { return s.split("").reverse().join(""); }
if (cmd === "echo") console.log(reverse(arg));
else if (cmd === "loop") { for (;;) {} }
else if (cmd === "alloc") { const hoard: number[][] = []; for (;;) hoard.push(new Array(1e6).fill(1.5)); }
else if (cmd === "crash") { throw new Error("boom"); }
""",
    "c": r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    char cmd[16], arg[64] = "";
    if (scanf("%15s %63s", cmd, arg) < 1) return 2;
    if (!strcmp(cmd, "echo")) {
        for (int i = (int)strlen(arg) - 1; i >= 0; i--) putchar(arg[i]);
        putchar('\n');
    } else if (!strcmp(cmd, "loop")) {
        volatile unsigned long x = 0;
        for (;;) x++;
    } else if (!strcmp(cmd, "alloc")) {
        for (;;) {
            char *p = malloc(1 << 20);
            if (!p) abort();
            memset(p, 1, 1 << 20);
        }
    } else if (!strcmp(cmd, "crash")) {
        volatile int *p = NULL;
        *p = 1;
    }
    return 0;
}
""",
    "c++": r"""
#include <iostream>
#include <string>
#include <vector>
#include <algorithm>
#include <stdexcept>
int main() {
    std::string cmd, arg;
    std::cin >> cmd >> arg;
    if (cmd == "echo") { std::reverse(arg.begin(), arg.end()); std::cout << arg << "\n"; }
    else if (cmd == "loop") { volatile unsigned long x = 0; for (;;) x++; }
    else if (cmd == "alloc") { std::vector<std::vector<char>> hoard; for (;;) hoard.emplace_back(1 << 20, 'x'); }
    else if (cmd == "crash") { throw std::runtime_error("boom"); }
}
""",
    "java": """
import java.util.*;
public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        String cmd = in.next();
        if (cmd.equals("echo")) System.out.println(new StringBuilder(in.next()).reverse());
        else if (cmd.equals("loop")) { long x = 0; while (true) { x++; if (x == -1) break; } }
        else if (cmd.equals("alloc")) {
            List<long[]> hoard = new ArrayList<>();
            while (true) hoard.add(new long[1 << 17]);
        }
        else if (cmd.equals("crash")) throw new IllegalStateException("boom");
    }
}
""",
    "go": """
package main

import "fmt"

func main() {
	var cmd, arg string
	fmt.Scan(&cmd, &arg)
	switch cmd {
	case "echo":
		r := []rune(arg)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		fmt.Println(string(r))
	case "loop":
		x := 0
		for {
			x++
		}
	case "alloc":
		var hoard [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			hoard = append(hoard, b)
		}
	case "crash":
		panic("boom")
	}
}
""",
    "rust": """
use std::io::Read;
fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let mut words = input.split_whitespace();
    match words.next().unwrap() {
        "echo" => println!("{}", words.next().unwrap().chars().rev().collect::<String>()),
        "loop" => loop {},
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop { hoard.push(vec![1u8; 1 << 20]); }
        }
        "crash" => panic!("boom"),
        _ => {}
    }
}
""",
}

COMPILE_ERRORS = {
    "c": "int main(void) { return undefined_name; }",
    "c++": "int main() { std::vector<int> v; }",
    "java": 'public class Main { public static void main(String[] a) { int x = "s"; } }',
    "go": 'package main\nfunc main() { var x int = "s" }',
    "rust": 'fn main() { let x: i32 = "s"; }',
    "typescript": 'const x: number = "not a number";\nconsole.log(x);',
}

SYNTAX_ERRORS = {"python": "def f(:\n    pass\n", "javascript": "function (\n"}

LANGUAGES = list(PROGRAMS)


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return make_sandbox()


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    yield
    assert leftover_processes() == []


def test_runtimes_lists_installed_languages_with_versions(sandbox: LocalSandbox) -> None:
    # when
    runtimes = {rt.language: rt for rt in sandbox.runtimes()}

    # then
    assert set(runtimes) == set(LANGUAGES)
    assert runtimes["python"].version.startswith("3.11")
    assert runtimes["c++"].aliases == ("cpp",)
    assert all(rt.version[0].isdigit() for rt in runtimes.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_correct_program_reads_stdin_and_writes_stdout(sandbox: LocalSandbox, language: str) -> None:
    # when
    result = run(sandbox, language, PROGRAMS[language], "echo sandbox\n")

    # then
    assert result.verdict == Verdict.OK, result
    assert result.run is not None
    assert result.run.stdout == "xobdnas\n"
    assert result.run.exit_code == 0
    assert result.run.wall_ms > 0
    assert result.run.memory_kb > 0
    assert (result.compile is None) == (language in ("python", "javascript"))


@pytest.mark.parametrize("language", ["python", "c"])
def test_wrong_answer_is_a_clean_run_with_other_output(sandbox: LocalSandbox, language: str) -> None:
    # given: the expected answer would be "olleh"; judging it is the caller's business
    # when
    result = run(sandbox, language, PROGRAMS[language], "echo hellp\n")

    # then
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert result.run.exit_code == 0
    assert result.run.stdout != "olleh\n"


@pytest.mark.parametrize("language", LANGUAGES)
def test_infinite_loop_hits_the_cpu_limit(sandbox: LocalSandbox, language: str) -> None:
    # when
    result = run(sandbox, language, PROGRAMS[language], "loop x\n")

    # then
    assert result.verdict == Verdict.TIME_LIMIT, result
    assert result.run is not None
    assert result.run.wall_ms < LIMITS.wall_ms + WALL_SLACK_MS
    assert "time limit" in result.message


@pytest.mark.parametrize("language", LANGUAGES)
def test_memory_bomb_hits_the_memory_limit(sandbox: LocalSandbox, language: str) -> None:
    # given: more CPU than needed to fill 128 MiB, so the memory limit is what stops it
    limits = Limits(cpu_ms=3000, wall_ms=6000, memory_kb=128 * 1024)

    # when
    result = run(sandbox, language, PROGRAMS[language], "alloc x\n", limits)

    # then
    assert result.verdict == Verdict.MEMORY_LIMIT, result
    assert "Memory limit of 128 MiB" in result.message


@pytest.mark.parametrize("language", LANGUAGES)
def test_crash_is_a_runtime_error(sandbox: LocalSandbox, language: str) -> None:
    # when
    result = run(sandbox, language, PROGRAMS[language], "crash x\n")

    # then
    assert result.verdict == Verdict.RUNTIME_ERROR, result
    assert result.run is not None
    assert result.run.exit_code != 0 or result.run.signal is not None


@pytest.mark.parametrize("language", sorted(COMPILE_ERRORS))
def test_compile_error_reports_the_compiler_log(sandbox: LocalSandbox, language: str) -> None:
    # when
    result = run(sandbox, language, COMPILE_ERRORS[language])

    # then
    assert result.verdict == Verdict.COMPILE_ERROR, result
    assert result.run is None
    assert result.compile is not None
    assert result.compile.verdict == Verdict.COMPILE_ERROR
    assert "main" in result.compile.stderr.lower()  # the compiler names the file
    assert result.message == "The code did not compile."


@pytest.mark.parametrize("language", sorted(SYNTAX_ERRORS))
def test_syntax_error_in_an_interpreted_language_is_a_runtime_error(sandbox: LocalSandbox, language: str) -> None:
    # when
    result = run(sandbox, language, SYNTAX_ERRORS[language])

    # then
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.run is not None
    assert "SyntaxError" in result.run.stderr


def test_java_public_class_may_have_any_name(sandbox: LocalSandbox) -> None:
    # given
    code = 'public final class TwoSum {\n  public static void main(String[] a) { System.out.println("named"); }\n}\n'

    # when
    result = run(sandbox, "java", code)

    # then
    assert result.verdict == Verdict.OK, result
    assert result.run is not None
    assert result.run.stdout == "named\n"


def test_cpp_alias_is_resolved_by_the_caller(sandbox: LocalSandbox) -> None:
    # given
    language = canonical_language("cpp")

    # when
    result = run(sandbox, language or "", PROGRAMS["c++"], "echo ab\n")

    # then
    assert language == "c++"
    assert result.language == "c++"
    assert result.run is not None
    assert result.run.stdout == "ba\n"


def test_unknown_language_is_refused(sandbox: LocalSandbox) -> None:
    from assessments.execution.base import ExecutionError

    with pytest.raises(ExecutionError):
        run(sandbox, "cobol", "DISPLAY 'HI'.")


def test_concurrent_runs_from_a_pool_are_independent(sandbox: LocalSandbox) -> None:
    # given
    words = [f"w{i}x" for i in range(6)]

    # when
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda w: run(sandbox, "python", PROGRAMS["python"], f"echo {w}"), words))

    # then
    assert [r.run.stdout if r.run else None for r in results] == [w[::-1] + "\n" for w in words]


# -- interactive ---------------------------------------------------------------------------

DIALOG = """
name = input()
print(f"hello {name}, how old are you?", flush=True)
age = input()
print(f"{name} is {age}")
"""


def test_interactive_output_streams_before_stdin_is_closed(sandbox: LocalSandbox) -> None:
    # given
    chunks: list[tuple[str, str]] = []
    prompted = threading.Event()

    def on_output(stream: str, text: str) -> None:
        chunks.append((stream, text))
        if "how old" in text:
            prompted.set()

    run_ = sandbox.start_interactive(RunRequest("python", DIALOG, limits=LIMITS), on_output=on_output)

    # when
    run_.write_stdin("ada\n")
    got_prompt_while_open = prompted.wait(timeout=5)
    run_.write_stdin("36\n")
    run_.close_stdin()
    result = run_.wait(timeout=10)

    # then
    assert got_prompt_while_open
    assert result.verdict == Verdict.OK
    assert "".join(text for stream, text in chunks if stream == "stdout") == (
        "hello ada, how old are you?\nada is 36\n"
    )
    assert result.run is not None
    assert result.run.stdout.endswith("ada is 36\n")


def test_interactive_kill_stops_the_program(sandbox: LocalSandbox) -> None:
    # given
    run_ = sandbox.start_interactive(RunRequest("python", "input()", limits=LIMITS), on_output=lambda s, t: None)

    # when
    started = time.monotonic()
    run_.kill()
    result = run_.wait(timeout=5)

    # then
    assert time.monotonic() - started < 2
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.message.endswith("Stopped on request.")
    assert result.run is not None
    assert result.run.signal == "SIGKILL"


def test_interactive_wall_clock_limit_applies(sandbox: LocalSandbox) -> None:
    # given: a program waiting for input that never comes
    limits = Limits(cpu_ms=1000, wall_ms=1500)
    run_ = sandbox.start_interactive(RunRequest("python", "input()", limits=limits), on_output=lambda s, t: None)

    # when
    result = run_.wait(timeout=10)

    # then
    assert result.verdict == Verdict.TIME_LIMIT
    assert result.run is not None
    assert 1500 <= result.run.wall_ms < 1500 + WALL_SLACK_MS


def test_interactive_compiles_first_and_reports_compile_errors(sandbox: LocalSandbox) -> None:
    # when
    run_ = sandbox.start_interactive(RunRequest("c", COMPILE_ERRORS["c"], limits=LIMITS), on_output=lambda s, t: None)
    result = run_.wait(timeout=1)

    # then
    assert result.verdict == Verdict.COMPILE_ERROR
    assert result.run is None


# Never reads its stdin. The tests below call start_interactive and write_stdin in the test's own
# thread: before the fix they blocked forever there (pytest-timeout then fails them).
SLEEPER = "import time\ntime.sleep(60)"
FOUR_MIB = 4 * 1024 * 1024


@pytest.mark.timeout(60)  # a call that blocks fails the test instead of hanging it
def test_a_big_initial_stdin_to_a_program_that_never_reads_does_not_block_the_start(sandbox: LocalSandbox) -> None:
    # given
    limits = Limits(cpu_ms=1000, wall_ms=1500)
    request = RunRequest("python", SLEEPER, stdin="x" * FOUR_MIB, limits=limits)

    # when
    run_ = sandbox.start_interactive(request, on_output=lambda s, t: None)

    # then: the handle came back and the wall clock ends the run
    result = run_.wait(timeout=30)
    assert result.verdict == Verdict.TIME_LIMIT, result
    assert result.message.endswith("Wall-clock limit of 1500 ms exceeded.")


@pytest.mark.timeout(60)  # a call that blocks fails the test instead of hanging it
def test_a_big_initial_stdin_run_can_be_killed(sandbox: LocalSandbox) -> None:
    # given
    request = RunRequest("python", SLEEPER, stdin="x" * FOUR_MIB, limits=Limits(cpu_ms=1000, wall_ms=30000))
    run_ = sandbox.start_interactive(request, on_output=lambda s, t: None)

    # when
    run_.kill()
    result = run_.wait(timeout=30)

    # then
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.message.endswith("Stopped on request.")


@pytest.mark.timeout(60)  # a call that blocks fails the test instead of hanging it
def test_writing_to_a_program_that_never_reads_is_refused_not_blocked(sandbox: LocalSandbox) -> None:
    # given
    request = RunRequest("python", SLEEPER, limits=Limits(cpu_ms=1000, wall_ms=30000))
    run_ = sandbox.start_interactive(request, on_output=lambda s, t: None)
    chunk = "y" * 65536

    def write_4_mib() -> int:
        written = 0
        while written < FOUR_MIB:
            run_.write_stdin(chunk)
            written += len(chunk)
        return written

    # when / then: refused once about 1 MiB waits (plus what the pipe took), and kill still works
    with pytest.raises(StdinFull, match="not reading its input"):
        write_4_mib()
    run_.kill()
    result = run_.wait(timeout=30)
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.message.endswith("Stopped on request.")


@pytest.mark.timeout(60)  # a call that blocks fails the test instead of hanging it
def test_one_write_over_the_pending_bound_is_refused_at_once(sandbox: LocalSandbox) -> None:
    # given
    run_ = sandbox.start_interactive(
        RunRequest("python", SLEEPER, limits=Limits(cpu_ms=1000, wall_ms=30000)), on_output=lambda s, t: None
    )

    # when / then
    with pytest.raises(StdinFull):
        run_.write_stdin("z" * FOUR_MIB)
    run_.kill()
    assert run_.wait(timeout=30).verdict == Verdict.RUNTIME_ERROR


def test_queued_input_reaches_the_program_in_order_before_eof(sandbox: LocalSandbox) -> None:
    # given: a program that counts what it reads until EOF
    code = "import sys\ndata = sys.stdin.read()\nprint(len(data), data[:3], data[-3:])"
    run_ = sandbox.start_interactive(
        RunRequest("python", code, stdin="abc", limits=LIMITS), on_output=lambda s, t: None
    )

    # when: more than a pipe buffer, in pieces, then EOF
    for _ in range(10):
        run_.write_stdin("m" * 50000)
    run_.write_stdin("xyz")
    run_.close_stdin()
    result = run_.wait(timeout=30)

    # then
    assert result.verdict == Verdict.OK, result
    assert result.run is not None
    assert result.run.stdout == f"{3 + 500000 + 3} abc xyz\n"
