from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.middleware import current_membership
from accounts.permissions import can_access_back_office


def organization(request: HttpRequest) -> dict[str, Any]:
    membership = current_membership(request) if request.user.is_authenticated else None
    org = membership.organization if membership is not None else None
    return {
        "current_membership": membership,
        "current_organization": org,
        "memberships": getattr(request, "_memberships", []),
        "can_access_back_office": can_access_back_office(request.user, org),
    }
