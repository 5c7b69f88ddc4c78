"""``user_can``: roles grant inside their own organization; guardian grants single objects."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from accounts.factories import InvitationFactory
from accounts.permissions import can_access_back_office, user_can


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("admin", "accounts.view_auditlog", True),
        ("recruiter", "accounts.view_auditlog", False),
        ("recruiter", "accounts.add_invitation", True),
        ("interviewer", "accounts.add_invitation", False),
        ("candidate", "accounts.view_membership", False),
        ("admin", "accounts.change_organization", True),
        ("recruiter", "accounts.change_organization", False),
    ],
)
def test_roles_grant_their_actions_in_their_organization(acme, role, action, allowed):
    assert user_can(acme.users[role], action, organization=acme.org) is allowed


@pytest.mark.parametrize("role", ["admin", "recruiter", "interviewer", "candidate"])
def test_no_role_reaches_another_organization(acme, globex, role):
    invitation = InvitationFactory(organization=globex.org)
    assert user_can(acme.users[role], "accounts.view_invitation", invitation) is False
    assert user_can(acme.users[role], "accounts.view_invitation", organization=globex.org) is False
    assert can_access_back_office(acme.users[role], globex.org) is False


def test_guardian_grants_one_object_to_a_role_that_lacks_the_action(acme):
    interviewer = acme.users["interviewer"]
    granted = InvitationFactory(organization=acme.org)
    other = InvitationFactory(organization=acme.org)
    assert user_can(interviewer, "accounts.view_invitation", granted) is False
    # when
    assign_perm("accounts.view_invitation", interviewer, granted)
    # then
    fresh = type(interviewer).objects.get(pk=interviewer.pk)  # guardian caches per user object
    assert user_can(fresh, "accounts.view_invitation", granted) is True
    assert user_can(fresh, "accounts.view_invitation", other) is False


def test_guardian_grant_never_crosses_organizations(acme, globex):
    # given: an object permission on Globex's invitation for an Acme user with no Globex membership
    invitation = InvitationFactory(organization=globex.org)
    assign_perm("accounts.view_invitation", acme.users["admin"], invitation)
    # then
    assert user_can(acme.users["admin"], "accounts.view_invitation", invitation) is False


def test_inactive_users_can_do_nothing(acme):
    admin = acme.users["admin"]
    admin.is_active = False
    admin.save()
    assert user_can(admin, "accounts.view_auditlog", organization=acme.org) is False
    assert can_access_back_office(admin, acme.org) is False


def test_anonymous_can_do_nothing(acme):
    from django.contrib.auth.models import AnonymousUser

    assert user_can(AnonymousUser(), "accounts.view_organization", organization=acme.org) is False
