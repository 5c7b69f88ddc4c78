"""factory_boy factories for scheduling (used by tests and nothing else)."""

from __future__ import annotations

from datetime import time, timedelta

import factory
from django.utils import timezone

from accounts.factories import OrganizationFactory, UserFactory
from interviews.factories import CandidateFactory, InterviewFactory, StageFactory
from interviews.services.interviews import join_token_hash
from scheduling.models import (
    AvailabilityException,
    AvailabilityRule,
    BusyBlock,
    InterviewerPool,
    InterviewerProfile,
    Notification,
    NotificationKind,
    PoolMember,
    SchedulingLink,
    ShadowAssignment,
)


class InterviewerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewerProfile
        django_get_or_create = ("organization", "user")

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)


class AvailabilityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    weekday = 0
    start_time = time(9, 0)
    end_time = time(17, 0)


class AvailabilityExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityException

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    date = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=1))


class BusyBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusyBlock

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))


class PoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewerPool

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Pool {n}")


class PoolMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoolMember

    pool = factory.SubFactory(PoolFactory)
    user = factory.SubFactory(UserFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.REMINDER
    title = factory.Sequence(lambda n: f"Notification {n}")


class SchedulingLinkFactory(factory.django.DjangoModelFactory):
    """An open self-scheduling link whose raw token is ``token``; pass ``interviewers=[...]``."""

    class Meta:
        model = SchedulingLink
        exclude = ("token",)
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    candidate = factory.SubFactory(CandidateFactory, organization=factory.SelfAttribute("..organization"))
    stage = factory.SubFactory(StageFactory, pipeline=factory.SelfAttribute("..candidate.position.pipeline"))
    window_start = factory.LazyFunction(timezone.now)
    window_end = factory.LazyAttribute(lambda o: o.window_start + timedelta(days=21))
    duration_minutes = 60
    token = factory.Sequence(lambda n: f"schedule-token-{n:04d}-abcdefghijklmnopqrstuvwxyz")
    token_hash = factory.LazyAttribute(lambda o: join_token_hash(o.token))

    @factory.post_generation
    def interviewers(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            obj.interviewers.set(extracted)  # type: ignore[attr-defined]


class ShadowAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShadowAssignment

    interview = factory.SubFactory(InterviewFactory)
    trainee = factory.SubFactory(UserFactory)
    kind = ShadowAssignment.Kind.SHADOW
