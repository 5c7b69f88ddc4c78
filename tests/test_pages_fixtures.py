"""Fixtures shared by the interviewer and candidate page tests (this module holds no tests).

One Acme interview, tomorrow at 09:00 UTC: Acme's interviewer on the panel, Acme's candidate user
linked to the candidate row, two planned questions whose hints and guides say SECRET-HINT and
SECRET-GUIDE, one private and one shared note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import Role, User
from interviews.factories import InterviewFactory, NoteFactory, ParticipantFactory, QuestionFactory
from interviews.models import Interview, InterviewQuestionPlan, Participant
from tests.conftest import Tenant

SECRETS = ("SECRET-HINT", "SECRET-GUIDE", "SECRET-PRIVATE-NOTE")
SHARED_NOTE = "Shared: prefers pairing over whiteboards"


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def add_member(tenant: Tenant, role: str, email: str, **user_fields: object) -> User:
    user = UserFactory(email=email, **user_fields)
    MembershipFactory(user=user, organization=tenant.org, role=role)
    return user


def candidate_participant(interview: Interview) -> Participant:
    return ParticipantFactory(interview=interview, user=None, candidate=interview.candidate, role="candidate")


@dataclass
class Scene:
    interview: Interview
    interviewer: User
    candidate_user: User


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    candidate_user = acme.users[Role.CANDIDATE]
    interview = InterviewFactory(
        organization=acme.org,
        scheduled_at=tomorrow_at(9),
        candidate__full_name="Grace Hopper",
        candidate__email=candidate_user.email,
        candidate__user=candidate_user,
    )
    ParticipantFactory(interview=interview, user=acme.users[Role.INTERVIEWER])
    candidate_participant(interview)
    first = QuestionFactory(
        organization=acme.org,
        question_text="Design a rate limiter",
        follow_up_questions=["What about bursts?"],
    )
    second = QuestionFactory(organization=acme.org, question_text="Reverse a linked list")
    InterviewQuestionPlan.objects.create(interview=interview, question=first, order=0)
    InterviewQuestionPlan.objects.create(interview=interview, question=second, order=1)
    NoteFactory(candidate=interview.candidate, body="SECRET-PRIVATE-NOTE", is_private=True)
    NoteFactory(candidate=interview.candidate, body=SHARED_NOTE, is_private=False)
    return Scene(interview=interview, interviewer=acme.users[Role.INTERVIEWER], candidate_user=candidate_user)
