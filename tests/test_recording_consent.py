"""Consent to be recorded: the pre-join page, the endpoint the room page posts to, and the rule
``room_recording_allowed`` the media process follows (docs/recording.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from interviews.factories import room_with_people
from interviews.models import Interview, Participant, RoomPresence
from recordings.consent import recording_consent_give, recording_consent_withdraw, room_recording_allowed
from recordings.models import RecordingConsent
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db

LEAD_TOKEN = "consent-lead-" + "l" * 30
CANDIDATE_TOKEN = "consent-cand-" + "c" * 30
RECORDED = {"video": True, "editor": False, "whiteboard": False, "chat": True, "recording": True}


def _room(acme: Tenant, *, tools: dict[str, bool] = RECORDED) -> tuple[Interview, Participant, Participant]:
    return room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=LEAD_TOKEN,
        candidate_token=CANDIDATE_TOKEN,
        stage__tools_config=tools,
    )


def _post(client: Client, interview: Interview, body: Any, *, content_type: str = "application/json") -> Any:
    url = reverse("recording_consent", kwargs={"room_id": interview.room_id})
    data = json.dumps(body) if content_type == "application/json" and not isinstance(body, str) else body
    return client.post(url, data=data, content_type=content_type, HTTP_USER_AGENT="TestBrowser/1.0")


def test_the_pre_join_page_of_a_recorded_stage_asks_for_consent(acme: Tenant) -> None:
    _interview, _lead, _cand = _room(acme)
    page = Client().get(f"/join/{CANDIDATE_TOKEN}/").content.decode()
    assert "I agree to be recorded" in page
    assert 'id="recording-consent"' in page
    assert 'id="recording-indicator"' in page


def test_the_pre_join_page_of_a_stage_not_recorded_asks_nothing(acme: Tenant) -> None:
    _room(acme, tools={**RECORDED, "recording": False})
    page = Client().get(f"/join/{CANDIDATE_TOKEN}/").content.decode()
    assert "I agree to be recorded" not in page
    assert 'id="recording-indicator"' not in page


def test_a_candidate_consents_with_their_join_token(acme: Tenant) -> None:
    # given
    interview, _lead, candidate = _room(acme)
    client = Client(enforce_csrf_checks=True)
    client.get(f"/join/{CANDIDATE_TOKEN}/")  # the page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    # when
    url = reverse("recording_consent", kwargs={"room_id": interview.room_id})
    response = client.post(
        url,
        data=json.dumps({"consent": True, "token": CANDIDATE_TOKEN}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json()["consent"] is True
    consent = RecordingConsent.objects.get(participant=candidate)
    assert (consent.active, consent.user_agent, consent.ip_address) == (True, "TestBrowser/1.0", "127.0.0.1")
    assert "recorded" in consent.consent_text
    assert AuditLog.objects.filter(action="recording.consent.give", organization=acme.org).count() == 1


def test_the_consent_endpoint_refuses_a_post_without_the_csrf_token(acme: Tenant) -> None:
    interview, _lead, _cand = _room(acme)
    response = _post(Client(enforce_csrf_checks=True), interview, {"consent": True, "token": CANDIDATE_TOKEN})
    assert response.status_code == 403
    assert not RecordingConsent.objects.exists()


def test_a_signed_in_interviewer_consents_and_withdraws_with_their_session(acme: Tenant) -> None:
    # given
    interview, lead, _cand = _room(acme)
    client = acme.client("interviewer")
    assert _post(client, interview, {"consent": True}).json()["consent"] is True
    # when
    response = _post(client, interview, {"consent": False})
    # then
    assert response.status_code == 200
    assert response.json() == {"consent": False, "grantedAt": None}
    assert RecordingConsent.objects.get(participant=lead).withdrawn_at is not None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"consent": "yes", "token": CANDIDATE_TOKEN}, 400, "bad_request"),
        ({"token": CANDIDATE_TOKEN}, 400, "bad_request"),
        ([True], 400, "bad_request"),
        ({"consent": True, "token": 42}, 400, "bad_request"),
        ({"consent": True, "token": "not-a-token"}, 401, "unauthenticated"),
        ({"consent": True}, 401, "unauthenticated"),
    ],
)
def test_consent_validation(acme: Tenant, body: Any, status: int, code: str) -> None:
    interview, _lead, _cand = _room(acme)
    response = _post(Client(), interview, body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not RecordingConsent.objects.exists()


def test_consent_must_be_json(acme: Tenant) -> None:
    interview, _lead, _cand = _room(acme)
    response = _post(Client(), interview, "consent=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_token_of_another_room_is_refused(acme: Tenant) -> None:
    _interview, _lead, _cand = _room(acme)
    other, _l, _c = room_with_people(
        organization=acme.org,
        interviewer=acme.users["recruiter"],
        lead_token="other-lead-" + "x" * 30,
        candidate_token="other-cand-" + "y" * 30,
        stage__tools_config=RECORDED,
    )
    response = _post(Client(), other, {"consent": True, "token": CANDIDATE_TOKEN})
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_a_user_of_another_organization_cannot_consent(acme: Tenant, globex: Tenant) -> None:
    interview, _lead, _cand = _room(acme)
    response = _post(globex.client("interviewer"), interview, {"consent": True})
    assert response.status_code == 403
    assert not RecordingConsent.objects.exists()


def test_there_is_nothing_to_agree_to_when_the_stage_is_not_recorded(acme: Tenant) -> None:
    interview, _lead, _cand = _room(acme, tools={**RECORDED, "recording": False})
    response = _post(Client(), interview, {"consent": True, "token": CANDIDATE_TOKEN})
    assert (response.status_code, response.json()["code"]) == (409, "recording_off")


def test_consent_to_an_ended_interview_is_refused(acme: Tenant) -> None:
    interview, _lead, _cand = _room(acme)
    Interview.objects.filter(pk=interview.pk).update(status=Interview.Status.COMPLETED)
    response = _post(acme.client("interviewer"), interview, {"consent": True})
    assert response.status_code == 409


def test_consent_can_be_given_again_after_a_withdrawal(acme: Tenant) -> None:
    _interview, _lead, candidate = _room(acme)
    recording_consent_give(participant=candidate, ip_address=None, user_agent="")
    recording_consent_withdraw(participant=candidate)
    again = recording_consent_give(participant=candidate, ip_address="10.0.0.1", user_agent="x")
    assert again.active
    assert RecordingConsent.objects.filter(participant=candidate).count() == 1
    assert AuditLog.objects.filter(action="recording.consent.withdraw").count() == 1


def _present(*participants: Participant) -> None:
    for participant in participants:
        RoomPresence.objects.create(
            interview=participant.interview, participant=participant, channel_name=f"c{participant.pk}"
        )


def test_a_room_may_be_recorded_only_while_everyone_present_consents(acme: Tenant) -> None:
    # given: nobody in the room
    interview, lead, candidate = _room(acme)
    assert not room_recording_allowed(interview_id=interview.pk)
    # when: the interviewer (consenting) is alone
    recording_consent_give(participant=lead, ip_address=None, user_agent="")
    _present(lead)
    assert room_recording_allowed(interview_id=interview.pk)
    # when: the candidate joins without consent
    _present(candidate)
    assert not room_recording_allowed(interview_id=interview.pk)
    # when: they agree, then withdraw
    recording_consent_give(participant=candidate, ip_address=None, user_agent="")
    assert room_recording_allowed(interview_id=interview.pk)
    recording_consent_withdraw(participant=candidate)
    assert not room_recording_allowed(interview_id=interview.pk)


def test_a_stale_presence_does_not_count(acme: Tenant) -> None:
    interview, lead, candidate = _room(acme)
    recording_consent_give(participant=lead, ip_address=None, user_agent="")
    _present(lead, candidate)
    RoomPresence.objects.filter(participant=candidate).update(seen_at=timezone.now() - timedelta(minutes=5))
    assert room_recording_allowed(interview_id=interview.pk)


def test_a_stage_not_recorded_is_never_recorded(acme: Tenant) -> None:
    interview, lead, _cand = _room(acme, tools={**RECORDED, "recording": False})
    RecordingConsent.objects.create(participant=lead, interview=interview, consent_text="x")
    _present(lead)
    assert not room_recording_allowed(interview_id=interview.pk)
