"""CalDAV sync: bookings written into interviewers' own calendars with the ``caldav`` library.

Each interviewer or observer with an enabled :class:`~scheduling.models.CalDavAccount` gets the
interview as a calendar object resource named ``<uid>.ics`` in their calendar, carrying the same
UID and SEQUENCE as the e-mailed invites. A change re-writes it (unconditionally: TalentSync owns
the entry), a cancellation deletes it, and so does leaving the interview.

The stored object has no METHOD (RFC 4791 §4.1) and no ORGANIZER/ATTENDEE: with attendees a
scheduling-enabled server (RFC 6638) would start sending its own invitations and replies.

A remote failure never reaches the caller: it is logged and kept in ``CalDavAccount.last_error``
for the settings page, and the next change (or the "test connection" button) tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from caldav.calendarobjectresource import Event as CalDavObject
from caldav.collection import Calendar as CalDavCalendar
from caldav.davclient import DAVClient
from caldav.lib import error as caldav_error
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.auth import HTTPBasicAuth

from interviews.models import Interview, Participant
from scheduling.calendar.crypto import secret_decrypt
from scheduling.calendar.fetching import FetchRefused, check_remote_url
from scheduling.calendar.invites import STAFF_ROLES, build_vevent, calendar_event_bump, new_calendar
from scheduling.models import CalDavAccount, CalDavEvent, CalendarEvent

logger = logging.getLogger(__name__)

#: seconds for each CalDAV request (connect and read)
CALDAV_TIMEOUT = 10


class CalDavProblem(Exception):
    """A CalDAV account cannot be used; the message is for the user."""


@contextmanager
def caldav_client(account: CalDavAccount) -> Iterator[tuple[DAVClient, CalDavCalendar]]:
    """An open client and the account's calendar; raises :class:`CalDavProblem`."""
    try:
        check_remote_url(account.calendar_url, purpose="caldav")
    except FetchRefused as exc:
        raise CalDavProblem(str(exc)) from exc
    password = secret_decrypt(account.password_encrypted)
    if password is None:
        raise CalDavProblem(_("The stored password can no longer be read; enter it again."))
    # Preemptive Basic (over HTTPS in production): what Nextcloud, iCloud, Fastmail, Radicale expect.
    client = DAVClient(
        url=account.calendar_url,
        username=account.username or None,
        password=password if account.username else None,
        auth=HTTPBasicAuth(account.username, password) if account.username else None,
        timeout=CALDAV_TIMEOUT,
    )
    try:
        yield client, client.calendar(url=account.calendar_url)
    finally:
        client.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CalDavProblem):
        return str(exc)
    if isinstance(exc, caldav_error.AuthorizationError):
        return _("The CalDAV server refused the user name or password.")
    if isinstance(exc, caldav_error.NotFoundError):
        return _("The CalDAV server has no calendar at this URL.")
    if isinstance(exc, caldav_error.DAVError):
        return _("The CalDAV server answered with an error: %(error)s") % {"error": str(exc)[:150]}
    return _("The CalDAV server could not be reached: %(error)s") % {"error": str(exc)[:150] or type(exc).__name__}


def caldav_account_check(*, account: CalDavAccount) -> str:
    """Try the account (reach the calendar, read its name); returns the calendar's name or raises CalDavProblem."""
    try:
        with caldav_client(account) as (_client, calendar):
            name = calendar.get_display_name()
            calendar.events()  # reading the objects proves it is a calendar we may read
    except Exception as exc:  # remote failures of every kind become a message for the user
        raise CalDavProblem(_describe(exc)) from exc
    return str(name or account.calendar_url)


def _object_url(account: CalDavAccount, uid: str) -> str:
    return account.calendar_url.rstrip("/") + "/" + quote(uid, safe="") + ".ics"


def interview_caldav_ics(*, interview: Interview, identity: CalendarEvent) -> bytes:
    """The calendar object stored in interviewers' CalDAV calendars (staff copy, no METHOD, no attendees)."""
    cal = new_calendar()
    cal.add_component(
        build_vevent(
            interview=interview,
            uid=identity.uid,
            sequence=identity.sequence,
            audience="staff",
            cancelled=identity.cancelled,
            with_attendees=False,
        )
    )
    return cal.to_ical()


def _accounts_for(interview: Interview) -> list[CalDavAccount]:
    users = Participant.objects.filter(interview=interview, role__in=STAFF_ROLES, user__isnull=False).values("user_id")
    return list(CalDavAccount.objects.filter(user_id__in=users, enabled=True))


def _record(account: CalDavAccount, *, error: str = "") -> None:
    fields = {"last_error": error[:300]}
    if not error:
        fields["last_synced_at"] = timezone.now()  # type: ignore[assignment]
    CalDavAccount.objects.filter(pk=account.pk).update(**fields)


def _write(account: CalDavAccount, interview: Interview, identity: CalendarEvent, row: CalDavEvent | None) -> bool:
    if row is not None and row.sequence == identity.sequence:
        return False  # this version is already there (a retried or repeated task)
    with caldav_client(account) as (client, _calendar):  # opening the calendar checks it exists
        url = row.href if row is not None else _object_url(account, identity.uid)
        data = interview_caldav_ics(interview=interview, identity=identity)
        # A plain PUT: caldav 2.0's save() adds one to SEQUENCE even with increase_seqno=False,
        # and ours must equal the invites'.
        body = data.decode() if isinstance(data, bytes) else data
        response = client.put(str(url), body, {"Content-Type": 'text/calendar; charset="utf-8"'})
        if response.status not in (200, 201, 204):
            raise CalDavProblem(_("The calendar refused the event (HTTP %(status)s).") % {"status": response.status})
        headers: Any = response.headers or {}
        etag = str(headers.get("ETag", "") or "")
    CalDavEvent.objects.update_or_create(
        account=account,
        interview=interview,
        defaults={"href": str(url)[:500], "etag": etag[:200], "sequence": identity.sequence},
    )
    return True


def _delete(account: CalDavAccount, row: CalDavEvent) -> bool:
    with caldav_client(account) as (client, calendar):
        CalDavObject(client=client, url=row.href, parent=calendar).delete()  # a 404 counts as deleted
    row.delete()
    return True


def caldav_sync_interview(*, interview_id: int) -> int:
    """Bring the interview's copies in interviewers' CalDAV calendars up to date; returns the writes made.

    Never raises for a remote failure: the error is logged and kept on the account.
    """
    interview = (
        Interview.objects.select_related("organization", "candidate", "position", "stage")
        .filter(pk=interview_id)
        .first()
    )
    rows = {row.account_id: row for row in CalDavEvent.objects.filter(interview_id=interview_id)}
    accounts = {a.pk: a for a in _accounts_for(interview)} if interview is not None else {}
    cancelled = interview is None or interview.status == Interview.Status.CANCELLED
    identity = None
    if interview is not None:
        identity = calendar_event_bump(interview=interview, cancelled=interview.status == Interview.Status.CANCELLED)
    stale = [row for account_id, row in rows.items() if cancelled or account_id not in accounts]
    done = 0
    for row in stale:
        account = CalDavAccount.objects.filter(pk=row.account_id, enabled=True).first()
        if account is None:
            continue  # a disabled account is left alone, entries included
        try:
            done += _delete(account, row)
        except Exception as exc:  # never into the caller: keep it for the settings page
            logger.warning("CalDAV delete failed for account %s: %s", account.pk, exc)
            _record(account, error=_describe(exc))
        else:
            _record(account)
    if cancelled or interview is None or identity is None:
        return done
    for account in accounts.values():
        try:
            wrote = _write(account, interview, identity, rows.get(account.pk))
        except Exception as exc:
            logger.warning("CalDAV write failed for account %s: %s", account.pk, exc)
            _record(account, error=_describe(exc))
        else:
            done += wrote
            _record(account)
    return done
