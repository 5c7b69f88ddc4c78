"""Report jobs: queued, built by the real Celery app (eager), downloaded by the back office only."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from reporting import services
from reporting.models import ReportJob
from reporting.schedules import SCHEDULES
from reporting.tasks import report_jobs_fail_stale_task
from tests.conftest import Tenant
from tests.test_reporting_pdf import candidate_with_history, pdf_text

pytestmark = pytest.mark.django_db


def start(client: Any, **data: Any) -> Any:
    return client.post(reverse("reporting_job_start"), data)


# --- the job runs -----------------------------------------------------------------------------
def test_a_candidate_job_runs_on_celery_and_ends_done_with_a_private_file(
    acme: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    client = acme.client("recruiter")

    # when: the request queues it; the commit hands it to Celery (eager in tests)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, kind="candidate", candidate=candidate.pk)

    # then
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting_job", args=[job.pk])
    assert (job.status, job.progress, job.error) == ("done", 100, "")
    assert job.requested_by == acme.users["recruiter"]
    assert job.finished_at is not None
    assert job.size > 1000
    path = Path(job.file.path)
    assert path.is_relative_to(Path(settings.STORAGES["private"]["OPTIONS"]["location"]).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "Ada Lovelace" in pdf_text(job.file.read())
    assert list(AuditLog.objects.filter(target_id=str(job.pk)).values_list("action", flat=True).order_by("pk")) == [
        "report.request",
        "report.done",
    ]


def test_a_funnel_job_keeps_its_filters_and_renders_the_funnel(
    acme: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        start(acme.client("admin"), kind="funnel", team="Platform", position=[candidate.position_id])

    # then
    job = ReportJob.objects.get()
    assert job.status == "done", job.error
    assert job.params["team"] == "Platform"
    assert "Hiring funnel" in pdf_text(job.file.read())


def test_a_job_whose_candidate_is_gone_ends_failed_with_a_message(
    acme: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a queued job, and the candidate deleted before a worker takes it
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.report_request(
            actor=acme.users["recruiter"], organization=acme.org, kind="candidate", params={"candidate": candidate.pk}
        )
    candidate.delete()

    # when
    for callback in callbacks:
        callback()

    # then
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The candidate no longer exists."
    assert not job.file
    page = acme.client("recruiter").get(reverse("reporting_job", args=[job.pk]))
    assert "The candidate no longer exists." in page.content.decode()
    assert acme.client("recruiter").get(reverse("reporting_job_download", args=[job.pk])).status_code == 404


def test_running_a_finished_job_again_changes_nothing(acme: Tenant, django_capture_on_commit_callbacks: Any) -> None:
    # given: a job that is done
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(
            actor=acme.users["recruiter"], organization=acme.org, kind="candidate", params={"candidate": candidate.pk}
        )
    job.refresh_from_db()
    first_file = job.file.name

    # when: the task is delivered a second time
    status = services.report_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert status == "done"
    assert job.file.name == first_file
    assert AuditLog.objects.filter(action="report.done").count() == 1


def test_the_progress_page_refreshes_until_the_job_is_finished(acme: Tenant) -> None:
    # given: a queued job (no commit: no worker has taken it)
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    job = services.report_request(
        actor=acme.users["recruiter"], organization=acme.org, kind="candidate", params={"candidate": candidate.pk}
    )
    client = acme.client("recruiter")

    # when
    page = client.get(reverse("reporting_job", args=[job.pk])).content.decode()
    status = client.get(reverse("reporting_job_status", args=[job.pk])).json()

    # then
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress max="100" value="0"' in page
    assert "<script>" not in page  # CSP: no inline script
    assert status == {
        "id": job.pk,
        "status": "queued",
        "statusLabel": "Queued",
        "progress": 0,
        "error": "",
        "downloadUrl": None,
    }
    services.report_job_run(job_id=job.pk)
    done_page = client.get(reverse("reporting_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' not in done_page
    assert reverse("reporting_job_download", args=[job.pk]) in done_page
    assert client.get(reverse("reporting_job_status", args=[job.pk])).json()["downloadUrl"] == reverse(
        "reporting_job_download", args=[job.pk]
    )


def test_the_download_is_a_private_attachment_and_audited(acme: Tenant, globex: Tenant) -> None:
    # given: a finished job
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    job = services.report_request(
        actor=acme.users["recruiter"], organization=acme.org, kind="candidate", params={"candidate": candidate.pk}
    )
    services.report_job_run(job_id=job.pk)

    # when: another recruiter of the same organization downloads it
    response = acme.client("admin").get(reverse("reporting_job_download", args=[job.pk]))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="candidate-report-{job.pk}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditLog.objects.filter(action="report.download", actor=acme.users["admin"]).count() == 1


# --- who may -----------------------------------------------------------------------------------
def finished_job(tenant: Tenant) -> ReportJob:
    candidate = candidate_with_history(tenant.org, tenant.users["interviewer"])
    job = services.report_request(
        actor=tenant.users["recruiter"], organization=tenant.org, kind="candidate", params={"candidate": candidate.pk}
    )
    services.report_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


JOB_VIEWS = ["reporting_job", "reporting_job_status", "reporting_job_download"]


@pytest.mark.parametrize("view", JOB_VIEWS)
def test_another_organizations_job_is_not_found(acme: Tenant, globex: Tenant, view: str) -> None:
    # given
    job = finished_job(globex)

    # when
    response = acme.client("admin").get(reverse(view, args=[job.pk]))

    # then
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
@pytest.mark.parametrize("view", [*JOB_VIEWS, "reporting_jobs"])
def test_interviewers_and_candidates_are_refused(acme: Tenant, role: str, view: str) -> None:
    # given
    job = finished_job(acme)

    # when
    response = acme.client(role).get(reverse(view, args=[job.pk]) if view != "reporting_jobs" else reverse(view))

    # then
    assert response.status_code == 403


@pytest.mark.parametrize("view", [*JOB_VIEWS, "reporting_jobs"])
def test_anonymous_visitors_are_sent_to_log_in(acme: Tenant, client: Any, view: str) -> None:
    # given
    job = finished_job(acme)

    # when
    response = client.get(reverse(view, args=[job.pk]) if view != "reporting_jobs" else reverse(view))

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_only_the_back_office_may_start_a_job(acme: Tenant, role: str) -> None:
    # given
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    response = start(acme.client(role), kind="candidate", candidate=candidate.pk)

    # then
    assert response.status_code == 403
    assert not ReportJob.objects.exists()


def test_a_job_for_another_organizations_candidate_is_a_form_error(acme: Tenant, globex: Tenant) -> None:
    # given
    candidate = candidate_with_history(globex.org, globex.users["interviewer"])

    # when
    response = start(acme.client("recruiter"), kind="candidate", candidate=candidate.pk)

    # then: the exports page again, with the error at the candidate field, and no job
    assert response.status_code == 400
    assert "Choose a candidate of your organization." in response.content.decode()
    assert candidate.full_name not in response.content.decode()
    assert not ReportJob.objects.exists()


def test_a_funnel_job_with_invalid_filters_is_a_form_error(acme: Tenant) -> None:
    # when: the period ends before it starts
    response = start(acme.client("recruiter"), kind="funnel", start="2026-05-10", end="2026-05-01")

    # then
    assert response.status_code == 400
    assert "The end of the period must be on or after its start." in response.content.decode()
    assert not ReportJob.objects.exists()


def test_starting_a_job_needs_the_csrf_token(acme: Tenant) -> None:
    # given
    from django.test import Client

    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme.users["recruiter"])

    # when
    response = start(client, kind="candidate", candidate=candidate.pk)

    # then
    assert response.status_code == 403
    assert not ReportJob.objects.exists()


def test_the_exports_page_lists_this_organizations_jobs_only(acme: Tenant, globex: Tenant) -> None:
    # given
    mine, theirs = finished_job(acme), finished_job(globex)

    # when
    page = acme.client("recruiter").get(reverse("reporting_jobs")).content.decode()

    # then
    assert reverse("reporting_job_download", args=[mine.pk]) in page
    assert reverse("reporting_job", args=[theirs.pk]) not in page
    assert 'name="kind" value="funnel"' in page


def test_the_back_office_lists_jobs_with_their_download_link(acme: Tenant, globex: Tenant) -> None:
    # given
    mine, theirs = finished_job(acme), finished_job(globex)

    # when
    page = acme.client("recruiter").get(reverse("admin:reporting_reportjob_changelist")).content.decode()

    # then
    assert reverse("reporting_job_download", args=[mine.pk]) in page
    assert reverse("reporting_job_download", args=[theirs.pk]) not in page


def test_deleting_a_job_in_the_back_office_removes_its_file(acme: Tenant) -> None:
    # given
    job = finished_job(acme)
    path = job.file.path

    # when
    response = acme.client("admin").post(reverse("admin:reporting_reportjob_delete", args=[job.pk]), {"post": "yes"})

    # then
    import os

    assert response.status_code == 302
    assert not ReportJob.objects.filter(pk=job.pk).exists()
    assert not os.path.exists(path)
    assert AuditLog.objects.filter(action="report.delete").count() == 1


# --- lost workers -------------------------------------------------------------------------------
def queued_job(tenant: Tenant) -> ReportJob:
    candidate = candidate_with_history(tenant.org, tenant.users["interviewer"])
    return services.report_request(
        actor=tenant.users["recruiter"], organization=tenant.org, kind="candidate", params={"candidate": candidate.pk}
    )


def test_the_sweep_fails_jobs_whose_worker_was_lost_and_their_pages_say_so(acme: Tenant) -> None:
    # given: (no commit, so no worker) a job running for 20 minutes, one queued for two hours,
    # and one of each that is recent
    now = timezone.now()
    lost_running, lost_queued, running, queued = (queued_job(acme) for _ in range(4))
    ReportJob.objects.filter(pk__in=[lost_running.pk, running.pk]).update(status="running", progress=25)
    ReportJob.objects.filter(pk=lost_running.pk).update(started_at=now - timedelta(minutes=20))
    ReportJob.objects.filter(pk=running.pk).update(started_at=now - timedelta(minutes=2))
    ReportJob.objects.filter(pk=lost_queued.pk).update(created_at=now - timedelta(hours=2))

    # when: beat's sweep runs (through Celery)
    failed = report_jobs_fail_stale_task.delay().get()

    # then
    assert failed == 2
    statuses = dict(ReportJob.objects.values_list("pk", "status"))
    assert [statuses[j.pk] for j in (lost_running, lost_queued, running, queued)] == [
        "failed",
        "failed",
        "running",
        "queued",
    ]
    client = acme.client("recruiter")
    page = client.get(reverse("reporting_job", args=[lost_running.pk])).content.decode()
    status = client.get(reverse("reporting_job_status", args=[lost_queued.pk])).json()
    assert "The report worker stopped; start it again." in page
    assert 'http-equiv="refresh"' not in page
    assert "Start it again" in page
    assert (status["status"], status["error"]) == ("failed", "The report worker stopped; start it again.")
    assert AuditLog.objects.filter(action="report.failed").count() == 2
    assert report_jobs_fail_stale_task.delay().get() == 0  # a second sweep finds nothing


def test_a_lost_job_is_started_again_from_its_page_with_the_same_filters(acme: Tenant) -> None:
    # given: a funnel job of the Platform team that lost its worker
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    job = services.report_request(
        actor=acme.users["admin"],
        organization=acme.org,
        kind="funnel",
        params={"team": "Platform", "positions": [candidate.position_id], "start": "2026-01-01"},
    )
    ReportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=2))
    services.report_jobs_fail_stale()
    client = acme.client("admin")
    page = client.get(reverse("reporting_job", args=[job.pk])).content.decode()
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page)

    # when: the page's button posts its fields
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    response = client.post(reverse("reporting_job_start"), data)

    # then
    again = ReportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("reporting_job", args=[again.pk])
    assert again.params == job.params
    assert ("kind", "funnel") in fields


def test_the_beat_schedule_sweeps_lost_jobs_on_the_default_queue() -> None:
    # then: on "default", so it runs when the batch worker is the one that is gone
    [sweep] = [item for item in SCHEDULES if item["task"] == report_jobs_fail_stale_task.name]
    assert sweep["queue"] == "default"


# --- the candidate report from the exports page -----------------------------------------------
def test_the_exports_page_offers_this_organizations_candidates_only(acme: Tenant, globex: Tenant) -> None:
    # given
    mine = candidate_with_history(acme.org, acme.users["interviewer"], name="Mine Person")
    theirs = candidate_with_history(globex.org, globex.users["interviewer"], name="Their Person")

    # when
    page = acme.client("recruiter").get(reverse("reporting_jobs")).content.decode()

    # then
    assert 'name="kind" value="candidate"' in page
    assert f'<option value="{mine.pk}">Mine Person · Backend engineer</option>' in page
    assert "Their Person" not in page
    assert f'value="{theirs.pk}">' not in page
