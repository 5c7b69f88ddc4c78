"""iCalendar invites: parsed back with icalendar and checked against RFC 5545/5546 and privacy rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlparse

import pytest
from django.conf import settings
from icalendar import Calendar

from interviews.factories import CandidateFactory, NoteFactory, QuestionFactory, StageFactory
from interviews.models import Interview
from interviews.services.interviews import interview_cancel, interview_reschedule, interview_schedule
from scheduling.calendar.invites import (
    calendar_event_bump,
    calendar_event_for,
    invite_filename,
    invite_ics,
    invite_mime_type,
)

START = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)


def book(tenant, *, at: datetime = START, observers=None) -> Interview:
    candidate = CandidateFactory(organization=tenant.org, full_name="Ada Candidate", email="ada@example.test")
    stage = StageFactory(pipeline=candidate.position.pipeline, name="Live coding")
    interview, _tokens = interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=at,
        interviewers=[tenant.users["interviewer"]],
        observers=observers or [],
        actor=tenant.users["recruiter"],
        duration_minutes=45,
    )
    return interview


def vevent(data: bytes):
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def attendees(event) -> dict[str, dict[str, str]]:
    values = event.get("ATTENDEE")
    values = values if isinstance(values, list) else [values] if values else []
    return {str(v).removeprefix("mailto:"): dict(v.params) for v in values}


@pytest.fixture
def interview(acme) -> Interview:
    return book(acme, observers=[acme.users["admin"]])


def test_request_has_the_calendar_and_event_properties_clients_require(interview, acme):
    # when
    cal, event = vevent(
        invite_ics(interview=interview, method="REQUEST", sequence=0, recipient_email=acme.users["interviewer"].email)
    )
    # then
    assert cal["METHOD"] == "REQUEST"
    assert cal["VERSION"] == "2.0"
    assert cal["CALSCALE"] == "GREGORIAN"
    assert "TalentSync" in str(cal["PRODID"])
    assert str(event["UID"]) == f"{interview.room_id}@{urlparse(settings.SITE_URL).hostname}"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert event["DTSTART"].dt == START
    assert event["DTEND"].dt == START + timedelta(minutes=45)
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:" + parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert organizer.params["CN"] == acme.org.name


def test_times_are_written_in_utc_with_z(interview, acme):
    # when
    text = invite_ics(
        interview=interview, method="REQUEST", sequence=0, recipient_email=acme.users["interviewer"].email
    )
    # then
    assert b"DTSTART:20310304T093000Z\r\n" in text
    assert b"DTEND:20310304T101500Z\r\n" in text


def test_staff_copy_lists_every_participant_with_rsvp(interview, acme):
    # when
    _cal, event = vevent(
        invite_ics(interview=interview, method="REQUEST", sequence=0, recipient_email=acme.users["interviewer"].email)
    )
    people = attendees(event)
    # then
    assert set(people) == {acme.users["interviewer"].email, acme.users["admin"].email, "ada@example.test"}
    assert people[acme.users["interviewer"].email]["ROLE"] == "REQ-PARTICIPANT"
    assert people[acme.users["admin"].email]["ROLE"] == "OPT-PARTICIPANT"  # the observer
    for params in people.values():
        assert params["PARTSTAT"] == "NEEDS-ACTION"
        assert params["RSVP"] == "TRUE"
        assert params["CN"]


def test_uid_stays_and_sequence_grows_when_the_interview_moves(interview, acme):
    # given
    first = calendar_event_for(interview=interview)
    _cal, before = vevent(invite_ics(interview=interview, method="REQUEST", sequence=first.sequence))
    # when
    interview_reschedule(interview=interview, scheduled_at=START + timedelta(days=1), actor=acme.users["recruiter"])
    bumped = calendar_event_bump(interview=interview)
    _cal, after = vevent(invite_ics(interview=interview, method="REQUEST", sequence=bumped.sequence))
    # then
    assert first.sequence == 0
    assert bumped.sequence == 1
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt == START + timedelta(days=1)


def test_bumping_twice_for_one_change_counts_it_once(interview, acme):
    # given
    calendar_event_for(interview=interview)
    interview_reschedule(interview=interview, scheduled_at=START + timedelta(hours=2), actor=acme.users["recruiter"])
    # when
    calendar_event_bump(interview=interview)
    again = calendar_event_bump(interview=interview)  # e.g. the e-mail code and the CalDAV sync
    # then
    assert again.sequence == 1


def test_bump_right_after_booking_keeps_sequence_zero(interview):
    # when
    event = calendar_event_bump(interview=interview)
    # then
    assert event.sequence == 0
    assert event.uid.startswith(str(interview.room_id))


def test_cancel_keeps_the_uid_and_says_cancelled(interview, acme):
    # given
    identity = calendar_event_for(interview=interview)
    # when
    interview_cancel(interview=interview, actor=acme.users["recruiter"])
    bumped = calendar_event_bump(interview=interview, cancelled=True)
    cal, event = vevent(
        invite_ics(interview=interview, method="CANCEL", sequence=bumped.sequence, recipient_email="ada@example.test")
    )
    # then
    assert cal["METHOD"] == "CANCEL"
    assert str(event["UID"]) == identity.uid
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"
    assert bumped.cancelled is True
    assert list(attendees(event)) == ["ada@example.test"]


def test_lines_end_with_crlf_and_are_folded_at_75_octets(acme):
    # given: a long position title forces folding
    interview = book(acme)
    interview.position.title = "Principal distributed systems engineer — " + "ü" * 60
    interview.position.save()
    # when
    data = invite_ics(interview=interview, method="REQUEST", sequence=0, recipient_email="ada@example.test")
    # then
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    _cal, event = vevent(data)
    assert "ü" * 60 in str(event["SUMMARY"])


def test_candidate_copy_shows_nothing_internal(acme):
    # given
    interview = book(acme, observers=[acme.users["admin"]])
    NoteFactory(candidate=interview.candidate, body="SECRET-PRIVATE-NOTE")
    question = QuestionFactory(organization=acme.org)
    interview.plan.create(question=question, order=0)
    # when
    data = invite_ics(interview=interview, method="REQUEST", sequence=0, recipient_email="ada@example.test")
    _cal, event = vevent(data)
    text = Calendar.from_ical(data).to_ical().decode()
    unfolded = data.decode().replace("\r\n ", "")
    # then
    assert list(attendees(event)) == ["ada@example.test"]
    for secret in (
        acme.users["interviewer"].email,
        acme.users["admin"].email,
        acme.users["admin"].full_name,
        "SECRET-HINT",
        "SECRET-GUIDE",
        "SECRET-PRIVATE-NOTE",
        f"/interviews/{interview.pk}/",
        "join-token",
    ):
        assert secret not in unfolded
        assert secret not in text
    assert "Ada Candidate" not in str(event["SUMMARY"])
    assert acme.org.name in str(event["SUMMARY"])


def test_an_unknown_or_missing_recipient_gets_the_candidate_copy(interview, acme):
    # when
    _cal, event = vevent(invite_ics(interview=interview, method="REQUEST", sequence=0))
    _cal, stranger = vevent(
        invite_ics(interview=interview, method="REQUEST", sequence=0, recipient_email="someone@else.test")
    )
    # then
    assert list(attendees(event)) == ["ada@example.test"]
    assert attendees(stranger) == {}
    assert f"/interviews/{interview.pk}/" not in str(event["DESCRIPTION"])


def test_join_link_only_when_given_for_the_recipients_own_copy(interview):
    # when
    _cal, shared = vevent(invite_ics(interview=interview, method="REQUEST", sequence=0))
    _cal, own = vevent(
        invite_ics(
            interview=interview,
            method="REQUEST",
            sequence=0,
            recipient_email="ada@example.test",
            join_url="https://talentsync.test/join/personal-token/",
        )
    )
    # then
    assert "/join/" not in shared.to_ical().decode().replace("\r\n ", "")
    assert "e-mail" in str(shared["DESCRIPTION"])
    assert "https://talentsync.test/join/personal-token/" in str(own["DESCRIPTION"])
    assert str(own["URL"]) == "https://talentsync.test/join/personal-token/"


def test_mime_type_and_file_name_follow_the_method():
    # then
    assert invite_mime_type("REQUEST") == "text/calendar; method=REQUEST; charset=UTF-8"
    assert invite_mime_type("cancel") == "text/calendar; method=CANCEL; charset=UTF-8"
    assert invite_filename("CANCEL") == "cancel.ics"
    with pytest.raises(ValueError, match="PUBLISH"):
        invite_mime_type("PUBLISH")
