"""Each role against the back office and the pages it may or may not open."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import Role

LANDING = {
    "admin": "/admin/",
    "recruiter": "/admin/",
    "interviewer": "/dashboard/",
    "candidate": "/dashboard/",
}


@pytest.mark.parametrize(("role", "where"), LANDING.items())
def test_home_sends_each_role_where_it_belongs(acme, role, where):
    # when
    response = acme.client(role).get("/")
    # then
    assert response.status_code == 302
    assert response["Location"] == where


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("recruiter", 200), ("interviewer", 302), ("candidate", 302)]
)
def test_back_office_index_by_role(acme, role, status):
    # when
    response = acme.client(role).get("/admin/")
    # then
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/back-office/denied/")


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_denied_roles_end_on_their_own_page_with_a_message(acme, role):
    # when
    response = acme.client(role).get("/admin/", follow=True)
    # then
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "The back office is for admins and recruiters." in response.content.decode()


def test_anonymous_back_office_goes_to_the_login_page(db):
    # when
    response = Client().get("/admin/accounts/invitation/")
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Client().get(response["Location"])["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("role", "status"), [("interviewer", 200), ("candidate", 200), ("admin", 200)])
def test_dashboard_shows_role_and_organization(acme, role, status):
    # when
    response = acme.client(role).get("/dashboard/")
    # then
    assert response.status_code == status
    body = response.content.decode()
    assert f"<strong>{Role(role).label}</strong> at Acme" in body


def test_user_without_organization_is_asked_to_create_one(db):
    client = Client()
    client.force_login(UserFactory())
    # when
    response = client.get("/")
    # then
    assert response["Location"] == "/organizations/new/"


def test_anonymous_sees_landing_page(db):
    response = Client().get("/")
    assert response.status_code == 200
    assert "Technical interviews, done right" in response.content.decode()


# --- what each back-office role may do --------------------------------------------------
@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("recruiter", 403)])
def test_only_admins_read_the_audit_log(acme, role, status):
    response = acme.client(role).get(reverse("admin:accounts_auditlog_changelist"))
    assert response.status_code == status


@pytest.mark.parametrize(("role", "status"), [("admin", 302), ("recruiter", 403)])
def test_only_admins_change_organization_settings(acme, role, status):
    url = reverse("admin:accounts_organization_change", args=[acme.org.pk])
    # when
    response = acme.client(role).post(url, {"name": "Acme Corp", "time_zone": "UTC", "primary_color": "#112233"})
    # then
    assert response.status_code == status
    acme.org.refresh_from_db()
    assert (acme.org.name == "Acme Corp") is (role == "admin")


def test_recruiter_may_view_members_but_not_change_roles(acme):
    from accounts.models import Membership

    membership = Membership.objects.get(organization=acme.org, user=acme.users["candidate"])
    client = acme.client("recruiter")
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    # when
    view = client.get(url)
    change = client.post(url, {"role": "admin"})
    # then
    assert view.status_code == 200
    assert change.status_code == 403
    membership.refresh_from_db()
    assert membership.role == "candidate"


def test_admin_changes_a_role_and_it_is_audited(acme):
    from accounts.models import AuditLog, Membership

    membership = Membership.objects.get(organization=acme.org, user=acme.users["candidate"])
    # when
    response = acme.client("admin").post(
        reverse("admin:accounts_membership_change", args=[membership.pk]), {"role": "interviewer"}
    )
    # then
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "interviewer"
    entry = AuditLog.objects.get(action="membership.change_role")
    assert entry.actor == acme.users["admin"]
    assert entry.changes == {"role": ["candidate", "interviewer"]}
    assert entry.ip_address == "127.0.0.1"


def test_last_admin_cannot_be_demoted(acme):
    from accounts.models import Membership

    membership = Membership.objects.get(organization=acme.org, user=acme.users["admin"])
    # when
    response = acme.client("admin").post(
        reverse("admin:accounts_membership_change", args=[membership.pk]), {"role": "recruiter"}, follow=True
    )
    # then
    assert "at least one admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "admin"


@pytest.mark.parametrize(("role", "offers_admin"), [("admin", True), ("recruiter", False)])
def test_invite_form_offers_only_roles_the_inviter_may_grant(acme, role, offers_admin):
    response = acme.client(role).get(reverse("admin:accounts_invitation_add"))
    assert response.status_code == 200
    choices = [value for value, _label in response.context["adminform"].form.fields["role"].choices]
    assert ("admin" in choices) is offers_admin
    assert {"recruiter", "interviewer", "candidate"} <= set(choices)


# --- switching organizations ------------------------------------------------------------
def test_member_of_two_organizations_switches_between_them(acme, globex):
    user = acme.users["recruiter"]
    MembershipFactory(user=user, organization=globex.org, role=Role.CANDIDATE)
    client = acme.client("recruiter")
    assert client.get("/")["Location"] == "/admin/"
    # when
    response = client.post("/organizations/switch/", {"organization": globex.org.pk})
    # then: a candidate at Globex, so no back office there
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/dashboard/"
    assert client.get("/admin/").status_code == 302
    # and back
    client.post("/organizations/switch/", {"organization": acme.org.pk})
    assert client.get("/admin/").status_code == 200


def test_switching_to_a_foreign_organization_is_refused(acme, globex):
    client = acme.client("recruiter")
    # when
    response = client.post("/organizations/switch/", {"organization": globex.org.pk}, follow=True)
    # then
    assert "You are not a member of that organization." in response.content.decode()
    assert client.get("/admin/").status_code == 200
    assert client.session.get("current_organization_id") != globex.org.pk


# --- two-factor requirement -------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_org_requiring_mfa_sends_staff_to_set_it_up(acme, role):
    acme.org.require_mfa_for_staff = True
    acme.org.save()
    # when
    response = acme.client(role).get("/admin/")
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_mfa_requirement_does_not_apply_to_interviewers(acme):
    acme.org.require_mfa_for_staff = True
    acme.org.save()
    assert acme.client("interviewer").get("/dashboard/").status_code == 200


def test_staff_with_totp_reach_the_back_office(acme):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    acme.org.require_mfa_for_staff = True
    acme.org.save()
    TOTP.activate(acme.users["recruiter"], generate_totp_secret())
    assert Authenticator.objects.filter(user=acme.users["recruiter"]).exists()
    # when
    response = acme.client("recruiter").get("/admin/")
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["admin", "recruiter", "interviewer", "candidate"])
def test_me_api_reports_the_callers_own_role(acme, globex, role):
    # when
    response = acme.client(role).get("/api/v1/me/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["currentOrganization"] == "acme"
    assert body["memberships"] == [
        {"email": acme.users[role].email, "fullName": acme.users[role].full_name, "organization": "acme", "role": role}
    ]


def test_api_refuses_anonymous_callers(db):
    assert Client().get("/api/v1/me/").status_code == 403
    assert Client().get("/api/v1/members/").status_code == 403


@pytest.mark.parametrize("role", ["admin", "recruiter", "interviewer", "candidate"])
def test_any_member_may_start_another_organization(acme, role):
    # Self-serve: anyone signed in can create an organization of their own and becomes its admin.
    response = acme.client(role).get("/organizations/new/")
    assert response.status_code == 200


def test_organization_page_needs_a_login(db):
    response = Client().get("/organizations/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
