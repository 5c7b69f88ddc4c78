"""Helpers shared by the REST API tests (no tests here): a hiring setup and API-key clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.models import APIKey, Organization, User
from interviews import services
from interviews.factories import QuestionFactory, ScorecardFactory
from interviews.models import Candidate, Interview, InterviewQuestion, PipelineTemplate, Position, Scorecard
from tests.conftest import Tenant

API = "/api/v1"


@dataclass
class Hiring:
    """One organization's hiring data: the rows the API tests read, change and delete."""

    tenant: Tenant
    pipeline: PipelineTemplate
    position: Position
    candidate: Candidate
    interview: Interview
    questions: list[InterviewQuestion]
    scorecard: Scorecard
    spare_position: Position
    spare_candidate: Candidate
    spare_question: InterviewQuestion
    join_tokens: dict[int, str] = field(default_factory=dict)


def make_hiring(tenant: Tenant, *, interviewer: User | None = None) -> Hiring:
    """A three-stage pipeline, a position, a candidate with an interview and a submitted scorecard."""
    recruiter = tenant.users["recruiter"]
    interviewer = interviewer or tenant.users["interviewer"]
    q1, q2 = QuestionFactory(organization=tenant.org), QuestionFactory(organization=tenant.org)
    pipeline = services.pipeline_create(
        organization=tenant.org,
        name="Backend",
        actor=recruiter,
        stages=[
            {"name": "Phone screen", "stage_type": "phone_screen"},
            {"name": "Live coding", "stage_type": "technical_live", "question_ids": [q1.pk, q2.pk]},
            {"name": "System design", "stage_type": "system_design"},
        ],
    )
    position = services.position_create(organization=tenant.org, actor=recruiter, title="Backend", pipeline=pipeline)
    candidate = services.candidate_create(
        organization=tenant.org, actor=recruiter, full_name="Ada Lovelace", email="ada@example.test", position=position
    )
    live = pipeline.stages.get(order=2)
    interview, tokens = services.interview_schedule(
        candidate=candidate,
        stage=live,
        scheduled_at=timezone.now() + timedelta(days=1),
        interviewers=[interviewer],
        actor=recruiter,
    )
    scorecard = ScorecardFactory(
        interview=interview, author=interviewer, ratings={c: 3 for c in live.criteria}, recommendation="yes"
    )
    return Hiring(
        tenant=tenant,
        pipeline=pipeline,
        position=position,
        candidate=candidate,
        interview=interview,
        questions=[q1, q2],
        scorecard=scorecard,
        spare_position=services.position_create(organization=tenant.org, actor=recruiter, title="Unused"),
        spare_candidate=services.candidate_create(
            organization=tenant.org, actor=recruiter, full_name="Spare", email="spare@example.test"
        ),
        spare_question=QuestionFactory(organization=tenant.org),
        join_tokens=tokens,
    )


def make_key(org: Organization, *, role: str = APIKey.KeyRole.RECRUITER, revoked: bool = False) -> str:
    key, raw = api_key_create(organization=org, name="Tests", role=role, created_by=None)
    if revoked:
        admin = User.objects.filter(memberships__organization=org, memberships__role="admin").first()
        api_key_revoke(key=key, actor=admin)  # type: ignore[arg-type]
    return raw


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def session_client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def later(days: int = 2) -> str:
    """An aware ISO 8601 time in the future."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()
