"""Reads of the assessments app; every list is scoped to the actor's organization and rights."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.models import Organization
from assessments.models import Problem, TestCase
from assessments.permissions import can_view_problem


def problem_list(*, actor: Any, organization: Organization) -> QuerySet[Problem]:
    """The organization's problems with their ordered test cases (none for callers who may not read them)."""
    if not can_view_problem(actor, organization):
        return Problem.objects.none()
    return Problem.objects.for_org(organization).prefetch_related(
        Prefetch("test_cases", queryset=TestCase.objects.order_by("order", "pk"))
    )


def problem_get(*, actor: Any, organization: Organization, pk: Any) -> Problem | None:
    return problem_list(actor=actor, organization=organization).filter(pk=pk).first()


def problem_ids_unknown(*, organization: Organization, ids: list[int]) -> list[int]:
    """The ids among ``ids`` that are not problems of ``organization``, in the order given."""
    known = set(Problem.objects.for_org(organization).filter(pk__in=ids).values_list("pk", flat=True))
    return [i for i in ids if i not in known]
