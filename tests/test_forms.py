"""Bad input on the sign-up, organization and invitation forms: field messages, nothing saved."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.models import Invitation, Organization, User

GOOD_SIGNUP = {
    "email": "someone@example.test",
    "full_name": "Some One",
    "password1": "a-long-unusual-passphrase-42",
    "password2": "a-long-unusual-passphrase-42",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password2": "something-else-entirely-9"}, "password2", "You must type the same password each time."),
        ({"password1": "short", "password2": "short"}, "password1", "This password is too short."),
        ({"password1": "12345678901", "password2": "12345678901"}, "password1", "entirely numeric"),
        ({"full_name": " "}, "full_name", "This field is required."),
        ({"full_name": "A"}, "full_name", "Enter your full name."),
    ],
)
def test_signup_rejects_bad_values_with_field_messages(db, change, field, message):
    # when
    response = Client().post(reverse("account_signup"), {**GOOD_SIGNUP, **change})
    # then
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in e for e in errors[field]), errors[field]
    assert not User.objects.exists()


def test_signup_with_a_taken_email_creates_nothing_and_reveals_nothing(db, mailoutbox):
    # given
    UserFactory(email="someone@example.test")
    # when
    response = Client().post(reverse("account_signup"), GOOD_SIGNUP)
    # then: same answer as a new address (no account enumeration); the owner is told by e-mail
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert [m.to for m in mailoutbox] == [["someone@example.test"]]


def test_good_signup_creates_an_unverified_account(db):
    response = Client().post(reverse("account_signup"), GOOD_SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.get().full_name == "Some One"


def _png(size: int = 10) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), "#123456").save(buffer, "PNG")
    return buffer.getvalue()


GOOD_ORG = {"name": "Initech", "slug": "initech", "time_zone": "Europe/Paris", "primary_color": "#112233"}


@pytest.fixture
def newcomer(db) -> Client:
    client = Client()
    client.force_login(UserFactory())
    return client


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"slug": "not a slug!"}, "slug", "Enter a valid “slug”"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice."),
        ({"primary_color": "blue"}, "primary_color", "#RRGGBB"),
        ({"primary_color": "#12345g"}, "primary_color", "#RRGGBB"),
    ],
)
def test_organization_form_rejects_bad_values(newcomer, change, field, message):
    # when
    response = newcomer.post(reverse("organization_create"), {**GOOD_ORG, **change})
    # then
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not Organization.objects.exists()


def test_organization_slug_must_be_free(newcomer):
    Organization.objects.create(name="Other", slug="initech")
    response = newcomer.post(reverse("organization_create"), GOOD_ORG)
    assert response.status_code == 400
    assert "is taken" in response.context["form"].errors["slug"][0]
    assert Organization.objects.count() == 1


def test_organization_logo_must_be_an_image(acme):
    url = reverse("admin:accounts_organization_change", args=[acme.org.pk])
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not an image", content_type="image/png")
    # when
    response = acme.client("admin").post(url, {**GOOD_ORG, "name": "Acme", "logo": fake})
    # then
    assert response.status_code == 200
    assert "logo" in response.context["adminform"].form.errors
    acme.org.refresh_from_db()
    assert not acme.org.logo


def test_organization_logo_size_is_limited(acme, settings):
    settings.ORGANIZATION_LOGO_MAX_BYTES = 100
    url = reverse("admin:accounts_organization_change", args=[acme.org.pk])
    big = SimpleUploadedFile("logo.png", _png(64), content_type="image/png")
    # when
    response = acme.client("admin").post(url, {**GOOD_ORG, "name": "Acme", "logo": big})
    # then
    assert "KB or smaller" in response.context["adminform"].form.errors["logo"][0]


def test_good_organization_form_makes_the_creator_its_admin(newcomer):
    response = newcomer.post(reverse("organization_create"), {**GOOD_ORG, "slug": ""})
    assert response.status_code == 302
    org = Organization.objects.get()
    assert org.slug == "initech"
    assert org.memberships.get().role == "admin"
    assert newcomer.get("/")["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "nope", "role": "candidate"}, "email", "Enter a valid email address."),
        ({"email": "", "role": "candidate"}, "email", "This field is required."),
        ({"email": "x@example.test", "role": "overlord"}, "role", "Select a valid choice."),
        ({"email": "x@example.test", "role": "admin"}, "role", "Select a valid choice."),
        ({"email": "candidate@acme.test", "role": "candidate"}, "email", "already a member"),
    ],
)
def test_invitation_form_rejects_bad_values(acme, data, field, message):
    # when (a recruiter may not grant admin)
    response = acme.client("recruiter").post(reverse("admin:accounts_invitation_add"), data)
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not Invitation.objects.exists()


def test_invitation_form_refuses_a_second_pending_invitation(acme):
    client = acme.client("admin")
    client.post(reverse("admin:accounts_invitation_add"), {"email": "dup@example.test", "role": "candidate"})
    # when
    response = client.post(reverse("admin:accounts_invitation_add"), {"email": "DUP@example.test", "role": "candidate"})
    # then
    assert "already has a pending invitation" in response.context["adminform"].form.errors["email"][0]
    assert Invitation.objects.count() == 1


def test_logo_uploaded_with_a_new_organization_is_kept(newcomer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    # when
    response = newcomer.post(reverse("organization_create"), {**GOOD_ORG, "logo": logo})
    # then
    assert response.status_code == 302
    org = Organization.objects.get()
    assert org.logo.name == "organizations/initech/logo.png"
    assert (tmp_path / org.logo.name).read_bytes() == _png()
