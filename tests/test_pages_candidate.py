"""Candidate pages: "Your interviews" on the dashboard and the lobby without the e-mailed token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from interviews import services
from interviews.factories import InterviewFactory, ParticipantFactory, ScorecardFactory
from interviews.models import Interview, Participant
from tests.test_pages_fixtures import SECRETS, add_member, candidate_participant, scene, tomorrow_at

__all__ = ["scene"]  # the fixture, imported for pytest


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def join_url(interview: Interview) -> str:
    return reverse("interview_join_session", args=[interview.pk])


def assert_no_secrets(html: str) -> None:
    for secret in (*SECRETS, "SCORECARD-COMMENT", "Shared: prefers"):
        assert secret not in html


# --- "Your interviews" ----------------------------------------------------------------------
def test_candidate_dashboard_lists_upcoming_interviews_with_tools_and_join_button(scene):
    # given
    User.objects.filter(pk=scene.candidate_user.pk).update(time_zone="Asia/Kolkata")
    stage = scene.interview.stage
    stage.tools_config = {"video": True, "editor": False, "whiteboard": True, "chat": False}
    stage.save(update_fields=["tools_config"])
    # when
    response = logged_in(scene.candidate_user).get(reverse("dashboard"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your interviews" in html
    assert stage.name in html
    assert "14:30" in html  # 09:00 UTC in the candidate's Asia/Kolkata
    assert "09:00" not in html
    assert "Video and audio" in html
    assert "Whiteboard" in html
    assert "Code editor" not in html
    assert join_url(scene.interview) in html


def test_candidate_dashboard_leaves_out_past_cancelled_and_other_candidates_interviews(acme, scene):
    # given
    me = scene.candidate_user
    past = InterviewFactory(
        organization=acme.org,
        candidate=scene.interview.candidate,
        stage=scene.interview.stage,
        scheduled_at=timezone.now() - timedelta(days=2),
    )
    cancelled = InterviewFactory(organization=acme.org, candidate=scene.interview.candidate, stage=past.stage)
    services.interview_cancel(interview=cancelled, actor=acme.users[Role.RECRUITER])
    someone_else = InterviewFactory(organization=acme.org, candidate__full_name="Other Candidate")
    # when
    response = logged_in(me).get(reverse("dashboard"))
    # then
    shown = [row.interview.pk for row in response.context["candidate_interviews"]]
    assert shown == [scene.interview.pk]
    html = response.content.decode()
    assert join_url(someone_else) not in html
    assert "Other Candidate" not in html


def test_candidate_found_by_verified_email_without_a_linked_account(acme):
    # given a candidate row that only carries the e-mail of a candidate member
    person = add_member(acme, Role.CANDIDATE, "linus@example.test")
    interview = InterviewFactory(organization=acme.org, candidate__email="linus@example.test")
    candidate_participant(interview)
    User.objects.filter(pk=person.pk).update(time_zone="Asia/Kolkata")
    # when
    response = logged_in(person).get(reverse("dashboard"))
    lobby = logged_in(person).get(join_url(interview))
    # then
    assert [row.interview.pk for row in response.context["candidate_interviews"]] == [interview.pk]
    assert lobby.status_code == 200
    assert "Asia/Kolkata" in lobby.content.decode()  # their own zone, though the row is not linked to them


def test_an_unverified_email_does_not_match_a_candidate(acme):
    person = add_member(acme, Role.CANDIDATE, "mallory@example.test")
    EmailAddress.objects.filter(user=person).update(verified=False)
    interview = InterviewFactory(organization=acme.org, candidate__email="mallory@example.test")
    candidate_participant(interview)
    assert logged_in(person).get(reverse("dashboard")).context["candidate_interviews"] == []
    assert logged_in(person).get(join_url(interview)).status_code == 404


def test_email_match_does_not_take_over_a_row_linked_to_another_account(acme):
    owner = add_member(acme, Role.CANDIDATE, "owner@example.test")
    person = add_member(acme, Role.CANDIDATE, "shared@example.test")
    interview = InterviewFactory(organization=acme.org, candidate__email="shared@example.test", candidate__user=owner)
    candidate_participant(interview)
    assert logged_in(person).get(join_url(interview)).status_code == 404
    assert logged_in(owner).get(join_url(interview)).status_code == 200


def test_candidate_page_says_nothing_about_assessments_yet(scene):
    html = logged_in(scene.candidate_user).get(reverse("dashboard")).content.decode().lower()
    assert "assessment" not in html


# --- nothing secret reaches a candidate ---------------------------------------------------
def test_no_candidate_facing_page_holds_hints_guides_notes_or_scorecards(acme, scene):
    # given a submitted scorecard and the candidate's own join token
    ScorecardFactory(interview=scene.interview, author=scene.interviewer, comments="SCORECARD-COMMENT")
    token_participant = ParticipantFactory(
        interview=InterviewFactory(organization=acme.org, candidate=scene.interview.candidate),
        user=None,
        candidate=scene.interview.candidate,
        role=Participant.Role.CANDIDATE,
        token="candidate-token-abcdefghijklmnopqrstuvwxyz",
    )
    client = logged_in(scene.candidate_user)
    # when
    responses = {
        "dashboard": client.get(reverse("dashboard")),
        "my interviews": client.get(reverse("my_interviews"), follow=True),
        "session lobby": client.get(join_url(scene.interview)),
        "token lobby": Client().get("/join/candidate-token-abcdefghijklmnopqrstuvwxyz/"),
        "panel page": client.get(reverse("interview_detail", args=[scene.interview.pk])),
    }
    # then
    assert token_participant.interview.candidate == scene.interview.candidate
    assert {name: r.status_code for name, r in responses.items()} == {
        "dashboard": 200,
        "my interviews": 200,
        "session lobby": 200,
        "token lobby": 200,
        "panel page": 404,
    }
    for response in responses.values():
        assert_no_secrets(response.content.decode())


def test_candidates_are_sent_from_my_interviews_to_their_own_page(scene):
    response = logged_in(scene.candidate_user).get(reverse("my_interviews"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


# --- the lobby without a token ------------------------------------------------------------
def test_logged_in_candidate_reaches_the_lobby_without_the_token(scene):
    response = logged_in(scene.candidate_user).get(join_url(scene.interview))
    assert response.status_code == 200
    assert response.templates[0].name == "interviews/join.html"
    html = response.content.decode()
    assert "Grace Hopper (Candidate)" in html
    assert "A shared code editor" in html


def test_panel_members_reach_the_lobby_as_themselves(scene):
    response = logged_in(scene.interviewer).get(join_url(scene.interview))
    assert response.status_code == 200
    assert response.context["participant"].user == scene.interviewer


@pytest.mark.parametrize("who", ["recruiter", "other candidate", "globex candidate"])
def test_people_outside_the_interview_get_404_at_the_lobby(acme, globex, scene, who):
    user = {
        "recruiter": acme.users[Role.RECRUITER],  # may read the interview, but is not in the room
        "other candidate": add_member(acme, Role.CANDIDATE, "other.candidate@example.test"),
        "globex candidate": globex.users[Role.CANDIDATE],
    }[who]
    assert logged_in(user).get(join_url(scene.interview)).status_code == 404


def test_the_lobby_of_a_cancelled_interview_is_closed(acme, scene):
    services.interview_cancel(interview=scene.interview, actor=acme.users[Role.RECRUITER])
    response = logged_in(scene.candidate_user).get(join_url(scene.interview))
    assert response.status_code == 410
    assert "This interview was cancelled." in response.content.decode()


def test_the_lobby_closes_after_the_interview(scene):
    Interview.objects.filter(pk=scene.interview.pk).update(scheduled_at=timezone.now() - timedelta(days=1))
    response = logged_in(scene.candidate_user).get(join_url(scene.interview))
    assert response.status_code == 410


def test_lobby_shows_the_time_in_the_candidates_zone(scene):
    User.objects.filter(pk=scene.candidate_user.pk).update(time_zone="Asia/Kolkata")
    assert scene.interview.scheduled_at == tomorrow_at(9)
    html = logged_in(scene.candidate_user).get(join_url(scene.interview)).content.decode()
    assert "14:30" in html
    assert "Asia/Kolkata" in html


def test_token_lobby_of_an_anonymous_guest_uses_the_organizations_zone(acme):
    acme.org.time_zone = "Asia/Kolkata"
    acme.org.save(update_fields=["time_zone"])
    interview = InterviewFactory(organization=acme.org, scheduled_at=tomorrow_at(9))
    ParticipantFactory(
        interview=interview, user=None, candidate=interview.candidate, role="candidate", token="guest-token-abcdefghijk"
    )
    html = Client().get("/join/guest-token-abcdefghijk/").content.decode()
    assert "14:30" in html
