"""The reporting back office: the organization's report jobs (status, download) and subscriptions.

Both are read-only records: jobs are started from the exports page or a candidate's page, and a
subscription belongs to its subscriber (who changes it on the exports page); the back office may
delete a job (and its file) and pause a subscription, through services, audited. The roles name
no ``reporting.*`` permission, so the back-office role itself (admins and recruiters) decides.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import OrgScopedAdmin
from accounts.middleware import current_organization
from accounts.permissions import can_access_back_office
from reporting import services
from reporting.models import ReportJob, ReportSubscription


class _ReportingAdmin(OrgScopedAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_access_back_office(request.user, current_organization(request))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportJob)
class ReportJobAdmin(_ReportingAdmin):
    list_display = ("__str__", "kind", "status", "progress", "requested_by", "created_at", "finished_at", "download")
    list_filter = ("kind", "status", "created_at")
    list_select_related = ("requested_by",)
    fields = (
        "title",
        "kind",
        "params",
        "status",
        "progress",
        "size",
        "error",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "download",
    )
    readonly_fields = fields
    actions = ("delete_jobs",)

    @admin.display(description=_("PDF"))
    def download(self, obj: ReportJob) -> str:
        if obj.status != ReportJob.Status.DONE:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("reporting_job_download", args=[obj.pk]), _("Download"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # the action below deletes the files too, audited
        return actions

    def delete_model(self, request: HttpRequest, obj: ReportJob) -> None:
        services.report_job_delete(job=obj, actor=request.user)  # type: ignore[arg-type]

    @admin.action(description=_("Delete the selected reports and their files"))
    def delete_jobs(self, request: HttpRequest, queryset: QuerySet[ReportJob]) -> None:
        jobs = list(queryset)
        for job in jobs:
            services.report_job_delete(job=job, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Deleted %(n)d report(s).") % {"n": len(jobs)}, messages.SUCCESS)


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(_ReportingAdmin):
    list_display = ("user", "kind", "active", "last_sent_week", "last_sent_at", "created_at")
    list_filter = ("active", "kind")
    list_select_related = ("user",)
    fields = ("user", "kind", "filters", "active", "last_sent_week", "last_sent_at", "created_at")
    readonly_fields = fields
    actions = ("pause",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Pause the selected subscriptions"))
    def pause(self, request: HttpRequest, queryset: QuerySet[ReportSubscription]) -> None:
        subscriptions = list(queryset.select_related("organization"))
        for subscription in subscriptions:
            services.subscription_pause(subscription=subscription, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Paused %(n)d subscription(s).") % {"n": len(subscriptions)}, messages.SUCCESS)
