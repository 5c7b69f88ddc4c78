"""Demo data of reporting for ``manage.py seed_demo``: safe to run again (finds before it creates).

The recruiter subscribes to the weekly funnel PDF, and one candidate report is built for real
(WeasyPrint, in-process rather than on a worker) so the exports page has a finished job to open.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from accounts.models import Organization, User
from interviews.models import Candidate
from reporting import services
from reporting.models import ReportJob, ReportKind


def seed_reporting(*, organization: Organization, recruiter: User) -> dict[str, Any]:
    """A weekly-funnel subscription and one finished candidate report; what to print about them."""
    subscription = services.subscription_set(actor=recruiter, organization=organization, active=True)
    job = (
        ReportJob.objects.filter(organization=organization, kind=ReportKind.CANDIDATE, status=ReportJob.Status.DONE)
        .order_by("pk")
        .first()
    )
    if job is None:
        candidates = Candidate.objects.filter(organization=organization)
        candidate = (
            candidates.filter(interviews__scorecards__isnull=False).order_by("pk").first()
            or candidates.order_by("pk").first()
        )
        if candidate is not None:
            job = services.report_request(
                actor=recruiter,
                organization=organization,
                kind=ReportKind.CANDIDATE,
                params={"candidate": candidate.pk},
            )
            # seed_demo runs without a worker: build it here (the queued task finds it done)
            services.report_job_run(job_id=job.pk)
            job.refresh_from_db()
    return {
        "exports_url": settings.SITE_URL + reverse("reporting_jobs"),
        "job_url": settings.SITE_URL + reverse("reporting_job", args=[job.pk]) if job else "",
        "job_title": str(job) if job else "",
        "subscriber": subscription.user.email,
    }
