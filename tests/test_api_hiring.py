"""The hiring API end to end: the "done when" flow, strict validation and constant query counts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Organization
from interviews.factories import (
    CandidateFactory,
    InterviewFactory,
    ParticipantFactory,
    PipelineFactory,
    PositionFactory,
    QuestionFactory,
    ScorecardFactory,
    StageFactory,
)
from interviews.models import Interview, InterviewQuestionPlan, Participant, Tag
from tests.conftest import Tenant
from tests.test_api_support import API, Hiring, key_client, later, make_hiring, make_key, session_client


@pytest.fixture
def hiring(acme: Tenant) -> Hiring:
    return make_hiring(acme)


@pytest.fixture
def api(acme: Tenant) -> APIClient:
    return key_client(make_key(acme.org))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:500]
    return response.json()


# --- the "done when" flow -----------------------------------------------------------------
@pytest.mark.parametrize("caller", ["recruiter_session", "api_key"])
def test_an_integrator_hires_through_the_api(acme: Tenant, caller: str) -> None:
    client = key_client(make_key(acme.org)) if caller == "api_key" else session_client(acme.users["recruiter"])
    # given: a question bank and a three-stage pipeline
    question = _ok(client.post(f"{API}/questions/", {"questionText": "Reverse a list.", "tags": ["dsa"]}), 201)
    pipeline = _ok(
        client.post(
            f"{API}/pipelines/",
            {
                "name": "Backend",
                "stages": [
                    {"name": "Phone screen", "stageType": "phone_screen"},
                    {"name": "Live coding", "stageType": "technical_live", "questionIds": [question["id"]]},
                    {
                        "name": "Design",
                        "stageType": "system_design",
                        "toolsConfig": {"video": True, "whiteboard": True},
                    },
                ],
            },
            format="json",
        ),
        201,
    )
    position = _ok(
        client.post(f"{API}/positions/", {"title": "Backend", "pipeline": pipeline["id"]}, format="json"), 201
    )
    candidate = _ok(
        client.post(
            f"{API}/candidates/",
            {"fullName": "Grace Hopper", "email": "grace@example.test", "position": position["id"], "tags": ["senior"]},
            format="json",
        ),
        201,
    )
    assert candidate["currentStage"]["name"] == "Phone screen"
    candidate = _ok(client.post(f"{API}/candidates/{candidate['id']}/move-to-next-stage/", format="json"))
    live_stage = candidate["currentStage"]
    # when: an interview with two interviewers
    created = _ok(
        client.post(
            f"{API}/interviews/",
            {
                "candidate": candidate["id"],
                "stage": live_stage["id"],
                "scheduledAt": later(),
                "interviewers": [acme.users["interviewer"].email, acme.users["admin"].email],
            },
            format="json",
        ),
        201,
    )
    # then: every participant has a working join link, shown in this answer only
    links = {p["role"] + ":" + p["email"]: p["joinLink"] for p in created["participants"]}
    assert len(links) == 3
    assert created["stage"]["toolsConfig"]["editor"] is True
    assert created["questionPlan"][0]["questionId"] == question["id"]
    for link in links.values():
        assert Client().get(urlparse(link).path).status_code == 200
    again = _ok(client.get(f"{API}/interviews/{created['id']}/"))
    assert all("joinLink" not in p for p in again["participants"])
    # and the interviewers see it in their own list
    mine = _ok(session_client(acme.users["interviewer"]).get(f"{API}/interviews/"))["results"]
    assert [i["id"] for i in mine] == [created["id"]]


def test_reschedule_and_cancel(hiring: Hiring) -> None:
    client = session_client(hiring.tenant.users["recruiter"])
    url = f"{API}/interviews/{hiring.interview.pk}/"
    moved = _ok(client.patch(url, {"scheduledAt": "2030-01-02T09:00:00+02:00", "durationMinutes": 90}, format="json"))
    assert moved["scheduledAt"] == "2030-01-02T07:00:00Z"
    assert moved["durationMinutes"] == 90
    cancelled = _ok(client.post(f"{url}cancel/", {"reason": "Candidate withdrew"}, format="json"))
    assert cancelled["status"] == "cancelled"
    again = client.post(f"{url}cancel/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    token = next(iter(hiring.join_tokens.values()))
    assert Client().get(f"/join/{token}/").status_code == 410


def test_filters_and_ordering(hiring: Hiring, api: APIClient) -> None:
    tag = Tag.objects.create(organization=hiring.tenant.org, name="python")
    hiring.spare_candidate.tags.add(tag)
    by_tag = _ok(api.get(f"{API}/candidates/", {"tag": "python"}))["results"]
    by_position = _ok(api.get(f"{API}/candidates/", {"position": hiring.position.pk}))["results"]
    by_name = _ok(api.get(f"{API}/candidates/", {"ordering": "fullName"}))["results"]
    cancelled = _ok(api.get(f"{API}/interviews/", {"status": "cancelled"}))["results"]
    upcoming = _ok(api.get(f"{API}/interviews/", {"scheduledAfter": later(0), "candidate": hiring.candidate.pk}))
    assert [c["id"] for c in by_tag] == [hiring.spare_candidate.pk]
    assert [c["id"] for c in by_position] == [hiring.candidate.pk]
    assert [c["fullName"] for c in by_name] == ["Ada Lovelace", "Spare"]
    assert cancelled == []
    assert [i["id"] for i in upcoming["results"]] == [hiring.interview.pk]
    assert api.get(f"{API}/interviews/", {"status": "bogus"}).status_code == 400


def test_time_filters_take_any_offset_and_refuse_unrepresentable_instants(hiring: Hiring, api: APIClient) -> None:
    # given an offset PostgreSQL would refuse as such, and an instant before year 1 in UTC
    odd_offset = {"scheduledAfter": "1980-05-07T15:04:21-20:45"}
    before_year_one = {"scheduledBefore": "0001-01-01T00:30:00+10:00"}
    # when / then
    assert [i["id"] for i in _ok(api.get(f"{API}/interviews/", odd_offset))["results"]] == [hiring.interview.pk]
    refused = api.get(f"{API}/interviews/", before_year_one)
    assert refused.status_code == 400
    assert "scheduledBefore" in refused.json()


def test_cursor_pagination(hiring: Hiring, api: APIClient) -> None:
    QuestionFactory.create_batch(3, organization=hiring.tenant.org)
    first = _ok(api.get(f"{API}/questions/", {"pageSize": 2}))
    second = _ok(api.get(first["next"]))
    ids = [q["id"] for q in first["results"] + second["results"]]
    assert len(first["results"]) == 2
    assert len(set(ids)) == 4
    assert "cursor=" in first["next"]


# --- strict input -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("positions", {"title": "Backend", "salary": 100}, "salary"),
        ("positions", {"title": 5}, "title"),
        ("positions", {"title": "Backend", "status": "maybe"}, "status"),
        ("positions", {"title": "Backend", "pipeline": "1"}, "pipeline"),
        ("candidates", {"fullName": "A", "email": "a@example.test", "currentStage": 1}, "currentStage"),
        ("candidates", {"fullName": "A", "email": "a@example.test", "tags": "python"}, "tags"),
        ("candidates", {"fullName": "A", "email": "not-an-email"}, "email"),
        ("candidates", {"fullName": "A", "email": "a@example.test", "phone": 491234567}, "phone"),
        ("questions", {"questionText": "Q", "followUpQuestions": "why?"}, "followUpQuestions"),
        ("questions", {"questionText": "Q", "id": 7}, "id"),
        (
            "pipelines",
            {"name": "P", "stages": [{"name": "S", "stageType": "panel", "durationMinutes": "60"}]},
            "stages",
        ),
        (
            "pipelines",
            {"name": "P", "stages": [{"name": "S", "stageType": "panel", "toolsConfig": {"video": 1}}]},
            "stages",
        ),
    ],
)
def test_unknown_fields_and_wrong_types_are_rejected_field_by_field(
    hiring: Hiring, api: APIClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = api.post(f"{API}/{path}/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_interview_times_need_a_time_zone(hiring: Hiring) -> None:
    client = session_client(hiring.tenant.users["recruiter"])
    body = {
        "candidate": hiring.candidate.pk,
        "stage": hiring.interview.stage_id,
        "scheduledAt": "2030-01-02T09:00:00",
        "interviewers": [hiring.tenant.users["interviewer"].email],
    }
    created = client.post(f"{API}/interviews/", body, format="json")
    moved = client.patch(f"{API}/interviews/{hiring.interview.pk}/", {"scheduledAt": "2030-01-02T09:00"}, format="json")
    assert created.status_code == 400
    assert list(created.json()) == ["scheduledAt"]
    assert moved.status_code == 400
    assert list(moved.json()) == ["scheduledAt"]


def test_service_errors_come_back_per_field_in_camel_case(hiring: Hiring) -> None:
    client = session_client(hiring.tenant.users["recruiter"])
    other_pipeline_stage = StageFactory(pipeline=PipelineFactory(organization=hiring.tenant.org))
    response = client.post(
        f"{API}/interviews/",
        {
            "candidate": hiring.candidate.pk,
            "stage": other_pipeline_stage.pk,
            "scheduledAt": later(),
            "interviewers": [hiring.tenant.users["candidate"].email],
            "questionIds": [999999],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"stage", "interviewers"}


def test_domain_state_errors_are_409_with_a_code(hiring: Hiring, api: APIClient) -> None:
    url = f"{API}/candidates/{hiring.candidate.pk}/move-to-next-stage/"
    api.post(url, format="json")
    api.post(url, format="json")
    response = api.post(url, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


def test_a_used_position_cannot_be_deleted(hiring: Hiring, api: APIClient) -> None:
    response = api.delete(f"{API}/positions/{hiring.position.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "position_in_use"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("title=x", "application/x-www-form-urlencoded", 415),
        ("[1, 2]", "application/json", 400),
        ("{", "application/json", 400),
    ],
)
def test_bodies_must_be_json_objects(api: APIClient, content: str, content_type: str, status: int) -> None:
    response = api.generic("POST", f"{API}/positions/", content, content_type=content_type)
    assert response.status_code == status


# --- constant query counts ----------------------------------------------------------------
def _grow(resource: str, org: Organization, n: int) -> None:
    tag = Tag.objects.get_or_create(organization=org, name="t")[0]
    for _ in range(n):
        if resource == "positions":
            PositionFactory(organization=org, hiring_manager=org.memberships.first().user)  # type: ignore[union-attr]
        elif resource == "candidates":
            CandidateFactory(organization=org).tags.add(tag)
        elif resource == "questions":
            QuestionFactory(organization=org).tags.add(tag)
        elif resource == "pipelines":
            StageFactory(pipeline=PipelineFactory(organization=org))
        else:
            interview = InterviewFactory(organization=org)
            ParticipantFactory(interview=interview, user=org.memberships.first().user)  # type: ignore[union-attr]
            ParticipantFactory(
                interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE
            )
            InterviewQuestionPlan.objects.create(interview=interview, question=QuestionFactory(organization=org))
            if resource == "scorecards":
                ScorecardFactory(interview=interview, author=org.memberships.first().user)  # type: ignore[union-attr]


@pytest.mark.parametrize("resource", ["positions", "candidates", "questions", "interviews", "scorecards", "pipelines"])
def test_list_queries_do_not_grow_with_rows(acme: Tenant, django_assert_num_queries: Any, resource: str) -> None:
    client = key_client(make_key(acme.org))
    url = f"{API}/{resource}/"
    _grow(resource, acme.org, 5)
    _ok(client.get(url))  # the key's first use records its time; measure after it
    with CaptureQueriesContext(connection) as five:
        assert len(_ok(client.get(url))["results"]) == 5
    _grow(resource, acme.org, 45)
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(_ok(client.get(url))["results"]) == 50


def test_interviewer_list_queries_do_not_grow_with_rows(acme: Tenant, django_assert_num_queries: Any) -> None:
    interviewer = acme.users["interviewer"]
    client = session_client(interviewer)

    def grow(n: int) -> None:
        for _ in range(n):
            ParticipantFactory(interview=InterviewFactory(organization=acme.org), user=interviewer)

    grow(5)
    _ok(client.get(f"{API}/interviews/"))
    with CaptureQueriesContext(connection) as five:
        assert len(_ok(client.get(f"{API}/interviews/"))["results"]) == 5
    grow(45)
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(_ok(client.get(f"{API}/interviews/"))["results"]) == 50
    assert Interview.objects.count() == 50
