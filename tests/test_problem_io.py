"""Problem files: export → import gives the same problem; bad files say where, and import nothing."""

from __future__ import annotations

import json

import pytest
import yaml

from accounts.models import AuditLog
from assessments import problem_io
from assessments.factories import ProblemFactory
from assessments.models import Problem, TestCase
from assessments.problem_io import ProblemFileError, parse_problem_file, problem_import_file
from tests.conftest import Tenant

FIELDS = (
    "title",
    "slug",
    "statement",
    "difficulty",
    "starter_code",
    "cpu_time_limit_ms",
    "memory_limit_mb",
    "checker",
    "float_tolerance",
)


def _snapshot(problem: Problem) -> tuple[dict[str, object], list[tuple[object, ...]]]:
    cases = [
        (c.order, c.name, c.input, c.expected_output, c.hidden) for c in problem.test_cases.order_by("order", "pk")
    ]
    return {f: getattr(problem, f) for f in FIELDS}, cases


def _errors(content: str, filename: str = "") -> list[str]:
    with pytest.raises(ProblemFileError) as info:
        parse_problem_file(content.encode(), filename)
    return info.value.errors


GOOD_YAML = """\
format: talentsync-problem/1
title: Sum two numbers
statement: |
  Print a + b.
testCases:
  - name: small
    input: "1 2\\n"
    expectedOutput: "3\\n"
  - input: "2 2\\n"
    expectedOutput: "4\\n"
    hidden: true
"""


# --- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_then_import_gives_an_equal_problem(acme: Tenant, globex: Tenant, fmt: str) -> None:
    # given: a problem with awkward text (trailing spaces, no final newline, unicode, tabs)
    problem = ProblemFactory(
        organization=acme.org,
        statement="# Title\n\nTabs\tand trailing spaces   \n\n```\ncode\n```",
        checker=Problem.Checker.FLOAT,
        float_tolerance=0.001,
        starter_code={"python": "print(1)\n", "c++": "int main(){}"},
        cases=[
            {"name": "é", "input": "1 2   \n", "expected_output": "3", "hidden": False},
            {"name": "", "input": "", "expected_output": "\n\n", "hidden": True},
            {"name": "yes", "input": "yes\n- not a list\n", "expected_output": "null", "hidden": False},
        ],
    )
    text = problem_io.dumps(problem, fmt)
    # when
    imported, created = problem_import_file(
        organization=globex.org, actor=globex.users["recruiter"], content=text.encode(), filename=f"p.{fmt}"
    )
    # then
    assert created
    assert imported.organization == globex.org
    assert _snapshot(imported) == _snapshot(problem)


def test_the_export_carries_the_format_marker_and_yaml_uses_blocks(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    # when
    as_json = json.loads(problem_io.dumps(problem, "json"))
    as_yaml = problem_io.dumps(problem, "yaml")
    # then
    assert as_json["format"] == "talentsync-problem/1"
    assert [c["hidden"] for c in as_json["testCases"]] == [False, False, True, True]
    assert "statement: |" in as_yaml
    assert yaml.safe_load(as_yaml) == as_json


def test_import_with_replace_overwrites_the_problem_with_the_same_slug(acme: Tenant) -> None:
    # given
    recruiter = acme.users["recruiter"]
    problem = ProblemFactory(organization=acme.org, slug="sum-two-numbers")
    content = GOOD_YAML.encode()
    # when
    replaced, created = problem_import_file(organization=acme.org, actor=recruiter, content=content, replace=True)
    # then
    assert not created
    assert replaced.pk == problem.pk
    assert replaced.statement == "Print a + b.\n"
    assert list(replaced.test_cases.values_list("expected_output", flat=True)) == ["3\n", "4\n"]
    assert AuditLog.objects.filter(action="problem.import", target_id=str(problem.pk)).exists()


def test_a_slug_conflict_without_replace_is_refused_and_changes_nothing(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(organization=acme.org, slug="sum-two-numbers", statement="Original")
    # when
    with pytest.raises(ProblemFileError) as info:
        problem_import_file(organization=acme.org, actor=acme.users["recruiter"], content=GOOD_YAML.encode())
    # then
    assert len(info.value.errors) == 1
    assert info.value.errors[0].startswith("line 2: slug: ")
    assert "replace" in info.value.errors[0]
    problem.refresh_from_db()
    assert problem.statement == "Original"
    assert Problem.objects.count() == 1


# --- bad files: exact lines ----------------------------------------------------------------------
def test_yaml_schema_errors_point_at_their_lines() -> None:
    # given
    text = GOOD_YAML.replace('expectedOutput: "4\\n"', "expectedOutput: 4") + "  - input: x\n    hidden: maybe\n"
    # when
    errors = _errors(text)
    # then
    assert errors == [
        "line 10: testCases[1].expectedOutput must be a string (put it in quotes)",
        "line 12: testCases[2] is missing “expectedOutput”",
        "line 13: testCases[2].hidden must be true or false",
    ]


def test_json_schema_errors_point_at_their_lines_even_with_tab_indentation() -> None:
    # given: JSON (tab-indented, which YAML parsers refuse) with a number where text belongs
    text = (
        "{\n"
        '\t"format": "talentsync-problem/1",\n'
        '\t"title": "Sum",\n'
        '\t"statement": "Add.",\n'
        '\t"colour": "blue",\n'
        '\t"testCases": [\n'
        '\t\t{"input": "1 2", "expectedOutput": "3"},\n'
        '\t\t{"input": "1 1", "expectedOutput": "2"},\n'
        "\t\t{\n"
        '\t\t\t"input": "2 2",\n'
        '\t\t\t"expectedOutput": 4\n'
        "\t\t}\n"
        "\t]\n"
        "}\n"
    )
    # when
    errors = _errors(text, "p.json")
    # then
    assert errors == [
        "line 5: colour is not a known key",
        "line 11: testCases[2].expectedOutput must be a string (put it in quotes)",
    ]


def test_json_syntax_errors_give_line_and_column() -> None:
    # when
    errors = _errors('{\n  "format": "talentsync-problem/1",\n  "title": "x"\n  "statement": "y"\n}')
    # then
    assert errors == ["line 4, column 3: Expecting ',' delimiter."]


def test_yaml_syntax_errors_give_line_and_column() -> None:
    # when
    errors = _errors("format: talentsync-problem/1\ntitle: [unclosed\nstatement: x\n")
    # then
    assert len(errors) == 1
    assert errors[0].startswith("line 3, column 10: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("format: x\na: 1\na: 2\n", "line 3, column 1: duplicate key “a”"),
        ('{"format": "x",\n "format": "y"}', "line 2: duplicate key “format”."),
        ("a: &x [1, 2]\nb: *x\n", "line 1, column 4: anchors and aliases are not supported"),
        ("a: !!python/object/apply:os.system [ls]\n", "line 1, column 4: the tag"),
        ("a: !!python/name:os.system x\n", "line 1, column 4: could not determine a constructor"),
        ("- just\n- a list\n", "line 1: the file must hold one object (a mapping)."),
        ("   \n", "line 1: the file is empty."),
    ],
)
def test_dangerous_or_malformed_files_are_refused(text: str, expected: str) -> None:
    assert _errors(text)[0].startswith(expected)


def test_a_wrong_format_marker_is_refused() -> None:
    assert _errors(GOOD_YAML.replace("talentsync-problem/1", "hackerrank/2")) == [
        "line 1: format must be “talentsync-problem/1”"
    ]


def test_non_utf8_files_name_the_line() -> None:
    # when
    errors = _errors_bytes(b"format: talentsync-problem/1\ntitle: caf\xe9\n")
    # then
    assert errors == ["line 2: the file is not UTF-8 text."]


def _errors_bytes(content: bytes) -> list[str]:
    with pytest.raises(ProblemFileError) as info:
        parse_problem_file(content)
    return info.value.errors


def test_files_over_the_size_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    monkeypatch.setattr(problem_io, "MAX_FILE_BYTES", 100)
    # when
    errors = _errors_bytes(GOOD_YAML.encode())
    # then
    assert errors == ["The file is over 100 bytes."]


# --- service rules, mapped to lines; nothing imported ------------------------------------------
def test_all_hidden_cases_are_refused_at_the_test_cases_line(acme: Tenant) -> None:
    # given
    text = GOOD_YAML.replace("  - name: small\n", "  - name: small\n    hidden: true\n")
    # when
    with pytest.raises(ProblemFileError) as info:
        problem_import_file(organization=acme.org, actor=acme.users["recruiter"], content=text.encode())
    # then
    assert info.value.errors == [
        "line 5: testCases: Make at least one test case visible: candidates run their code against the visible ones."
    ]
    assert not Problem.objects.exists()
    assert not TestCase.objects.exists()


def test_an_unknown_starter_language_points_at_its_key() -> None:
    # given
    text = GOOD_YAML.replace("testCases:", "starterCode:\n  python: x\n  cobol: y\ntestCases:")
    # when
    errors = _errors(text)
    # then
    assert errors[0].startswith("line 7: starterCode.cobol is not a known language")


def test_an_oversized_case_is_refused_with_its_line(acme: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    from assessments.services import problems

    monkeypatch.setattr(problems, "MAX_CASE_BYTES", 3)
    # when
    with pytest.raises(ProblemFileError) as info:
        problem_import_file(organization=acme.org, actor=acme.users["recruiter"], content=GOOD_YAML.encode())
    # then
    assert info.value.errors == [
        "line 7: testCases[0].input: At most 3 bytes.",
        "line 9: testCases[1].input: At most 3 bytes.",
    ]
    assert not Problem.objects.exists()


def test_candidates_and_interviewers_cannot_import(acme: Tenant) -> None:
    from talentsync.errors import NotAllowed

    for role in ("candidate", "interviewer"):
        with pytest.raises(NotAllowed):
            problem_import_file(organization=acme.org, actor=acme.users[role], content=GOOD_YAML.encode())
    assert not Problem.objects.exists()
