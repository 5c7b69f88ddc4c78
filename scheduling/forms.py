"""Forms of the availability page, the self-scheduling page and the back office's slot finder.

Wall-clock inputs (weekly windows, exceptions, busy time) are read in the person's own zone;
the forms turn instants into aware UTC datetimes and leave every rule to the services.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import time_zone_choices
from accounts.models import Membership, Organization, User
from interviews.models import Candidate, PipelineStage
from scheduling.models import AvailabilityRule, InterviewerPool, PoolMember, ShadowAssignment
from scheduling.permissions import STAFF_ROLES

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def aware(local: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC datetime (an ambiguous time takes its first meaning)."""
    return local.replace(tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))


# --- the availability page ----------------------------------------------------------------
class WindowForm(forms.Form):
    """One weekly window of a weekday (its formset's prefix names the day)."""

    start_time = forms.TimeField(label=_("From"), widget=TIME, required=False)
    end_time = forms.TimeField(label=_("Until"), widget=TIME, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("Give both times, or leave both empty."))
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", _("The end must be after the start."))
        return cleaned


WindowFormSet = forms.formset_factory(WindowForm, extra=1, can_delete=True, max_num=8, validate_max=True)


def weekly_formsets(data: Any, rules: list[AvailabilityRule]) -> list[tuple[int, str, Any]]:
    """One formset per weekday, filled with that day's windows: (weekday, day name, formset)."""
    sets = []
    for weekday, label in AvailabilityRule.Weekday.choices:
        initial = [{"start_time": r.start_time, "end_time": r.end_time} for r in rules if r.weekday == weekday]
        sets.append((weekday, str(label), WindowFormSet(data, initial=initial, prefix=f"day{weekday}")))
    return sets


class ExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    start_time = forms.TimeField(label=_("From"), widget=TIME, required=False)
    end_time = forms.TimeField(label=_("Until"), widget=TIME, required=False)
    available = forms.TypedChoiceField(
        label=_("That day"),
        choices=[("0", _("I am not available")), ("1", _("I am available (extra window)"))],
        coerce=lambda v: v == "1",
        initial="0",
        help_text=_("Leave the times empty to block the whole day."),
    )
    note = forms.CharField(label=_("Note (private)"), max_length=120, required=False)


class BusyForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=LOCAL_DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label=_("Until"), widget=LOCAL_DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    title = forms.CharField(label=_("What (private)"), max_length=120, required=False)

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            value = cleaned.get(name)
            if value is not None:
                cleaned[name] = aware(timezone.make_naive(value) if timezone.is_aware(value) else value, self.zone)
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            self.add_error("ends_at", _("The end must be after the start."))
        return cleaned


class CapsForm(forms.Form):
    daily_cap = forms.IntegerField(label=_("Interviews per day at most"), min_value=0, max_value=20)
    weekly_cap = forms.IntegerField(label=_("Interviews per week at most"), min_value=0, max_value=60)
    buffer_minutes = forms.IntegerField(label=_("Buffer between interviews (minutes)"), min_value=0, max_value=240)


# --- the back office's slot finder --------------------------------------------------------
def staff_queryset(organization: Organization | None) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.filter(organization=organization, role__in=STAFF_ROLES).values("user_id")
    ).order_by("full_name", "email")


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class CandidateChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.position.title}" if obj.position else obj.full_name


class StageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline.name} · {obj}"


class TraineeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class SlotSearchForm(forms.Form):
    """Who, which stage, with whom and when: the slot finder's question (days in the recruiter's zone)."""

    candidate = CandidateChoice(label=_("Candidate"), queryset=Candidate.objects.none())
    stage = StageChoice(label=_("Stage"), queryset=PipelineStage.objects.none())
    pool = forms.ModelChoiceField(label=_("Pool"), queryset=InterviewerPool.objects.none(), required=False)
    interviewers = PersonChoice(
        label=_("Or these interviewers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    required = forms.IntegerField(label=_("Interviewers needed"), min_value=1, max_value=5, initial=1)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=10,
        max_value=480,
        required=False,
        help_text=_("Empty: the stage's duration."),
    )
    first_day = forms.DateField(label=_("From"), widget=DATE)
    last_day = forms.DateField(label=_("Until (inclusive)"), widget=DATE)
    trainee = TraineeChoice(
        label=_("Add a trainee"), queryset=User.objects.none(), required=False, help_text=_("Trainees of any pool.")
    )
    shadow_kind = forms.ChoiceField(
        label=_("As"), choices=ShadowAssignment.Kind.choices, initial=ShadowAssignment.Kind.SHADOW, required=False
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["candidate"].queryset = (  # type: ignore[attr-defined]
            Candidate.objects.filter(organization=organization, position__isnull=False)
            .select_related("position")
            .order_by("full_name")
        )
        self.fields["stage"].queryset = (  # type: ignore[attr-defined]
            PipelineStage.objects.filter(pipeline__organization=organization)
            .select_related("pipeline")
            .order_by("pipeline__name", "order")
        )
        self.fields["pool"].queryset = InterviewerPool.objects.filter(organization=organization)  # type: ignore[attr-defined]
        self.fields["interviewers"].queryset = staff_queryset(organization)  # type: ignore[attr-defined]
        trainees = PoolMember.objects.filter(pool__organization=organization, status=PoolMember.Status.TRAINEE)
        self.fields["trainee"].queryset = staff_queryset(organization).filter(  # type: ignore[attr-defined]
            pk__in=trainees.values("user_id")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        candidate, stage = cleaned.get("candidate"), cleaned.get("stage")
        if candidate and stage and candidate.position and stage.pipeline_id != candidate.position.pipeline_id:
            self.add_error("stage", _("The stage must belong to the candidate's position's pipeline."))
        if bool(cleaned.get("pool")) == bool(cleaned.get("interviewers")):
            self.add_error("pool", _("Choose a pool or the interviewers, not both."))
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("The last day must not be before the first."))
            elif (last - first).days > 41:
                self.add_error("last_day", _("Search at most six weeks at a time."))
        return cleaned


def default_search_days(zone: zoneinfo.ZoneInfo) -> tuple[date, date]:
    today = timezone.now().astimezone(zone).date()
    return today + timedelta(days=1), today + timedelta(days=14)


class ZoneForm(forms.Form):
    """The candidate's choice of time zone (the page detects it first)."""

    tz = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices())
