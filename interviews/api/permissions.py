"""Who may call which hiring endpoint; rows are then limited by the selectors.

Each view names the permission each action needs (``action_permissions``). ``PANEL`` marks the
reads an interviewer also makes: they pass the gate here and the selector narrows the rows to
the interviews they take part in (and those interviews' candidates). Another organization's
rows are simply not in the selector's queryset, so their ids answer 404.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.api.authentication import api_organization
from accounts.models import Role
from accounts.permissions import membership_role, user_can

#: an action any staff member may call; interviewers get only their own rows from the selector
PANEL = "panel"
#: the roles that take part in interviews as staff (a candidate-role member never reaches the API)
STAFF_ROLES = frozenset({Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER})


class HiringPermission(BasePermission):
    """Check ``view.action_permissions[view.action]`` against the caller's role in the organization."""

    def has_permission(self, request: Request, view: Any) -> bool:
        organization = api_organization(request)
        if organization is None:
            return False
        needed = view.action_permissions.get(view.action)
        if needed is None:
            # Actions a view does not list (e.g. DRF's OPTIONS "metadata") need a staff role.
            needed = PANEL
        if needed == PANEL:
            return membership_role(request.user, organization) in STAFF_ROLES
        return user_can(request.user, needed, organization=organization)


def is_hiring_staff(user: Any, organization: Any) -> bool:
    """Admins, recruiters and their keys: they see hints, answer guides and every interview."""
    return user_can(user, "interviews.view_interview", organization=organization)
