"""The pipeline, stage and tag services the back office writes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditLog
from interviews import services
from interviews.factories import CandidateFactory, QuestionFactory
from interviews.models import PipelineStage, PipelineTemplate, StageQuestion, Tag
from interviews.services.pipelines import (
    pipeline_update,
    stage_questions_set,
    stage_remove,
    stage_update,
    tag_create,
    tag_delete,
    tag_rename,
)
from talentsync.errors import NotAllowed, StateError


@pytest.fixture
def pipeline(acme) -> PipelineTemplate:
    q1, q2 = QuestionFactory(organization=acme.org), QuestionFactory(organization=acme.org)
    Tag.objects.create(organization=acme.org, name="junior")
    return services.pipeline_create(
        organization=acme.org,
        name="Backend",
        actor=acme.users["recruiter"],
        stages=[
            {"name": "Phone screen", "stage_type": "phone_screen"},
            {"name": "Live coding", "stage_type": "technical_live", "question_ids": [q1.pk, q2.pk]},
            {"name": "System design", "stage_type": "system_design"},
        ],
    )


def _stage(pipeline: PipelineTemplate, name: str) -> PipelineStage:
    return pipeline.stages.get(name=name)


def _questions(stage: PipelineStage) -> list[int]:
    return list(StageQuestion.objects.filter(stage=stage).order_by("order", "pk").values_list("question_id", flat=True))


# --- refusals: an interviewer (or another organization) changes nothing and leaves no trace --------
WRITES: dict[str, Callable[[PipelineTemplate, Any], object]] = {
    "pipeline_update": lambda p, actor: pipeline_update(pipeline=p, actor=actor, data={"name": "Renamed"}),
    "stage_update": lambda p, actor: stage_update(stage=_stage(p, "Phone screen"), actor=actor, data={"name": "X"}),
    "stage_questions_set": lambda p, actor: stage_questions_set(
        stage=_stage(p, "Live coding"), question_ids=[], actor=actor
    ),
    "stage_remove": lambda p, actor: stage_remove(stage=_stage(p, "System design"), actor=actor),
    "tag_create": lambda p, actor: tag_create(organization=p.organization, name="senior", actor=actor),
    "tag_rename": lambda p, actor: tag_rename(tag=Tag.objects.get(name="junior"), name="senior", actor=actor),
    "tag_delete": lambda p, actor: tag_delete(tag=Tag.objects.get(name="junior"), actor=actor),
}


def _snapshot(pipeline: PipelineTemplate) -> object:
    stages = list(PipelineStage.objects.filter(pipeline=pipeline).order_by("order").values_list("name", flat=True))
    return (
        PipelineTemplate.objects.get(pk=pipeline.pk).name,
        stages,
        _questions(_stage(pipeline, "Live coding")),
        sorted(Tag.objects.values_list("name", flat=True)),
        AuditLog.objects.count(),
    )


@pytest.mark.parametrize("write", sorted(WRITES))
def test_an_interviewer_is_refused(pipeline, acme, write):
    # given
    before = _snapshot(pipeline)
    # when / then
    with pytest.raises(NotAllowed):
        WRITES[write](pipeline, acme.users["interviewer"])
    assert _snapshot(pipeline) == before


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_recruiter_of_another_organization_is_refused(pipeline, globex, write):
    # given
    before = _snapshot(pipeline)
    # when / then
    with pytest.raises(NotAllowed):
        WRITES[write](pipeline, globex.users["recruiter"])
    assert _snapshot(pipeline) == before


# --- pipelines ------------------------------------------------------------------------------
def test_pipeline_update_changes_name_and_description_and_is_audited(pipeline, acme):
    # when
    pipeline_update(
        pipeline=pipeline, actor=acme.users["recruiter"], data={"name": "Backend 2", "description": "For 2027"}
    )
    # then
    pipeline.refresh_from_db()
    assert (pipeline.name, pipeline.description) == ("Backend 2", "For 2027")
    entry = AuditLog.objects.get(action="pipeline.update")
    assert entry.changes == {"name": ["Backend", "Backend 2"], "description": ["", "For 2027"]}
    assert entry.actor == acme.users["recruiter"]
    assert entry.organization == acme.org


def test_pipeline_update_refuses_other_fields(pipeline, acme, globex):
    # when / then
    with pytest.raises(ValidationError):
        pipeline_update(pipeline=pipeline, actor=acme.users["recruiter"], data={"organization": globex.org})
    pipeline.refresh_from_db()
    assert pipeline.organization == acme.org
    assert not AuditLog.objects.filter(action="pipeline.update").exists()


def test_pipeline_update_without_a_change_leaves_no_audit(pipeline, acme):
    # when
    pipeline_update(pipeline=pipeline, actor=acme.users["recruiter"], data={"name": "Backend"})
    # then
    assert not AuditLog.objects.filter(action="pipeline.update").exists()


# --- stages ---------------------------------------------------------------------------------
def test_stage_update_changes_settings_and_questions_and_is_audited(pipeline, acme):
    # given
    stage = _stage(pipeline, "Live coding")
    q1, q2 = _questions(stage)
    q3 = QuestionFactory(organization=acme.org).pk
    # when
    stage_update(
        stage=stage,
        actor=acme.users["recruiter"],
        data={"name": "Pair programming", "duration_minutes": 90, "tools_config": {"editor": True}},
        question_ids=[q3, q2],
    )
    # then
    stage.refresh_from_db()
    assert (stage.name, stage.duration_minutes) == ("Pair programming", 90)
    assert stage.config.toolsConfig == {
        "video": False,
        "editor": True,
        "whiteboard": False,
        "chat": False,
        "recording": False,
    }
    assert _questions(stage) == [q3, q2]
    entry = AuditLog.objects.get(action="pipeline.change_stage")
    assert entry.changes == {
        "stage": "Pair programming",
        "fields": ["duration_minutes", "name", "questions", "tools_config"],
    }
    assert entry.target_id == str(pipeline.pk)
    assert q1 not in _questions(stage)


def test_stage_update_refuses_a_bad_configuration_and_saves_nothing(pipeline, acme):
    # given
    stage = _stage(pipeline, "Phone screen")
    # when
    with pytest.raises(ValidationError) as excinfo:
        stage_update(
            stage=stage, actor=acme.users["recruiter"], data={"name": "X", "dsa_config": {"timeLimitMinutes": 1}}
        )
    # then
    assert "dsa_config" in excinfo.value.message_dict
    assert PipelineStage.objects.get(pk=stage.pk).name == "Phone screen"
    assert not AuditLog.objects.filter(action="pipeline.change_stage").exists()


def test_stage_update_cannot_move_a_stage_to_another_pipeline(pipeline, acme):
    # given
    other = services.pipeline_create(
        organization=acme.org,
        name="Other",
        actor=acme.users["recruiter"],
        stages=[{"name": "Y", "stage_type": "panel"}],
    )
    stage = _stage(pipeline, "Phone screen")
    # when / then
    with pytest.raises(ValidationError):
        stage_update(stage=stage, actor=acme.users["recruiter"], data={"pipeline": other})
    assert PipelineStage.objects.get(pk=stage.pk).pipeline == pipeline


def test_stage_questions_set_orders_the_questions_and_is_audited(pipeline, acme):
    # given
    stage = _stage(pipeline, "Live coding")
    q1, q2 = _questions(stage)
    # when
    stage_questions_set(stage=stage, question_ids=[q2, q1], actor=acme.users["recruiter"])
    # then
    assert _questions(stage) == [q2, q1]
    entry = AuditLog.objects.get(action="pipeline.stage_questions")
    assert entry.changes == {"stage": "Live coding", "questions": [q2, q1]}
    assert entry.target_id == str(pipeline.pk)


def test_stage_questions_set_refuses_another_organizations_question(pipeline, acme, globex):
    # given
    stage = _stage(pipeline, "Live coding")
    before = _questions(stage)
    theirs = QuestionFactory(organization=globex.org)
    # when / then
    with pytest.raises(ValidationError):
        stage_questions_set(stage=stage, question_ids=[before[0], theirs.pk], actor=acme.users["recruiter"])
    assert _questions(stage) == before
    assert not AuditLog.objects.filter(action="pipeline.stage_questions").exists()


def test_stage_questions_set_refuses_a_question_twice(pipeline, acme):
    # given
    stage = _stage(pipeline, "Live coding")
    q1, _q2 = _questions(stage)
    # when / then
    with pytest.raises(ValidationError):
        stage_questions_set(stage=stage, question_ids=[q1, q1], actor=acme.users["recruiter"])


def test_stage_remove_deletes_the_stage_and_is_audited(pipeline, acme):
    # given
    stage = _stage(pipeline, "System design")
    # when
    stage_remove(stage=stage, actor=acme.users["recruiter"])
    # then
    assert not PipelineStage.objects.filter(pk=stage.pk).exists()
    entry = AuditLog.objects.get(action="pipeline.remove_stage")
    assert entry.changes == {"stage": "System design"}
    assert entry.target_id == str(pipeline.pk)


def test_stage_remove_refuses_a_stage_a_candidate_is_at(pipeline, acme):
    # given
    stage = _stage(pipeline, "System design")
    CandidateFactory(organization=acme.org, position__pipeline=pipeline, current_stage=stage)
    # when / then
    with pytest.raises(StateError):
        stage_remove(stage=stage, actor=acme.users["recruiter"])
    assert PipelineStage.objects.filter(pk=stage.pk).exists()
    assert not AuditLog.objects.filter(action="pipeline.remove_stage").exists()


# --- tags -----------------------------------------------------------------------------------
def test_tag_create_tidies_the_name_and_is_audited(acme):
    # when
    tag = tag_create(organization=acme.org, name="  senior   backend ", actor=acme.users["recruiter"])
    # then
    assert tag.name == "senior backend"
    assert tag.organization == acme.org
    assert AuditLog.objects.get(action="tag.create").target_id == str(tag.pk)


def test_tag_create_refuses_a_duplicate(acme):
    # given
    tag_create(organization=acme.org, name="senior", actor=acme.users["recruiter"])
    # when / then
    with pytest.raises(ValidationError):
        tag_create(organization=acme.org, name="senior", actor=acme.users["recruiter"])
    assert Tag.objects.filter(organization=acme.org).count() == 1


def test_tag_rename_is_audited_with_both_names(acme):
    # given
    tag = Tag.objects.create(organization=acme.org, name="junior")
    # when
    tag_rename(tag=tag, name="graduate", actor=acme.users["recruiter"])
    # then
    assert Tag.objects.get(pk=tag.pk).name == "graduate"
    assert AuditLog.objects.get(action="tag.rename").changes == {"name": ["junior", "graduate"]}


def test_tag_delete_removes_it_from_candidates_and_is_audited(acme):
    # given
    tag = Tag.objects.create(organization=acme.org, name="junior")
    candidate = CandidateFactory(organization=acme.org)
    candidate.tags.add(tag)
    # when
    tag_delete(tag=tag, actor=acme.users["recruiter"])
    # then
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert list(candidate.tags.all()) == []
    assert AuditLog.objects.get(action="tag.delete").changes == {"name": "junior"}
