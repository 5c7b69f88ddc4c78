"""Code execution benchmark (DESIGN.md §4.5, issue 6); ``make bench`` runs it.

For every installed language, the median wall time of a hello-world and of a small stdin→stdout
program (sum of 1..100 read from stdin), each
  (a)  as a bare subprocess: the same toolchain and argv as the sandbox, no sandbox. For compiled
       languages the binary is built once and only the run is timed; the build is reported apart;
  (b)  through ``LocalSandbox.execute`` in this process (for compiled languages: the whole call,
       and the compile and run steps as the sandbox measured them);
  (c)  through the HTTP API: ``POST /api/v2/execute`` on a daphne this bench starts on 127.0.0.1.
Every request carries a fresh comment so that none is answered from the result cache, and every
answer is checked (verdict OK, the expected output).

Then runs/second of a Python hello-world through the HTTP API with 2, 8 and 32 concurrent
clients (failed runs counted: any answer but 200 + OK + the right output), and the latency of a
cached result, in-process (``service.execute``) and through the HTTP API.

Targets: sandbox overhead under 15 ms per run for interpreted languages, cached results under
5 ms, no failed run under load. Bounded loops, 127.0.0.1 only, every process it starts is
stopped; the server gets its own temporary VAR_DIR, SQLite file and local-memory cache.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessments.execution.base import RunRequest, Verdict  # noqa: E402
from assessments.execution.languages import BOX, LANGUAGE_SPECS  # noqa: E402
from assessments.execution.sandbox import BASE_ENV, LocalSandbox  # noqa: E402

OVERHEAD_TARGET_MS = 15.0
CACHED_TARGET_MS = 5.0
INTERPRETED = ("python", "javascript")
CONCURRENCY = (2, 8, 32)
STDIN = " ".join(str(n) for n in range(1, 101)) + "\n"
SUM = "5050\n"
HELLO = "hello, world\n"
REQUEST_TIMEOUT = 120.0

PROGRAMS: dict[str, tuple[str, str]] = {
    "python": (
        'print("hello, world")',
        "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))",
    ),
    "javascript": (
        'console.log("hello, world");',
        "const d = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\n"
        "console.log(d.reduce((a, b) => a + b, 0));",
    ),
    "typescript": (
        'const greeting: string = "hello, world";\nconsole.log(greeting);',
        "const d: number[] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\n"
        "console.log(d.reduce((a: number, b: number) => a + b, 0));",
    ),
    "c": (
        '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }',
        '#include <stdio.h>\nint main(void) { long s = 0, x; while (scanf("%ld", &x) == 1) s += x;'
        ' printf("%ld\\n", s); return 0; }',
    ),
    "c++": (
        '#include <iostream>\nint main() { std::cout << "hello, world\\n"; }',
        "#include <iostream>\nint main() { long s = 0, x; while (std::cin >> x) s += x; std::cout << s << '\\n'; }",
    ),
    "java": (
        'public class Main { public static void main(String[] a) { System.out.println("hello, world"); } }',
        "import java.io.*;\npublic class Main { public static void main(String[] a) throws IOException {"
        " BufferedReader r = new BufferedReader(new InputStreamReader(System.in)); long s = 0; String l;"
        ' while ((l = r.readLine()) != null) for (String t : l.trim().split("\\\\s+")) if (!t.isEmpty())'
        " s += Long.parseLong(t); System.out.println(s); } }",
    ),
    "go": (
        'package main\nimport "fmt"\nfunc main() { fmt.Println("hello, world") }',
        'package main\nimport (\n"bufio"\n"fmt"\n"os"\n)\nfunc main() { r := bufio.NewReader(os.Stdin); s, x := 0, 0;'
        " for { if _, err := fmt.Fscan(r, &x); err != nil { break }; s += x }; fmt.Println(s) }",
    ),
    "rust": (
        'fn main() { println!("hello, world"); }',
        "use std::io::Read;\nfn main() { let mut t = String::new(); std::io::stdin().read_to_string(&mut t).unwrap();"
        ' let s: i64 = t.split_whitespace().map(|x| x.parse::<i64>().unwrap()).sum(); println!("{}", s); }',
    ),
}


def nonce_comment(language: str) -> str:
    mark = "#" if language == "python" else "//"
    return f"\n{mark} {secrets.token_hex(8)}\n"


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000 if samples else float("nan")


@dataclass
class Row:
    """One program of one language; every list holds seconds, one entry per measured round."""

    language: str
    program: str
    bare: list[float] = field(default_factory=list)
    sandbox: list[float] = field(default_factory=list)
    sandbox_compile: list[float] = field(default_factory=list)
    sandbox_run: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    # What the sandbox adds to one run of the same program, measured in the same round as the
    # bare run (so the machine's load weighs on both alike): for compiled languages its run step
    # against the built binary, for interpreted ones the whole call.
    overhead: list[float] = field(default_factory=list)
    bare_build_ms: float = float("nan")
    failures: list[str] = field(default_factory=list)

    @property
    def compiled(self) -> bool:
        return LANGUAGE_SPECS[self.language].compile_argv is not None


# --- (a) bare subprocess ------------------------------------------------------------------
def _outside(argv: list[str], folder: str) -> list[str]:
    return [part.replace(BOX, folder) for part in argv]


@contextlib.contextmanager
def bare_program(language: str, code: str, row: Row) -> Iterator[Callable[[str], tuple[float, str]] | None]:
    """Build (once) and yield a function running the program bare: stdin → (seconds, stdout)."""
    spec = LANGUAGE_SPECS[language]
    kb = 256 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as folder:
        source = spec.source_name(code)
        Path(folder, source).write_text(code)
        for name, content in spec.extra_files.items():
            Path(folder, name).write_text(content)
        env = {**BASE_ENV, "HOME": folder, "TMPDIR": folder}
        if spec.compile_argv is not None:
            # The sandbox's compile env points into its private /tmp; here, into our own folder.
            moved = {k: v.replace("/tmp", folder) for k, v in spec.compile_env.items()}  # noqa: S108
            started = time.perf_counter()
            built = subprocess.run(  # noqa: S603 - the sandbox's own toolchain argv
                _outside(spec.compile_argv(source, 1024 * 1024), folder),
                env={**env, **moved},
                capture_output=True,
                text=True,
                timeout=REQUEST_TIMEOUT,
                check=False,
            )
            row.bare_build_ms = (time.perf_counter() - started) * 1000
            if built.returncode != 0:
                row.failures.append(f"bare build: {built.stderr[-300:]}")
                yield None
                return
        argv = _outside(spec.run_argv(source, kb), folder)
        run_env = {**env, **spec.run_env(kb)}

        def run(stdin: str) -> tuple[float, str]:
            started = time.perf_counter()
            done = subprocess.run(  # noqa: S603 - the sandbox's own toolchain argv
                argv, input=stdin, env=run_env, capture_output=True, text=True, timeout=REQUEST_TIMEOUT, check=False
            )
            return time.perf_counter() - started, done.stdout

        yield run


# --- (c) the HTTP API ---------------------------------------------------------------------
@dataclass
class Server:
    url: str
    token: str

    def post(self, session: requests.Session, language: str, code: str, stdin: str = "") -> dict[str, Any]:
        response = session.post(
            f"{self.url}/api/v2/execute",
            json={"language": language, "version": "*", "files": [{"content": code}], "stdin": stdin},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=REQUEST_TIMEOUT,
        )
        answer = response.json()
        answer["_status"] = response.status_code
        return answer


def answer_ok(answer: dict[str, Any], expected: str) -> bool:
    return answer.get("_status") == 200 and answer.get("verdict") == "OK" and answer["run"]["stdout"] == expected


# --- one row: (a), (b) and (c) in turns -----------------------------------------------------
def measure(sandbox: LocalSandbox, server: Server, row: Row, code: str, stdin: str, expected: str, reps: int) -> None:
    """``reps`` rounds of bare, sandbox, HTTP in turn; interpreted languages get one unmeasured round first."""
    language = row.language
    warm = 0 if row.compiled else 1
    with bare_program(language, code, row) as run_bare, requests.Session() as session:
        if run_bare is None:
            return
        for round_ in range(reps + warm):
            bare_s, stdout = run_bare(stdin)
            if stdout != expected:
                row.failures.append(f"bare: {stdout!r}")
            # (b) a fresh comment each time, like (c): the same work as a first run
            request = RunRequest(language=language, code=code + nonce_comment(language), stdin=stdin)
            started = time.perf_counter()
            result = sandbox.execute(request)
            sandbox_s = time.perf_counter() - started
            if result.verdict != Verdict.OK or result.run is None or result.run.stdout != expected:
                row.failures.append(f"sandbox: {result.verdict} {result.message} {result.run!r}"[:300])
                continue
            started = time.perf_counter()
            answer = server.post(session, language, code + nonce_comment(language), stdin)
            http_s = time.perf_counter() - started
            if not answer_ok(answer, expected):
                row.failures.append(f"http: {answer}"[:300])
            if round_ < warm:
                continue
            row.bare.append(bare_s)
            row.sandbox.append(sandbox_s)
            row.http.append(http_s)
            row.sandbox_run.append(result.run.wall_ms / 1000)
            if result.compile is not None:
                row.sandbox_compile.append(result.compile.wall_ms / 1000)
            row.overhead.append((result.run.wall_ms / 1000 if row.compiled else sandbox_s) - bare_s)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def daphne(folder: Path, concurrency: int) -> Iterator[Server]:
    port, token = free_port(), secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DEBUG": "1",
        "VAR_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "REDIS_URL": "",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EXECUTION_BACKEND": "local",
        "EXECUTOR_URL": "",
        "EXECUTOR_API_TOKEN": token,
        "EXECUTION_MAX_CONCURRENCY": str(concurrency),
        "LOG_LEVEL": "WARNING",
    }
    log = (folder / "daphne.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "talentsync.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"daphne exited: {(folder / 'daphne.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("daphne did not listen within 60 s")
            time.sleep(0.1)
        yield Server(url=f"http://127.0.0.1:{port}", token=token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def throughput(server: Server, clients: int, total: int) -> tuple[float, int, list[str]]:
    """Runs/second of distinct Python hello-worlds with ``clients`` in flight; failed runs."""
    code = PROGRAMS["python"][0]
    failures: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def one(_: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        try:
            answer = server.post(session, "python", code + nonce_comment("python"))
            ok = answer_ok(answer, HELLO)
        except (requests.RequestException, ValueError) as exc:
            answer, ok = {"error": repr(exc)}, False
        if not ok:
            with lock:
                failures.append(str(answer)[:300])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(total)))
    return total / (time.perf_counter() - started), len(failures), failures


def cached_http(server: Server, reps: int) -> float:
    code = PROGRAMS["python"][0] + nonce_comment("python")
    samples = []
    with requests.Session() as session:
        # The API no longer says whether an answer came from the cache (it would help another
        # tenant probe hidden inputs); cached_in_process checks the hits, this measures the path.
        first = server.post(session, "python", code)
        expect(answer_ok(first, HELLO), f"the first run failed: {first}")
        for _ in range(reps):
            started = time.perf_counter()
            answer = server.post(session, "python", code)
            samples.append(time.perf_counter() - started)
            expect(answer_ok(answer, HELLO), f"a repeated run failed: {answer}")
    return median_ms(samples)


def cached_in_process(folder: Path, reps: int) -> float:
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "talentsync.settings", "DEBUG": "1", "VAR_DIR": str(folder), "REDIS_URL": ""}
    )
    os.environ.update({"EXECUTION_BACKEND": "local", "EXECUTOR_URL": ""})
    import django

    django.setup()
    from assessments.execution import service

    request = RunRequest(language="python", code=PROGRAMS["python"][0] + nonce_comment("python"))
    expect(service.execute(request).cached is False, "the first in-process run was cached")
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        result = service.execute(request)
        samples.append(time.perf_counter() - started)
        expect(result.cached is True, "a repeated in-process run was not cached")
    return median_ms(samples)


# --- the report ---------------------------------------------------------------------------
def fmt(value: float) -> str:
    return "—" if value != value else f"{value:.1f}"  # NaN → dash


COLUMNS = [
    ("language", 11),
    ("program", 8),
    ("bare ms", 8),
    ("sandbox ms", 10),
    ("overhead", 9),
    ("HTTP ms", 8),
    ("bare build", 10),
    ("sbx compile", 11),
    ("sbx run", 8),
]


def line(cells: list[str]) -> str:
    return "  ".join(
        cell.rjust(width) if i > 1 else cell.ljust(width)
        for i, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True))
    )


def describe_machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), Python {platform.python_version()}"


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1 / 5 / 15 min)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default="", help="comma-separated (default: every installed one)")
    parser.add_argument("--reps", type=int, default=9, help="runs per figure, interpreted languages")
    parser.add_argument("--compiled-reps", type=int, default=3, help="runs per figure, compiled languages")
    parser.add_argument("--concurrency", type=int, default=4, help="EXECUTION_MAX_CONCURRENCY of the server")
    parser.add_argument("--load-runs", type=int, default=3, help="requests per client in the load phase")
    args = parser.parse_args()

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally that stops daphne

    signal.signal(signal.SIGTERM, stop)
    sandbox = LocalSandbox()
    installed = {rt.language: rt.version for rt in sandbox.runtimes()}
    wanted = [name for name in (args.languages.split(",") if args.languages else LANGUAGE_SPECS) if name in installed]
    print(f"Code execution benchmark — {describe_machine()}")
    print(f"Load average before: {load_average()} (other processes on these cores make every figure worse)")
    print("Languages: " + ", ".join(f"{name} {installed[name]}" for name in wanted), flush=True)

    rows: list[Row] = []
    load: list[tuple[int, float, int]] = []
    load_failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="talentsync-bench-exec-") as tmp:
        folder = Path(tmp)
        with daphne(folder, args.concurrency) as server:
            print(f"Server: daphne on {server.url}, EXECUTION_MAX_CONCURRENCY={args.concurrency}\n", flush=True)
            print(line([name for name, _ in COLUMNS]))
            print(line(["-" * width for _, width in COLUMNS]), flush=True)
            for language in wanted:
                reps = args.reps if LANGUAGE_SPECS[language].compile_argv is None else args.compiled_reps
                for program, (code, stdin, expected) in (
                    ("hello", (PROGRAMS[language][0], "", HELLO)),
                    ("stdin", (PROGRAMS[language][1], STDIN, SUM)),
                ):
                    row = Row(language, program)
                    measure(sandbox, server, row, code, stdin, expected, reps)
                    rows.append(row)
                    compiled = row.compiled
                    print(
                        line(
                            [
                                language,
                                program,
                                fmt(median_ms(row.bare)),
                                fmt(median_ms(row.sandbox)),
                                fmt(median_ms(row.overhead)),
                                fmt(median_ms(row.http)),
                                fmt(row.bare_build_ms) if compiled else "",
                                fmt(median_ms(row.sandbox_compile)) if compiled else "",
                                fmt(median_ms(row.sandbox_run)) if compiled else "",
                            ]
                        ),
                        flush=True,
                    )
            print("\nLoad: distinct Python hello-worlds through POST /api/v2/execute")
            for clients in CONCURRENCY:
                rate, failed, failures = throughput(server, clients, clients * args.load_runs)
                load.append((clients, rate, failed))
                load_failures += failures
                print(f"  {clients:>2} concurrent: {rate:6.1f} runs/s, {failed} failed of {clients * args.load_runs}")
            http_cached = cached_http(server, 30)
        in_process_cached = cached_in_process(folder, 200)

    print(f"\nCached result: {in_process_cached:.3f} ms in-process (service.execute), {http_cached:.2f} ms over HTTP")
    print(f"Load average after: {load_average()}")
    print(
        "\nColumns: bare = the same argv without the sandbox (compiled: the built binary); overhead = sandbox - bare"
        " (compiled: the sandbox's run step - the bare run), the median of the differences within each round;"
        " HTTP = POST /api/v2/execute end to end; sbx compile / sbx run = the steps as the sandbox timed them."
    )

    status = 0
    failed_rows = [row for row in rows if row.failures]
    for row in failed_rows:
        print(f"FAILED {row.language} {row.program}: {row.failures[0]}")
    for failure in load_failures[:5]:
        print(f"FAILED under load: {failure}")
    if failed_rows or load_failures:
        status = 1
    interpreted = [row for row in rows if row.language in INTERPRETED]
    worst = max((median_ms(row.overhead) for row in interpreted), default=float("nan"))
    checks = [
        (f"sandbox overhead < {OVERHEAD_TARGET_MS:g} ms (interpreted, worst row)", worst, worst < OVERHEAD_TARGET_MS),
        (
            f"cached result < {CACHED_TARGET_MS:g} ms (in-process)",
            in_process_cached,
            in_process_cached < CACHED_TARGET_MS,
        ),
        ("failed runs under load", float(sum(f for _, _, f in load)), not load_failures),
    ]
    for label, value, ok in checks:
        print(f"TARGET {label}: {value:.2f} — {'met' if ok else 'MISSED'}")
        if not ok:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
