"""Periodic messages: interview reminders, overdue-scorecard follow-ups and the recruiters' daily digest.

Each is run by Celery Beat (scheduling/schedules.py) and is idempotent through the delivery
ledger (``ledger.py``): every message has a key naming what it is about, claimed by INSERT before
sending, so a retried task or two beat processes never send it twice. Keys carry what makes a
message new — a reminder's key holds the interview's start, so a reschedule gets new reminders.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import BACK_OFFICE_ROLES, Membership, Organization, User
from accounts.timezones import zone_of
from interviews.models import Interview, Participant, Scorecard
from scheduling.models import NotificationKind, SchedulingLink, SchedulingSettings
from scheduling.notifications.emails import email_send
from scheduling.notifications.ledger import delivery_claim, delivery_done, delivery_release
from scheduling.notifications.recipients import participant_zone, user_zone, when_context
from scheduling.notifications.services import notify

logger = logging.getLogger(__name__)

REMINDER_EMAIL = "scheduling/email/reminder"
SCORECARD_EMAIL = "scheduling/email/scorecard_overdue"
DIGEST_EMAIL = "scheduling/email/digest"
#: an interview that ended longer ago than this is not chased any more (e.g. on the first deploy)
SCORECARD_CHASE_HORIZON = timedelta(days=14)


def _settings_of(org_ids: Iterable[int]) -> dict[int, SchedulingSettings]:
    """Each organization's settings; an unsaved default row for those that have none."""
    ids = set(org_ids)
    found = {s.organization_id: s for s in SchedulingSettings.objects.filter(organization_id__in=ids)}
    return {pk: found.get(pk) or SchedulingSettings(organization_id=pk) for pk in ids}


def _send_once(key: str, kind: str, send: Callable[[], None], now: datetime) -> bool:
    """Claim ``key``, run ``send()``, stamp it sent; False when someone else has (or is) sending it."""
    delivery = delivery_claim(key=key, kind=kind, now=now)
    if delivery is None:
        return False
    try:
        send()
    except Exception:
        delivery_release(delivery=delivery)
        raise
    delivery_done(delivery=delivery)
    return True


def _offset_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
    return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}


# --- reminders -------------------------------------------------------------------------------
def reminder_key(interview: Interview, participant: Participant, offset: int) -> str:
    return f"reminder:{interview.pk}:{participant.pk}:{offset}:{interview.scheduled_at:%Y%m%dT%H%M}"


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send every reminder whose moment (start minus an offset) has just passed; returns how many were sent.

    "Just": within ``REMINDER_WINDOW_MINUTES`` (a few beat intervals), so a beat that was down for
    a while, or an interview booked after its reminder's moment, does not get a late reminder.
    """
    now = now or timezone.now()
    window = timedelta(minutes=settings.REMINDER_WINDOW_MINUTES)
    offsets = {m for row in SchedulingSettings.objects.values_list("reminder_offsets_minutes", flat=True) for m in row}
    offsets |= set(SchedulingSettings().reminder_offsets_minutes)
    if not offsets:
        return 0
    due = (
        Interview.objects.filter(
            status=Interview.Status.SCHEDULED,
            scheduled_at__gt=now,
            scheduled_at__lte=now + timedelta(minutes=max(offsets)),
        )
        .select_related("organization", "stage", "position", "candidate")
        .prefetch_related("participants__user", "participants__candidate")
        .order_by("scheduled_at", "pk")
    )
    interviews = list(due)
    org_settings = _settings_of(i.organization_id for i in interviews)
    sent = 0
    for interview in interviews:
        for offset in org_settings[interview.organization_id].reminder_offsets_minutes:
            moment = interview.scheduled_at - timedelta(minutes=offset)
            if not (now - window < moment <= now) or interview.created_at > moment:
                continue
            for participant in interview.participants.all():
                participant.interview = interview
                sent += _send_once(
                    reminder_key(interview, participant, offset),
                    NotificationKind.REMINDER,
                    partial(_remind, interview, participant, offset),
                    now,
                )
    return sent


def _remind(interview: Interview, participant: Participant, offset: int) -> None:
    zone = participant_zone(participant)
    when = when_context(interview, zone)
    context = {
        **when,
        "interview": interview,
        "participant": participant,
        "offset_text": _offset_text(offset),
        "stage_name": interview.stage.name,
        "position_title": interview.position.title,
    }
    names = {
        "stage": interview.stage.name,
        "candidate": interview.candidate.full_name,
        "org": interview.organization.name,
        "in": _offset_text(offset),
    }
    if participant.user_id:
        notify(
            user=participant.user,  # type: ignore[arg-type]
            kind=NotificationKind.REMINDER,
            title=_("Reminder: %(stage)s with %(candidate)s %(in)s") % names,
            body=_("It starts on %(when)s (%(tz)s).") % {"when": when["when"], "tz": when["tz_name"]},
            url=reverse("interview_detail", kwargs={"pk": interview.pk}),
            organization=interview.organization,
            email_template=REMINDER_EMAIL,
            email_context={**context, "staff": True},
        )
    else:
        email_send(
            to=participant.email,
            template=REMINDER_EMAIL,
            context={**context, "staff": False, "recipient": participant.candidate, "url": ""},
            organization=interview.organization,
        )


# --- overdue scorecards ----------------------------------------------------------------------
@dataclass
class Overdue:
    interview: Interview
    interviewer: User


def _overdue_scorecards(now: datetime, organization: Organization | None = None) -> Iterator[Overdue]:
    """Interviewers of ended interviews who have not submitted their scorecard in time."""
    ended = Interview.objects.filter(
        Q(status=Interview.Status.COMPLETED) | Q(status=Interview.Status.SCHEDULED),
        scheduled_at__gte=now - SCORECARD_CHASE_HORIZON - timedelta(days=1),
        scheduled_at__lte=now,
    )
    if organization is not None:
        ended = ended.filter(organization=organization)
    interviews = list(
        ended.select_related("organization", "stage", "position", "candidate").order_by("scheduled_at", "pk")
    )
    org_settings = _settings_of(i.organization_id for i in interviews)
    submitted = set(
        Scorecard.objects.filter(interview__in=interviews, submitted_at__isnull=False).values_list(
            "interview_id", "author_id"
        )
    )
    panel: dict[int, list[User]] = defaultdict(list)
    for p in Participant.objects.filter(
        interview__in=interviews, role=Participant.Role.INTERVIEWER, user__isnull=False
    ).select_related("user"):
        panel[p.interview_id].append(p.user)  # type: ignore[arg-type]
    for interview in interviews:
        ended_at = interview.ended_at or interview.ends_at
        due_at = ended_at + timedelta(hours=org_settings[interview.organization_id].scorecard_overdue_hours)
        if due_at > now or ended_at < now - SCORECARD_CHASE_HORIZON:
            continue
        for user in panel[interview.pk]:
            if (interview.pk, user.pk) not in submitted:
                yield Overdue(interview, user)


def scorecards_chase_overdue(*, now: datetime | None = None) -> int:
    """Ask each interviewer once for a scorecard that is overdue; returns how many were asked."""
    now = now or timezone.now()
    sent = 0
    for item in _overdue_scorecards(now):
        sent += _send_once(
            f"scorecard:{item.interview.pk}:{item.interviewer.pk}",
            NotificationKind.SCORECARD_OVERDUE,
            partial(_chase, item),
            now,
        )
    return sent


def _chase(item: Overdue) -> None:
    interview = item.interview
    zone = user_zone(item.interviewer, interview)
    names = {"stage": interview.stage.name, "candidate": interview.candidate.full_name}
    notify(
        user=item.interviewer,
        kind=NotificationKind.SCORECARD_OVERDUE,
        title=_("Scorecard overdue: %(candidate)s, %(stage)s") % names,
        body=_("Please submit your feedback so the team can decide."),
        url=reverse("interview_detail", kwargs={"pk": interview.pk}),
        organization=interview.organization,
        email_template=SCORECARD_EMAIL,
        email_context={**when_context(interview, zone), "interview": interview, "stage_name": interview.stage.name},
    )


# --- the recruiters' daily digest ------------------------------------------------------------
@dataclass
class Digest:
    organization: Organization
    local_date: date
    upcoming: list[Interview] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    bookings: list[SchedulingLink] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.upcoming or self.overdue or self.bookings)


def _digest_of(organization: Organization, now: datetime) -> Digest:
    zone = zone_of(organization.time_zone)
    local_date = now.astimezone(zone).date()
    start = datetime.combine(local_date, time(0), tzinfo=zone)
    end = datetime.combine(local_date + timedelta(days=2), time(0), tzinfo=zone)
    upcoming = (
        Interview.objects.filter(
            organization=organization,
            status__in=[Interview.Status.SCHEDULED, Interview.Status.LIVE],
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        )
        .select_related("stage", "position", "candidate", "organization")
        .order_by("scheduled_at", "pk")
    )
    bookings = (
        SchedulingLink.objects.filter(
            organization=organization,
            status=SchedulingLink.Status.BOOKED,
            interview__created_at__gte=now - timedelta(days=1),
        )
        .select_related("candidate", "stage", "interview")
        .order_by("interview__scheduled_at")
    )
    return Digest(
        organization=organization,
        local_date=local_date,
        upcoming=list(upcoming),
        overdue=list(_overdue_scorecards(now, organization)),
        bookings=list(bookings),
    )


def digests_send(*, now: datetime | None = None) -> int:
    """Send each recruiter and admin their organization's digest once a day, at its local ``digest_hour``."""
    now = now or timezone.now()
    organizations = list(Organization.objects.all())
    org_settings = _settings_of(o.pk for o in organizations)
    sent = 0
    for organization in organizations:
        if now.astimezone(zone_of(organization.time_zone)).hour != org_settings[organization.pk].digest_hour:
            continue
        digest = _digest_of(organization, now)
        if digest.empty:
            continue  # nothing to report: no e-mail
        recipients = (
            Membership.objects.filter(organization=organization, role__in=BACK_OFFICE_ROLES, user__is_active=True)
            .select_related("user")
            .order_by("pk")
        )
        for membership in recipients:
            user = membership.user
            sent += _send_once(
                f"digest:{organization.pk}:{user.pk}:{digest.local_date:%Y-%m-%d}",
                NotificationKind.DIGEST,
                partial(_send_digest, digest, user),
                now,
            )
    return sent


def _send_digest(digest: Digest, user: User) -> None:
    zone = zone_of(user.time_zone, digest.organization.time_zone)
    rows = [{"interview": i, **when_context(i, zone)} for i in digest.upcoming]
    overdue = [{"interview": o.interview, "interviewer": o.interviewer} for o in digest.overdue]
    bookings = [{"link": b, **when_context(b.interview, zone)} for b in digest.bookings if b.interview is not None]
    counts = {"n": len(rows), "overdue": len(overdue), "booked": len(bookings)}
    notify(
        user=user,
        kind=NotificationKind.DIGEST,
        title=_("Your daily digest for %(org)s") % {"org": digest.organization.name},
        body=_("%(n)d interviews today and tomorrow, %(overdue)d overdue scorecards, %(booked)d new bookings.")
        % counts,
        url=reverse("admin:index"),
        organization=digest.organization,
        email_template=DIGEST_EMAIL,
        email_context={
            "digest": digest,
            "upcoming": rows,
            "overdue": overdue,
            "bookings": bookings,
            "tz_name": zone.key,
            "local_date": digest.local_date,
        },
    )
