"""Host hygiene: a scrubbed environment, nothing of the project inside, results only from pipes,
an unprivileged host uid, and a host work directory that is private and removed without
following links."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessments.execution.base import RunRequest, Verdict
from assessments.execution.languages import LANGUAGE_SPECS
from assessments.execution.sandbox import LocalSandbox, _Workspace
from assessments.execution.testing import LIMITS, TEST_UID_BASE, TEST_UID_SLOTS, leftover_processes, make_sandbox, run

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]

TEST_UIDS = range(TEST_UID_BASE, TEST_UID_BASE + TEST_UID_SLOTS)


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return make_sandbox()


@pytest.fixture
def work_root() -> Iterator[Path]:
    # The per-run uids must be able to traverse the work root (pytest's tmp_path is 0700).
    path = Path(tempfile.mkdtemp(prefix="sandbox-work-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path)


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    yield
    assert leftover_processes() == []


ENV_DUMP = {
    "python": (
        "import json, os\nprint(json.dumps(sorted(os.environ.items())))\nprint(open('/proc/self/environ', 'rb').read())"
    ),
    "javascript": (
        "console.log(JSON.stringify(Object.entries(process.env).sort()));\n"
        "console.log(require('fs').readFileSync('/proc/self/environ', 'latin1'));"
    ),
}


@pytest.mark.parametrize("language", sorted(ENV_DUMP))
def test_environment_is_scrubbed_to_path_lang_home(
    sandbox: LocalSandbox, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a secret in the host environment
    monkeypatch.setenv("TALENTSYNC_CANARY_SECRET", "hunter2")
    monkeypatch.setenv("PYTHONPATH", "/work/main")

    # when
    result = run(sandbox, language, ENV_DUMP[language])

    # then
    assert result.run is not None
    assert "hunter2" not in result.run.stdout
    assert "/work" not in result.run.stdout
    first, raw = result.run.stdout.splitlines()[:2]
    # PWD is set by bwrap itself after --clearenv; it only says /box.
    expected = [["HOME", "/tmp"], ["LANG", "C.UTF-8"], ["PATH", "/usr/bin:/bin"], ["PWD", "/box"]]  # noqa: S108
    assert json.loads(first) == expected
    assert "hunter2" not in raw


def test_go_gets_only_its_runtime_variables(sandbox: LocalSandbox) -> None:
    # given
    code = (
        'package main\nimport ("fmt"; "os"; "sort")\nfunc main() { e := os.Environ(); sort.Strings(e); fmt.Println(e) }'
    )

    # when
    result = run(sandbox, "go", code)

    # then
    assert result.run is not None
    assert result.run.stdout == (
        "[GOMAXPROCS=2 GOMEMLIMIT=128MiB GOTRACEBACK=single HOME=/tmp LANG=C.UTF-8 PATH=/usr/bin:/bin PWD=/box]\n"
    )


def test_only_system_paths_are_visible(sandbox: LocalSandbox) -> None:
    # given: walk everything except the kernel's /proc and the read-only /usr
    code = """
import os
print(sorted(os.listdir('/')))
hits = []
for top in ('/box', '/dev', '/tmp', '/etc'):
    for root, dirs, files in os.walk(top):
        hits += [os.path.join(root, n) for n in dirs + files]
print([h for h in hits if 'work' in h or 'talentsync' in h or 'sqlite' in h or h.endswith('.env')])
print(os.listdir('/usr/lib/jvm') if os.path.exists('/usr/lib/jvm') else '-')
"""
    # when
    result = run(sandbox, "python", code)

    # then
    assert result.run is not None
    lines = result.run.stdout.splitlines()
    assert lines[0] == "['bin', 'box', 'dev', 'lib', 'lib64', 'proc', 'tmp', 'usr']"
    assert lines[1] == "[]"


def test_java_additionally_sees_only_its_configuration(sandbox: LocalSandbox) -> None:
    # given
    code = """
import java.io.File;
import java.util.*;
public class Main {
    public static void main(String[] a) {
        String[] top = new File("/").list(); Arrays.sort(top);
        String[] etc = new File("/etc").list(); Arrays.sort(etc);
        System.out.println(String.join(",", top) + " " + String.join(",", etc));
    }
}
"""
    # when
    result = run(sandbox, "java", code)

    # then
    assert result.run is not None
    assert result.run.stdout == "bin,box,dev,etc,lib,lib64,proc,tmp,usr java-17-openjdk\n"


def test_results_come_from_pipes_not_from_files(sandbox: LocalSandbox) -> None:
    # given: a program writing forged result files wherever it can
    code = """
import json
for path in ('/tmp/result.json', '/tmp/stdout', '/tmp/verdict'):
    with open(path, 'w') as f:
        json.dump({'verdict': 'OK', 'stdout': 'forged', 'exit_code': 0}, f)
print('real')
raise SystemExit(4)
"""
    # when
    result = run(sandbox, "python", code)

    # then
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.run is not None
    assert result.run.stdout == "real\n"
    assert result.run.exit_code == 4


def test_box_runs_as_nobody_on_an_unprivileged_host_uid(sandbox: LocalSandbox) -> None:
    # given: a program that reports its ids, then waits so the host can look at it
    code = "import os\nprint(os.getuid(), os.getgid(), flush=True)\ninput()"
    printed: list[str] = []
    live = sandbox.start_interactive(
        RunRequest("python", code, limits=LIMITS), on_output=lambda s, t: printed.append(t)
    )

    # when
    try:
        deadline = time.monotonic() + 5
        while not printed and time.monotonic() < deadline:
            time.sleep(0.02)
        host_uids = set()
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            if "\nName:\tpython3\n" in "\n" + status:
                uid = int(status.split("\nUid:\t", 1)[1].split()[0])
                if uid in TEST_UIDS:
                    host_uids.add(uid)
    finally:
        live.write_stdin("bye\n")
        live.close_stdin()
        result = live.wait(timeout=10)

    # then
    assert result.verdict == Verdict.OK
    assert "".join(printed) == "65534 65534\n"
    if os.geteuid() == 0:
        assert len(host_uids) == 1  # the program's host uid is one of the pool's, never root


def test_host_work_dir_is_private_while_running_and_removed_after(sandbox: LocalSandbox, work_root: Path) -> None:
    # given: a compiled program that waits, so its work dir can be inspected meanwhile
    sb = make_sandbox(work_root=str(work_root))
    code = '#include <stdio.h>\nint main(void) { int x; return scanf("%d", &x) == 1 ? 0 : 1; }'
    live = sb.start_interactive(RunRequest("c", code, limits=LIMITS), on_output=lambda s, t: None)

    # when
    try:
        (box_dir,) = list(work_root.iterdir())
        dir_stat = box_dir.lstat()
        files = {p.name: p.lstat() for p in box_dir.iterdir()}
    finally:
        live.write_stdin("1\n")
        live.close_stdin()
        result = live.wait(timeout=10)

    # then
    assert result.verdict == Verdict.OK
    assert stat.S_IMODE(dir_stat.st_mode) == 0o700
    assert set(files) == {"main.c", "main"}
    assert files["main.c"].st_uid == 0 or os.geteuid() != 0  # written by the host
    if os.geteuid() == 0:
        assert dir_stat.st_uid in TEST_UIDS
        assert files["main"].st_uid in TEST_UIDS  # written by the box: not root-owned
    assert list(work_root.iterdir()) == []


def test_cleanup_does_not_follow_links_planted_in_the_work_dir(sandbox: LocalSandbox, work_root: Path) -> None:
    # given: a host directory the box must never touch, and links to it planted in the work dir
    precious = Path(tempfile.mkdtemp(prefix="precious-"))
    (precious / "keep.txt").write_text("keep")
    sb = make_sandbox(work_root=str(work_root))
    workspace = _Workspace(sb, LANGUAGE_SPECS["c"], "int main(void) { return 0; }")
    assert workspace.host_dir is not None
    box_dir = Path(workspace.host_dir)
    (box_dir / "link-to-dir").symlink_to(precious)
    (box_dir / "link-to-file").symlink_to(precious / "keep.txt")
    (box_dir / "nested").mkdir()
    (box_dir / "nested" / "deeper").symlink_to(precious)

    # when
    try:
        workspace.close()

        # then
        assert not box_dir.exists()
        assert (precious / "keep.txt").read_text() == "keep"
    finally:
        shutil.rmtree(precious)


def test_interactive_run_keeps_nothing_after_kill(sandbox: LocalSandbox, work_root: Path) -> None:
    # given
    sb = make_sandbox(work_root=str(work_root))
    live = sb.start_interactive(
        RunRequest("c", "int main(void) { for (;;) {} }", limits=LIMITS), on_output=lambda s, t: None
    )
    time.sleep(0.2)

    # when
    live.kill()
    result = live.wait(timeout=10)

    # then
    assert result.run is not None
    assert result.run.signal == "SIGKILL"
    assert list(work_root.iterdir()) == []
