"""Forms of the interviewer and candidate pages (the back office uses the admin's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from interviews.models import Scorecard

RATING_CHOICES = [
    (1, _("1 – Poor")),
    (2, _("2 – Mixed")),
    (3, _("3 – Good")),
    (4, _("4 – Excellent")),
]
COMMENTS_MAX_LENGTH = 20000


class ScorecardForm(forms.Form):
    """One interviewer's scorecard: a 1–4 rating per stage criterion, a recommendation, comments.

    A draft may leave anything blank; ``final=True`` (the "Submit" button) requires every rating
    and the recommendation. The rules are checked again by ``scorecard_save``; this form only
    gives people their errors next to the right field.
    """

    recommendation = forms.ChoiceField(
        label=_("Overall recommendation"),
        choices=Scorecard.Recommendation.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose strong no, no, yes or strong yes.")},
    )
    comments = forms.CharField(
        label=_("Comments"),
        required=False,
        max_length=COMMENTS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you saw, with examples. The candidate never sees this."),
    )

    def __init__(self, *args: Any, criteria: list[str], final: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.final = final
        rating_fields = {}
        for index, name in enumerate(self.criteria):
            rating_fields[self.rating_field_name(index)] = forms.TypedChoiceField(
                label=name,
                choices=RATING_CHOICES,
                coerce=int,
                required=final,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Rate this criterion before submitting."),
                    "invalid_choice": _("Choose a rating from 1 to 4."),
                },
            )
        # ratings first, in the stage's order, then the recommendation and the comments
        self.fields = {**rating_fields, **self.fields}

    @staticmethod
    def rating_field_name(index: int) -> str:
        return f"rating_{index}"

    @classmethod
    def initial_from(cls, scorecard: Scorecard | None, criteria: list[str]) -> dict[str, Any]:
        """Form values for a saved draft (nothing when there is none)."""
        if scorecard is None:
            return {}
        initial: dict[str, Any] = {
            cls.rating_field_name(i): scorecard.ratings[name]
            for i, name in enumerate(criteria)
            if name in scorecard.ratings
        }
        initial["recommendation"] = scorecard.recommendation
        initial["comments"] = scorecard.comments
        return initial

    @property
    def rating_fields(self) -> list[forms.BoundField]:
        return [self[self.rating_field_name(i)] for i in range(len(self.criteria))]

    def clean_recommendation(self) -> str:
        value: str = self.cleaned_data.get("recommendation") or ""
        if self.final and not value:
            raise ValidationError(_("Give an overall recommendation before submitting."), code="required")
        return value

    def ratings(self) -> dict[str, int]:
        """The ratings given, by criterion name (blank ones left out)."""
        ratings: dict[str, int] = {}
        for index, name in enumerate(self.criteria):
            value = self.cleaned_data.get(self.rating_field_name(index))
            if value not in (None, ""):
                ratings[name] = int(value)
        return ratings

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a ``scorecard_save`` validation error next to the field it is about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = key if key in ("recommendation", "comments") else None
            self.add_error(field, messages)
