"""Writes for pipelines, positions and the question bank."""

from __future__ import annotations

from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import user_can
from accounts.services import audit_record
from interviews.models import InterviewQuestion, PipelineStage, PipelineTemplate, Position, StageQuestion, Tag
from talentsync.errors import NotAllowed, StateError


class StageSpec(TypedDict, total=False):
    name: str
    stage_type: str
    duration_minutes: int
    tools_config: dict[str, bool]
    dsa_config: dict[str, Any]
    criteria: list[str]
    question_ids: list[int]


def _require(actor: Any, action: str, organization: Organization, message: str) -> None:
    if not user_can(actor, action, organization=organization):
        raise NotAllowed(message)


def _org_questions(organization: Organization, ids: list[int]) -> list[InterviewQuestion]:
    questions = {q.pk: q for q in InterviewQuestion.objects.filter(organization=organization, pk__in=ids)}
    missing = [i for i in ids if i not in questions]
    if missing:
        raise ValidationError(
            {"question_ids": _("Unknown questions: %(ids)s.") % {"ids": ", ".join(map(str, missing))}}
        )
    return [questions[i] for i in ids]


@transaction.atomic
def pipeline_create(
    *, organization: Organization, name: str, stages: list[StageSpec], actor: Any, description: str = ""
) -> PipelineTemplate:
    """Create a pipeline with its ordered stages (and each stage's questions)."""
    _require(actor, "interviews.add_pipelinetemplate", organization, _("Only admins and recruiters manage pipelines."))
    if not stages:
        raise ValidationError({"stages": _("A pipeline needs at least one stage.")})
    pipeline = PipelineTemplate(organization=organization, name=name, description=description)
    pipeline.full_clean()
    pipeline.save()
    for order, spec in enumerate(stages, start=1):
        stage_add(pipeline=pipeline, spec=spec, order=order, actor=actor, audit=False)
    audit_record(action="pipeline.create", actor=actor, target=pipeline, changes={"stages": len(stages)})
    return pipeline


@transaction.atomic
def stage_add(
    *, pipeline: PipelineTemplate, spec: StageSpec, actor: Any, order: int | None = None, audit: bool = True
) -> PipelineStage:
    """Append a stage to a pipeline."""
    _require(
        actor, "interviews.add_pipelinestage", pipeline.organization, _("Only admins and recruiters manage pipelines.")
    )
    if order is None:
        order = (pipeline.stages.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    question_ids = list(spec.get("question_ids", []))
    fields = {k: v for k, v in spec.items() if k != "question_ids"}
    stage = PipelineStage(pipeline=pipeline, order=order, **fields)
    stage.full_clean()
    stage.save()
    for position, question in enumerate(_org_questions(pipeline.organization, question_ids)):
        StageQuestion.objects.create(stage=stage, question=question, order=position)
    if audit:
        audit_record(action="pipeline.add_stage", actor=actor, target=pipeline, changes={"stage": stage.name})
    return stage


@transaction.atomic
def position_create(*, organization: Organization, actor: Any, **fields: Any) -> Position:
    """Open a position."""
    _require(actor, "interviews.add_position", organization, _("Only admins and recruiters manage positions."))
    position = Position(organization=organization, **fields)
    _check_same_org(position, organization)
    position.full_clean()
    position.save()
    audit_record(action="position.create", actor=actor, target=position)
    return position


@transaction.atomic
def position_update(*, position: Position, actor: Any, data: dict[str, Any]) -> Position:
    """Change a position (title, team, status, hiring manager, pipeline, description)."""
    _require(
        actor, "interviews.change_position", position.organization, _("Only admins and recruiters manage positions.")
    )
    changes = {}
    for field, value in data.items():
        if getattr(position, field) != value:
            changes[field] = [str(getattr(position, field)), str(value)]
        setattr(position, field, value)
    _check_same_org(position, position.organization)
    position.full_clean()
    position.save()
    if changes:
        audit_record(action="position.update", actor=actor, target=position, changes=changes)
    return position


def _check_same_org(position: Position, organization: Organization) -> None:
    from accounts.models import Membership

    if position.pipeline is not None and position.pipeline.organization_id != organization.pk:
        raise ValidationError({"pipeline": _("Choose a pipeline of this organization.")})
    if (
        position.hiring_manager_id
        and not Membership.objects.filter(organization=organization, user_id=position.hiring_manager_id).exists()
    ):
        raise ValidationError({"hiring_manager": _("The hiring manager must be a member of this organization.")})


@transaction.atomic
def question_create(
    *, organization: Organization, actor: Any, tags: list[str] | None = None, **fields: Any
) -> InterviewQuestion:
    """Add a question to the bank."""
    _require(actor, "interviews.add_interviewquestion", organization, _("Only admins and recruiters manage questions."))
    question = InterviewQuestion(organization=organization, **fields)
    question.full_clean()
    question.save()
    if tags:
        question.tags.set(tags_get_or_create(organization=organization, names=tags))
    audit_record(action="question.create", actor=actor, target=question)
    return question


def tags_get_or_create(*, organization: Organization, names: list[str]) -> list[Tag]:
    """The organization's tags with these names, creating the missing ones."""
    cleaned = []
    for name in names:
        name = " ".join(str(name).split())[:40]
        if not name:
            raise ValidationError({"tags": _("Tags cannot be empty.")})
        cleaned.append(name)
    return [Tag.objects.get_or_create(organization=organization, name=name)[0] for name in dict.fromkeys(cleaned)]


@transaction.atomic
def position_delete(*, position: Position, actor: Any) -> None:
    """Delete a position that no candidate or interview refers to (close it otherwise)."""
    if not user_can(actor, "interviews.delete_position", position):
        raise NotAllowed(_("Only admins and recruiters manage positions."))
    audit_record(action="position.delete", actor=actor, target=position)
    try:
        with transaction.atomic():
            position.delete()
    except ProtectedError:
        raise StateError(
            _("This position has candidates or interviews; close it instead."), code="position_in_use"
        ) from None


@transaction.atomic
def question_update(
    *, question: InterviewQuestion, actor: Any, data: dict[str, Any], tags: list[str] | None = None
) -> InterviewQuestion:
    """Change a question of the bank (text, hints, guide, difficulty, follow-ups, tags)."""
    if not user_can(actor, "interviews.change_interviewquestion", question):
        raise NotAllowed(_("Only admins and recruiters manage questions."))
    changes: dict[str, Any] = {}
    for field, value in data.items():
        if getattr(question, field) != value:
            changes[field] = [str(getattr(question, field))[:200], str(value)[:200]]
        setattr(question, field, value)
    question.full_clean()
    question.save()
    if tags is not None:
        question.tags.set(tags_get_or_create(organization=question.organization, names=tags))
        changes["tags"] = sorted(tags)
    if changes:
        audit_record(action="question.update", actor=actor, target=question, changes=changes)
    return question


@transaction.atomic
def question_delete(*, question: InterviewQuestion, actor: Any) -> None:
    """Remove a question from the bank (and from stage plans) unless an interview plans it."""
    if not user_can(actor, "interviews.delete_interviewquestion", question):
        raise NotAllowed(_("Only admins and recruiters manage questions."))
    audit_record(action="question.delete", actor=actor, target=question)
    try:
        with transaction.atomic():
            question.delete()
    except ProtectedError:
        raise StateError(
            _("Interviews have planned this question; it cannot be deleted."), code="question_in_use"
        ) from None
