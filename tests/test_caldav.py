"""CalDAV sync against a real Radicale server on 127.0.0.1 (read back with the caldav library)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from caldav.davclient import DAVClient
from icalendar import Calendar
from requests.auth import HTTPBasicAuth

from interviews.factories import CandidateFactory, StageFactory
from interviews.models import Interview
from interviews.services.interviews import interview_cancel, interview_reschedule, interview_schedule
from interviews.signals import interview_changed
from scheduling.calendar.caldav_sync import caldav_sync_interview
from scheduling.calendar.crypto import secret_encrypt
from scheduling.calendar.receivers import queue_caldav_sync
from scheduling.models import CalDavAccount, CalDavEvent, CalendarEvent

START = datetime(2031, 5, 6, 13, 0, tzinfo=UTC)
USER = "alice"


@pytest.fixture(autouse=True)
def _local_servers_allowed(settings) -> None:
    """The servers of these tests listen on 127.0.0.1, which production settings refuse."""
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory) -> Iterator[str]:
    """A Radicale server (no authentication, file storage in a temp folder); yields its base URL."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("radicale")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "none",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("Radicale did not start")
                time.sleep(0.05)
        else:
            pytest.fail("Radicale did not open its port")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def dav(base: str) -> DAVClient:
    return DAVClient(url=f"{base}/", username=USER, password="pw", auth=HTTPBasicAuth(USER, "pw"), timeout=5)


@pytest.fixture
def calendar_url(radicale) -> str:
    """A new, empty calendar for each test."""
    with dav(radicale) as client:
        calendar = client.principal().make_calendar(name="Work", cal_id=uuid.uuid4().hex)
        return str(calendar.url)


def remote_events(url: str) -> list:
    base = url.split(f"/{USER}/")[0]
    with dav(base) as client:
        return [Calendar.from_ical(e.data).walk("VEVENT")[0] for e in client.calendar(url=url).events()]


def book(tenant) -> Interview:
    candidate = CandidateFactory(organization=tenant.org, full_name="Ada Candidate")
    stage = StageFactory(pipeline=candidate.position.pipeline, name="Live coding")
    interview, _tokens = interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=START,
        interviewers=[tenant.users["interviewer"]],
        actor=tenant.users["recruiter"],
    )
    return interview


@pytest.fixture
def account(acme, calendar_url) -> CalDavAccount:
    return CalDavAccount.objects.create(
        user=acme.users["interviewer"],
        calendar_url=calendar_url,
        username=USER,
        password_encrypted=secret_encrypt("pw"),
    )


def test_a_booking_is_written_into_the_calendar(acme, account):
    # given
    interview = book(acme)
    # when
    written = caldav_sync_interview(interview_id=interview.pk)
    # then
    (event,) = remote_events(account.calendar_url)
    identity = CalendarEvent.objects.get(interview=interview)
    assert written == 1
    assert str(event["UID"]) == identity.uid
    assert event["SEQUENCE"] == 0
    assert event["DTSTART"].dt == START
    assert "Ada Candidate" in str(event["SUMMARY"])
    assert "ATTENDEE" not in event
    assert "ORGANIZER" not in event
    row = CalDavEvent.objects.get(account=account, interview=interview)
    assert row.href.startswith(account.calendar_url)
    assert row.etag
    account.refresh_from_db()
    assert account.last_synced_at is not None
    assert account.last_error == ""


def test_the_stored_object_has_no_itip_method(acme, account):
    # given
    interview = book(acme)
    # when
    caldav_sync_interview(interview_id=interview.pk)
    # then
    base = account.calendar_url.split(f"/{USER}/")[0]
    with dav(base) as client:
        (obj,) = client.calendar(url=account.calendar_url).events()
        assert "METHOD" not in Calendar.from_ical(obj.data)


def test_a_repeated_sync_of_the_same_version_writes_nothing(acme, account):
    # given
    interview = book(acme)
    caldav_sync_interview(interview_id=interview.pk)
    # when
    written = caldav_sync_interview(interview_id=interview.pk)
    # then
    assert written == 0
    assert len(remote_events(account.calendar_url)) == 1


def test_a_reschedule_updates_the_entry_with_a_higher_sequence(acme, account):
    # given
    interview = book(acme)
    caldav_sync_interview(interview_id=interview.pk)
    # when
    interview_reschedule(interview=interview, scheduled_at=START + timedelta(days=2), actor=acme.users["recruiter"])
    caldav_sync_interview(interview_id=interview.pk)
    # then
    (event,) = remote_events(account.calendar_url)
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].dt == START + timedelta(days=2)
    assert CalDavEvent.objects.get(account=account).sequence == 1


def test_a_cancellation_deletes_the_entry(acme, account):
    # given
    interview = book(acme)
    caldav_sync_interview(interview_id=interview.pk)
    # when
    interview_cancel(interview=interview, actor=acme.users["recruiter"])
    caldav_sync_interview(interview_id=interview.pk)
    # then
    assert remote_events(account.calendar_url) == []
    assert not CalDavEvent.objects.filter(account=account).exists()


def test_a_disabled_account_is_not_written(acme, account):
    # given
    CalDavAccount.objects.filter(pk=account.pk).update(enabled=False)
    interview = book(acme)
    # when
    written = caldav_sync_interview(interview_id=interview.pk)
    # then
    assert written == 0
    assert remote_events(account.calendar_url) == []


def test_a_server_that_is_down_sets_last_error_and_raises_nothing(acme):
    # given: nothing listens on this port
    account = CalDavAccount.objects.create(
        user=acme.users["interviewer"],
        calendar_url=f"http://127.0.0.1:{_free_port()}/{USER}/work/",
        username=USER,
        password_encrypted=secret_encrypt("pw"),
    )
    interview = book(acme)
    # when
    written = caldav_sync_interview(interview_id=interview.pk)
    # then
    account.refresh_from_db()
    assert written == 0
    assert "could not be reached" in account.last_error
    assert not CalDavEvent.objects.exists()


def test_a_missing_calendar_is_reported(acme, radicale):
    # given
    account = CalDavAccount.objects.create(
        user=acme.users["interviewer"],
        calendar_url=f"{radicale}/{USER}/no-such-calendar/",
        username=USER,
        password_encrypted=secret_encrypt("pw"),
    )
    interview = book(acme)
    # when
    caldav_sync_interview(interview_id=interview.pk)
    # then
    account.refresh_from_db()
    assert account.last_error


def test_the_receiver_is_connected_and_queues_the_sync_after_commit(acme, account, django_capture_on_commit_callbacks):
    # given
    interview = book(acme)
    connected = [key for key, *_rest in interview_changed.receivers if key[0] == "scheduling.calendar.caldav_sync"]
    # when (tasks run eagerly in the test settings)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue_caldav_sync(sender=None, interview_id=interview.pk, change="scheduled", actor_id=None)
    # then
    assert connected
    assert len(callbacks) == 1
    assert len(remote_events(account.calendar_url)) == 1


def test_the_receiver_queues_nothing_when_nobody_syncs(acme, django_capture_on_commit_callbacks):
    # given
    interview = book(acme)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_caldav_sync(sender=None, interview_id=interview.pk, change="scheduled", actor_id=None)
    # then
    assert callbacks == []


def test_test_connection_from_the_settings_page(acme, account):
    # when
    response = acme.client("interviewer").post("/settings/calendar/", {"action": "caldav_test"}, follow=True)
    # then
    assert "Connected to the calendar" in response.content.decode()
    assert "Work" in response.content.decode()


def test_test_connection_reports_a_wrong_address(acme, radicale):
    # given
    CalDavAccount.objects.create(
        user=acme.users["interviewer"],
        calendar_url=f"{radicale}/{USER}/missing/",
        username=USER,
        password_encrypted=secret_encrypt("pw"),
    )
    # when
    response = acme.client("interviewer").post("/settings/calendar/", {"action": "caldav_test"}, follow=True)
    # then
    body = response.content.decode()
    assert "Connected to the calendar" not in body
    assert CalDavAccount.objects.get(user=acme.users["interviewer"]).last_error in body
