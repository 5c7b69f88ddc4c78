from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts import request_context
from accounts.models import BACK_OFFICE_ROLES, Membership, Organization

SESSION_ORG_KEY = "current_organization_id"


class RequestContextMiddleware:
    """Expose the client address to services (for the audit log) for the length of a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_context.client_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            request_context.client_ip.reset(token)


def _current_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = list(Membership.objects.filter(user=user).select_related("organization").order_by("created_at", "pk"))
    request._memberships = memberships  # type: ignore[attr-defined]
    wanted = request.session.get(SESSION_ORG_KEY)
    for membership in memberships:
        if membership.organization_id == wanted:
            return membership
    return memberships[0] if memberships else None


class CurrentOrganizationMiddleware:
    """Set ``request.membership`` (lazily) from the session's choice of organization.

    A user may belong to several organizations; the session remembers which one they work in
    and falls back to their oldest membership. Code reads it through ``current_organization``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: _current_membership(request))  # type: ignore[attr-defined]
        return self.get_response(request)


def current_membership(request: HttpRequest) -> Membership | None:
    """The caller's membership in the organization they are working in, or None."""
    membership = getattr(request, "membership", None)
    return membership._wrapped if isinstance(membership, SimpleLazyObject) and membership else (membership or None)


def current_organization(request: HttpRequest) -> Organization | None:
    """The organization the caller is working in, or None (anonymous or no membership)."""
    membership = current_membership(request)
    return membership.organization if membership is not None else None


MFA_EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/media/",
    "/healthz",
    "/readyz",
    "/invitations/",
    "/join/",
    "/v1/dsa/",
)


class RequireMfaMiddleware:
    """Send admins and recruiters of an organization that requires 2FA to set it up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith(MFA_EXEMPT_PREFIXES):
            membership = current_membership(request)
            if (
                membership
                and membership.role in BACK_OFFICE_ROLES
                and membership.organization.require_mfa_for_staff
                and not _has_totp(request)
            ):
                messages.warning(
                    request,
                    _("%(org)s requires two-factor authentication for admins and recruiters. Set it up to continue.")
                    % {"org": membership.organization.name},
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def _has_totp(request: HttpRequest) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
