"""Writes for candidates: create, update, move through the pipeline, decide, notes and tags."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import user_can
from accounts.services import audit_record
from interviews.models import Candidate, CandidateNote, Interview, PipelineStage, StageMove
from interviews.services.pipelines import tags_get_or_create
from talentsync.errors import NotAllowed, StateError


def _require(actor: Any, action: str, organization: Organization) -> None:
    if not user_can(actor, action, organization=organization):
        raise NotAllowed(_("Only admins and recruiters manage candidates."))


def _first_stage(candidate: Candidate) -> PipelineStage | None:
    position = candidate.position
    if position is not None and position.pipeline is not None:
        return position.pipeline.stages.order_by("order").first()
    return None


@transaction.atomic
def candidate_create(
    *, organization: Organization, actor: Any, tags: list[str] | None = None, **fields: Any
) -> Candidate:
    """Add a candidate; with a position, they enter its pipeline's first stage."""
    _require(actor, "interviews.add_candidate", organization)
    candidate = Candidate(organization=organization, **fields)
    if candidate.position is not None and candidate.position.organization_id != organization.pk:
        raise ValidationError({"position": _("Choose a position of this organization.")})
    if not candidate.current_stage_id:
        candidate.current_stage = _first_stage(candidate)
    candidate.full_clean()
    candidate.save()
    if tags:
        candidate.tags.set(tags_get_or_create(organization=organization, names=tags))
    if candidate.current_stage_id:
        StageMove.objects.create(
            candidate=candidate, from_stage=None, to_stage=candidate.current_stage, moved_by=_user(actor)
        )
    audit_record(action="candidate.create", actor=actor, target=candidate)
    return candidate


@transaction.atomic
def candidate_update(
    *, candidate: Candidate, actor: Any, data: dict[str, Any], tags: list[str] | None = None
) -> Candidate:
    """Change a candidate's details (stage moves go through ``candidate_move_stage``)."""
    _require(actor, "interviews.change_candidate", candidate.organization)
    if "current_stage" in data or "current_stage_id" in data:
        raise ValidationError({"current_stage": _("Move the candidate to another stage with the move action.")})
    changes = {}
    for field, value in data.items():
        if getattr(candidate, field) != value:
            changes[field] = [str(getattr(candidate, field)), str(value)]
        setattr(candidate, field, value)
    stage, position = candidate.current_stage, candidate.position
    if "position" in data and stage is not None and (position is None or stage.pipeline_id != position.pipeline_id):
        candidate.current_stage = _first_stage(candidate)
    candidate.full_clean()
    candidate.save()
    if tags is not None:
        candidate.tags.set(tags_get_or_create(organization=candidate.organization, names=tags))
        changes["tags"] = sorted(tags)
    if changes:
        audit_record(action="candidate.update", actor=actor, target=candidate, changes=changes)
    return candidate


@transaction.atomic
def candidate_move_stage(*, candidate: Candidate, stage: PipelineStage | None, actor: Any) -> Candidate:
    """Put a candidate into ``stage`` of their position's pipeline (None: out of the pipeline)."""
    _require(actor, "interviews.change_candidate", candidate.organization)
    candidate = Candidate.objects.select_for_update(of=("self",)).select_related("position").get(pk=candidate.pk)
    position = candidate.position
    if stage is not None and (position is None or stage.pipeline_id != position.pipeline_id):
        raise ValidationError({"current_stage": _("The stage must belong to the position's pipeline.")})
    if stage == candidate.current_stage:
        return candidate
    previous = candidate.current_stage
    candidate.current_stage = stage
    candidate.save(update_fields=["current_stage", "updated_at"])
    StageMove.objects.create(candidate=candidate, from_stage=previous, to_stage=stage, moved_by=_user(actor))
    audit_record(
        action="candidate.move_stage",
        actor=actor,
        target=candidate,
        changes={"stage": [previous.name if previous else None, stage.name if stage else None]},
    )
    return candidate


@transaction.atomic
def candidate_decide(*, candidate: Candidate, outcome: str, actor: Any) -> Candidate:
    """Record the hiring decision (hired, rejected, withdrew) — or reopen with ``active``.

    The candidate stays in the stage they were in, so reports can tell where people dropped off;
    ``decided_at`` is when the decision was made (cleared on reopening).
    """
    _require(actor, "interviews.change_candidate", candidate.organization)
    if outcome not in Candidate.Outcome.values:
        raise ValidationError({"outcome": _("Choose one of: %(ok)s.") % {"ok": ", ".join(Candidate.Outcome.values)}})
    candidate = Candidate.objects.select_for_update(of=("self",)).get(pk=candidate.pk)
    if candidate.outcome == outcome:
        return candidate
    previous = candidate.outcome
    candidate.outcome = outcome
    candidate.decided_at = None if outcome == Candidate.Outcome.ACTIVE else timezone.now()
    candidate.save(update_fields=["outcome", "decided_at", "updated_at"])
    audit_record(action="candidate.decide", actor=actor, target=candidate, changes={"outcome": [previous, outcome]})
    return candidate


@transaction.atomic
def candidate_move_to_next_stage(*, candidate: Candidate, actor: Any) -> Candidate:
    """Move a candidate one stage further along their pipeline."""
    candidate = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("position__pipeline", "current_stage")
        .get(pk=candidate.pk)
    )
    pipeline = candidate.position.pipeline if candidate.position is not None else None
    if pipeline is None:
        raise StateError(_("%(name)s has no position with a pipeline.") % {"name": candidate.full_name})
    stages = list(pipeline.stages.order_by("order"))
    current = candidate.current_stage
    if current is None:
        return candidate_move_stage(candidate=candidate, stage=stages[0] if stages else None, actor=actor)
    later = [s for s in stages if s.order > current.order]
    if not later:
        raise StateError(_("%(name)s is already at the last stage.") % {"name": candidate.full_name})
    return candidate_move_stage(candidate=candidate, stage=later[0], actor=actor)


@transaction.atomic
def note_add(*, candidate: Candidate, author: Any, body: str, is_private: bool = True) -> CandidateNote:
    """Write a note on a candidate (admins and recruiters)."""
    _require(author, "interviews.add_candidatenote", candidate.organization)
    note = CandidateNote(candidate=candidate, author=_user(author), body=body.strip(), is_private=is_private)
    if not note.body:
        raise ValidationError({"body": _("Write something first.")})
    note.full_clean()
    note.save()
    audit_record(action="candidate.note", actor=author, target=candidate, changes={"private": is_private})
    return note


def _user(actor: Any) -> Any:
    """The actor as a user row (None for an API key)."""
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def candidate_delete(*, candidate: Candidate, actor: Any) -> None:
    """Delete a candidate with their past interviews and feedback (not while one is upcoming)."""
    if not user_can(actor, "interviews.delete_candidate", candidate):
        raise NotAllowed(_("Only admins and recruiters manage candidates."))
    if candidate.interviews.filter(status__in=(Interview.Status.SCHEDULED, Interview.Status.LIVE)).exists():
        raise StateError(_("Cancel the candidate's upcoming interviews first."), code="candidate_has_interviews")
    audit_record(action="candidate.delete", actor=actor, target=candidate)
    candidate.delete()
