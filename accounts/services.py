"""Writes for accounts: organizations, memberships, invitations and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import request_context
from accounts.models import AuditLog, Invitation, Membership, Organization, Role, User
from accounts.permissions import roles_user_may_invite, user_can
from talentsync.errors import NotAllowed, StateError


# --- audit ------------------------------------------------------------------------------
def audit_record(
    *,
    action: str,
    actor: User | None = None,
    organization: Organization | None = None,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit entry; the client IP comes from the current request, if any."""
    if organization is None and target is not None:
        organization = target if isinstance(target, Organization) else getattr(target, "organization", None)
    return AuditLog.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=getattr(actor, "email", "") or "system" if actor is not None else "system",
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        changes=changes or {},
        ip_address=request_context.client_ip.get(),
    )


def _changed_fields(instance: models.Model, data: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for field, value in data.items():
        old = getattr(instance, field)
        if old != value:
            changes[field] = [str(old), str(value)]
    return changes


# --- organizations ----------------------------------------------------------------------
@transaction.atomic
def organization_create(
    *,
    name: str,
    slug: str,
    created_by: User,
    time_zone: str = "UTC",
    primary_color: str = "#2563eb",
    logo: Any = None,
) -> Organization:
    """Create an organization whose first admin is its creator."""
    organization = Organization(name=name, slug=slug, time_zone=time_zone, primary_color=primary_color)
    if logo:
        organization.logo = logo
    organization.full_clean()
    organization.save()
    audit_record(action="organization.create", actor=created_by, target=organization)
    membership_add(user=created_by, organization=organization, role=Role.ADMIN, actor=created_by)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, actor: User, data: dict[str, Any]) -> Organization:
    """Change an organization's settings (admins only; the plan only by platform staff)."""
    if not user_can(actor, "accounts.change_organization", organization):
        raise NotAllowed(_("Only an admin of this organization can change its settings."))
    editable = {"name", "time_zone", "logo", "primary_color", "require_mfa_for_staff"}
    if actor.is_superuser:
        editable.add("plan")
    unknown = set(data) - editable
    if unknown:
        raise NotAllowed(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    changes = _changed_fields(organization, data)
    for field, value in data.items():
        setattr(organization, field, value)
    organization.full_clean()
    organization.save()
    if changes:
        audit_record(action="organization.update", actor=actor, target=organization, changes=changes)
    return organization


# --- memberships ------------------------------------------------------------------------
@transaction.atomic
def membership_add(*, user: User, organization: Organization, role: str, actor: User | None) -> Membership:
    """Make ``user`` a member of ``organization`` with ``role``; an existing membership is kept."""
    existing = Membership.objects.filter(user=user, organization=organization).first()
    if existing is not None:
        return existing
    membership = Membership(user=user, organization=organization, role=role)
    membership.full_clean()
    membership.save()
    audit_record(action="membership.create", actor=actor, target=membership, changes={"role": role})
    return membership


def _ensure_another_admin(membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        return
    # Lock the organization row so two admins demoting each other at once cannot both succeed.
    Organization.objects.select_for_update().get(pk=membership.organization_id)
    others = Membership.objects.filter(organization_id=membership.organization_id, role=Role.ADMIN)
    if not others.exclude(pk=membership.pk).exists():
        raise StateError(_("An organization needs at least one admin: make someone else admin first."))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Give a member another role in their organization (admins only)."""
    if not user_can(actor, "accounts.change_membership", membership):
        raise NotAllowed(_("Only an admin can change roles."))
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role == membership.role:
        return membership
    if role != Role.ADMIN:
        _ensure_another_admin(membership)
    old = membership.role
    membership.role = role
    membership.full_clean(validate_unique=False)
    membership.save(update_fields=["role", "updated_at"])
    audit_record(action="membership.change_role", actor=actor, target=membership, changes={"role": [old, role]})
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    """Remove a member from an organization (admins only; never the last admin)."""
    if not user_can(actor, "accounts.delete_membership", membership):
        raise NotAllowed(_("Only an admin can remove members."))
    _ensure_another_admin(membership)
    audit_record(
        action="membership.remove",
        actor=actor,
        organization=membership.organization,
        target=membership,
        changes={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


# --- invitations ------------------------------------------------------------------------
def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, invitation_token_hash(token)


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_detail", kwargs={"token": token})


def _send_after_commit(invitation: Invitation, token: str) -> None:
    # A worker sends it: a slow or failing mail server must neither fail nor slow the request.
    # The raw token travels in the task message because it is stored nowhere else.
    from accounts.tasks import invitation_send_email_task

    invitation_id = invitation.pk
    transaction.on_commit(lambda: invitation_send_email_task.delay(invitation_id, token))


def invitation_send_email(*, invitation_id: int, token: str) -> bool:
    """E-mail the link of a pending invitation; False (nothing sent) when the link is dead."""
    invitation = Invitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.token_hash != invitation_token_hash(token):
        return False  # deleted, or a resend rotated the link since: never mail a dead link
    if invitation.status != Invitation.Status.PENDING:
        return False
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "url": invitation_url(token),
        "inviter": invitation.invited_by,
        "expires_at": invitation.expires_at,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
        body=render_to_string("accounts/email/invitation_message.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("accounts/email/invitation_message.html", context), "text/html")
    message.send()
    return True


def invitation_check(*, organization: Organization, email: str, role: str, invited_by: User) -> str:
    """Validate an invitation before it is made; returns the normalised e-mail address."""
    allowed = roles_user_may_invite(invited_by, organization)
    if not allowed:
        raise NotAllowed(_("Only admins and recruiters can invite people."))
    if role not in allowed:
        label = Role(role).label if role in Role.values else role
        raise ValidationError({"role": _("You cannot invite someone as %(role)s.") % {"role": label}})
    email = User.objects.normalize_email(email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of %(org)s.") % {"email": email, "org": organization.name}}
        )
    if Invitation.objects.pending().filter(organization=organization, email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s already has a pending invitation; resend it instead.") % {"email": email}}
        )
    return email


def _check_may_manage(actor: User, invitation: Invitation, message: str) -> None:
    # Managing an invitation takes the right to grant its role: a recruiter cannot touch an admin's.
    allowed_roles = roles_user_may_invite(actor, invitation.organization)
    if not user_can(actor, "accounts.change_invitation", invitation) or invitation.role not in allowed_roles:
        raise NotAllowed(message)


@transaction.atomic
def invitation_create(*, organization: Organization, email: str, role: str, invited_by: User) -> tuple[Invitation, str]:
    """Invite ``email`` to ``organization`` with ``role``; returns the invitation and its raw token.

    The e-mail is sent by a worker after commit. The raw token exists only in that e-mail and in
    the return value (the seed command prints it for the demo).
    """
    email = invitation_check(organization=organization, email=email, role=role, invited_by=invited_by)
    # An open invitation that has expired is replaced: revoke it so the new one is the only open one.
    for stale in Invitation.objects.open().filter(organization=organization, email__iexact=email).select_for_update():
        stale.revoked_at = timezone.now()
        stale.save(update_fields=["revoked_at", "updated_at"])
        audit_record(action="invitation.revoke", actor=invited_by, target=stale, changes={"reason": "replaced"})
    token, token_hash = _new_token()
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
        sent_count=1,
    )
    invitation.full_clean(validate_constraints=False)
    invitation.save()
    audit_record(
        action="invitation.create", actor=invited_by, target=invitation, changes={"email": email, "role": role}
    )
    _send_after_commit(invitation, token)
    return invitation, token


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> tuple[Invitation, str]:
    """Send a fresh link (the old one stops working) and restart the expiry clock."""
    _check_may_manage(actor, invitation, _("You cannot resend this invitation."))
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise StateError(_("This invitation was already %(status)s.") % {"status": invitation.get_status_label()})
    token, invitation.token_hash = _new_token()
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.sent_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_count", "updated_at"])
    audit_record(action="invitation.resend", actor=actor, target=invitation)
    _send_after_commit(invitation, token)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Make an open invitation's link stop working."""
    _check_may_manage(actor, invitation, _("You cannot revoke this invitation."))
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise StateError(_("This invitation was already %(status)s.") % {"status": invitation.get_status_label()})
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(action="invitation.revoke", actor=actor, target=invitation)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Accept a pending invitation as ``user``: creates the membership (or keeps an existing one)."""
    invitation = Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    status = invitation.status
    if status != Invitation.Status.PENDING:
        raise StateError(
            _("This invitation is %(status)s.") % {"status": invitation.get_status_label()}, code=f"invitation_{status}"
        )
    if invitation.email.lower() != user.email.lower():
        raise NotAllowed(_("This invitation was sent to another e-mail address."), code="invitation_wrong_user")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit_record(action="invitation.accept", actor=user, target=invitation, changes={"role": invitation.role})
    return membership_add(user=user, organization=invitation.organization, role=invitation.role, actor=user)


@transaction.atomic
def invitation_purge_expired(*, older_than_days: int | None = None) -> int:
    """Delete open invitations that expired more than ``older_than_days`` ago; returns how many."""
    days = settings.INVITATION_PURGE_AFTER_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    # Lock the rows first so the audited counts are exactly what is deleted.
    rows = list(Invitation.objects.expired_before(cutoff).select_for_update().values_list("pk", "organization_id"))
    counts: dict[int, int] = {}
    for _pk, org_id in rows:
        counts[org_id] = counts.get(org_id, 0) + 1
    deleted, _detail = Invitation.objects.filter(pk__in=[pk for pk, _org in rows]).delete()
    for org in Organization.objects.filter(pk__in=counts):
        audit_record(action="invitation.purge_expired", organization=org, changes={"deleted": counts[org.pk]})
    return deleted
