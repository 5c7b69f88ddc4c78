"""Writes of the calendar settings page: external busy calendar address, CalDAV account."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, Role, User
from accounts.services import audit_record
from scheduling.calendar.crypto import secret_encrypt
from scheduling.calendar.fetching import FetchRefused, check_remote_url
from scheduling.calendar.ics_import import external_calendar_clear
from scheduling.models import CalDavAccount, InterviewerProfile
from talentsync.errors import NotAllowed

STAFF_MEMBER_ROLES = (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER)


def staff_memberships(*, user: User) -> list[Membership]:
    """The user's memberships with a staff role (the ones that get interviewer calendar settings)."""
    return list(
        Membership.objects.filter(user=user, role__in=STAFF_MEMBER_ROLES)
        .select_related("organization")
        .order_by("organization__name")
    )


def _require_staff(user: User, organization: Organization | None = None) -> None:
    memberships = Membership.objects.filter(user=user, role__in=STAFF_MEMBER_ROLES)
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    if not user.is_active or not memberships.exists():
        raise NotAllowed(_("Only interviewers, recruiters and admins have calendar settings."))


def _host(url: str) -> str:
    # ICS addresses often carry a secret in their path ("private address"): only the host is audited
    return urlparse(url).hostname or ""


def _queue_refresh(profile: InterviewerProfile) -> None:
    from scheduling.calendar.tasks import external_calendar_refresh_task

    transaction.on_commit(partial(external_calendar_refresh_task.apply_async, args=(profile.pk,), queue="batch"))


@transaction.atomic
def interviewer_profile_set_ics_url(*, user: User, organization: Organization, ics_url: str) -> InterviewerProfile:
    """Set (or clear) the user's external busy calendar in one organization, and queue its import."""
    _require_staff(user, organization)
    ics_url = (ics_url or "").strip()
    if ics_url:
        if len(ics_url) > 500:
            raise ValidationError({"ics_url": _("The address is too long (500 characters at most).")})
        try:
            check_remote_url(ics_url)
        except FetchRefused as exc:
            raise ValidationError({"ics_url": str(exc)}) from exc
    profile, _created = InterviewerProfile.objects.select_for_update().get_or_create(
        organization=organization, user=user
    )
    old = profile.ics_url
    profile.ics_url = ics_url
    profile.ics_error = ""
    if not ics_url:
        profile.ics_fetched_at = None
    profile.full_clean()
    profile.save()
    if old != ics_url:
        audit_record(
            action="interviewer_profile.ics_url",
            actor=user,
            organization=organization,
            target=profile,
            changes={"host": [_host(old), _host(ics_url)]},
        )
    if ics_url:
        _queue_refresh(profile)
    else:
        external_calendar_clear(profile=profile)
    return profile


def interviewer_profile_request_refresh(*, user: User, organization: Organization) -> InterviewerProfile:
    """Queue an import of the user's external busy calendar now."""
    _require_staff(user, organization)
    profile = InterviewerProfile.objects.filter(organization=organization, user=user).exclude(ics_url="").first()
    if profile is None:
        raise ValidationError({"ics_url": _("Enter a calendar address first.")})
    audit_record(action="interviewer_profile.ics_refresh", actor=user, organization=organization, target=profile)
    _queue_refresh(profile)
    return profile


def caldav_account_get(*, user: User) -> CalDavAccount | None:
    return CalDavAccount.objects.filter(user=user).order_by("pk").first()


@transaction.atomic
def caldav_account_save(*, user: User, calendar_url: str, username: str, password: str, enabled: bool) -> CalDavAccount:
    """Create or change the user's CalDAV account; an empty password keeps the stored one."""
    _require_staff(user)
    calendar_url = calendar_url.strip()
    try:
        check_remote_url(calendar_url, purpose="caldav")
    except FetchRefused as exc:
        raise ValidationError({"calendar_url": str(exc)}) from exc
    account = caldav_account_get(user=user) or CalDavAccount(user=user)
    if not account.pk and username and not password:
        raise ValidationError({"password": _("Enter the password (or an app password) of this calendar.")})
    changes = {
        field: [str(getattr(account, field)), str(value)]
        for field, value in (("calendar_url", calendar_url), ("username", username), ("enabled", enabled))
        if getattr(account, field) != value
    }
    account.calendar_url = calendar_url
    account.username = username.strip()
    account.enabled = enabled
    if password:
        account.password_encrypted = secret_encrypt(password)
        changes["password"] = ["***", "***"]
    elif not account.username:
        account.password_encrypted = ""
    account.last_error = ""
    account.full_clean(exclude=["user"])
    account.save()
    audit_record(action="caldav_account.save", actor=user, target=account, changes=changes)
    return account


@transaction.atomic
def caldav_account_remove(*, user: User) -> None:
    """Forget the user's CalDAV account (entries already written stay in that calendar)."""
    account = caldav_account_get(user=user)
    if account is None:
        return
    audit_record(action="caldav_account.remove", actor=user, target=account)
    account.delete()


def caldav_account_test(*, user: User) -> str:
    """Try the user's CalDAV account; returns the calendar's name, raises ValidationError with the problem."""
    from scheduling.calendar.caldav_sync import CalDavProblem, caldav_account_check

    _require_staff(user)
    account = caldav_account_get(user=user)
    if account is None:
        raise ValidationError(_("Save a CalDAV calendar first."))
    try:
        name = caldav_account_check(account=account)
    except CalDavProblem as exc:
        CalDavAccount.objects.filter(pk=account.pk).update(last_error=str(exc)[:300])
        raise ValidationError(str(exc)) from exc
    CalDavAccount.objects.filter(pk=account.pk).update(last_error="", last_synced_at=timezone.now())
    return name
