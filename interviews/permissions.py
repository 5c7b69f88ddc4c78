"""Per-interview rules on top of organization roles (``accounts.permissions.user_can``).

Recruiters and admins see everything of their organization. Interviewers and observers see
only the interviews they take part in, with the question plan, hints and answer guide.
Candidates never see hints, answer guides, scorecards or private notes.
"""

from __future__ import annotations

from typing import Any

from accounts.permissions import user_can
from interviews.models import Interview, Participant


def can_view_interview(user: Any, interview: Interview) -> bool:
    if user_can(user, "interviews.view_interview", interview):
        return True
    return (
        getattr(user, "pk", None) is not None
        and Participant.objects.filter(
            interview=interview, user=user, role__in=(Participant.Role.INTERVIEWER, Participant.Role.OBSERVER)
        ).exists()
    )


def can_see_interviewer_material(user: Any, interview: Interview) -> bool:
    """Hints and answer guides: the organization's hiring staff and this interview's panel."""
    return can_view_interview(user, interview)


def can_write_scorecard(user: Any, interview: Interview) -> bool:
    return (
        getattr(user, "pk", None) is not None
        and Participant.objects.filter(interview=interview, user=user, role=Participant.Role.INTERVIEWER).exists()
    )
