"""Output checkers: does a program's stdout match a test case's expected output?"""

from __future__ import annotations

import math

EXACT = "exact"
WHITESPACE = "whitespace"
FLOAT = "float"
CHECKERS = (EXACT, WHITESPACE, FLOAT)


def _normalise_lines(text: str) -> list[str]:
    # Windows line ends and trailing spaces/newlines are not the candidate's fault in any judge.
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _floats_match(expected: str, actual: str, tolerance: float) -> bool:
    exp_tokens, act_tokens = expected.split(), actual.split()
    if len(exp_tokens) != len(act_tokens):
        return False
    for exp, act in zip(exp_tokens, act_tokens, strict=True):
        if exp == act:
            continue
        try:
            e, a = float(exp), float(act)
        except ValueError:
            return False
        if math.isnan(e) or math.isnan(a) or math.isinf(e) or math.isinf(a):
            if not (e == a or (math.isnan(e) and math.isnan(a))):
                return False
            continue
        # Absolute or relative tolerance, as Codeforces/Kattis checkers do.
        if abs(e - a) > tolerance and abs(e - a) > tolerance * abs(e):
            return False
    return True


def output_matches(*, checker: str, expected: str, actual: str, tolerance: float = 1e-6) -> bool:
    """True when ``actual`` is an accepted answer for ``expected`` under ``checker``."""
    if checker == EXACT:
        return _normalise_lines(expected) == _normalise_lines(actual)
    if checker == WHITESPACE:
        return expected.split() == actual.split()
    if checker == FLOAT:
        return _floats_match(expected, actual, tolerance)
    raise ValueError(f"unknown checker {checker!r}")
