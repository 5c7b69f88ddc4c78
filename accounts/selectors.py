"""Reads for accounts; every list is scoped to the actor's organization."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import AuditLog, Invitation, Membership, Organization, User
from accounts.permissions import user_can
from accounts.services import invitation_token_hash


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The organizations a user belongs to, oldest first (the default organization first)."""
    return Membership.objects.filter(user=user).select_related("organization").order_by("created_at", "pk")


def membership_list(*, actor: User, organization: Organization) -> QuerySet[Membership]:
    """Members of ``organization`` that ``actor`` may see."""
    if not user_can(actor, "accounts.view_membership", organization=organization):
        return Membership.objects.none()
    return Membership.objects.for_org(organization).select_related("user", "organization")


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a link's token belongs to, or None for a forged or rotated token."""
    if not token or len(token) > 128:
        return None
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def audit_log_list(*, actor: User, organization: Organization) -> QuerySet[AuditLog]:
    """Audit entries of ``organization`` for an admin."""
    if not user_can(actor, "accounts.view_auditlog", organization=organization):
        return AuditLog.objects.none()
    return AuditLog.objects.for_org(organization).select_related("actor", "target_type")
