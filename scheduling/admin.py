"""The scheduling back office: pools, self-scheduling links, availability, shadowing, settings,
and the slot finder a recruiter schedules from.

Like the hiring admin (``interviews.admin``), rows and choices are those of the current
organization, and every write goes through ``scheduling.services`` (validated once, audited).
Calendar identities, feeds, CalDAV accounts, notifications and the delivery ledger are private to
their users or internal: platform operators (superusers) can read them, nobody edits them here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.middleware import current_organization
from interviews.admin.base import HiringAdmin, HiringInline, OrgForm, adopt, error_text, formset_saved
from interviews.views import viewer_time_zone
from scheduling import forms as scheduling_forms
from scheduling import services
from scheduling.models import (
    AvailabilityException,
    AvailabilityRule,
    BusyBlock,
    CalDavAccount,
    CalDavEvent,
    CalendarEvent,
    CalendarFeed,
    Delivery,
    InterviewerPool,
    InterviewerProfile,
    Notification,
    NotificationPreference,
    PoolMember,
    SchedulingLink,
    SchedulingSettings,
    ShadowAssignment,
)
from scheduling.permissions import can_manage_scheduling
from scheduling.selectors import pool_user_ids, slots_find
from talentsync.errors import ApplicationError


# --- pools -----------------------------------------------------------------------------------
class PoolMemberInline(HiringInline):
    model = PoolMember
    fields = ("user", "status", "shadows_required", "reverse_shadows_required", "qualified_at", "progress")
    readonly_fields = ("qualified_at", "progress")
    verbose_name_plural = _("members (trainees qualify by shadowing completed interviews)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("user", "pool")

    @admin.display(description=_("shadowing done"))
    def progress(self, obj: PoolMember) -> str:
        if obj.pk is None:
            return "—"
        done = services.pool_member_progress(member=obj)
        text = _("%(s)d/%(sr)d shadow, %(r)d/%(rr)d reverse shadow") % {
            "s": done["shadow"],
            "sr": done["shadow_required"],
            "r": done["reverse_shadow"],
            "rr": done["reverse_shadow_required"],
        }
        if done["ready"] and not done["qualified"]:
            text = f"{text} · {_('ready to qualify')}"
        return str(text)


class PoolForm(OrgForm):
    org_unique = ("name",)

    class Meta:
        model = InterviewerPool
        fields = ("name", "description")


@admin.register(InterviewerPool)
class InterviewerPoolAdmin(HiringAdmin):
    form = PoolForm
    list_display = ("name", "qualified_count", "trainee_count")
    search_fields = ("name",)
    inlines = (PoolMemberInline,)
    actions = ("qualify_ready",)

    @admin.display(description=_("qualified"))
    def qualified_count(self, obj: InterviewerPool) -> int:
        return obj.members.filter(status=PoolMember.Status.QUALIFIED).count()

    @admin.display(description=_("trainees"))
    def trainee_count(self, obj: InterviewerPool) -> int:
        return obj.members.filter(status=PoolMember.Status.TRAINEE).count()

    def save_model(self, request: HttpRequest, obj: InterviewerPool, form: Any, change: bool) -> None:
        if not change:
            obj.organization = self.org(request)
        services.pool_save(actor=request.user, pool=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            new: list[PoolMember] = []
            changed: list[PoolMember] = []
            for f in formset.forms:
                if not hasattr(f, "cleaned_data") or not f.cleaned_data:
                    continue
                if f.cleaned_data.get("DELETE"):
                    if f.instance.pk:
                        services.pool_member_delete(actor=request.user, member=f.instance)
                    continue
                if not f.has_changed():
                    continue
                member = f.save(commit=False)
                member.pool = form.instance
                adding = member.pk is None
                services.pool_member_save(actor=request.user, member=member)
                (new if adding else changed).append(member)
            formset_saved(formset, new, [(m, []) for m in changed])

    @admin.action(description=_("Qualify trainees who finished their shadowing"))
    def qualify_ready(self, request: HttpRequest, queryset: QuerySet[InterviewerPool]) -> None:
        def qualify(pool: InterviewerPool) -> None:
            for member in pool.members.filter(status=PoolMember.Status.TRAINEE):
                services.pool_member_qualify_if_ready(member=member, actor=request.user)

        self.run_each(request, queryset, qualify, str(_("Checked the trainees of %(n)d pool(s).")))


# --- self-scheduling links ---------------------------------------------------------------
class LinkForm(OrgForm):
    send_email = forms.BooleanField(label=_("E-mail the link to the candidate"), required=False, initial=True)

    class Meta:
        model = SchedulingLink
        fields = (
            "candidate",
            "stage",
            "pool",
            "interviewers",
            "required_interviewers",
            "duration_minutes",
            "window_start",
            "window_end",
        )
        help_texts = {
            "pool": _("Offer times when enough of the pool's qualified members are free…"),
            "interviewers": _("…or choose the interviewers yourself."),
            "window_start": _("UTC."),
            "window_end": _("UTC."),
        }


@admin.register(SchedulingLink)
class SchedulingLinkAdmin(HiringAdmin):
    form = LinkForm
    change_list_template = "admin/scheduling/schedulinglink/change_list.html"
    list_display = ("candidate", "stage", "status", "window_end", "interview", "created_by", "created_at")
    list_filter = ("status", ("stage", admin.RelatedOnlyFieldListFilter))
    search_fields = ("candidate__full_name", "candidate__email")
    list_select_related = ("candidate", "stage", "interview__stage", "interview__candidate", "created_by")
    filter_horizontal = ("interviewers",)
    actions = ("resend", "withdraw")
    detail_fields = (
        "candidate",
        "stage",
        "pool",
        "interviewers",
        "required_interviewers",
        "duration_minutes",
        "window_start",
        "window_end",
        "status",
        "interview",
        "candidate_time_zone",
        "created_by",
        "created_at",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*LinkForm.Meta.fields, "send_email") if obj is None else self.detail_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.detail_fields if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cancel instead: the audit log keeps the link's history

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return form.instance
        data = form.cleaned_data
        link, token = services.scheduling_link_create(
            actor=request.user,
            candidate=data["candidate"],
            stage=data["stage"],
            pool=data.get("pool"),
            interviewers=list(data.get("interviewers") or []),
            required_interviewers=data["required_interviewers"],
            duration_minutes=data.get("duration_minutes") or None,
            window_start=data["window_start"],
            window_end=data["window_end"],
            send_email=bool(data.get("send_email")),
        )
        link._raw_token = token  # type: ignore[attr-defined]
        return link

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Created by ``scheduling_link_create`` in save_form; nothing changes afterwards."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The service set the interviewers."""

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> Any:
        self._show_url(request, getattr(obj, "_raw_token", ""))
        return super().response_add(request, obj, post_url_continue)

    def _show_url(self, request: HttpRequest, token: str) -> None:
        if token:
            url = services.scheduling_link_url(token)
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}" class="ts-schedule-link">{}</a>',
                    _("Self-scheduling link — shown only this once (only its fingerprint is stored):"),
                    url,
                    url,
                ),
                messages.SUCCESS,
            )

    @admin.action(description=_("Send a new link (the old one stops working)"))
    def resend(self, request: HttpRequest, queryset: QuerySet[SchedulingLink]) -> None:
        def resend(link: SchedulingLink) -> None:
            self._show_url(request, services.scheduling_link_resend(actor=request.user, link=link))

        self.run_each(request, queryset, resend, str(_("Sent %(n)d new link(s).")))

    @admin.action(description=_("Cancel (and cancel the booked interview)"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[SchedulingLink]) -> None:
        self.run_each(
            request,
            queryset,
            lambda link: services.scheduling_link_withdraw(actor=request.user, link=link),
            str(_("Cancelled %(n)d link(s).")),
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {"slot_finder_url": reverse("admin:scheduling_slot_finder"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self) -> list[Any]:
        finder = self.admin_site.admin_view(self.slot_finder_view)
        return [path("slot-finder/", finder, name="scheduling_slot_finder"), *super().get_urls()]

    # --- the slot finder ------------------------------------------------------------------
    def slot_finder_view(self, request: HttpRequest) -> HttpResponse:
        """Suggest times for a candidate, stage and panel; schedule one, or send a link instead."""
        organization = current_organization(request)
        if organization is None or not can_manage_scheduling(request.user, organization):
            raise PermissionDenied
        zone = viewer_time_zone(request.user, organization)
        first, last = scheduling_forms.default_search_days(zone)
        data = request.POST if request.method == "POST" else (request.GET if "first_day" in request.GET else None)
        initial = {"first_day": first, "last_day": last, "required": 1, "candidate": request.GET.get("candidate")}
        form = scheduling_forms.SlotSearchForm(data, organization=organization, initial=initial)
        suggestions: list[Any] = []
        if data is not None and form.is_valid():
            search = self._search(form.cleaned_data, zone)
            if request.method == "POST":
                done = self._act(request, form.cleaned_data, search)
                if done is not None:
                    return done
            try:
                slots = slots_find(organization=organization, limit=60, **search)
            except (ApplicationError, ValidationError, ValueError) as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
                slots = []
            names = dict(
                (u.pk, str(u)) for u in scheduling_forms.staff_queryset(organization).filter(pk__in=search["user_ids"])
            )
            suggestions = [
                {
                    "start_utc": s.start.isoformat(),
                    "start": s.start.astimezone(zone),
                    "end": s.end.astimezone(zone),
                    "people": ", ".join(names.get(pk, "?") for pk in s.interviewer_ids),
                }
                for s in slots
            ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Find slots"),
            "opts": self.opts,
            "form": form,
            "searched": data is not None and form.is_bound and form.is_valid(),
            "suggestions": suggestions,
            "zone": zone.key,
            "query": request.GET.urlencode() if request.method == "GET" else request.POST.urlencode(),
        }
        return TemplateResponse(request, "admin/scheduling/slot_finder.html", context)

    @staticmethod
    def _search(data: dict[str, Any], zone: Any) -> dict[str, Any]:
        pool = data.get("pool")
        user_ids = pool_user_ids(pool=pool) if pool else [u.pk for u in data["interviewers"]]
        window_start = services.local_day_bounds(data["first_day"], zone)[0]
        window_end = services.local_day_bounds(data["last_day"], zone)[1]
        return {
            "user_ids": user_ids,
            "required": data["required"],
            "duration_minutes": data.get("duration_minutes") or data["stage"].duration_minutes,
            "window_start": max(window_start, timezone.now()),
            "window_end": window_end,
        }

    def _act(self, request: HttpRequest, data: dict[str, Any], search: dict[str, Any]) -> HttpResponse | None:
        action = request.POST.get("action")
        try:
            with transaction.atomic():
                if action == "schedule":
                    start = datetime.fromisoformat(request.POST.get("start", ""))
                    interview = services.slot_schedule(
                        actor=request.user,
                        candidate=data["candidate"],
                        stage=data["stage"],
                        start=start,
                        duration_minutes=search["duration_minutes"],
                        user_ids=search["user_ids"],
                        required=search["required"],
                        trainee=data.get("trainee"),
                        shadow_kind=data.get("shadow_kind") or ShadowAssignment.Kind.SHADOW,
                        pool=data.get("pool"),
                    )
                    self.message_user(
                        request,
                        _("Scheduled. Send the join links from the interview when you are ready."),
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:interviews_interview_change", args=[interview.pk]))
                if action == "link":
                    link, token = services.scheduling_link_create(
                        actor=request.user,
                        candidate=data["candidate"],
                        stage=data["stage"],
                        pool=data.get("pool"),
                        interviewers=list(data.get("interviewers") or []),
                        required_interviewers=search["required"],
                        duration_minutes=search["duration_minutes"],
                        window_start=search["window_start"],
                        window_end=search["window_end"],
                    )
                    self._show_url(request, token)
                    return HttpResponseRedirect(reverse("admin:scheduling_schedulinglink_change", args=[link.pk]))
        except (ApplicationError, ValidationError, ValueError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        return None


# --- availability and load ------------------------------------------------------------------
class ProfileForm(OrgForm):
    class Meta:
        model = InterviewerProfile
        fields = ("user", "daily_cap", "weekly_cap", "buffer_minutes")


@admin.register(InterviewerProfile)
class InterviewerProfileAdmin(HiringAdmin):
    form = ProfileForm
    list_display = ("user", "daily_cap", "weekly_cap", "buffer_minutes", "ics_fetched_at", "ics_error")
    search_fields = ("user__email", "user__full_name")
    list_select_related = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "ics_url", "ics_fetched_at", "ics_error") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ("user", "daily_cap", "weekly_cap", "buffer_minutes")
        return (*fields, "ics_url", "ics_fetched_at", "ics_error") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: InterviewerProfile, form: Any, change: bool) -> None:
        profile = services.interviewer_profile_update(
            actor=request.user,
            organization=self.org(request, obj if change else None),
            user=obj.user,
            daily_cap=obj.daily_cap,
            weekly_cap=obj.weekly_cap,
            buffer_minutes=obj.buffer_minutes,
        )
        adopt(obj, profile)


class _AvailabilityAdmin(HiringAdmin):
    """Weekly windows, exceptions and busy time of the organization's interviewers."""

    list_select_related = ("user",)
    search_fields = ("user__email", "user__full_name")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.organization = self.org(request)
        services.availability_row_save(actor=request.user, row=obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.availability_row_delete(actor=request.user, row=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for row in queryset:
            services.availability_row_delete(actor=request.user, row=row)


class RuleForm(OrgForm):
    class Meta:
        model = AvailabilityRule
        fields = ("user", "weekday", "start_time", "end_time")
        help_texts = {"start_time": _("In the person's own time zone.")}


@admin.register(AvailabilityRule)
class AvailabilityRuleAdmin(_AvailabilityAdmin):
    form = RuleForm
    list_display = ("user", "weekday", "start_time", "end_time")
    list_filter = ("weekday", ("user", admin.RelatedOnlyFieldListFilter))


class ExceptionAdminForm(OrgForm):
    class Meta:
        model = AvailabilityException
        fields = ("user", "date", "start_time", "end_time", "available", "note")


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(_AvailabilityAdmin):
    form = ExceptionAdminForm
    list_display = ("user", "date", "start_time", "end_time", "available", "note")
    list_filter = ("available", ("user", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "date"


class BusyAdminForm(OrgForm):
    class Meta:
        model = BusyBlock
        fields = ("user", "starts_at", "ends_at", "title")
        help_texts = {"starts_at": _("UTC."), "ends_at": _("UTC.")}


@admin.register(BusyBlock)
class BusyBlockAdmin(_AvailabilityAdmin):
    form = BusyAdminForm
    list_display = ("user", "starts_at", "ends_at", "source", "title")
    list_filter = ("source", ("user", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "starts_at"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.source != BusyBlock.Source.MANUAL:
            return False  # imported: it changes in the person's own calendar
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.source != BusyBlock.Source.MANUAL:
            return False
        return super().has_delete_permission(request, obj)


# --- shadowing ---------------------------------------------------------------------------------
class ShadowForm(OrgForm):
    class Meta:
        model = ShadowAssignment
        fields = ("interview", "trainee", "kind", "pool")
        help_texts = {"pool": _("Empty: the trainee's first pool.")}


@admin.register(ShadowAssignment)
class ShadowAssignmentAdmin(HiringAdmin):
    form = ShadowForm
    org_lookup = "interview__organization"
    list_display = ("trainee", "kind", "interview", "pool", "interview_status", "created_at")
    list_filter = ("kind", ("pool", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("trainee", "pool", "interview__candidate", "interview__stage")
    search_fields = ("trainee__email", "trainee__full_name", "interview__candidate__full_name")

    @admin.display(description=_("interview status"))
    def interview_status(self, obj: ShadowAssignment) -> str:
        return obj.interview.get_status_display()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "interview" and field is not None:
            field.queryset = field.queryset.filter(status="scheduled").select_related("candidate", "stage")
        if db_field.name == "trainee" and field is not None:
            trainees = PoolMember.objects.filter(
                pool__organization=current_organization(request), status=PoolMember.Status.TRAINEE
            )
            field.queryset = field.queryset.filter(pk__in=trainees.values("user_id"))
        return field

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("interview", "trainee", "kind", "pool", "created_at") if obj is not None else ()

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return form.instance
        data = form.cleaned_data
        return services.shadow_assign(
            actor=request.user,
            interview=data["interview"],
            trainee=data["trainee"],
            kind=data["kind"],
            pool=data.get("pool"),
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Saved by ``shadow_assign`` in save_form."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the trainee's participation stays on the interview's record


# --- settings ------------------------------------------------------------------------------
class SettingsForm(OrgForm):
    class Meta:
        model = SchedulingSettings
        fields = (
            "reminder_offsets_minutes",
            "scorecard_overdue_hours",
            "digest_hour",
            "min_notice_hours",
            "slot_step_minutes",
        )


@admin.register(SchedulingSettings)
class SchedulingSettingsAdmin(HiringAdmin):
    """One row per organization."""

    form = SettingsForm
    list_display = ("organization", "reminder_offsets_minutes", "min_notice_hours", "slot_step_minutes", "digest_hour")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        organization = current_organization(request)
        exists = SchedulingSettings.objects.filter(organization=organization).exists()
        return super().has_add_permission(request, *args) and not exists

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SchedulingSettings, form: Any, change: bool) -> None:
        organization = self.org(request, obj if change else None)
        data = {f: form.cleaned_data[f] for f in SettingsForm.Meta.fields}
        adopt(obj, services.scheduling_settings_update(actor=request.user, organization=organization, data=data))


# --- calendar identities (recruiters read), private and internal rows (platform operators) ----
class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarEvent)
class CalendarEventAdmin(_ReadOnly, HiringAdmin):
    org_lookup = "interview__organization"
    list_display = ("interview", "uid", "sequence", "sent_sequence", "cancelled", "changed_at")
    list_select_related = ("interview__candidate", "interview__stage")
    fields = list_display
    readonly_fields = list_display


class PlatformOnlyAdmin(_ReadOnly, admin.ModelAdmin):
    """Users' private calendar links and notifications, and the delivery ledger: operators read them."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(PlatformOnlyAdmin):
    list_display = ("user", "created_at", "revoked_at", "last_fetched_at")
    fields = list_display
    readonly_fields = list_display


@admin.register(CalDavAccount)
class CalDavAccountAdmin(PlatformOnlyAdmin):
    list_display = ("user", "calendar_url", "enabled", "last_synced_at", "last_error")
    fields = ("user", "calendar_url", "username", "enabled", "last_synced_at", "last_error")
    readonly_fields = fields


@admin.register(CalDavEvent)
class CalDavEventAdmin(PlatformOnlyAdmin):
    list_display = ("account", "interview", "href", "sequence")
    fields = ("account", "interview", "href", "etag", "sequence")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(PlatformOnlyAdmin):
    list_display = ("user", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)
    fields = ("user", "organization", "kind", "title", "body", "url", "created_at", "read_at")
    readonly_fields = fields


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(PlatformOnlyAdmin):
    list_display = ("user", "kind", "email")
    fields = list_display
    readonly_fields = list_display


@admin.register(Delivery)
class DeliveryAdmin(PlatformOnlyAdmin):
    list_display = ("key", "kind", "claimed_at", "sent_at")
    search_fields = ("key",)
    fields = list_display
    readonly_fields = list_display
