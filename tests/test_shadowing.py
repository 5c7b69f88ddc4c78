"""Shadowing: trainees join interviews as shadows or reverse shadows and qualify for their pool."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import AuditLog, User
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant
from scheduling import services
from scheduling.factories import PoolFactory, PoolMemberFactory, ShadowAssignmentFactory
from scheduling.models import InterviewerPool, PoolMember, ShadowAssignment
from talentsync.errors import NotAllowed, StateError
from tests.conftest import Tenant


@dataclass
class Shadowing:
    pool: InterviewerPool
    trainee: User
    member: PoolMember
    senior: User
    interview: Interview


@pytest.fixture
def shadowing(acme: Tenant) -> Shadowing:
    pool = PoolFactory(organization=acme.org, name="Senior backend")
    trainee = UserFactory(email="trainee@acme.test", full_name="Tia Trainee")
    MembershipFactory(user=trainee, organization=acme.org, role="interviewer")
    member = PoolMemberFactory(
        pool=pool, user=trainee, status=PoolMember.Status.TRAINEE, shadows_required=2, reverse_shadows_required=1
    )
    senior = acme.users["interviewer"]
    PoolMemberFactory(pool=pool, user=senior, status=PoolMember.Status.QUALIFIED)
    interview = InterviewFactory(organization=acme.org)
    ParticipantFactory(interview=interview, user=senior, role=Participant.Role.INTERVIEWER)
    return Shadowing(pool, trainee, member, senior, interview)


def test_a_shadow_joins_as_an_observer_and_gets_a_join_link(
    acme: Tenant, shadowing: Shadowing, django_capture_on_commit_callbacks
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.shadow_assign(
            actor=acme.users["recruiter"], interview=shadowing.interview, trainee=shadowing.trainee, kind="shadow"
        )
    # then
    assert (assignment.kind, assignment.pool) == ("shadow", shadowing.pool)
    participant = shadowing.interview.participants.get(user=shadowing.trainee)
    assert participant.role == Participant.Role.OBSERVER
    assert [m.to for m in mail.outbox] == [[shadowing.trainee.email]]
    assert AuditLog.objects.filter(action="shadow.assign").exists()


def test_a_reverse_shadow_interviews_with_a_qualified_member_on_the_panel(acme: Tenant, shadowing: Shadowing) -> None:
    services.shadow_assign(
        actor=acme.users["recruiter"], interview=shadowing.interview, trainee=shadowing.trainee, kind="reverse_shadow"
    )
    assert shadowing.interview.participants.get(user=shadowing.trainee).role == Participant.Role.INTERVIEWER


def test_a_reverse_shadow_needs_a_qualified_member_present(acme: Tenant, shadowing: Shadowing) -> None:
    # given an interview whose panel has nobody qualified in the pool
    alone = InterviewFactory(organization=acme.org)
    ParticipantFactory(interview=alone, user=acme.users["admin"], role=Participant.Role.INTERVIEWER)
    # when / then
    with pytest.raises(ValidationError, match="qualified interviewer"):
        services.shadow_assign(
            actor=acme.users["recruiter"], interview=alone, trainee=shadowing.trainee, kind="reverse_shadow"
        )
    assert not alone.participants.filter(user=shadowing.trainee).exists()


def test_only_trainees_shadow(acme: Tenant, shadowing: Shadowing) -> None:
    with pytest.raises(ValidationError, match="not a trainee"):
        services.shadow_assign(
            actor=acme.users["recruiter"], interview=shadowing.interview, trainee=acme.users["admin"], kind="shadow"
        )


def test_a_trainee_is_added_only_once(acme: Tenant, shadowing: Shadowing) -> None:
    recruiter = acme.users["recruiter"]
    services.shadow_assign(actor=recruiter, interview=shadowing.interview, trainee=shadowing.trainee, kind="shadow")
    with pytest.raises(ValidationError, match="already takes part"):
        services.shadow_assign(actor=recruiter, interview=shadowing.interview, trainee=shadowing.trainee, kind="shadow")


def test_finished_interviews_take_no_shadows(acme: Tenant, shadowing: Shadowing) -> None:
    Interview.objects.filter(pk=shadowing.interview.pk).update(status=Interview.Status.COMPLETED)
    with pytest.raises(StateError):
        services.shadow_assign(
            actor=acme.users["recruiter"], interview=shadowing.interview, trainee=shadowing.trainee, kind="shadow"
        )


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_only_recruiters_and_admins_assign_shadows(acme: Tenant, shadowing: Shadowing, role: str) -> None:
    with pytest.raises(NotAllowed):
        services.shadow_assign(
            actor=acme.users[role], interview=shadowing.interview, trainee=shadowing.trainee, kind="shadow"
        )


def test_another_organizations_recruiter_cannot_assign(globex: Tenant, shadowing: Shadowing) -> None:
    with pytest.raises(NotAllowed):
        services.shadow_assign(
            actor=globex.users["recruiter"], interview=shadowing.interview, trainee=shadowing.trainee, kind="shadow"
        )


def _done(shadowing: Shadowing, kind: str, status: str = Interview.Status.COMPLETED) -> None:
    interview = InterviewFactory(organization=shadowing.pool.organization, status=status)
    ShadowAssignmentFactory(interview=interview, trainee=shadowing.trainee, pool=shadowing.pool, kind=kind)


def test_progress_counts_completed_interviews_only(shadowing: Shadowing) -> None:
    # given one finished shadow, one still to come, one cancelled
    _done(shadowing, "shadow")
    _done(shadowing, "shadow", Interview.Status.SCHEDULED)
    _done(shadowing, "shadow", Interview.Status.CANCELLED)
    # when
    progress = services.pool_member_progress(member=shadowing.member)
    # then
    assert progress == {
        "shadow": 1,
        "shadow_required": 2,
        "reverse_shadow": 0,
        "reverse_shadow_required": 1,
        "ready": False,
        "qualified": False,
    }


def test_a_trainee_is_not_qualified_before_the_required_count(shadowing: Shadowing) -> None:
    _done(shadowing, "shadow")
    _done(shadowing, "shadow")
    assert services.pool_member_qualify_if_ready(member=shadowing.member) is False
    shadowing.member.refresh_from_db()
    assert shadowing.member.status == PoolMember.Status.TRAINEE


def test_a_trainee_qualifies_once_the_shadowing_is_done(shadowing: Shadowing) -> None:
    # given two shadows and one reverse shadow, all finished
    _done(shadowing, "shadow")
    _done(shadowing, "shadow")
    _done(shadowing, "reverse_shadow")
    # when
    qualified = services.pool_member_qualify_if_ready(member=shadowing.member)
    # then
    shadowing.member.refresh_from_db()
    assert qualified is True
    assert shadowing.member.status == PoolMember.Status.QUALIFIED
    assert shadowing.member.qualified_at is not None
    assert AuditLog.objects.filter(action="poolmember.qualify").exists()
    assert services.pool_member_qualify_if_ready(member=shadowing.member) is False  # once


def test_shadowing_in_another_pool_does_not_count(acme: Tenant, shadowing: Shadowing) -> None:
    other = PoolFactory(organization=acme.org, name="Frontend")
    interview = InterviewFactory(organization=acme.org, status=Interview.Status.COMPLETED)
    ShadowAssignment.objects.create(interview=interview, trainee=shadowing.trainee, pool=other, kind="shadow")
    assert services.pool_member_progress(member=shadowing.member)["shadow"] == 0
