"""Report pages: start a PDF job, watch its progress, download it; the candidate PDF; subscriptions.

Back office only: admins and recruiters of the current organization. Anonymous visitors log in,
interviewers and candidates get 403, and another organization's job or candidate is 404 — the
same answer as one that does not exist. Files are served from the private storage by
``job_download`` alone (never from MEDIA_ROOT). The progress page refreshes itself with
``<meta http-equiv="refresh">`` while the job runs (no script, so the CSP stays ``'self'``);
``job_status`` gives the same state as JSON for any script or integration that polls.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.middleware import current_membership
from accounts.models import Organization, User
from accounts.permissions import can_access_back_office
from interviews.models import Candidate
from reporting import selectors, services
from reporting.filters import ReportFilterForm
from reporting.models import ReportJob, ReportKind, ReportSubscription
from reporting.schedules import DEFAULT_DAYS, next_monday, subscription_days, subscription_next_send

#: the jobs page lists this many of the organization's latest jobs
LIST_LIMIT = 50
REFRESH_SECONDS = 2
DAYS_CHOICES = [
    (30, gettext_lazy("Last 30 days")),
    (90, gettext_lazy("Last 90 days")),
    (365, gettext_lazy("Last 12 months")),
]


class _CandidateChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} · {obj.position.title}" if obj.position else str(obj.full_name)


class CandidateReportForm(forms.Form):
    """The candidate of a background candidate report: one of the organization's, nobody else's."""

    candidate = _CandidateChoice(
        label=gettext_lazy("Candidate"),
        queryset=Candidate.objects.none(),
        error_messages={"invalid_choice": gettext_lazy("Choose a candidate of your organization.")},
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["candidate"]).queryset = candidates


class SubscriptionForm(ReportFilterForm):
    """The weekly e-mail's filters: positions, team and source as on the dashboards, and how many
    days of added candidates each Monday's report covers (a rolling period, never fixed dates)."""

    days = forms.TypedChoiceField(
        label=gettext_lazy("Candidates added in"),
        choices=DAYS_CHOICES,
        coerce=int,
        initial=DEFAULT_DAYS,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("preset", "start", "end"):
            del self.fields[name]

    def params(self) -> dict[str, Any]:
        """The subscription's filters as kept in ``ReportSubscription.filters``."""
        organization = self.organization
        return {
            **services.filters_to_params(self.filters(organization)),
            "days": self.cleaned_data["days"] or DEFAULT_DAYS,
        }


def back_office(request: HttpRequest) -> tuple[Organization, User]:
    """The caller's organization and user, or 403 for anyone who is not back office there."""
    membership = current_membership(request)
    user = cast(User, request.user)  # login_required
    if membership is None or not can_access_back_office(user, membership.organization):
        raise PermissionDenied
    return membership.organization, user


def _job(organization: Organization, user: User, pk: int) -> ReportJob:
    job = selectors.report_job_get(actor=user, organization=organization, pk=pk)
    if job is None:
        raise Http404
    return job


def _pdf_response(content: Any, filename: str) -> HttpResponse | FileResponse:
    """A PDF download that no cache keeps (``content``: bytes, or an open file to stream)."""
    response: HttpResponse | FileResponse
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(content, content_type="application/pdf", as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _status(job: ReportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "statusLabel": job.get_status_display(),
        "progress": job.progress,
        "error": job.error,
        "downloadUrl": reverse("reporting_job_download", args=[job.pk]) if job.status == job.Status.DONE else None,
    }


def _subscription_initial(subscription: ReportSubscription | None) -> dict[str, Any]:
    if subscription is None:
        return {}
    kept = subscription.filters
    return {
        "position": kept.get("positions") or [],
        "team": kept.get("team") or "",
        "source": kept.get("source") or "",
        "days": subscription_days(subscription),
    }


def _exports_page(
    request: HttpRequest, organization: Organization, user: User, *, status: int = 200, **forms_: Any
) -> HttpResponse:
    """The exports page; ``forms_`` are bound forms that failed, shown with their errors."""
    subscription = selectors.report_subscription_get(actor=user, organization=organization)
    subscribed = bool(subscription and subscription.active)
    candidates = selectors.report_candidate_list(actor=user, organization=organization)
    context = {
        "jobs": selectors.report_job_list(actor=user, organization=organization)[:LIST_LIMIT],
        "filter_form": forms_.get("filter_form") or ReportFilterForm(request.GET or None, organization=organization),
        "candidate_form": forms_.get("candidate_form") or CandidateReportForm(candidates=candidates),
        "subscription_form": forms_.get("subscription_form")
        or SubscriptionForm(initial=_subscription_initial(subscription), organization=organization),
        "subscription": subscription,
        "subscribed": subscribed,
        "days": subscription_days(subscription) if subscription else DEFAULT_DAYS,
        "next_send": subscription_next_send(subscription) if subscription and subscribed else None,
        "first_send": next_monday(organization),
    }
    return render(request, "reporting/jobs/list.html", context, status=status)


# --- pages ---------------------------------------------------------------------------------------
@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """The organization's report jobs, forms to start a funnel or candidate PDF, and the weekly e-mail."""
    organization, user = back_office(request)
    return _exports_page(request, organization, user)


@login_required
@require_POST
def job_start(request: HttpRequest) -> HttpResponse:
    """Queue a report (``kind=candidate&candidate=<pk>`` or ``kind=funnel`` + the filter fields)."""
    organization, user = back_office(request)
    kind = request.POST.get("kind", "")
    params: dict[str, Any]
    if kind == ReportKind.CANDIDATE:
        candidates = selectors.report_candidate_list(actor=user, organization=organization)
        candidate_form = CandidateReportForm(request.POST, candidates=candidates)
        if not candidate_form.is_valid():
            return _exports_page(request, organization, user, status=400, candidate_form=candidate_form)
        params = {"candidate": candidate_form.cleaned_data["candidate"].pk}
    elif kind == ReportKind.FUNNEL:
        form = ReportFilterForm(request.POST, organization=organization)
        if not form.is_valid():
            return _exports_page(request, organization, user, status=400, filter_form=form)
        params = services.filters_to_params(form.filters(organization))
    else:
        return HttpResponse(_("Unknown kind of report."), status=400, content_type="text/plain; charset=utf-8")
    try:
        job = services.report_request(actor=user, organization=organization, kind=kind, params=params)
    except services.ReportError as exc:
        messages.error(request, exc.message)
        return redirect("reporting_jobs")
    return redirect("reporting_job", pk=job.pk)


@login_required
@never_cache
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One job: its progress while it runs (the page refreshes itself), then its download link or error."""
    organization, user = back_office(request)
    job = _job(organization, user, pk)
    again: list[tuple[str, Any]] = []  # the fields that start the same report again
    if job.status == ReportJob.Status.FAILED:
        again = [("kind", job.kind)]
        if job.kind == ReportKind.CANDIDATE:
            again.append(("candidate", job.params.get("candidate")))
        else:
            again += services.filters_from_params(organization, job.params).params()
    return render(
        request,
        "reporting/jobs/detail.html",
        {"job": job, "status": _status(job), "refresh": None if job.is_finished else REFRESH_SECONDS, "again": again},
    )


@login_required
@never_cache
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's state as JSON: ``{id, status, statusLabel, progress, error, downloadUrl}``."""
    organization, user = back_office(request)
    return JsonResponse(_status(_job(organization, user, pk)))


@login_required
@never_cache
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The finished job's PDF, from the private storage (404 until it is done)."""
    organization, user = back_office(request)
    job = _job(organization, user, pk)
    try:
        handle = services.report_job_open(job=job, actor=user)
    except services.ReportError:
        raise Http404 from None
    return _pdf_response(handle, job.filename)


@login_required
@never_cache
@require_GET
def candidate_pdf(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The candidate report, rendered in the request (one candidate renders in well under a second)."""
    organization, user = back_office(request)
    candidate = selectors.report_candidate_get(actor=user, organization=organization, pk=pk)
    if candidate is None:
        raise Http404
    pdf = services.candidate_report_render(candidate=candidate, actor=user)
    return _pdf_response(pdf, f"candidate-report-{candidate.pk}.pdf")


@login_required
@require_POST
def subscription_set(request: HttpRequest) -> HttpResponse:
    """Subscribe to (``active=1`` + the filters) or unsubscribe from the weekly funnel PDF by e-mail."""
    organization, user = back_office(request)
    active = request.POST.get("active") == "1"
    filters = None
    if active:
        form = SubscriptionForm(request.POST, organization=organization)
        if not form.is_valid():  # nothing is saved: the page shows what to correct
            return _exports_page(request, organization, user, status=400, subscription_form=form)
        filters = form.params()
    services.subscription_set(actor=user, organization=organization, active=active, filters=filters)
    messages.success(
        request,
        _("You will get the hiring-funnel PDF by e-mail every Monday, from %(day)s.")
        % {"day": next_monday(organization).strftime("%A %d %B %Y")}
        if active
        else _("You will no longer get the weekly hiring-funnel PDF."),
    )
    return redirect("reporting_jobs")
