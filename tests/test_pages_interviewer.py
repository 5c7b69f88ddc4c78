"""Interviewer pages: My interviews, the panel's interview page and its scorecard form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Role, User
from interviews import services
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant, Scorecard
from tests.conftest import Tenant
from tests.test_pages_fixtures import SHARED_NOTE, Scene, add_member, scene

__all__ = ["scene"]  # the fixture, imported for pytest

GOOD = {"rating_0": "3", "rating_1": "4", "recommendation": "yes", "comments": "Clear thinker."}


def detail_url(interview: Interview) -> str:
    return reverse("interview_detail", args=[interview.pk])


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def second_interviewer(acme: Tenant, scene: Scene) -> User:
    other = add_member(acme, Role.INTERVIEWER, "ivy@acme.test", full_name="Ivy Other")
    ParticipantFactory(interview=scene.interview, user=other)
    return other


# --- who may open the interview page -------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("panel interviewer", 200),
        ("observer", 200),
        ("recruiter", 200),
        ("admin", 200),
        ("other interviewer", 404),
        ("candidate", 404),
        ("globex admin", 404),
        ("globex interviewer", 404),
    ],
)
def test_interview_page_opens_only_for_the_panel_and_hiring_staff(acme, globex, scene, who, status):
    # given
    users = {
        "panel interviewer": scene.interviewer,
        "recruiter": acme.users[Role.RECRUITER],
        "admin": acme.users[Role.ADMIN],
        "candidate": scene.candidate_user,
        "globex admin": globex.users[Role.ADMIN],
        "globex interviewer": globex.users[Role.INTERVIEWER],
    }
    if who == "other interviewer":
        users[who] = add_member(acme, Role.INTERVIEWER, "other@acme.test")
    if who == "observer":
        users[who] = add_member(acme, Role.INTERVIEWER, "watcher@acme.test")
        ParticipantFactory(interview=scene.interview, user=users[who], role=Participant.Role.OBSERVER)
    # when
    response = logged_in(users[who]).get(detail_url(scene.interview))
    # then
    assert response.status_code == status
    if status == 404:
        assert b"Grace Hopper" not in response.content


def test_unknown_interview_id_answers_the_same_404(scene):
    response = logged_in(scene.interviewer).get(reverse("interview_detail", args=[scene.interview.pk + 999]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["interview_detail", "interview_join_session"])
def test_anonymous_visitors_are_sent_to_log_in(scene, name):
    url = reverse(name, args=[scene.interview.pk])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_my_interviews_needs_a_login():
    response = Client().get(reverse("my_interviews"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- what the panel sees --------------------------------------------------------------------
def test_interview_page_shows_plan_in_order_with_hints_guides_and_follow_ups(scene):
    # when
    response = logged_in(scene.interviewer).get(detail_url(scene.interview))
    # then
    html = response.content.decode()
    assert html.index("Design a rate limiter") < html.index("Reverse a linked list")
    assert html.count("SECRET-HINT") == 2
    assert html.count("SECRET-GUIDE") == 2
    assert "What about bursts?" in html
    assert html.count('<details class="reveal">') == 5
    assert "Problem solving" in html  # the stage's criteria in the scorecard form
    assert "Video and audio" in html
    assert SHARED_NOTE in html


@pytest.mark.parametrize("role", [Role.INTERVIEWER, Role.RECRUITER, Role.ADMIN])
def test_private_notes_never_reach_the_interview_page(acme, scene, role):
    response = logged_in(acme.users[role]).get(detail_url(scene.interview))
    assert response.status_code == 200
    assert b"SECRET-PRIVATE-NOTE" not in response.content
    assert SHARED_NOTE.encode() in response.content


def test_times_are_shown_in_the_viewers_time_zone(scene):
    # given an interviewer in India and an interview at 09:00 UTC
    User.objects.filter(pk=scene.interviewer.pk).update(time_zone="Asia/Kolkata")
    # when
    detail = logged_in(scene.interviewer).get(detail_url(scene.interview)).content.decode()
    listing = logged_in(scene.interviewer).get(reverse("my_interviews")).content.decode()
    # then
    for html in (detail, listing):
        assert "14:30" in html
        assert "09:00" not in html
        assert "Asia/Kolkata" in html


def test_without_a_zone_of_their_own_people_see_the_organizations(acme, scene):
    # given
    User.objects.filter(pk=scene.interviewer.pk).update(time_zone="")
    acme.org.time_zone = "America/New_York"
    acme.org.save(update_fields=["time_zone"])
    scene.interview.scheduled_at = scene.interview.scheduled_at.replace(month=1, day=15, year=2031)
    scene.interview.save(update_fields=["scheduled_at"])
    # when
    html = logged_in(scene.interviewer).get(detail_url(scene.interview)).content.decode()
    # then (09:00 UTC in January is 04:00 in New York)
    assert "04:00" in html
    assert "America/New_York" in html


# --- My interviews --------------------------------------------------------------------------
def test_my_interviews_lists_only_mine_split_into_upcoming_and_past(acme, globex, scene):
    # given
    me = scene.interviewer
    past = InterviewFactory(
        organization=acme.org, scheduled_at=timezone.now() - timedelta(days=3), candidate__full_name="Alan Turing"
    )
    ParticipantFactory(interview=past, user=me)
    cancelled = InterviewFactory(organization=acme.org, candidate__full_name="Katherine Johnson")
    ParticipantFactory(interview=cancelled, user=me)
    services.interview_cancel(interview=cancelled, actor=acme.users[Role.RECRUITER])
    not_mine = InterviewFactory(organization=acme.org, candidate__full_name="Not Mine")
    ParticipantFactory(interview=not_mine, user=acme.users[Role.ADMIN])
    elsewhere = InterviewFactory(organization=globex.org, candidate__full_name="Elsewhere Person")
    ParticipantFactory(interview=elsewhere, user=me)
    # when
    response = logged_in(me).get(reverse("my_interviews"))
    # then
    assert response.status_code == 200
    assert [i.pk for i in response.context["upcoming"]] == [scene.interview.pk]
    assert [i.pk for i in response.context["past"]] == [cancelled.pk, past.pk]  # latest first
    html = response.content.decode()
    upcoming_part, past_part = html.split('id="past-title"')
    assert "Grace Hopper" in upcoming_part
    assert "Alan Turing" in past_part
    assert "Katherine Johnson" in past_part
    assert "Not Mine" not in html
    assert "Elsewhere Person" not in html
    assert detail_url(scene.interview) in upcoming_part


def test_my_interviews_runs_a_constant_number_of_queries(acme):
    me = acme.users[Role.INTERVIEWER]
    client = logged_in(me)

    def add(count: int) -> None:
        for _ in range(count):
            ParticipantFactory(interview=InterviewFactory(organization=acme.org), user=me)

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("my_interviews")).status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("my_interviews"))
    assert len(response.context["upcoming"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_dashboard_leads_an_interviewer_to_their_interviews(scene):
    response = logged_in(scene.interviewer).get(reverse("dashboard"))
    html = response.content.decode()
    assert "Grace Hopper" in html
    assert detail_url(scene.interview) in html
    assert reverse("my_interviews") in html


# --- the scorecard form ---------------------------------------------------------------------
def test_draft_then_submit_then_the_form_is_read_only(scene):
    client = logged_in(scene.interviewer)
    url = detail_url(scene.interview)
    # when a partial draft is saved
    response = client.post(url, {"rating_0": "2", "comments": "So far so good.", "action": "draft"})
    # then
    assert response.status_code == 302
    card = Scorecard.objects.get(interview=scene.interview, author=scene.interviewer)
    assert card.ratings == {"Problem solving": 2}
    assert card.submitted_at is None
    page = client.get(url).content.decode()
    assert "So far so good." in page
    assert 'name="action" value="submit"' in page
    # when it is submitted complete
    response = client.post(url, {**GOOD, "action": "submit"})
    # then
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.ratings == {"Problem solving": 3, "Communication": 4}
    assert card.recommendation == "yes"
    assert card.submitted_at is not None
    page = client.get(url).content.decode()
    assert 'name="action"' not in page
    assert "A submitted scorecard can no longer change." in page
    assert "Clear thinker." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**GOOD, "rating_1": ""}, "rating_1", "Rate this criterion before submitting."),
        ({**GOOD, "rating_0": "5"}, "rating_0", "Choose a rating from 1 to 4."),
        ({**GOOD, "rating_0": "0"}, "rating_0", "Choose a rating from 1 to 4."),
        ({**GOOD, "recommendation": ""}, "recommendation", "Give an overall recommendation before submitting."),
        ({**GOOD, "recommendation": "maybe"}, "recommendation", "Choose strong no, no, yes or strong yes."),
    ],
)
def test_bad_scorecards_show_errors_next_to_the_field_and_save_nothing(scene, data, field, message):
    # when
    response = logged_in(scene.interviewer).post(detail_url(scene.interview), {**data, "action": "submit"})
    # then
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field] == [message]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert f'aria-describedby="id_{field}_error"' in html
    assert message in html
    assert not Scorecard.objects.exists()


def test_an_out_of_range_draft_is_refused_too(scene):
    response = logged_in(scene.interviewer).post(detail_url(scene.interview), {"rating_0": "9", "action": "draft"})
    assert response.status_code == 400
    assert not Scorecard.objects.exists()


def test_a_submitted_scorecard_cannot_be_submitted_again(scene):
    client = logged_in(scene.interviewer)
    url = detail_url(scene.interview)
    assert client.post(url, {**GOOD, "action": "submit"}).status_code == 302
    # when
    response = client.post(url, {**GOOD, "recommendation": "strong_no", "action": "submit"})
    # then
    assert response.status_code == 409
    assert "already submitted" in response.content.decode()
    assert Scorecard.objects.get().recommendation == "yes"


def test_observers_and_recruiters_get_no_form_and_cannot_post(acme, scene):
    recruiter = logged_in(acme.users[Role.RECRUITER])
    page = recruiter.get(detail_url(scene.interview))
    assert page.context["form"] is None
    assert b'name="action"' not in page.content
    response = recruiter.post(detail_url(scene.interview), {**GOOD, "action": "submit"})
    assert response.status_code == 403
    assert not Scorecard.objects.exists()


def test_other_scorecards_stay_hidden_until_you_submit_yours(acme, scene):
    # given a colleague who already submitted
    ivy = second_interviewer(acme, scene)
    services.scorecard_save(
        interview=scene.interview,
        author=ivy,
        ratings={"Problem solving": 1, "Communication": 1},
        recommendation="strong_no",
        comments="IVY-COMMENT",
        submit=True,
    )
    client = logged_in(scene.interviewer)
    url = detail_url(scene.interview)
    # then before submitting, nothing of hers shows
    before = client.get(url).content.decode()
    assert "IVY-COMMENT" not in before
    assert "Ivy Other" in before  # she is a participant, but her scorecard is not shown
    assert "once you have submitted yours" in before
    # and a draft does not unlock it
    client.post(url, {"rating_0": "3", "action": "draft"})
    assert "IVY-COMMENT" not in client.get(url).content.decode()
    # when he submits
    client.post(url, {**GOOD, "action": "submit"})
    # then
    after = client.get(url).content.decode()
    assert "IVY-COMMENT" in after
    assert "Strong no" in after


def test_recruiters_see_submitted_scorecards_but_not_drafts(acme, scene):
    ivy = second_interviewer(acme, scene)
    services.scorecard_save(
        interview=scene.interview, author=ivy, ratings={"Problem solving": 2}, comments="IVY-DRAFT", submit=False
    )
    services.scorecard_save(
        interview=scene.interview,
        author=scene.interviewer,
        ratings={"Problem solving": 4, "Communication": 4},
        recommendation="strong_yes",
        comments="IVAN-FINAL",
        submit=True,
    )
    html = logged_in(acme.users[Role.RECRUITER]).get(detail_url(scene.interview)).content.decode()
    assert "IVAN-FINAL" in html
    assert "IVY-DRAFT" not in html


def test_the_scorecard_form_is_csrf_protected(scene):
    client = Client(enforce_csrf_checks=True)
    client.force_login(scene.interviewer)
    response = client.post(detail_url(scene.interview), {**GOOD, "action": "submit"})
    assert response.status_code == 403
    assert not Scorecard.objects.exists()


def test_a_cancelled_interview_takes_no_scorecard(acme, scene):
    services.interview_cancel(interview=scene.interview, actor=acme.users[Role.RECRUITER])
    client = logged_in(scene.interviewer)
    page = client.get(detail_url(scene.interview))
    assert b'name="action"' not in page.content
    response = client.post(detail_url(scene.interview), {**GOOD, "action": "submit"})
    assert response.status_code == 302
    assert not Scorecard.objects.exists()


def test_submitting_writes_the_audit_log(scene):
    logged_in(scene.interviewer).post(detail_url(scene.interview), {**GOOD, "action": "submit"})
    assert AuditLog.objects.filter(action="scorecard.submit", actor=scene.interviewer).exists()
