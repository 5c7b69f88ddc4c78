"""List filters the reports drill down with: who reached a stage, an interviewer's interviews,
one candidate's scorecards.

They keep drill-down links short (a filter instead of a list of ids) and are scoped like
everything else in the back office: the choices come from the current organization, and the rows
are the admin's own, already scoped, queryset.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.middleware import current_organization
from accounts.models import User
from interviews.models import Candidate, Participant, PipelineStage


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReachedStageFilter(admin.SimpleListFilter):
    """Candidates who entered the stage or a later one of its pipeline (the funnel's "reached")."""

    title = _("reached stage")
    parameter_name = "reached"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        stages = PipelineStage.objects.filter(pipeline__organization=current_organization(request))
        return [
            (s.pk, f"{s.pipeline.name} · {s.name}")
            for s in stages.select_related("pipeline").order_by("pipeline__name", "pipeline_id", "order")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        pk = _int(self.value())
        if pk is None:
            return queryset.none()
        stage = PipelineStage.objects.filter(pk=pk, pipeline__organization=current_organization(request)).first()
        if stage is None:
            return queryset.none()
        later = Q(pipeline_id=stage.pipeline_id, order__gte=stage.order)
        reached = PipelineStage.objects.filter(later).values("pk")
        return queryset.filter(Q(stage_moves__to_stage__in=reached) | Q(current_stage__in=reached)).distinct()


class InterviewerFilter(admin.SimpleListFilter):
    """Interviews with this person on the panel."""

    title = _("interviewer")
    parameter_name = "interviewer"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        people = User.objects.filter(
            pk__in=Participant.objects.filter(
                interview__organization=current_organization(request), role=Participant.Role.INTERVIEWER
            ).values("user_id")
        ).order_by("full_name", "email")
        return [(u.pk, u.full_name or u.email) for u in people]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        pk = _int(self.value())
        if pk is None:
            return queryset.none()
        panel = Participant.objects.filter(user_id=pk, role=Participant.Role.INTERVIEWER).values("interview_id")
        return queryset.filter(pk__in=panel)


class ScorecardCandidateFilter(admin.SimpleListFilter):
    """One candidate's scorecards; offered only once chosen (a link from a report or a candidate)."""

    title = _("candidate")
    parameter_name = "candidate"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        pk = _int(self.value())
        candidate = Candidate.objects.filter(pk=pk, organization=current_organization(request)).first() if pk else None
        # the filter shows (and applies) whenever the parameter is given, even for an unknown pk
        return [(self.value(), str(candidate) if candidate else _("unknown candidate"))] if self.value() else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        pk = _int(self.value())
        return queryset.filter(interview__candidate_id=pk) if pk is not None else queryset.none()
