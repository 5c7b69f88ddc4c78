"""Private ICS feeds (token URL) and the calendar settings page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import AuditLog, Membership
from interviews.factories import CandidateFactory, StageFactory
from interviews.models import Interview
from interviews.services.interviews import interview_cancel, interview_schedule
from scheduling.calendar.crypto import secret_decrypt
from scheduling.calendar.feeds import feed_issue, feed_revoke, feed_user_for_token
from scheduling.calendar.invites import calendar_event_bump, calendar_event_for
from scheduling.models import CalDavAccount, CalendarFeed, InterviewerProfile

SETTINGS_URL = "/settings/calendar/"


@pytest.fixture(autouse=True)
def _local_servers_allowed(settings) -> None:
    """The servers of these tests listen on 127.0.0.1, which production settings refuse."""
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True


def book(tenant, *, at: datetime | None = None, interviewer=None, candidate_user=None) -> Interview:
    candidate = CandidateFactory(organization=tenant.org, full_name="Ada Candidate", user=candidate_user)
    stage = StageFactory(pipeline=candidate.position.pipeline, name="Live coding")
    interview, _tokens = interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=at or timezone.now() + timedelta(days=3),
        interviewers=[interviewer or tenant.users["interviewer"]],
        actor=tenant.users["recruiter"],
    )
    return interview


def feed_path(token: str) -> str:
    return reverse("scheduling_calendar_feed", kwargs={"token": token})


def uids(response) -> set[str]:
    return {str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_feed_lists_the_users_interviews_with_invite_uids(acme):
    # given
    mine = book(acme)
    identity = calendar_event_for(interview=mine)
    token = feed_issue(user=acme.users["interviewer"])
    # when
    response = Client().get(feed_path(token))
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert "METHOD" not in cal
    assert cal["X-WR-CALNAME"]
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "X-PUBLISHED-TTL" in cal
    assert uids(response) == {identity.uid}
    assert re.search(rb"\r\nDTSTART:\d{8}T\d{6}Z\r\n", response.content)


def test_feed_leaves_out_other_peoples_and_other_organizations_interviews(acme, globex):
    # given
    mine = book(acme)
    book(acme, interviewer=acme.users["admin"])  # a colleague's interview
    book(globex)  # another organization's
    token = feed_issue(user=acme.users["interviewer"])
    # when
    response = Client().get(feed_path(token))
    # then
    assert uids(response) == {calendar_event_for(interview=mine).uid}


def test_feed_drops_interviews_of_an_organization_the_user_left(acme):
    # given
    book(acme)
    token = feed_issue(user=acme.users["interviewer"])
    Membership.objects.filter(user=acme.users["interviewer"], organization=acme.org).delete()
    # when
    response = Client().get(feed_path(token))
    # then
    assert uids(response) == set()


def test_feed_keeps_cancelled_interviews_as_cancelled_with_their_sequence(acme):
    # given
    interview = book(acme)
    calendar_event_for(interview=interview)
    interview_cancel(interview=interview, actor=acme.users["recruiter"])
    calendar_event_bump(interview=interview, cancelled=True)
    token = feed_issue(user=acme.users["interviewer"])
    # when
    response = Client().get(feed_path(token))
    # then
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_feed_shows_thirty_days_back_and_everything_ahead(acme):
    # given
    recent = book(acme, at=timezone.now() - timedelta(days=10))
    Interview.objects.filter(pk=recent.pk).update(status=Interview.Status.COMPLETED)
    old = book(acme, at=timezone.now() - timedelta(days=45))
    far = book(acme, at=datetime(2035, 1, 2, 10, tzinfo=UTC))
    token = feed_issue(user=acme.users["interviewer"])
    # when
    got = uids(Client().get(feed_path(token)))
    # then
    assert calendar_event_for(interview=recent).uid in got
    assert calendar_event_for(interview=far).uid in got
    assert calendar_event_for(interview=old).uid not in got


def test_feed_of_a_candidate_account_is_the_candidate_copy(acme):
    # given
    candidate_user = acme.users["candidate"]
    interview = book(acme, candidate_user=candidate_user)
    token = feed_issue(user=candidate_user)
    # when
    response = Client().get(feed_path(token))
    # then
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == calendar_event_for(interview=interview).uid
    body = response.content.decode().replace("\r\n ", "")
    assert acme.users["interviewer"].email not in body
    assert f"/interviews/{interview.pk}/" not in body
    assert "ATTENDEE" not in body


def test_revoked_and_unknown_tokens_get_404(acme):
    # given
    book(acme)
    token = feed_issue(user=acme.users["interviewer"])
    # when
    feed_revoke(user=acme.users["interviewer"])
    # then
    assert Client().get(feed_path(token)).status_code == 404
    assert Client().get(feed_path("not-a-real-token")).status_code == 404
    assert feed_user_for_token(token) is None


def test_a_new_address_replaces_the_old_one(acme):
    # given
    old = feed_issue(user=acme.users["interviewer"])
    # when
    new = feed_issue(user=acme.users["interviewer"])
    # then
    assert Client().get(feed_path(old)).status_code == 404
    assert Client().get(feed_path(new)).status_code == 200
    assert CalendarFeed.objects.filter(user=acme.users["interviewer"], revoked_at__isnull=True).count() == 1
    assert AuditLog.objects.filter(action="calendar_feed.issue", actor=acme.users["interviewer"]).count() == 2


def test_feed_fetch_is_stamped_and_answers_304_when_unchanged(acme):
    # given
    book(acme)
    token = feed_issue(user=acme.users["interviewer"])
    client = Client()
    first = client.get(feed_path(token))
    # when
    second = client.get(feed_path(token), HTTP_IF_NONE_MATCH=first["ETag"])
    # then
    assert second.status_code == 304
    assert CalendarFeed.objects.get(user=acme.users["interviewer"], revoked_at__isnull=True).last_fetched_at


def test_feed_fetch_stamp_is_written_at_most_once_a_minute(acme):
    # given
    token = feed_issue(user=acme.users["interviewer"])
    Client().get(feed_path(token))
    feed = CalendarFeed.objects.get(user=acme.users["interviewer"], revoked_at__isnull=True)
    stamped = feed.last_fetched_at
    # when
    Client().get(feed_path(token))
    # then
    feed.refresh_from_db()
    assert feed.last_fetched_at == stamped


def test_feed_refuses_only_writes(acme):
    # given
    token = feed_issue(user=acme.users["interviewer"])
    # then
    assert Client().post(feed_path(token)).status_code == 405


# --- the settings page --------------------------------------------------------------------
def test_settings_page_needs_a_login():
    # when
    response = Client().get(SETTINGS_URL)
    # then
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_settings_url_name():
    assert reverse("scheduling_calendar_settings") == SETTINGS_URL


def test_interviewer_sees_feed_busy_calendar_and_caldav(acme):
    # when
    response = acme.client("interviewer").get(SETTINGS_URL)
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="feed_issue"' in body
    assert 'value="ics_save"' in body
    assert 'value="caldav_save"' in body
    assert acme.org.name in body


def test_candidate_sees_only_the_feed(acme):
    # when
    response = acme.client("candidate").get(SETTINGS_URL)
    # then
    body = response.content.decode()
    assert 'value="feed_issue"' in body
    assert 'value="ics_save"' not in body
    assert 'value="caldav_save"' not in body


def test_candidate_cannot_post_interviewer_settings(acme):
    # when
    response = acme.client("candidate").post(
        SETTINGS_URL,
        {"action": "ics_save", "organization": acme.org.pk, f"org{acme.org.pk}-ics_url": "https://x.test/a.ics"},
    )
    # then
    assert response.status_code == 404
    assert not InterviewerProfile.objects.filter(user=acme.users["candidate"]).exists()


def test_creating_a_feed_shows_its_address_once(acme):
    # given
    client = acme.client("interviewer")
    # when
    created = client.post(SETTINGS_URL, {"action": "feed_issue"}, follow=True)
    again = client.get(SETTINGS_URL)
    # then
    feed = CalendarFeed.objects.get(user=acme.users["interviewer"], revoked_at__isnull=True)
    body = created.content.decode()
    assert "/calendar/feed/" in body
    token = body.split("/calendar/feed/")[1].split(".ics")[0]
    assert feed_user_for_token(token) == acme.users["interviewer"]
    assert feed.token_hash not in body
    assert "/calendar/feed/" not in again.content.decode()


def test_revoking_from_the_page(acme):
    # given
    token = feed_issue(user=acme.users["interviewer"])
    # when
    acme.client("interviewer").post(SETTINGS_URL, {"action": "feed_revoke"})
    # then
    assert feed_user_for_token(token) is None
    assert AuditLog.objects.filter(action="calendar_feed.revoke").exists()


def test_settings_forms_need_the_csrf_token(acme):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme.users["interviewer"])
    # when
    response = client.post(SETTINGS_URL, {"action": "feed_issue"})
    # then
    assert response.status_code == 403
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://calendar.example.test/me.ics", "Only http:// and https://"),
        ("webcal://calendar.example.test/me.ics", "replace webcal://"),
        ("not a url at all", "Only http:// and https://"),
    ],
)
def test_busy_calendar_address_must_be_http(acme, url, message):
    # when
    response = acme.client("interviewer").post(
        SETTINGS_URL, {"action": "ics_save", "organization": acme.org.pk, f"org{acme.org.pk}-ics_url": url}
    )
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not InterviewerProfile.objects.filter(user=acme.users["interviewer"]).exclude(ics_url="").exists()


def test_busy_calendar_address_is_saved_and_audited_without_its_secret_path(acme):
    # given
    url = "http://127.0.0.1:9/private-SECRET123/basic.ics"
    # when
    response = acme.client("interviewer").post(
        SETTINGS_URL, {"action": "ics_save", "organization": acme.org.pk, f"org{acme.org.pk}-ics_url": url}
    )
    # then
    assert response.status_code == 302
    profile = InterviewerProfile.objects.get(user=acme.users["interviewer"], organization=acme.org)
    assert profile.ics_url == url
    audit = AuditLog.objects.get(action="interviewer_profile.ics_url")
    assert "SECRET123" not in str(audit.changes)


def test_busy_calendar_of_another_organization_is_404(acme, globex):
    # when
    response = acme.client("interviewer").post(
        SETTINGS_URL,
        {"action": "ics_save", "organization": globex.org.pk, f"org{globex.org.pk}-ics_url": "https://x.test/a"},
    )
    # then
    assert response.status_code == 404
    assert not InterviewerProfile.objects.filter(organization=globex.org).exists()


def test_caldav_password_is_stored_encrypted_and_never_shown(acme):
    # given
    client = acme.client("interviewer")
    # when
    client.post(
        SETTINGS_URL,
        {
            "action": "caldav_save",
            "calendar_url": "http://127.0.0.1:9/alice/work/",
            "username": "alice",
            "password": "s3cret-Passw0rd",
            "enabled": "on",
        },
    )
    page = client.get(SETTINGS_URL).content.decode()
    # then
    account = CalDavAccount.objects.get(user=acme.users["interviewer"])
    assert account.password_encrypted
    assert "s3cret-Passw0rd" not in account.password_encrypted
    assert secret_decrypt(account.password_encrypted) == "s3cret-Passw0rd"
    assert "s3cret-Passw0rd" not in page
    assert account.password_encrypted not in page
    assert "http://127.0.0.1:9/alice/work/" in page
    audit = AuditLog.objects.get(action="caldav_account.save")
    assert "s3cret" not in str(audit.changes)


def test_caldav_save_with_empty_password_keeps_the_stored_one(acme):
    # given
    client = acme.client("interviewer")
    data = {"action": "caldav_save", "calendar_url": "http://127.0.0.1:9/a/", "username": "alice", "enabled": "on"}
    client.post(SETTINGS_URL, {**data, "password": "first"})
    # when
    client.post(SETTINGS_URL, {**data, "password": ""})
    # then
    account = CalDavAccount.objects.get(user=acme.users["interviewer"])
    assert secret_decrypt(account.password_encrypted) == "first"


def test_caldav_url_must_be_http(acme):
    # when
    response = acme.client("interviewer").post(
        SETTINGS_URL, {"action": "caldav_save", "calendar_url": "ftp://x.test/cal/", "username": "", "password": ""}
    )
    # then
    assert response.status_code == 400
    assert not CalDavAccount.objects.exists()
