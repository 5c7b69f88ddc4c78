"""Calendar pages: the private ICS feed (token URL, no login) and the calendar settings page."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Organization, User
from scheduling.calendar import feeds, services
from scheduling.calendar.forms import CalDavForm, IcsUrlForm
from scheduling.models import InterviewerProfile
from talentsync.errors import ApplicationError

#: a feed token may be fetched this often per minute (calendar apps poll every few minutes to hours)
FEED_REQUESTS_PER_MINUTE = 30
_NEW_TOKEN_KEY = "scheduling_calendar_new_feed_token"  # noqa: S105 (a session key, not a secret)


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's interviews as an ICS feed; 404 for an unknown or revoked token."""
    feed = feeds.feed_for_token(token)
    if feed is None:
        raise Http404
    rate_key = f"calendar-feed:{feed.pk}"
    cache.add(rate_key, 0, 60)
    try:
        count = cache.incr(rate_key)
    except ValueError:
        count = 1
    if count > FEED_REQUESTS_PER_MINUTE:
        response = HttpResponse(_("Too many requests."), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
    feeds.feed_mark_fetched(feed=feed)
    body = feeds.feed_ics(user=feed.user)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="interviews.ics"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _membership_org(request: HttpRequest, memberships: list[Any], org_id: object) -> Organization:
    for membership in memberships:
        if str(membership.organization_id) == str(org_id):
            return membership.organization
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's calendar settings: ICS feed; for staff also busy calendar import and CalDAV."""
    user = cast(User, request.user)
    memberships = services.staff_memberships(user=user)
    is_staff = bool(memberships)
    account = services.caldav_account_get(user=user) if is_staff else None
    caldav_form = CalDavForm(
        initial={"calendar_url": account.calendar_url, "username": account.username, "enabled": account.enabled}
        if account
        else None
    )
    ics_forms: dict[int, IcsUrlForm] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "feed_issue":
                request.session[_NEW_TOKEN_KEY] = feeds.feed_issue(user=user)
                messages.success(request, _("Your new feed address is ready. Any previous address no longer works."))
                return redirect("scheduling_calendar_settings")
            if action == "feed_revoke":
                feeds.feed_revoke(user=user)
                messages.success(request, _("Your feed address was revoked; calendars subscribed to it stop updating."))
                return redirect("scheduling_calendar_settings")
            if not is_staff:
                raise Http404
            if action == "ics_save":
                org = _membership_org(request, memberships, request.POST.get("organization"))
                form = IcsUrlForm(request.POST, prefix=f"org{org.pk}")
                if form.is_valid():
                    try:
                        services.interviewer_profile_set_ics_url(
                            user=user, organization=org, ics_url=form.cleaned_data["ics_url"]
                        )
                    except ValidationError as exc:
                        form.add_error("ics_url", _error_text(exc))
                    else:
                        messages.success(request, _("Busy calendar saved; it is being imported now."))
                        return redirect("scheduling_calendar_settings")
                ics_forms[org.pk] = form
                status = 400
            elif action == "ics_refresh":
                org = _membership_org(request, memberships, request.POST.get("organization"))
                services.interviewer_profile_request_refresh(user=user, organization=org)
                messages.success(request, _("The busy calendar is being imported now; reload in a moment."))
                return redirect("scheduling_calendar_settings")
            elif action == "caldav_save":
                caldav_form = CalDavForm(request.POST)
                if caldav_form.is_valid():
                    data = caldav_form.cleaned_data
                    try:
                        services.caldav_account_save(
                            user=user,
                            calendar_url=data["calendar_url"],
                            username=data["username"],
                            password=data["password"],
                            enabled=data["enabled"],
                        )
                    except ValidationError as exc:
                        for field, errors in exc.message_dict.items():
                            caldav_form.add_error(field if field in caldav_form.fields else None, errors)
                    else:
                        messages.success(request, _("CalDAV calendar saved. Use “Test connection” to check it."))
                        return redirect("scheduling_calendar_settings")
                status = 400
            elif action == "caldav_test":
                name = services.caldav_account_test(user=user)
                messages.success(request, _("Connected to the calendar “%(name)s”.") % {"name": name})
                return redirect("scheduling_calendar_settings")
            elif action == "caldav_remove":
                services.caldav_account_remove(user=user)
                messages.success(request, _("CalDAV calendar removed."))
                return redirect("scheduling_calendar_settings")
            else:
                status = 400
                messages.error(request, _("Unknown action."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect("scheduling_calendar_settings")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("scheduling_calendar_settings")

    new_token = request.session.pop(_NEW_TOKEN_KEY, None) if request.method == "GET" else None
    profiles = {
        p.organization_id: p
        for p in InterviewerProfile.objects.filter(user=user, organization__in=[m.organization for m in memberships])
    }
    organizations = []
    for membership in memberships:
        profile = profiles.get(membership.organization_id)
        form = ics_forms.get(membership.organization_id) or IcsUrlForm(
            initial={"ics_url": profile.ics_url if profile else ""}, prefix=f"org{membership.organization_id}"
        )
        organizations.append({"membership": membership, "profile": profile, "form": form})
    context = {
        "feed": feeds.feed_active(user=user),
        "feed_url": feeds.feed_url(new_token) if new_token else None,
        "is_staff": is_staff,
        "organizations": organizations,
        "caldav_account": account,
        "caldav_form": caldav_form,
    }
    response = render(request, "scheduling/calendar/settings.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"
    return response
