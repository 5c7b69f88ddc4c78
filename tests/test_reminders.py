"""Reminders, overdue-scorecard follow-ups and digests: due or not, per organization, never twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from interviews.factories import InterviewFactory, ParticipantFactory, ScorecardFactory
from interviews.models import Interview, Participant
from scheduling.models import Delivery, Notification, NotificationKind, SchedulingLink, SchedulingSettings
from scheduling.notifications.reminders import digests_send, reminders_send_due, scorecards_chase_overdue
from tests.browser import SmtpServer
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2030, 1, 15, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def booked(
    tenant: Tenant,
    *,
    start: datetime = START,
    booked_at: datetime | None = None,
    status: str = Interview.Status.SCHEDULED,
    interviewers: int = 1,
    candidate_email: str = "cand@example.test",
) -> Interview:
    """An interview with the tenant's interviewer (and more), and the candidate, booked days ahead."""
    interview: Interview = InterviewFactory(  # type: ignore[assignment]
        organization=tenant.org,
        candidate__organization=tenant.org,
        candidate__position__organization=tenant.org,
        candidate__email=candidate_email,
        candidate__full_name="Ada Lovelace",
        scheduled_at=start,
        status=status,
    )
    Interview.objects.filter(pk=interview.pk).update(created_at=booked_at or start - timedelta(days=3))
    interview.refresh_from_db()
    ParticipantFactory(interview=interview, user=tenant.users["interviewer"])
    for extra in range(1, interviewers):
        ParticipantFactory(interview=interview, user__email=f"panel{extra}@{tenant.org.slug}.test")
    ParticipantFactory(interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE)
    return interview


def subjects_to(smtp: SmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.inbox.messages() if address in m.get("To", "")]


# --- reminders: due or not -------------------------------------------------------------------
def test_a_reminder_goes_to_every_participant_once_its_moment_passed(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    interview = booked(acme)

    # when: two minutes after "1 hour before"
    sent = reminders_send_due(now=START - HOUR + 2 * MINUTE)

    # then
    assert sent == 2
    assert subjects_to(smtp, "cand@example.test") == [
        f"Reminder: your {interview.stage.name} interview with Acme starts in 1 hour"
    ]
    [staff_mail] = subjects_to(smtp, acme.users["interviewer"].email)
    assert "in 1 hour" in staff_mail
    [notification] = Notification.objects.filter(user=acme.users["interviewer"])
    assert notification.kind == NotificationKind.REMINDER


def test_no_reminder_before_its_moment(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    booked(acme)

    # when / then: a minute before "1 hour before" and before "24 hours before"
    assert reminders_send_due(now=START - HOUR - MINUTE) == 0
    assert reminders_send_due(now=START - 24 * HOUR - MINUTE) == 0
    assert smtp.inbox.messages() == []


def test_no_late_reminder_once_the_window_is_over(acme: Tenant, smtp: SmtpServer, settings) -> None:
    # given: beat was down; the 1-hour moment passed 20 minutes ago (window 15)
    settings.REMINDER_WINDOW_MINUTES = 15
    booked(acme)

    # when / then
    assert reminders_send_due(now=START - HOUR + 20 * MINUTE) == 0


def test_no_reminder_for_an_interview_booked_after_the_reminders_moment(acme: Tenant, smtp: SmtpServer) -> None:
    # given: booked 50 minutes before the start (the invite just told everyone)
    booked(acme, booked_at=START - 50 * MINUTE)

    # when / then: the 1-hour moment was before the booking, the 24-hour one long before
    assert reminders_send_due(now=START - 48 * MINUTE) == 0


def test_the_day_before_reminder_uses_the_24_hour_offset(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    booked(acme)

    # when
    sent = reminders_send_due(now=START - 24 * HOUR + 3 * MINUTE)

    # then
    assert sent == 2
    assert all("in 24 hours" in s for s in subjects_to(smtp, "cand@example.test"))


def test_cancelled_interviews_get_no_reminder(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    booked(acme, status=Interview.Status.CANCELLED)

    # when / then
    assert reminders_send_due(now=START - HOUR + MINUTE) == 0


def test_each_organization_uses_its_own_offsets(acme: Tenant, globex: Tenant, smtp: SmtpServer) -> None:
    # given: acme reminds 2 hours before only; globex keeps the defaults (24 h, 1 h)
    SchedulingSettings.objects.create(organization=acme.org, reminder_offsets_minutes=[120])
    acme_interview = booked(acme)
    globex_interview = booked(globex)

    # when
    at_two_hours = reminders_send_due(now=START - 2 * HOUR + MINUTE)
    at_one_hour = reminders_send_due(now=START - HOUR + MINUTE)

    # then
    assert at_two_hours == 2
    assert at_one_hour == 2
    acme_keys = Delivery.objects.filter(key__startswith=f"reminder:{acme_interview.pk}:")
    globex_keys = Delivery.objects.filter(key__startswith=f"reminder:{globex_interview.pk}:")
    assert {k.split(":")[3] for k in acme_keys.values_list("key", flat=True)} == {"120"}
    assert {k.split(":")[3] for k in globex_keys.values_list("key", flat=True)} == {"60"}


# --- never twice -------------------------------------------------------------------------------
def test_a_second_run_sends_nothing_again(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    booked(acme)
    first = reminders_send_due(now=START - HOUR + MINUTE)

    # when: the next beat (still inside the window), and a retried task at the same moment
    again = reminders_send_due(now=START - HOUR + 6 * MINUTE)
    retried = reminders_send_due(now=START - HOUR + MINUTE)

    # then
    assert (first, again, retried) == (2, 0, 0)
    assert len(smtp.inbox.messages()) == 2
    assert Notification.objects.filter(kind=NotificationKind.REMINDER).count() == 1


def test_a_rescheduled_interview_gets_new_reminders(acme: Tenant, smtp: SmtpServer) -> None:
    # given: the 1-hour reminder went out, then the interview moved 3 hours later
    interview = booked(acme)
    reminders_send_due(now=START - HOUR + MINUTE)
    Interview.objects.filter(pk=interview.pk).update(scheduled_at=START + 3 * HOUR)

    # when
    sent = reminders_send_due(now=START + 2 * HOUR + MINUTE)

    # then
    assert sent == 2
    assert len(subjects_to(smtp, "cand@example.test")) == 2


def test_an_abandoned_claim_is_taken_over_after_15_minutes_only(acme: Tenant, smtp: SmtpServer) -> None:
    # given: another worker claimed the candidate's reminder and died before sending
    interview = booked(acme)
    candidate = interview.participants.get(role=Participant.Role.CANDIDATE)
    now = START - HOUR + 10 * MINUTE
    key = f"reminder:{interview.pk}:{candidate.pk}:60:{START:%Y%m%dT%H%M}"
    claim = Delivery.objects.create(key=key, kind=NotificationKind.REMINDER, claimed_at=now - 5 * MINUTE)

    # when: 5 minutes after the claim, then 16 minutes after it
    early = reminders_send_due(now=now)
    Delivery.objects.filter(pk=claim.pk).update(claimed_at=now - 16 * MINUTE)
    late = reminders_send_due(now=now)

    # then: the interviewer's went out at once; the candidate's only once the claim was stale
    assert (early, late) == (1, 1)
    assert len(subjects_to(smtp, "cand@example.test")) == 1
    assert Delivery.objects.get(key=key).sent_at is not None


def test_a_failed_send_is_retried_by_the_next_run(acme: Tenant, smtp: SmtpServer, settings) -> None:
    # given: the mail server is unreachable during the first run
    booked(acme)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(ConnectionRefusedError):
        reminders_send_due(now=START - HOUR + MINUTE)

    # when: the server is back for the next beat
    settings.EMAIL_PORT = port
    sent = reminders_send_due(now=START - HOUR + 6 * MINUTE)

    # then
    assert sent >= 1
    assert len(subjects_to(smtp, "cand@example.test")) == 1
    assert len(subjects_to(smtp, acme.users["interviewer"].email)) == 1


@pytest.mark.services
def test_two_concurrent_runs_send_each_reminder_once(acme: Tenant, smtp: SmtpServer) -> None:
    # given: three interviewers and the candidate, and two beat processes firing at the same moment
    assert connection.vendor == "postgresql"
    booked(acme, interviewers=3)
    now = START - HOUR + MINUTE
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(reminders_send_due(now=now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # then
    assert errors == []
    assert sum(results) == 4
    assert len(smtp.inbox.messages()) == 4
    assert sorted(m["To"] for m in smtp.inbox.messages()) == sorted(
        ["cand@example.test", acme.users["interviewer"].email, "panel1@acme.test", "panel2@acme.test"]
    )


# --- overdue scorecards ----------------------------------------------------------------------------
def test_interviewers_without_a_submitted_scorecard_are_chased_once(acme: Tenant, smtp: SmtpServer) -> None:
    # given: a completed interview with two interviewers; one submitted, one has only a draft
    interview = booked(acme, start=START, status=Interview.Status.COMPLETED, interviewers=2)
    ScorecardFactory(interview=interview, author=acme.users["interviewer"])
    draft_author = interview.participants.get(user__email="panel1@acme.test").user
    ScorecardFactory(interview=interview, author=draft_author, submitted_at=None)
    overdue = interview.ends_at + 25 * HOUR

    # when
    first = scorecards_chase_overdue(now=overdue)
    second = scorecards_chase_overdue(now=overdue + HOUR)

    # then
    assert (first, second) == (1, 0)
    assert len(subjects_to(smtp, "panel1@acme.test")) == 1
    assert subjects_to(smtp, acme.users["interviewer"].email) == []
    [notification] = Notification.objects.filter(kind=NotificationKind.SCORECARD_OVERDUE)
    assert notification.user == draft_author


def test_no_chase_before_the_scorecard_is_overdue(acme: Tenant, smtp: SmtpServer) -> None:
    # given: the organization allows 48 hours
    SchedulingSettings.objects.create(organization=acme.org, scorecard_overdue_hours=48)
    interview = booked(acme, status=Interview.Status.COMPLETED)

    # when / then
    assert scorecards_chase_overdue(now=interview.ends_at + 47 * HOUR) == 0
    assert scorecards_chase_overdue(now=interview.ends_at + 49 * HOUR) == 1


def test_an_interview_left_scheduled_after_its_end_counts_as_ended(acme: Tenant, smtp: SmtpServer) -> None:
    # given: nobody ended it in the room
    interview = booked(acme, status=Interview.Status.SCHEDULED)

    # when / then
    assert scorecards_chase_overdue(now=interview.ends_at + 25 * HOUR) == 1


def test_cancelled_interviews_are_not_chased(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    interview = booked(acme, status=Interview.Status.CANCELLED)

    # when / then
    assert scorecards_chase_overdue(now=interview.ends_at + 25 * HOUR) == 0


# --- digests ---------------------------------------------------------------------------------------
def tokyo(tenant: Tenant, hour: int = 8) -> None:
    tenant.org.time_zone = "Asia/Tokyo"
    tenant.org.save(update_fields=["time_zone"])
    SchedulingSettings.objects.create(organization=tenant.org, digest_hour=hour)


def test_recruiters_and_admins_get_the_digest_at_the_local_hour(acme: Tenant, smtp: SmtpServer) -> None:
    # given: Tokyo (UTC+9), digest at 8; an interview on the local "tomorrow"
    tokyo(acme)
    booked(acme, start=datetime(2030, 1, 16, 23, 0, tzinfo=UTC))  # 08:00 on Jan 17 in Tokyo
    eight_in_tokyo = datetime(2030, 1, 15, 23, 30, tzinfo=UTC)  # 08:30 on Jan 16

    # when
    sent = digests_send(now=eight_in_tokyo)

    # then
    assert sent == 2
    assert len(subjects_to(smtp, acme.users["recruiter"].email)) == 1
    assert len(subjects_to(smtp, acme.users["admin"].email)) == 1
    assert subjects_to(smtp, acme.users["interviewer"].email) == []
    message = next(m for m in smtp.inbox.messages() if acme.users["recruiter"].email in m["To"])
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert "Ada Lovelace" in text
    assert "Asia/Tokyo" in text


def test_the_digest_goes_out_once_per_local_day(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    tokyo(acme)
    booked(acme, start=datetime(2030, 1, 16, 23, 0, tzinfo=UTC))
    booked(acme, start=datetime(2030, 1, 17, 23, 0, tzinfo=UTC), candidate_email="second@example.test")
    eight_in_tokyo = datetime(2030, 1, 15, 23, 5, tzinfo=UTC)

    # when: the hourly beat twice in the hour, an hour later, and the next day
    runs = [
        digests_send(now=eight_in_tokyo),
        digests_send(now=eight_in_tokyo + 30 * MINUTE),
        digests_send(now=eight_in_tokyo + HOUR),
        digests_send(now=eight_in_tokyo + 24 * HOUR),
    ]

    # then
    assert runs == [2, 0, 0, 2]


def test_no_digest_outside_the_local_hour(acme: Tenant, smtp: SmtpServer) -> None:
    # given: 08:00 UTC is 17:00 in Tokyo
    tokyo(acme)
    booked(acme, start=datetime(2030, 1, 15, 23, 0, tzinfo=UTC))

    # when / then
    assert digests_send(now=datetime(2030, 1, 15, 8, 0, tzinfo=UTC)) == 0


def test_the_digest_lists_overdue_scorecards_and_new_bookings(acme: Tenant, smtp: SmtpServer) -> None:
    # given: yesterday's completed interview without a scorecard, and a candidate's booking made today
    tokyo(acme)
    now = datetime(2030, 1, 15, 23, 30, tzinfo=UTC)
    booked(acme, start=now - 30 * HOUR, status=Interview.Status.COMPLETED)
    booking = booked(acme, start=now + 5 * 24 * HOUR, booked_at=now - 2 * HOUR, candidate_email="grace@example.test")
    booking.candidate.full_name = "Grace Hopper"
    booking.candidate.save(update_fields=["full_name"])
    SchedulingLink.objects.create(
        organization=acme.org,
        candidate=booking.candidate,
        stage=booking.stage,
        window_start=now,
        window_end=now + 30 * 24 * HOUR,
        token_hash="b" * 64,
        status=SchedulingLink.Status.BOOKED,
        interview=booking,
    )

    # when
    digests_send(now=now)

    # then
    message = next(m for m in smtp.inbox.messages() if acme.users["recruiter"].email in m["To"])
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    overdue_part = text.split("Overdue scorecards")[1].split("Booked by candidates")[0]
    bookings_part = text.split("Booked by candidates since yesterday")[1]
    assert "Interviewer of Acme" in overdue_part
    assert "Grace Hopper" in bookings_part
