"""Who reaches what in /api/v1/: the permission matrix, IDOR and the interviewer's narrow view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from interviews.factories import InterviewFactory, ParticipantFactory
from tests.conftest import Tenant
from tests.test_api_support import API, Hiring, key_client, later, make_hiring, make_key, session_client

CALLERS = ["admin", "recruiter", "interviewer", "candidate", "anonymous", "acme_key", "globex_key", "revoked_key"]
OPS = ["list", "read", "create", "update", "delete"]


@dataclass
class World:
    acme: Hiring
    globex: Hiring
    keys: dict[str, str]

    def client(self, caller: str) -> APIClient:
        if caller == "anonymous":
            return APIClient()
        if caller.endswith("_key"):
            return key_client(self.keys[caller])
        return session_client(self.acme.tenant.users[caller])


@pytest.fixture
def world(acme: Tenant, globex: Tenant) -> World:
    return World(
        acme=make_hiring(acme),
        globex=make_hiring(globex),
        keys={
            "acme_key": make_key(acme.org),
            "globex_key": make_key(globex.org),
            "revoked_key": make_key(acme.org, revoked=True),
        },
    )


def _staff(ok: int, *, interviewer: int = 403, globex: int) -> dict[str, int]:
    """Statuses for the callers that get past authentication and the candidate-role gate."""
    return {"admin": ok, "recruiter": ok, "acme_key": ok, "interviewer": interviewer, "globex_key": globex}


EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    "positions": {
        "list": _staff(200, globex=200),
        "read": _staff(200, globex=404),
        "create": _staff(201, globex=400),  # the body names an Acme pipeline
        "update": _staff(200, globex=404),
        "delete": _staff(204, globex=404),
    },
    "candidates": {
        "list": _staff(200, interviewer=200, globex=200),
        "read": _staff(200, interviewer=200, globex=404),
        "create": _staff(201, globex=400),  # the body names an Acme position
        "update": _staff(200, globex=404),
        "delete": _staff(204, globex=404),
    },
    "questions": {
        "list": _staff(200, interviewer=200, globex=200),
        "read": _staff(200, interviewer=200, globex=404),
        "create": _staff(201, globex=201),  # a question of Globex's own bank
        "update": _staff(200, globex=404),
        "delete": _staff(204, globex=404),
    },
    "interviews": {
        "list": _staff(200, interviewer=200, globex=200),
        "read": _staff(200, interviewer=200, globex=404),
        "create": _staff(201, globex=400),  # the body names an Acme candidate and stage
        "update": _staff(200, globex=404),
        "delete": _staff(405, interviewer=405, globex=405),  # cancel instead
    },
    "scorecards": {
        "list": _staff(200, globex=200),
        "read": _staff(200, globex=404),
        "create": _staff(405, interviewer=405, globex=405),
        "update": _staff(405, interviewer=405, globex=405),
        "delete": _staff(405, interviewer=405, globex=405),
    },
    "pipelines": {
        "list": _staff(200, globex=200),
        "read": _staff(200, globex=404),
        "create": _staff(201, globex=201),
        "update": _staff(405, interviewer=405, globex=405),
        "delete": _staff(405, interviewer=405, globex=405),
    },
}


def expected_status(resource: str, op: str, caller: str) -> int:
    if caller in ("anonymous", "revoked_key"):
        return 401
    if caller == "candidate":
        return 403
    return EXPECTED[resource][op][caller]


def _target(world: World, resource: str, op: str) -> int:
    h = world.acme
    if op == "delete":
        spare = {"positions": h.spare_position, "candidates": h.spare_candidate, "questions": h.spare_question}
        if resource in spare:
            return spare[resource].pk
    return {
        "positions": h.position.pk,
        "candidates": h.candidate.pk,
        "questions": h.questions[0].pk,
        "interviews": h.interview.pk,
        "scorecards": h.scorecard.pk,
        "pipelines": h.pipeline.pk,
    }[resource]


def _create_body(world: World, resource: str) -> dict[str, Any]:
    h = world.acme
    return {
        "positions": {"title": "Data engineer", "pipeline": h.pipeline.pk},
        "candidates": {"fullName": "Grace Hopper", "email": "grace@example.test", "position": h.position.pk},
        "questions": {"questionText": "Design a URL shortener.", "tags": ["design"]},
        "interviews": {
            "candidate": h.candidate.pk,
            "stage": h.pipeline.stages.get(order=1).pk,
            "scheduledAt": later(),
            "interviewers": [h.tenant.users["interviewer"].email],
        },
        "scorecards": {"comments": "x"},
        "pipelines": {"name": "Frontend", "stages": [{"name": "Pairing", "stageType": "technical_live"}]},
    }[resource]


UPDATE_BODIES: dict[str, dict[str, Any]] = {
    "positions": {"title": "Senior backend engineer"},
    "candidates": {"phone": "+49 30 1234567"},
    "questions": {"difficulty": "hard"},
    "interviews": {"scheduledAt": later(3)},
    "scorecards": {"comments": "x"},
    "pipelines": {"name": "x"},
}


def _call(world: World, client: APIClient, resource: str, op: str) -> Any:
    if op == "list":
        return client.get(f"{API}/{resource}/")
    if op == "create":
        return client.post(f"{API}/{resource}/", _create_body(world, resource), format="json")
    url = f"{API}/{resource}/{_target(world, resource, op)}/"
    if op == "read":
        return client.get(url)
    if op == "update":
        return client.patch(url, UPDATE_BODIES[resource], format="json")
    return client.delete(url)


def _cases() -> list[Any]:
    cases = []
    for resource in EXPECTED:
        for op in OPS:
            for caller in CALLERS:
                cases.append(pytest.param(resource, op, caller, id=f"{resource}-{op}-{caller}"))
    return cases


@pytest.mark.parametrize(("resource", "op", "caller"), _cases())
def test_permission_matrix(world: World, resource: str, op: str, caller: str) -> None:
    # given
    client = world.client(caller)
    # when
    response = _call(world, client, resource, op)
    # then
    assert response.status_code == expected_status(resource, op, caller), response.content[:300]


@pytest.mark.parametrize("caller", ["anonymous", "revoked_key"])
def test_unauthenticated_callers_are_challenged_for_a_key(world: World, caller: str) -> None:
    response = world.client(caller).get(f"{API}/positions/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Api-Key"


RESOURCE_ROWS = ["positions", "candidates", "questions", "interviews", "scorecards", "pipelines"]


@pytest.mark.parametrize("resource", RESOURCE_ROWS)
@pytest.mark.parametrize("caller", ["recruiter", "acme_key"])
def test_another_organizations_ids_answer_404_and_no_data(world: World, resource: str, caller: str) -> None:
    # given: the ids of Globex's rows, asked by Acme
    theirs = World(acme=world.globex, globex=world.acme, keys=world.keys)
    client = world.client(caller)
    url = f"{API}/{resource}/{_target(theirs, resource, 'read')}/"
    # when
    read = client.get(url)
    change = client.patch(url, UPDATE_BODIES[resource], format="json")
    remove = client.delete(url)
    listed = client.get(f"{API}/{resource}/")
    # then
    assert read.status_code == 404
    assert change.status_code in (404, 405)  # 405 where the resource has no update at all
    assert remove.status_code in (404, 405)
    assert _target(theirs, resource, "read") not in [row["id"] for row in listed.json()["results"]]
    assert b"Globex" not in read.content + listed.content


def test_ids_of_another_organization_in_a_body_are_unknown(world: World) -> None:
    client = world.client("acme_key")
    response = client.post(
        f"{API}/candidates/",
        {"fullName": "Mallory", "email": "mallory@example.test", "position": world.globex.position.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "position" in response.json()


def test_interviewers_see_only_their_interviews_and_those_candidates(world: World) -> None:
    # given: an Acme interview the interviewer is not on
    acme = world.acme.tenant
    other = InterviewFactory(organization=acme.org, candidate__full_name="Not Mine")
    ParticipantFactory(interview=other, user=acme.users["admin"])
    client = world.client("interviewer")
    # when
    interviews = client.get(f"{API}/interviews/").json()["results"]
    candidates = client.get(f"{API}/candidates/").json()["results"]
    # then
    assert [i["id"] for i in interviews] == [world.acme.interview.pk]
    assert [c["id"] for c in candidates] == [world.acme.candidate.pk]
    assert client.get(f"{API}/interviews/{other.pk}/").status_code == 404
    assert client.get(f"{API}/candidates/{other.candidate_id}/").status_code == 404


def test_interviewer_reads_hints_of_their_interview_and_the_bank(world: World) -> None:
    client = world.client("interviewer")
    interview = client.get(f"{API}/interviews/{world.acme.interview.pk}/").json()
    question = client.get(f"{API}/questions/{world.acme.questions[0].pk}/").json()
    assert "SECRET-HINT" in interview["questionPlan"][0]["interviewerHints"]
    assert "SECRET-GUIDE" in question["expectedAnswerGuide"]


@pytest.mark.parametrize("path", ["interviews", "candidates", "questions", "positions", "scorecards"])
def test_candidate_role_gets_nothing_not_even_a_hint(world: World, path: str) -> None:
    # given: the candidate-role member is also the interview's candidate
    candidate = world.acme.candidate
    candidate.user = world.acme.tenant.users["candidate"]
    candidate.save(update_fields=["user"])
    # when
    response = world.client("candidate").get(f"{API}/{path}/")
    # then
    assert response.status_code == 403
    assert b"SECRET" not in response.content
