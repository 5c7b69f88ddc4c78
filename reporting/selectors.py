"""Reads of reporting: report jobs, the caller's subscription and the candidates a report may cover.

Every read takes the actor and the organization and returns nothing for anyone outside that
organization's back office (admins and recruiters), so a view cannot forget the tenant or the role.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Organization
from accounts.permissions import can_access_back_office
from interviews.models import Candidate
from reporting.models import ReportJob, ReportSubscription


def report_job_list(*, actor: Any, organization: Organization) -> QuerySet[ReportJob]:
    """The organization's report jobs, newest first (none for anyone outside its back office)."""
    if not can_access_back_office(actor, organization):
        return ReportJob.objects.none()
    return ReportJob.objects.filter(organization=organization).select_related("requested_by")


def report_job_get(*, actor: Any, organization: Organization, pk: Any) -> ReportJob | None:
    """One job of the organization, or None (another organization's job does not exist here)."""
    return report_job_list(actor=actor, organization=organization).filter(pk=pk).first()


def report_candidate_list(*, actor: Any, organization: Organization) -> QuerySet[Candidate]:
    """The candidates a candidate report may be built for: the organization's, by name."""
    if not can_access_back_office(actor, organization):
        return Candidate.objects.none()
    return Candidate.objects.filter(organization=organization).select_related("position").order_by("full_name", "pk")


def report_candidate_get(*, actor: Any, organization: Organization, pk: Any) -> Candidate | None:
    return report_candidate_list(actor=actor, organization=organization).filter(pk=pk).first()


def report_subscription_get(*, actor: Any, organization: Organization) -> ReportSubscription | None:
    """The actor's own weekly-funnel subscription in the organization, if they ever subscribed."""
    if not can_access_back_office(actor, organization):
        return None
    subscriptions = ReportSubscription.objects.filter(
        organization=organization, user=actor, kind=ReportSubscription.Kind.WEEKLY_FUNNEL
    )
    return subscriptions.select_related("organization").first()
