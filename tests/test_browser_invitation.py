"""The invitation flow in a real browser: back office → SMTP → link → sign-up → dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.factories import PASSWORD
from accounts.models import Invitation, Membership, Role, User
from tests.browser import SmtpServer, launch_chromium, screenshot
from tests.conftest import Tenant

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INVITEE = "new.person@example.test"
INVITATION_LINK = re.compile(r"https?://\S+?/invitations/[A-Za-z0-9_-]+/")


@pytest.fixture
def smtp_server(smtp: SmtpServer, settings, live_server) -> SmtpServer:
    """The real SMTP server, with links in e-mails pointing at the live server."""
    settings.SITE_URL = live_server.url
    return smtp


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop marked as running on this thread, which makes
    # Django refuse ORM calls from the test body; the test is synchronous, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop runs use their own connection (asgiref keys
        # connections by context); close it here or the test database cannot be dropped.
        connections.close_all()


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    return context.new_page()


def test_person_invited_from_back_office_joins_through_emailed_link_once(
    live_server, smtp_server: SmtpServer, acme: Tenant, browser: Browser
) -> None:
    # given the Acme admin, logged in through the real login page
    admin = _new_page(browser)
    admin.goto(f"{live_server.url}/accounts/login/")
    screenshot(admin, "01-login")
    admin.fill("input[name=login]", acme.users[Role.ADMIN].email)
    admin.fill("input[name=password]", PASSWORD)
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url(f"{live_server.url}/admin/")
    screenshot(admin, "02-back-office")

    # and who invites a new interviewer from the back office
    admin.goto(f"{live_server.url}/admin/accounts/invitation/add/")
    admin.fill("#id_email", INVITEE)
    admin.select_option("#id_role", Role.INTERVIEWER.value)
    screenshot(admin, "03-invitation-add")
    with admin.expect_navigation() as saved:
        admin.locator("input[name=_save]").click()
    screenshot(admin, "04-invitation-saved")
    assert saved.value.status == 200, f"saving the invitation answered HTTP {saved.value.status}"
    assert admin.url == f"{live_server.url}/admin/accounts/invitation/"

    # when the invitee opens the link from the e-mail that reached the SMTP server
    email = smtp_server.inbox.wait_for(to=INVITEE)
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    link = INVITATION_LINK.search(body.get_content())
    assert link is not None, body.get_content()
    assert link.group(0).startswith(f"{live_server.url}/invitations/")

    invitee = _new_page(browser)
    invitee.goto(link.group(0))
    expect(invitee.locator("h1")).to_have_text("Join Acme on TalentSync")
    screenshot(invitee, "05-invitation")
    invitee.click("#create-account")
    expect(invitee.locator("input[name=email]")).to_have_value(INVITEE)
    screenshot(invitee, "06-signup")

    # and signs up
    invitee.fill("input[name=full_name]", "New Person")
    invitee.fill("input[name=password1]", PASSWORD)
    invitee.fill("input[name=password2]", PASSWORD)
    with invitee.expect_navigation():
        invitee.locator("main form button[type=submit]").click()

    # then they land on their dashboard as an Acme interviewer
    screenshot(invitee, "07-dashboard")
    assert invitee.url == f"{live_server.url}/dashboard/", invitee.locator("main").inner_text()
    expect(invitee.locator("main .lead")).to_have_text("You are Interviewer at Acme.")
    user = User.objects.get(email=INVITEE)
    assert Membership.objects.get(user=user, organization=acme.org).role == Role.INTERVIEWER
    assert Invitation.objects.get(email=INVITEE).accepted_at is not None

    # and the invitation counted as proof of the address: verified, no "confirm your e-mail" message
    assert EmailAddress.objects.get(user=user, email=INVITEE).verified
    assert [message["Subject"] for message in smtp_server.inbox.messages()] == [email["Subject"]]

    # and the link no longer works for anyone else
    stranger = _new_page(browser)
    response = stranger.goto(link.group(0))
    assert response is not None
    assert response.status == 410
    expect(stranger.locator("h1")).to_have_text("This invitation can no longer be used")
    screenshot(stranger, "08-link-used")
