"""Shapes of the hiring API: camelCase names, strict input, organization-scoped choices."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.authentication import api_organization
from accounts.models import Organization, User
from interviews import selectors
from interviews.api.fields import (
    AwareDateTimeField,
    IdListField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictIntegerField,
    StrictListField,
    StrictModelSerializer,
    StrictPrimaryKeyRelatedField,
    StrictSerializer,
    StrictSlugRelatedField,
)
from interviews.models import (
    Candidate,
    Interview,
    InterviewQuestion,
    InterviewQuestionPlan,
    Participant,
    PipelineStage,
    PipelineTemplate,
    Position,
    Scorecard,
)
from interviews.stage_config import TOOLS


def _scope(serializer: serializers.BaseSerializer) -> tuple[Any, Organization | None]:
    request = serializer.context.get("request")
    if request is None:  # schema generation
        return None, None
    return request.user, api_organization(request)


def _limit(serializer: serializers.BaseSerializer, name: str, queryset: Any) -> None:
    """Let a relation field accept only rows of the caller's organization."""
    serializer.fields[name].queryset = queryset  # type: ignore[attr-defined]


class TagListField(StrictListField):
    """Tags as a list of names; unknown names are created in the organization."""

    def __init__(self, **kwargs: Any):
        super().__init__(child=StrictCharField(max_length=40), max_length=50, required=False, **kwargs)

    def to_representation(self, data: Any) -> list[str]:
        return [tag.name for tag in data.all()]


# --- stages and pipelines ---------------------------------------------------------------
class ToolsConfigSerializer(serializers.Serializer):
    video = serializers.BooleanField()
    editor = serializers.BooleanField()
    whiteboard = serializers.BooleanField()
    chat = serializers.BooleanField()


class DsaConfigSerializer(serializers.Serializer):
    proctoringEnabled = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.IntegerField())
    timeLimitMinutes = serializers.IntegerField()
    languages = serializers.ListField(child=serializers.CharField())
    maxSubmissions = serializers.IntegerField()


class StageSerializer(serializers.ModelSerializer):
    """A pipeline stage with its ``StageTypeConfig`` (room tools and async-coding settings)."""

    stageType = serializers.CharField(source="stage_type", read_only=True)
    durationMinutes = serializers.IntegerField(source="duration_minutes", read_only=True)
    toolsConfig = serializers.SerializerMethodField()
    dsaConfig = serializers.SerializerMethodField()

    class Meta:
        model = PipelineStage
        fields = ("id", "order", "name", "stageType", "durationMinutes", "toolsConfig", "dsaConfig", "criteria")
        read_only_fields = fields

    @extend_schema_field(ToolsConfigSerializer)
    def get_toolsConfig(self, stage: PipelineStage) -> dict[str, bool]:
        return stage.config.as_json()["toolsConfig"]

    @extend_schema_field(DsaConfigSerializer)
    def get_dsaConfig(self, stage: PipelineStage) -> dict[str, Any]:
        return stage.config.as_json()["dsaConfig"]


class PipelineSerializer(serializers.ModelSerializer):
    stages = StageSerializer(many=True, read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = PipelineTemplate
        fields = ("id", "name", "description", "stages", "createdAt")
        read_only_fields = fields


class StageInputSerializer(StrictSerializer):
    name = StrictCharField(max_length=120)
    stageType = StrictChoiceField(source="stage_type", choices=PipelineStage.Type.choices)
    durationMinutes = StrictIntegerField(source="duration_minutes", min_value=10, max_value=480, required=False)
    toolsConfig = serializers.DictField(
        source="tools_config",
        child=StrictBooleanField(),
        required=False,
        help_text=_("Any of: %(tools)s (missing ones are off).") % {"tools": ", ".join(TOOLS)},
    )
    dsaConfig = serializers.DictField(source="dsa_config", required=False)
    criteria = StrictListField(child=StrictCharField(max_length=80), min_length=1, max_length=12, required=False)
    questionIds = IdListField(source="question_ids", required=False)


class PipelineCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=120)
    description = StrictCharField(required=False, allow_blank=True)
    stages = StageInputSerializer(many=True, allow_empty=False)


# --- positions --------------------------------------------------------------------------
class PositionSerializer(StrictModelSerializer):
    hiringManager = StrictSlugRelatedField(
        source="hiring_manager",
        slug_field="email",
        queryset=User.objects.none(),
        allow_null=True,
        required=False,
        help_text=_("E-mail of a member of the organization."),
    )
    pipeline = StrictPrimaryKeyRelatedField(queryset=PipelineTemplate.objects.none(), allow_null=True, required=False)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Position
        fields = ("id", "title", "team", "status", "description", "hiringManager", "pipeline", "createdAt", "updatedAt")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        actor, org = _scope(self)
        if org is not None:
            _limit(self, "hiringManager", User.objects.filter(memberships__organization=org))
            _limit(self, "pipeline", selectors.pipeline_list(actor=actor, organization=org))


# --- candidates -------------------------------------------------------------------------
class StageBriefSerializer(serializers.ModelSerializer):
    stageType = serializers.CharField(source="stage_type", read_only=True)

    class Meta:
        model = PipelineStage
        fields = ("id", "order", "name", "stageType")
        read_only_fields = fields


class CandidateSerializer(StrictModelSerializer):
    fullName = StrictCharField(source="full_name", max_length=150)
    position = StrictPrimaryKeyRelatedField(queryset=Position.objects.none(), allow_null=True, required=False)
    currentStage = StageBriefSerializer(source="current_stage", read_only=True, allow_null=True)
    outcome = serializers.CharField(read_only=True)
    decidedAt = serializers.DateTimeField(source="decided_at", read_only=True, allow_null=True)
    tags = TagListField()
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Candidate
        fields = (
            "id",
            "fullName",
            "email",
            "phone",
            "source",
            "position",
            "currentStage",
            "outcome",
            "decidedAt",
            "tags",
            "createdAt",
            "updatedAt",
        )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        actor, org = _scope(self)
        if org is not None:
            _limit(self, "position", selectors.position_list(actor=actor, organization=org))


class EmptySerializer(StrictSerializer):
    """No body (or ``{}``)."""


# --- questions --------------------------------------------------------------------------
class QuestionSerializer(StrictModelSerializer):
    questionText = StrictCharField(source="question_text", max_length=10000)
    interviewerHints = StrictCharField(source="interviewer_hints", max_length=10000, allow_blank=True, required=False)
    expectedAnswerGuide = StrictCharField(
        source="expected_answer_guide", max_length=20000, allow_blank=True, required=False
    )
    tags = TagListField()
    followUpQuestions = StrictListField(
        source="follow_up_questions", child=StrictCharField(max_length=2000), max_length=20, required=False
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = InterviewQuestion
        fields = (
            "id",
            "questionText",
            "interviewerHints",
            "expectedAnswerGuide",
            "difficulty",
            "tags",
            "followUpQuestions",
            "createdAt",
            "updatedAt",
        )

    def to_representation(self, instance: InterviewQuestion) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("show_interviewer_material", False):
            data.pop("interviewerHints", None)
            data.pop("expectedAnswerGuide", None)
        return data


# --- interviews -------------------------------------------------------------------------
class CandidateBriefSerializer(serializers.ModelSerializer):
    fullName = serializers.CharField(source="full_name", read_only=True)

    class Meta:
        model = Candidate
        fields = ("id", "fullName", "email")
        read_only_fields = fields


class PositionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Position
        fields = ("id", "title")
        read_only_fields = fields


class ParticipantSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    email = serializers.EmailField(read_only=True)
    userId = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    candidateId = serializers.IntegerField(source="candidate_id", read_only=True, allow_null=True)
    linkExpiresAt = serializers.DateTimeField(source="token_expires_at", read_only=True)
    linkRevokedAt = serializers.DateTimeField(source="revoked_at", read_only=True, allow_null=True)

    class Meta:
        model = Participant
        fields: tuple[str, ...] = (
            "id",
            "role",
            "name",
            "email",
            "userId",
            "candidateId",
            "linkExpiresAt",
            "linkRevokedAt",
        )
        read_only_fields: tuple[str, ...] = fields


class ParticipantWithLinkSerializer(ParticipantSerializer):
    joinLink = serializers.SerializerMethodField(help_text=_("Shown once, in the answer that creates the interview."))
    dsaLink = serializers.SerializerMethodField(
        help_text=_("The candidate's async coding assessment link (technical_dsa stages only; shown once).")
    )

    class Meta(ParticipantSerializer.Meta):
        fields = (*ParticipantSerializer.Meta.fields, "joinLink", "dsaLink")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_joinLink(self, participant: Participant) -> str:
        from interviews.services import join_url

        return join_url(self.context["join_tokens"][participant.pk])

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_dsaLink(self, participant: Participant) -> str | None:
        from interviews.services.interviews import dsa_url
        from interviews.stage_config import StageType

        if (
            participant.role != Participant.Role.CANDIDATE
            or participant.interview.stage.stage_type != StageType.TECHNICAL_DSA
        ):
            return None
        return dsa_url(self.context["join_tokens"][participant.pk])


class PlannedQuestionSerializer(serializers.ModelSerializer):
    questionId = serializers.IntegerField(source="question_id", read_only=True)
    questionText = serializers.CharField(source="question.question_text", read_only=True)
    interviewerHints = serializers.CharField(source="question.interviewer_hints", read_only=True, required=False)
    expectedAnswerGuide = serializers.CharField(source="question.expected_answer_guide", read_only=True, required=False)
    askedAt = serializers.DateTimeField(source="asked_at", read_only=True, allow_null=True)

    class Meta:
        model = InterviewQuestionPlan
        fields = ("order", "questionId", "questionText", "interviewerHints", "expectedAnswerGuide", "askedAt")
        read_only_fields = fields


class InterviewSerializer(serializers.ModelSerializer):
    candidate = CandidateBriefSerializer(read_only=True)
    position = PositionBriefSerializer(read_only=True)
    stage = StageSerializer(read_only=True)
    scheduledAt = serializers.DateTimeField(source="scheduled_at", read_only=True)
    durationMinutes = serializers.IntegerField(source="duration_minutes", read_only=True)
    endsAt = serializers.DateTimeField(source="ends_at", read_only=True)
    roomId = serializers.UUIDField(source="room_id", read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    questionPlan = PlannedQuestionSerializer(source="plan", many=True, read_only=True)
    stageData = serializers.JSONField(
        source="stage_data",
        read_only=True,
        help_text=gettext_lazy("Stage results, e.g. dsaSubmissions[] with each score; for admins and recruiters only."),
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Interview
        fields = (
            "id",
            "status",
            "candidate",
            "position",
            "stage",
            "scheduledAt",
            "durationMinutes",
            "endsAt",
            "roomId",
            "participants",
            "questionPlan",
            "stageData",
            "createdAt",
            "updatedAt",
        )
        read_only_fields = fields

    def to_representation(self, instance: Interview) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("is_hiring_staff", False):
            # assessment scores are for hiring staff: never an interviewer's or candidate's view
            data.pop("stageData", None)
        if not self._shows_material(instance):
            for item in data["questionPlan"]:
                item.pop("interviewerHints", None)
                item.pop("expectedAnswerGuide", None)
        return data

    def _shows_material(self, interview: Interview) -> bool:
        """Hiring staff and this interview's panel (read from the prefetched participants)."""
        if self.context.get("is_hiring_staff", False):
            return True
        actor_pk = getattr(self.context.get("request") and self.context["request"].user, "pk", None)
        return actor_pk is not None and any(
            p.user_id == actor_pk and p.role in selectors.PANEL_ROLES for p in interview.participants.all()
        )


class InterviewCreatedSerializer(InterviewSerializer):
    participants = ParticipantWithLinkSerializer(many=True, read_only=True)


def _members_by_email(organization: Organization, emails: list[str]) -> tuple[list[User], list[str]]:
    if not emails:
        return [], []
    wanted = reduce(or_, (Q(email__iexact=e) for e in emails))
    found = {u.email.lower(): u for u in User.objects.filter(wanted, memberships__organization=organization)}
    missing = [e for e in emails if e.lower() not in found]
    return [found[e.lower()] for e in emails if e.lower() in found], missing


class InterviewCreateSerializer(StrictSerializer):
    candidate = StrictPrimaryKeyRelatedField(queryset=Candidate.objects.none())
    stage = StrictPrimaryKeyRelatedField(queryset=PipelineStage.objects.none())
    scheduledAt = AwareDateTimeField(source="scheduled_at")
    durationMinutes = StrictIntegerField(source="duration_minutes", min_value=10, max_value=480, required=False)
    interviewers = StrictListField(
        child=StrictEmailField(), min_length=1, max_length=5, help_text=_("E-mails of members who interview.")
    )
    observers = StrictListField(child=StrictEmailField(), max_length=5, required=False)
    questionIds = IdListField(
        source="question_ids",
        required=False,
        help_text=_("The question plan, in order; the stage's questions when left out."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        actor, org = _scope(self)
        if org is not None:
            _limit(self, "candidate", selectors.candidate_list(actor=actor, organization=org))
            _limit(self, "stage", PipelineStage.objects.filter(pipeline__organization=org))

    def _people(self, emails: list[str]) -> list[User]:
        _actor, org = _scope(self)
        if org is None:
            raise serializers.ValidationError(_("No organization."))
        users, missing = _members_by_email(org, emails)
        if missing:
            raise serializers.ValidationError(
                _("Not members of this organization: %(emails)s.") % {"emails": ", ".join(missing)}
            )
        return users

    def validate_interviewers(self, value: list[str]) -> list[User]:
        return self._people(value)

    def validate_observers(self, value: list[str]) -> list[User]:
        return self._people(value)


class InterviewRescheduleSerializer(StrictSerializer):
    scheduledAt = AwareDateTimeField(source="scheduled_at")
    durationMinutes = StrictIntegerField(source="duration_minutes", min_value=10, max_value=480, required=False)


class InterviewCancelSerializer(StrictSerializer):
    reason = StrictCharField(max_length=500, allow_blank=True, required=False)


# --- scorecards -------------------------------------------------------------------------
class AuthorSerializer(serializers.ModelSerializer):
    fullName = serializers.CharField(source="full_name", read_only=True)

    class Meta:
        model = User
        fields = ("id", "email", "fullName")
        read_only_fields = fields


class ScorecardSerializer(serializers.ModelSerializer):
    interview = serializers.IntegerField(source="interview_id", read_only=True)
    candidate = serializers.IntegerField(source="interview.candidate_id", read_only=True)
    author = AuthorSerializer(read_only=True)
    ratings = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=4), read_only=True)
    submittedAt = serializers.DateTimeField(source="submitted_at", read_only=True)

    class Meta:
        model = Scorecard
        fields = ("id", "interview", "candidate", "author", "ratings", "recommendation", "comments", "submittedAt")
        read_only_fields = fields
