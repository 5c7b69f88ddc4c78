"""Weekly funnel subscriptions: the page, and the PDF e-mailed through real SMTP once a week.

Every run of the weekly send is given its clock (``now=``): the subscription's first week and
the week a run reports on are both computed from it, so a test never mixes the machine's clock
with a fixed date. The page tests use the machine's clock throughout and send nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.db import connection
from django.urls import reverse

from accounts.models import AuditLog, Membership, Role
from interviews.models import Candidate
from reporting import services
from reporting.models import ReportSubscription
from reporting.schedules import SCHEDULES, next_monday, subscription_next_send
from reporting.tasks import subscriptions_send_weekly_task
from tests.browser import SmtpServer
from tests.concurrency import race
from tests.conftest import Tenant
from tests.test_reporting_pdf import candidate_with_history, pdf_text

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 5, 11, 7, 0, tzinfo=UTC)  # ISO week 20; the report covers week 19
THURSDAY_BEFORE = MONDAY - timedelta(days=4)  # a subscription made then gets its first e-mail on MONDAY


def subscribe(tenant: Tenant, role: str = "recruiter", *, now: datetime = THURSDAY_BEFORE, **filters: Any) -> Any:
    return services.subscription_set(
        actor=tenant.users[role], organization=tenant.org, active=True, filters=filters or None, now=now
    )


def pdf_attachments(message: Any) -> list[Any]:
    return [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]


def added_on(candidate: Candidate, day: datetime) -> None:
    Candidate.objects.filter(pk=candidate.pk).update(created_at=day)


def headline_candidates(text: str) -> int:
    """The funnel PDF's first headline figure (the cohort's size)."""
    match = re.search(r"(?i)candidates\s+in process\s+hired\s*\n\s*(\d+)\s", text)
    assert match, text[:600]
    return int(match.group(1))


# --- the weekly send --------------------------------------------------------------------------
def test_a_subscriber_gets_the_last_90_days_cohort_by_email_on_monday(acme: Tenant, smtp: SmtpServer) -> None:
    # given: one candidate added a month before the report's Sunday, one added half a year before
    recent = candidate_with_history(acme.org, acme.users["interviewer"], name="Recent Person")
    older = candidate_with_history(acme.org, acme.users["interviewer"], name="Older Person")
    added_on(recent, datetime(2026, 4, 10, 12, 0, tzinfo=UTC))
    added_on(older, datetime(2025, 11, 10, 12, 0, tzinfo=UTC))
    subscribe(acme)

    # when
    sent = services.subscriptions_send_weekly(now=MONDAY)

    # then: the candidates added in the 90 days to Sunday 10 May (from 10 Feb), said so in the mail
    assert sent == 1
    message = smtp.inbox.wait_for(to="recruiter@acme.test")
    assert message["Subject"] == "Acme: hiring funnel, week 2026-W19"
    assert "Acme via TalentSync" in message["From"]
    [attachment] = pdf_attachments(message)
    assert attachment.get_filename() == "hiring-funnel-2026-W19.pdf"
    text = pdf_text(attachment.get_content())
    assert "Hiring funnel" in text
    assert "10 Feb 2026 – 10 May 2026" in text
    assert headline_candidates(text) == 1
    body = " ".join(message.get_body(preferencelist=("plain",)).get_content().split())
    assert "the candidates added from 10 Feb 2026 to 10 May 2026 (the last 90 days up to Sunday)" in body
    subscription = ReportSubscription.objects.get()
    assert (subscription.last_sent_week, subscription.last_sent_at) == ("2026-W19", MONDAY)
    assert AuditLog.objects.filter(action="report.sent", target_id=str(subscription.pk)).count() == 1


def test_a_subscription_covers_its_own_period(acme: Tenant, smtp: SmtpServer) -> None:
    # given: a subscription to the last 30 days
    subscribe(acme, days=30)

    # when
    services.subscriptions_send_weekly(now=MONDAY)

    # then
    message = smtp.inbox.wait_for(to="recruiter@acme.test")
    assert "11 Apr 2026 – 10 May 2026" in pdf_text(pdf_attachments(message)[0].get_content())
    assert "(the last 30 days up to Sunday)" in message.get_body(preferencelist=("plain",)).get_content()


def test_a_subscription_made_mid_week_is_first_sent_the_next_monday(acme: Tenant, smtp: SmtpServer) -> None:
    # given: subscribed on Wednesday of week 20
    wednesday = MONDAY + timedelta(days=2, hours=3)
    subscription = subscribe(acme, now=wednesday)

    # when: beat runs hourly for the rest of that week, then on Monday of week 21
    rest_of_week = [services.subscriptions_send_weekly(now=wednesday + timedelta(hours=h)) for h in (1, 30, 100)]
    monday = services.subscriptions_send_weekly(now=MONDAY + timedelta(days=7))

    # then: nothing mid-week (week 19 is not sent late), week 20's report on the Monday
    assert rest_of_week == [0, 0, 0]
    assert monday == 1
    assert [m["Subject"] for m in smtp.inbox.messages()] == ["Acme: hiring funnel, week 2026-W20"]
    assert subscription_next_send(subscription, now=wednesday) == (MONDAY + timedelta(days=7)).date()


def test_running_again_the_same_week_sends_nothing_twice(acme: Tenant, smtp: SmtpServer) -> None:
    # given: this week's report went out (the beat task, through Celery)
    subscribe(acme)
    assert subscriptions_send_weekly_task.delay(now=MONDAY.isoformat()).get() == 1
    smtp.inbox.wait_for(to="recruiter@acme.test")

    # when: the task runs again, and beat runs hourly for the rest of the week
    by_hand = [subscriptions_send_weekly_task.delay(now=MONDAY.isoformat()).get() for _ in range(2)]
    later = [services.subscriptions_send_weekly(now=MONDAY + timedelta(hours=h)) for h in (1, 30, 100)]

    # then: one e-mail
    assert by_hand == [0, 0]
    assert later == [0, 0, 0]
    assert len(smtp.inbox.messages()) == 1


def test_the_next_week_sends_the_next_report(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    subscribe(acme)
    services.subscriptions_send_weekly(now=MONDAY)

    # when
    sent = services.subscriptions_send_weekly(now=MONDAY + timedelta(days=7))

    # then
    assert sent == 1
    subjects = sorted(m["Subject"] for m in smtp.inbox.messages())
    assert subjects == ["Acme: hiring funnel, week 2026-W19", "Acme: hiring funnel, week 2026-W20"]


def test_the_week_is_the_organizations_own(acme: Tenant, smtp: SmtpServer) -> None:
    # given: an organization in Auckland (UTC+12): Sunday 20:00 UTC is already Monday there
    acme.org.time_zone = "Pacific/Auckland"
    acme.org.save(update_fields=["time_zone"])
    subscribe(acme)

    # when
    services.subscriptions_send_weekly(now=datetime(2026, 5, 10, 20, 0, tzinfo=UTC))

    # then
    assert smtp.inbox.wait_for(to="recruiter@acme.test")["Subject"] == "Acme: hiring funnel, week 2026-W19"


def test_paused_subscriptions_and_former_recruiters_get_nothing(acme: Tenant, globex: Tenant, smtp: SmtpServer) -> None:
    # given: one paused, one whose recruiter became an interviewer, one active
    services.subscription_set(actor=acme.users["recruiter"], organization=acme.org, active=False, now=THURSDAY_BEFORE)
    subscribe(acme, "admin")
    Membership.objects.filter(user=acme.users["admin"], organization=acme.org).update(role=Role.INTERVIEWER)
    subscribe(globex)

    # when
    sent = services.subscriptions_send_weekly(now=MONDAY)

    # then
    assert sent == 1
    smtp.inbox.wait_for(to="recruiter@globex.test")
    assert [m["To"] for m in smtp.inbox.messages()] == ["recruiter@globex.test"]


def test_a_refused_delivery_is_tried_again_on_the_next_run(acme: Tenant, smtp: SmtpServer, settings: Any) -> None:
    # given: the mail server is down for the first run
    subscribe(acme)
    port = settings.EMAIL_PORT
    from tests.browser import free_port

    settings.EMAIL_PORT = free_port()

    # when
    first = services.subscriptions_send_weekly(now=MONDAY)
    settings.EMAIL_PORT = port
    second = services.subscriptions_send_weekly(now=MONDAY + timedelta(hours=1))

    # then
    assert (first, second) == (0, 1)
    assert len(pdf_attachments(smtp.inbox.wait_for(to="recruiter@acme.test"))) == 1
    assert AuditLog.objects.filter(action="report.sent").count() == 1


class WorkerKilled(BaseException):
    """The worker process dying mid-send: not an ``Exception``, so no handler catches it."""


class DiesOnceBackend(EmailBackend):
    """Django's SMTP backend, except that the first message kills the 'worker'."""

    died: ClassVar[bool] = False

    def send_messages(self, email_messages: Any) -> int:
        if not DiesOnceBackend.died:
            DiesOnceBackend.died = True
            raise WorkerKilled
        return super().send_messages(email_messages)


def test_a_worker_killed_between_claim_and_send_loses_no_week(acme: Tenant, smtp: SmtpServer, settings: Any) -> None:
    # given: the worker dies while the first run sends the e-mail
    subscribe(acme)
    settings.EMAIL_BACKEND = f"{__name__}.DiesOnceBackend"
    DiesOnceBackend.died = False
    with pytest.raises(WorkerKilled):
        services.subscriptions_send_weekly(now=MONDAY)

    # when: the next hourly run
    sent = services.subscriptions_send_weekly(now=MONDAY + timedelta(hours=1))

    # then: the week was still due, and went out once
    assert sent == 1
    smtp.inbox.wait_for(to="recruiter@acme.test")
    assert len(smtp.inbox.messages()) == 1
    assert ReportSubscription.objects.get().last_sent_week == "2026-W19"
    assert AuditLog.objects.filter(action="report.sent").count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_email(acme: Tenant, smtp: SmtpServer) -> None:
    # given (PostgreSQL: the row lock is real there)
    assert connection.vendor == "postgresql"
    subscribe(acme)

    # when: two workers run the weekly send at the same moment
    results = race([lambda: services.subscriptions_send_weekly(now=MONDAY) for _ in range(2)])

    # then
    assert sorted(results) == [0, 1], results
    smtp.inbox.wait_for(to="recruiter@acme.test")
    assert len(smtp.inbox.messages()) == 1


def test_the_beat_schedule_runs_the_weekly_task_on_the_batch_queue() -> None:
    # then: setup_schedules creates it from reporting/schedules.py
    [item] = [item for item in SCHEDULES if item["task"] == subscriptions_send_weekly_task.name]
    assert item["queue"] == "batch"
    assert item["crontab"] == {"minute": "23"}  # hourly: each organization's Monday starts at its own midnight


# --- the page ---------------------------------------------------------------------------------
def test_a_recruiter_subscribes_and_unsubscribes_on_the_exports_page(acme: Tenant) -> None:
    # given: a position of the Platform team
    candidate_with_history(acme.org, acme.users["interviewer"])
    client = acme.client("recruiter")
    before = client.get(reverse("reporting_jobs")).content.decode()

    # when
    client.post(reverse("reporting_subscription"), {"active": "1", "team": "Platform", "days": "30"})
    subscribed = client.get(reverse("reporting_jobs")).content.decode()
    client.post(reverse("reporting_subscription"), {"active": "0"})
    unsubscribed = client.get(reverse("reporting_jobs")).content.decode()

    # then: the page says what is sent and when (the coming Monday, by the machine's clock)
    monday = next_monday(acme.org).strftime("%A %-d %B %Y")
    assert f"Subscribe now and the first e-mail comes on {monday}." in " ".join(before.split())
    assert "the candidates added in the last 30 days (up to the Sunday before)" in " ".join(subscribed.split())
    assert f"Next e-mail: {monday}." in " ".join(subscribed.split())
    subscription = ReportSubscription.objects.get(user=acme.users["recruiter"])
    assert not subscription.active
    assert (subscription.filters["team"], subscription.filters["days"]) == ("Platform", 30)
    assert "Unsubscribe" in subscribed
    assert "Unsubscribe" not in unsubscribed
    assert list(
        AuditLog.objects.filter(action__startswith="report.").values_list("action", flat=True).order_by("pk")
    ) == [
        "report.subscribe",
        "report.unsubscribe",
    ]


def test_subscribing_with_invalid_filters_shows_the_errors_and_saves_nothing(acme: Tenant, globex: Tenant) -> None:
    # given: a position of another organization, and a period the form does not offer
    theirs = candidate_with_history(globex.org, globex.users["interviewer"])
    client = acme.client("recruiter")

    # when
    response = client.post(
        reverse("reporting_subscription"), {"active": "1", "position": [theirs.position_id], "days": "45"}
    )

    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose positions of your organization only." in page
    assert "Select a valid choice. 45 is not one of the available choices." in page
    assert "every Monday, from" not in page  # no success message
    assert not ReportSubscription.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="report.").exists()


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_interviewers_and_candidates_cannot_subscribe(acme: Tenant, role: str) -> None:
    # when
    response = acme.client(role).post(reverse("reporting_subscription"), {"active": "1"})

    # then
    assert response.status_code == 403
    assert not ReportSubscription.objects.exists()


def test_anonymous_visitors_cannot_subscribe(client: Any, acme: Tenant) -> None:
    # when
    response = client.post(reverse("reporting_subscription"), {"active": "1"})

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not ReportSubscription.objects.exists()


def test_the_back_office_lists_and_pauses_this_organizations_subscriptions(acme: Tenant, globex: Tenant) -> None:
    # given
    mine, theirs = subscribe(acme), subscribe(globex)
    client = acme.client("admin")

    # when
    page = client.get(reverse("admin:reporting_reportsubscription_changelist")).content.decode()
    client.post(
        reverse("admin:reporting_reportsubscription_changelist"),
        {"action": "pause", "_selected_action": [mine.pk, theirs.pk]},
    )

    # then
    assert "Recruiter of Acme" in page
    assert "Recruiter of Globex" not in page
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.active, theirs.active) == (False, True)
