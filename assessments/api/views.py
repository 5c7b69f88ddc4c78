"""The problem bank over ``/api/v1/problems/``: each action authorizes, calls one selector or service, serializes."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.authentication import api_organization
from assessments import selectors
from assessments.api import serializers as s
from assessments.models import Problem
from assessments.permissions import ADD, CHANGE, DELETE, VIEW, problem_user_can
from assessments.services.problems import CaseSpec, problem_create, problem_delete, problem_update
from interviews.api.views import NON_FIELD, HiringViewSet, ServiceCrudMixin

_ACTIONS = {
    "list": VIEW,
    "retrieve": VIEW,
    "create": ADD,
    "update": CHANGE,
    "partial_update": CHANGE,
    "destroy": DELETE,
}


class ProblemPermission(BasePermission):
    """Staff read the bank (interviewers included); admins, recruiters and their keys write it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        organization = api_organization(request)
        if organization is None:
            return False
        return problem_user_can(request.user, _ACTIONS.get(view.action, VIEW), organization=organization)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def api_error_key(key: str) -> str:
    """``test_cases[2].expected_output`` → ``testCases[2].expectedOutput``; ``__all__`` → ``nonFieldErrors``."""
    if key == "__all__":
        return NON_FIELD
    return re.sub(r"[a-z_]+", lambda m: _camel(m.group(0)), key)


def _case_specs(rows: list[dict[str, Any]]) -> list[CaseSpec]:
    return [CaseSpec(**row) for row in rows]  # type: ignore[typeddict-item]


@extend_schema_view(
    list=extend_schema(summary="List the problem bank (with test cases)", tags=["problems"]),
    retrieve=extend_schema(summary="Read a problem and its test cases", tags=["problems"]),
    create=extend_schema(summary="Add a problem with its test cases", tags=["problems"]),
    update=extend_schema(summary="Replace a problem and its test cases", tags=["problems"]),
    partial_update=extend_schema(
        summary="Change a problem (testCases, when sent, replace the cases; send ids to keep cases)",
        tags=["problems"],
    ),
    destroy=extend_schema(summary="Delete a problem no stage assigns and nobody submitted code for", tags=["problems"]),
)
class ProblemViewSet(ServiceCrudMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, HiringViewSet):
    queryset = Problem.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = s.ProblemSerializer
    permission_classes = [IsAuthenticated, ProblemPermission]
    ordering_fields = {"createdAt": "created_at", "title": "title", "difficulty": "difficulty"}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.problem_list(actor=self.request.user, organization=self.organization)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
            exc = DrfValidationError({api_error_key(key): value for key, value in detail.items()})
        return super().handle_exception(exc)

    def create_object(self, data: dict[str, Any]) -> Any:
        cases = _case_specs(data.pop("test_cases"))
        return problem_create(organization=self.organization, actor=self.request.user, cases=cases, **data)

    def update_object(self, obj: Any, data: dict[str, Any]) -> Any:
        rows = data.pop("test_cases", None)
        cases = _case_specs(rows) if rows is not None else None
        return problem_update(problem=obj, actor=self.request.user, data=data, cases=cases)

    def delete_object(self, obj: Any) -> None:
        problem_delete(problem=obj, actor=self.request.user)
