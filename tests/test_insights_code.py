"""Code evaluation: radon/lizard/pyflakes on known code, input scaling, and the complexity estimate
from real sandbox runs."""

from __future__ import annotations

from typing import cast

import pytest

from assessments.factories import ProblemFactory
from assessments.models import Problem
from recordings.insights import complexity
from recordings.insights.code_metrics import code_metrics
from recordings.insights.services import interview_analyse
from recordings.insights.types import ComplexityPoint
from recordings.models import Insight
from tests.conftest import Tenant
from tests.test_insights_fixtures import make_scene

pytestmark = pytest.mark.django_db

KNOWN = """\
import os


def grade(score):
    if score > 90:
        return "A"
    elif score > 80:
        return "B"
    for _ in range(3):
        pass
    return missing_name
"""

LINEAR = "n = int(input())\nxs = list(map(int, input().split()))\nprint(sum(xs))\n"
QUADRATIC = """\
n = int(input())
xs = list(map(int, input().split()))
count = 0
for i in range(n):
    for j in range(n):
        if xs[i] < xs[j]:
            count += 1
print(count)
"""


@pytest.fixture
def problem(acme: Tenant) -> Problem:
    return cast(
        Problem,
        ProblemFactory(
            organization=acme.org,
            cases=[
                {"name": "small", "input": "3\n1 2 3\n", "expected_output": "6\n", "hidden": False},
                {"name": "bigger", "input": "5\n3 1 4 1 5\n", "expected_output": "14\n", "hidden": False},
                {"name": "secret", "input": "7\n9 9 9 9 9 9 9\n", "expected_output": "63\n", "hidden": True},
            ],
        ),
    )


def test_python_metrics_of_known_code() -> None:
    # given: grade() has two branches and a loop (cyclomatic complexity 4), an unused import and
    # an undefined name

    # when
    metrics, lint = code_metrics(KNOWN, "python")

    # then
    assert metrics["lines"] == 11
    (function,) = metrics["lizard"]["functions"]
    assert (function["name"], function["ccn"], function["parameters"], function["startLine"]) == ("grade", 4, 1, 4)
    assert metrics["lizard"]["maxCcn"] == 4
    (block,) = metrics["radon"]["blocks"]
    assert (block["name"], block["complexity"], block["rank"], block["line"]) == ("grade", 4, "A", 4)
    assert 0 < metrics["radon"]["maintainabilityIndex"] <= 100
    assert [(f["line"], f["code"]) for f in lint] == [(1, "UnusedImport"), (11, "UndefinedName")]
    assert lint[1]["message"] == "undefined name 'missing_name'"


def test_lizard_measures_other_languages() -> None:
    # given
    code = "function f(a, b) {\n  if (a) { return b; }\n  while (b) { b--; }\n  return a;\n}\n"

    # when
    metrics, lint = code_metrics(code, "javascript")

    # then
    (function,) = metrics["lizard"]["functions"]
    assert (function["name"], function["ccn"], function["parameters"]) == ("f", 3, 2)
    assert "radon" not in metrics
    assert lint == []


def test_python_that_does_not_parse_gives_a_syntax_error_finding() -> None:
    # when
    metrics, lint = code_metrics("def broken(:\n    pass\n", "python")

    # then
    assert [(f["line"], f["code"]) for f in lint] == [(1, "SyntaxError")]
    assert metrics["radon"] is None


@pytest.mark.parametrize(
    ("template", "rule", "base", "n", "grown"),
    [
        ("5\n3 1 4 1 5\n", "line", 5, 8, "8\n3 1 4 1 5 3 1 4\n"),
        ("3\n1 2\n3 4\n5 6\n", "rows", 3, 4, "4\n1 2\n3 4\n5 6\n1 2\n"),
        ("1\n4\n1 2 3 4\n", "line", 4, 6, "1\n6\n1 2 3 4 1 2\n"),
        ("7\n8\n", "lines", 2, 3, "7\n8\n7\n"),
        ("10\n", "scalar", 10, 12, "12\n"),
        ("abc\n", "string", 3, 5, "abcab\n"),
    ],
)
def test_inputs_grow_by_the_documented_rules(template: str, rule: str, base: int, n: int, grown: str) -> None:
    # when
    scaler = complexity.scaler_for(template)

    # then
    assert (scaler.rule, scaler.base) == (rule, base)
    assert scaler.build(n) == grown


def test_the_fit_picks_the_curve_the_points_follow() -> None:
    # given: a constant start-up of 20 ms plus n/40 ms, plus n²/10⁵ ms, or plus noise only
    sizes = [2**k for k in range(4, 13)]
    linear: list[ComplexityPoint] = [{"n": n, "ms": 20 + n // 40} for n in sizes]
    quadratic: list[ComplexityPoint] = [{"n": n, "ms": 20 + n * n // 100_000} for n in sizes]
    flat: list[ComplexityPoint] = [{"n": n, "ms": 20 + n % 3} for n in sizes]

    # when / then
    assert complexity.best_fit(linear) == "O(n)"
    assert complexity.best_fit(quadratic) == "O(n²)"
    assert complexity.best_fit(flat) == "O(1)"


def test_no_estimate_without_a_coding_problem() -> None:
    # when / then
    with pytest.raises(complexity.NotMeasurable, match="no coding problem"):
        complexity.estimate(problem=None, language="python", code=LINEAR)


def test_no_estimate_without_a_visible_case(acme: Tenant) -> None:
    # given
    problem = cast(
        Problem,
        ProblemFactory(organization=acme.org, cases=[{"input": "1 2\n", "expected_output": "3\n", "hidden": True}]),
    )

    # when / then
    with pytest.raises(complexity.NotMeasurable, match="no visible test case"):
        complexity.estimate(problem=problem, language="python", code=LINEAR)


@pytest.mark.sandbox
def test_no_estimate_when_the_solution_fails_on_generated_inputs(acme: Tenant) -> None:
    # given: "a b" grows to "a b a b …", which a two-number reader refuses
    problem = cast(Problem, ProblemFactory(organization=acme.org))

    # when / then
    with pytest.raises(complexity.NotMeasurable, match="RUNTIME_ERROR"):
        complexity.estimate(problem=problem, language="python", code="a, b = map(int, input().split())\nprint(a + b)\n")


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_linear_solution_is_estimated_linear(problem: Problem) -> None:
    # when
    result = complexity.estimate(problem=problem, language="python", code=LINEAR)

    # then
    assert result["estimate"] in ("O(n)", "O(n log n)")
    sizes = [p["n"] for p in result["points"]]
    assert sizes == sorted(sizes)
    assert sizes[0] == 8
    assert len(sizes) >= complexity.MIN_POINTS


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_quadratic_solution_is_estimated_quadratic(problem: Problem) -> None:
    # when
    result = complexity.estimate(problem=problem, language="python", code=QUADRATIC)

    # then
    assert result["estimate"] == "O(n²)"
    assert max(p["ms"] for p in result["points"]) >= complexity.STOP_MS // 4


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_code_insight_has_metrics_and_the_estimate(acme: Tenant, problem: Problem) -> None:
    # given: the candidate typed a quadratic solution to the interview's coding question
    scene = make_scene(acme, problem=problem)
    scene.type(scene.candidate, 30, QUADRATIC)

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    insight = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.CODE)
    assert insight.status == Insight.Status.READY
    payload = insight.payload
    assert payload["label"] == "AI-generated"
    assert payload["language"] == "python"
    assert payload["metrics"]["lizard"]["nloc"] == 8
    assert payload["lint"] == []
    assert payload["complexity"]["estimate"] == "O(n²)"
    assert payload["complexityReason"] is None
