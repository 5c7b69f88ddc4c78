"""The problem bank in the back office: create with cases, rules shown on the form, scope, import/export."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from assessments import problem_io
from assessments.factories import ProblemFactory
from assessments.models import Problem, TestCase
from tests.conftest import Tenant

ADD = reverse("admin:assessments_problem_add")
LIST = reverse("admin:assessments_problem_changelist")
IMPORT = reverse("admin:assessments_problem_import")


def _change(pk: int) -> str:
    return reverse("admin:assessments_problem_change", args=[pk])


def _form(cases: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Reverse a string",
        "slug": "",
        "difficulty": "medium",
        "statement": "Reverse it.",
        "cpu_time_limit_ms": "2000",
        "memory_limit_mb": "256",
        "checker": "exact",
        "float_tolerance": "0.000001",
        "starter_python": "s = input()\n",
        "test_cases-TOTAL_FORMS": str(len(cases)),
        "test_cases-INITIAL_FORMS": str(sum(1 for c in cases if c.get("id"))),
        "test_cases-MIN_NUM_FORMS": "1",
        "test_cases-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, case in enumerate(cases):
        for key, value in case.items():
            if key == "hidden" and not value:
                continue
            data[f"test_cases-{i}-{key}"] = "on" if value is True else value
    return data


VISIBLE = {"order": "0", "name": "abc", "input": "abc\n", "expected_output": "cba\n"}
HIDDEN = {"order": "1", "name": "long", "input": "x" * 10 + "\n", "expected_output": "x" * 10 + "\n", "hidden": True}


def test_a_recruiter_creates_a_problem_with_its_cases(acme: Tenant) -> None:
    client = acme.client("recruiter")
    # when
    response = client.post(ADD, _form([VISIBLE, HIDDEN]))
    # then
    assert response.status_code == 302, response.content.decode()[:3000]
    problem = Problem.objects.get()
    assert problem.organization == acme.org
    assert problem.slug == "reverse-a-string"
    assert problem.starter_code == {"python": "s = input()\n"}
    assert list(problem.test_cases.values_list("input", "hidden")) == [("abc\n", False), ("x" * 10 + "\n", True)]
    assert AuditLog.objects.filter(action="problem.create", target_id=str(problem.pk)).exists()


@pytest.mark.parametrize(
    ("cases", "message"),
    [
        ([{**HIDDEN, "order": "0"}], "Make at least one test case visible"),
        ([{**VISIBLE, "DELETE": "on"}], "Add at least one test case."),
    ],
)
def test_the_form_explains_what_a_problem_needs(acme: Tenant, cases: list[dict[str, Any]], message: str) -> None:
    # when
    response = acme.client("recruiter").post(ADD, _form(cases))
    # then
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Problem.objects.exists()


def test_a_slug_taken_in_the_organization_is_a_form_error(acme: Tenant) -> None:
    ProblemFactory(organization=acme.org, slug="reverse")
    response = acme.client("recruiter").post(ADD, _form([VISIBLE], slug="reverse"))
    assert response.status_code == 200
    assert "already has one with this slug" in response.content.decode()
    assert Problem.objects.count() == 1


def test_editing_keeps_unchanged_cases_and_updates_changed_ones(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(
        organization=acme.org,
        cases=[
            {"name": "a", "input": "1\n", "expected_output": "1\n", "hidden": False},
            {"name": "b", "input": "2\n", "expected_output": "2\n", "hidden": True},
        ],
    )
    first, second = problem.test_cases.order_by("order")
    rows = [
        {"id": str(first.pk), "problem": str(problem.pk), "order": "0", "name": "a", "input": "1\n",
         "expected_output": "1\n"},
        {"id": str(second.pk), "problem": str(problem.pk), "order": "1", "name": "b", "input": "2\n",
         "expected_output": "22\n", "hidden": True},
    ]  # fmt: skip
    data = _form(rows, title=problem.title, slug=problem.slug, statement=problem.statement, difficulty="easy")
    # when
    response = acme.client("recruiter").post(_change(problem.pk), data)
    # then
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(TestCase.objects.filter(problem=problem).values_list("pk", "expected_output")) == sorted(
        [(first.pk, "1\n"), (second.pk, "22\n")]
    )


def test_the_change_page_previews_the_statement_safely(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(
        organization=acme.org, statement="# Heading\n\n<script>alert('x')</script><img src=x onerror=alert(1)>"
    )
    # when
    html = acme.client("recruiter").get(_change(problem.pk)).content.decode()
    # then
    assert "<h1>Heading</h1>" in html
    assert "<script>alert('x')</script>" not in html
    assert "onerror=alert" not in html.split('name="statement"')[0] + html.split("</textarea>", 1)[-1]
    assert reverse("admin:assessments_problem_export", args=[problem.pk, "yaml"]) in html


# --- scope and roles -----------------------------------------------------------------------------
def test_a_recruiter_sees_only_their_organizations_problems(acme: Tenant, globex: Tenant) -> None:
    # given
    ours = ProblemFactory(organization=acme.org, title="Ours")
    theirs = ProblemFactory(organization=globex.org, title="Theirs")
    client = acme.client("recruiter")
    # when
    listing = client.get(LIST).content.decode()
    # then
    assert "Ours" in listing
    assert "Theirs" not in listing
    assert client.get(_change(theirs.pk)).status_code == 404
    assert client.get(reverse("admin:assessments_problem_export", args=[theirs.pk, "json"])).status_code == 404
    assert (
        client.post(reverse("admin:assessments_problem_delete", args=[theirs.pk]), {"post": "yes"}).status_code == 404
    )
    assert Problem.objects.filter(pk=theirs.pk).exists()
    assert client.get(_change(ours.pk)).status_code == 200


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_interviewers_and_candidates_never_reach_the_problem_admin(acme: Tenant, role: str) -> None:
    problem = ProblemFactory(organization=acme.org)
    client = acme.client(role)
    for url in (LIST, ADD, _change(problem.pk), IMPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("back_office_denied")
    assert client.post(ADD, _form([VISIBLE])).status_code == 302
    assert Problem.objects.count() == 1


# --- export ------------------------------------------------------------------------------------
def test_the_change_page_button_exports_json(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    # when
    response = acme.client("recruiter").get(reverse("admin:assessments_problem_export", args=[problem.pk, "json"]))
    # then
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{problem.slug}.json"'
    doc = json.loads(response.content)
    assert doc["format"] == "talentsync-problem/1"
    assert len(doc["testCases"]) == 4
    assert AuditLog.objects.filter(action="problem.export", target_id=str(problem.pk)).exists()


def test_the_export_action_writes_yaml_and_zips_several(acme: Tenant) -> None:
    # given
    one, two = ProblemFactory(organization=acme.org), ProblemFactory(organization=acme.org)
    client = acme.client("recruiter")
    # when
    single = client.post(LIST, {"action": "export_yaml", "_selected_action": [one.pk]})
    several = client.post(LIST, {"action": "export_yaml", "_selected_action": [one.pk, two.pk]})
    # then
    assert yaml.safe_load(single.content)["slug"] == one.slug
    assert several["Content-Type"] == "application/zip"
    assert several.content[:2] == b"PK"


# --- import ------------------------------------------------------------------------------------
def _upload(content: bytes, name: str = "problem.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_importing_an_exported_file_creates_the_problem(acme: Tenant, globex: Tenant) -> None:
    # given
    source = ProblemFactory(organization=globex.org)
    content = problem_io.dumps(source, "yaml").encode()
    client = acme.client("recruiter")
    # when
    response = client.post(IMPORT, {"file": _upload(content)})
    # then
    problem = Problem.objects.get(organization=acme.org)
    assert response.status_code == 302
    assert response["Location"] == _change(problem.pk)
    assert problem.slug == source.slug
    assert problem.test_cases.count() == 4


def test_a_bad_file_shows_its_lines_and_imports_nothing(acme: Tenant) -> None:
    # given
    content = (
        b"format: talentsync-problem/1\n"
        b"title: Sum\n"
        b"statement: Add.\n"
        b"testCases:\n"
        b"  - input: '1 2'\n"
        b"    expectedOutput: 3\n"
    )
    client: Client = acme.client("recruiter")
    # when
    response = client.post(IMPORT, {"file": _upload(content)})
    # then
    assert response.status_code == 400
    assert "line 6: testCases[0].expectedOutput must be a string" in response.content.decode()
    assert not Problem.objects.exists()


def test_a_slug_conflict_offers_replace(acme: Tenant) -> None:
    # given
    existing = ProblemFactory(organization=acme.org, statement="Old")
    content = problem_io.dumps(existing, "json").replace('"Old"', '"New"').encode()
    client = acme.client("recruiter")
    # when
    refused = client.post(IMPORT, {"file": _upload(content, "p.json")})
    replaced = client.post(IMPORT, {"file": _upload(content, "p.json"), "replace": "on"})
    # then
    assert refused.status_code == 400
    assert "replace" in refused.content.decode()
    assert replaced.status_code == 302
    existing.refresh_from_db()
    assert existing.statement == "New"
    assert Problem.objects.count() == 1


def test_an_oversized_upload_is_refused(acme: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(problem_io, "MAX_FILE_BYTES", 50)
    response = acme.client("recruiter").post(IMPORT, {"file": _upload(b"format: x\n" * 10)})
    assert response.status_code == 200
    assert "The file is over 50 bytes." in response.content.decode()
    assert not Problem.objects.exists()
