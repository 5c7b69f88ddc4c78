"""The scheduling back office: the slot finder, links, pools, availability — one organization's, recruiters only."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import User
from interviews.models import Interview
from scheduling.factories import AvailabilityRuleFactory, PoolFactory, PoolMemberFactory, SchedulingLinkFactory
from scheduling.models import (
    AvailabilityRule,
    BusyBlock,
    InterviewerPool,
    PoolMember,
    SchedulingLink,
    SchedulingSettings,
    ShadowAssignment,
)
from tests.conftest import Tenant
from tests.test_booking import Scene, at, open_link, scene_for

FINDER = "/admin/scheduling/schedulinglink/slot-finder/"
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    return scene_for(acme)


def search(scene: Scene, **extra: object) -> dict[str, object]:
    return {
        "candidate": scene.candidate.pk,
        "stage": scene.stage.pk,
        "interviewers": [scene.interviewer.pk],
        "required": 1,
        "first_day": str(scene.day),
        "last_day": str(scene.day),
        **extra,
    }


def recruiter_in_new_york(acme: Tenant) -> User:
    recruiter = acme.users["recruiter"]
    User.objects.filter(pk=recruiter.pk).update(time_zone="America/New_York")
    return recruiter


def test_the_slot_finder_suggests_times_in_the_recruiters_zone(acme: Tenant, scene: Scene) -> None:
    # given a recruiter in New York searching the Berlin interviewer's day
    recruiter_in_new_york(acme)
    # when
    page = acme.client("recruiter").get(FINDER, search(scene))
    # then the first suggestion is Berlin 09:00, written in New York time, with who would take it
    html = page.content.decode()
    assert page.status_code == 200
    first = at(scene.day, 9).astimezone(NEW_YORK)
    assert first.strftime("%H:%M") in html
    assert "America/New_York" in html
    assert scene.interviewer.full_name in html
    assert html.count('class="ts-suggestion"') >= 5


def test_scheduling_a_suggestion_creates_the_interview(acme: Tenant, scene: Scene) -> None:
    # when
    response = acme.client("recruiter").post(
        FINDER, {**search(scene), "action": "schedule", "start": at(scene.day, 11).isoformat()}
    )
    # then
    interview = Interview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:interviews_interview_change", args=[interview.pk])
    assert interview.scheduled_at == at(scene.day, 11)
    assert list(interview.participants.filter(role="interviewer").values_list("user_id", flat=True)) == [
        scene.interviewer.pk
    ]


def test_scheduling_a_suggestion_with_a_trainee_adds_the_shadow(acme: Tenant, scene: Scene) -> None:
    # given a pool with a trainee
    pool = PoolFactory(organization=acme.org)
    PoolMemberFactory(pool=pool, user=scene.interviewer)
    trainee = acme.users["admin"]
    PoolMemberFactory(pool=pool, user=trainee, status=PoolMember.Status.TRAINEE)
    # when
    acme.client("recruiter").post(
        FINDER,
        {
            **search(scene, interviewers=[], pool=pool.pk),
            "trainee": trainee.pk,
            "shadow_kind": "shadow",
            "action": "schedule",
            "start": at(scene.day, 11).isoformat(),
        },
    )
    # then
    shadow = ShadowAssignment.objects.get()
    assert (shadow.trainee, shadow.kind) == (trainee, "shadow")
    assert shadow.interview.participants.get(user=trainee).role == "observer"


def test_a_suggestion_taken_meanwhile_is_refused_with_a_message(acme: Tenant, scene: Scene) -> None:
    # given the candidate-facing link took 11:00 meanwhile
    _link, token = open_link(scene)
    from scheduling import services

    services.scheduling_link_book(token=token, start=at(scene.day, 11), time_zone="UTC")
    # when
    response = acme.client("recruiter").post(
        FINDER, {**search(scene), "action": "schedule", "start": at(scene.day, 11).isoformat()}, follow=True
    )
    # then
    assert "That time was just taken" in response.content.decode()
    assert Interview.objects.count() == 1


def test_the_finder_can_send_a_self_scheduling_link_instead(acme: Tenant, scene: Scene) -> None:
    response = acme.client("recruiter").post(FINDER, {**search(scene), "action": "link"}, follow=True)
    link = SchedulingLink.objects.get()
    assert link.candidate == scene.candidate
    assert re.search(r"/schedule/[\w-]+/", response.content.decode())


def test_interviewers_cannot_use_the_slot_finder(acme: Tenant, scene: Scene) -> None:
    response = acme.client("interviewer").get(FINDER, search(scene))
    assert response.status_code == 302
    assert response["Location"] == reverse("back_office_denied")


def test_another_organizations_candidate_cannot_be_searched(acme: Tenant, globex: Tenant) -> None:
    # given a Globex recruiter and an Acme candidate
    acme_scene = scene_for(acme)
    # when
    page = globex.client("recruiter").get(FINDER, search(acme_scene))
    # then the choices are Globex's: nothing is found, nothing can be scheduled
    html = page.content.decode()
    assert "Select a valid choice" in html
    assert acme_scene.interviewer.full_name not in html
    globex.client("recruiter").post(
        FINDER, {**search(acme_scene), "action": "schedule", "start": at(acme_scene.day, 11).isoformat()}
    )
    assert not Interview.objects.exists()


# --- links ---------------------------------------------------------------------------------------
def test_creating_a_link_in_the_admin_shows_its_url_once(acme: Tenant, scene: Scene) -> None:
    response = acme.client("recruiter").post(
        "/admin/scheduling/schedulinglink/add/",
        {
            "candidate": scene.candidate.pk,
            "stage": scene.stage.pk,
            "interviewers": [scene.interviewer.pk],
            "required_interviewers": 1,
            "duration_minutes": 45,
            "window_start_0": str(scene.day),
            "window_start_1": "00:00:00",
            "window_end_0": str(scene.day),
            "window_end_1": "23:00:00",
        },
        follow=True,
    )
    html = response.content.decode()
    link = SchedulingLink.objects.get()
    assert link.duration_minutes == 45
    assert link.created_by == acme.users["recruiter"]
    token = re.search(r'class="ts-schedule-link">https?://[^<]+/schedule/([\w-]+)/<', html)
    assert token is not None, html
    assert link.token_hash != token.group(1)
    assert acme.client("recruiter").get(f"/admin/scheduling/schedulinglink/{link.pk}/change/").status_code == 200


def test_the_cancel_action_withdraws_links(acme: Tenant, scene: Scene) -> None:
    link, _token = open_link(scene)
    acme.client("recruiter").post(
        "/admin/scheduling/schedulinglink/", {"action": "withdraw", "_selected_action": [link.pk]}
    )
    link.refresh_from_db()
    assert link.status == SchedulingLink.Status.CANCELLED


def test_the_resend_action_rotates_the_token(acme: Tenant, scene: Scene) -> None:
    link, _token = open_link(scene)
    before = link.token_hash
    response = acme.client("recruiter").post(
        "/admin/scheduling/schedulinglink/", {"action": "resend", "_selected_action": [link.pk]}, follow=True
    )
    link.refresh_from_db()
    assert link.token_hash != before
    assert "/schedule/" in response.content.decode()


def test_another_organizations_link_is_not_found(acme: Tenant, globex: Tenant) -> None:
    link = SchedulingLinkFactory(organization=acme.org)
    assert globex.client("recruiter").get(f"/admin/scheduling/schedulinglink/{link.pk}/change/").status_code == 404
    assert acme.client("recruiter").get("/admin/scheduling/schedulinglink/").status_code == 200
    assert (
        str(link.candidate) not in globex.client("recruiter").get("/admin/scheduling/schedulinglink/").content.decode()
    )


# --- pools, availability, settings -------------------------------------------------------------
def test_a_pool_is_created_with_its_members_through_the_services(acme: Tenant) -> None:
    response = acme.client("recruiter").post(
        "/admin/scheduling/interviewerpool/add/",
        {
            "name": "Seniors",
            "description": "",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-user": acme.users["interviewer"].pk,
            "members-0-status": "trainee",
            "members-0-shadows_required": "2",
            "members-0-reverse_shadows_required": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    pool = InterviewerPool.objects.get()
    member = pool.members.get()
    assert (pool.organization, member.user, member.status) == (acme.org, acme.users["interviewer"], "trainee")
    page = acme.client("recruiter").get(f"/admin/scheduling/interviewerpool/{pool.pk}/change/")
    assert "0/2 shadow, 0/1 reverse shadow" in page.content.decode()


def test_a_pool_member_of_another_organization_is_refused(acme: Tenant, globex: Tenant) -> None:
    response = acme.client("recruiter").post(
        "/admin/scheduling/interviewerpool/add/",
        {
            "name": "Seniors",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-user": globex.users["interviewer"].pk,
            "members-0-status": "qualified",
            "members-0-shadows_required": "2",
            "members-0-reverse_shadows_required": "1",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not PoolMember.objects.exists()


def test_an_overlapping_weekly_window_is_refused_in_the_admin(acme: Tenant) -> None:
    interviewer = acme.users["interviewer"]
    AvailabilityRuleFactory(organization=acme.org, user=interviewer, weekday=0, start_time=time(9), end_time=time(12))
    response = acme.client("recruiter").post(
        "/admin/scheduling/availabilityrule/add/",
        {"user": interviewer.pk, "weekday": 0, "start_time": "11:00", "end_time": "14:00"},
        follow=True,
    )
    assert "overlaps" in response.content.decode()
    assert AvailabilityRule.objects.count() == 1


def test_a_recruiter_adds_busy_time_for_an_interviewer(acme: Tenant, scene: Scene) -> None:
    response = acme.client("recruiter").post(
        "/admin/scheduling/busyblock/add/",
        {
            "user": scene.interviewer.pk,
            "starts_at_0": str(scene.day),
            "starts_at_1": "10:00:00",
            "ends_at_0": str(scene.day),
            "ends_at_1": "11:00:00",
            "title": "offsite",
        },
    )
    assert response.status_code == 302
    assert BusyBlock.objects.get().organization == acme.org


def test_settings_are_one_per_organization_and_admins_change_them(acme: Tenant) -> None:
    data = {
        "reminder_offsets_minutes": "[1440, 60]",
        "scorecard_overdue_hours": "24",
        "digest_hour": "8",
        "min_notice_hours": "4",
        "slot_step_minutes": "15",
    }
    assert acme.client("recruiter").post("/admin/scheduling/schedulingsettings/add/", data).status_code == 403
    assert acme.client("admin").post("/admin/scheduling/schedulingsettings/add/", data).status_code == 302
    assert SchedulingSettings.objects.get(organization=acme.org).min_notice_hours == 4
    assert acme.client("admin").get("/admin/scheduling/schedulingsettings/add/").status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "interviewerpool",
        "schedulinglink",
        "interviewerprofile",
        "availabilityrule",
        "availabilityexception",
        "busyblock",
        "shadowassignment",
        "schedulingsettings",
        "calendarevent",
    ],
)
def test_every_scheduling_list_opens_for_recruiters(acme: Tenant, model: str) -> None:
    assert acme.client("recruiter").get(f"/admin/scheduling/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["notification", "calendarfeed", "caldavaccount", "delivery"])
def test_private_and_internal_rows_are_for_platform_operators_only(acme: Tenant, model: str) -> None:
    assert acme.client("admin").get(f"/admin/scheduling/{model}/").status_code == 403


def test_the_scheduling_app_page_links_the_slot_finder(acme: Tenant) -> None:
    assert FINDER in acme.client("recruiter").get("/admin/scheduling/").content.decode()


def test_the_finder_opens_with_a_candidate_preselected_and_no_errors(acme: Tenant, scene: Scene) -> None:
    html = acme.client("recruiter").get(FINDER, {"candidate": scene.candidate.pk}).content.decode()
    assert f'<option value="{scene.candidate.pk}" selected>' in html
    assert "This field is required" not in html
