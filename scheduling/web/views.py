"""Pages: an interviewer's availability, and the candidate's self-scheduling link.

The self-scheduling page needs no account: the token in the URL is the authority, and what it
shows is what a candidate may know — the organization, position, stage, duration, times, and how
many interviewers will meet them (never who: names, e-mails and calendars stay internal).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import time_zone_choices
from accounts.middleware import current_membership
from accounts.models import User
from interviews.admin.base import error_text
from interviews.models import Interview
from interviews.views import viewer_time_zone
from scheduling import forms, services
from scheduling.models import AvailabilityException, AvailabilityRule, BusyBlock, InterviewerProfile, SchedulingLink
from scheduling.permissions import STAFF_ROLES
from scheduling.selectors import Slot, slots_find
from talentsync.errors import ApplicationError

#: the availability page previews this far ahead, in starts of this length
PREVIEW_DAYS = 14
PREVIEW_MINUTES = 30


@dataclass(frozen=True)
class LocalSlot:
    start_utc: str  # ISO 8601, what the form posts back
    start: datetime  # in the viewer's zone
    end: datetime
    label: str  # "09:30"
    long_label: str  # "Monday 4 May 2026, 09:30–10:30"


@dataclass(frozen=True)
class Day:
    label: str
    iso: str
    slots: list[LocalSlot]


def _local_days(slots: list[Slot], zone: zoneinfo.ZoneInfo) -> list[Day]:
    local = []
    for slot in slots:
        start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
        day = formats.date_format(start, "l j F Y")
        local.append(
            LocalSlot(
                start_utc=slot.start.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat().replace("+00:00", "Z"),
                start=start,
                end=end,
                label=start.strftime("%H:%M"),
                long_label=f"{day}, {start:%H:%M}–{end:%H:%M}",
            )
        )
    return [
        Day(label=formats.date_format(day, "l j F"), iso=day.isoformat(), slots=list(items))
        for day, items in groupby(local, key=lambda s: s.start.date())
    ]


def _merge(slots: list[Slot]) -> list[tuple[datetime, datetime]]:
    windows: list[tuple[datetime, datetime]] = []
    for slot in slots:
        if windows and slot.start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], slot.end))
        else:
            windows.append((slot.start, slot.end))
    return windows


# --- availability ------------------------------------------------------------------------
def _preview(organization: Any, user: Any, zone: zoneinfo.ZoneInfo) -> list[tuple[str, list[str]]]:
    now = timezone.now()
    slots = slots_find(
        organization=organization,
        user_ids=[user.pk],
        required=1,
        duration_minutes=PREVIEW_MINUTES,
        window_start=now,
        window_end=now + timedelta(days=PREVIEW_DAYS),
        step_minutes=PREVIEW_MINUTES,
        min_notice_hours=0,
        limit=PREVIEW_DAYS * 48,
    )
    days: dict[str, list[str]] = {}
    for start, end in _merge(slots):
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        label = formats.date_format(local_start, "l j F")
        days.setdefault(label, []).append(f"{local_start:%H:%M}–{local_end:%H:%M}")
    return list(days.items())


@login_required
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    """Edit one's own weekly availability, dated exceptions, busy time and load limits."""
    membership = current_membership(request)
    if membership is None or membership.role not in STAFF_ROLES:
        raise PermissionDenied
    organization, user = membership.organization, cast(User, request.user)  # login_required
    zone = viewer_time_zone(user, organization)
    rules = list(AvailabilityRule.objects.filter(organization=organization, user=user))
    profile = InterviewerProfile.objects.filter(organization=organization, user=user).first() or InterviewerProfile()
    weekly = forms.weekly_formsets(None, rules)
    exception_form = forms.ExceptionForm()
    busy_form = forms.BusyForm(zone=zone)
    caps_form = forms.CapsForm(
        initial={
            "daily_cap": profile.daily_cap,
            "weekly_cap": profile.weekly_cap,
            "buffer_minutes": profile.buffer_minutes,
        }
    )
    status = 200
    if request.method == "POST":
        section = request.POST.get("section", "")
        try:
            done = _save_section(request, section, organization, zone, rules)
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, error_text(exc))
            done = None
        if done is not None and not isinstance(done, tuple):
            messages.success(request, done)
            return redirect("scheduling_availability")
        status = 400
        if isinstance(done, tuple):
            kind, bound = done
            if kind == "weekly":
                weekly = bound
            elif kind == "exception":
                exception_form = bound
            elif kind == "busy":
                busy_form = bound
            elif kind == "caps":
                caps_form = bound
    now = timezone.now()
    context = {
        "zone": zone.key,
        "weekly": weekly,
        "exception_form": exception_form,
        "busy_form": busy_form,
        "caps_form": caps_form,
        "exceptions": AvailabilityException.objects.filter(
            organization=organization, user=user, date__gte=now.astimezone(zone).date()
        ),
        "busy_blocks": [
            (b, b.starts_at.astimezone(zone), b.ends_at.astimezone(zone))
            for b in BusyBlock.objects.filter(organization=organization, user=user, ends_at__gte=now)[:50]
        ],
        "preview": _preview(organization, user, zone),
        "preview_days": PREVIEW_DAYS,
    }
    return render(request, "scheduling/web/availability.html", context, status=status)


def _save_section(
    request: HttpRequest, section: str, organization: Any, zone: zoneinfo.ZoneInfo, rules: list[AvailabilityRule]
) -> str | tuple[str, Any] | None:
    """Save one section of the page: a success message, or (section, the bound form with errors)."""
    user = cast(User, request.user)  # login_required
    post = request.POST
    if section == "weekly":
        sets = forms.weekly_formsets(post, rules)
        if not all(formset.is_valid() for _day, _label, formset in sets):
            return ("weekly", sets)
        windows = [
            services.WeeklyWindow(day, form.cleaned_data["start_time"], form.cleaned_data["end_time"])
            for day, _label, formset in sets
            for form in formset.forms
            if form.cleaned_data.get("start_time") and not form.cleaned_data.get("DELETE")
        ]
        services.availability_rules_replace(actor=user, organization=organization, user=user, windows=windows)
        return _("Your weekly availability is saved (overlapping windows were joined).")
    if section == "exception":
        form = forms.ExceptionForm(post)
        if not form.is_valid():
            return ("exception", form)
        services.availability_row_save(
            actor=user, row=AvailabilityException(organization=organization, user=user, **form.cleaned_data)
        )
        return _("The exception is saved.")
    if section == "busy":
        busy = forms.BusyForm(post, zone=zone)
        if not busy.is_valid():
            return ("busy", busy)
        services.availability_row_save(
            actor=user, row=BusyBlock(organization=organization, user=user, **busy.cleaned_data)
        )
        return _("The busy time is saved.")
    if section == "caps":
        caps = forms.CapsForm(post)
        if not caps.is_valid():
            return ("caps", caps)
        services.interviewer_profile_update(actor=user, organization=organization, user=user, **caps.cleaned_data)
        return _("Your limits are saved.")
    if section in ("delete_exception", "delete_busy"):
        model = AvailabilityException if section == "delete_exception" else BusyBlock
        row = model.objects.filter(organization=organization, user=user, pk=post.get("pk") or 0).first()
        if row is None:
            raise Http404
        services.availability_row_delete(actor=user, row=row)
        return _("Deleted.")
    raise ValidationError(_("Unknown form."))


# --- candidate self-scheduling ------------------------------------------------------------
def _zone_for(request: HttpRequest, link: SchedulingLink) -> tuple[zoneinfo.ZoneInfo, bool]:
    """The zone the candidate reads times in, and whether they (or their browser) chose it (then JS keeps it)."""
    asked = request.POST.get("tz") or request.GET.get("tz") or ""
    for name, explicit in ((asked, True), (link.candidate_time_zone, True), (link.organization.time_zone, False)):
        if name and name in zoneinfo.available_timezones():
            return zoneinfo.ZoneInfo(name), explicit
    return zoneinfo.ZoneInfo("UTC"), False


def _parse_start(value: str) -> datetime:
    try:
        start = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(_("Pick one of the times offered.")) from None
    if timezone.is_naive(start):
        raise ValidationError(_("Pick one of the times offered."))
    return start


def _closed(request: HttpRequest, link: SchedulingLink, title: str, text: str) -> HttpResponse:
    context: dict[str, Any] = {"link": link, "organization": link.organization, "title": title, "text": text}
    context["current_organization"] = link.organization
    return render(request, "scheduling/web/closed.html", context, status=410)


@require_http_methods(["GET", "POST"])
def self_schedule(request: HttpRequest, token: str) -> HttpResponse:
    """The candidate's page: pick a slot; later, see the booking and move or cancel it."""
    link = services.scheduling_link_by_token(token=token)
    if link is None:
        raise Http404
    zone, explicit = _zone_for(request, link)
    here = reverse("scheduling_self_schedule", kwargs={"token": token})
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "book":
                services.scheduling_link_book(
                    token=token, start=_parse_start(request.POST.get("start", "")), time_zone=zone.key
                )
                messages.success(request, _("Your interview is booked. See you then!"))
            elif action == "reschedule":
                services.scheduling_link_reschedule(
                    token=token, start=_parse_start(request.POST.get("start", "")), time_zone=zone.key
                )
                messages.success(request, _("Your interview has moved to the new time."))
            elif action == "cancel":
                services.scheduling_link_cancel(token=token, reason=request.POST.get("reason", "")[:500])
                messages.success(request, _("Your interview is cancelled."))
            else:
                raise ValidationError(_("Unknown action."))
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, error_text(exc))
            back = {"tz": zone.key, **({"reschedule": "1"} if action == "reschedule" else {})}
            return redirect(f"{here}?{urlencode(back)}")
        return redirect(f"{here}?{urlencode({'tz': zone.key})}")

    organization = link.organization
    interview = link.interview
    if link.status == SchedulingLink.Status.CANCELLED or (
        interview is not None and interview.status == Interview.Status.CANCELLED
    ):
        return _closed(
            request,
            link,
            _("This interview was cancelled"),
            _("This scheduling link can no longer be used. %(org)s will be in touch if there is a new time.")
            % {"org": organization.name},
        )
    if link.status == SchedulingLink.Status.OPEN and link.window_end <= timezone.now():
        return _closed(
            request,
            link,
            _("This scheduling link has expired"),
            _("The times it offered are over. Ask %(org)s for a new link.") % {"org": organization.name},
        )
    rescheduling = link.status == SchedulingLink.Status.BOOKED and request.GET.get("reschedule") == "1"
    changeable = interview is not None and interview.status == Interview.Status.SCHEDULED
    show_slots = link.status == SchedulingLink.Status.OPEN or (rescheduling and changeable)
    days = _local_days(services.scheduling_link_slots(link=link), zone) if show_slots else []
    panel = link.required_interviewers
    if interview is not None:
        panel = interview.participants.filter(role="interviewer").count()
    context = {
        "link": link,
        "organization": organization,
        "current_organization": organization,  # the page wears the organization's brand
        "position": link.candidate.position,
        "stage": link.stage,
        "zone": zone.key,
        "zone_explicit": explicit,
        "zone_choices": time_zone_choices(),
        "days": days,
        "interview": interview,
        "starts": interview.scheduled_at.astimezone(zone) if interview else None,
        "ends": interview.ends_at.astimezone(zone) if interview else None,
        "panel_size": panel,
        "rescheduling": rescheduling,
        "changeable": changeable,
        "action": "reschedule" if rescheduling else "book",
        "window_end": link.window_end.astimezone(zone),
    }
    response = render(request, "scheduling/web/self_schedule.html", context)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
