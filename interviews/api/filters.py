"""Query filters of the hiring API: django-filter sets with camelCase names, and ordering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from interviews.api.fields import MAX_ID
from interviews.models import Candidate, Interview, InterviewQuestion, Position, Scorecard


class CamelOrderingFilter(OrderingFilter):
    """``?ordering=-scheduledAt,title``: the view's ``ordering_fields`` maps API names to model fields.

    Unknown names are dropped (DRF's behaviour); the default is the view's ``ordering``.
    """

    def _fields(self, view: Any) -> dict[str, str]:
        return dict(getattr(view, "ordering_fields", None) or {})

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        mapping = self._fields(view)
        if params:
            ordering = []
            for term in (t.strip() for t in params.split(",")):
                desc, name = term.startswith("-"), term.lstrip("-")
                if name in mapping:
                    ordering.append(("-" if desc else "") + mapping[name])
            if ordering:
                return ordering
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        names = sorted(self._fields(view))
        if not names:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(_("Comma-separated fields to sort by; prefix with “-” for descending.")),
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [p + n for n in names for p in ("", "-")]},
                },
                "style": "form",
                "explode": False,
            }
        ]


class IdFilter(django_filters.NumberFilter):
    """An integer id (django-filter's NumberFilter takes any decimal, which a database may not hold)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class PositionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Position.Status.choices)

    class Meta:
        model = Position
        fields: list[str] = []


class CandidateFilter(django_filters.FilterSet):
    position = IdFilter(field_name="position_id")
    stage = IdFilter(field_name="current_stage_id", label=_("Current stage id"))
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag name"))
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Candidate
        fields: list[str] = []

    def filter_tag(self, queryset: QuerySet[Candidate], name: str, value: str) -> QuerySet[Candidate]:
        # A subquery, not a join: a join would repeat candidates and break cursor pages.
        return queryset.filter(pk__in=Candidate.tags.through.objects.filter(tag__name=value).values("candidate_id"))


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, normalised to UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL only ±15:59, so the value is converted
    here; an instant that falls outside the representable years is a field error, not a 500.
    """

    def clean(self, value: Any) -> datetime | None:
        instant = super().clean(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_("This date and time is out of range."), code="out_of_range") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class InterviewFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Interview.Status.choices)
    position = IdFilter(field_name="position_id")
    candidate = IdFilter(field_name="candidate_id")
    stage = IdFilter(field_name="stage_id")
    scheduledAfter = UtcIsoDateTimeFilter(field_name="scheduled_at", lookup_expr="gte")
    scheduledBefore = UtcIsoDateTimeFilter(field_name="scheduled_at", lookup_expr="lt")

    class Meta:
        model = Interview
        fields: list[str] = []


class QuestionFilter(django_filters.FilterSet):
    difficulty = django_filters.ChoiceFilter(choices=InterviewQuestion.Difficulty.choices)
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag name"))

    class Meta:
        model = InterviewQuestion
        fields: list[str] = []

    def filter_tag(self, queryset: QuerySet[InterviewQuestion], name: str, value: str) -> QuerySet[InterviewQuestion]:
        through = InterviewQuestion.tags.through.objects.filter(tag__name=value)
        return queryset.filter(pk__in=through.values("interviewquestion_id"))


class ScorecardFilter(django_filters.FilterSet):
    interview = IdFilter(field_name="interview_id")
    candidate = IdFilter(field_name="interview__candidate_id")
    recommendation = django_filters.ChoiceFilter(choices=Scorecard.Recommendation.choices)

    class Meta:
        model = Scorecard
        fields: list[str] = []
