"""Compute functions of the dashboards, and the pieces they share.

``candidate_scope`` is the one place where ``ReportFilters`` become a candidate QuerySet, and
``changelist_url`` builds drill-down links into the back office with lookups the admin's
changelist already accepts (its list filters, local-field lookups such as ``id__in``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse

from interviews.models import Candidate
from reporting.filters import ReportFilters


def candidate_scope(filters: ReportFilters) -> QuerySet[Candidate]:
    """The organization's candidates that the filters select (the period is when they were added)."""
    queryset = Candidate.objects.filter(organization=filters.organization)
    if filters.positions:
        queryset = queryset.filter(position__in=filters.positions)
    if filters.team:
        queryset = queryset.filter(position__team=filters.team)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    start, end = filters.bounds()
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lt=end)
    return queryset


def changelist_url(model: str, params: Iterable[tuple[str, Any]]) -> str:
    """``/admin/interviews/<model>/?…`` with the given lookups."""
    query = urlencode([(key, str(value)) for key, value in params])
    base = reverse(f"admin:interviews_{model}_changelist")
    return f"{base}?{query}" if query else base


def candidate_params(filters: ReportFilters, position_ids: Iterable[int] = ()) -> list[tuple[str, str]]:
    """The candidate changelist lookups equal to the filters.

    The admin has no team filter, so a team becomes the list of its positions
    (``position_ids``: the positions of the candidates in scope).
    """
    params: list[tuple[str, str]] = []
    if filters.team:
        params.append(("position__in", ",".join(str(pk) for pk in sorted(set(position_ids))) or "0"))
    elif filters.positions:
        params.append(("position__in", ",".join(str(pk) for pk in filters.positions)))
    if filters.source:
        params.append(("source__exact", filters.source))
    start, end = filters.bounds()
    if start is not None:
        params.append(("created_at__gte", start.isoformat()))
    if end is not None:
        params.append(("created_at__lt", end.isoformat()))
    return params


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
