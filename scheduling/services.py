"""Writes of scheduling: availability, pools, self-scheduling links (booking), shadowing.

Booking is the one place where two requests race for the same thing (an interviewer's hour).
Every booking path locks the link row, then the candidate interviewers' ``User`` rows in primary
key order — so two bookings that share interviewers queue up instead of deadlocking — and only
then asks the slot finder again whether the time is still free. The first booking commits its
interview; the second, unblocked, sees it (READ COMMITTED takes a fresh snapshot per statement)
and is refused with a clear message. On SQLite the database lock serializes writers anyway.
"""

from __future__ import annotations

import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, User
from accounts.permissions import user_can
from accounts.services import audit_record
from interviews.models import Candidate, Interview, Participant, PipelineStage
from interviews.services.interviews import (
    _new_token,
    interview_cancel,
    interview_reschedule,
    interview_schedule,
    interview_send_join_links,
    join_token_hash,
)
from scheduling.models import (
    AvailabilityException,
    AvailabilityRule,
    BusyBlock,
    InterviewerPool,
    InterviewerProfile,
    PoolMember,
    SchedulingLink,
    SchedulingSettings,
    ShadowAssignment,
)
from scheduling.permissions import STAFF_ROLES, can_edit_availability, can_manage_scheduling
from scheduling.selectors import Slot, pool_user_ids, slot_free_interviewers, slots_find
from talentsync.errors import NotAllowed, StateError

#: a self-scheduling link offers slots over at most this long a window
MAX_LINK_WINDOW = timedelta(days=60)


# --- helpers -----------------------------------------------------------------------------
def _taken() -> str:
    return _("That time was just taken — pick another.")


def _require_manager(actor: Any, organization: Organization) -> None:
    if not can_manage_scheduling(actor, organization):
        raise NotAllowed(_("Only admins and recruiters of this organization do this."))


def _require_availability(actor: Any, organization: Organization, subject: Any) -> None:
    if not can_edit_availability(actor, organization, subject):
        raise NotAllowed(_("You may only change your own availability."))
    if not Membership.objects.filter(organization=organization, user=subject, role__in=STAFF_ROLES).exists():
        raise ValidationError({"user": _("Only admins, recruiters and interviewers of this organization interview.")})


def _staff_ids(organization: Organization, user_ids: list[int]) -> set[int]:
    return set(
        Membership.objects.filter(organization=organization, role__in=STAFF_ROLES, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )


def scheduling_settings_for(*, organization: Organization) -> SchedulingSettings:
    """The organization's scheduling settings (created with the defaults on first use)."""
    found, _created = SchedulingSettings.objects.get_or_create(organization=organization)
    return found


def validate_zone(name: str) -> str:
    """A known IANA zone name, or a ValidationError."""
    if not name or name not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": _("“%(zone)s” is not a known time zone.") % {"zone": name}})
    return name


# --- availability ------------------------------------------------------------------------
@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int
    start_time: time
    end_time: time


def merge_windows(windows: list[WeeklyWindow]) -> list[WeeklyWindow]:
    """Merge overlapping or touching windows of the same weekday (9–12 and 11–14 become 9–14)."""
    merged: list[WeeklyWindow] = []
    for window in sorted(windows, key=lambda w: (w.weekday, w.start_time)):
        last = merged[-1] if merged else None
        if last is not None and last.weekday == window.weekday and window.start_time <= last.end_time:
            merged[-1] = WeeklyWindow(last.weekday, last.start_time, max(last.end_time, window.end_time))
        else:
            merged.append(window)
    return merged


@transaction.atomic
def availability_rules_replace(
    *, actor: Any, organization: Organization, user: User, windows: list[WeeklyWindow]
) -> list[AvailabilityRule]:
    """Replace a user's weekly availability; overlapping windows of a day are merged into one."""
    _require_availability(actor, organization, user)
    for window in windows:
        if not 0 <= window.weekday <= 6:
            raise ValidationError({"weekday": _("Choose a day of the week.")})
        if window.end_time <= window.start_time:
            raise ValidationError(
                {"end_time": _("%(day)s: the end must be after the start.") % {"day": _weekday(window.weekday)}}
            )
    merged = merge_windows(windows)
    before = [str(r) for r in AvailabilityRule.objects.filter(organization=organization, user=user)]
    AvailabilityRule.objects.filter(organization=organization, user=user).delete()
    rules = []
    for window in merged:
        rule = AvailabilityRule(
            organization=organization,
            user=user,
            weekday=window.weekday,
            start_time=window.start_time,
            end_time=window.end_time,
        )
        rule.full_clean()
        rule.save()
        rules.append(rule)
    audit_record(
        action="availability.weekly_set",
        actor=actor,
        organization=organization,
        target=user,
        changes={"before": before, "after": [str(r) for r in rules]},
    )
    return rules


def _weekday(value: int) -> str:
    return str(AvailabilityRule.Weekday(value).label)


AvailabilityRow = AvailabilityRule | AvailabilityException | BusyBlock


def _check_rule_overlap(rule: AvailabilityRule) -> None:
    clash = (
        AvailabilityRule.objects.filter(
            organization=rule.organization_id,
            user=rule.user_id,
            weekday=rule.weekday,
            start_time__lt=rule.end_time,
            end_time__gt=rule.start_time,
        )
        .exclude(pk=rule.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            _("This window overlaps %(other)s: change that one instead, or make them one window.") % {"other": clash}
        )


@transaction.atomic
def availability_row_save(*, actor: Any, row: AvailabilityRow) -> AvailabilityRow:
    """Create or update one weekly window, dated exception or hand-entered busy time."""
    organization = row.organization
    _require_availability(actor, organization, row.user)
    if isinstance(row, BusyBlock) and row.source != BusyBlock.Source.MANUAL:
        raise StateError(_("Busy time imported from a calendar changes in that calendar."))
    adding = row.pk is None
    row.full_clean()
    if isinstance(row, AvailabilityRule):
        _check_rule_overlap(row)
    row.save()
    audit_record(
        action=f"{row._meta.model_name}.{'create' if adding else 'update'}",
        actor=actor,
        organization=organization,
        target=row,
        changes={"user": row.user.email, "row": str(row)},
    )
    return row


@transaction.atomic
def availability_row_delete(*, actor: Any, row: AvailabilityRow) -> None:
    """Delete one weekly window, dated exception or hand-entered busy time."""
    _require_availability(actor, row.organization, row.user)
    if isinstance(row, BusyBlock) and row.source != BusyBlock.Source.MANUAL:
        raise StateError(_("Busy time imported from a calendar changes in that calendar."))
    audit_record(
        action=f"{row._meta.model_name}.delete",
        actor=actor,
        organization=row.organization,
        target=row,
        changes={"user": row.user.email, "row": str(row)},
    )
    row.delete()


@transaction.atomic
def interviewer_profile_update(
    *,
    actor: Any,
    organization: Organization,
    user: User,
    daily_cap: int,
    weekly_cap: int,
    buffer_minutes: int,
) -> InterviewerProfile:
    """Set a user's load limits (interviews per day and week) and buffer between interviews."""
    _require_availability(actor, organization, user)
    profile, _created = InterviewerProfile.objects.select_for_update().get_or_create(
        organization=organization, user=user
    )
    if daily_cap > weekly_cap:
        raise ValidationError({"daily_cap": _("The daily limit cannot be above the weekly limit.")})
    old = {"daily_cap": profile.daily_cap, "weekly_cap": profile.weekly_cap, "buffer_minutes": profile.buffer_minutes}
    profile.daily_cap, profile.weekly_cap, profile.buffer_minutes = daily_cap, weekly_cap, buffer_minutes
    profile.full_clean()
    profile.save()
    new = {"daily_cap": daily_cap, "weekly_cap": weekly_cap, "buffer_minutes": buffer_minutes}
    audit_record(
        action="interviewerprofile.update",
        actor=actor,
        organization=organization,
        target=profile,
        changes={k: [old[k], v] for k, v in new.items() if old[k] != v},
    )
    return profile


@transaction.atomic
def scheduling_settings_update(*, actor: Any, organization: Organization, data: dict[str, Any]) -> SchedulingSettings:
    """Change the organization's reminder and slot settings (admins)."""
    if not user_can(actor, "scheduling.change_schedulingsettings", organization=organization):
        raise NotAllowed(_("Only admins change the scheduling settings."))
    found = SchedulingSettings.objects.select_for_update().get_or_create(organization=organization)[0]
    allowed = {"reminder_offsets_minutes", "scorecard_overdue_hours", "digest_hour", "min_notice_hours"}
    allowed.add("slot_step_minutes")
    changes = {}
    for field, value in data.items():
        if field not in allowed:
            raise ValidationError({field: _("This setting cannot be changed here.")})
        if getattr(found, field) != value:
            changes[field] = [getattr(found, field), value]
            setattr(found, field, value)
    found.full_clean()
    found.save()
    audit_record(action="schedulingsettings.update", actor=actor, organization=organization, changes=changes)
    return found


# --- pools ---------------------------------------------------------------------------------
@transaction.atomic
def pool_save(*, actor: Any, pool: InterviewerPool) -> InterviewerPool:
    """Create or rename an interviewer pool."""
    _require_manager(actor, pool.organization)
    adding = pool.pk is None
    pool.full_clean()
    pool.save()
    audit_record(action=f"interviewerpool.{'create' if adding else 'update'}", actor=actor, target=pool)
    return pool


@transaction.atomic
def pool_member_save(*, actor: Any, member: PoolMember) -> PoolMember:
    """Add someone to a pool (or change their status); trainees count shadowing towards qualifying."""
    organization = member.pool.organization
    _require_manager(actor, organization)
    if member.user_id not in _staff_ids(organization, [member.user_id]):
        raise ValidationError({"user": _("Only staff of this organization can be in its pools.")})
    adding = member.pk is None
    if member.status == PoolMember.Status.QUALIFIED and member.qualified_at is None:
        member.qualified_at = timezone.now()
    if member.status == PoolMember.Status.TRAINEE:
        member.qualified_at = None
    member.full_clean()
    member.save()
    audit_record(
        action=f"poolmember.{'create' if adding else 'update'}",
        actor=actor,
        organization=organization,
        target=member.pool,
        changes={"user": member.user.email, "status": member.status},
    )
    return member


@transaction.atomic
def pool_member_delete(*, actor: Any, member: PoolMember) -> None:
    """Take someone out of a pool."""
    organization = member.pool.organization
    _require_manager(actor, organization)
    audit_record(
        action="poolmember.delete",
        actor=actor,
        organization=organization,
        target=member.pool,
        changes={"user": member.user.email},
    )
    member.delete()


# --- shadowing -----------------------------------------------------------------------------
def _add_participant(*, interview: Interview, user: User, role: str) -> tuple[Participant, str]:
    # interviews.services has no "add one participant" service; build it as interview_schedule does.
    participant = Participant(interview=interview, user=user, role=role)
    token = _new_token(participant)
    participant.full_clean()
    participant.save()
    return participant, token


@transaction.atomic
def shadow_assign(
    *, actor: Any, interview: Interview, trainee: User, kind: str, pool: InterviewerPool | None = None
) -> ShadowAssignment:
    """Add a trainee to an interview: a shadow observes; a reverse shadow interviews, a qualified one present."""
    from interviews.tasks import join_link_send_task

    organization = interview.organization
    _require_manager(actor, organization)
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if interview.status != Interview.Status.SCHEDULED:
        raise StateError(_("Trainees join scheduled interviews only."))
    if kind not in ShadowAssignment.Kind.values:
        raise ValidationError({"kind": _("Choose shadow or reverse shadow.")})
    memberships = PoolMember.objects.select_related("pool").filter(
        user=trainee, status=PoolMember.Status.TRAINEE, pool__organization=organization
    )
    if pool is not None:
        memberships = memberships.filter(pool=pool)
    member = memberships.order_by("pool__name").first()
    if member is None:
        raise ValidationError({"trainee": _("%(who)s is not a trainee of this pool.") % {"who": trainee}})
    participants = list(interview.participants.all())
    if any(p.user_id == trainee.pk for p in participants):
        raise ValidationError({"trainee": _("%(who)s already takes part in this interview.") % {"who": trainee}})
    if len(participants) + 1 > settings.ROOM_MAX_PARTICIPANTS:
        raise ValidationError({"trainee": _("The room is full.")})
    if kind == ShadowAssignment.Kind.REVERSE_SHADOW:
        panel = [p.user_id for p in participants if p.role == Participant.Role.INTERVIEWER and p.user_id]
        qualified = PoolMember.objects.filter(pool=member.pool, user_id__in=panel, status=PoolMember.Status.QUALIFIED)
        if not qualified.exists():
            raise ValidationError(
                {
                    "kind": _("A reverse shadow needs a qualified interviewer of %(pool)s on the panel.")
                    % {"pool": member.pool}
                }
            )
    role = Participant.Role.OBSERVER if kind == ShadowAssignment.Kind.SHADOW else Participant.Role.INTERVIEWER
    participant, token = _add_participant(interview=interview, user=trainee, role=role)
    assignment = ShadowAssignment(interview=interview, trainee=trainee, pool=member.pool, kind=kind)
    assignment.full_clean()
    assignment.save()
    audit_record(
        action="shadow.assign",
        actor=actor,
        target=interview,
        changes={"trainee": trainee.email, "kind": kind, "pool": member.pool.name},
    )
    transaction.on_commit(partial(join_link_send_task.delay, participant.pk, token))
    return assignment


def pool_member_progress(*, member: PoolMember) -> dict[str, Any]:
    """A trainee's completed shadow and reverse-shadow interviews against what the pool asks."""
    done = ShadowAssignment.objects.filter(
        trainee_id=member.user_id, pool_id=member.pool_id, interview__status=Interview.Status.COMPLETED
    )
    shadows = done.filter(kind=ShadowAssignment.Kind.SHADOW).count()
    reverse = done.filter(kind=ShadowAssignment.Kind.REVERSE_SHADOW).count()
    return {
        "shadow": shadows,
        "shadow_required": member.shadows_required,
        "reverse_shadow": reverse,
        "reverse_shadow_required": member.reverse_shadows_required,
        "ready": shadows >= member.shadows_required and reverse >= member.reverse_shadows_required,
        "qualified": member.status == PoolMember.Status.QUALIFIED,
    }


@transaction.atomic
def pool_member_qualify_if_ready(*, member: PoolMember, actor: Any = None) -> bool:
    """Mark a trainee qualified once their required shadowing is done; True when it happened now."""
    member = (
        PoolMember.objects.select_for_update(of=("self",))
        .select_related("pool__organization", "user")
        .get(pk=member.pk)
    )
    if member.status != PoolMember.Status.TRAINEE or not pool_member_progress(member=member)["ready"]:
        return False
    member.status = PoolMember.Status.QUALIFIED
    member.qualified_at = timezone.now()
    member.save(update_fields=["status", "qualified_at"])
    audit_record(
        action="poolmember.qualify",
        actor=actor,
        organization=member.pool.organization,
        target=member.pool,
        changes={"user": member.user.email},
    )
    return True


# --- self-scheduling links ------------------------------------------------------------------
def scheduling_link_url(token: str) -> str:
    return settings.SITE_URL + reverse("scheduling_self_schedule", kwargs={"token": token})


def scheduling_link_by_token(*, token: str) -> SchedulingLink | None:
    """The link a raw token opens (the token is the only authority), or None."""
    if not token or len(token) > 200:
        return None
    return (
        SchedulingLink.objects.select_related("organization", "candidate__position", "stage", "interview", "pool")
        .filter(token_hash=join_token_hash(token))
        .first()
    )


def _link_user_ids(link: SchedulingLink) -> list[int]:
    if link.pool_id is not None and link.pool is not None:
        return list(pool_user_ids(pool=link.pool))
    return sorted(link.interviewers.values_list("pk", flat=True))


def _booked_interviewer_ids(interview: Interview) -> list[int]:
    return sorted(
        interview.participants.filter(role=Participant.Role.INTERVIEWER, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )


def _rotate(link: SchedulingLink) -> str:
    token = secrets.token_urlsafe(32)
    link.token_hash = join_token_hash(token)
    return token


def _send_link_on_commit(link: SchedulingLink, token: str) -> None:
    from scheduling.booking_tasks import scheduling_link_send_task

    transaction.on_commit(partial(scheduling_link_send_task.delay, link.pk, token))


@transaction.atomic
def scheduling_link_create(
    *,
    actor: Any,
    candidate: Candidate,
    stage: PipelineStage,
    window_start: datetime,
    window_end: datetime,
    pool: InterviewerPool | None = None,
    interviewers: list[User] | None = None,
    required_interviewers: int = 1,
    duration_minutes: int | None = None,
    send_email: bool = True,
) -> tuple[SchedulingLink, str]:
    """Create a candidate's self-scheduling link; returns it and the raw token (shown once, e-mailed)."""
    organization = candidate.organization
    _require_manager(actor, organization)
    interviewers = list(interviewers or [])
    errors: dict[str, str] = {}
    if candidate.position is None:
        errors["candidate"] = _("Assign the candidate to a position first.")
    elif stage.pipeline_id != candidate.position.pipeline_id:
        errors["stage"] = _("The stage must belong to the candidate's position's pipeline.")
    if (pool is None) == (not interviewers):
        errors["pool"] = _("Choose a pool or the interviewers, not both.")
    if pool is not None and pool.organization_id != organization.pk:
        errors["pool"] = _("Choose a pool of this organization.")
    if interviewers and _staff_ids(organization, [u.pk for u in interviewers]) != {u.pk for u in interviewers}:
        errors["interviewers"] = _("Choose interviewers of this organization.")
    people = len(pool_user_ids(pool=pool)) if pool is not None and "pool" not in errors else len(interviewers)
    if not 1 <= required_interviewers <= 5:
        errors["required_interviewers"] = _("Ask for 1 to 5 interviewers.")
    elif required_interviewers > people and "pool" not in errors:
        errors["required_interviewers"] = _("There are only %(n)d interviewers to choose from.") % {"n": people}
    if timezone.is_naive(window_start) or timezone.is_naive(window_end):
        errors["window_start"] = _("Give the window with its time zone.")
    elif window_end <= window_start:
        errors["window_end"] = _("The window must end after it starts.")
    elif window_end <= timezone.now():
        errors["window_end"] = _("The window is already over.")
    elif window_end - window_start > MAX_LINK_WINDOW:
        errors["window_end"] = _("Offer at most %(days)d days.") % {"days": MAX_LINK_WINDOW.days}
    if SchedulingLink.objects.filter(candidate=candidate, stage=stage, status=SchedulingLink.Status.OPEN).exists():
        errors["candidate"] = _("This candidate already has an open link for this stage: resend or cancel it.")
    if errors:
        raise ValidationError(errors)
    link = SchedulingLink(
        organization=organization,
        candidate=candidate,
        stage=stage,
        pool=pool,
        required_interviewers=required_interviewers,
        duration_minutes=duration_minutes or stage.duration_minutes,
        window_start=window_start,
        window_end=window_end,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    token = _rotate(link)
    link.full_clean()
    link.save()
    if interviewers:
        link.interviewers.set(interviewers)
    audit_record(
        action="scheduling_link.create",
        actor=actor,
        target=link,
        changes={
            "candidate": candidate.email,
            "stage": stage.name,
            "pool": pool.name if pool else None,
            "interviewers": [u.email for u in interviewers],
            "window": [window_start.isoformat(), window_end.isoformat()],
        },
    )
    if send_email:
        _send_link_on_commit(link, token)
    return link, token


@transaction.atomic
def scheduling_link_resend(*, actor: Any, link: SchedulingLink, send_email: bool = True) -> str:
    """Give the link a new token (the old URL stops working) and e-mail it; returns the raw token."""
    _require_manager(actor, link.organization)
    link = SchedulingLink.objects.select_for_update().get(pk=link.pk)
    if link.status == SchedulingLink.Status.CANCELLED:
        raise StateError(_("This link was cancelled."))
    token = _rotate(link)
    link.save(update_fields=["token_hash", "updated_at"])
    audit_record(action="scheduling_link.resend", actor=actor, target=link, changes={"email": send_email})
    if send_email:
        _send_link_on_commit(link, token)
    return token


@transaction.atomic
def scheduling_link_withdraw(*, actor: Any, link: SchedulingLink, reason: str = "") -> SchedulingLink:
    """A recruiter cancels a link (and the interview booked through it, if any)."""
    _require_manager(actor, link.organization)
    link = SchedulingLink.objects.select_for_update(of=("self",)).select_related("interview").get(pk=link.pk)
    if link.status == SchedulingLink.Status.CANCELLED:
        raise StateError(_("This link is already cancelled."))
    if link.interview is not None and link.interview.status == Interview.Status.SCHEDULED:
        interview_cancel(interview=link.interview, actor=actor, reason=reason)
    link.status = SchedulingLink.Status.CANCELLED
    link.save(update_fields=["status", "updated_at"])
    audit_record(action="scheduling_link.withdraw", actor=actor, target=link, changes={"reason": reason[:500]})
    return link


def scheduling_link_send(*, link_id: int, token: str) -> bool:
    """E-mail the candidate their self-scheduling link; False (nothing sent) when the token is stale."""
    link = (
        SchedulingLink.objects.select_related("organization", "candidate__position", "stage").filter(pk=link_id).first()
    )
    if link is None or link.token_hash != join_token_hash(token) or link.status == SchedulingLink.Status.CANCELLED:
        return False
    zone = zoneinfo.ZoneInfo(link.candidate_time_zone or link.organization.time_zone or "UTC")
    context = {
        "link": link,
        "organization": link.organization,
        "candidate": link.candidate,
        "url": scheduling_link_url(token),
        "window_end": link.window_end.astimezone(zone),
        "zone": zone.key,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("scheduling/web/email/link_subject.txt", context).strip(),
        body=render_to_string("scheduling/web/email/link_message.txt", context),
        to=[link.candidate.email],
    )
    message.attach_alternative(render_to_string("scheduling/web/email/link_message.html", context), "text/html")
    message.send()
    return True


def _offer_window(link: SchedulingLink, now: datetime) -> tuple[datetime, datetime]:
    return max(link.window_start, now), link.window_end


def scheduling_link_slots(*, link: SchedulingLink) -> list[Slot]:
    """The slots a link offers now: all needed interviewers free (a booked link: its own panel, moved)."""
    now = timezone.now()
    start, end = _offer_window(link, now)
    if end <= start:
        return []
    if link.interview is not None and link.status == SchedulingLink.Status.BOOKED:
        panel = _booked_interviewer_ids(link.interview)
        return slots_find(
            organization=link.organization,
            user_ids=panel,
            required=len(panel),
            duration_minutes=link.interview.duration_minutes,
            window_start=start,
            window_end=end,
            exclude_interview_id=link.interview.pk,
        )
    return slots_find(
        organization=link.organization,
        user_ids=_link_user_ids(link),
        required=link.required_interviewers,
        duration_minutes=link.duration_minutes,
        window_start=start,
        window_end=end,
    )


def _locked_link(token: str) -> SchedulingLink:
    found = scheduling_link_by_token(token=token)
    if found is None:
        raise NotAllowed(_("This scheduling link is not valid."), code="not_found")
    return (
        SchedulingLink.objects.select_for_update(of=("self",))
        .select_related("organization", "candidate__position", "stage", "interview", "pool", "created_by")
        .get(pk=found.pk)
    )


def _check_time(link: SchedulingLink, start: datetime, duration: int) -> None:
    if timezone.is_naive(start):
        raise ValidationError({"start": _("Give the start time with its time zone.")})
    now = timezone.now()
    if link.window_end <= now:
        raise StateError(_("This link has expired. Ask %(org)s for a new one.") % {"org": link.organization})
    notice = timedelta(hours=scheduling_settings_for(organization=link.organization).min_notice_hours)
    if start < now + notice:
        raise StateError(_("That time is too soon now — pick a later one."))
    if start < link.window_start or start + timedelta(minutes=duration) > link.window_end:
        raise ValidationError({"start": _("Pick one of the times offered.")})


def _lock_and_choose(
    *,
    organization: Organization,
    user_ids: list[int],
    required: int,
    start: datetime,
    duration: int,
    exclude_interview_id: int | None = None,
) -> list[User]:
    """Lock the candidate interviewers, recheck the time and pick the ``required`` least loaded."""
    # pk order: every booking takes these locks in the same order, so none can deadlock
    locked = list(User.objects.select_for_update().filter(pk__in=user_ids).order_by("pk"))
    # least loaded first (week's interviews, then the last 28 days), as the slot finder ranks them;
    # no step grid here, so a time a recruiter typed off the grid is judged on its merits
    free = slot_free_interviewers(
        organization=organization,
        user_ids=user_ids,
        start=start,
        end=start + timedelta(minutes=duration),
        exclude_interview_id=exclude_interview_id,
    )
    if len(free) < required:
        raise StateError(_taken(), code="slot_taken")
    chosen = free[:required]
    by_id = {u.pk: u for u in locked}
    return [by_id[pk] for pk in chosen]


@transaction.atomic
def scheduling_link_book(*, token: str, start: datetime, time_zone: str) -> Interview:
    """The candidate books a slot through their link; the interview is scheduled for the recruiter."""
    link = _locked_link(token)
    if link.status != SchedulingLink.Status.OPEN:
        raise StateError(_("This link has already been used to book an interview."))
    zone = validate_zone(time_zone)
    _check_time(link, start, link.duration_minutes)
    interviewers = _lock_and_choose(
        organization=link.organization,
        user_ids=_link_user_ids(link),
        required=link.required_interviewers,
        start=start,
        duration=link.duration_minutes,
    )
    interview, _tokens = interview_schedule(
        candidate=link.candidate,
        stage=link.stage,
        scheduled_at=start,
        interviewers=interviewers,
        duration_minutes=link.duration_minutes,
        actor=link.created_by,
    )
    # nobody from the organization is in the loop: everyone gets their personal join link now
    interview_send_join_links(interview=interview, actor=link.created_by)
    link.status = SchedulingLink.Status.BOOKED
    link.interview = interview
    link.candidate_time_zone = zone
    link.save(update_fields=["status", "interview", "candidate_time_zone", "updated_at"])
    audit_record(
        action="scheduling_link.book",
        organization=link.organization,
        target=link,
        changes={"by": "candidate via self-scheduling link", "starts": start.isoformat(), "time_zone": zone},
    )
    return interview


def _booked(token: str) -> tuple[SchedulingLink, Interview]:
    link = _locked_link(token)
    if link.status != SchedulingLink.Status.BOOKED or link.interview is None:
        raise StateError(_("There is no booking on this link to change."))
    interview = link.interview
    if interview.status != Interview.Status.SCHEDULED:
        raise StateError(_("This interview can no longer be changed here."))
    return link, interview


@transaction.atomic
def scheduling_link_reschedule(*, token: str, start: datetime, time_zone: str) -> Interview:
    """The candidate moves their booking to another slot (the same interviewers)."""
    link, interview = _booked(token)
    zone = validate_zone(time_zone)
    _check_time(link, start, interview.duration_minutes)
    panel = _booked_interviewer_ids(interview)
    _lock_and_choose(
        organization=link.organization,
        user_ids=panel,
        required=len(panel),
        start=start,
        duration=interview.duration_minutes,
        exclude_interview_id=interview.pk,
    )
    old = interview.scheduled_at
    interview = interview_reschedule(interview=interview, scheduled_at=start, actor=link.created_by)
    link.candidate_time_zone = zone
    link.save(update_fields=["candidate_time_zone", "updated_at"])
    audit_record(
        action="scheduling_link.reschedule",
        organization=link.organization,
        target=link,
        changes={"by": "candidate via self-scheduling link", "starts": [old.isoformat(), start.isoformat()]},
    )
    return interview


@transaction.atomic
def scheduling_link_cancel(*, token: str, reason: str = "") -> SchedulingLink:
    """The candidate cancels their booking; the link closes."""
    link, interview = _booked(token)
    interview_cancel(interview=interview, actor=link.created_by, reason=f"Candidate: {reason}"[:500])
    link.status = SchedulingLink.Status.CANCELLED
    link.save(update_fields=["status", "updated_at"])
    audit_record(
        action="scheduling_link.cancel",
        organization=link.organization,
        target=link,
        changes={"by": "candidate via self-scheduling link", "reason": reason[:500]},
    )
    return link


# --- the recruiter's slot finder ------------------------------------------------------------
@transaction.atomic
def slot_schedule(
    *,
    actor: Any,
    candidate: Candidate,
    stage: PipelineStage,
    start: datetime,
    duration_minutes: int,
    user_ids: list[int],
    required: int,
    trainee: User | None = None,
    shadow_kind: str = ShadowAssignment.Kind.SHADOW,
    pool: InterviewerPool | None = None,
) -> Interview:
    """Schedule an interview at a slot the finder suggested, rechecked under the same locks as a booking."""
    organization = candidate.organization
    _require_manager(actor, organization)
    if timezone.is_naive(start):
        raise ValidationError({"start": _("Give the start time with its time zone.")})
    interviewers = _lock_and_choose(
        organization=organization, user_ids=user_ids, required=required, start=start, duration=duration_minutes
    )
    interview, _tokens = interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=start,
        interviewers=interviewers,
        duration_minutes=duration_minutes,
        actor=actor,
    )
    if trainee is not None:
        shadow_assign(actor=actor, interview=interview, trainee=trainee, kind=shadow_kind, pool=pool)
    return interview


def local_day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local calendar day starts and ends at (DST days are 23 or 25 hours)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(zoneinfo.ZoneInfo("UTC")), end.astimezone(zoneinfo.ZoneInfo("UTC"))
