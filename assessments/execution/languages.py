"""How each language is compiled and run inside the sandbox: toolchain paths, argv, env, memory.

Everything here is data plus small pure functions; ``sandbox.py`` turns a :class:`LanguageSpec`
into bwrap invocations. Toolchains are the Debian packages under ``/usr`` (never ``~/.cargo`` or
pyenv shims), so the box only needs ``/usr`` and the ``/lib``, ``/lib64``, ``/bin`` symlinks.

Memory is limited per language because runtimes reserve address space very differently:

* CPython, C, C++, Rust: ``RLIMIT_AS`` = the memory limit plus a little slack for the loader and
  shared libraries, so a ``malloc`` past the limit fails (``MemoryError``, ``std::bad_alloc``,
  "memory allocation ... failed").
* JVM: it reserves a lot of address space (heap, class space, code cache, a 64 MiB stack per
  Java thread), so ``RLIMIT_AS`` is the limit plus 2 GiB: a backstop for what no JVM flag caps
  (``Unsafe.allocateMemory``, threads created with a huge ``stackSize``). The heap is capped with
  ``-Xmx`` and the other pools with their own flags; the class space is shrunk from its 1 GiB
  default and glibc's per-thread malloc arenas are limited so the JVM starts under that limit.
* Node: V8 reserves a large virtual cage at start-up, so ``RLIMIT_AS`` is set far above the limit
  (only as a backstop) and the JS heap is capped with ``--max-old-space-size``.
* Go: the runtime reserves arenas lazily but still maps more than it uses; ``GOMEMLIMIT`` makes
  the GC work to stay under the limit and ``RLIMIT_AS`` (limit + slack) is the hard stop, which
  the runtime reports as "out of memory".

Compilers get ``RLIMIT_AS`` too (the compile memory limit, plus slack for rustc), so source that
makes the compiler allocate (``#include "/dev/zero"``, ``include_bytes!("/dev/zero")``, a huge
static array) ends as a COMPILE_ERROR instead of taking the host's memory. Go and javac do not.
"""

# Paths under /tmp here are inside the box (a fresh tmpfs per run), never the host's /tmp.
# ruff: noqa: S108

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

MiB = 1024 * 1024

BOX = "/box"  # the work directory inside the sandbox

JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
TSC_JS = "/usr/share/nodejs/typescript/lib/tsc.js"
GCC = "/usr/bin/x86_64-linux-gnu-gcc-12"
GXX = "/usr/bin/x86_64-linux-gnu-g++-12"

# TypeScript without @types/node (not packaged in Debian 12) knows neither ``process`` nor
# ``require``; these loose declarations let ordinary competitive-programming code type-check
# while real type errors in the candidate's own code still fail compilation.
TS_NODE_GLOBALS = """\
declare var require: any;
declare var process: any;
declare var module: any;
declare var exports: any;
declare var console: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
declare function setTimeout(cb: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function setInterval(cb: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearTimeout(id: any): void;
declare function clearInterval(id: any): void;
"""

_JAVA_CLASS = re.compile(r"^\s*public\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)", re.MULTILINE)


def java_class_name(code: str) -> str:
    """The public class of a Java source (its file must carry that name); ``Main`` by default."""
    match = _JAVA_CLASS.search(code)
    return match.group(1) if match else "Main"


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    # Binaries that must exist on the host for the language to be offered.
    requires: tuple[str, ...]
    # argv printing the version (stdout or stderr), and a regex picking it out.
    version_argv: tuple[str, ...]
    version_pattern: str
    source_name: Callable[[str], str]
    # argv for the compile step, None for interpreted languages. Paths are inside the box.
    compile_argv: Callable[[str, int], list[str]] | None
    # argv for the run step, given the source file name and the memory limit in KiB.
    run_argv: Callable[[str, int], list[str]]
    # RLIMIT_AS in bytes for a memory limit in KiB, or None for no address-space limit.
    run_address_space: Callable[[int], int | None]
    compile_address_space: Callable[[int], int | None]
    run_env: Callable[[int], dict[str, str]] = field(default=lambda _kb: {})
    compile_env: dict[str, str] = field(default_factory=dict)
    # Extra files the host writes next to the source before compiling: name -> content.
    extra_files: dict[str, str] = field(default_factory=dict)
    # Messages a runtime prints when an allocation fails (checked only on a failed exit).
    memory_markers: tuple[str, ...] = ()
    # Threads/processes the toolchain itself needs on top of the user's limit while compiling.
    compile_processes: int = 64
    # Host paths (read-only, configuration only) the toolchain needs besides /usr.
    binds: tuple[str, ...] = ()


def _as(slack_mib: int) -> Callable[[int], int | None]:
    return lambda kb: kb * 1024 + slack_mib * MiB


def _no_as(_kb: int) -> int | None:
    return None


def _mib(kb: int) -> int:
    return max(16, kb // 1024)


def _java_run(source: str, kb: int) -> list[str]:
    heap = _mib(kb)
    return [
        f"{JAVA_HOME}/bin/java",
        f"-Xmx{heap}m",
        f"-Xms{min(heap, 32)}m",
        "-Xss64m",  # recursive solutions are common; stacks are bounded by the process limit
        "-XX:MaxMetaspaceSize=128m",
        "-XX:CompressedClassSpaceSize=64m",  # reserved up front, 1 GiB by default: RLIMIT_AS
        "-XX:ReservedCodeCacheSize=64m",
        f"-XX:MaxDirectMemorySize={heap}m",
        "-XX:+UseSerialGC",  # one GC thread: fewer threads against the process limit, less RSS
        "-XX:TieredStopAtLevel=1",  # C1 only: much faster start-up for short programs
        "-XX:-UsePerfData",  # no hsperfdata file in /tmp
        "-Xshare:auto",
        "-Djava.io.tmpdir=/tmp",
        "-cp",
        BOX,
        source.removesuffix(".java"),
    ]


def _java_compile(source: str, kb: int) -> list[str]:
    return [
        f"{JAVA_HOME}/bin/javac",
        f"-J-Xmx{_mib(kb) // 2}m",
        "-J-XX:+UseSerialGC",
        "-J-XX:TieredStopAtLevel=1",
        "-J-XX:-UsePerfData",
        "-J-Xshare:auto",
        "-encoding",
        "UTF-8",
        "-nowarn",
        "-d",
        BOX,
        f"{BOX}/{source}",
    ]


def _node_flags(kb: int) -> list[str]:
    return [f"--max-old-space-size={_mib(kb)}"]


# V8 reserves its pointer cage and code range up front; 4 GiB over the heap is a backstop only.
_NODE_AS = _as(4096)

# glibc gives each thread that allocates an arena of its own, reserving 64 MiB of address space
# apiece (up to 8 per core): under RLIMIT_AS that, not the memory in use, is what runs out first
# in multi-threaded rustc and the JVM, and it grows with the host's core count. Two arenas cost
# nothing measurable for these workloads.
_FEW_ARENAS = {"MALLOC_ARENA_MAX": "2"}

LANGUAGE_SPECS: dict[str, LanguageSpec] = {
    "python": LanguageSpec(
        name="python",
        requires=("/usr/bin/python3",),
        version_argv=("/usr/bin/python3", "--version"),
        version_pattern=r"Python (\S+)",
        source_name=lambda _code: "main.py",
        compile_argv=None,
        # -I: isolated mode (no user site, no PYTHON* env, script dir not on sys.path). -S would
        # save a few ms but removes exit()/quit(), which candidates use.
        run_argv=lambda src, _kb: ["/usr/bin/python3", "-I", "-B", f"{BOX}/{src}"],
        run_address_space=_as(64),
        compile_address_space=_as(64),
        memory_markers=("MemoryError",),
    ),
    "javascript": LanguageSpec(
        name="javascript",
        requires=("/usr/bin/node",),
        version_argv=("/usr/bin/node", "--version"),
        version_pattern=r"v(\S+)",
        source_name=lambda _code: "main.js",
        compile_argv=None,
        run_argv=lambda src, kb: ["/usr/bin/node", *_node_flags(kb), f"{BOX}/{src}"],
        run_address_space=_NODE_AS,
        compile_address_space=_NODE_AS,
        memory_markers=("JavaScript heap out of memory", "Allocation failed", "RangeError: Array buffer allocation"),
    ),
    "typescript": LanguageSpec(
        name="typescript",
        requires=("/usr/bin/node", TSC_JS),
        version_argv=("/usr/bin/node", TSC_JS, "--version"),
        version_pattern=r"Version (\S+)",
        source_name=lambda _code: "main.ts",
        compile_argv=lambda src, kb: [
            "/usr/bin/node",
            f"--max-old-space-size={_mib(kb) // 2}",
            TSC_JS,
            "--target",
            "es2020",
            "--lib",
            "es2020",
            "--module",
            "commonjs",
            "--noEmitOnError",
            "--pretty",
            "false",
            "--outDir",
            BOX,
            f"{BOX}/{src}",
            f"{BOX}/node-globals.d.ts",
        ],
        run_argv=lambda src, kb: ["/usr/bin/node", *_node_flags(kb), f"{BOX}/{src.removesuffix('.ts')}.js"],
        run_address_space=_NODE_AS,
        compile_address_space=_NODE_AS,
        extra_files={"node-globals.d.ts": TS_NODE_GLOBALS},
        memory_markers=("JavaScript heap out of memory", "Allocation failed", "RangeError: Array buffer allocation"),
    ),
    "c": LanguageSpec(
        name="c",
        requires=(GCC,),
        version_argv=(GCC, "-dumpfullversion"),
        version_pattern=r"(\d+\.\d+\.\d+)",
        source_name=lambda _code: "main.c",
        compile_argv=lambda src, _kb: [
            GCC,
            "-std=gnu17",
            "-O2",
            "-pipe",
            "-o",
            f"{BOX}/main",
            f"{BOX}/{src}",
            "-lm",
        ],
        run_argv=lambda _src, _kb: [f"{BOX}/main"],
        run_address_space=_as(16),
        compile_address_space=_as(0),
        compile_env={"TMPDIR": "/tmp"},
        memory_markers=(),
    ),
    "c++": LanguageSpec(
        name="c++",
        requires=(GXX,),
        version_argv=(GXX, "-dumpfullversion"),
        version_pattern=r"(\d+\.\d+\.\d+)",
        source_name=lambda _code: "main.cpp",
        compile_argv=lambda src, _kb: [
            GXX,
            "-std=gnu++17",
            "-O2",
            "-pipe",
            # A template-recursion bomb stops at this depth instead of eating the compile budget.
            "-ftemplate-depth=512",
            "-o",
            f"{BOX}/main",
            f"{BOX}/{src}",
        ],
        run_argv=lambda _src, _kb: [f"{BOX}/main"],
        run_address_space=_as(16),
        compile_address_space=_as(0),
        compile_env={"TMPDIR": "/tmp"},
        memory_markers=("std::bad_alloc",),
    ),
    "java": LanguageSpec(
        name="java",
        requires=(f"{JAVA_HOME}/bin/java", f"{JAVA_HOME}/bin/javac"),
        version_argv=(f"{JAVA_HOME}/bin/java", "-Xshare:auto", "-version"),
        version_pattern=r"version \"([^\"]+)\"",
        source_name=lambda code: f"{java_class_name(code)}.java",
        compile_argv=_java_compile,
        run_argv=_java_run,
        # Measured: the JVM with these flags starts (and runs a thread with a 256 MiB stack)
        # under limit + 1.5 GiB with two malloc arenas; 2 GiB leaves room for more cores.
        run_address_space=_as(2048),
        compile_address_space=_no_as,
        run_env=lambda _kb: dict(_FEW_ARENAS),
        memory_markers=("java.lang.OutOfMemoryError",),
        compile_processes=128,
        # The JDK's conf/ files are links into /etc/java-17-openjdk (java.security etc.); the JVM
        # refuses to start without them. Configuration only, nothing secret.
        binds=("/etc/java-17-openjdk",),
    ),
    "go": LanguageSpec(
        name="go",
        requires=("/usr/bin/go",),
        version_argv=("/usr/bin/go", "version"),
        version_pattern=r"go(\d+\.\d+(?:\.\d+)?)",
        source_name=lambda _code: "main.go",
        compile_argv=lambda src, _kb: ["/usr/bin/go", "build", "-o", f"{BOX}/main", f"{BOX}/{src}"],
        run_argv=lambda _src, _kb: [f"{BOX}/main"],
        run_address_space=_as(1024),
        compile_address_space=_no_as,
        # GOMEMLIMIT makes the collector work to stay under the limit before RLIMIT_AS bites;
        # GOMAXPROCS keeps the runtime's thread count well under the process limit.
        run_env=lambda kb: {"GOMEMLIMIT": f"{_mib(kb)}MiB", "GOMAXPROCS": "2", "GOTRACEBACK": "single"},
        # `go build` refuses to run without a build cache and a HOME; both point into the box's
        # tmpfs so nothing persists between runs (a shared cache could be poisoned by one run for
        # the next). CGO is off: no C toolchain in the loop, a static binary, a faster build.
        compile_env={
            "HOME": "/tmp",
            "GOCACHE": "/tmp/go-cache",
            "GOPATH": "/tmp/go",
            "GO111MODULE": "off",
            "CGO_ENABLED": "0",
            "GOPROXY": "off",
            "GOTOOLCHAIN": "local",
            "GOMAXPROCS": "2",
            "TMPDIR": "/tmp",
        },
        memory_markers=("out of memory",),
        compile_processes=128,
    ),
    "rust": LanguageSpec(
        name="rust",
        requires=("/usr/bin/rustc", GCC),
        version_argv=("/usr/bin/rustc", "--version"),
        version_pattern=r"rustc (\S+)",
        source_name=lambda _code: "main.rs",
        compile_argv=lambda src, _kb: [
            "/usr/bin/rustc",
            "--edition",
            "2021",
            "-O",
            # /usr/bin/cc is an /etc/alternatives link; naming gcc saves binding /etc.
            "-C",
            f"linker={GCC}",
            "-o",
            f"{BOX}/main",
            f"{BOX}/{src}",
        ],
        run_argv=lambda _src, _kb: [f"{BOX}/main"],
        run_address_space=_as(16),
        # Measured with rustc 1.63 -O on this 2-core host: a 30-line program using the std
        # collections compiles at 215 MiB RSS but needs ~1 GiB of address space with glibc's
        # default arenas and 512 MiB with two. The limit plus 512 MiB keeps the default 1 GiB
        # compile limit working on hosts with more cores, and include_bytes!("/dev/zero") or a
        # huge static still fails ("memory allocation of ... failed", E0080) within it.
        compile_address_space=_as(512),
        compile_env={"TMPDIR": "/tmp", **_FEW_ARENAS},
        memory_markers=("memory allocation of", "capacity overflow"),
    ),
}
