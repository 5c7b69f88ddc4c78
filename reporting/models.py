"""Report jobs (PDFs built by Celery, kept privately) and weekly report subscriptions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


def private_storage():  # type: ignore[no-untyped-def]
    # the "private" storage lives under VAR_DIR, outside MEDIA_ROOT: no static or media route
    # serves it, only reporting.jobs_views.job_download after its permission check
    from django.core.files.storage import storages

    return storages["private"]


def report_path(instance: ReportJob, filename: str) -> str:
    return f"reports/{instance.organization_id}/{uuid.uuid4().hex}.pdf"


class ReportKind(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate report")
    FUNNEL = "funnel", _("Hiring-funnel report")


class ReportJob(models.Model):
    """One PDF report asked for in the back office, built on the ``batch`` queue."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="report_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReportKind.choices)
    # {"candidate": pk} for a candidate report; the filters' fields for a funnel report
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.FileField(storage=private_storage, upload_to=report_path, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["organization", "-created_at"], name="reportjob_org_time_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["candidate", "funnel"]), name="reportjob_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="reportjob_status_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reportjob_progress_range"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def filename(self) -> str:
        return f"{self.kind}-report-{self.pk}.pdf"


class ReportSubscription(models.Model):
    """A recruiter's or admin's standing order for a report by e-mail."""

    class Kind(models.TextChoices):
        WEEKLY_FUNNEL = "weekly_funnel", _("Weekly hiring funnel (PDF by e-mail)")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="report_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEEKLY_FUNNEL)
    # the funnel's filters (positions, team, source) and "days": each Monday's report covers the
    # candidates added in that many days up to the Sunday before (90 unless chosen)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # ISO week ("2026-W19", the organization's time zone) of the last send, kept in the same
    # transaction as the send; a new subscription starts with the week just past (first send: Monday)
    last_sent_week = models.CharField(_("last sent for week"), max_length=8, blank=True, editable=False)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        ordering = ("organization", "user__email")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "kind"], name="reportsubscription_unique"),
            models.CheckConstraint(condition=Q(kind__in=["weekly_funnel"]), name="reportsubscription_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.user}"
