"""Invitations: create, e-mail, accept (new or existing account), and every bad link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.factories import InvitationFactory, UserFactory
from accounts.models import AuditLog, Invitation, Membership, User
from talentsync.errors import NotAllowed, StateError


def _link_from_mail(message) -> str:
    match = re.search(r"https?://\S+/invitations/([\w-]+)/", message.body)
    assert match, message.body
    return f"/invitations/{match.group(1)}/"


def test_invite_from_the_admin_sends_an_email_after_commit(acme, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = acme.client("recruiter").post(
            reverse("admin:accounts_invitation_add"), {"email": "  New.Person@Example.TEST ", "role": "interviewer"}
        )
    # then
    assert response.status_code == 302
    assert len(callbacks) == 1
    invitation = Invitation.objects.get(organization=acme.org)
    assert invitation.email == "new.person@example.test"
    assert invitation.invited_by == acme.users["recruiter"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert "Acme" in message.subject
    assert _link_from_mail(message).startswith("/invitations/")
    assert AuditLog.objects.filter(action="invitation.create", actor=acme.users["recruiter"]).exists()


def _invite_then_fail(acme) -> None:
    from django.db import transaction

    with transaction.atomic():
        services.invitation_create(
            organization=acme.org, email="x@example.test", role="candidate", invited_by=acme.users["admin"]
        )
        raise RuntimeError("boom")


def test_nothing_is_sent_when_the_transaction_rolls_back(acme, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        _invite_then_fail(acme)
    # then
    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_new_person_signs_up_through_the_link_and_joins_with_the_role(acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, token = services.invitation_create(
            organization=acme.org, email="fresh@example.test", role="interviewer", invited_by=acme.users["admin"]
        )
    client = Client()
    # when: open the link, then sign up with the invited address
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200
    assert "Create your account" in page.content.decode()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "fresh@example.test",
            "full_name": "Fresh Person",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    )
    # then: logged in, verified (the link proved the address), member with the invited role
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="fresh@example.test")
    assert user.full_name == "Fresh Person"
    assert Membership.objects.get(user=user, organization=acme.org).role == "interviewer"
    assert EmailAddress.objects.get(user=user).verified is True
    assert client.get("/")["Location"] == "/dashboard/"
    assert Invitation.objects.get(email="fresh@example.test").accepted_by == user


def test_signing_up_with_another_address_after_opening_a_link_gains_nothing(acme):
    _invitation, token = services.invitation_create(
        organization=acme.org, email="alice@example.test", role="admin", invited_by=acme.users["admin"]
    )
    client = Client()
    client.get(f"/invitations/{token}/")
    # when: someone signs up in that session with a different address
    response = client.post(
        reverse("account_signup"),
        {
            "email": "bob@example.test",
            "full_name": "Bob Other",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    )
    # then: Bob keeps his own unverified address, joins nothing, and the invitation stays open
    assert response["Location"] == reverse("account_email_verification_sent")
    bob = User.objects.get(email="bob@example.test")
    assert list(EmailAddress.objects.filter(user=bob).values_list("email", "verified")) == [("bob@example.test", False)]
    assert not Membership.objects.filter(user=bob).exists()
    assert Invitation.objects.get(email="alice@example.test").status == Invitation.Status.PENDING


def test_existing_account_logs_in_and_accepts(acme, globex):
    person = globex.users["interviewer"]
    _invitation, token = services.invitation_create(
        organization=acme.org, email=person.email, role="recruiter", invited_by=acme.users["admin"]
    )
    anonymous = Client().get(f"/invitations/{token}/")
    assert "Log in to accept" in anonymous.content.decode()
    client = globex.client("interviewer")
    # when
    response = client.post(f"/invitations/{token}/")
    # then: member of both organizations, now working in Acme
    assert response["Location"] == "/"
    assert Membership.objects.get(user=person, organization=acme.org).role == "recruiter"
    assert Membership.objects.get(user=person, organization=globex.org).role == "interviewer"
    assert client.get("/")["Location"] == "/admin/"


def test_link_opened_by_someone_else_is_refused(acme, globex):
    _invitation, token = services.invitation_create(
        organization=acme.org, email="someone@example.test", role="admin", invited_by=acme.users["admin"]
    )
    client = globex.client("candidate")
    # when
    page = client.get(f"/invitations/{token}/")
    post = client.post(f"/invitations/{token}/")
    # then
    assert page.status_code == 403
    assert "Log out, then open the link again" in page.content.decode()
    assert post.status_code == 403
    assert not Membership.objects.filter(user=globex.users["candidate"], organization=acme.org).exists()


@pytest.mark.parametrize("token", ["forged-token", "x" * 200, "%00", "abc.def~ghi"])
def test_forged_links_get_a_clear_404_page(db, token):
    response = Client().get(f"/invitations/{token}/")
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


@pytest.mark.parametrize(
    ("state", "text"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "has expired"),
        ({"revoked_at": timezone.now()}, "was withdrawn"),
        ({"accepted_at": timezone.now()}, "already been used"),
    ],
)
def test_unusable_links_get_a_clear_410_page(acme, state, text):
    InvitationFactory(organization=acme.org, token="known-token-value", **state)
    # when
    get = Client().get("/invitations/known-token-value/")
    post = acme.client("candidate").post("/invitations/known-token-value/")
    # then
    assert get.status_code == 410
    assert text in get.content.decode()
    assert post.status_code == 410


def test_accepting_twice_creates_one_membership(acme):
    user = UserFactory(email="twice@example.test")
    invitation = InvitationFactory(organization=acme.org, email=user.email)
    services.invitation_accept(invitation=invitation, user=user)
    # when / then
    with pytest.raises(StateError):
        services.invitation_accept(invitation=invitation, user=user)
    assert Membership.objects.filter(user=user, organization=acme.org).count() == 1


def test_resend_rotates_the_link(acme):
    invitation, old = services.invitation_create(
        organization=acme.org, email="rot@example.test", role="candidate", invited_by=acme.users["recruiter"]
    )
    # when
    _invitation, new = services.invitation_resend(invitation=invitation, actor=acme.users["recruiter"])
    # then
    assert new != old
    assert Client().get(f"/invitations/{old}/").status_code == 404
    assert Client().get(f"/invitations/{new}/").status_code == 200
    invitation.refresh_from_db()
    assert invitation.sent_count == 2


def test_revoke_action_in_the_admin(acme):
    invitation = InvitationFactory(organization=acme.org, token="revoke-me-token")
    # when
    acme.client("admin").post(
        reverse("admin:accounts_invitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    # then
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert Client().get("/invitations/revoke-me-token/").status_code == 410
    assert AuditLog.objects.filter(action="invitation.revoke", target_id=str(invitation.pk)).exists()


def test_recruiter_cannot_invite_an_admin(acme):
    with pytest.raises(ValidationError) as excinfo:
        services.invitation_create(
            organization=acme.org, email="boss@example.test", role="admin", invited_by=acme.users["recruiter"]
        )
    assert "role" in excinfo.value.message_dict


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_interviewers_and_candidates_cannot_invite(acme, role):
    with pytest.raises(NotAllowed):
        services.invitation_create(
            organization=acme.org, email="x@example.test", role="candidate", invited_by=acme.users[role]
        )


def test_cannot_invite_into_another_organization(acme, globex):
    with pytest.raises(NotAllowed):
        services.invitation_create(
            organization=globex.org, email="x@example.test", role="candidate", invited_by=acme.users["admin"]
        )


def test_expired_open_invitation_is_replaced_by_a_new_one(acme):
    old = InvitationFactory(
        organization=acme.org, email="late@example.test", expires_at=timezone.now() - timedelta(days=1)
    )
    # when
    new, _token = services.invitation_create(
        organization=acme.org, email="late@example.test", role="candidate", invited_by=acme.users["admin"]
    )
    # then
    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED
    assert new.status == Invitation.Status.PENDING
