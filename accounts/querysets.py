from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import Organization


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> OrgScopedQuerySet:
        return self.filter(organization=organization)


class MembershipQuerySet(OrgScopedQuerySet):
    def with_roles(self, *roles: str) -> MembershipQuerySet:
        return self.filter(role__in=roles)


class InvitationQuerySet(OrgScopedQuerySet):
    def open(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def pending(self) -> InvitationQuerySet:
        return self.open().filter(expires_at__gt=timezone.now())

    def expired_before(self, moment) -> InvitationQuerySet:  # type: ignore[no-untyped-def]
        return self.open().filter(expires_at__lt=moment)


class AuditLogQuerySet(OrgScopedQuerySet):
    pass
