"""Pipelines, stages, tags and questions edited in the back office go through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from interviews import services
from interviews.factories import QuestionFactory
from interviews.models import InterviewQuestion, PipelineStage, PipelineTemplate, StageQuestion, Tag


def _url(name: str, *args: object) -> str:
    return reverse(f"admin:interviews_{name}", args=args)


def _actions() -> list[str]:
    return list(AuditLog.objects.order_by("pk").values_list("action", flat=True))


@pytest.fixture
def pipeline(acme) -> PipelineTemplate:
    q1 = QuestionFactory(organization=acme.org, question_text="Reverse a list")
    q2 = QuestionFactory(organization=acme.org, question_text="Design a cache")
    pipeline = services.pipeline_create(
        organization=acme.org,
        name="Backend",
        actor=acme.users["recruiter"],
        stages=[
            {"name": "Phone screen", "stage_type": "phone_screen"},
            {"name": "Live coding", "stage_type": "technical_live", "question_ids": [q1.pk, q2.pk]},
            {"name": "System design", "stage_type": "system_design"},
        ],
    )
    AuditLog.objects.all().delete()
    return pipeline


def _pipeline_post(pipeline: PipelineTemplate, **rows: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's change form as the page sends it; ``rows`` overrides stage rows by name."""
    stages = list(pipeline.stages.order_by("order"))
    data: dict[str, Any] = {
        "name": pipeline.name,
        "description": pipeline.description,
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": str(len(stages)),
        "stages-MIN_NUM_FORMS": "1",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for i, stage in enumerate(stages):
        row = {
            "id": str(stage.pk),
            "pipeline": str(pipeline.pk),
            "order": str(stage.order),
            "name": stage.name,
            "stage_type": stage.stage_type,
            "duration_minutes": str(stage.duration_minutes),
            "questions": [str(q) for q in stage.stage_questions.values_list("question_id", flat=True)],
        } | rows.get(stage.name, {})
        data |= {f"stages-{i}-{key}": value for key, value in row.items()}
    return data


def test_pipeline_page_edits_go_through_the_services(pipeline, acme):
    # given
    extra = QuestionFactory(organization=acme.org, question_text="Explain a deadlock")
    data = _pipeline_post(
        pipeline,
        **{
            "Phone screen": {"name": "Recruiter call", "questions": [str(extra.pk)]},
            "System design": {"DELETE": "on"},
        },
    ) | {"name": "Backend 2027", "stages-TOTAL_FORMS": "4"}
    data |= {
        "stages-3-order": "4",
        "stages-3-name": "Bar raiser",
        "stages-3-stage_type": "behavioral",
        "stages-3-duration_minutes": "30",
    }
    # when
    response = acme.client("recruiter").post(_url("pipelinetemplate_change", pipeline.pk), data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    pipeline.refresh_from_db()
    assert pipeline.name == "Backend 2027"
    assert list(pipeline.stages.order_by("order").values_list("name", flat=True)) == [
        "Recruiter call",
        "Live coding",
        "Bar raiser",
    ]
    call = pipeline.stages.get(name="Recruiter call")
    assert list(StageQuestion.objects.filter(stage=call).values_list("question_id", flat=True)) == [extra.pk]
    assert _actions() == ["pipeline.update", "pipeline.remove_stage", "pipeline.change_stage", "pipeline.add_stage"]
    change = AuditLog.objects.get(action="pipeline.change_stage").changes
    assert change == {"stage": "Recruiter call", "fields": ["name", "questions"]}


def test_removing_a_stage_with_a_candidate_is_a_message_and_changes_nothing(pipeline, acme):
    # given
    position = services.position_create(
        organization=acme.org, actor=acme.users["recruiter"], title="Engineer", pipeline=pipeline
    )
    candidate = services.candidate_create(
        organization=acme.org,
        actor=acme.users["recruiter"],
        full_name="Ada",
        email="ada@example.test",
        position=position,
    )
    AuditLog.objects.all().delete()
    data = _pipeline_post(pipeline, **{candidate.current_stage.name: {"DELETE": "on"}}) | {"name": "Renamed"}
    # when
    response = acme.client("recruiter").post(_url("pipelinetemplate_change", pipeline.pk), data, follow=True)
    # then
    assert response.status_code == 200
    assert any("cannot be removed" in str(m) for m in response.context["messages"])
    pipeline.refresh_from_db()
    assert pipeline.name == "Backend"
    assert pipeline.stages.count() == 3
    assert _actions() == []


def test_stage_page_question_rows_go_through_the_service(pipeline, acme):
    # given
    stage = pipeline.stages.get(name="Live coding")
    first, second = StageQuestion.objects.filter(stage=stage).order_by("order")
    data = {
        "order": stage.order,
        "name": stage.name,
        "stage_type": stage.stage_type,
        "duration_minutes": stage.duration_minutes,
        "tools_config": "{}",
        "dsa_config": "{}",
        "criteria": "[]",
        "stage_questions-TOTAL_FORMS": "2",
        "stage_questions-INITIAL_FORMS": "2",
        "stage_questions-0-id": first.pk,
        "stage_questions-0-stage": stage.pk,
        "stage_questions-0-order": "5",
        "stage_questions-0-question": first.question_id,
        "stage_questions-1-id": second.pk,
        "stage_questions-1-stage": stage.pk,
        "stage_questions-1-order": "1",
        "stage_questions-1-question": second.question_id,
    }
    # when: the second question moves first
    response = acme.client("recruiter").post(_url("pipelinestage_change", stage.pk), data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    order = list(StageQuestion.objects.filter(stage=stage).order_by("order").values_list("question_id", flat=True))
    assert order == [second.question_id, first.question_id]
    entry = AuditLog.objects.get(action="pipeline.stage_questions")
    assert entry.changes == {"stage": "Live coding", "questions": order}


def test_tags_are_created_renamed_and_deleted_through_the_services(acme):
    client = acme.client("recruiter")
    # when: created
    assert client.post(_url("tag_add"), {"name": "senior"}).status_code == 302
    tag = Tag.objects.get(organization=acme.org)
    # when: renamed
    assert client.post(_url("tag_change", tag.pk), {"name": "staff"}).status_code == 302
    assert Tag.objects.get(pk=tag.pk).name == "staff"
    # when: deleted
    assert client.post(_url("tag_delete", tag.pk), {"post": "yes"}).status_code == 302
    # then
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert _actions() == ["tag.create", "tag.rename", "tag.delete"]
    assert AuditLog.objects.get(action="tag.rename").changes == {"name": ["senior", "staff"]}


def test_question_edit_goes_through_the_service(acme):
    # given
    question = QuestionFactory(organization=acme.org, question_text="Reverse a list")
    tag = Tag.objects.create(organization=acme.org, name="lists")
    # when
    response = acme.client("recruiter").post(
        _url("interviewquestion_change", question.pk),
        {
            "question_text": "Reverse a linked list",
            "difficulty": question.difficulty,
            "tags": [tag.pk],
            "interviewer_hints": question.interviewer_hints,
            "expected_answer_guide": question.expected_answer_guide,
            "follow_up_questions": "[]",
        },
    )
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    question = InterviewQuestion.objects.get(pk=question.pk)
    assert question.question_text == "Reverse a linked list"
    assert list(question.tags.all()) == [tag]
    entry = AuditLog.objects.get(action="question.update")
    assert set(entry.changes) == {"question_text", "tags"}


def test_stage_added_from_its_own_page_is_appended_through_the_service(pipeline, acme):
    # when
    response = acme.client("recruiter").post(
        _url("pipelinestage_add"),
        {
            "pipeline": pipeline.pk,
            "order": "4",
            "name": "Offer chat",
            "stage_type": "behavioral",
            "duration_minutes": "30",
            "tools_config": "{}",
            "dsa_config": "{}",
            "criteria": "[]",
            "stage_questions-TOTAL_FORMS": "0",
            "stage_questions-INITIAL_FORMS": "0",
        },
    )
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert PipelineStage.objects.filter(pipeline=pipeline, name="Offer chat", order=4).exists()
    assert _actions() == ["pipeline.add_stage"]
