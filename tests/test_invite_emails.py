"""Calendar invites by e-mail: booking → REQUEST, move → REQUEST with a higher SEQUENCE, cancel → CANCEL.

Everything runs for real: the interview services commit, ``interview_changed`` reaches the
scheduling receiver, the (eager) task renders the invite with ``icalendar`` and Django's SMTP
backend delivers it to an aiosmtpd inbox, where the tests parse the attachment back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

import pytest
from celery import _state as celery_state
from celery.signals import before_task_publish
from django.utils import timezone
from icalendar import Calendar

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import Role, User
from interviews.factories import CandidateFactory, StageFactory
from interviews.models import Candidate, Interview, PipelineStage
from interviews.services.interviews import interview_cancel, interview_reschedule, interview_schedule
from scheduling.models import CalendarEvent, Notification, NotificationKind, SchedulingLink
from scheduling.notifications.invites import interview_invites_send
from talentsync.celery import app as celery_app
from tests.browser import SmtpServer
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2030, 1, 15, 14, 0, tzinfo=UTC)
CANDIDATE = "ada@example.test"


def schedule(tenant: Tenant, *, at: datetime = START) -> Interview:
    candidate = cast(Candidate, CandidateFactory(organization=tenant.org, full_name="Ada Lovelace", email=CANDIDATE))
    stage = cast(PipelineStage, StageFactory(pipeline=candidate.position.pipeline, name="Live coding"))  # type: ignore[union-attr]
    interview, _tokens = interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=at,
        interviewers=[tenant.users["interviewer"]],
        actor=tenant.users["recruiter"],
    )
    return interview


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.inbox.messages() if address in m.get("To", "")]


def invite_of(message: EmailMessage) -> tuple[Calendar, Any]:
    """The attached calendar and its MIME part (exactly one .ics per e-mail)."""
    [part] = [p for p in message.iter_attachments() if (p.get_filename() or "").endswith(".ics")]
    content = part.get_content()
    calendar = Calendar.from_ical(content.encode() if isinstance(content, str) else content)
    return calendar, part


def vevent(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# --- booking, move, cancellation ----------------------------------------------------------------
def test_booking_sends_every_participant_a_request_invite(acme: Tenant, smtp: SmtpServer) -> None:
    # when
    interview = schedule(acme)

    # then: the candidate and the interviewer each got one e-mail with a METHOD:REQUEST invite
    for address in (CANDIDATE, acme.users["interviewer"].email):
        [message] = mails_to(smtp, address)
        calendar, part = invite_of(message)
        assert calendar["METHOD"] == "REQUEST"
        assert part.get_param("method") == "REQUEST"
        event = vevent(calendar)
        assert int(event["SEQUENCE"]) == 0
        assert str(event["UID"]) == CalendarEvent.objects.get(interview=interview).uid
        assert event.decoded("DTSTART") == START
        assert event.decoded("DTEND") == START + timedelta(minutes=interview.duration_minutes)
    assert CalendarEvent.objects.get(interview=interview).sent_sequence == 0


def test_booking_notifies_the_interviewer_in_app_but_not_the_recruiter(acme: Tenant, smtp: SmtpServer) -> None:
    # when
    interview = schedule(acme)

    # then
    [notification] = Notification.objects.filter(user=acme.users["interviewer"])
    assert notification.kind == NotificationKind.INTERVIEW_SCHEDULED
    assert notification.url == f"/interviews/{interview.pk}/"
    assert not Notification.objects.filter(user=acme.users["recruiter"]).exists()


def test_the_candidates_invite_carries_no_join_token_and_no_internal_page(acme: Tenant, smtp: SmtpServer) -> None:
    # when
    interview = schedule(acme)

    # then
    [message] = mails_to(smtp, CANDIDATE)
    body = text_of(message)
    assert "/join/" not in body
    assert f"/interviews/{interview.pk}/" not in body
    assert "separate e-mail" in body
    calendar, _part = invite_of(message)
    attendees = vevent(calendar).get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == [f"mailto:{CANDIDATE}"]


def test_a_move_sends_a_request_with_a_higher_sequence_and_the_same_uid(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    interview = schedule(acme)
    [first] = mails_to(smtp, acme.users["interviewer"].email)
    uid = str(vevent(invite_of(first)[0])["UID"])

    # when
    interview_reschedule(interview=interview, scheduled_at=START + timedelta(days=1), actor=acme.users["recruiter"])

    # then
    for address in (CANDIDATE, acme.users["interviewer"].email):
        _first, moved = mails_to(smtp, address)
        calendar, _part = invite_of(moved)
        event = vevent(calendar)
        assert calendar["METHOD"] == "REQUEST"
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == START + timedelta(days=1)
    kinds = list(Notification.objects.filter(user=acme.users["interviewer"]).values_list("kind", flat=True))
    assert sorted(kinds) == sorted([NotificationKind.INTERVIEW_SCHEDULED, NotificationKind.INTERVIEW_UPDATED])


def test_a_cancellation_sends_a_cancel_with_the_same_uid(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    interview = schedule(acme)

    # when
    interview_cancel(interview=interview, actor=acme.users["recruiter"], reason="position closed")

    # then
    for address in (CANDIDATE, acme.users["interviewer"].email):
        booked, cancelled = mails_to(smtp, address)
        calendar, part = invite_of(cancelled)
        event = vevent(calendar)
        assert calendar["METHOD"] == "CANCEL"
        assert part.get_param("method") == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == str(vevent(invite_of(booked)[0])["UID"])
        assert int(event["SEQUENCE"]) == 1
    assert Notification.objects.filter(
        user=acme.users["interviewer"], kind=NotificationKind.INTERVIEW_CANCELLED
    ).exists()


def test_an_interviewer_who_switched_off_booking_emails_gets_only_the_bell(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    from scheduling.notifications.services import notification_preferences_set

    notification_preferences_set(
        user=acme.users["interviewer"], email_by_kind={NotificationKind.INTERVIEW_SCHEDULED: False}
    )

    # when
    schedule(acme)

    # then: the candidate's e-mail (sent after the interviewer's turn) arrived, the interviewer's did not
    smtp.inbox.wait_for(to=CANDIDATE)
    assert mails_to(smtp, acme.users["interviewer"].email) == []
    assert Notification.objects.filter(user=acme.users["interviewer"]).count() == 1


# --- time zones ------------------------------------------------------------------------------
def test_times_are_shown_in_each_recipients_zone(acme: Tenant, smtp: SmtpServer) -> None:
    # given: the organization in Berlin, the interviewer in Kolkata (+05:30), a second one with no
    # zone of their own, and a candidate who booked through a link from New York
    acme.org.time_zone = "Europe/Berlin"
    acme.org.save(update_fields=["time_zone"])
    interviewer = acme.users["interviewer"]
    interviewer.time_zone = "Asia/Kolkata"
    interviewer.save(update_fields=["time_zone"])
    second = cast(User, UserFactory(email="second@acme.test", full_name="Second Interviewer"))
    MembershipFactory(user=second, organization=acme.org, role=Role.INTERVIEWER)
    candidate = cast(Candidate, CandidateFactory(organization=acme.org, full_name="Ada Lovelace", email=CANDIDATE))
    stage = cast(PipelineStage, StageFactory(pipeline=candidate.position.pipeline, name="Live coding"))  # type: ignore[union-attr]
    interview, _tokens = interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=START,
        interviewers=[interviewer, second],
        actor=acme.users["recruiter"],
    )
    SchedulingLink.objects.create(
        organization=acme.org,
        candidate=candidate,
        stage=stage,
        window_start=timezone.now(),
        window_end=timezone.now() + timedelta(days=30),
        token_hash=hashlib.sha256(b"link").hexdigest(),
        status=SchedulingLink.Status.BOOKED,
        interview=interview,
        candidate_time_zone="America/New_York",
    )

    # when: moved by an hour (15:00 UTC)
    interview_reschedule(interview=interview, scheduled_at=START + timedelta(hours=1), actor=acme.users["recruiter"])

    # then
    expected: dict[str, tuple[str, str, str]] = {
        interviewer.email: ("8:30 p.m.", "Asia/Kolkata", "UTC+05:30"),
        second.email: ("4 p.m.", "Europe/Berlin", "UTC+01:00"),
        CANDIDATE: ("10 a.m.", "America/New_York", "UTC-05:00"),
    }
    for address, (time_text, zone, offset) in expected.items():
        moved = mails_to(smtp, address)[-1]
        body = text_of(moved)
        assert time_text in body, (address, body)
        assert zone in body
        assert offset in body


# --- debounce ----------------------------------------------------------------------------------
@pytest.fixture
def queued_tasks() -> Iterator[list[dict[str, Any]]]:
    """Publish tasks for real (to an in-memory broker nobody consumes) and record what was queued.

    The suite runs Celery eagerly, which ignores countdowns; here the tasks are queued with their
    ETA like in production, and the test plays the worker by running them in order afterwards.
    """
    recorded: list[dict[str, Any]] = []

    def record(sender: str, body: Any, headers: dict[str, Any], **kwargs: Any) -> None:
        args = body[0] if isinstance(body, tuple | list) else body.get("args")
        recorded.append({"task": sender, "args": list(args), "eta": headers.get("eta")})

    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf["broker_url"] = "memory://"
    before_task_publish.connect(record, weak=False)
    try:
        yield recorded
    finally:
        before_task_publish.disconnect(record)
        celery_app.conf.task_always_eager = saved[0]
        celery_app.conf["broker_url"] = saved[1]
        # Drop the memory-broker pools. close() also unregisters the app, and tasks whose modules
        # are imported later (lazily, in views) would then never reach it: register it again.
        celery_app.close()
        celery_state._register_app(celery_app)


def test_rapid_moves_queue_one_delayed_task_per_change_and_only_the_last_sends(
    acme: Tenant, smtp: SmtpServer, queued_tasks: list[dict[str, Any]], settings
) -> None:
    # given: a booking, then four quick moves, while the invites wait for the debounce
    settings.INVITE_DEBOUNCE_SECONDS = 60
    interview = schedule(acme)
    for hours in range(1, 5):
        interview.refresh_from_db()
        interview_reschedule(
            interview=interview, scheduled_at=START + timedelta(hours=hours), actor=acme.users["recruiter"]
        )
    invites = [t for t in queued_tasks if t["task"] == "scheduling.interview_invites_send"]
    assert [t["args"] for t in invites] == [[interview.pk, seq] for seq in range(5)]
    assert all(t["eta"] is not None for t in invites)

    # when: the worker runs each task once its countdown is over
    sent = [interview_invites_send(interview_id=i, sequence=s) for i, s in (t["args"] for t in invites)]

    # then: the stale four send nothing; the last one sends one invite per person, at the last time
    assert sent == [0, 0, 0, 0, 2]
    for address in (CANDIDATE, acme.users["interviewer"].email):
        [message] = mails_to(smtp, address)
        event = vevent(invite_of(message)[0])
        assert int(event["SEQUENCE"]) == 4
        assert event.decoded("DTSTART") == START + timedelta(hours=4)
    [notification] = Notification.objects.filter(user=acme.users["interviewer"])
    assert notification.kind == NotificationKind.INTERVIEW_SCHEDULED  # first news of it for them


def test_a_repeated_task_for_the_current_sequence_sends_nothing_more(acme: Tenant, smtp: SmtpServer) -> None:
    # given: the booking's invites went out (eagerly)
    interview = schedule(acme)
    assert len(smtp.inbox.messages()) == 2

    # when: the same task is delivered again (a retry, a redelivery after a worker crash)
    again = interview_invites_send(interview_id=interview.pk, sequence=0)

    # then
    assert again == 0
    assert len(smtp.inbox.messages()) == 2


def test_a_stale_task_sends_nothing_after_a_later_change(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    interview = schedule(acme)
    interview_reschedule(interview=interview, scheduled_at=START + timedelta(days=2), actor=acme.users["recruiter"])
    before = len(smtp.inbox.messages())

    # when: the booking's task (sequence 0) arrives late
    late = interview_invites_send(interview_id=interview.pk, sequence=0)

    # then
    assert late == 0
    assert len(smtp.inbox.messages()) == before
