"""Writes for scorecards: draft, then submit once, against the stage's criteria."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from interviews.models import Interview, Participant, Scorecard
from talentsync.errors import NotAllowed, StateError


def _check_ratings(interview: Interview, ratings: Any, *, complete: bool) -> dict[str, int]:
    criteria = list(interview.stage.criteria)
    if not isinstance(ratings, dict):
        raise ValidationError({"ratings": _("Ratings must map each criterion to a number from 1 to 4.")})
    unknown = sorted(set(ratings) - set(criteria))
    if unknown:
        raise ValidationError({"ratings": _("Unknown criteria: %(names)s.") % {"names": ", ".join(unknown)}})
    for name, value in ratings.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
            raise ValidationError({"ratings": _("“%(name)s” must be rated 1, 2, 3 or 4.") % {"name": name}})
    if complete:
        missing = [c for c in criteria if c not in ratings]
        if missing:
            raise ValidationError({"ratings": _("Rate every criterion: %(names)s.") % {"names": ", ".join(missing)}})
    return {c: ratings[c] for c in criteria if c in ratings}


@transaction.atomic
def scorecard_save(
    *,
    interview: Interview,
    author: User,
    ratings: dict[str, int],
    recommendation: str = "",
    comments: str = "",
    submit: bool = False,
) -> Scorecard:
    """Save the author's scorecard; ``submit`` makes it final (it can no longer change)."""
    if not Participant.objects.filter(interview=interview, user=author, role=Participant.Role.INTERVIEWER).exists():
        raise NotAllowed(_("Only this interview's interviewers write its scorecards."))
    if interview.status in (Interview.Status.CANCELLED,):
        raise StateError(_("This interview was cancelled."))
    scorecard, _created = Scorecard.objects.select_for_update().get_or_create(interview=interview, author=author)
    if scorecard.submitted_at:
        raise StateError(_("You already submitted this scorecard."))
    scorecard.ratings = _check_ratings(interview, ratings, complete=submit)
    if recommendation and recommendation not in Scorecard.Recommendation.values:
        raise ValidationError({"recommendation": _("Choose strong no, no, yes or strong yes.")})
    if submit and not recommendation:
        raise ValidationError({"recommendation": _("Give an overall recommendation before submitting.")})
    scorecard.recommendation = recommendation
    scorecard.comments = comments.strip()
    if submit:
        scorecard.submitted_at = timezone.now()
    scorecard.full_clean()
    scorecard.save()
    audit_record(action="scorecard.submit" if submit else "scorecard.draft", actor=author, target=interview)
    return scorecard
