"""Writes the API needs that ``interviews.services`` does not have yet.

They belong in ``interviews/services/pipelines.py`` (positions, questions) and
``interviews/services/candidates.py``; they are written here, in the services' own shape
(keyword-only, ``@transaction.atomic``, ``user_can`` first, audited), only because this change
could not touch those modules. Move them as they are and import them from ``interviews.services``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.permissions import user_can
from accounts.services import audit_record
from interviews.models import Candidate, Interview, InterviewQuestion, Position
from interviews.services import tags_get_or_create
from talentsync.errors import NotAllowed, StateError


@transaction.atomic
def position_delete(*, position: Position, actor: Any) -> None:
    """Delete a position that no candidate or interview refers to (close it otherwise)."""
    if not user_can(actor, "interviews.delete_position", position):
        raise NotAllowed(_("Only admins and recruiters manage positions."))
    audit_record(action="position.delete", actor=actor, target=position)
    try:
        with transaction.atomic():
            position.delete()
    except ProtectedError:
        raise StateError(
            _("This position has candidates or interviews; close it instead."), code="position_in_use"
        ) from None


@transaction.atomic
def candidate_delete(*, candidate: Candidate, actor: Any) -> None:
    """Delete a candidate with their past interviews and feedback (not while one is upcoming)."""
    if not user_can(actor, "interviews.delete_candidate", candidate):
        raise NotAllowed(_("Only admins and recruiters manage candidates."))
    if candidate.interviews.filter(status__in=(Interview.Status.SCHEDULED, Interview.Status.LIVE)).exists():
        raise StateError(_("Cancel the candidate's upcoming interviews first."), code="candidate_has_interviews")
    audit_record(action="candidate.delete", actor=actor, target=candidate)
    candidate.delete()


@transaction.atomic
def question_update(
    *, question: InterviewQuestion, actor: Any, data: dict[str, Any], tags: list[str] | None = None
) -> InterviewQuestion:
    """Change a question of the bank (text, hints, guide, difficulty, follow-ups, tags)."""
    if not user_can(actor, "interviews.change_interviewquestion", question):
        raise NotAllowed(_("Only admins and recruiters manage questions."))
    changes: dict[str, Any] = {}
    for field, value in data.items():
        if getattr(question, field) != value:
            changes[field] = [str(getattr(question, field))[:200], str(value)[:200]]
        setattr(question, field, value)
    question.full_clean()
    question.save()
    if tags is not None:
        question.tags.set(tags_get_or_create(organization=question.organization, names=tags))
        changes["tags"] = sorted(tags)
    if changes:
        audit_record(action="question.update", actor=actor, target=question, changes=changes)
    return question


@transaction.atomic
def question_delete(*, question: InterviewQuestion, actor: Any) -> None:
    """Remove a question from the bank (and from stage plans) unless an interview plans it."""
    if not user_can(actor, "interviews.delete_interviewquestion", question):
        raise NotAllowed(_("Only admins and recruiters manage questions."))
    audit_record(action="question.delete", actor=actor, target=question)
    try:
        with transaction.atomic():
            question.delete()
    except ProtectedError:
        raise StateError(
            _("Interviews have planned this question; it cannot be deleted."), code="question_in_use"
        ) from None
