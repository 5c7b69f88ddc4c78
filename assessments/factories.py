"""factory_boy factories for coding problems and test cases (tests only).

``ProblemFactory()`` builds a Python "sum two numbers" problem with two visible and two hidden
cases; pass ``cases=[]`` for none, or ``cases=[{"input": ..., "expected_output": ..., "hidden": ...}]``
to choose them.
"""

from __future__ import annotations

from typing import Any, cast

import factory

from accounts.factories import OrganizationFactory
from assessments.models import Problem, TestCase

SUM_STATEMENT = """\
Read two integers `a` and `b` from standard input (one line, separated by a space) and print
their sum.

| input | output |
|-------|--------|
| `1 2` | `3`    |
"""

SUM_STARTER = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
    "console.log(a + b);\n",
}

# (name, input, expected output, hidden)
SUM_CASES: list[dict[str, Any]] = [
    {"name": "small", "input": "1 2\n", "expected_output": "3\n", "hidden": False},
    {"name": "negative", "input": "-5 3\n", "expected_output": "-2\n", "hidden": False},
    {"name": "large", "input": "1000000000 1000000000\n", "expected_output": "2000000000\n", "hidden": True},
    {"name": "zeros", "input": "0 0\n", "expected_output": "0\n", "hidden": True},
]


class TestCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestCase

    __test__ = False  # not a pytest test class

    problem = factory.SubFactory("assessments.factories.ProblemFactory", cases=[])
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"case {n}")
    input = "1 2\n"
    expected_output = "3\n"
    hidden = False


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Problem
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Sum two numbers {n}")
    slug = factory.Sequence(lambda n: f"sum-two-numbers-{n}")
    statement = SUM_STATEMENT
    difficulty = Problem.Difficulty.EASY
    starter_code = factory.LazyFunction(lambda: dict(SUM_STARTER))
    cpu_time_limit_ms = 2000
    memory_limit_mb = 256
    checker = Problem.Checker.EXACT
    float_tolerance = 1e-6

    @factory.post_generation
    def cases(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create:
            return
        specs = SUM_CASES if extracted is None else extracted
        for order, spec in enumerate(specs):
            TestCase.objects.create(problem=cast(Problem, obj), order=order, **spec)
