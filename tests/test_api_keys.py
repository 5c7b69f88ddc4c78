"""API keys: made with the command or in the back office, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from accounts.models import APIKey
from tests.conftest import Tenant
from tests.test_api_support import API, key_client


def _create(slug: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", slug, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_prints_the_key_once_and_stores_only_its_hash(acme: Tenant) -> None:
    # when
    out, err = _create("acme", "--name", "ATS sync", "--role", "admin")
    # then
    raw = out.strip()
    key = APIKey.objects.get()
    assert out.count("ts_") == 1
    assert raw not in err
    assert (key.organization, key.name, key.role) == (acme.org, "ATS sync", "admin")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (key.prefix, key.key_hash, key.name)


def test_command_refuses_an_unknown_organization(db) -> None:
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        _create("nope")
    assert not APIKey.objects.exists()


def test_a_key_records_when_it_was_last_used(acme: Tenant) -> None:
    raw = _create("acme")[0].strip()
    assert APIKey.objects.get().last_used_at is None
    assert key_client(raw).get(f"{API}/positions/").status_code == 200
    assert APIKey.objects.get().last_used_at is not None


@pytest.mark.parametrize("header", ["Api-Key ts_nothing_here", "Api-Key", "Api-Key a b", "Api-Key ts_x"])
def test_malformed_or_forged_keys_are_401(acme: Tenant, header: str) -> None:
    response = key_client("").get(f"{API}/positions/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_a_revoked_key_stops_working_at_once(acme: Tenant) -> None:
    # given
    raw = _create("acme")[0].strip()
    client = key_client(raw)
    assert client.get(f"{API}/positions/").status_code == 200
    admin = acme.client("admin")
    # when: revoked in the back office
    response = admin.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [APIKey.objects.get().pk]},
    )
    # then
    assert response.status_code == 302
    assert APIKey.objects.get().revoked_at is not None
    assert client.get(f"{API}/positions/").status_code == 401


def test_back_office_shows_a_new_key_once_and_never_its_hash(acme: Tenant) -> None:
    admin = acme.client("admin")
    # when
    response = admin.post("/admin/accounts/apikey/add/", {"name": "Zapier", "role": "recruiter"}, follow=True)
    # then
    key = APIKey.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)] + [response.content.decode()]
    raw = next(word for text in shown for word in text.split() if word.startswith(f"ts_{key.prefix}_"))
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.created_by == acme.users["admin"]
    page = admin.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()
    listing = admin.get("/admin/accounts/apikey/").content.decode()
    assert key.prefix in listing
    assert key.key_hash not in page + listing
    assert raw not in page + listing
    assert key_client(raw).get(f"{API}/positions/").status_code == 200


@pytest.mark.parametrize("role", ["recruiter", "interviewer"])
def test_only_admins_manage_keys(acme: Tenant, role: str) -> None:
    response = acme.client(role).get("/admin/accounts/apikey/")
    assert response.status_code in (302, 403)
    assert acme.client(role).post("/admin/accounts/apikey/add/", {"name": "x", "role": "admin"}).status_code in (
        302,
        403,
    )
    assert not APIKey.objects.exists()


def test_members_endpoint_accepts_a_key(acme: Tenant, globex: Tenant) -> None:
    raw = _create("acme")[0].strip()
    emails = {m["email"] for m in key_client(raw).get(f"{API}/members/").json()}
    assert "admin@acme.test" in emails
    assert "admin@globex.test" not in emails
