"""Static metrics of the final code: lizard for every language, radon and pyflakes for Python.

* lizard: lines of code without comments (NLOC), cyclomatic complexity (CCN) per function, the
  average and the maximum;
* radon (Python): cyclomatic complexity per block with its rank (A–F) and the maintainability
  index (0–100, higher is easier to maintain);
* pyflakes (Python): findings such as unused imports or undefined names, with their line.

Code that does not parse gives a ``SyntaxError`` finding and no radon metrics; lizard tolerates it.
"""

from __future__ import annotations

import ast
from typing import Any

import lizard
from pyflakes import checker as pyflakes_checker
from radon.complexity import cc_rank, cc_visit
from radon.metrics import mi_rank, mi_visit

from recordings.insights.types import LintFinding

#: lizard picks its parser from the file name
FILE_NAMES = {
    "python": "solution.py",
    "javascript": "solution.js",
    "typescript": "solution.ts",
    "c": "solution.c",
    "c++": "solution.cpp",
    "java": "Solution.java",
    "go": "solution.go",
    "rust": "solution.rs",
}
MAX_LINT = 50


def lizard_metrics(code: str, language: str) -> dict[str, Any]:
    analysis = lizard.analyze_file.analyze_source_code(FILE_NAMES.get(language, "solution.txt"), code)
    functions = [
        {
            "name": f.name,
            "ccn": f.cyclomatic_complexity,
            "nloc": f.nloc,
            "parameters": f.parameter_count,
            "startLine": f.start_line,
            "endLine": f.end_line,
        }
        for f in analysis.function_list
    ]
    ccns = [f["ccn"] for f in functions]
    return {
        "nloc": analysis.nloc,
        "functions": functions,
        "averageCcn": round(sum(ccns) / len(ccns), 2) if ccns else 0.0,
        "maxCcn": max(ccns) if ccns else 0,
    }


def radon_metrics(code: str) -> dict[str, Any]:
    blocks = cc_visit(code)
    mi = float(mi_visit(code, multi=True))
    complexities = [b.complexity for b in blocks]
    return {
        "blocks": [
            {"name": b.fullname, "complexity": b.complexity, "rank": cc_rank(b.complexity), "line": b.lineno}
            for b in blocks
        ],
        "averageComplexity": round(sum(complexities) / len(complexities), 2) if complexities else 0.0,
        "maintainabilityIndex": round(mi, 2),
        "maintainabilityRank": mi_rank(mi),
    }


def python_lint(code: str) -> list[LintFinding]:
    try:
        tree = ast.parse(code, filename="solution.py")
    except SyntaxError as exc:
        return [{"line": int(exc.lineno or 0), "message": str(exc.msg), "code": "SyntaxError"}]
    found = pyflakes_checker.Checker(tree, filename="solution.py").messages
    findings: list[LintFinding] = [
        {"line": int(m.lineno), "message": m.message % m.message_args, "code": type(m).__name__}
        for m in sorted(found, key=lambda m: (m.lineno, m.col))
    ]
    return findings[:MAX_LINT]


def code_metrics(code: str, language: str) -> tuple[dict[str, Any], list[LintFinding]]:
    """The metrics and lint findings of ``code`` written in ``language`` (a Piston name)."""
    metrics: dict[str, Any] = {"lines": len(code.splitlines()), "lizard": lizard_metrics(code, language)}
    lint: list[LintFinding] = []
    if language == "python":
        lint = python_lint(code)
        syntax_error = any(f["code"] == "SyntaxError" for f in lint)
        metrics["radon"] = None if syntax_error else radon_metrics(code)
    return metrics, lint
