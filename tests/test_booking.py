"""Self-scheduling links: create, book, reschedule, cancel — validation, expiry, tokens, tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditLog, Organization, User
from interviews.factories import CandidateFactory, StageFactory
from interviews.models import Candidate, Interview, Participant, PipelineStage
from scheduling import services
from scheduling.factories import (
    AvailabilityRuleFactory,
    InterviewerProfileFactory,
    PoolFactory,
    PoolMemberFactory,
    SchedulingLinkFactory,
)
from scheduling.models import SchedulingLink
from talentsync.errors import NotAllowed, StateError
from tests.conftest import Tenant

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def working_day(days_ahead: int = 4) -> date:
    """A weekday far enough ahead for any minimum notice."""
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def make_interviewer(org: Organization, user: User, *, zone: str = "Europe/Berlin") -> User:
    """``user`` works 09:00–17:00 every day of the week in ``zone``, 15 minutes between interviews."""
    User.objects.filter(pk=user.pk).update(time_zone=zone)
    user.refresh_from_db()
    InterviewerProfileFactory(organization=org, user=user, buffer_minutes=15, daily_cap=4, weekly_cap=10)
    for weekday in range(7):
        AvailabilityRuleFactory(organization=org, user=user, weekday=weekday, start_time=time(9), end_time=time(17))
    return user


@dataclass
class Scene:
    org: Organization
    recruiter: User
    interviewer: User
    candidate: Candidate
    stage: PipelineStage
    day: date


def scene_for(tenant: Tenant) -> Scene:
    interviewer = make_interviewer(tenant.org, tenant.users["interviewer"])
    candidate = CandidateFactory(organization=tenant.org, full_name="Cleo Candidate")
    stage = StageFactory(pipeline=candidate.position.pipeline, name="System design", duration_minutes=60)
    return Scene(tenant.org, tenant.users["recruiter"], interviewer, candidate, stage, working_day())


def open_link(scene: Scene, *, candidate: Candidate | None = None, **kwargs) -> tuple[SchedulingLink, str]:
    options = {
        "interviewers": [scene.interviewer],
        "window_start": at(scene.day, 0),
        "window_end": at(scene.day + timedelta(days=1), 0),
        "send_email": False,
        **kwargs,
    }
    return services.scheduling_link_create(
        actor=scene.recruiter, candidate=candidate or scene.candidate, stage=scene.stage, **options
    )


def another_candidate(scene: Scene, name: str = "Otto Other") -> Candidate:
    return CandidateFactory(organization=scene.org, full_name=name, position=scene.candidate.position)


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    return scene_for(acme)


# --- booking --------------------------------------------------------------------------------
def test_candidate_books_an_offered_slot_and_the_interview_is_scheduled(scene: Scene) -> None:
    # given
    link, token = open_link(scene)
    slot = services.scheduling_link_slots(link=link)[0]
    # when
    interview = services.scheduling_link_book(token=token, start=slot.start, time_zone="America/New_York")
    # then
    assert interview.scheduled_at == slot.start == at(scene.day, 9)
    assert interview.status == Interview.Status.SCHEDULED
    assert interview.duration_minutes == 60
    people = {(p.role, p.user_id or p.candidate_id) for p in interview.participants.all()}
    assert people == {("interviewer", scene.interviewer.pk), ("candidate", scene.candidate.pk)}
    link.refresh_from_db()
    assert (link.status, link.interview_id, link.candidate_time_zone) == ("booked", interview.pk, "America/New_York")
    entry = AuditLog.objects.get(action="scheduling_link.book")
    assert entry.changes["by"] == "candidate via self-scheduling link"


def test_after_booking_everyone_gets_their_personal_join_link(scene: Scene, django_capture_on_commit_callbacks) -> None:
    # given
    _link, token = open_link(scene)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    # then
    joins = [m for m in mail.outbox if "/join/" in m.body]
    assert sorted(m.to[0] for m in joins) == sorted([scene.candidate.email, scene.interviewer.email])


def test_slots_stay_inside_the_interviewers_working_hours(scene: Scene) -> None:
    # given
    link, _token = open_link(scene)
    # when
    slots = services.scheduling_link_slots(link=link)
    # then: 09:00 to 16:00 starts (an hour each, ending by 17:00 Berlin)
    assert slots[0].start == at(scene.day, 9)
    assert slots[-1].end == at(scene.day, 17)


def test_a_booked_time_is_no_longer_offered_by_another_link(scene: Scene) -> None:
    # given
    _first, token = open_link(scene)
    services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="Europe/Berlin")
    second, _ = open_link(scene, candidate=another_candidate(scene))
    # when
    starts = {s.start for s in services.scheduling_link_slots(link=second)}
    # then
    assert at(scene.day, 10) not in starts
    assert at(scene.day, 9) not in starts  # would end at 10:00, inside the buffer before it
    assert at(scene.day, 14) in starts


def test_booking_a_time_just_taken_is_refused_and_creates_nothing(scene: Scene) -> None:
    # given two candidates offered the same interviewer's morning
    _first, token_a = open_link(scene)
    second, token_b = open_link(scene, candidate=another_candidate(scene))
    services.scheduling_link_book(token=token_a, start=at(scene.day, 10), time_zone="Europe/Berlin")
    # when the second one books the same hour
    with pytest.raises(StateError) as refused:
        services.scheduling_link_book(token=token_b, start=at(scene.day, 10), time_zone="Europe/Berlin")
    # then
    assert refused.value.code == "slot_taken"
    assert refused.value.message == "That time was just taken — pick another."
    assert Interview.objects.count() == 1
    second.refresh_from_db()
    assert second.status == SchedulingLink.Status.OPEN


def test_booking_outside_working_hours_is_refused(scene: Scene) -> None:
    _link, token = open_link(scene)
    with pytest.raises(StateError):
        services.scheduling_link_book(token=token, start=at(scene.day, 20), time_zone="Europe/Berlin")
    assert not Interview.objects.exists()


def test_booking_outside_the_links_window_is_refused(scene: Scene) -> None:
    _link, token = open_link(scene)
    with pytest.raises(ValidationError, match="Pick one of the times offered"):
        services.scheduling_link_book(token=token, start=at(scene.day, 10) + timedelta(days=1), time_zone="UTC")


def test_an_unknown_time_zone_is_refused(scene: Scene) -> None:
    _link, token = open_link(scene)
    with pytest.raises(ValidationError, match="not a known time zone"):
        services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="Mars/Olympus")
    assert not Interview.objects.exists()


def test_an_expired_link_books_nothing(scene: Scene) -> None:
    # given a link whose window is over
    past = timezone.now() - timedelta(days=2)
    SchedulingLinkFactory(
        organization=scene.org,
        candidate=scene.candidate,
        stage=scene.stage,
        window_start=past,
        window_end=past + timedelta(days=1),
        interviewers=[scene.interviewer],
        token="expired-token-abcdefghijklmnopqrstuvwxyz",
        created_by=scene.recruiter,
    )
    # when / then
    with pytest.raises(StateError, match="expired"):
        services.scheduling_link_book(
            token="expired-token-abcdefghijklmnopqrstuvwxyz", start=at(scene.day, 10), time_zone="UTC"
        )


def test_a_wrong_token_books_nothing(scene: Scene) -> None:
    open_link(scene)
    with pytest.raises(NotAllowed):
        services.scheduling_link_book(token="not-a-real-token", start=at(scene.day, 10), time_zone="UTC")
    assert not Interview.objects.exists()


def test_a_link_books_only_once(scene: Scene) -> None:
    _link, token = open_link(scene)
    services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    with pytest.raises(StateError, match="already been used"):
        services.scheduling_link_book(token=token, start=at(scene.day, 14), time_zone="UTC")
    assert Interview.objects.count() == 1


def test_a_pool_link_books_the_needed_number_of_free_members(scene: Scene, acme: Tenant) -> None:
    # given a pool of three where one member is busy at 10:00
    pool = PoolFactory(organization=scene.org, name="Seniors")
    others = [make_interviewer(scene.org, acme.users[r]) for r in ("admin", "recruiter")]
    for user in [scene.interviewer, *others]:
        PoolMemberFactory(pool=pool, user=user)
    _busy_link, busy_token = open_link(scene, candidate=another_candidate(scene))
    services.scheduling_link_book(token=busy_token, start=at(scene.day, 10), time_zone="UTC")
    _link, token = open_link(scene, interviewers=None, pool=pool, required_interviewers=2)
    # when
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    # then the two free ones take it
    panel = set(interview.participants.filter(role="interviewer").values_list("user_id", flat=True))
    assert panel == {u.pk for u in others}


# --- reschedule and cancel ------------------------------------------------------------------
def test_candidate_moves_their_booking_to_another_offered_time(scene: Scene) -> None:
    # given
    link, token = open_link(scene)
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    link.refresh_from_db()
    assert at(scene.day, 14) in {s.start for s in services.scheduling_link_slots(link=link)}
    # when
    moved = services.scheduling_link_reschedule(token=token, start=at(scene.day, 14), time_zone="Asia/Kolkata")
    # then
    assert moved.pk == interview.pk
    assert moved.scheduled_at == at(scene.day, 14)
    link.refresh_from_db()
    assert (link.status, link.candidate_time_zone) == ("booked", "Asia/Kolkata")
    assert Interview.objects.count() == 1
    assert AuditLog.objects.filter(action="interview.reschedule", target_id=str(interview.pk)).exists()


def test_moving_to_a_time_another_candidate_took_is_refused(scene: Scene) -> None:
    # given
    _link, token = open_link(scene)
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    _other, other_token = open_link(scene, candidate=another_candidate(scene))
    services.scheduling_link_book(token=other_token, start=at(scene.day, 14), time_zone="UTC")
    # when / then
    with pytest.raises(StateError, match="just taken"):
        services.scheduling_link_reschedule(token=token, start=at(scene.day, 14), time_zone="UTC")
    interview.refresh_from_db()
    assert interview.scheduled_at == at(scene.day, 10)


def test_moving_an_hour_later_overlapping_its_own_old_time_is_allowed(scene: Scene) -> None:
    _link, token = open_link(scene)
    services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    moved = services.scheduling_link_reschedule(token=token, start=at(scene.day, 10, 30), time_zone="UTC")
    assert moved.scheduled_at == at(scene.day, 10, 30)


def test_candidate_cancels_and_the_link_closes(scene: Scene) -> None:
    # given
    link, token = open_link(scene)
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    # when
    services.scheduling_link_cancel(token=token, reason="found another job")
    # then
    interview.refresh_from_db()
    link.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert link.status == SchedulingLink.Status.CANCELLED
    with pytest.raises(StateError):
        services.scheduling_link_reschedule(token=token, start=at(scene.day, 14), time_zone="UTC")
    with pytest.raises(StateError):
        services.scheduling_link_book(token=token, start=at(scene.day, 14), time_zone="UTC")


def test_an_open_link_has_nothing_to_cancel(scene: Scene) -> None:
    _link, token = open_link(scene)
    with pytest.raises(StateError, match="no booking"):
        services.scheduling_link_cancel(token=token)


def test_a_recruiter_withdraws_a_booked_link_and_its_interview(scene: Scene) -> None:
    link, token = open_link(scene)
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    services.scheduling_link_withdraw(actor=scene.recruiter, link=link)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    assert SchedulingLink.objects.get(pk=link.pk).status == SchedulingLink.Status.CANCELLED


def test_resending_rotates_the_token(scene: Scene) -> None:
    link, old = open_link(scene)
    new = services.scheduling_link_resend(actor=scene.recruiter, link=link, send_email=False)
    assert services.scheduling_link_by_token(token=old) is None
    assert services.scheduling_link_by_token(token=new) == link


# --- creating links ---------------------------------------------------------------------------
def test_creating_a_link_emails_the_candidate_after_commit(scene: Scene, django_capture_on_commit_callbacks) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True):
        _link, token = open_link(scene, send_email=True)
    # then
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [scene.candidate.email]
    assert services.scheduling_link_url(token) in message.body
    assert "Pick a time" in message.subject
    assert scene.interviewer.email not in message.body


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"pool": "POOL"}, "pool"),  # a pool and interviewers
        ({"interviewers": []}, "pool"),  # neither
        ({"required_interviewers": 2}, "required_interviewers"),  # only one to choose from
        ({"window_end": "START"}, "window_end"),  # empty window
    ],
)
def test_link_creation_is_validated(scene: Scene, options: dict, field: str) -> None:
    if options.get("pool") == "POOL":
        options = {"pool": PoolFactory(organization=scene.org)}
    if options.get("window_end") == "START":
        options = {"window_end": at(scene.day, 0)}
    with pytest.raises(ValidationError) as refused:
        open_link(scene, **options)
    assert field in refused.value.message_dict


def test_a_second_open_link_for_the_same_stage_is_refused(scene: Scene) -> None:
    open_link(scene)
    with pytest.raises(ValidationError, match="already has an open link"):
        open_link(scene)


# --- tenancy and permissions --------------------------------------------------------------
def test_interviewers_of_another_organization_cannot_be_offered(scene: Scene, globex: Tenant) -> None:
    with pytest.raises(ValidationError) as refused:
        open_link(scene, interviewers=[globex.users["interviewer"]])
    assert "interviewers" in refused.value.message_dict


def test_another_organizations_recruiter_cannot_create_a_link(scene: Scene, globex: Tenant) -> None:
    with pytest.raises(NotAllowed):
        services.scheduling_link_create(
            actor=globex.users["recruiter"],
            candidate=scene.candidate,
            stage=scene.stage,
            interviewers=[scene.interviewer],
            window_start=at(scene.day, 0),
            window_end=at(scene.day, 23),
            send_email=False,
        )


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_only_recruiters_and_admins_create_links(scene: Scene, acme: Tenant, role: str) -> None:
    with pytest.raises(NotAllowed):
        services.scheduling_link_create(
            actor=acme.users[role],
            candidate=scene.candidate,
            stage=scene.stage,
            interviewers=[scene.interviewer],
            window_start=at(scene.day, 0),
            window_end=at(scene.day, 23),
            send_email=False,
        )


def test_booking_leaves_the_candidate_participant_without_any_staff_account(scene: Scene) -> None:
    _link, token = open_link(scene)
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    candidate_row = interview.participants.get(role=Participant.Role.CANDIDATE)
    assert candidate_row.user_id is None
    assert candidate_row.candidate_id == scene.candidate.pk
