"""Reads of the hiring domain; every list is scoped to the actor's organization and rights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, Role
from accounts.permissions import user_can
from interviews.models import (
    Candidate,
    CandidateNote,
    DocumentUpdate,
    Interview,
    InterviewQuestion,
    InterviewQuestionPlan,
    Participant,
    PipelineTemplate,
    Position,
    RoomDocument,
    Scorecard,
    StageMove,
)
from interviews.services.interviews import join_token_hash

PANEL_ROLES = (Participant.Role.INTERVIEWER, Participant.Role.OBSERVER)


def _panel_interviews(actor: Any) -> QuerySet[Interview]:
    if getattr(actor, "pk", None) is None:
        return Interview.objects.none()
    return Interview.objects.filter(participants__user=actor, participants__role__in=PANEL_ROLES)


def interview_list(*, actor: Any, organization: Organization) -> QuerySet[Interview]:
    """Interviews the actor may see: all for hiring staff, their own for interviewers."""
    base = Interview.objects.for_org(organization).select_related("candidate", "position", "stage")
    if user_can(actor, "interviews.view_interview", organization=organization):
        return base
    return base.filter(pk__in=_panel_interviews(actor).values("pk"))


def interview_get(*, actor: Any, organization: Organization, pk: Any) -> Interview | None:
    return interview_list(actor=actor, organization=organization).filter(pk=pk).first()


def candidate_list(*, actor: Any, organization: Organization) -> QuerySet[Candidate]:
    """Candidates the actor may see: all for hiring staff, those they interview for interviewers."""
    base = Candidate.objects.for_org(organization).select_related("position", "current_stage").prefetch_related("tags")
    if user_can(actor, "interviews.view_candidate", organization=organization):
        return base
    return base.filter(pk__in=_panel_interviews(actor).values("candidate_id"))


def position_list(*, actor: Any, organization: Organization) -> QuerySet[Position]:
    if not user_can(actor, "interviews.view_position", organization=organization):
        return Position.objects.none()
    return Position.objects.for_org(organization).select_related("hiring_manager", "pipeline")


def pipeline_list(*, actor: Any, organization: Organization) -> QuerySet[PipelineTemplate]:
    if not user_can(actor, "interviews.view_pipelinetemplate", organization=organization):
        return PipelineTemplate.objects.none()
    return PipelineTemplate.objects.for_org(organization).prefetch_related("stages")


def question_list(*, actor: Any, organization: Organization) -> QuerySet[InterviewQuestion]:
    if not user_can(actor, "interviews.view_interviewquestion", organization=organization):
        return InterviewQuestion.objects.none()
    return InterviewQuestion.objects.for_org(organization).prefetch_related("tags")


def question_plan(*, interview: Interview) -> QuerySet[InterviewQuestionPlan]:
    """The interview's ordered questions (with hints and guides: callers check who may see them)."""
    return InterviewQuestionPlan.objects.filter(interview=interview).select_related("question").order_by("order", "pk")


def scorecard_list_visible(*, actor: Any, interview: Interview) -> QuerySet[Scorecard]:
    """Scorecards of an interview the actor may read.

    Hiring staff read every submitted one. An interviewer reads their own, and the others'
    submitted ones only after submitting their own (no anchoring on colleagues' ratings).
    """
    base = Scorecard.objects.filter(interview=interview).select_related("author")
    if user_can(actor, "interviews.view_scorecard", interview):
        return base.filter(submitted_at__isnull=False)
    if getattr(actor, "pk", None) is None:
        return base.none()
    own_submitted = base.filter(author=actor, submitted_at__isnull=False).exists()
    if own_submitted:
        return base.filter(Q(author=actor) | Q(submitted_at__isnull=False))
    return base.filter(author=actor)


def scorecard_list(*, actor: Any, organization: Organization) -> QuerySet[Scorecard]:
    """Submitted scorecards of the organization, for hiring staff (the API's scorecard resource)."""
    if not user_can(actor, "interviews.view_scorecard", organization=organization):
        return Scorecard.objects.none()
    return Scorecard.objects.filter(interview__organization=organization, submitted_at__isnull=False).select_related(
        "author", "interview"
    )


def note_list_visible(*, actor: Any, candidate: Candidate) -> QuerySet[CandidateNote]:
    """Notes on a candidate: all for hiring staff, shared (non-private) ones for their interviewers."""
    base = CandidateNote.objects.filter(candidate=candidate).select_related("author")
    if user_can(actor, "interviews.view_private_note", candidate):
        return base
    interviews_them = _panel_interviews(actor).filter(candidate=candidate).exists()
    return base.filter(is_private=False) if interviews_them else base.none()


def participant_get_by_token(*, token: str) -> Participant | None:
    """The participant a join link belongs to (whether or not it still works), or None."""
    if not token or len(token) > 128:
        return None
    return (
        Participant.objects.select_related(
            "interview__organization", "interview__stage", "interview__position", "user", "candidate"
        )
        .filter(token_hash=join_token_hash(token))
        .first()
    )


def my_interviews(*, user: Any, organization: Organization) -> QuerySet[Interview]:
    """The interviews ``user`` takes part in (any role) in ``organization``, soonest first."""
    mine = Participant.objects.filter(interview=OuterRef("pk"), user=user)
    as_candidate = Participant.objects.filter(interview=OuterRef("pk"), candidate__user=user)
    return (
        Interview.objects.for_org(organization)
        .filter(Q(Exists(mine)) | Q(Exists(as_candidate)))
        .select_related("candidate", "position", "stage")
        .prefetch_related(Prefetch("participants", queryset=Participant.objects.select_related("user", "candidate")))
        .order_by("scheduled_at")
    )


def panel_interviews(*, user: Any, organization: Organization) -> QuerySet[Interview]:
    """Interviews of ``organization`` where ``user`` sits on the panel (interviewer or observer)."""
    panel = Participant.objects.filter(user=user, role__in=PANEL_ROLES).values("interview_id")
    return my_interviews(user=user, organization=organization).filter(pk__in=panel)


def candidate_rows_for_user(*, user: Any, membership: Membership) -> QuerySet[Candidate]:
    """The candidate rows that are this person in the membership's organization.

    A row linked to their account always counts. An unlinked row counts when its e-mail is the
    person's verified address and they are a candidate member, so nobody reaches someone
    else's interview by signing up with an address they do not own.
    """
    match = Q(user=user)
    if (
        membership.role == Role.CANDIDATE
        and user.email
        and EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    ):
        match |= Q(user__isnull=True, email__iexact=user.email)
    return Candidate.objects.for_org(membership.organization).filter(match)


def candidate_interviews(*, user: Any, membership: Membership) -> QuerySet[Interview]:
    """Interviews of the membership's organization in which ``user`` is the candidate, soonest first."""
    return (
        Interview.objects.for_org(membership.organization)
        .filter(candidate__in=candidate_rows_for_user(user=user, membership=membership).values("pk"))
        .select_related("position", "stage", "organization")
        .order_by("scheduled_at")
    )


@dataclass
class TimelineEntry:
    when: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    badge: str = ""


def candidate_timeline(*, actor: Any, candidate: Candidate) -> list[TimelineEntry]:
    """Interviews, submitted scorecards, notes and stage moves of a candidate, newest first."""
    organization = candidate.organization
    entries: list[TimelineEntry] = []
    interviews = (
        interview_list(actor=actor, organization=organization)
        .filter(candidate=candidate)
        .prefetch_related(Prefetch("participants", queryset=Participant.objects.select_related("user")))
    )
    for interview in interviews:
        panel = ", ".join(p.display_name for p in interview.participants.all() if p.user_id)
        entries.append(
            TimelineEntry(
                when=interview.scheduled_at,
                kind="interview",
                title=_("%(stage)s interview for %(position)s")
                % {"stage": interview.stage.name, "position": interview.position.title},
                detail=_("With %(panel)s · %(minutes)d minutes")
                % {"panel": panel or "—", "minutes": interview.duration_minutes},
                url=reverse("admin:interviews_interview_change", args=[interview.pk]),
                badge=interview.get_status_display(),
            )
        )
    scorecards = scorecard_list(actor=actor, organization=organization).filter(interview__candidate=candidate)
    for scorecard in scorecards.select_related("interview__stage"):
        entries.append(
            TimelineEntry(
                when=scorecard.submitted_at or scorecard.updated_at,  # the selector returns submitted ones
                kind="scorecard",
                title=_("Scorecard by %(author)s (%(stage)s)")
                % {"author": scorecard.author, "stage": scorecard.interview.stage.name},
                detail=scorecard.comments,
                url=reverse("admin:interviews_scorecard_change", args=[scorecard.pk]),
                badge=scorecard.get_recommendation_display(),
            )
        )
    for note in note_list_visible(actor=actor, candidate=candidate):
        entries.append(
            TimelineEntry(
                when=note.created_at,
                kind="note",
                title=_("Note by %(author)s") % {"author": note.author or _("someone removed")},
                detail=note.body,
                badge=str(_("private")) if note.is_private else str(_("shared with interviewers")),
            )
        )
    moves = StageMove.objects.filter(candidate=candidate).select_related("from_stage", "to_stage", "moved_by")
    for move in moves:
        entries.append(
            TimelineEntry(
                when=move.moved_at,
                kind="stage",
                title=_("Moved to %(stage)s") % {"stage": move.to_stage.name if move.to_stage else _("no stage")}
                if move.from_stage
                else _("Entered the pipeline at %(stage)s") % {"stage": move.to_stage.name if move.to_stage else "—"},
                detail=_("from %(stage)s") % {"stage": move.from_stage.name} if move.from_stage else "",
                badge=str(move.moved_by) if move.moved_by else "",
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


@dataclass(frozen=True)
class RoomQuestion:
    """One planned question as the room's "My Questions" panel shows it to those who may lead."""

    id: int  # the question's id: what push_question sends
    text: str
    difficulty: str
    hints: str
    guide: str
    follow_ups: list[str]


def interview_plan_for_room(*, participant: Participant) -> list[RoomQuestion]:
    """The question plan for the room page: everything for those who may lead, nothing for others.

    Candidates, and observers who are not hiring staff, get an empty list, so the page cannot
    render a hint or an answer guide for them whatever the template does; they see a question
    only when an interviewer pushes it (and then its text alone, built by the server).
    """
    # services.rooms imports this module at load time; importing it here avoids the cycle
    from interviews.services.rooms import participant_may_lead

    if not participant_may_lead(participant):
        return []
    return [
        RoomQuestion(
            id=item.question_id,
            text=item.question.question_text,
            difficulty=item.question.get_difficulty_display(),
            hints=item.question.interviewer_hints,
            guide=item.question.expected_answer_guide,
            follow_ups=[str(f) for f in item.question.follow_up_questions or []],
        )
        for item in question_plan(interview=participant.interview)
    ]


@dataclass(frozen=True)
class PlaybackTarget:
    """An interview whose code playback the actor may watch, and its code document if any was written."""

    interview: Interview
    #: None when nobody wrote in the editor (no document, or a document without updates)
    document: RoomDocument | None


def document_playback_get(*, actor: Any, organization: Organization, interview_id: Any) -> PlaybackTarget | None:
    """The interview and its code document for playback, or None when the actor may not watch it.

    The organization's hiring staff watch every interview; interviewers and observers only those
    they sit on the panel of (``interview_list``). Nobody watches an interview in which they are
    the candidate, whatever their role: the replay shows how the panel saw them work.
    """
    interviews = interview_list(actor=actor, organization=organization).filter(pk=interview_id)
    if getattr(actor, "pk", None) is not None:
        interviews = interviews.exclude(candidate__user=actor)
    interview = interviews.first()
    if interview is None:
        return None
    written = Exists(DocumentUpdate.objects.filter(document=OuterRef("pk")))
    document = RoomDocument.objects.filter(written, interview=interview, name=RoomDocument.Name.CODE).first()
    return PlaybackTarget(interview=interview, document=document)


def interview_has_code(*, interview: Interview) -> bool:
    """Whether anyone wrote in the interview's code editor (so a playback has something to show)."""
    return DocumentUpdate.objects.filter(document__interview=interview, document__name=RoomDocument.Name.CODE).exists()
