"""factory_boy factories for the hiring domain (tests only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import factory
from django.utils import timezone

from accounts.factories import OrganizationFactory, UserFactory
from interviews.models import (
    Candidate,
    CandidateNote,
    Interview,
    InterviewQuestion,
    Participant,
    PipelineStage,
    PipelineTemplate,
    Position,
    Scorecard,
)
from interviews.services.interviews import join_token_hash


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PipelineTemplate

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PipelineStage

    pipeline = factory.SubFactory(PipelineFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Stage {n}")
    stage_type = PipelineStage.Type.TECHNICAL_LIVE
    tools_config = factory.LazyAttribute(lambda o: {"video": True, "editor": True, "whiteboard": True, "chat": True})
    criteria = factory.LazyFunction(lambda: ["Problem solving", "Communication"])


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Engineer {n}")
    team = "Platform"
    pipeline = factory.SubFactory(PipelineFactory, organization=factory.SelfAttribute("..organization"))


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    organization = factory.SubFactory(OrganizationFactory)
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"candidate{n}@example.test")
    position = factory.SubFactory(PositionFactory, organization=factory.SelfAttribute("..organization"))


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewQuestion

    organization = factory.SubFactory(OrganizationFactory)
    question_text = factory.Sequence(lambda n: f"Question {n}: reverse a linked list")
    interviewer_hints = "Hint: SECRET-HINT"
    expected_answer_guide = "Guide: SECRET-GUIDE"


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    organization = factory.SubFactory(OrganizationFactory)
    candidate = factory.SubFactory(CandidateFactory, organization=factory.SelfAttribute("..organization"))
    position = factory.SelfAttribute("candidate.position")
    stage = factory.SubFactory(StageFactory, pipeline=factory.SelfAttribute("..position.pipeline"))
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant whose raw join token is ``token``."""

    class Meta:
        model = Participant
        exclude = ("token",)

    interview = factory.SubFactory(InterviewFactory)
    user = factory.SubFactory(UserFactory)
    role = Participant.Role.INTERVIEWER
    token = factory.Sequence(lambda n: f"join-token-{n:04d}-abcdefghijklmnopqrstuvwxyz")
    token_hash = factory.LazyAttribute(lambda o: join_token_hash(o.token))
    token_expires_at = factory.LazyAttribute(lambda o: o.interview.ends_at + timedelta(hours=2))


class ScorecardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scorecard

    interview = factory.SubFactory(InterviewFactory)
    author = factory.SubFactory(UserFactory)
    ratings = factory.LazyFunction(lambda: {"Problem solving": 3, "Communication": 4})
    recommendation = Scorecard.Recommendation.YES
    comments = "Solid."
    submitted_at = factory.LazyFunction(timezone.now)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidateNote

    candidate = factory.SubFactory(CandidateFactory)
    body = "SECRET-PRIVATE-NOTE"
    is_private = True


def room_with_people(
    *, organization: Any, interviewer: Any, lead_token: str, candidate_token: str, **interview: Any
) -> tuple[Interview, Participant, Participant]:
    """An interview whose room opens now, with an interviewer and the candidate holding known join tokens.

    ``interview`` goes to :class:`InterviewFactory` (e.g. ``candidate__full_name``,
    ``stage__tools_config``); it starts in five minutes unless ``scheduled_at`` says otherwise.
    """
    interview.setdefault("scheduled_at", timezone.now() + timedelta(minutes=5))
    room = cast(Interview, InterviewFactory(organization=organization, **interview))
    lead = cast(Participant, ParticipantFactory(interview=room, user=interviewer, token=lead_token))
    candidate = cast(
        Participant,
        ParticipantFactory(
            interview=room, user=None, candidate=room.candidate, role=Participant.Role.CANDIDATE, token=candidate_token
        ),
    )
    return room, lead, candidate
