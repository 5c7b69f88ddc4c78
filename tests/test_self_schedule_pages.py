"""The candidate's self-scheduling page: slots in their zone, book, move, cancel — no login, no leaks."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from interviews.factories import NoteFactory
from interviews.models import Interview
from scheduling import services
from scheduling.factories import SchedulingLinkFactory
from scheduling.models import SchedulingLink
from tests.conftest import Tenant
from tests.test_booking import Scene, another_candidate, at, open_link, scene_for

NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
SLOT_BUTTON = re.compile(r'<button type="submit" name="start" value="([^"]+)"[^>]*>([0-9:]+)</button>')


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    return scene_for(acme)


def url(token: str) -> str:
    return f"/schedule/{token}/"


def test_slots_are_labelled_in_the_zone_the_candidate_asks_for(scene: Scene) -> None:
    # given
    _link, token = open_link(scene)
    # when
    page = Client().get(url(token), {"tz": "Asia/Kolkata"})
    # then every slot's label is its start in Kolkata (Berlin 09:00 is 12:30 or 13:30 there)
    assert page.status_code == 200
    buttons = SLOT_BUTTON.findall(page.content.decode())
    assert buttons
    for value, label in buttons:
        start = datetime.fromisoformat(value.replace("Z", "+00:00"))
        assert label == start.astimezone(KOLKATA).strftime("%H:%M")
    first = at(scene.day, 9).astimezone(KOLKATA).strftime("%H:%M")
    assert buttons[0][1] == first
    assert first in ("12:30", "13:30")
    assert "Asia/Kolkata" in page.content.decode()


def test_without_a_choice_the_page_uses_the_organizations_zone_and_lets_the_browser_pick(scene: Scene) -> None:
    _link, token = open_link(scene)
    page = Client().get(url(token))
    html = page.content.decode()
    assert 'data-zone="UTC"' in html  # the organization's zone (conftest's Acme is in UTC)
    assert 'data-zone-explicit="0"' in html
    assert "src/scheduling.js" in html


def test_the_page_shows_no_internal_data(scene: Scene) -> None:
    # given a private recruiter note and a named interviewer
    NoteFactory(candidate=scene.candidate, body="SECRET-PRIVATE-NOTE")
    _link, token = open_link(scene)
    # when
    html = Client().get(url(token), {"tz": "UTC"}).content.decode()
    # then the candidate learns how many interviewers, never who
    assert "1 interviewer from Acme" in html
    for secret in (scene.interviewer.email, scene.interviewer.full_name, scene.recruiter.email, "SECRET-PRIVATE-NOTE"):
        assert secret not in html


def test_an_unknown_token_is_not_found(db) -> None:
    assert Client().get(url("no-such-token")).status_code == 404


def test_booking_from_the_page_then_seeing_the_booking(scene: Scene) -> None:
    # given
    link, token = open_link(scene)
    client = Client()
    start = at(scene.day, 10)
    # when
    response = client.post(url(token), {"action": "book", "start": start.isoformat(), "tz": "America/New_York"})
    # then
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "You are booked" in html
    assert "Your interview is booked" in html  # the message
    assert start.astimezone(NEW_YORK).strftime("%H:%M") in html
    assert "Pick another time" in html
    assert "Cancel the interview" in html
    link.refresh_from_db()
    assert link.status == SchedulingLink.Status.BOOKED
    assert link.candidate_time_zone == "America/New_York"


def test_booking_needs_the_csrf_token(scene: Scene) -> None:
    _link, token = open_link(scene)
    client = Client(enforce_csrf_checks=True)
    response = client.post(url(token), {"action": "book", "start": at(scene.day, 10).isoformat(), "tz": "UTC"})
    assert response.status_code == 403
    assert not Interview.objects.exists()


def test_a_time_taken_meanwhile_shows_a_clear_message_and_other_slots(scene: Scene) -> None:
    # given the other candidate books 10:00 while this page was open
    _link, token = open_link(scene)
    _other, other_token = open_link(scene, candidate=another_candidate(scene))
    services.scheduling_link_book(token=other_token, start=at(scene.day, 10), time_zone="UTC")
    client = Client()
    # when
    response = client.post(
        url(token), {"action": "book", "start": at(scene.day, 10).isoformat(), "tz": "UTC"}, follow=True
    )
    # then
    html = response.content.decode()
    assert "That time was just taken — pick another." in html
    assert "Pick a time" in html
    assert Interview.objects.count() == 1


def test_rescheduling_from_the_page(scene: Scene) -> None:
    # given a booking
    _link, token = open_link(scene)
    client = Client()
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    # when the candidate opens "pick another time" and picks 14:00
    page = client.get(url(token), {"tz": "UTC", "reschedule": "1"})
    assert "Pick a new time" in page.content.decode()
    new = at(scene.day, 14)
    assert new.strftime("%H:%M") in [label for _v, label in SLOT_BUTTON.findall(page.content.decode())]
    response = client.post(url(token), {"action": "reschedule", "start": new.isoformat(), "tz": "UTC"})
    # then
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.scheduled_at == new


def test_cancelling_from_the_page_closes_the_link(scene: Scene) -> None:
    # given
    _link, token = open_link(scene)
    client = Client()
    interview = services.scheduling_link_book(token=token, start=at(scene.day, 10), time_zone="UTC")
    # when
    client.post(url(token), {"action": "cancel", "reason": "sorry", "tz": "UTC"})
    # then
    interview.refresh_from_db()
    assert interview.status == Interview.Status.CANCELLED
    page = client.get(url(token))
    assert page.status_code == 410
    assert "This interview was cancelled" in page.content.decode()


def test_an_expired_link_says_so(scene: Scene) -> None:
    past = timezone.now() - timedelta(days=3)
    SchedulingLinkFactory(
        organization=scene.org,
        candidate=scene.candidate,
        stage=scene.stage,
        window_start=past,
        window_end=past + timedelta(days=1),
        token="expired-page-token-abcdefghijklmnopqrstuvwxyz",
    )
    page = Client().get(url("expired-page-token-abcdefghijklmnopqrstuvwxyz"))
    assert page.status_code == 410
    assert "This scheduling link has expired" in page.content.decode()


def test_an_unknown_zone_in_the_url_falls_back_to_the_organizations(scene: Scene) -> None:
    _link, token = open_link(scene)
    html = Client().get(url(token), {"tz": "Not/AZone"}).content.decode()
    assert 'data-zone="UTC"' in html
