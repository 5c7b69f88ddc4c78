"""Assessment scores on the interviews API: hiring staff see ``stageData``, nobody else does."""

from __future__ import annotations

import pytest

from interviews.factories import InterviewFactory, ParticipantFactory
from tests.conftest import Tenant
from tests.test_api_support import API, session_client

SCORE = {"dsaSubmissions": [{"submissionId": 1, "problemId": 2, "score": 87.5, "passed": 7, "total": 8}]}


@pytest.fixture
def scored(acme: Tenant) -> int:
    interview = InterviewFactory(organization=acme.org, stage_data=SCORE)
    ParticipantFactory(interview=interview, user=acme.users["interviewer"])
    return int(interview.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_hiring_staff_see_the_scores(acme: Tenant, scored: int, role: str) -> None:
    body = session_client(acme.users[role]).get(f"{API}/interviews/{scored}/").json()
    assert body["stageData"] == SCORE


@pytest.mark.django_db
def test_the_interviewer_of_the_interview_does_not(acme: Tenant, scored: int) -> None:
    response = session_client(acme.users["interviewer"]).get(f"{API}/interviews/{scored}/")
    assert response.status_code == 200
    assert "stageData" not in response.json()
    assert "87.5" not in response.content.decode()
