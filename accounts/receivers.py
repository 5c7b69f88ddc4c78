"""Audit account-security events that allauth performs (sign-up, passwords, e-mail, 2FA).

allauth owns these flows, so its signals are the one place to hear about them. Each event is
recorded once per organization the person belongs to, so every organization's admins see what
happened to their members' accounts (and once without organization for people in none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.dispatch import Signal

from accounts.models import Organization, User
from accounts.services import audit_record

Details = Callable[[dict[str, Any]], dict[str, Any]]


def _no_details(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {}


def _email(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"email": kwargs["email_address"].email}


def _email_change(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: getattr(kwargs.get(f"{key}_email_address"), "email", None) for key in ("from", "to")}


def _authenticator(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"type": kwargs["authenticator"].type}


# signal → (audit action, details taken from the signal's arguments)
EVENTS: list[tuple[Signal, str, Details]] = [
    (account_signals.user_signed_up, "account.sign_up", _no_details),
    (account_signals.user_logged_in, "account.log_in", _no_details),
    (account_signals.password_changed, "account.password_change", _no_details),
    (account_signals.password_set, "account.password_set", _no_details),
    (account_signals.password_reset, "account.password_reset", _no_details),
    (account_signals.email_confirmed, "account.email_confirm", _email),
    (account_signals.email_added, "account.email_add", _email),
    (account_signals.email_removed, "account.email_remove", _email),
    (account_signals.email_changed, "account.email_change", _email_change),
    (mfa_signals.authenticator_added, "account.mfa_add", _authenticator),
    (mfa_signals.authenticator_removed, "account.mfa_remove", _authenticator),
]


def _record(action: str, user: User, changes: dict[str, Any]) -> None:
    organizations: list[Organization | None] = list(Organization.objects.filter(memberships__user=user))
    for organization in organizations or [None]:
        audit_record(action=action, actor=user, organization=organization, target=user, changes=changes)


def _receiver(action: str, details: Details) -> Callable[..., None]:
    def receive(sender: Any, **kwargs: Any) -> None:
        user = kwargs.get("user") or kwargs["email_address"].user
        _record(action, user, details(kwargs))

    return receive


def connect() -> None:
    """Connect one audit receiver per allauth event (idempotent thanks to dispatch_uid)."""
    for signal, action, details in EVENTS:
        signal.connect(_receiver(action, details), weak=False, dispatch_uid=f"audit:{action}")
