"""Writes of reporting: ask for a report job, run it, and keep weekly subscriptions.

A job is created in the request (audited) and built by ``reporting.tasks.report_job_run_task``
on the ``batch`` queue after commit. Running a job is idempotent: only a queued job (or one
whose worker died long ago) is claimed, so a redelivered task does nothing twice. A failure ends
the job ``failed`` with a message the job page shows; it is not re-raised, because the job row
is where the failure is reported and a retry would only fail the same way. A job whose worker
was lost (killed, the machine restarted) is failed by the beat sweep ``report_jobs_fail_stale``.

The weekly e-mail is sent inside a transaction that holds its subscription's row
(``select_for_update(skip_locked=True)``) and records the week in that same transaction: a run
that dies before the commit (worker killed, mail refused) leaves the week unsent, so the next
hourly run sends it; two runs at once never both send. The one gap left is the mail server
accepting the message and the commit then failing: the next run sends it again — a duplicate,
the lesser evil next to a lost week.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import can_access_back_office
from accounts.services import audit_record
from interviews.models import Candidate
from reporting.models import ReportJob, ReportKind, ReportSubscription
from reporting.schedules import report_week, subscription_days, subscription_period
from talentsync.errors import ApplicationError

logger = logging.getLogger(__name__)

#: a running job untouched for this long lost its worker (the task's hard limit is 6 minutes)
RUNNING_STALE = timedelta(minutes=15)
#: a job still queued after this long has no worker to take it (the weekly send, the longest
#: task ahead of it on the batch queue, is capped at about half an hour)
QUEUED_STALE = timedelta(hours=1)
SUBSCRIPTION_FILTERS = ("positions", "team", "source", "days")


class ReportError(ApplicationError):
    pass


# --- filters ↔ JSON ---------------------------------------------------------------------------
def filters_to_params(filters: Any) -> dict[str, Any]:
    """A ``ReportFilters`` as the JSON a job or a subscription keeps (the organization is the row's)."""
    return {
        "positions": [int(p) for p in filters.positions],
        "team": filters.team,
        "source": filters.source,
        "start": filters.start.isoformat() if filters.start else None,
        "end": filters.end.isoformat() if filters.end else None,
    }


def filters_from_params(organization: Organization, params: dict[str, Any], **override: Any) -> Any:
    """The ``ReportFilters`` a job or a subscription stands for; positions of other organizations are dropped."""
    from interviews.models import Position
    from reporting.filters import ReportFilters

    wanted = [int(p) for p in params.get("positions") or [] if str(p).isdigit()]
    positions = tuple(
        Position.objects.filter(organization=organization, pk__in=wanted).order_by("pk").values_list("pk", flat=True)
    )
    values: dict[str, Any] = {
        "organization": organization,
        "positions": positions,
        "team": str(params.get("team") or ""),
        "source": str(params.get("source") or ""),
        "start": date.fromisoformat(params["start"]) if params.get("start") else None,
        "end": date.fromisoformat(params["end"]) if params.get("end") else None,
    }
    values.update(override)
    return ReportFilters(**values)


# --- jobs ---------------------------------------------------------------------------------------
def _job_title(organization: Organization, kind: str, params: dict[str, Any]) -> str:
    if kind == ReportKind.CANDIDATE:
        name = Candidate.objects.filter(organization=organization, pk=params["candidate"]).values_list(
            "full_name", flat=True
        )
        return _("Candidate report: %(name)s") % {"name": name.first() or "?"}
    return _("Hiring-funnel report")


def report_request(*, actor: User, organization: Organization, kind: str, params: dict[str, Any]) -> ReportJob:
    """Queue a PDF report of ``organization`` for ``actor`` (a recruiter or admin of it)."""
    if not can_access_back_office(actor, organization):
        raise ReportError(_("Only admins and recruiters can ask for reports."), code="forbidden")
    if kind == ReportKind.CANDIDATE:
        candidate = str(params.get("candidate", ""))
        if not candidate.isdigit() or not Candidate.objects.filter(organization=organization, pk=candidate).exists():
            raise ReportError(_("No such candidate in this organization."), code="not_found")
        params = {"candidate": int(candidate)}
    elif kind == ReportKind.FUNNEL:
        params = filters_to_params(filters_from_params(organization, params))
    else:
        raise ReportError(_("Unknown kind of report."), code="invalid")
    with transaction.atomic():
        job = ReportJob(
            organization=organization,
            requested_by=actor,
            kind=kind,
            params=params,
            title=_job_title(organization, kind, params)[:200],
        )
        job.full_clean()
        job.save()
        audit_record(
            action="report.request",
            actor=actor,
            organization=organization,
            target=job,
            changes={"kind": kind, "params": params},
        )
        from reporting.tasks import report_job_run_task

        job_id = job.pk
        transaction.on_commit(lambda: report_job_run_task.apply_async(args=(job_id,), queue="batch"))
    return job


def _claim(job_id: int) -> bool:
    now = timezone.now()
    queued = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED)
    stale = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING, started_at__lt=now - RUNNING_STALE)
    fields = {"status": ReportJob.Status.RUNNING, "started_at": now, "progress": 5, "error": ""}
    return bool(queued.update(**fields) or stale.update(**fields))


def _progress_of(job_id: int) -> Callable[[int], None]:
    def progress(percent: int) -> None:
        ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING).update(progress=max(0, min(99, percent)))

    return progress


def report_build(job: ReportJob, progress: Callable[[int], None]) -> bytes:
    """The PDF a job stands for (raises ReportError when its subject is gone)."""
    if job.kind == ReportKind.CANDIDATE:
        from reporting.pdf.candidate import candidate_pdf

        candidate = Candidate.objects.filter(organization=job.organization, pk=job.params.get("candidate")).first()
        if candidate is None:
            raise ReportError(_("The candidate no longer exists."), code="gone")
        return candidate_pdf(candidate, progress=progress)
    from reporting.pdf.funnel import funnel_pdf

    return funnel_pdf(filters_from_params(job.organization, job.params), progress=progress)


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return _("The report could not be built (%(error)s).") % {"error": f"{type(exc).__name__}: {exc}"[:500]}


def report_job_run(*, job_id: int) -> str:
    """Build a queued job's PDF and store it privately; the job's final status."""
    if not _claim(job_id):
        return ReportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    job = ReportJob.objects.select_related("organization").get(pk=job_id)
    try:
        pdf = report_build(job, _progress_of(job_id))
        job.file.save(job.filename, ContentFile(pdf), save=False)
    except Exception as exc:
        logger.warning("report job %s failed", job_id, exc_info=not isinstance(exc, ApplicationError))
        job.status, job.error, job.finished_at = ReportJob.Status.FAILED, _failure_text(exc), timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        audit_record(action="report.failed", organization=job.organization, target=job, changes={"error": job.error})
        return job.status
    job.status, job.progress, job.size, job.finished_at = ReportJob.Status.DONE, 100, len(pdf), timezone.now()
    job.save(update_fields=["status", "progress", "size", "file", "finished_at"])
    audit_record(action="report.done", organization=job.organization, target=job, changes={"size": job.size})
    return job.status


def report_job_delete(*, job: ReportJob, actor: User) -> None:
    """Delete a job and its file."""
    if job.file:
        job.file.delete(save=False)
    audit_record(action="report.delete", actor=actor, organization=job.organization, target=job)
    job.delete()


def report_jobs_fail_stale(*, now: datetime | None = None) -> int:
    """Fail the jobs whose worker was lost (running or queued far too long); how many."""
    now = now or timezone.now()
    stale = ReportJob.objects.filter(
        Q(status=ReportJob.Status.RUNNING, started_at__lt=now - RUNNING_STALE)
        | Q(status=ReportJob.Status.QUEUED, created_at__lt=now - QUEUED_STALE)
    ).select_related("organization")
    error = _("The report worker stopped; start it again.")
    failed = 0
    for job in stale.order_by("pk"):
        with transaction.atomic():
            # only if nobody claimed it in the meantime (a redelivered task takes it afresh)
            changed = ReportJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at).update(
                status=ReportJob.Status.FAILED, error=error, finished_at=now
            )
            if changed:
                audit_record(
                    action="report.failed",
                    organization=job.organization,
                    target=job,
                    changes={"error": error, "was": job.status},
                )
                failed += 1
    return failed


def report_job_open(*, job: ReportJob, actor: User) -> File:
    """The finished job's PDF, opened for ``actor`` to download (audited)."""
    if not can_access_back_office(actor, job.organization):
        raise ReportError(_("Only admins and recruiters can download reports."), code="forbidden")
    if job.status != ReportJob.Status.DONE or not job.file:
        raise ReportError(_("The report is not ready."), code="not_found")
    try:
        handle = job.file.open("rb")
    except OSError:
        raise ReportError(_("The report's file is missing."), code="not_found") from None
    audit_record(action="report.download", actor=actor, organization=job.organization, target=job)
    return handle


def candidate_report_render(*, candidate: Candidate, actor: User) -> bytes:
    """The candidate report rendered now for ``actor`` (audited as a download of the candidate)."""
    from reporting.pdf.candidate import candidate_pdf

    if not can_access_back_office(actor, candidate.organization):
        raise ReportError(_("Only admins and recruiters can download reports."), code="forbidden")
    pdf = candidate_pdf(candidate)
    audit_record(action="report.download", actor=actor, organization=candidate.organization, target=candidate)
    return pdf


# --- subscriptions -----------------------------------------------------------------------------
def subscription_set(
    *,
    actor: User,
    organization: Organization,
    active: bool,
    filters: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ReportSubscription:
    """Subscribe ``actor`` to the weekly funnel PDF of ``organization``, or pause it.

    A new (or resumed) subscription starts with the next week: the week just past counts as
    sent, so the first e-mail goes out on the next Monday, as the exports page says.
    """
    if not can_access_back_office(actor, organization):
        raise ReportError(_("Only admins and recruiters can subscribe to reports."), code="forbidden")
    now = now or timezone.now()
    with transaction.atomic():
        subscription, created = ReportSubscription.objects.select_for_update().get_or_create(
            organization=organization, user=actor, kind=ReportSubscription.Kind.WEEKLY_FUNNEL
        )
        before = {"active": subscription.active and not created, "filters": subscription.filters}
        if active and not before["active"]:
            subscription.last_sent_week = report_week(organization, now)[0]
        subscription.active = active
        if filters is not None:
            subscription.filters = {k: v for k, v in filters.items() if k in SUBSCRIPTION_FILTERS}
        subscription.full_clean()
        subscription.save()
        after = {"active": subscription.active, "filters": subscription.filters}
        if created or before != after:
            audit_record(
                action="report.subscribe" if active else "report.unsubscribe",
                actor=actor,
                organization=organization,
                target=subscription,
                changes={k: [before[k], after[k]] for k in after if before[k] != after[k] or created},
            )
    return subscription


def _send_weekly(subscription: ReportSubscription, week: tuple[str, date, date], pdfs: dict[str, bytes]) -> None:
    from reporting.pdf.funnel import funnel_pdf
    from scheduling.notifications.emails import email_send

    key = week[0]
    start, end = subscription_period(subscription, week)
    organization = subscription.organization
    cache_key = f"{organization.pk}:{start}:{end}:{sorted(subscription.filters.items())}"
    if cache_key not in pdfs:  # subscribers with the same filters share one rendering
        filters = filters_from_params(organization, subscription.filters, start=start, end=end)
        pdfs[cache_key] = funnel_pdf(filters)
    email_send(
        to=subscription.user.email,
        template="reporting/jobs/email/weekly_funnel",
        context={
            "recipient": subscription.user,
            "week": key,
            "start": start,
            "end": end,
            "days": subscription_days(subscription),
        },
        organization=organization,
        attachments=[(f"hiring-funnel-{key}.pdf", pdfs[cache_key], "application/pdf")],
    )


def _send_one(pk: int, now: datetime, pdfs: dict[str, bytes]) -> bool:
    """Send one subscription's report if its week is due; the row stays locked until the week is kept."""
    with transaction.atomic():
        subscription = (
            ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, active=True, user__is_active=True)
            .select_related("organization", "user")
            .first()
        )
        if subscription is None:
            return False  # paused meanwhile, or another run holds it right now
        organization = subscription.organization
        if not can_access_back_office(subscription.user, organization):
            return False  # no longer a recruiter or admin there: reports stop with the role
        week = report_week(organization, now)
        if subscription.last_sent_week == week[0]:
            return False
        _send_weekly(subscription, week, pdfs)
        subscription.last_sent_week, subscription.last_sent_at = week[0], now
        subscription.save(update_fields=["last_sent_week", "last_sent_at"])
        audit_record(action="report.sent", organization=organization, target=subscription, changes={"week": week[0]})
    return True


def subscriptions_send_weekly(*, now: datetime | None = None) -> int:
    """E-mail each active subscription its weekly funnel PDF, once per week whatever the reruns."""
    now = now or timezone.now()
    due = ReportSubscription.objects.filter(active=True, user__is_active=True).order_by("pk")
    pdfs: dict[str, bytes] = {}
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        try:
            sent += _send_one(pk, now, pdfs)
        except Exception:
            # rolled back: the week stays due and the next hourly run tries again; others still get theirs
            logger.exception("weekly report to subscription %s failed", pk)
    return sent


def subscription_pause(*, subscription: ReportSubscription, actor: User) -> None:
    """Stop a subscription from the back office (an admin or recruiter of its organization)."""
    if not can_access_back_office(actor, subscription.organization):
        raise ReportError(_("Only admins and recruiters can change report subscriptions."), code="forbidden")
    if subscription.active:
        ReportSubscription.objects.filter(pk=subscription.pk).update(active=False)
        audit_record(
            action="report.unsubscribe", actor=actor, organization=subscription.organization, target=subscription
        )
