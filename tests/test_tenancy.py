"""A user never sees another organization's rows: admin lists, object URLs and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.factories import InvitationFactory
from accounts.models import AuditLog, Invitation, Membership
from accounts.services import audit_record

BACK_OFFICE = ["admin", "recruiter"]
OTHERS = ["interviewer", "candidate"]


@pytest.fixture
def both(acme, globex):
    # given: each organization has an invitation and an audit entry of its own
    for tenant in (acme, globex):
        InvitationFactory(organization=tenant.org, email=f"pending@{tenant.org.slug}-people.test")
        audit_record(action="test.event", actor=tenant.users["admin"], target=tenant.org)
    return acme, globex


CHANGELISTS = [
    "admin:accounts_organization_changelist",
    "admin:accounts_membership_changelist",
    "admin:accounts_invitation_changelist",
    "admin:accounts_user_changelist",
]


@pytest.mark.parametrize("role", BACK_OFFICE)
@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_back_office_lists_show_only_own_organization(both, role, url_name):
    acme, _globex = both
    # when
    response = acme.client(role).get(reverse(url_name))
    # then
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows, "the list should show Acme's own rows"
    for row in rows:
        org = row if row.__class__.__name__ == "Organization" else getattr(row, "organization", None)
        if org is None:  # users: scoped through their memberships
            assert row.memberships.filter(organization=acme.org).exists()
        else:
            assert org == acme.org
    assert b"globex" not in response.content.lower()


def test_audit_log_list_shows_only_own_organization(both):
    acme, globex = both
    # when
    response = acme.client("admin").get(reverse("admin:accounts_auditlog_changelist"))
    # then
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert {row.organization_id for row in rows} == {acme.org.pk}
    assert AuditLog.objects.filter(organization=globex.org).exists()


def _globex_object_urls(globex) -> list[str]:
    invitation = Invitation.objects.get(organization=globex.org)
    membership = Membership.objects.filter(organization=globex.org).first()
    entry = AuditLog.objects.filter(organization=globex.org).first()
    assert membership is not None
    assert entry is not None
    return [
        reverse("admin:accounts_organization_change", args=[globex.org.pk]),
        reverse("admin:accounts_organization_history", args=[globex.org.pk]),
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        reverse("admin:accounts_membership_delete", args=[membership.pk]),
        reverse("admin:accounts_invitation_change", args=[invitation.pk]),
        reverse("admin:accounts_auditlog_change", args=[entry.pk]),
        reverse("admin:accounts_user_change", args=[globex.users["candidate"].pk]),
    ]


@pytest.mark.parametrize("role", BACK_OFFICE)
def test_other_organization_objects_are_404_in_the_admin(both, role):
    acme, globex = both
    client = acme.client(role)
    for url in _globex_object_urls(globex):
        # when
        response = client.get(url)
        # then: the same plain page as for an object that does not exist
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_reach_no_admin_object_at_all(both, role):
    acme, globex = both
    client = acme.client(role)
    acme_invitation = Invitation.objects.get(organization=acme.org)
    urls = [*_globex_object_urls(globex), reverse("admin:accounts_invitation_change", args=[acme_invitation.pk])]
    for url in urls:
        # when
        response = client.get(url)
        # then: sent to their own pages, never shown the object
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("back_office_denied")) or "login" in response["Location"]


def test_post_to_other_organization_object_changes_nothing(both):
    acme, globex = both
    membership = Membership.objects.get(organization=globex.org, user=globex.users["candidate"])
    # when
    response = acme.client("admin").post(
        reverse("admin:accounts_membership_change", args=[membership.pk]), {"role": "admin"}
    )
    # then
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.role == "candidate"


@pytest.mark.parametrize("role", BACK_OFFICE)
def test_members_api_lists_only_own_organization(both, role):
    acme, _globex = both
    # when
    response = acme.client(role).get("/api/v1/members/")
    # then
    assert response.status_code == 200
    emails = {row["email"] for row in response.json()}
    assert emails == {u.email for u in acme.users.values()}


@pytest.mark.parametrize("role", OTHERS)
def test_members_api_is_closed_to_interviewers_and_candidates(both, role):
    acme, _globex = both
    # when
    response = acme.client(role).get("/api/v1/members/")
    # then
    assert response.status_code == 403
    assert "globex" not in response.content.decode().lower()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_membership_changelist",
        "admin:accounts_user_changelist",
        "admin:accounts_invitation_changelist",
        "admin:accounts_auditlog_changelist",
        "admin:accounts_organization_changelist",
    ],
)
def test_back_office_lists_take_the_same_queries_for_more_rows(acme, url_name, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.factories import InvitationFactory, MembershipFactory

    def grow(n: int) -> None:
        for _ in range(n):
            membership = MembershipFactory(organization=acme.org)
            InvitationFactory(organization=acme.org)
            audit_record(action="test.event", actor=membership.user, target=membership)

    client = acme.client("admin")
    grow(2)
    client.get(reverse(url_name))  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    # when the organization has many more rows
    grow(10)
    # then the page costs exactly as many queries
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200
