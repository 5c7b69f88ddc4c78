"""Hiring resources of ``/api/v1/``: each action authorizes, calls one selector or service, serializes."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.api.authentication import api_organization
from accounts.models import Organization
from accounts.permissions import membership_role
from interviews import selectors, services
from interviews.api import filters
from interviews.api import serializers as s
from interviews.api.fields import MAX_ID
from interviews.api.permissions import PANEL, STAFF_ROLES, HiringPermission, is_hiring_staff
from interviews.models import (
    Candidate,
    Interview,
    InterviewQuestion,
    InterviewQuestionPlan,
    Participant,
    PipelineTemplate,
    Position,
    Scorecard,
)

NON_FIELD = "nonFieldErrors"


def _camel(name: str) -> str:
    if name == "__all__":
        return NON_FIELD
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _crud_permissions(model: str, *, read: str | None = None) -> dict[str, str]:
    view = read or f"interviews.view_{model}"
    return {
        "list": view,
        "retrieve": view,
        "create": f"interviews.add_{model}",
        "update": f"interviews.change_{model}",
        "partial_update": f"interviews.change_{model}",
        "destroy": f"interviews.delete_{model}",
    }


class HiringViewSet(viewsets.GenericViewSet):
    """Organization-scoped, strictly validated; services' field errors come back in camelCase."""

    permission_classes = [IsAuthenticated, HiringPermission]
    lookup_value_regex = r"[0-9]+"
    ordering = ("-created_at",)
    ordering_fields: dict[str, str] = {"createdAt": "created_at"}
    action_permissions: dict[str, str] = {}

    @property
    def is_schema_generation(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    @cached_property
    def organization(self) -> Organization:
        organization = api_organization(self.request)
        if organization is None:  # HiringPermission let nobody without one through
            raise NotAuthenticated()
        return organization

    def get_object(self) -> Any:
        # The URL only lets digits through; one too large for the database matches nothing.
        if int(self.kwargs[self.lookup_url_kwarg or self.lookup_field]) > MAX_ID:
            raise Http404
        return super().get_object()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError):
            # Services validate with model field names; the API speaks camelCase.
            detail = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
            exc = DrfValidationError({_camel(key): value for key, value in detail.items()})
        return super().handle_exception(exc)


class ServiceCrudMixin:
    """create / update / partial_update / destroy through ``create_object`` … ``delete_object``."""

    def create(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.create_object(dict(serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=status.HTTP_201_CREATED)

    def update(self: Any, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj = self.update_object(obj, dict(serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)

    def partial_update(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.delete_object(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- pipelines --------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List pipelines", tags=["pipelines"]),
    retrieve=extend_schema(summary="Read a pipeline and its stages", tags=["pipelines"]),
    create=extend_schema(
        summary="Create a pipeline with its ordered stages",
        tags=["pipelines"],
        request=s.PipelineCreateSerializer,
        responses={201: s.PipelineSerializer},
    ),
)
class PipelineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = PipelineTemplate.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.PipelineSerializer
    ordering_fields = {"createdAt": "created_at", "name": "name"}
    action_permissions = _crud_permissions("pipelinetemplate")

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.pipeline_list(actor=self.request.user, organization=self.organization)

    def create(self, request: Request) -> Response:
        serializer = s.PipelineCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pipeline = services.pipeline_create(
            organization=self.organization,
            actor=request.user,
            name=data["name"],
            description=data.get("description", ""),
            stages=[dict(stage) for stage in data["stages"]],  # type: ignore[misc]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=pipeline.pk)).data, status=201)


# --- positions --------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List positions", tags=["positions"]),
    retrieve=extend_schema(summary="Read a position", tags=["positions"]),
    create=extend_schema(summary="Open a position", tags=["positions"]),
    update=extend_schema(summary="Replace a position's details", tags=["positions"]),
    partial_update=extend_schema(summary="Change a position", tags=["positions"]),
    destroy=extend_schema(summary="Delete an unused position (close it otherwise)", tags=["positions"]),
)
class PositionViewSet(ServiceCrudMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = Position.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.PositionSerializer
    filterset_class = filters.PositionFilter
    ordering_fields = {"createdAt": "created_at", "title": "title"}
    action_permissions = _crud_permissions("position")

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.position_list(actor=self.request.user, organization=self.organization)

    def create_object(self, data: dict[str, Any]) -> Any:
        return services.position_create(organization=self.organization, actor=self.request.user, **data)

    def update_object(self, obj: Any, data: dict[str, Any]) -> Any:
        return services.position_update(position=obj, actor=self.request.user, data=data)

    def delete_object(self, obj: Any) -> None:
        services.position_delete(position=obj, actor=self.request.user)


# --- candidates -------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List candidates (interviewers: those they interview)", tags=["candidates"]),
    retrieve=extend_schema(summary="Read a candidate", tags=["candidates"]),
    create=extend_schema(summary="Add a candidate (enters the position's first stage)", tags=["candidates"]),
    update=extend_schema(summary="Replace a candidate's details", tags=["candidates"]),
    partial_update=extend_schema(summary="Change a candidate", tags=["candidates"]),
    destroy=extend_schema(summary="Delete a candidate with no upcoming interview", tags=["candidates"]),
)
class CandidateViewSet(ServiceCrudMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = Candidate.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.CandidateSerializer
    filterset_class = filters.CandidateFilter
    ordering_fields = {"createdAt": "created_at", "fullName": "full_name", "updatedAt": "updated_at"}
    action_permissions = {
        **_crud_permissions("candidate", read=PANEL),
        "move_to_next_stage": "interviews.change_candidate",
    }

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.candidate_list(actor=self.request.user, organization=self.organization)

    def create_object(self, data: dict[str, Any]) -> Any:
        tags = data.pop("tags", None)
        return services.candidate_create(organization=self.organization, actor=self.request.user, tags=tags, **data)

    def update_object(self, obj: Any, data: dict[str, Any]) -> Any:
        tags = data.pop("tags", None)
        return services.candidate_update(candidate=obj, actor=self.request.user, data=data, tags=tags)

    def delete_object(self, obj: Any) -> None:
        services.candidate_delete(candidate=obj, actor=self.request.user)

    @extend_schema(
        summary="Move the candidate to the next stage of their pipeline",
        tags=["candidates"],
        request=s.EmptySerializer,
        responses={200: s.CandidateSerializer, 409: OpenApiResponse(description="Already at the last stage.")},
    )
    @action(detail=True, methods=["post"], url_path="move-to-next-stage")
    def move_to_next_stage(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        s.EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)
        candidate = services.candidate_move_to_next_stage(candidate=candidate, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=candidate.pk)).data)


# --- questions --------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the question bank", tags=["questions"]),
    retrieve=extend_schema(summary="Read a question", tags=["questions"]),
    create=extend_schema(summary="Add a question", tags=["questions"]),
    update=extend_schema(summary="Replace a question", tags=["questions"]),
    partial_update=extend_schema(summary="Change a question", tags=["questions"]),
    destroy=extend_schema(summary="Delete a question no interview has planned", tags=["questions"]),
)
class QuestionViewSet(ServiceCrudMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = InterviewQuestion.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.QuestionSerializer
    filterset_class = filters.QuestionFilter
    ordering_fields = {"createdAt": "created_at", "difficulty": "difficulty"}
    action_permissions = _crud_permissions("interviewquestion")

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.question_list(actor=self.request.user, organization=self.organization)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not self.is_schema_generation:
            # Only callers who passed HiringPermission get here; still, hints are for staff alone.
            role = membership_role(self.request.user, self.organization)
            context["show_interviewer_material"] = role in STAFF_ROLES
        return context

    def create_object(self, data: dict[str, Any]) -> Any:
        tags = data.pop("tags", None)
        return services.question_create(organization=self.organization, actor=self.request.user, tags=tags, **data)

    def update_object(self, obj: Any, data: dict[str, Any]) -> Any:
        tags = data.pop("tags", None)
        return services.question_update(question=obj, actor=self.request.user, data=data, tags=tags)

    def delete_object(self, obj: Any) -> None:
        services.question_delete(question=obj, actor=self.request.user)


# --- interviews -------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List interviews (interviewers: the ones they take part in)", tags=["interviews"]),
    retrieve=extend_schema(summary="Read an interview", tags=["interviews"]),
    create=extend_schema(
        summary="Schedule an interview; the answer holds each participant's join link (only here)",
        tags=["interviews"],
        request=s.InterviewCreateSerializer,
        responses={201: s.InterviewCreatedSerializer},
    ),
    update=extend_schema(
        summary="Reschedule an interview",
        tags=["interviews"],
        request=s.InterviewRescheduleSerializer,
        responses={200: s.InterviewSerializer},
    ),
    partial_update=extend_schema(
        summary="Reschedule an interview",
        tags=["interviews"],
        request=s.InterviewRescheduleSerializer,
        responses={200: s.InterviewSerializer},
    ),
)
class InterviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = Interview.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.InterviewSerializer
    filterset_class = filters.InterviewFilter
    ordering = ("-scheduled_at",)
    ordering_fields = {"scheduledAt": "scheduled_at", "createdAt": "created_at"}
    action_permissions = {
        "list": PANEL,
        "retrieve": PANEL,
        "create": "interviews.add_interview",
        "update": "interviews.change_interview",
        "partial_update": "interviews.change_interview",
        "cancel": "interviews.change_interview",
    }

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.interview_list(actor=self.request.user, organization=self.organization).prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("user", "candidate")),
            Prefetch("plan", queryset=InterviewQuestionPlan.objects.select_related("question").order_by("order", "pk")),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not self.is_schema_generation:
            context["is_hiring_staff"] = is_hiring_staff(self.request.user, self.organization)
        return context

    def _read(
        self, interview: Interview, serializer_class: type[BaseSerializer] = s.InterviewSerializer, **extra: Any
    ) -> Any:
        fresh = self.get_queryset().get(pk=interview.pk)
        return serializer_class(fresh, context={**self.get_serializer_context(), **extra}).data

    def create(self, request: Request) -> Response:
        serializer = s.InterviewCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        interview, tokens = services.interview_schedule(
            candidate=data["candidate"],
            stage=data["stage"],
            scheduled_at=data["scheduled_at"],
            interviewers=data["interviewers"],
            observers=data.get("observers"),
            duration_minutes=data.get("duration_minutes"),
            question_ids=data.get("question_ids"),
            actor=request.user,
        )
        return Response(self._read(interview, s.InterviewCreatedSerializer, join_tokens=tokens), status=201)

    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        interview = self.get_object()
        serializer = s.InterviewRescheduleSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        interview = services.interview_reschedule(
            interview=interview,
            scheduled_at=serializer.validated_data["scheduled_at"],
            duration_minutes=serializer.validated_data.get("duration_minutes"),
            actor=request.user,
        )
        return Response(self._read(interview))

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Cancel a scheduled interview (its join links stop working)",
        tags=["interviews"],
        request=s.InterviewCancelSerializer,
        responses={200: s.InterviewSerializer, 409: OpenApiResponse(description="Not a scheduled interview.")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        interview = self.get_object()
        serializer = s.InterviewCancelSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        interview = services.interview_cancel(
            interview=interview, actor=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return Response(self._read(interview))


# --- scorecards -------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List submitted scorecards", tags=["scorecards"]),
    retrieve=extend_schema(summary="Read a submitted scorecard", tags=["scorecards"]),
)
class ScorecardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = Scorecard.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.ScorecardSerializer
    filterset_class = filters.ScorecardFilter
    ordering_fields = {"createdAt": "created_at", "submittedAt": "submitted_at"}
    action_permissions = {"list": "interviews.view_scorecard", "retrieve": "interviews.view_scorecard"}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.scorecard_list(actor=self.request.user, organization=self.organization)
