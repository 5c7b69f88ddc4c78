from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from accounts.models import Organization

OPEN_STATUSES = ("scheduled", "live")


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> Any:
        return self.filter(organization=organization)


class InterviewQuerySet(OrgQuerySet):
    def upcoming(self) -> Any:
        """Interviews still to happen or happening now."""
        return self.filter(status__in=OPEN_STATUSES)

    def past(self) -> Any:
        return self.exclude(status__in=OPEN_STATUSES)

    def with_participant_user(self, user: Any) -> Any:
        return self.filter(participants__user=user).distinct()
