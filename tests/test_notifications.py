"""The bell: notify() (in-app + e-mail copy by preference), its pages, marking read, and who sees what."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from scheduling.models import Notification, NotificationKind, NotificationPreference
from scheduling.notifications.emails import email_branding
from scheduling.notifications.selectors import notification_list, notification_unread_count
from scheduling.notifications.services import notification_preferences_set, notifications_mark_read, notify
from tests.browser import SmtpServer
from tests.conftest import Tenant

# notify() pushes and e-mails after commit: the tests commit for real
pytestmark = pytest.mark.django_db(transaction=True)


def html_of(message) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_of(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# --- notify ----------------------------------------------------------------------------------
def test_notify_stores_the_notification_and_emails_a_branded_copy(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    acme.org.primary_color = "#aa3300"
    acme.org.save(update_fields=["primary_color"])
    user = acme.users["interviewer"]

    # when
    notification = notify(
        user=user,
        kind=NotificationKind.SHADOW_PROGRESS,
        title="You completed a shadow interview",
        body="One more to qualify.",
        url="/interviews/",
        organization=acme.org,
    )

    # then
    assert Notification.objects.get(pk=notification.pk).user == user
    message = smtp.inbox.wait_for(to=user.email)
    assert message["Subject"] == "You completed a shadow interview"
    assert "Acme via TalentSync" in message["From"]
    assert "One more to qualify." in text_of(message)
    assert "http://127.0.0.1:8000/interviews/" in text_of(message)
    html = html_of(message)
    assert "#aa3300" in html
    assert "Acme" in html


def test_notify_sends_no_email_for_a_kind_the_user_switched_off(acme: Tenant, smtp: SmtpServer) -> None:
    # given: reminders by e-mail switched off, digests left on
    user = acme.users["recruiter"]
    notification_preferences_set(user=user, email_by_kind={NotificationKind.REMINDER: False})

    # when: a reminder, then a digest (SMTP delivery is synchronous: the digest arrives after anything before it)
    notify(user=user, kind=NotificationKind.REMINDER, title="Reminder title", organization=acme.org)
    notify(user=user, kind=NotificationKind.DIGEST, title="Digest title", organization=acme.org)

    # then: both are in the bell, only the digest was e-mailed
    assert Notification.objects.filter(user=user).count() == 2
    smtp.inbox.wait_for(to=user.email)
    assert [m["Subject"] for m in smtp.inbox.messages()] == ["Digest title"]


def test_notify_attaches_files_with_their_mime_parameters_once(acme: Tenant, smtp: SmtpServer) -> None:
    # given
    user = acme.users["interviewer"]
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"

    # when
    notify(
        user=user,
        kind=NotificationKind.INTERVIEW_SCHEDULED,
        title="Booked",
        organization=acme.org,
        attachments=[("invite.ics", ics, "text/calendar; method=REQUEST; charset=UTF-8")],
    )

    # then
    message = smtp.inbox.wait_for(to=user.email)
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert str(part["Content-Type"]).lower().count("charset") == 1
    assert part.get_content().replace("\r\n", "\n") == ics.decode().replace("\r\n", "\n")


def test_email_branding_gives_an_absolute_logo_url(acme: Tenant, settings) -> None:
    # given
    settings.SITE_URL = "https://hire.example.test"
    acme.org.logo.name = "organizations/acme/logo.png"

    # when
    brand = email_branding(acme.org)

    # then
    assert brand["logo_url"] == "https://hire.example.test/media/organizations/acme/logo.png"
    assert brand["name"] == "Acme"


def test_preferences_refuse_an_unknown_kind(acme: Tenant) -> None:
    # when / then
    with pytest.raises(ValidationError):
        notification_preferences_set(user=acme.users["admin"], email_by_kind={"fireworks": False})


# --- selectors and services: whose notifications ---------------------------------------------
def test_a_user_sees_only_their_own_notifications(acme: Tenant, globex: Tenant) -> None:
    # given
    mine = notify(user=acme.users["interviewer"], kind=NotificationKind.REMINDER, title="mine", organization=acme.org)
    notify(user=acme.users["recruiter"], kind=NotificationKind.REMINDER, title="colleague's", organization=acme.org)
    notify(user=globex.users["interviewer"], kind=NotificationKind.REMINDER, title="other org", organization=globex.org)

    # when
    visible = list(notification_list(actor=acme.users["interviewer"]))

    # then
    assert visible == [mine]


def test_notifications_of_an_organization_the_user_left_are_hidden(acme: Tenant, globex: Tenant) -> None:
    # given: the interviewer was also in globex, got a notification there, then left
    user = acme.users["interviewer"]
    Membership.objects.create(user=user, organization=globex.org, role="interviewer")
    notify(user=user, kind=NotificationKind.REMINDER, title="from globex", organization=globex.org)
    kept = notify(user=user, kind=NotificationKind.REMINDER, title="from acme", organization=acme.org)
    Membership.objects.filter(user=user, organization=globex.org).delete()

    # when / then
    assert list(notification_list(actor=user)) == [kept]
    assert notification_unread_count(actor=user) == 1


def test_mark_read_ignores_ids_of_other_users(acme: Tenant) -> None:
    # given
    me, colleague = acme.users["interviewer"], acme.users["recruiter"]
    mine = notify(user=me, kind=NotificationKind.REMINDER, title="mine", organization=acme.org)
    theirs = notify(user=colleague, kind=NotificationKind.REMINDER, title="theirs", organization=acme.org)

    # when
    marked = notifications_mark_read(user=me, ids=[mine.pk, theirs.pk])

    # then
    assert marked == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


# --- pages -----------------------------------------------------------------------------------
def test_the_bell_shows_the_unread_count_in_its_label(acme: Tenant) -> None:
    # given
    user = acme.users["interviewer"]
    for title in ("one", "two", "three"):
        notify(user=user, kind=NotificationKind.REMINDER, title=title, organization=acme.org)

    # when
    html = acme.client("interviewer").get(reverse("notifications")).content.decode()

    # then
    assert 'aria-label="Notifications, 3 unread"' in html
    assert "data-bell-count>3</span>" in html
    assert 'aria-live="polite"' in html


def test_the_list_page_shows_own_notifications_only(acme: Tenant) -> None:
    # given
    notify(user=acme.users["interviewer"], kind=NotificationKind.REMINDER, title="Mine-7c1", organization=acme.org)
    notify(user=acme.users["recruiter"], kind=NotificationKind.REMINDER, title="Theirs-9d2", organization=acme.org)

    # when
    response = acme.client("interviewer").get(reverse("notifications"))

    # then
    assert response.status_code == 200
    assert "Mine-7c1" in response.content.decode()
    assert "Theirs-9d2" not in response.content.decode()


def test_the_list_page_needs_a_login() -> None:
    # when
    response = Client().get(reverse("notifications"))

    # then
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_posting_mark_read_for_one_notification(acme: Tenant) -> None:
    # given
    user = acme.users["interviewer"]
    first = notify(user=user, kind=NotificationKind.REMINDER, title="first", organization=acme.org)
    second = notify(user=user, kind=NotificationKind.REMINDER, title="second", organization=acme.org)

    # when
    response = acme.client("interviewer").post(reverse("notifications_read"), {"id": first.pk})

    # then
    assert response.status_code == 302
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True)) == {second.pk}


def test_posting_mark_read_cannot_touch_another_users_notification(acme: Tenant) -> None:
    # given
    theirs = notify(user=acme.users["recruiter"], kind=NotificationKind.REMINDER, title="x", organization=acme.org)

    # when
    acme.client("interviewer").post(reverse("notifications_read"), {"id": theirs.pk})
    acme.client("interviewer").post(reverse("notifications_read"), {"all": "1"})

    # then
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_clears_the_badge(acme: Tenant) -> None:
    # given
    user = acme.users["interviewer"]
    for title in ("a", "b"):
        notify(user=user, kind=NotificationKind.REMINDER, title=title, organization=acme.org)
    client = acme.client("interviewer")

    # when
    client.post(reverse("notifications_read"), {"all": "1"})

    # then
    html = client.get(reverse("notifications")).content.decode()
    assert 'aria-label="Notifications, 0 unread"' in html
    assert notification_unread_count(actor=user) == 0


def test_mark_read_needs_the_csrf_token(acme: Tenant) -> None:
    # given
    user = acme.users["interviewer"]
    notification = notify(user=user, kind=NotificationKind.REMINDER, title="a", organization=acme.org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    # when
    response = client.post(reverse("notifications_read"), {"all": "1"})

    # then
    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_read_answers_get_with_405(acme: Tenant) -> None:
    # when / then
    assert acme.client("interviewer").get(reverse("notifications_read")).status_code == 405


def test_the_preferences_page_saves_unticked_kinds(acme: Tenant) -> None:
    # given: everything ticked except reminders and digests
    user = acme.users["recruiter"]
    ticked = [k.value for k in NotificationKind if k not in (NotificationKind.REMINDER, NotificationKind.DIGEST)]

    # when
    response = acme.client("recruiter").post(reverse("notification_preferences"), {"email": ticked})

    # then
    assert response.status_code == 302
    off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True))
    assert off == {NotificationKind.REMINDER, NotificationKind.DIGEST}
    html = acme.client("recruiter").get(reverse("notification_preferences")).content.decode()
    assert 'value="reminder">' in html  # rendered unticked
    assert 'value="interview_scheduled" checked>' in html


def test_preferences_of_one_user_do_not_change_anothers(acme: Tenant) -> None:
    # when
    acme.client("recruiter").post(reverse("notification_preferences"), {"email": []})

    # then
    assert NotificationPreference.objects.filter(user=acme.users["recruiter"], email=False).count() == len(
        NotificationKind
    )
    assert not NotificationPreference.objects.filter(user=acme.users["admin"]).exists()
