"""allauth adapter: an invitation opened before sign-up is accepted when the account is made.

When the new account's address is the invited one, it counts as verified (the link reached that
inbox), so no confirmation e-mail is needed; any other address is verified as usual.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import Invitation, User
from accounts.selectors import invitation_get_by_token

PENDING_INVITATION_KEY = "pending_invitation_token"


def pending_invitation(request: HttpRequest) -> Invitation | None:
    token = request.session.get(PENDING_INVITATION_KEY)
    invitation = invitation_get_by_token(token=token) if token else None
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return None
    return invitation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        from accounts.services import invitation_accept

        user = super().save_user(request, user, form, commit=commit)
        invitation = pending_invitation(request)
        if commit and invitation is not None and invitation.email.lower() == user.email.lower():
            membership = invitation_accept(invitation=invitation, user=user)
            # The link reached this inbox: allauth marks the address verified (its own mechanism),
            # and only here, where the new account's address is the invited one.
            self.stash_verified_email(request, invitation.email)
            request.session.pop(PENDING_INVITATION_KEY, None)
            from accounts.middleware import SESSION_ORG_KEY

            request.session[SESSION_ORG_KEY] = membership.organization_id
        return user

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")
