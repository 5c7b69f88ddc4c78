"""The forms that schedule and reschedule an interview: a start in a chosen time zone, a panel."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.contrib.admin import widgets
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import time_zone_choices
from accounts.models import Membership, Organization, User
from interviews.models import Candidate, Interview, PipelineStage
from interviews.services.interviews import STAFF_ROLES


class NaiveSplitDateTimeField(forms.SplitDateTimeField):
    """Date and time as typed; the time zone comes from its own field (nothing is assumed)."""

    def compress(self, data_list: Any) -> Any:
        if data_list and data_list[0] is not None and data_list[1] is not None:
            day: date = data_list[0]
            at: time = data_list[1]
            return datetime.combine(day, at)  # made aware with the chosen zone in clean()
        return None


class StartFieldsMixin(forms.Form):
    """A start time given as date, time and time zone, cleaned into an aware UTC datetime."""

    start = NaiveSplitDateTimeField(label=_("Starts"), widget=widgets.AdminSplitDateTime)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", "—"), *time_zone_choices()],
        required=False,
        help_text=_("The time zone the start is given in (the organization's by default)."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, zone = cleaned.get("start"), cleaned.get("time_zone")
        if start is not None:
            if not zone:
                self.add_error("time_zone", _("Choose the time zone of the start time."))
            else:
                local = start.replace(tzinfo=zoneinfo.ZoneInfo(zone))
                cleaned["scheduled_at"] = local.astimezone(zoneinfo.ZoneInfo("UTC"))
        return cleaned


def _staff_queryset(organization: Organization | None) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.filter(organization=organization, role__in=STAFF_ROLES).values("user_id")
    ).order_by("full_name", "email")


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class CandidateChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.position.title}"


class StageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline.name} · {obj}"


class InterviewScheduleForm(StartFieldsMixin, forms.ModelForm):
    """Schedule an interview: who, which stage, when, with whom."""

    organization: Organization | None = None
    candidate = CandidateChoice(label=_("Candidate"), queryset=Candidate.objects.none())
    stage = StageChoice(label=_("Stage"), queryset=PipelineStage.objects.none())
    interviewers = PersonChoice(
        label=_("Interviewers"),
        queryset=User.objects.none(),
        widget=widgets.FilteredSelectMultiple(_("interviewers"), is_stacked=False),
    )
    observers = PersonChoice(
        label=_("Observers"),
        queryset=User.objects.none(),
        required=False,
        widget=widgets.FilteredSelectMultiple(_("observers"), is_stacked=False),
    )

    class Meta:
        model = Interview
        fields = ("candidate", "stage", "duration_minutes")

    field_order = ("candidate", "stage", "start", "time_zone", "duration_minutes", "interviewers", "observers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.organization
        candidates = Candidate.objects.filter(organization=org, position__isnull=False).select_related("position")
        stages = PipelineStage.objects.filter(pipeline__organization=org).select_related("pipeline")
        picked = str(self.initial.get("candidate") or "")
        chosen = candidates.filter(pk=int(picked)).first() if picked.isdigit() else None
        if chosen is not None and not self.is_bound:
            # Opened from a candidate's page: only their pipeline's stages, their current one first.
            stages = stages.filter(pipeline_id=chosen.position.pipeline_id)  # type: ignore[union-attr]
            self.initial.setdefault("stage", chosen.current_stage_id)
        fields: Any = self.fields
        fields["candidate"].queryset = candidates
        fields["stage"].queryset = stages.order_by("pipeline__name", "order")
        fields["interviewers"].queryset = _staff_queryset(org)
        fields["observers"].queryset = _staff_queryset(org)
        self.fields["duration_minutes"].required = False
        self.fields["duration_minutes"].help_text = _("Empty: the stage's duration.")
        if org is not None:
            self.fields["time_zone"].initial = org.time_zone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        candidate, stage = cleaned.get("candidate"), cleaned.get("stage")
        if candidate is not None and stage is not None and stage.pipeline_id != candidate.position.pipeline_id:
            self.add_error("stage", _("Choose a stage of %(name)s's pipeline.") % {"name": candidate.full_name})
        both = set(cleaned.get("interviewers") or []) & set(cleaned.get("observers") or [])
        if both:
            self.add_error("observers", _("Someone cannot be interviewer and observer at once."))
        start = cleaned.get("scheduled_at")
        if start is not None and start < timezone.now():
            self.add_error("start", _("The start is in the past."))
        return cleaned

    def _post_clean(self) -> None:
        # An empty duration means the stage's own; fill it in before the model validates it.
        if self.cleaned_data.get("duration_minutes") is None:
            stage = self.cleaned_data.get("stage")
            self.cleaned_data["duration_minutes"] = stage.duration_minutes if stage else 60
        super()._post_clean()  # type: ignore[misc]


class InterviewRescheduleForm(StartFieldsMixin, forms.ModelForm):
    organization: Organization | None = None

    class Meta:
        model = Interview
        fields = ("duration_minutes",)

    field_order = ("start", "time_zone", "duration_minutes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.organization.time_zone if self.organization else "UTC"
        self.fields["time_zone"].initial = zone
        if self.instance.pk:
            local = self.instance.scheduled_at.astimezone(zoneinfo.ZoneInfo(zone))
            self.fields["start"].initial = local.replace(tzinfo=None)

    def has_changed(self) -> bool:
        return bool(self.changed_data)

    @property
    def changed_data(self) -> list[str]:
        changed = list(super().changed_data)
        start = self.cleaned_data.get("scheduled_at") if hasattr(self, "cleaned_data") else None
        changed = [f for f in changed if f not in ("start", "time_zone")]
        if start is not None and start != self.instance.scheduled_at:
            changed.append("scheduled_at")
        return changed
