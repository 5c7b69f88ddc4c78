"""Who may do what in scheduling: role rules on top of ``accounts.permissions.user_can``.

Everyone on the staff of an organization (admins, recruiters, interviewers) keeps their own
availability; only admins and recruiters (the ``scheduling.*`` model permissions of their role)
touch other people's availability, pools, self-scheduling links and shadowing.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Organization, Role
from accounts.permissions import membership_role, user_can

STAFF_ROLES = (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER)


def is_staff_member(user: Any, organization: Organization | None) -> bool:
    """Whether ``user`` is an admin, recruiter or interviewer of ``organization``."""
    return membership_role(user, organization) in STAFF_ROLES


def can_edit_availability(actor: Any, organization: Organization | None, subject: Any) -> bool:
    """Whether ``actor`` may change ``subject``'s availability, caps and busy time in ``organization``."""
    if organization is None or not getattr(actor, "is_authenticated", False):
        return False
    if getattr(actor, "pk", None) == getattr(subject, "pk", None):
        return is_staff_member(actor, organization) or bool(actor.is_superuser)
    return user_can(actor, "scheduling.change_availabilityrule", organization=organization)


def can_manage_scheduling(actor: Any, organization: Organization | None) -> bool:
    """Admins and recruiters: pools, links, the slot finder, shadowing."""
    return user_can(actor, "scheduling.add_schedulinglink", organization=organization)
