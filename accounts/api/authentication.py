"""``Authorization: Api-Key <key>`` for integrations, next to the browser's session.

A request made with a key acts as the key's organization role (``accounts.permissions``
understands ``ApiKeyPrincipal``); ``api_organization`` is where API views find the organization
they work in, whichever way the caller authenticated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

if TYPE_CHECKING:
    from accounts.api_keys import ApiKeyPrincipal
    from accounts.models import APIKey, Organization

# DRF imports this module while ``talentsync.errors`` (which ``accounts.services`` needs) is
# still loading, so the accounts modules are imported where they are used.

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Api-Key ts_<prefix>_<secret>``; a bad or revoked key is a 401."""

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, APIKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: let the session (or nobody) authenticate the request
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as “Authorization: Api-Key <key>”."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        from accounts.api_keys import ApiKeyPrincipal, api_key_authenticate

        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        # A non-empty challenge makes DRF answer 401 (not 403) to missing or bad credentials.
        return KEYWORD


def api_organization(request: Request | HttpRequest) -> Organization | None:
    """The organization an API request works in: the key's, else the session's current one."""
    from accounts.api_keys import ApiKeyPrincipal
    from accounts.middleware import current_organization

    user = getattr(request, "user", None)
    if isinstance(user, ApiKeyPrincipal):
        return user.api_key.organization
    return current_organization(request)  # type: ignore[arg-type]


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe the key in the OpenAPI schema (and the docs' "Authorize" dialog)."""

    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _("“Api-Key <key>”; keys are made in the back office or with manage.py create_api_key.")
            ),
        }
