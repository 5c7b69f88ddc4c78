"""allauth flows as a person meets them: verify an address, reset a password, log out."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from accounts.factories import PASSWORD, UserFactory
from accounts.models import User

NEW_PASSWORD = "another-long-passphrase-77"


def _first_link(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def test_signup_sends_a_verification_link_that_verifies_the_address(db, mailoutbox):
    client = Client()
    # given
    client.post(
        reverse("account_signup"),
        {"email": "v@example.test", "full_name": "Vera Fied", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert EmailAddress.objects.get(email="v@example.test").verified is False
    # when
    link = _first_link(mailoutbox[0].body)
    client.get(link)
    response = client.post(link)
    # then
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="v@example.test").verified is True


def test_unverified_account_cannot_log_in(db):
    user = User.objects.create_user(email="u@example.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client = Client()
    # when
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # then
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302


def test_password_reset_by_email(db, mailoutbox):
    user = UserFactory(email="forgot@example.test")
    client = Client()
    # when: ask for a reset, follow the e-mailed link and set a new password
    client.post(reverse("account_reset_password"), {"email": "forgot@example.test"})
    assert len(mailoutbox) == 1
    link = _first_link(mailoutbox[0].body)
    form_page = client.get(link, follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_reveals_nothing(db, mailoutbox):
    response = Client().post(reverse("account_reset_password"), {"email": "nobody@example.test"})
    assert response["Location"] == reverse("account_reset_password_done")


def test_login_is_case_insensitive_and_logout_ends_the_session(acme):
    client = Client()
    # when
    login = client.post(reverse("account_login"), {"login": "RECRUITER@acme.test", "password": PASSWORD})
    # then
    assert login["Location"] == "/"
    assert client.get("/admin/").status_code == 200
    client.post(reverse("account_logout"))
    assert client.get("/admin/").status_code == 302
