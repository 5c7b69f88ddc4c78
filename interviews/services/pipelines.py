"""Writes for pipelines and their stages, positions, tags and the question bank."""

from __future__ import annotations

from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import user_can
from accounts.services import audit_record
from interviews.models import (
    Candidate,
    Interview,
    InterviewQuestion,
    PipelineStage,
    PipelineTemplate,
    Position,
    StageQuestion,
    Tag,
)
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
    _check_stage_problems(stage)
    stage.save()
    for position, question in enumerate(_org_questions(pipeline.organization, question_ids)):
        StageQuestion.objects.create(stage=stage, question=question, order=position)
    if audit:
        audit_record(action="pipeline.add_stage", actor=actor, target=pipeline, changes={"stage": stage.name})
    return stage


#: the fields ``stage_update`` may change (a stage never moves to another pipeline)
STAGE_FIELDS = frozenset({"order", "name", "stage_type", "duration_minutes", "tools_config", "dsa_config", "criteria"})


@transaction.atomic
def pipeline_update(*, pipeline: PipelineTemplate, actor: Any, data: dict[str, Any]) -> PipelineTemplate:
    """Change a pipeline's name or description (its stages change through the stage services)."""
    if not user_can(actor, "interviews.change_pipelinetemplate", pipeline):
        raise NotAllowed(_("Only admins and recruiters manage pipelines."))
    _refuse_unknown(data, {"name", "description"})
    changes = {}
    for field, value in data.items():
        if getattr(pipeline, field) != value:
            changes[field] = [str(getattr(pipeline, field))[:200], str(value)[:200]]
        setattr(pipeline, field, value)
    pipeline.full_clean()
    pipeline.save()
    if changes:
        audit_record(action="pipeline.update", actor=actor, target=pipeline, changes=changes)
    return pipeline


@transaction.atomic
def stage_update(
    *, stage: PipelineStage, actor: Any, data: dict[str, Any], question_ids: list[int] | None = None
) -> PipelineStage:
    """Change a stage's settings and, given ``question_ids``, the questions it asks."""
    if not user_can(actor, "interviews.change_pipelinestage", stage):
        raise NotAllowed(_("Only admins and recruiters manage pipelines."))
    _refuse_unknown(data, STAGE_FIELDS)
    changed = [field for field, value in data.items() if getattr(stage, field) != value]
    for field, value in data.items():
        setattr(stage, field, value)
    stage.full_clean()
    _check_stage_problems(stage)
    stage.save()
    if question_ids is not None and _stage_questions_replace(stage, question_ids):
        changed.append("questions")
    if changed:
        audit_record(
            action="pipeline.change_stage",
            actor=actor,
            target=stage.pipeline,
            changes={"stage": stage.name, "fields": sorted(changed)},
        )
    return stage


@transaction.atomic
def stage_questions_set(*, stage: PipelineStage, question_ids: list[int], actor: Any) -> None:
    """Replace the ordered questions a stage asks (copied into each interview's plan)."""
    if not user_can(actor, "interviews.change_pipelinestage", stage):
        raise NotAllowed(_("Only admins and recruiters manage pipelines."))
    if _stage_questions_replace(stage, question_ids):
        audit_record(
            action="pipeline.stage_questions",
            actor=actor,
            target=stage.pipeline,
            changes={"stage": stage.name, "questions": question_ids},
        )


@transaction.atomic
def stage_remove(*, stage: PipelineStage, actor: Any) -> None:
    """Remove a stage from its pipeline unless a candidate is at it or an interview used it."""
    if not user_can(actor, "interviews.delete_pipelinestage", stage):
        raise NotAllowed(_("Only admins and recruiters manage pipelines."))
    # Interviews protect their stage; a candidate at it would silently drop out of the pipeline.
    if Interview.objects.filter(stage=stage).exists() or Candidate.objects.filter(current_stage=stage).exists():
        raise StateError(
            _("“%(name)s” has candidates or interviews; it cannot be removed.") % {"name": stage}, code="stage_in_use"
        )
    audit_record(action="pipeline.remove_stage", actor=actor, target=stage.pipeline, changes={"stage": stage.name})
    stage.delete()


def _stage_questions_replace(stage: PipelineStage, question_ids: list[int]) -> bool:
    """Give ``stage`` these questions in this order; whether anything changed."""
    if len(set(question_ids)) != len(question_ids):
        raise ValidationError({"question_ids": _("A stage asks a question only once.")})
    current = StageQuestion.objects.filter(stage=stage).order_by("order", "pk").values_list("question_id", flat=True)
    if list(current) == question_ids:
        return False
    questions = _org_questions(stage.pipeline.organization, question_ids)
    StageQuestion.objects.filter(stage=stage).delete()
    StageQuestion.objects.bulk_create(
        [StageQuestion(stage=stage, question=q, order=i) for i, q in enumerate(questions)]
    )
    return True


def _check_stage_problems(stage: PipelineStage) -> None:
    """``dsaConfig.problems`` must name problems of the stage's organization (ids of others look unknown)."""
    from assessments.selectors import problem_ids_unknown

    ids = list((stage.dsa_config or {}).get("problems", []))
    unknown = problem_ids_unknown(organization=stage.pipeline.organization, ids=ids) if ids else []
    if unknown:
        raise ValidationError({"dsa_config": _("Unknown problems: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}})


def _refuse_unknown(data: dict[str, Any], editable: set[str] | frozenset[str]) -> None:
    unknown = set(data) - editable
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )


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


@transaction.atomic
def tag_create(*, organization: Organization, name: str, actor: Any) -> Tag:
    """Add a tag to the organization's list."""
    _require(actor, "interviews.add_tag", organization, _("Only admins and recruiters manage tags."))
    tag = Tag(organization=organization, name=_tag_name(name))
    tag.full_clean()
    tag.save()
    audit_record(action="tag.create", actor=actor, target=tag)
    return tag


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, actor: Any) -> Tag:
    """Rename a tag; the candidates and questions that carry it keep it."""
    if not user_can(actor, "interviews.change_tag", tag):
        raise NotAllowed(_("Only admins and recruiters manage tags."))
    before = tag.name
    tag.name = _tag_name(name)
    tag.full_clean()
    tag.save()
    if tag.name != before:
        audit_record(action="tag.rename", actor=actor, target=tag, changes={"name": [before, tag.name]})
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: Any) -> None:
    """Delete a tag; the candidates and questions that carried it lose it."""
    if not user_can(actor, "interviews.delete_tag", tag):
        raise NotAllowed(_("Only admins and recruiters manage tags."))
    audit_record(action="tag.delete", actor=actor, target=tag, changes={"name": tag.name})
    tag.delete()


def _tag_name(name: str) -> str:
    # The same spelling as ``tags_get_or_create``, so a renamed tag is found again by its name.
    return " ".join(str(name).split())[:40]


def tags_get_or_create(*, organization: Organization, names: list[str]) -> list[Tag]:
    """The organization's tags with these names, creating the missing ones."""
    cleaned = []
    for name in names:
        name = _tag_name(name)
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
