"""Hostile programs: each ends in a clean verdict within its limit, leaves nothing behind, and the
next run works."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessments.execution.base import Limits, RunResult, Verdict
from assessments.execution.sandbox import LocalSandbox
from assessments.execution.testing import LIMITS, WALL_SLACK_MS, leftover_processes, make_sandbox, run

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return make_sandbox()


@pytest.fixture(autouse=True)
def _clean_afterwards(sandbox: LocalSandbox) -> Iterator[None]:
    yield
    # then (every case): nothing of the run survives and the sandbox still works
    assert leftover_processes() == []
    after = run(sandbox, "python", "print(input())", "still fine")
    assert after.verdict == Verdict.OK
    assert after.run is not None
    assert after.run.stdout == "still fine\n"


def assert_within_wall(result_wall_ms: int, limits: Limits = LIMITS) -> None:
    assert result_wall_ms < limits.wall_ms + WALL_SLACK_MS


def test_fork_bomb_is_contained(sandbox: LocalSandbox) -> None:
    # given
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"

    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.TIME_LIMIT
    assert result.run is not None
    assert_within_wall(result.run.wall_ms)


def test_c_fork_bomb_is_contained(sandbox: LocalSandbox) -> None:
    # when
    result = run(sandbox, "c", "#include <unistd.h>\nint main(void) { for (;;) fork(); }")

    # then
    assert result.verdict == Verdict.TIME_LIMIT
    assert result.run is not None
    assert_within_wall(result.run.wall_ms)


def test_process_limit_stops_spawning(sandbox: LocalSandbox) -> None:
    # given: count how many children can exist at once
    code = """
import os, time
n = 0
try:
    while n < 1000:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError:
    pass
print(n)
"""
    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert 0 < int(result.run.stdout) < LIMITS.processes


def test_thread_bomb_is_contained(sandbox: LocalSandbox) -> None:
    # given
    code = (
        "import threading, time\n"
        "while True:\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    )

    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.run is not None
    assert "can't start new thread" in result.run.stderr


def test_memory_bomb_in_one_allocation(sandbox: LocalSandbox) -> None:
    # when
    result = run(sandbox, "python", "x = bytearray(8 * 1024 ** 3)")

    # then
    assert result.verdict == Verdict.MEMORY_LIMIT


def test_infinite_loop_that_ignores_sigxcpu_is_killed(sandbox: LocalSandbox) -> None:
    # given
    code = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n"

    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.TIME_LIMIT
    assert result.run is not None
    assert result.run.signal == "SIGKILL" or result.run.wall_ms >= LIMITS.wall_ms
    assert_within_wall(result.run.wall_ms)


def test_sleep_forever_hits_the_wall_clock(sandbox: LocalSandbox) -> None:
    # when
    result = run(sandbox, "python", "import time\ntime.sleep(3600)")

    # then
    assert result.verdict == Verdict.TIME_LIMIT
    assert "Wall-clock limit of 3000 ms" in result.message
    assert result.run is not None
    assert LIMITS.wall_ms <= result.run.wall_ms
    assert_within_wall(result.run.wall_ms)


def test_background_process_does_not_outlive_the_run(sandbox: LocalSandbox) -> None:
    # given: the program exits at once but leaves a daemon holding its stdout
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(3600)\nprint('parent done')\n"

    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert result.run.stdout == "parent done\n"
    assert result.run.wall_ms < 2000


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_huge_output_is_capped_and_stopped(sandbox: LocalSandbox, stream: str) -> None:
    # given
    code = f"import sys\nwhile True:\n    sys.{stream}.write('spam' * 1000)\n"

    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.OUTPUT_LIMIT
    assert result.run is not None
    text = getattr(result.run, stream)
    assert len(text.encode()) == LIMITS.output_bytes
    assert getattr(result.run, f"{stream}_truncated") is True
    assert result.run.wall_ms < 2000


def test_huge_file_write_hits_the_file_size_limit(sandbox: LocalSandbox) -> None:
    # when
    result = run(sandbox, "python", "with open('/tmp/big', 'wb') as f:\n    f.write(b'x' * (16 * 1024 * 1024))\n")

    # then
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.run is not None
    assert "File too large" in result.run.stderr


def test_many_files_cannot_fill_memory(sandbox: LocalSandbox) -> None:
    # given: many files each under the size limit; /tmp is a sized tmpfs
    code = """
import errno
try:
    for i in range(10000):
        with open(f'/tmp/f{i}', 'wb') as f:
            f.write(b'x' * (512 * 1024))
except OSError as e:
    print(errno.errorcode[e.errno], i)
"""
    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.OK
    assert result.run is not None
    code_name, count = result.run.stdout.split()
    assert code_name == "ENOSPC"
    assert int(count) * 512 * 1024 <= 4 * LIMITS.file_bytes + 8 * 1024 * 1024


def test_nothing_outside_tmp_is_writable(sandbox: LocalSandbox) -> None:
    # given
    code = """
for path in ['/x', '/box/x', '/usr/x', '/dev/x', '/dev/shm/x', '/proc/x']:
    try:
        open(path, 'w').close()
        print('wrote', path)
    except OSError as e:
        print('refused', path)
"""
    # when
    result = run(sandbox, "python", code)

    # then
    assert result.run is not None
    assert "wrote" not in result.run.stdout
    assert result.run.stdout.count("refused") == 6


def test_secrets_and_project_files_are_absent(sandbox: LocalSandbox) -> None:
    # given: these exist on the host
    paths = [
        "/etc/shadow",
        "/etc/passwd",
        str(PROJECT / "talentsync" / "settings.py"),
        str(PROJECT / ".env"),
        str(PROJECT / "var"),
        str(PROJECT / "var" / "talentsync.sqlite3"),
        "/work",
        "/root",
        "/home",
    ]
    assert os.path.exists("/etc/shadow")
    assert (PROJECT / "talentsync" / "settings.py").exists()
    code = f"import os\nfor p in {paths!r}:\n    print(p, os.path.lexists(p))\n"

    # when
    result = run(sandbox, "python", code)

    # then
    assert result.run is not None
    assert result.run.stdout == "".join(f"{p} False\n" for p in paths)


def test_no_network_at_all(sandbox: LocalSandbox) -> None:
    # given: a real listener on the host's loopback, plus the project's usual service ports
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    code = f"""
import socket
import tempfile
for port in ({port}, 6379, 5432, 8000):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1)
        print(port, 'connected')
    except OSError as e:
        print(port, 'refused')
import os
print(sorted(os.listdir('/sys/class/net')) if os.path.exists('/sys/class/net') else 'no-sys')
"""
    try:
        # when
        result = run(sandbox, "python", code)
    finally:
        listener.close()

    # then
    assert result.run is not None
    assert "connected" not in result.run.stdout
    assert result.run.stdout.count("refused") == 4
    assert accepted == []


def test_killing_the_parent_and_init_does_not_escape(sandbox: LocalSandbox) -> None:
    # given
    code = """
import os, signal
for pid in {os.getppid(), 1}:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as e:
        print('kill', pid, e.errno)
print('survived', os.getpid(), os.getppid())
"""
    # when
    result = run(sandbox, "python", code)

    # then: the init ignores signals from inside its namespace
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert "survived 2 1" in result.run.stdout


@pytest.fixture
def work_root() -> Iterator[Path]:
    # The per-run uids must be able to traverse the work root (pytest's tmp_path is 0700).
    path = Path(tempfile.mkdtemp(prefix="sandbox-work-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path)


def test_symlinks_planted_by_the_program_are_not_followed(sandbox: LocalSandbox, work_root: Path) -> None:
    # given: a compiled program (so a host work dir exists) planting links wherever it can
    code = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
    printf("%d %d\n", symlink("/etc/passwd", "/box/out"), symlink("/etc/passwd", "/tmp/out"));
    symlink("/", "/tmp/root");
    FILE *f = fopen("/tmp/result.json", "w");
    fputs("{\"verdict\": \"OK\", \"stdout\": \"forged\"}", f);
    fclose(f);
    return 0;
}
"""
    sb = make_sandbox(work_root=str(work_root))

    # when
    result = run(sb, "c", code)

    # then: /box is read-only while the program runs, and nothing is left on the host
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert result.run.stdout == "-1 0\n"
    assert list(work_root.iterdir()) == []
    assert Path("/etc/passwd").stat().st_size > 0


def test_proc_shows_only_the_box(sandbox: LocalSandbox) -> None:
    # given
    code = """
import os
pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
print(pids)
cmdlines = [open(f'/proc/{p}/cmdline', 'rb').read() for p in pids]
print(any(b'pytest' in c or b'manage.py' in c for c in cmdlines))
print(sorted(k for k in os.environ))
print(sorted(open('/proc/1/environ', 'rb').read().split(b'\\0'))[1:])
"""
    # when
    result = run(sandbox, "python", code)

    # then
    assert result.run is not None
    lines = result.run.stdout.splitlines()
    assert lines[0] == "[1, 2]"
    assert lines[1] == "False"
    # PWD is set by bwrap itself after --clearenv; it only says /box.
    assert lines[2] == "['HOME', 'LANG', 'PATH', 'PWD']"


def test_template_recursion_bomb_fails_to_compile_quickly(sandbox: LocalSandbox) -> None:
    # given
    code = "template <int N> struct F { static const int v = F<N + 1>::v; };\nint main() { return F<0>::v; }\n"
    limits = Limits(cpu_ms=1000, wall_ms=3000, compile_cpu_ms=8000, compile_wall_ms=15000)

    # when
    result = run(sandbox, "c++", code, limits=limits)

    # then
    assert result.verdict == Verdict.COMPILE_ERROR
    assert result.run is None
    assert result.compile is not None
    assert result.compile.wall_ms < limits.compile_wall_ms + WALL_SLACK_MS
    assert "template instantiation depth" in result.compile.stderr


def test_include_dev_random_ends_within_the_compile_limit(sandbox: LocalSandbox) -> None:
    # given
    code = '#include "/dev/random"\nint main() {}\n'
    limits = Limits(cpu_ms=1000, wall_ms=3000, compile_cpu_ms=3000, compile_wall_ms=5000, compile_memory_kb=512 * 1024)

    # when
    result = run(sandbox, "c++", code, limits=limits)

    # then
    assert result.verdict == Verdict.COMPILE_ERROR
    assert result.run is None
    assert result.compile is not None
    assert result.compile.wall_ms < limits.compile_wall_ms + WALL_SLACK_MS


def test_node_child_process_is_contained(sandbox: LocalSandbox) -> None:
    # given
    code = """
const cp = require("child_process");
const out = cp.spawnSync("/bin/sh", ["-c", "id -u; cat /etc/shadow; ls /work"], { encoding: "utf8" });
console.log(JSON.stringify({ out: out.stdout, status: out.status }));
let spawned = 0;
for (let i = 0; i < 200; i++) {
  try { cp.spawn("/bin/sleep", ["30"]).on("error", () => {}); spawned++; } catch (e) { break; }
}
console.log("spawned", spawned);
"""
    # when
    result = run(sandbox, "javascript", code)

    # then
    assert result.run is not None
    first = result.run.stdout.splitlines()[0]
    assert '"out":"65534\\n"' in first
    assert leftover_processes() == []  # the sleeps died with the box


def test_java_runtime_exec_is_contained(sandbox: LocalSandbox) -> None:
    # given
    code = """
import java.io.*;
public class Main {
    public static void main(String[] a) throws Exception {
        Process p = Runtime.getRuntime().exec(new String[]{"/bin/sh", "-c", "id -u; ls /work /etc 2>&1"});
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line;
        while ((line = r.readLine()) != null) System.out.println(line);
        System.out.println("exit " + p.waitFor());
    }
}
"""
    # when
    result = run(sandbox, "java", code, limits=Limits(cpu_ms=2000, wall_ms=6000))

    # then
    assert result.verdict == Verdict.OK, result
    assert result.run is not None
    lines = result.run.stdout.splitlines()
    assert lines[0] == "65534"
    assert "No such file or directory" in result.run.stdout
    assert "shadow" not in result.run.stdout


# -- compilers made to allocate ------------------------------------------------------------
COMPILE_BOMB_LIMITS = Limits(
    cpu_ms=1000, wall_ms=3000, compile_cpu_ms=8000, compile_wall_ms=20000, compile_memory_kb=512 * 1024
)


def assert_compile_bounded(result: RunResult, limits: Limits, slack_kb: int) -> None:
    assert result.verdict == Verdict.COMPILE_ERROR, result
    assert result.run is None
    assert result.compile is not None
    # Stopped by its memory limit, not by the time limit after taking gigabytes.
    assert result.compile.verdict != Verdict.TIME_LIMIT, result.compile
    assert result.compile.memory_kb < limits.compile_memory_kb + slack_kb


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("c", '#include "/dev/zero"\nint main(void) { return 0; }\n'),
        ("c++", '#include "/dev/zero"\nint main() {}\n'),
        ("c", '#include "/dev/urandom"\nint main(void) { return 0; }\n'),
        ("c++", '#include "/dev/urandom"\nint main() {}\n'),
    ],
    ids=["c-zero", "cpp-zero", "c-urandom", "cpp-urandom"],
)
def test_including_an_endless_device_is_a_compile_error_within_the_memory_limit(
    sandbox: LocalSandbox, language: str, code: str
) -> None:
    # when
    result = run(sandbox, language, code, limits=COMPILE_BOMB_LIMITS)
    # then
    assert_compile_bounded(result, COMPILE_BOMB_LIMITS, slack_kb=0)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_rust_include_bytes_of_an_endless_device_is_a_compile_error_within_the_memory_limit(
    sandbox: LocalSandbox, device: str
) -> None:
    # given: without an address-space limit rustc reads /dev/zero at gigabytes per second
    code = f'static DATA: &[u8] = include_bytes!("{device}");\nfn main() {{ println!("{{}}", DATA.len()); }}\n'
    # when
    result = run(sandbox, "rust", code, limits=COMPILE_BOMB_LIMITS)
    # then
    assert_compile_bounded(result, COMPILE_BOMB_LIMITS, slack_kb=512 * 1024)
    assert "memory allocation of" in result.compile.stderr  # type: ignore[union-attr]


def test_rust_huge_static_array_is_a_compile_error(sandbox: LocalSandbox) -> None:
    # given: a 64 GiB static initialiser that const evaluation would have to build
    code = (
        'static BIG: [[u64; 1 << 16]; 1 << 17] = [[7; 1 << 16]; 1 << 17];\nfn main() { println!("{}", BIG[1][2]); }\n'
    )
    # when
    result = run(sandbox, "rust", code, limits=COMPILE_BOMB_LIMITS)
    # then
    assert_compile_bounded(result, COMPILE_BOMB_LIMITS, slack_kb=512 * 1024)


def test_rust_still_compiles_a_real_program_under_its_limit(sandbox: LocalSandbox) -> None:
    # given: std collections and iterators, under a compile limit of half the default
    code = """
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::cmp::Reverse;
use std::io::{self, Read};
fn main() {
    let mut s = String::new();
    io::stdin().read_to_string(&mut s).unwrap();
    let v: Vec<u64> = s.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    let mut heap: BinaryHeap<Reverse<u64>> = v.iter().map(|&x| Reverse(x)).collect();
    let mut tree: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    while let Some(Reverse(x)) = heap.pop() { tree.entry(x % 3).or_default().push(format!("{:?}", x)); }
    let set: HashSet<u64> = v.iter().map(|x| x % 5).collect();
    let map: HashMap<String, u64> = v.iter().map(|x| (x.to_string(), x * 2)).collect();
    let q: VecDeque<u64> = v.iter().rev().cloned().collect();
    println!("{:?} {} {} {:?}", tree.get(&0), set.len(), map.len(), q.front());
}
"""
    # when
    result = run(sandbox, "rust", code, "3 1 2", limits=COMPILE_BOMB_LIMITS)
    # then
    assert result.verdict == Verdict.OK, result
    assert result.run is not None
    assert result.run.stdout == 'Some(["3"]) 3 3 Some(2)\n'


def test_java_unsafe_allocate_memory_is_bounded(sandbox: LocalSandbox) -> None:
    # given: off-heap memory that neither -Xmx nor MaxDirectMemorySize counts, touched page by page
    code = """
import java.lang.reflect.Field;
import sun.misc.Unsafe;
public class Main {
    public static void main(String[] a) throws Exception {
        Field f = Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Unsafe u = (Unsafe) f.get(null);
        long total = 0;
        while (true) {
            long chunk = 64L << 20;
            long p = u.allocateMemory(chunk);
            for (long i = 0; i < chunk; i += 4096) u.putByte(p + i, (byte) 1);
            total += chunk;
            System.out.println(total >> 20);
        }
    }
}
"""
    limits = Limits(cpu_ms=8000, wall_ms=15000, memory_kb=128 * 1024)
    # when
    result = run(sandbox, "java", code, limits=limits)
    # then: stopped by the address-space backstop (heap + 2 GiB), long before the CPU limit
    assert result.verdict == Verdict.MEMORY_LIMIT, result
    assert result.run is not None
    assert "java.lang.OutOfMemoryError" in result.run.stderr
    assert result.run.memory_kb < limits.memory_kb + 2 * 1024 * 1024
