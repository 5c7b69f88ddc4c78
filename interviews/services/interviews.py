"""Writes for interviews: schedule, join links (personal, revocable, expiring), plan, cancel."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
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

from accounts.models import Membership, Organization, Role, User
from accounts.permissions import user_can
from accounts.services import audit_record
from interviews import events
from interviews.models import Candidate, Interview, InterviewQuestionPlan, Participant, PipelineStage, StageQuestion
from interviews.services.pipelines import _org_questions
from interviews.signals import InterviewChange, send_interview_changed
from talentsync.errors import NotAllowed, StateError

#: join links keep working this long after the scheduled end (overruns, late feedback chats)
LINK_GRACE = timedelta(hours=2)
STAFF_ROLES = (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER)


def join_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_url(token: str) -> str:
    return settings.SITE_URL + reverse("interview_join", kwargs={"token": token})


def dsa_url(token: str) -> str:
    """The candidate's async coding assessment link (DESIGN §4.3): same token, ``/v1/dsa/<token>/``."""
    return settings.SITE_URL + reverse("dsa_page", kwargs={"token": token})


def _link_expiry(interview: Interview) -> datetime:
    return interview.ends_at + LINK_GRACE


def _new_token(participant: Participant) -> str:
    token = secrets.token_urlsafe(32)
    participant.token_hash = join_token_hash(token)
    participant.token_expires_at = _link_expiry(participant.interview)
    participant.revoked_at = None
    return token


def _changed_on_commit(interview: Interview, change: InterviewChange, actor: Any) -> None:
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(partial(send_interview_changed, interview_id=interview.pk, change=change, actor_id=actor_id))


def _require(actor: Any, action: str, organization: Organization) -> None:
    if not user_can(actor, action, organization=organization):
        raise NotAllowed(_("Only admins and recruiters schedule interviews."))


@transaction.atomic
def interview_schedule(
    *,
    candidate: Candidate,
    stage: PipelineStage,
    scheduled_at: datetime,
    interviewers: list[User],
    actor: Any,
    observers: list[User] | None = None,
    duration_minutes: int | None = None,
    question_ids: list[int] | None = None,
) -> tuple[Interview, dict[int, str]]:
    """Schedule an interview; returns it and each participant's raw join token by participant id.

    The plan is the stage's questions unless ``question_ids`` are given.
    """
    organization = candidate.organization
    _require(actor, "interviews.add_interview", organization)
    errors: dict[str, Any] = {}
    if timezone.is_naive(scheduled_at):
        errors["scheduled_at"] = _("Give the start time with its time zone (e.g. 2026-05-04T09:00:00Z).")
    if candidate.position is None:
        errors["candidate"] = _("Assign the candidate to a position first.")
    elif stage.pipeline_id != candidate.position.pipeline_id:
        errors["stage"] = _("The stage must belong to the candidate's position's pipeline.")
    observers = observers or []
    people = [*interviewers, *observers]
    if not interviewers:
        errors["interviewers"] = _("Choose at least one interviewer.")
    if len({u.pk for u in people}) != len(people):
        errors["interviewers"] = _("Each person can take part only once.")
    if len(people) + 1 > settings.ROOM_MAX_PARTICIPANTS:
        errors["interviewers"] = _("A room holds at most %(n)d people, the candidate included.") % {
            "n": settings.ROOM_MAX_PARTICIPANTS
        }
    members = set(
        Membership.objects.filter(organization=organization, role__in=STAFF_ROLES, user__in=people).values_list(
            "user_id", flat=True
        )
    )
    strangers = [u.email for u in people if u.pk not in members]
    if strangers:
        errors["interviewers"] = _("Not interviewers of this organization: %(emails)s.") % {
            "emails": ", ".join(strangers)
        }
    if errors:
        raise ValidationError(errors)

    interview = Interview(
        organization=organization,
        candidate=candidate,
        position=candidate.position,
        stage=stage,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes or stage.duration_minutes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    interview.full_clean()
    interview.save()
    tokens: dict[int, str] = {}
    rows: list[tuple[User | None, Candidate | None, str]] = [(None, candidate, Participant.Role.CANDIDATE)]
    rows += [(u, None, Participant.Role.INTERVIEWER) for u in interviewers]
    rows += [(u, None, Participant.Role.OBSERVER) for u in observers]
    for user, cand, role in rows:
        participant = Participant(interview=interview, user=user, candidate=cand, role=role)
        token = _new_token(participant)
        participant.full_clean()
        participant.save()
        tokens[participant.pk] = token
    if question_ids is None:
        question_ids = list(StageQuestion.objects.filter(stage=stage).values_list("question_id", flat=True))
    interview_plan_set(interview=interview, question_ids=question_ids, actor=actor, audit=False)
    audit_record(
        action="interview.schedule",
        actor=actor,
        target=interview,
        changes={"scheduled_at": scheduled_at.isoformat(), "interviewers": [u.email for u in interviewers]},
    )
    _changed_on_commit(interview, "scheduled", actor)
    return interview, tokens


@transaction.atomic
def interview_plan_set(*, interview: Interview, question_ids: list[int], actor: Any, audit: bool = True) -> None:
    """Replace an interview's ordered question plan."""
    _require(actor, "interviews.change_interview", interview.organization)
    if len(set(question_ids)) != len(question_ids):
        raise ValidationError({"question_ids": _("A question can be planned only once.")})
    questions = _org_questions(interview.organization, question_ids)
    InterviewQuestionPlan.objects.filter(interview=interview).delete()
    InterviewQuestionPlan.objects.bulk_create(
        [InterviewQuestionPlan(interview=interview, question=q, order=i) for i, q in enumerate(questions)]
    )
    if audit:
        audit_record(action="interview.plan", actor=actor, target=interview, changes={"questions": question_ids})


def _open(interview: Interview) -> None:
    if interview.status not in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        raise StateError(_("This interview is %(status)s.") % {"status": interview.get_status_display()})


@transaction.atomic
def participant_issue_link(*, participant: Participant, actor: Any) -> str:
    """Give a participant a new join link (the old one stops working); returns the raw token."""
    _require(actor, "interviews.change_participant", participant.interview.organization)
    _open(participant.interview)
    participant = Participant.objects.select_for_update().select_related("interview").get(pk=participant.pk)
    token = _new_token(participant)
    participant.save(update_fields=["token_hash", "token_expires_at", "revoked_at"])
    audit_record(
        action="participant.new_link",
        actor=actor,
        target=participant.interview,
        changes={"participant": participant.email},
    )
    return token


@transaction.atomic
def participant_revoke_link(*, participant: Participant, actor: Any) -> Participant:
    """Make a participant's join link stop working at once."""
    _require(actor, "interviews.change_participant", participant.interview.organization)
    participant.revoked_at = timezone.now()
    participant.save(update_fields=["revoked_at"])
    audit_record(
        action="participant.revoke_link",
        actor=actor,
        target=participant.interview,
        changes={"participant": participant.email},
    )
    return participant


@transaction.atomic
def interview_send_join_links(*, interview: Interview, actor: Any) -> int:
    """E-mail every participant a fresh personal join link (sent by a worker after commit)."""
    from interviews.tasks import join_link_send_task

    _require(actor, "interviews.change_participant", interview.organization)
    _open(interview)
    sent = 0
    for participant in interview.participants.select_related("user", "candidate", "interview"):
        token = participant_issue_link(participant=participant, actor=actor)
        transaction.on_commit(partial(join_link_send_task.delay, participant.pk, token))
        sent += 1
    Participant.objects.filter(interview=interview).update(links_sent_at=timezone.now())
    audit_record(action="interview.send_links", actor=actor, target=interview, changes={"participants": sent})
    return sent


def join_link_send(*, participant_id: int, token: str) -> bool:
    """E-mail one participant their link; False (nothing sent) when the link is no longer theirs."""
    participant = (
        Participant.objects.select_related(
            "interview__organization", "interview__stage", "interview__position", "user", "candidate"
        )
        .filter(pk=participant_id)
        .first()
    )
    if participant is None or participant.token_hash != join_token_hash(token) or not participant.token_usable():
        return False
    interview = participant.interview
    context = {
        "participant": participant,
        "interview": interview,
        "organization": interview.organization,
        "url": join_url(token),
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("interviews/email/join_subject.txt", context).strip(),
        body=render_to_string("interviews/email/join_message.txt", context),
        to=[participant.email],
    )
    message.attach_alternative(render_to_string("interviews/email/join_message.html", context), "text/html")
    message.send()
    return True


@transaction.atomic
def interview_cancel(*, interview: Interview, actor: Any, reason: str = "") -> Interview:
    """Cancel a scheduled interview; its join links stop working."""
    _require(actor, "interviews.change_interview", interview.organization)
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if interview.status != Interview.Status.SCHEDULED:
        raise StateError(
            _("Only a scheduled interview can be cancelled (this one is %(status)s).")
            % {"status": interview.get_status_display()}
        )
    interview.status = Interview.Status.CANCELLED
    interview.save(update_fields=["status", "updated_at"])
    audit_record(action="interview.cancel", actor=actor, target=interview, changes={"reason": reason[:500]})
    # anyone already waiting in the room (it opens before the start) is sent away
    events.broadcast_on_commit(
        events.room_group(interview.room_id), {"type": "room.closed", "reason": _("This interview was cancelled.")}
    )
    _changed_on_commit(interview, "cancelled", actor)
    return interview


@transaction.atomic
def interview_reschedule(
    *, interview: Interview, scheduled_at: datetime, actor: Any, duration_minutes: int | None = None
) -> Interview:
    """Move an interview; its join links follow the new time."""
    _require(actor, "interviews.change_interview", interview.organization)
    if interview.status != Interview.Status.SCHEDULED:
        raise StateError(_("Only a scheduled interview can be moved."))
    if timezone.is_naive(scheduled_at):
        raise ValidationError({"scheduled_at": _("Give the start time with its time zone.")})
    old = interview.scheduled_at
    interview.scheduled_at = scheduled_at
    if duration_minutes:
        interview.duration_minutes = duration_minutes
    interview.full_clean()
    interview.save()
    Participant.objects.filter(interview=interview).update(token_expires_at=_link_expiry(interview))
    audit_record(
        action="interview.reschedule",
        actor=actor,
        target=interview,
        changes={"scheduled_at": [old.isoformat(), scheduled_at.isoformat()]},
    )
    _changed_on_commit(interview, "rescheduled", actor)
    return interview
