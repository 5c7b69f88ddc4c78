"""``/api/v1/problems/``: nested test cases, strict camelCase input, organization scope, roles and keys;
and the interview API's DSA link and stage problem checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import AuditLog
from assessments.factories import ProblemFactory
from assessments.models import Problem, TestCase
from interviews import services
from tests.conftest import Tenant
from tests.test_api_support import API, key_client, later, make_key, session_client

URL = f"{API}/problems/"


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Two Sum",
        "statement": "Find two numbers.\n",
        "difficulty": "easy",
        "starterCode": {"python": "print()\n", "cpp": "int main(){}"},
        "checker": "whitespace",
        "testCases": [
            {"name": "first", "input": "1 2\n", "expectedOutput": "3\n"},
            {"input": "5 5\n", "expectedOutput": "10\n", "hidden": True},
        ],
    }
    body.update(overrides)
    return body


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:800]
    return response.json() if response.content else None


@pytest.fixture
def recruiter(acme: Tenant) -> APIClient:
    return session_client(acme.users["recruiter"])


# --- create / read / update / delete -----------------------------------------------------------
@pytest.mark.parametrize("caller", ["recruiter", "admin", "api_key"])
def test_staff_and_keys_create_a_problem_with_its_cases(acme: Tenant, caller: str) -> None:
    client = key_client(make_key(acme.org)) if caller == "api_key" else session_client(acme.users[caller])
    # when
    data = _ok(client.post(URL, _body(), format="json"), 201)
    # then
    assert data["slug"] == "two-sum"
    assert data["starterCode"] == {"python": "print()\n", "c++": "int main(){}"}
    assert [(c["name"], c["input"], c["expectedOutput"], c["hidden"], c["order"]) for c in data["testCases"]] == [
        ("first", "1 2\n", "3\n", False, 0),
        ("", "5 5\n", "10\n", True, 1),
    ]
    problem = Problem.objects.get(pk=data["id"])
    assert problem.organization == acme.org
    assert AuditLog.objects.filter(action="problem.create", target_id=str(problem.pk)).exists()


def test_a_problem_is_read_with_its_cases_in_order(acme: Tenant, recruiter: APIClient) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    # when
    data = _ok(recruiter.get(f"{URL}{problem.pk}/"))
    # then
    assert data["title"] == problem.title
    assert data["cpuTimeLimitMs"] == 2000
    assert data["memoryLimitMb"] == 256
    assert data["floatTolerance"] == 1e-6
    assert [c["hidden"] for c in data["testCases"]] == [False, False, True, True]
    assert set(data["testCases"][0]) == {"id", "name", "input", "expectedOutput", "hidden", "order"}


def test_patch_keeps_cases_sent_with_ids_and_drops_the_others(acme: Tenant, recruiter: APIClient) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    first, *_rest = problem.test_cases.order_by("order")
    # when
    data = _ok(
        recruiter.patch(
            f"{URL}{problem.pk}/",
            {
                "title": "Sum, renamed",
                "testCases": [
                    {"id": first.pk, "input": "7 8\n", "expectedOutput": "15\n"},
                    {"input": "0 1\n", "expectedOutput": "1\n", "hidden": True},
                ],
            },
            format="json",
        )
    )
    # then
    assert data["title"] == "Sum, renamed"
    assert data["slug"] == problem.slug  # a slug stays put when the title changes
    assert data["testCases"][0]["id"] == first.pk
    assert data["testCases"][0]["input"] == "7 8\n"
    assert TestCase.objects.filter(problem=problem).count() == 2
    entry = AuditLog.objects.get(action="problem.update", target_id=str(problem.pk))
    assert entry.changes["test_cases"] == {"added": 1, "kept": 1, "removed": 3}


def test_patch_without_cases_leaves_them_alone(acme: Tenant, recruiter: APIClient) -> None:
    problem = ProblemFactory(organization=acme.org)
    _ok(recruiter.patch(f"{URL}{problem.pk}/", {"difficulty": "hard"}, format="json"))
    assert problem.test_cases.count() == 4
    assert Problem.objects.get(pk=problem.pk).difficulty == "hard"


def test_delete_removes_the_problem_and_its_cases(acme: Tenant, recruiter: APIClient) -> None:
    problem = ProblemFactory(organization=acme.org)
    _ok(recruiter.delete(f"{URL}{problem.pk}/"), 204)
    assert not Problem.objects.filter(pk=problem.pk).exists()
    assert not TestCase.objects.filter(problem_id=problem.pk).exists()


def test_a_problem_a_stage_assigns_cannot_be_deleted(acme: Tenant, recruiter: APIClient) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    services.pipeline_create(
        organization=acme.org,
        name="Async",
        actor=acme.users["recruiter"],
        stages=[{"name": "Take-home", "stage_type": "technical_dsa", "dsa_config": {"problems": [problem.pk]}}],
    )
    # when
    response = recruiter.delete(f"{URL}{problem.pk}/")
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "problem_in_use"
    assert Problem.objects.filter(pk=problem.pk).exists()


# --- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"testCases": []}, "testCases", ""),
        ({"testCases": [{"input": "1", "expectedOutput": "1", "hidden": True}]}, "testCases", "visible"),
        ({"testCases": [{"input": "1", "expectedOutput": 1}]}, "testCases", "string"),
        ({"starterCode": {"cobol": "x"}}, "starterCode", "cobol"),
        ({"checker": "regex"}, "checker", ""),
        ({"cpuTimeLimitMs": "2000"}, "cpuTimeLimitMs", "integer"),
        ({"floatTolerance": "0.1"}, "floatTolerance", "number"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    acme: Tenant, recruiter: APIClient, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    # when
    response = recruiter.post(URL, _body(**overrides), format="json")
    # then
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert fragment in str(response.json()[field])
    assert not Problem.objects.exists()


def test_case_errors_from_the_service_name_the_case(acme: Tenant, recruiter: APIClient) -> None:
    # given: a case id of another problem
    other = ProblemFactory(organization=acme.org)
    problem = ProblemFactory(organization=acme.org)
    stranger = other.test_cases.first()
    assert stranger is not None
    # when
    response = recruiter.patch(
        f"{URL}{problem.pk}/",
        {"testCases": [{"input": "", "expectedOutput": "1"}, {"id": stranger.pk, "expectedOutput": "x"}]},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert "testCases[1].id" in response.json()
    assert problem.test_cases.count() == 4


def test_a_slug_is_unique_within_the_organization_only(acme: Tenant, globex: Tenant, recruiter: APIClient) -> None:
    # given
    ProblemFactory(organization=acme.org, slug="two-sum")
    ProblemFactory(organization=globex.org, slug="taken-elsewhere")
    # when
    clash = recruiter.post(URL, _body(slug="two-sum"), format="json")
    auto = _ok(recruiter.post(URL, _body(), format="json"), 201)
    elsewhere = _ok(recruiter.post(URL, _body(slug="taken-elsewhere"), format="json"), 201)
    # then
    assert clash.status_code == 400
    assert "slug" in clash.json()
    assert auto["slug"] == "two-sum-2"
    assert elsewhere["slug"] == "taken-elsewhere"


# --- scope and roles -----------------------------------------------------------------------------
def test_another_organizations_problem_is_404_and_absent_from_lists(
    acme: Tenant, globex: Tenant, recruiter: APIClient
) -> None:
    # given
    theirs = ProblemFactory(organization=globex.org)
    ours = ProblemFactory(organization=acme.org)
    # when
    listed = _ok(recruiter.get(URL))
    # then
    assert [p["id"] for p in listed["results"]] == [ours.pk]
    for method in ("get", "patch", "put", "delete"):
        assert getattr(recruiter, method)(f"{URL}{theirs.pk}/", {}, format="json").status_code == 404
    assert Problem.objects.filter(pk=theirs.pk).exists()


def test_a_key_of_another_organization_sees_only_its_own(acme: Tenant, globex: Tenant) -> None:
    ProblemFactory(organization=acme.org)
    client = key_client(make_key(globex.org))
    assert _ok(client.get(URL))["results"] == []


def test_interviewers_read_but_do_not_write(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    client = session_client(acme.users["interviewer"])
    # when / then
    assert _ok(client.get(f"{URL}{problem.pk}/"))["id"] == problem.pk
    assert client.post(URL, _body(), format="json").status_code == 403
    assert client.patch(f"{URL}{problem.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"{URL}{problem.pk}/").status_code == 403
    assert Problem.objects.get(pk=problem.pk).title == problem.title


def test_candidates_and_anonymous_callers_get_nothing(acme: Tenant) -> None:
    # given
    problem = ProblemFactory(organization=acme.org)
    candidate = session_client(acme.users["candidate"])
    # when / then
    assert candidate.get(URL).status_code == 403
    assert candidate.get(f"{URL}{problem.pk}/").status_code == 403
    assert candidate.post(URL, _body(), format="json").status_code == 403
    assert APIClient().get(URL).status_code == 401
    assert key_client("ts_bad_key").get(URL).status_code == 401


def test_the_list_costs_the_same_queries_for_one_or_many_problems(
    acme: Tenant, recruiter: APIClient, django_assert_num_queries: Any
) -> None:
    # given
    ProblemFactory(organization=acme.org)
    with CaptureQueriesContext(connection) as one:
        _ok(recruiter.get(URL))
    ProblemFactory.create_batch(5, organization=acme.org)
    # when / then
    with django_assert_num_queries(len(one.captured_queries)):
        data = _ok(recruiter.get(URL))
    assert len(data["results"]) == 6
    assert all(len(p["testCases"]) == 4 for p in data["results"])


# --- the interview API: DSA link and stage problems ------------------------------------------------
def _dsa_position(tenant: Tenant, problem_ids: list[int]) -> Any:
    recruiter = tenant.users["recruiter"]
    pipeline = services.pipeline_create(
        organization=tenant.org,
        name="Async",
        actor=recruiter,
        stages=[
            {"name": "Take-home", "stage_type": "technical_dsa", "dsa_config": {"problems": problem_ids}},
            {"name": "Live", "stage_type": "technical_live"},
        ],
    )
    position = services.position_create(organization=tenant.org, actor=recruiter, title="Backend", pipeline=pipeline)
    candidate = services.candidate_create(
        organization=tenant.org, actor=recruiter, full_name="Ada", email="ada@example.test", position=position
    )
    return pipeline, candidate


@pytest.mark.parametrize(("stage_order", "has_dsa"), [(1, True), (2, False)])
def test_a_technical_dsa_interview_returns_the_candidates_dsa_link(
    acme: Tenant, settings: Any, stage_order: int, has_dsa: bool
) -> None:
    # given
    settings.SITE_URL = "https://hire.example.test"
    problem = ProblemFactory(organization=acme.org)
    pipeline, candidate = _dsa_position(acme, [problem.pk])
    stage = pipeline.stages.get(order=stage_order)
    client = key_client(make_key(acme.org))
    # when
    data = _ok(
        client.post(
            f"{API}/interviews/",
            {
                "candidate": candidate.pk,
                "stage": stage.pk,
                "scheduledAt": later(),
                "interviewers": [acme.users["interviewer"].email],
            },
            format="json",
        ),
        201,
    )
    # then
    people = {p["role"]: p for p in data["participants"]}
    link = people["candidate"]["dsaLink"]
    assert people["interviewer"]["dsaLink"] is None
    if not has_dsa:
        assert link is None
        return
    token = people["candidate"]["joinLink"].rstrip("/").rsplit("/", 1)[-1]
    assert link == f"https://hire.example.test/v1/dsa/{token}/"
    # the link opens the assessment (not a 404)
    assert APIClient().get(link.removeprefix("https://hire.example.test")).status_code != 404


def test_stage_problems_must_belong_to_the_organization(acme: Tenant, globex: Tenant) -> None:
    # given
    ours = ProblemFactory(organization=acme.org)
    theirs = ProblemFactory(organization=globex.org)
    client = key_client(make_key(acme.org))
    body = {"name": "Async", "stages": [{"name": "Take-home", "stageType": "technical_dsa"}]}
    # when
    refused = client.post(
        f"{API}/pipelines/",
        {**body, "stages": [{**body["stages"][0], "dsaConfig": {"problems": [ours.pk, theirs.pk]}}]},
        format="json",
    )
    accepted = client.post(
        f"{API}/pipelines/",
        {**body, "stages": [{**body["stages"][0], "dsaConfig": {"problems": [ours.pk]}}]},
        format="json",
    )
    # then
    assert refused.status_code == 400
    assert refused.json() == {"dsaConfig": [f"Unknown problems: {theirs.pk}."]}
    assert _ok(accepted, 201)["stages"][0]["dsaConfig"]["problems"] == [ours.pk]


def test_a_stage_update_cannot_point_at_another_organizations_problem(acme: Tenant, globex: Tenant) -> None:
    from django.core.exceptions import ValidationError

    from interviews.services.pipelines import stage_update

    # given
    theirs = ProblemFactory(organization=globex.org)
    pipeline, _candidate = _dsa_position(acme, [])
    stage = pipeline.stages.get(order=1)
    # when
    with pytest.raises(ValidationError) as info:
        stage_update(stage=stage, actor=acme.users["recruiter"], data={"dsa_config": {"problems": [theirs.pk]}})
    # then
    assert "dsa_config" in info.value.message_dict
    stage.refresh_from_db()
    assert stage.dsa_config["problems"] == []
