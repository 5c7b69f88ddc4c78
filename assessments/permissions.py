"""Who may read and manage the problem bank.

Admins and recruiters manage it; interviewers read it (they run candidates' code against the
cases, hidden ones included, in the live room); candidates never see it. Decisions go through
``accounts.permissions.user_can`` first, so object grants (guardian) and the organization check
apply; the role table below stands in for the ``assessments.*_problem`` rows that
``accounts.permissions.ROLE_PERMISSIONS`` does not list (yet).
"""

from __future__ import annotations

from typing import Any

from accounts.models import Organization, Role
from accounts.permissions import membership_role, object_organization, user_can

VIEW = "assessments.view_problem"
ADD = "assessments.add_problem"
CHANGE = "assessments.change_problem"
DELETE = "assessments.delete_problem"

_MANAGE = frozenset({VIEW, ADD, CHANGE, DELETE})
_ROLE_GRANTS: dict[str, frozenset[str]] = {
    Role.ADMIN: _MANAGE,
    Role.RECRUITER: _MANAGE,
    Role.INTERVIEWER: frozenset({VIEW}),
    Role.CANDIDATE: frozenset(),
}


def problem_user_can(user: Any, action: str, obj: Any = None, *, organization: Organization | None = None) -> bool:
    """``user_can`` for the problem bank's permissions (``assessments.<verb>_problem``)."""
    if user_can(user, action, obj, organization=organization):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    obj_org = object_organization(obj) if obj is not None else None
    if obj_org is not None and organization is not None and obj_org.pk != organization.pk:
        return False
    role = membership_role(user, obj_org or organization)
    return role is not None and action in _ROLE_GRANTS.get(role, frozenset())


def can_view_problem(user: Any, organization: Organization, obj: Any = None) -> bool:
    return problem_user_can(user, VIEW, obj, organization=organization)


def can_add_problem(user: Any, organization: Organization) -> bool:
    return problem_user_can(user, ADD, organization=organization)


def can_change_problem(user: Any, problem: Any) -> bool:
    return problem_user_can(user, CHANGE, problem)


def can_delete_problem(user: Any, problem: Any) -> bool:
    return problem_user_can(user, DELETE, problem)
