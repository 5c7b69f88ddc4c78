"""The filters every report takes: positions, team, source and a period, read from GET parameters.

``ReportFilterForm`` validates what a browser (or a hand-edited link) sends and turns it into the
frozen ``ReportFilters`` that the compute functions, CSV and PDF exports share. Its choices come
from the organization only, so another organization's position is a form error, never data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from interviews.models import Candidate, Position

#: the longest period a report covers (two years, a leap day included)
MAX_SPAN_DAYS = 731

#: shortcuts offered next to the period fields: (GET value, label, days back from today)
PRESETS: list[tuple[str, Any, int]] = [
    ("30", _("Last 30 days"), 30),
    ("90", _("Last 90 days"), 90),
    ("365", _("Last 12 months"), 365),
]


def organization_zone(organization: Organization) -> ZoneInfo:
    try:
        return ZoneInfo(organization.time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class ReportFilters:
    organization: Organization
    positions: tuple[int, ...] = ()  # Position pks, empty = all
    team: str = ""  # Position.team, "" = all
    source: str = ""  # Candidate.Source value, "" = all
    start: date | None = None  # period, inclusive, organization time zone
    end: date | None = None

    def params(self) -> list[tuple[str, str]]:
        """The GET parameters that rebuild these filters (the form's field names)."""
        pairs = [("position", str(pk)) for pk in self.positions]
        if self.team:
            pairs.append(("team", self.team))
        if self.source:
            pairs.append(("source", self.source))
        if self.start:
            pairs.append(("start", self.start.isoformat()))
        if self.end:
            pairs.append(("end", self.end.isoformat()))
        return pairs

    def query_string(self) -> str:
        """``position=1&position=2&team=…`` for links that keep the filters (drill-down, CSV, PDF)."""
        return urlencode(self.params())

    def zone(self) -> ZoneInfo:
        return organization_zone(self.organization)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as aware datetimes: [start 00:00, day after end 00:00) in the org's zone."""
        zone = self.zone()
        start = datetime.combine(self.start, time.min, tzinfo=zone) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone) if self.end else None
        return start, end

    def describe(self) -> list[tuple[str, str]]:
        """The filters in words, for page and PDF headers."""
        titles = dict(Position.objects.filter(organization=self.organization).values_list("pk", "title"))
        return [
            (str(_("Positions")), ", ".join(titles.get(pk, "?") for pk in self.positions) or str(_("all"))),
            (str(_("Team")), self.team or str(_("all"))),
            (str(_("Source")), str(dict(Candidate.Source.choices).get(self.source, _("all")))),
            (str(_("From")), self.start.isoformat() if self.start else str(_("the beginning"))),
            (str(_("To")), self.end.isoformat() if self.end else str(_("today"))),
        ]


def team_choices(organization: Organization) -> list[tuple[str, str]]:
    teams = (
        Position.objects.filter(organization=organization)
        .exclude(team="")
        .values_list("team", flat=True)
        .distinct()
        .order_by("team")
    )
    return [("", str(_("All teams"))), *((t, t) for t in teams)]


class ReportFilterForm(forms.Form):
    """Validates a report's GET parameters; ``filters(org)`` gives the ``ReportFilters``."""

    position = forms.ModelMultipleChoiceField(
        label=_("Positions"),
        queryset=Position.objects.none(),
        required=False,
        help_text=_("None chosen: all positions."),
        error_messages={"invalid_choice": _("Choose positions of your organization only.")},
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *Candidate.Source.choices]
    )
    preset = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("", _("Custom dates")), *((v, label) for v, label, _days in PRESETS)],
        help_text=_("A shortcut; it replaces the dates below."),
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        position_field = cast(forms.ModelMultipleChoiceField, self.fields["position"])
        position_field.queryset = Position.objects.filter(organization=organization).order_by("title")
        cast(forms.ChoiceField, self.fields["team"]).choices = team_choices(organization)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        preset = cleaned.get("preset")
        if preset:
            days = {v: d for v, _label, d in PRESETS}[preset]
            today = timezone.now().astimezone(organization_zone(self.organization)).date()
            cleaned["start"], cleaned["end"] = today - timedelta(days=days - 1), today
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period must be on or after its start."))
            elif (end - start).days + 1 > MAX_SPAN_DAYS:
                self.add_error("end", _("A report covers two years at most: choose a shorter period."))
        return cleaned

    def filters(self, organization: Organization) -> ReportFilters:
        """The validated filters (call after ``is_valid()`` returned True)."""
        if organization.pk != self.organization.pk:
            raise ValueError("the form was built for another organization")
        data = self.cleaned_data
        return ReportFilters(
            organization=organization,
            positions=tuple(sorted(p.pk for p in data.get("position") or [])),
            team=data.get("team") or "",
            source=data.get("source") or "",
            start=data.get("start"),
            end=data.get("end"),
        )
