"""Output checkers: which program outputs are accepted for an expected output."""

from __future__ import annotations

import pytest

from assessments.checkers import output_matches


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ("3\n", "3", True),
        ("3\n", "3\r\n", True),
        ("1 2\n3\n", "1 2  \n3\n\n", True),
        ("1 2\n", "1  2\n", False),
        ("3\n", "4\n", False),
        ("a\nb\n", "a\n\nb\n", False),
    ],
)
def test_exact(expected: str, actual: str, ok: bool) -> None:
    assert output_matches(checker="exact", expected=expected, actual=actual) is ok


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [("1 2\n3\n", "1\n2 3", True), ("1 2", "1 2 3", False), ("", "  \n", True)],
)
def test_whitespace_insensitive(expected: str, actual: str, ok: bool) -> None:
    assert output_matches(checker="whitespace", expected=expected, actual=actual) is ok


@pytest.mark.parametrize(
    ("expected", "actual", "tolerance", "ok"),
    [
        ("0.333333", "0.3333331", 1e-6, True),
        ("0.3333", "0.3334", 1e-6, False),
        ("0.3333", "0.3334", 1e-3, True),
        ("1000000", "1000000.5", 1e-6, True),  # relative tolerance
        ("1.5 2.5", "1.5", 1e-6, False),
        ("nan", "nan", 1e-6, True),
        ("inf", "-inf", 1e-6, False),
        ("1.0", "abc", 1e-6, False),
        ("YES 1.0", "YES 1.0000001", 1e-6, True),
    ],
)
def test_float_tolerance(expected: str, actual: str, tolerance: float, ok: bool) -> None:
    assert output_matches(checker="float", expected=expected, actual=actual, tolerance=tolerance) is ok


def test_unknown_checker_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown checker"):
        output_matches(checker="regex", expected="", actual="")
