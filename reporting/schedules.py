"""Periodic schedules of reporting, created in code (see ``manage.py setup_schedules``), and the
calendar of the weekly e-mail: which week a run reports on, which cohort it covers, when it goes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import Organization
from accounts.schedules import Schedule
from reporting.filters import organization_zone
from reporting.models import ReportSubscription

SCHEDULES: list[Schedule] = [
    {
        # hourly: each organization's week ends at its own midnight, a run that failed is caught
        # up an hour later, and the week kept with each send makes every other run a no-op
        "name": "Send weekly funnel reports",
        "task": "reporting.subscriptions_send_weekly",
        "crontab": {"minute": "23"},
        "queue": "batch",
    },
    {
        # on ``default``, not ``batch``: it must run when the batch worker is the one that died
        "name": "Fail report jobs whose worker stopped",
        "task": "reporting.report_jobs_fail_stale",
        "crontab": {"minute": "*/5"},
        "queue": "default",
    },
]


# --- the weekly e-mail's calendar (the organization's time zone) ------------------------------
#: the weekly report covers the candidates added in this many days up to the Sunday before
DEFAULT_DAYS = 90


def _today(organization: Organization, now: datetime | None) -> date:
    return (now or timezone.now()).astimezone(organization_zone(organization)).date()


def report_week(organization: Organization, now: datetime) -> tuple[str, date, date]:
    """The week before ``now`` in the organization's time zone: ("2026-W19", Monday, Sunday)."""
    local = _today(organization, now)
    start = local - timedelta(days=local.weekday() + 7)
    iso = start.isocalendar()
    return f"{iso.year}-W{iso.week:02d}", start, start + timedelta(days=6)


def subscription_days(subscription: ReportSubscription) -> int:
    """How many days of added candidates the subscription's report covers."""
    days = subscription.filters.get("days")
    return days if isinstance(days, int) and 1 <= days <= 731 else DEFAULT_DAYS


def subscription_period(subscription: ReportSubscription, week: tuple[str, date, date]) -> tuple[date, date]:
    """The cohort a weekly report covers: the candidates added in the ``days`` up to the week's Sunday."""
    end = week[2]
    return end - timedelta(days=subscription_days(subscription) - 1), end


def next_monday(organization: Organization, now: datetime | None = None) -> date:
    """The first send of a subscription made now: the coming Monday (a week on, on a Monday)."""
    today = _today(organization, now)
    return today + timedelta(days=7 - today.weekday())


def subscription_next_send(subscription: ReportSubscription, now: datetime | None = None) -> date:
    """The local day of the subscription's next e-mail: today while this week's is still due."""
    now = now or timezone.now()
    if subscription.last_sent_week != report_week(subscription.organization, now)[0]:
        return _today(subscription.organization, now)  # the next hourly run sends it
    return next_monday(subscription.organization, now)
