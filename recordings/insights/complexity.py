"""An empirical time-complexity estimate: run the solution on growing inputs and fit the times.

**Inputs.** They are generated from the largest visible test case of the problem (hidden cases
are never used: their data must not leave grading). Its input is scaled to a size ``n`` by the
first rule that applies:

1. *rows* — the first line holds a whole number equal to the number of lines after it (and there
   are at least two): those lines are repeated cyclically to ``n`` lines and the number becomes ``n``;
2. *line* — some line has two or more tokens: every line with the most tokens is extended by
   repeating its tokens cyclically to ``n`` tokens, and each whole number on the other lines equal
   to the old token count becomes ``n`` (the usual "n, then n numbers" header);
3. *lines* — several one-token lines: they are repeated cyclically to ``n`` lines;
4. *scalar* — a single whole number: it becomes ``n`` itself;
5. *string* — a single word: its characters are repeated to ``n`` characters.

Sizes start at the template's own size (at least 8) and double. **Measure**: the CPU time the
sandbox reports for each run (start-up included; the fit's constant absorbs it); a run under
:data:`REPEAT_BELOW_MS` is run twice and the faster time kept. The ladder stops at the first of:
a run over :data:`STOP_MS`, a run that does not finish OK (time limit, error), an input over the
sandbox's stdin limit (then one last size, the largest that fits, is measured), :data:`MAX_RUNS`
runs or :data:`TOTAL_BUDGET_MS` of measured time. When it stops with fewer than
:data:`WANTED_POINTS` points, sizes between measured ones (and the size that failed) are tried:
an exponential solution doubles too fast for a doubling ladder.

**Fit.** When the times grow by less than ``max(GROWTH_MIN_MS, GROWTH_MIN_SHARE × the fastest
run)`` (8 ms, 30 %) over at least a 64-fold growth of ``n``, the estimate is O(1). Otherwise
``t = a + b·g(n)`` is fitted by least squares (``b ≥ 0``) for g in log n, n, n log n, n², 2ⁿ
(each normalised to 1 at the largest n), and the smallest residual wins (the simpler on a tie).

**Gives up** (``None`` and a reason) when: the question has no coding problem, the problem has no
visible case, the input is empty, the language is not one the sandbox runs, the solution does
not run OK on the first generated input (it may need a format these rules do not produce, or
simply fail), fewer than :data:`MIN_POINTS` sizes could be measured, or the time did not grow
measurably while ``n`` grew less than 64-fold.

Hand-written: no library generates inputs from a test case, and the fit is a few lines (the
``big_O`` package generates its own inputs and times Python callables in-process, which would
bypass the sandbox).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from assessments.execution import service
from assessments.execution.base import MAX_CODE_BYTES, MAX_STDIN_BYTES, Limits, RunRequest, Verdict, canonical_language
from assessments.models import Problem
from recordings.insights.types import ComplexityEstimate, ComplexityPoint

STOP_MS = 600
RUN_CPU_MS = 2000
RUN_WALL_MS = 6000
MAX_RUNS = 40
MIN_POINTS = 4
#: refinement tries to get this many points when the ladder stopped early
WANTED_POINTS = 5
CONSTANT_N_GROWTH = 64
#: growth below max(GROWTH_MIN_MS, GROWTH_MIN_SHARE × the fastest run) is no growth (run-to-run noise)
GROWTH_MIN_MS = 8
GROWTH_MIN_SHARE = 0.3
#: runs faster than this are run twice and the faster time kept (start-up jitter dominates them)
REPEAT_BELOW_MS = 200
TOTAL_BUDGET_MS = 30_000
MAX_REFINEMENTS = 4
_INT = re.compile(r"^[+-]?\d+$")


class NotMeasurable(Exception):
    """The estimate cannot be made; the message says why (shown to recruiters)."""


# --- inputs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scaler:
    rule: str
    base: int
    build: Callable[[int], str]


def _cycle(items: list[str], n: int) -> list[str]:
    return [items[i % len(items)] for i in range(n)]


def scaler_for(template: str) -> Scaler:
    """How to scale ``template`` (a test case's input) to size n, by the rules of the module docstring."""
    lines = [line.split() for line in template.strip("\n").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines or not any(lines):
        raise NotMeasurable(_("The largest visible test case has an empty input."))
    newline = "\n"
    first = lines[0]
    body = lines[1:]
    if len(first) == 1 and _INT.match(first[0]) and int(first[0]) == len(body) >= 2:
        rows = [" ".join(r) for r in body]
        return Scaler("rows", len(body), lambda n: newline.join([str(n), *_cycle(rows, n)]) + newline)
    widest = max(len(line) for line in lines)
    if widest >= 2:
        grow = {i for i, line in enumerate(lines) if len(line) == widest}

        def build_line(n: int) -> str:
            out = []
            for i, line in enumerate(lines):
                if i in grow:
                    out.append(" ".join(_cycle(line, n)))
                else:
                    out.append(" ".join(str(n) if _INT.match(t) and int(t) == widest else t for t in line))
            return newline.join(out) + newline

        return Scaler("line", widest, build_line)
    if len(lines) >= 2:
        flat = [" ".join(r) for r in lines]
        return Scaler("lines", len(lines), lambda n: newline.join(_cycle(flat, n)) + newline)
    token = first[0]
    if _INT.match(token):
        return Scaler("scalar", max(1, int(token)), lambda n: f"{n}{newline}")
    return Scaler("string", len(token), lambda n: "".join(_cycle(list(token), n)) + newline)


def template_case(problem: Problem) -> str:
    """The input of the problem's largest visible test case."""
    inputs = list(problem.test_cases.filter(hidden=False).values_list("input", flat=True))
    if not inputs:
        raise NotMeasurable(_("The problem has no visible test case to grow inputs from."))
    return max(inputs, key=len)


# --- fit -----------------------------------------------------------------------------------
def _log2(n: float) -> float:
    return math.log2(n) if n > 1 else 0.0


MODELS: list[tuple[str, Callable[[float, float], float]]] = [
    # (estimate, g(n) / g(n_max)): normalised so 2ⁿ does not overflow for large n
    ("O(log n)", lambda n, top: _log2(n) / _log2(top) if top > 1 else 0.0),
    ("O(n)", lambda n, top: n / top),
    ("O(n log n)", lambda n, top: (n * _log2(n)) / (top * _log2(top)) if top > 1 else n / top),
    ("O(n²)", lambda n, top: (n / top) ** 2),
    ("O(2ⁿ)", lambda n, top: 2.0 ** max(n - top, -1074)),
]


def _fit(xs: list[float], ys: list[float]) -> float:
    """The residual sum of squares of ``y = a + b·x`` fitted by least squares with ``b ≥ 0``."""
    count = len(xs)
    mean_x, mean_y = sum(xs) / count, sum(ys) / count
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = max(0.0, sxy / sxx) if sxx > 0 else 0.0
    intercept = mean_y - slope * mean_x
    return sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))


def best_fit(points: list[ComplexityPoint]) -> str:
    """The complexity class whose curve fits the points best (see the module docstring)."""
    ns = [float(p["n"]) for p in points]
    ms = [float(p["ms"]) for p in points]
    if len(points) < MIN_POINTS:
        raise NotMeasurable(_("Too few input sizes could be measured."))
    growth = max(ms) - min(ms)
    if growth < max(GROWTH_MIN_MS, GROWTH_MIN_SHARE * min(ms)):
        if max(ns) / min(ns) >= CONSTANT_N_GROWTH:
            return "O(1)"
        raise NotMeasurable(_("The running time did not grow measurably over the sizes tried."))
    top = max(ns)
    scored = [(_fit([g(n, top) for n in ns], ms), i, name) for i, (name, g) in enumerate(MODELS)]
    return min(scored)[2]


# --- runs ----------------------------------------------------------------------------------
@dataclass
class _Ladder:
    request: RunRequest
    scaler: Scaler
    scope: str
    points: list[ComplexityPoint]
    spent_ms: int = 0
    runs: int = 0
    #: the smallest size that could not be measured (too large an input, or not run OK)
    ceiling: int | None = None
    first_failure: str = ""
    too_large: bool = False
    bytes_per_n: float = 0.0

    def _run(self, stdin: str) -> tuple[bool, int, str]:
        result = service.execute(
            RunRequest(language=self.request.language, code=self.request.code, stdin=stdin, limits=self.request.limits),
            priority=service.Priority.BATCH,
            use_cache=False,
            cache_scope=self.scope,
        )
        self.runs += 1
        run = result.run
        self.spent_ms += run.cpu_ms if run is not None else 0
        if result.verdict != Verdict.OK or run is None:
            return False, 0, str(result.verdict)
        return True, int(run.cpu_ms or run.wall_ms), ""

    def measure(self, n: int) -> bool:
        """Run size ``n``; whether it gave a point."""
        stdin = self.scaler.build(n)
        size = len(stdin.encode())
        if size > MAX_STDIN_BYTES:
            self.ceiling = n if self.ceiling is None else min(self.ceiling, n)
            self.too_large = True
            return False
        ok, ms, verdict = self._run(stdin)
        if ok and ms < REPEAT_BELOW_MS:
            again, ms_again, verdict = self._run(stdin)
            ok, ms = again, min(ms, ms_again)
        if not ok:
            self.ceiling = n if self.ceiling is None else min(self.ceiling, n)
            if not self.points and not self.first_failure:
                self.first_failure = verdict
            return False
        self.bytes_per_n = size / n
        self.points.append({"n": n, "ms": ms})
        self.points.sort(key=lambda p: p["n"])
        return True

    @property
    def exhausted(self) -> bool:
        return self.runs >= MAX_RUNS or self.spent_ms >= TOTAL_BUDGET_MS


def _middle(low: int, high: int, rule: str) -> int:
    return (low + high) // 2 if rule == "scalar" else round(math.sqrt(low * high))


def estimate(*, problem: Problem | None, language: str, code: str) -> ComplexityEstimate:
    """Run ``code`` on inputs grown from ``problem``'s largest visible case; raise NotMeasurable."""
    if problem is None:
        raise NotMeasurable(_("The interview's questions have no coding problem to generate inputs for."))
    name = canonical_language(language)
    if name is None:
        raise NotMeasurable(_("The sandbox does not run this language."))
    if not code.strip():
        raise NotMeasurable(_("No code was written."))
    if len(code.encode()) > MAX_CODE_BYTES:
        raise NotMeasurable(_("The code is too large to run."))
    scaler = scaler_for(template_case(problem))
    request = RunRequest(
        language=name,
        code=code,
        limits=Limits(cpu_ms=RUN_CPU_MS, wall_ms=RUN_WALL_MS, memory_kb=problem.memory_limit_mb * 1024),
    )
    ladder = _Ladder(request=request, scaler=scaler, scope=f"org:{problem.organization_id}", points=[])
    n = max(scaler.base, 8)
    while ladder.measure(n) and ladder.points[-1]["ms"] < STOP_MS and not ladder.exhausted:
        n *= 2
    if ladder.too_large and ladder.points and ladder.bytes_per_n:
        # the doubling overshot the stdin limit: one more point at the largest input that fits
        largest = int(MAX_STDIN_BYTES * 0.98 / ladder.bytes_per_n)
        if largest > ladder.points[-1]["n"] * 1.2:
            ladder.measure(largest)
    if ladder.first_failure:
        raise NotMeasurable(
            _("The solution did not run on the generated input (%(verdict)s), so no estimate was made.")
            % {"verdict": ladder.first_failure}
        )
    for _attempt in range(MAX_REFINEMENTS):
        if len(ladder.points) >= WANTED_POINTS or ladder.exhausted:
            break
        sizes = [p["n"] for p in ladder.points]
        if ladder.ceiling is not None and ladder.ceiling > sizes[-1]:
            sizes.append(ladder.ceiling)
        gaps = [
            (high / low, low, high)
            for low, high in itertools.pairwise(sizes)
            if low < _middle(low, high, scaler.rule) < high
        ]
        if not gaps:
            break
        _ratio, low, high = max(gaps)
        ladder.measure(_middle(low, high, scaler.rule))
    return {"estimate": best_fit(ladder.points), "points": list(ladder.points)}
