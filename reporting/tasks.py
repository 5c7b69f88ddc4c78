"""Celery tasks of reporting (thin: re-fetch by id, call a service); names are fixed.

The PDF builders are heavy (WeasyPrint) and go to the ``batch`` queue, so reminders never wait
behind a PDF; the sweep of lost jobs is light and runs on ``default``, so it still runs when the
batch worker is the one that is gone.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from reporting import services


@shared_task(name="reporting.report_job_run", acks_late=True, soft_time_limit=300, time_limit=360)
def report_job_run_task(job_id: int) -> str:
    """Build one report job's PDF (a job already claimed or finished is left alone)."""
    return services.report_job_run(job_id=job_id)


@shared_task(name="reporting.subscriptions_send_weekly", acks_late=True, soft_time_limit=1800, time_limit=1900)
def subscriptions_send_weekly_task(now: str | None = None) -> int:
    """E-mail the weekly funnel PDF to every active subscription that has not had it yet.

    ``now`` (ISO 8601, for tests and catching up by hand) stands in for the clock.
    """
    return services.subscriptions_send_weekly(now=datetime.fromisoformat(now) if now else None)


@shared_task(name="reporting.report_jobs_fail_stale", soft_time_limit=60, time_limit=90)
def report_jobs_fail_stale_task() -> int:
    """Fail the report jobs whose worker was lost, so their pages stop waiting."""
    return services.report_jobs_fail_stale()
