"""Decide "may this user do X to this object": organization role first, then object permission.

Actions are Django permission names (``"accounts.add_invitation"``). A role grants a fixed set
of them inside its own organization; anything a role does not grant can still be granted on one
object with django-guardian (``assign_perm("accounts.view_auditlog", user, obj)``). An object that
belongs to another organization is never allowed, whatever the grants say. Views, the admin, the
API and consumers all ask ``user_can``; nothing else reads roles to make decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.models import BACK_OFFICE_ROLES, Membership, Organization, Role

if TYPE_CHECKING:
    from accounts.models import User

_ADMIN_ONLY = {
    "accounts.change_organization",
    "accounts.change_membership",
    "accounts.delete_membership",
    "accounts.view_auditlog",
    "accounts.invite_admin",
}
_RECRUITER = {
    "accounts.view_organization",
    "accounts.view_membership",
    "accounts.view_user",
    "accounts.view_invitation",
    "accounts.add_invitation",
    "accounts.change_invitation",
}


def _crud(app: str, *models: str) -> set[str]:
    return {f"{app}.{verb}_{model}" for model in models for verb in ("view", "add", "change", "delete")}


# The hiring back office: recruiters and admins run it in full.
_HIRING = _crud(
    "interviews",
    "position",
    "pipelinetemplate",
    "pipelinestage",
    "candidate",
    "candidatenote",
    "tag",
    "interview",
    "participant",
    "interviewquestion",
) | {"interviews.view_scorecard", "interviews.view_private_note"}
# Coding problems are run like the question bank; what candidates did in assessments is read-only
# evidence (sessions, submissions, runs, snapshots, integrity events, plagiarism matches).
_HIRING |= _crud("assessments", "problem", "testcase") | {
    f"assessments.view_{model}"
    for model in ("dsasession", "submission", "coderun", "proctoringsnapshot", "integrityevent", "plagiarismmatch")
}
_ADMIN_ONLY |= {"accounts.view_apikey", "accounts.add_apikey", "accounts.change_apikey"}
# Scheduling: recruiters run pools, self-scheduling links, shadowing and everyone's availability;
# the organization's reminder and slot settings are the admins' (recruiters read them).
_HIRING |= _crud(
    "scheduling",
    "interviewerprofile",
    "availabilityrule",
    "availabilityexception",
    "busyblock",
    "interviewerpool",
    "poolmember",
    "shadowassignment",
    "schedulinglink",
) | {"scheduling.view_schedulingsettings", "scheduling.view_calendarevent"}
_ADMIN_ONLY |= {"scheduling.add_schedulingsettings", "scheduling.change_schedulingsettings"}

# Interviewers read the question bank; everything else they reach is decided per interview
# (see interviews.permissions): the interviews they take part in, their own scorecards.
_INTERVIEWER = {"interviews.view_interviewquestion", "assessments.view_problem"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(_RECRUITER | _ADMIN_ONLY | _HIRING),
    Role.RECRUITER: frozenset(_RECRUITER | _HIRING),
    Role.INTERVIEWER: frozenset(_INTERVIEWER),
    Role.CANDIDATE: frozenset(),
}


def membership_for(user: User | Any, organization: Organization | None) -> Membership | None:
    """The user's membership in ``organization``, cached on the user for the request."""
    if organization is None or not getattr(user, "is_authenticated", False):
        return None
    api_key = getattr(user, "api_key", None)
    if api_key is not None:  # an integration acts as its key's role, in its key's organization only
        if api_key.organization_id != organization.pk:
            return None
        return Membership(organization=api_key.organization, role=api_key.role)
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_membership_cache", {})
    if organization.pk not in cache:
        cache[organization.pk] = (
            Membership.objects.select_related("organization").filter(user=user, organization=organization).first()
        )
    return cache[organization.pk]


def object_organization(obj: Any) -> Organization | None:
    if isinstance(obj, Organization):
        return obj
    org = getattr(obj, "organization", None)
    return org if isinstance(org, Organization) else None


def membership_role(user: User | Any, organization: Organization | None) -> str | None:
    """The user's role in ``organization`` (None when not a member)."""
    membership = membership_for(user, organization)
    return membership.role if membership is not None else None


def user_can(user: User | Any, action: str, obj: Any = None, *, organization: Organization | None = None) -> bool:
    """Whether ``user`` may perform ``action`` (a permission name) on ``obj`` in ``organization``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    obj_org = object_organization(obj) if obj is not None else None
    if obj_org is not None and organization is not None and obj_org.pk != organization.pk:
        return False
    org = obj_org or organization
    membership = membership_for(user, org)
    if membership is None:
        return False
    if action in ROLE_PERMISSIONS.get(membership.role, frozenset()):
        return True
    return obj is not None and user.pk is not None and user.has_perm(action, obj)


def can_access_back_office(user: User | Any, organization: Organization | None) -> bool:
    """Admins and recruiters of the organization (and platform superusers) reach the admin."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    membership = membership_for(user, organization)
    return membership is not None and membership.role in BACK_OFFICE_ROLES


def roles_user_may_invite(user: User | Any, organization: Organization) -> list[str]:
    if not user_can(user, "accounts.add_invitation", organization=organization):
        return []
    if user_can(user, "accounts.invite_admin", organization=organization):
        return [r.value for r in Role]
    return [r.value for r in Role if r != Role.ADMIN]
