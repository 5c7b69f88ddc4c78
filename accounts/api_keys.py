"""API keys for integrations: ``Authorization: Api-Key ts_<prefix>_<secret>``.

The key is shown once; only its SHA-256 is stored, found through its public prefix and compared
in constant time. A request made with a key acts as the key's organization role.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import APIKey, Organization, User
from accounts.permissions import user_can
from accounts.services import audit_record
from talentsync.errors import NotAllowed, StateError

LAST_USED_PRECISION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyPrincipal:
    """Stands in for ``request.user`` on requests authenticated by an API key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def __init__(self, key: APIKey):
        self.api_key = key
        self.email = f"api-key:{key.prefix}"
        self.full_name = key.name

    def __str__(self) -> str:
        return f"API key {self.api_key}"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False


@transaction.atomic
def api_key_create(*, organization: Organization, name: str, role: str, created_by: User | None) -> tuple[APIKey, str]:
    """Create a key; returns it with the raw value, which is never shown again."""
    if created_by is not None and not user_can(created_by, "accounts.add_apikey", organization=organization):
        raise NotAllowed(_("Only admins can create API keys."))
    prefix = secrets.token_hex(4)
    raw = f"ts_{prefix}_{secrets.token_urlsafe(32)}"
    key = APIKey(
        organization=organization,
        name=name.strip(),
        role=role,
        prefix=prefix,
        key_hash=_hash(raw),
        created_by=created_by,
    )
    key.full_clean()
    key.save()
    audit_record(action="api_key.create", actor=created_by, target=key, changes={"role": role})
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: APIKey, actor: User) -> APIKey:
    """Stop a key from working at once."""
    if not user_can(actor, "accounts.change_apikey", key):
        raise NotAllowed(_("Only admins can revoke API keys."))
    if key.revoked_at:
        raise StateError(_("This key is already revoked."))
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(action="api_key.revoke", actor=actor, target=key)
    return key


def api_key_authenticate(raw: str) -> APIKey | None:
    """The active key behind ``raw``, or None; records when it was last used (to the minute)."""
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "ts" or len(raw) > 200:
        return None
    key = APIKey.objects.select_related("organization").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
