"""The local sandbox: candidates' code under bubblewrap with rlimits, a wall clock and capped pipes.

Written by hand because no maintained Python library wraps bwrap for short-lived judge runs
(isolate and nsjail are C programs needing setuid or cgroup set-up this project cannot assume);
the isolation itself is bwrap's and the kernel's, this module only assembles the invocation and
reads the results. See docs/sandbox.md for the threat model and measured overhead.

Decisions worth knowing before changing anything:

* **Host uid.** When the service runs as root, each run takes a dedicated unprivileged host uid
  from a pool (``uid_base`` .. ``uid_base + uid_slots``; flock'ed so several processes share the
  pool) and bwrap itself runs as that uid (``subprocess`` ``user=``/``group=``), mapped to 65534
  inside. Tested here: unprivileged user namespaces work, so bwrap needs no setuid bit. Running
  bwrap as root instead would make the box's processes host-root (kuid 0): files it writes would
  be root-owned and ``RLIMIT_NPROC`` would not apply at all (the kernel exempts root). One uid
  per concurrent run matters because ``RLIMIT_NPROC`` is also checked against the host uid's
  process count: with a shared uid one run's fork bomb would starve the runs beside it. When the
  service is not root, bwrap runs as the service's own uid and the process limit counts the
  service's processes too (deploy the executor as its own user then).
* **Reaping.** bwrap's outer process exits as soon as its in-box init reports the exit status,
  without reaping that init, which is then re-parented. Where the host's pid 1 does not reap
  (containers, this machine) every run would leak a zombie that counts against the uid's process
  limit, and the init's rusage (the program's CPU time and peak memory) would be lost. So this
  process marks itself a child subreaper (``PR_SET_CHILD_SUBREAPER``), learns the init's pid from
  ``--info-fd``, holds a pidfd on it (no pid-reuse races), kills it (tearing down the pid
  namespace and any process the program left behind) and reaps it with ``wait4``.
* **rlimits** are applied by ``/usr/bin/prlimit`` exec'ing bwrap, not by ``preexec_fn``: no Python
  runs between fork and exec (``preexec_fn`` is unsafe in a threaded process), and the limits are
  inherited by everything in the box. ``RLIMIT_CPU`` has whole-second granularity, so the measured
  CPU time is also compared with the limit afterwards.
* **Files.** Interpreted programs get their source through ``--ro-bind-data`` from a pipe: no host
  file at all. Compiled languages need their artefacts to survive from the compile box to the
  run box, so the host creates a 0700 directory (``mkdtemp``), hands it to the run's uid, writes
  the source into it before any sandbox runs, binds it read-write at ``/box`` for the compile
  step and read-only for the run step, and removes it with ``shutil.rmtree`` (fd-based on Linux,
  never follows symlinks). The host never opens anything the box could have written: outputs come
  only from pipes. Everything else in the box is read-only except a size-capped tmpfs ``/tmp``.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import ctypes
import fcntl
import json
import logging
import math
import os
import re
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace

from assessments.execution.base import (
    ALIASES,
    VERDICT_MESSAGES,
    ExecutionError,
    InteractiveRun,
    Limits,
    OutputCallback,
    RunRequest,
    RunResult,
    Runtime,
    StageResult,
    StdinFull,
    Verdict,
    budget_exhausted,
)
from assessments.execution.languages import BOX, LANGUAGE_SPECS, LanguageSpec, MiB

logger = logging.getLogger(__name__)

BWRAP = "/usr/bin/bwrap"
PRLIMIT = "/usr/bin/prlimit"
INSIDE_UID = 65534  # "nobody" inside the box, whatever the host uid is

# Only the environment a program needs; HOME points at the box's own tmpfs.
BASE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}  # noqa: S108 - the box's tmpfs

COMPILE_FILE_BYTES = 64 * MiB  # binaries and class files, bounded by RLIMIT_FSIZE
RUN_TMP_MIN_BYTES = 8 * MiB
COMPILE_TMP_BYTES = 256 * MiB
HARD_KILL_AFTER_S = 0.5  # after a kill, how long the init gets to reap the program and report
KILL_GRACE_S = 2.0  # how long to keep draining pipes after a kill before giving up on them
READ_CHUNK = 65536
# Input typed into an interactive run that the program has not read yet: over this, write_stdin
# refuses (StdinFull) instead of queueing without bound or blocking its caller.
STDIN_PENDING_BYTES = 1 * MiB

_PR_SET_CHILD_SUBREAPER = 36
_subreaper_lock = threading.Lock()
_subreaper_set = False


def _become_subreaper() -> None:
    global _subreaper_set
    with _subreaper_lock:
        if _subreaper_set:
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise ExecutionError(f"prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}")
        _subreaper_set = True


class _UidPool:
    """Hands out one unprivileged host uid per concurrent run (see the module docstring)."""

    def __init__(self, base: int, slots: int, lock_dir: str) -> None:
        self.base = base
        self.slots = slots
        self._cond = threading.Condition()
        self._busy: set[int] = set()
        self._next = 0
        self._lock_fds: dict[int, int] = {}
        self._lock_dir: str | None = lock_dir
        try:
            os.makedirs(lock_dir, mode=0o700, exist_ok=True)
            st = os.stat(lock_dir, follow_symlinks=False)
            if st.st_uid != os.geteuid() or (st.st_mode & 0o077):
                raise OSError(f"{lock_dir} is not a private directory")
        except OSError:
            logger.warning("sandbox uid lock dir unusable; uids are only exclusive within this process")
            self._lock_dir = None

    def _try_file_lock(self, uid: int) -> bool:
        if self._lock_dir is None:
            return True
        fd = self._lock_fds.get(uid)
        if fd is None:
            fd = os.open(
                os.path.join(self._lock_dir, f"{uid}.lock"),
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
            )
            self._lock_fds[uid] = fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self) -> int:
        with self._cond:
            while True:
                for _ in range(self.slots):
                    uid = self.base + self._next
                    self._next = (self._next + 1) % self.slots
                    if uid not in self._busy and self._try_file_lock(uid):
                        self._busy.add(uid)
                        return uid
                # Every slot is taken (here or by another process): wait for one to free up.
                self._cond.wait(timeout=0.05)

    def release(self, uid: int) -> None:
        with self._cond:
            fd = self._lock_fds.get(uid)
            if fd is not None and self._lock_dir is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._busy.discard(uid)
            self._cond.notify()


_pools: dict[tuple[int, int], _UidPool] = {}
_pools_lock = threading.Lock()


def _shared_uid_pool(base: int, slots: int) -> _UidPool:
    """One pool per uid range per process: callers may build a LocalSandbox per request, and
    the pool keeps its lock files open."""
    with _pools_lock:
        pool = _pools.get((base, slots))
        if pool is None:
            lock_dir = os.path.join(tempfile.gettempdir(), f"talentsync-sandbox-uids-{base}")
            pool = _pools[(base, slots)] = _UidPool(base, slots, lock_dir)
        return pool


@dataclass
class _StageSpec:
    """One bwrap invocation: what to run and under which limits."""

    kind: str  # "compile" or "run"
    argv: list[str]
    env: dict[str, str]
    cpu_ms: int
    wall_ms: int
    memory_kb: int
    address_space: int | None
    processes: int
    file_bytes: int
    open_files: int
    output_bytes: int
    tmp_bytes: int
    binds: tuple[str, ...] = ()
    host_dir: str | None = None
    host_dir_writable: bool = False
    data_files: dict[str, bytes] = field(default_factory=dict)  # path inside the box -> content
    kill_on_output_limit: bool = True
    memory_markers: tuple[str, ...] = ()


def _prefilled_pipe(data: bytes) -> int | None:
    """A pipe's read end already holding ``data`` (write end closed), or None if it cannot fit."""
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        if len(data) > 60000:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, len(data) + 4096)
        view = memoryview(data)
        while view:
            view = view[os.write(w, view) :]
    except OSError:
        os.close(r)
        return None
    finally:
        os.close(w)
    return r


class _Stream:
    """One output pipe: keeps at most ``cap`` bytes, decodes incrementally for live callbacks."""

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self.buf = bytearray()
        self.truncated = False
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Keep what fits; returns (kept bytes, whether the cap was exceeded)."""
        room = self.cap - len(self.buf)
        kept = data[: max(room, 0)]
        self.buf += kept
        if len(data) > room:
            self.truncated = True
            return kept, True
        return kept, False

    def text(self) -> str:
        return self.buf.decode("utf-8", errors="replace")


class _StdinWriter:
    """A thread that owns a program's stdin pipe and writes what is queued for it, in order.

    Callers never block: ``write`` queues (or raises StdinFull over ``limit`` pending bytes), and
    the thread does the blocking ``write(2)``. When the program never reads, that write stays
    blocked until the box is torn down (by the wall clock or a kill), which closes the pipe's read
    end and ends it with EPIPE; so nothing here can outlive the run.
    """

    def __init__(self, fd: int, *, initial: bytes = b"", limit: int | None = None) -> None:
        self._fd = fd
        self._limit = limit
        self._cond = threading.Condition()
        self._pending: collections.deque[bytes] = collections.deque()
        self._pending_bytes = 0
        self._eof = False  # close after the pending bytes
        self._gone = False  # the program's stdin is closed (or the run is over): drop everything
        if initial:
            # The run's own stdin is queued whatever its size (the request already holds it);
            # the bound applies to what is typed afterwards.
            self._pending.append(initial)
            self._pending_bytes = len(initial)
        self._thread = threading.Thread(target=self._run, name="sandbox-stdin", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        if not data:
            return
        with self._cond:
            if self._gone or self._eof:
                return  # the program has exited or its stdin was closed
            if self._limit is not None and self._pending_bytes + len(data) > self._limit:
                raise StdinFull(
                    f"The program is not reading its input: {self._pending_bytes} bytes are still "
                    f"waiting (at most {self._limit})."
                )
            self._pending.append(data)
            self._pending_bytes += len(data)
            self._cond.notify()

    def close(self) -> None:
        """EOF once everything queued so far is written."""
        with self._cond:
            self._eof = True
            self._cond.notify()

    def abort(self) -> None:
        """The run is over: drop what is pending (the pipe's reader is gone)."""
        with self._cond:
            self._gone = True
            self._pending.clear()
            self._pending_bytes = 0
            self._cond.notify()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._eof and not self._gone:
                        self._cond.wait()
                    if self._gone or not self._pending:
                        return
                    data = self._pending[0]
                view = memoryview(data)
                try:
                    while view:
                        written = os.write(self._fd, view[:READ_CHUNK])
                        view = view[written:]
                        with self._cond:
                            self._pending_bytes -= written
                            if self._gone:
                                return
                except OSError:  # EPIPE: the program exited or closed its stdin
                    with self._cond:
                        self._gone = True
                        self._pending.clear()
                        self._pending_bytes = 0
                    return
                with self._cond:
                    if self._pending and self._pending[0] is data:
                        self._pending.popleft()
        finally:
            os.close(self._fd)


class _BoxProcess:
    """A single sandboxed process: spawn, pump pipes under a deadline, kill, reap, measure."""

    def __init__(
        self,
        spec: _StageSpec,
        *,
        host_uid: int | None,
        stdin: bytes,
        interactive: bool = False,
        on_output: OutputCallback | None = None,
    ) -> None:
        self.spec = spec
        self.on_output = on_output
        self._kill_lock = threading.Lock()
        self._closed = False
        self.timed_out = False
        self.output_exceeded = False
        self.killed = False
        self.requested_kill = False
        self._hard_kill_at = math.inf
        self.stdout = _Stream("stdout", spec.output_bytes)
        self.stderr = _Stream("stderr", spec.output_bytes)
        self._stdin: _StdinWriter | None = None
        self.pid1: int | None = None
        self._pidfd1: int | None = None
        self._pidfd_outer: int | None = None
        self._spawn(host_uid, stdin, interactive)

    # -- start -------------------------------------------------------------------------------
    def _bwrap_argv(self, info_fd: int, data_fds: dict[str, int]) -> list[str]:
        s = self.spec
        cpu_soft = max(1, math.ceil(s.cpu_ms / 1000))
        limits = [
            f"--cpu={cpu_soft}:{cpu_soft + 1}",
            f"--nproc={s.processes}",
            f"--fsize={s.file_bytes}",
            f"--nofile={s.open_files}",
            "--core=0",
        ]
        if s.address_space is not None:
            limits.append(f"--as={s.address_space}")
        argv = [PRLIMIT, *limits, "--", BWRAP]
        argv += [
            "--unshare-all",
            "--unshare-user",  # explicit so --disable-userns is allowed
            "--disable-userns",  # no nested user namespaces: a smaller kernel attack surface
            "--die-with-parent",
            "--new-session",  # no TIOCSTI into a terminal, own session for the box
            "--uid",
            str(INSIDE_UID),
            "--gid",
            str(INSIDE_UID),
            "--hostname",
            "box",
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--symlink",
            "usr/bin",
            "/bin",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(s.tmp_bytes),
            "--tmpfs",
            "/tmp",  # noqa: S108 - a fresh, sized tmpfs inside the box
        ]
        for path in s.binds:
            argv += ["--ro-bind-try", path, path]
        if s.host_dir is not None:
            argv += ["--bind" if s.host_dir_writable else "--ro-bind", s.host_dir, BOX]
        for path, fd in sorted(data_fds.items()):
            argv += ["--perms", "0444", "--ro-bind-data", str(fd), path]
        if s.host_dir is None and not data_fds:
            argv += ["--dir", BOX]
        # The root and /dev are bwrap's own tmpfs mounts, writable and unsized: make them
        # read-only so /tmp (sized) and, while compiling, /box are the only writable places.
        argv += ["--chdir", BOX, "--remount-ro", "/dev", "--remount-ro", "/"]
        argv += ["--clearenv"]
        for key, value in {**BASE_ENV, **s.env}.items():
            argv += ["--setenv", key, value]
        argv += ["--info-fd", str(info_fd), "--", *s.argv]
        return argv

    def _spawn(self, host_uid: int | None, stdin: bytes, interactive: bool) -> None:
        opened: list[int] = []
        data_fds: dict[str, int] = {}
        try:
            for path, content in self.spec.data_files.items():
                fd = _prefilled_pipe(content)
                if fd is None:
                    raise ExecutionError(f"cannot pass {len(content)} bytes into the sandbox")
                opened.append(fd)
                data_fds[path] = fd
            stdin_r: int
            stdin_w: int | None = None
            prefilled = None if interactive else _prefilled_pipe(stdin)
            if prefilled is None:  # interactive, or too big for one pipe buffer: a thread writes it
                stdin_r, stdin_w = os.pipe2(os.O_CLOEXEC)
            else:
                stdin_r = prefilled
            opened.append(stdin_r)
            out_r, out_w = os.pipe2(os.O_CLOEXEC)
            err_r, err_w = os.pipe2(os.O_CLOEXEC)
            info_r, info_w = os.pipe2(os.O_CLOEXEC)
            opened += [out_w, err_w, info_w]
            self._out_r, self._err_r = out_r, err_r
            argv = self._bwrap_argv(info_w, data_fds)
            self.started = time.monotonic()
            self.proc = subprocess.Popen(  # noqa: S603 - fixed binaries, argv list, no shell
                argv,
                stdin=stdin_r,
                stdout=out_w,
                stderr=err_w,
                pass_fds=(info_w, *data_fds.values()),
                close_fds=True,
                start_new_session=True,
                env={},
                cwd="/",
                user=host_uid,
                group=host_uid,
                extra_groups=[] if host_uid is not None else None,
            )
        except OSError as exc:
            for fd in (getattr(self, "_out_r", None), getattr(self, "_err_r", None), stdin_w):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            raise ExecutionError(f"cannot start bwrap: {exc}") from exc
        finally:
            for fd in opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._pidfd_outer = os.pidfd_open(self.proc.pid)
        # bwrap writes the init's pid and closes the fd right after cloning (or exits on error).
        info = bytearray()
        while chunk := os.read(info_r, 4096):
            info += chunk
        os.close(info_r)
        with contextlib.suppress(ValueError, TypeError, KeyError):
            self.pid1 = int(json.loads(info)["child-pid"])
        if self.pid1 is not None:
            try:
                self._pidfd1 = os.pidfd_open(self.pid1)
            except ProcessLookupError:
                self._pidfd1 = None
        if stdin_w is not None:
            # Started only now, after the box exists: the wall clock already runs and a kill
            # ends the run even while this thread is stuck writing to a program that never reads.
            self._stdin = _StdinWriter(stdin_w, initial=stdin, limit=STDIN_PENDING_BYTES if interactive else None)
            if not interactive:
                self._stdin.close()

    # -- control (thread-safe) ---------------------------------------------------------------
    def write_stdin(self, data: bytes) -> None:
        """Queue ``data`` for the program; raises StdinFull instead of blocking (see _StdinWriter)."""
        if self._stdin is not None:
            self._stdin.write(data)

    def close_stdin(self) -> None:
        if self._stdin is not None:
            self._stdin.close()

    def kill(self, *, requested: bool = False) -> None:
        """Stop the program: SIGKILL the box init's children, so the init still reaps them (and
        their CPU time and peak memory are measured); the pump escalates to the init itself (which
        tears down the pid namespace) if the outer bwrap has not exited soon after."""
        with self._kill_lock:
            if self._closed or self.killed:
                return
            self.killed = True
            self.requested_kill = requested
            self._hard_kill_at = time.monotonic() + HARD_KILL_AFTER_S
            if self.pid1 is None:
                self._hard_kill()
                return
            try:
                with open(f"/proc/{self.pid1}/task/{self.pid1}/children", encoding="ascii") as fh:
                    children = [int(pid) for pid in fh.read().split()]
            except (OSError, ValueError):
                children = []
            for pid in children:
                try:
                    pidfd = os.pidfd_open(pid)
                except OSError:
                    continue
                try:
                    # Only a process that is still the init's child (not a recycled pid).
                    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                    if ppid == self.pid1:
                        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except (OSError, ValueError, IndexError):
                    pass
                finally:
                    os.close(pidfd)
            if not children:
                self._hard_kill()

    def _hard_kill(self) -> None:
        """SIGKILL the box's init (tearing down its pid namespace) and the outer bwrap."""
        if self._closed:
            return
        for pidfd in (self._pidfd1, self._pidfd_outer):
            if pidfd is not None:
                with contextlib.suppress(ProcessLookupError, OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)

    # -- run to completion -------------------------------------------------------------------
    def _deliver(self, stream: _Stream, data: bytes, final: bool = False) -> None:
        if self.on_output is None:
            return
        text = stream.decoder.decode(data, final)
        if text:
            try:
                self.on_output(stream.name, text)
            except Exception:
                logger.exception("sandbox output callback failed")

    def pump(self) -> StageResult:
        """Read both pipes until EOF under the wall-clock deadline, then reap and measure."""
        sel = selectors.DefaultSelector()
        streams = {self._out_r: self.stdout, self._err_r: self.stderr}
        for fd in streams:
            sel.register(fd, selectors.EVENT_READ)
        if self._pidfd_outer is None:
            raise ExecutionError("the sandbox process was not started")
        sel.register(self._pidfd_outer, selectors.EVENT_READ)
        deadline = self.started + self.spec.wall_ms / 1000
        outer_status: int | None = None
        outer_rusage = None
        ended = 0.0
        give_up_at: float | None = None
        try:
            while streams or outer_status is None:
                now = time.monotonic()
                if not self.killed and now >= deadline:
                    self.timed_out = True
                    self.kill()
                if self.killed and outer_status is None and now >= self._hard_kill_at:
                    with self._kill_lock:
                        self._hard_kill()
                    self._hard_kill_at = math.inf
                if self.killed and give_up_at is None:
                    give_up_at = now + KILL_GRACE_S
                if give_up_at is not None and now >= give_up_at:
                    break
                wake = min(deadline if not self.killed else math.inf, self._hard_kill_at, give_up_at or math.inf)
                timeout = wake - now
                for key, _ in sel.select(max(timeout, 0)):
                    fd = int(key.fd)
                    if fd == self._pidfd_outer:
                        _, outer_status, outer_rusage = os.wait4(self.proc.pid, 0)
                        ended = time.monotonic()
                        sel.unregister(fd)
                        # The program is done: kill anything it left running in the box so the
                        # pipes reach EOF and nothing outlives the run.
                        with self._kill_lock:
                            self._hard_kill()
                        continue
                    stream = streams[fd]
                    data = os.read(fd, READ_CHUNK)
                    if not data:
                        self._deliver(stream, b"", final=True)
                        sel.unregister(fd)
                        os.close(fd)
                        del streams[fd]
                        continue
                    kept, exceeded = stream.feed(data)
                    self._deliver(stream, kept)
                    if exceeded and self.spec.kill_on_output_limit and not self.output_exceeded:
                        self.output_exceeded = True
                        self.kill()
        finally:
            sel.close()
            for fd in streams:
                os.close(fd)
            if outer_status is None:  # gave up on the pipes: make sure the outer is gone
                with self._kill_lock:
                    self._hard_kill()
                _, outer_status, outer_rusage = os.wait4(self.proc.pid, 0)
                ended = time.monotonic()
            self.proc.returncode = os.waitstatus_to_exitcode(outer_status)  # Popen must not reap
            if self._stdin is not None:
                self._stdin.abort()
            inner_rusage = self._reap_init()
            with self._kill_lock:
                self._closed = True
                for pidfd in (self._pidfd1, self._pidfd_outer):
                    if pidfd is not None:
                        os.close(pidfd)
        return self._result(outer_status, outer_rusage, inner_rusage, ended)

    def _reap_init(self) -> resource.struct_rusage | None:
        """Reap the in-box init, re-parented to us when the outer bwrap exited before it."""
        if self._pidfd1 is None or self.pid1 is None:
            return None
        with contextlib.suppress(ProcessLookupError, OSError):
            signal.pidfd_send_signal(self._pidfd1, signal.SIGKILL)
        try:
            # WNOWAIT through the pidfd proves the zombie is ours before wait4 reaps it by pid.
            os.waitid(os.P_PIDFD, self._pidfd1, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return None  # the outer bwrap reaped it itself; its rusage is in the outer's
        _, _, rusage = os.wait4(self.pid1, 0)
        return rusage

    # -- verdict -----------------------------------------------------------------------------
    def _result(
        self, status: int, outer: resource.struct_rusage | None, inner: resource.struct_rusage | None, ended: float
    ) -> StageResult:
        # Only the init's rusage measures the program: the outer bwrap was forked from this
        # (large) process and its peak RSS still counts the pages it shared with us before exec.
        # Without it (the outer reaped the init itself) CPU comes from the outer and memory is
        # unknown.
        usage = inner or outer
        res = StageResult(
            stdout=self.stdout.text(),
            stderr=self.stderr.text(),
            stdout_truncated=self.stdout.truncated,
            stderr_truncated=self.stderr.truncated,
            wall_ms=round((ended - self.started) * 1000),
            cpu_ms=round((usage.ru_utime + usage.ru_stime) * 1000) if usage else 0,
            memory_kb=inner.ru_maxrss if inner else 0,
        )
        code = os.waitstatus_to_exitcode(status)
        if code < 0:  # the outer bwrap itself was killed (by us)
            res.signal = _signal_name(-code)
        elif code > 128 and self.pid1 is not None and code - 128 < signal.NSIG:
            # bwrap reports a program killed by signal N as exit status 128 + N.
            res.signal = _signal_name(code - 128)
        else:
            res.exit_code = code
        res.verdict, detail = self._verdict(res, code)
        res.message = VERDICT_MESSAGES[res.verdict] + (f" {detail}" if detail else "")
        return res

    def _verdict(self, res: StageResult, code: int) -> tuple[Verdict, str]:
        s = self.spec
        if self.pid1 is None or (code == 1 and res.stderr.startswith("bwrap: ") and not res.stdout):
            # bwrap reports its own set-up failures (before or after cloning) this way. A program
            # could print the same to make its own run a SANDBOX_ERROR, which gains it nothing.
            logger.error("bwrap failed to start: %s", res.stderr[-2000:])
            return Verdict.SANDBOX_ERROR, ""
        if self.timed_out:
            return Verdict.TIME_LIMIT, f"Wall-clock limit of {s.wall_ms} ms exceeded."
        if self.output_exceeded:
            return Verdict.OUTPUT_LIMIT, f"Output limit of {s.output_bytes} bytes exceeded."
        if res.signal == "SIGXCPU" or res.cpu_ms > s.cpu_ms or (res.signal == "SIGKILL" and res.cpu_ms >= s.cpu_ms):
            return Verdict.TIME_LIMIT, f"CPU time limit of {s.cpu_ms} ms exceeded."
        if res.exit_code == 0:
            return Verdict.OK, ""
        if res.signal == "SIGXFSZ":
            return Verdict.RUNTIME_ERROR, f"File size limit of {s.file_bytes} bytes exceeded."
        if self.requested_kill:
            return Verdict.RUNTIME_ERROR, "Stopped on request."
        # Runtimes print the allocation failure first (Go, then a goroutine dump) or last.
        tail = res.stderr[:2048] + res.stderr[-4096:]
        if any(marker in tail for marker in s.memory_markers) or (
            res.signal is not None and res.memory_kb >= 0.8 * s.memory_kb
        ):
            return Verdict.MEMORY_LIMIT, f"Memory limit of {s.memory_kb // 1024} MiB exceeded."
        if res.signal is not None:
            return Verdict.RUNTIME_ERROR, f"Killed by {res.signal}."
        return Verdict.RUNTIME_ERROR, f"Exit code {res.exit_code}."


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


_SAFE_NAME = re.compile(r"^[A-Za-z_$][\w$]{0,127}\.[a-z]{1,4}$")


class _Workspace:
    """A run's host uid and, for compiled languages, its private host directory."""

    def __init__(self, sandbox: LocalSandbox, spec: LanguageSpec, code: str) -> None:
        self.sandbox = sandbox
        self.uid = sandbox._uids.acquire() if sandbox._uids is not None else None
        self.host_dir: str | None = None
        self.source = spec.source_name(code)
        if not _SAFE_NAME.match(self.source):
            self.source = "Main.java" if spec.name == "java" else self.source
        try:
            if spec.compile_argv is not None:
                self.host_dir = tempfile.mkdtemp(prefix="box-", dir=sandbox.work_root)
                # Created by us a moment ago with mode 0700 and no sandbox has run yet, so nothing
                # in it can be a planted link: writing by path here is safe.
                files = {self.source: code, **spec.extra_files}
                dir_fd = os.open(self.host_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
                try:
                    for name, content in files.items():
                        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444, dir_fd=dir_fd)
                        with os.fdopen(fd, "w", encoding="utf-8") as fh:
                            fh.write(content)
                    if self.uid is not None:
                        os.fchown(dir_fd, self.uid, self.uid)
                finally:
                    os.close(dir_fd)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.host_dir is not None:
            # rmtree uses openat/unlinkat relative to directory fds on Linux and never follows a
            # symlink the program may have planted.
            shutil.rmtree(self.host_dir, ignore_errors=True)
            self.host_dir = None
        if self.uid is not None:
            self.sandbox._uids.release(self.uid)  # type: ignore[union-attr]
            self.uid = None


class _Interactive:
    """``InteractiveRun`` for the room panel: a pump thread delivers output while stdin stays open."""

    def __init__(
        self,
        sandbox: LocalSandbox,
        request: RunRequest,
        workspace: _Workspace | None,
        compile_result: StageResult | None,
        box: _BoxProcess | None,
        version: str,
    ) -> None:
        self._sandbox = sandbox
        self._request = request
        self._workspace = workspace
        self._compile = compile_result
        self._box = box
        self._version = version
        self._result: RunResult | None = None
        self._done = threading.Event()
        if box is None:
            self._result = sandbox._combine(request, version, compile_result, None)
            self._done.set()
        else:
            self._thread = threading.Thread(target=self._pump, name="sandbox-interactive", daemon=True)
            self._thread.start()

    def _pump(self) -> None:
        box = self._box
        if box is None:
            return
        try:
            run = box.pump()
        except Exception:  # never leave wait() hanging
            logger.exception("interactive sandbox run failed")
            run = StageResult(verdict=Verdict.SANDBOX_ERROR, message=VERDICT_MESSAGES[Verdict.SANDBOX_ERROR])
        finally:
            if self._workspace is not None:
                self._workspace.close()
        self._result = self._sandbox._combine(self._request, self._version, self._compile, run)
        self._done.set()

    def write_stdin(self, text: str) -> None:
        """Queue ``text`` for the program without blocking; raises StdinFull when it is not reading."""
        if self._box is not None and not self._done.is_set():
            self._box.write_stdin(text.encode("utf-8"))

    def close_stdin(self) -> None:
        if self._box is not None:
            self._box.close_stdin()

    def kill(self) -> None:
        if self._box is not None:
            self._box.kill(requested=True)

    def wait(self, timeout: float | None = None) -> RunResult:
        """The run's result; raises ``TimeoutError`` if it has not ended within ``timeout`` s."""
        if not self._done.wait(timeout):
            raise TimeoutError("the program is still running")
        if self._result is None:  # set before _done, so only a bug gets here
            raise ExecutionError("interactive run ended without a result")
        return self._result


class LocalSandbox:
    """The default backend: runs code on this machine under bubblewrap (see the module docstring)."""

    name = "local"

    def __init__(
        self,
        *,
        work_root: str | None = None,
        uid_base: int | None = None,
        uid_slots: int = 256,
    ) -> None:
        if not os.access(BWRAP, os.X_OK) or not os.access(PRLIMIT, os.X_OK):
            raise ExecutionError("bubblewrap (/usr/bin/bwrap) and util-linux prlimit are required")
        _become_subreaper()
        self.work_root = work_root or tempfile.gettempdir()
        self._uids: _UidPool | None = None
        if os.geteuid() == 0:
            base = uid_base if uid_base is not None else int(os.environ.get("SANDBOX_UID_BASE", "1900000"))
            self._uids = _shared_uid_pool(base, uid_slots)

    # -- runtimes ----------------------------------------------------------------------------
    def runtimes(self) -> list[Runtime]:
        out = []
        for name in LANGUAGE_SPECS:
            version = language_version(name)
            if version is not None:
                aliases = tuple(sorted(alias for alias, target in ALIASES.items() if target == name))
                out.append(Runtime(language=name, version=version, aliases=aliases))
        return out

    # -- execute -----------------------------------------------------------------------------
    def execute(self, request: RunRequest) -> RunResult:
        return self.execute_batch(request, [request.stdin])[0]

    def execute_batch(self, request: RunRequest, stdins: list[str], *, budget_ms: int | None = None) -> list[RunResult]:
        """Compile once, then run once per stdin (``request.stdin`` is ignored), in order.

        Every run gets the same read-only ``/box`` and a fresh box otherwise (own /tmp, pid and
        network namespaces), so one case cannot leave anything for the next. A failed compile
        is every case's result. Once the runs' wall time adds up to ``budget_ms``, the remaining
        cases are not run (TIME_LIMIT, ``run`` None): 200 cases of a program that always hits its
        wall clock must not hold a pool slot for 200 x the wall clock.
        """
        spec, version = self._language(request.language)
        if not stdins:
            return []
        workspace = _Workspace(self, spec, request.code)
        try:
            compile_result = self._compile(spec, request, workspace)
            if compile_result is not None and compile_result.verdict != Verdict.OK:
                failed = self._combine(request, version, compile_result, None)
                return [replace(failed) for _ in stdins]
            stage = self._run_stage(spec, request, workspace)
            results: list[RunResult] = []
            spent_ms = 0
            for stdin in stdins:
                if budget_ms is not None and spent_ms >= budget_ms:
                    results.append(budget_exhausted(request, version, compile_result))
                    continue
                run = _BoxProcess(stage, host_uid=workspace.uid, stdin=stdin.encode("utf-8")).pump()
                spent_ms += run.wall_ms
                results.append(self._combine(request, version, compile_result, run))
            return results
        finally:
            workspace.close()

    def start_interactive(self, request: RunRequest, *, on_output: OutputCallback) -> InteractiveRun:
        """Compile (synchronously), then start the program with a live stdin; output streams out."""
        spec, version = self._language(request.language)
        workspace = _Workspace(self, spec, request.code)
        try:
            compile_result = self._compile(spec, request, workspace)
            if compile_result is not None and compile_result.verdict != Verdict.OK:
                workspace.close()
                return _Interactive(self, request, None, compile_result, None, version)
            # The initial stdin goes to the box's writer thread, never written from here: a big
            # one to a program that does not read would block this call, before any wall clock.
            box = _BoxProcess(
                self._run_stage(spec, request, workspace),
                host_uid=workspace.uid,
                stdin=request.stdin.encode("utf-8"),
                interactive=True,
                on_output=on_output,
            )
        except BaseException:
            workspace.close()
            raise
        return _Interactive(self, request, workspace, compile_result, box, version)

    # -- internals ---------------------------------------------------------------------------
    def _language(self, language: str) -> tuple[LanguageSpec, str]:
        spec = LANGUAGE_SPECS.get(language)
        version = language_version(language) if spec is not None else None
        if spec is None or version is None:
            raise ExecutionError(f"language {language!r} is not installed in the local sandbox")
        return spec, version

    def _compile(self, spec: LanguageSpec, request: RunRequest, workspace: _Workspace) -> StageResult | None:
        if spec.compile_argv is None:
            return None
        limits = request.limits
        stage = _StageSpec(
            kind="compile",
            argv=spec.compile_argv(workspace.source, limits.compile_memory_kb),
            env=dict(spec.compile_env),
            cpu_ms=limits.compile_cpu_ms,
            wall_ms=limits.compile_wall_ms,
            memory_kb=limits.compile_memory_kb,
            address_space=spec.compile_address_space(limits.compile_memory_kb),
            processes=max(limits.processes, spec.compile_processes) + 2,
            file_bytes=max(limits.file_bytes, COMPILE_FILE_BYTES),
            open_files=max(limits.open_files, 256),
            output_bytes=limits.output_bytes,
            tmp_bytes=COMPILE_TMP_BYTES,
            binds=spec.binds,
            host_dir=workspace.host_dir,
            host_dir_writable=True,
            # A compiler's flood of errors is kept capped but the compiler is let finish.
            kill_on_output_limit=False,
        )
        result = _BoxProcess(stage, host_uid=workspace.uid, stdin=b"").pump()
        # javac and tsc print diagnostics on stdout; the API shows one compiler log.
        if result.stdout:
            result.stderr = (result.stderr + result.stdout) if result.stderr else result.stdout
            result.stdout = ""
        if result.verdict == Verdict.RUNTIME_ERROR:
            result.verdict = Verdict.COMPILE_ERROR
            result.message = VERDICT_MESSAGES[Verdict.COMPILE_ERROR]
        elif result.verdict in (Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT):
            result.message = result.message.replace("Stopped:", "Compilation stopped:", 1)
        return result

    def _run_stage(self, spec: LanguageSpec, request: RunRequest, workspace: _Workspace) -> _StageSpec:
        limits: Limits = request.limits
        data_files: dict[str, bytes] = {}
        if workspace.host_dir is None:
            data_files[f"{BOX}/{workspace.source}"] = request.code.encode("utf-8")
        return _StageSpec(
            kind="run",
            argv=spec.run_argv(workspace.source, limits.memory_kb),
            env=spec.run_env(limits.memory_kb),
            cpu_ms=limits.cpu_ms,
            wall_ms=limits.wall_ms,
            memory_kb=limits.memory_kb,
            address_space=spec.run_address_space(limits.memory_kb),
            # +2: the outer bwrap and the box's init count against the same limit.
            processes=limits.processes + 2,
            file_bytes=limits.file_bytes,
            open_files=limits.open_files,
            output_bytes=limits.output_bytes,
            tmp_bytes=max(RUN_TMP_MIN_BYTES, 4 * limits.file_bytes),
            binds=spec.binds,
            host_dir=workspace.host_dir,
            host_dir_writable=False,
            data_files=data_files,
            memory_markers=spec.memory_markers,
        )

    def _combine(
        self, request: RunRequest, version: str, compile_result: StageResult | None, run: StageResult | None
    ) -> RunResult:
        if run is None:
            if compile_result is None:
                raise ExecutionError("neither a compile nor a run result")
            failed = compile_result.verdict
            verdict = Verdict.SANDBOX_ERROR if failed == Verdict.SANDBOX_ERROR else Verdict.COMPILE_ERROR
            message = compile_result.message
            if verdict == Verdict.COMPILE_ERROR and compile_result.verdict != Verdict.COMPILE_ERROR:
                message = f"{VERDICT_MESSAGES[Verdict.COMPILE_ERROR]} {compile_result.message}"
            return RunResult(request.language, version, compile_result, None, verdict, message)
        return RunResult(request.language, version, compile_result, run, run.verdict, run.message)


_versions: dict[str, str | None] = {}
_versions_lock = threading.Lock()


def language_version(language: str) -> str | None:
    """The installed toolchain's version (probed once per process), or None when absent."""
    with _versions_lock:
        if language in _versions:
            return _versions[language]
    spec = LANGUAGE_SPECS.get(language)
    version: str | None = None
    if spec is not None and all(
        os.access(path, os.X_OK if path.startswith("/usr/bin") else os.R_OK) for path in spec.requires
    ):
        try:
            probe = subprocess.run(  # noqa: S603 - fixed toolchain path
                list(spec.version_argv), capture_output=True, text=True, timeout=30, env=dict(BASE_ENV), check=False
            )
            match = re.search(spec.version_pattern, probe.stdout + probe.stderr)
            version = match.group(1) if match else None
        except (OSError, subprocess.TimeoutExpired):
            version = None
    with _versions_lock:
        _versions[language] = version
    return version
