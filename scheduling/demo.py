"""Demo scheduling data for ``manage.py seed_demo``: safe to run again (finds before it creates).

Acme gets interviewers in two time zones (Berlin and Kolkata) with weekly hours and some busy
time, a "Senior backend" pool with a trainee, an open self-scheduling link for the demo
candidate, and a few unread notifications so the bell shows a count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Organization, Role, User
from interviews.models import Candidate, Interview, PipelineStage
from scheduling import services
from scheduling.models import (
    BusyBlock,
    InterviewerPool,
    Notification,
    NotificationKind,
    PoolMember,
    SchedulingLink,
    ShadowAssignment,
)

POOL_NAME = "Senior backend"
#: (e-mail, name, zone, weekly windows Monday–Friday)
INTERVIEWERS = [
    ("interviewer@acme.test", "Ivan Interviewer", "Europe/Berlin", [(time(9), time(12)), (time(13), time(17))]),
    ("priya@acme.test", "Priya Raman", "Asia/Kolkata", [(time(13, 30), time(19, 30))]),
]
TRAINEE = ("trainee@acme.test", "Tomás Trainee", "Europe/Lisbon")


def seed_scheduling(
    *, organization: Organization, recruiter: User, make_user: Callable[[str, str], User]
) -> dict[str, str]:
    """Availability, a pool with a trainee, an open self-scheduling link; returns the link's fresh URL."""
    people = []
    for email, name, zone, windows in INTERVIEWERS:
        user = make_user(email, name)
        accounts_services.membership_add(user=user, organization=organization, role=Role.INTERVIEWER, actor=recruiter)
        if user.time_zone != zone:
            User.objects.filter(pk=user.pk).update(time_zone=zone)
            user.time_zone = zone
        if not user.availability_rules.filter(organization=organization).exists():
            services.availability_rules_replace(
                actor=user,
                organization=organization,
                user=user,
                windows=[services.WeeklyWindow(day, start, end) for day in range(5) for start, end in windows],
            )
        people.append(user)
    trainee = make_user(TRAINEE[0], TRAINEE[1])
    accounts_services.membership_add(user=trainee, organization=organization, role=Role.INTERVIEWER, actor=recruiter)
    if trainee.time_zone != TRAINEE[2]:
        User.objects.filter(pk=trainee.pk).update(time_zone=TRAINEE[2])

    _busy(organization, people)
    pool = _pool(organization, recruiter, people, trainee)
    _shadow_history(organization, pool, trainee)
    url = _link(organization, recruiter, pool)
    _notifications(organization, [recruiter, people[0]])
    return {"link": url, "pool": pool.name, "trainee": trainee.email, "second_interviewer": people[1].email}


def _busy(organization: Organization, people: list[User]) -> None:
    """An hour of busy time for each interviewer, the next working day at their 10:00 / 15:00."""
    for user, hour in zip(people, (10, 15), strict=True):
        future = BusyBlock.objects.filter(
            organization=organization, user=user, title="Team sync (demo)", ends_at__gt=timezone.now()
        )
        if future.exists():
            continue
        zone = ZoneInfo(user.time_zone or organization.time_zone)
        day = timezone.now().astimezone(zone).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, time(hour), tzinfo=zone)
        services.availability_row_save(
            actor=user,
            row=BusyBlock(
                organization=organization,
                user=user,
                starts_at=start.astimezone(ZoneInfo("UTC")),
                ends_at=(start + timedelta(hours=1)).astimezone(ZoneInfo("UTC")),
                title="Team sync (demo)",
            ),
        )


def _pool(organization: Organization, recruiter: User, people: list[User], trainee: User) -> InterviewerPool:
    pool = InterviewerPool.objects.filter(organization=organization, name=POOL_NAME).first()
    if pool is None:
        pool = services.pool_save(
            actor=recruiter,
            pool=InterviewerPool(
                organization=organization, name=POOL_NAME, description="Senior engineers who run system design."
            ),
        )
    for user in people:
        if not PoolMember.objects.filter(pool=pool, user=user).exists():
            services.pool_member_save(actor=recruiter, member=PoolMember(pool=pool, user=user))
    if not PoolMember.objects.filter(pool=pool, user=trainee).exists():
        services.pool_member_save(
            actor=recruiter, member=PoolMember(pool=pool, user=trainee, status=PoolMember.Status.TRAINEE)
        )
    return pool


def _shadow_history(organization: Organization, pool: InterviewerPool, trainee: User) -> None:
    """One finished interview the trainee shadowed (the demo's past phone screen): progress 1 of 2."""
    past = Interview.objects.filter(organization=organization, status=Interview.Status.COMPLETED).order_by("pk").first()
    if past is not None and not ShadowAssignment.objects.filter(interview=past, trainee=trainee).exists():
        ShadowAssignment.objects.create(interview=past, trainee=trainee, pool=pool, kind=ShadowAssignment.Kind.SHADOW)


def _link(organization: Organization, recruiter: User, pool: InterviewerPool) -> str:
    candidate = Candidate.objects.get(organization=organization, email="candidate@acme.test")
    stage = PipelineStage.objects.get(pipeline=candidate.position.pipeline, name="System design")  # type: ignore[union-attr]
    now = timezone.now()
    link = (
        SchedulingLink.objects.filter(candidate=candidate, stage=stage)
        .exclude(status=SchedulingLink.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )
    if link is not None and link.status == SchedulingLink.Status.OPEN and link.window_end < now + timedelta(days=7):
        services.scheduling_link_withdraw(actor=recruiter, link=link, reason="demo: window renewed")
        link = None
    if link is None:
        _link_obj, token = services.scheduling_link_create(
            actor=recruiter,
            candidate=candidate,
            stage=stage,
            pool=pool,
            required_interviewers=2,
            window_start=now,
            window_end=now + timedelta(days=21),
            send_email=False,
        )
    else:
        token = services.scheduling_link_resend(actor=recruiter, link=link, send_email=False)
    return services.scheduling_link_url(token)


NOTIFICATIONS = [
    (NotificationKind.INTERVIEW_SCHEDULED, "Cara Candidate's live coding interview is booked"),
    (NotificationKind.SCORECARD_OVERDUE, "A scorecard for Grace Hopper is waiting"),
    (NotificationKind.SHADOW_PROGRESS, "Tomás Trainee shadowed 1 of 2 interviews"),
]


def _notifications(organization: Organization, users: list[User]) -> None:
    for user in users:
        for kind, title in NOTIFICATIONS:
            Notification.objects.get_or_create(
                user=user, organization=organization, kind=kind, title=title, defaults={"url": "/interviews/"}
            )
