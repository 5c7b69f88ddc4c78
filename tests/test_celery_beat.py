"""Periodic work: the purge service, the schedules command, and beat → broker → worker for real."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from accounts.factories import InvitationFactory, OrganizationFactory, UserFactory
from accounts.models import AuditLog, Invitation
from accounts.schedules import SCHEDULES as ACCOUNTS_SCHEDULES
from accounts.services import invitation_purge_expired
from assessments.schedules import SCHEDULES as ASSESSMENTS_SCHEDULES
from recordings.schedules import SCHEDULES as RECORDINGS_SCHEDULES
from reporting.schedules import SCHEDULES as REPORTING_SCHEDULES
from scheduling.schedules import SCHEDULES as SCHEDULING_SCHEDULES
from tests.conftest import Tenant

# every app's schedules, as setup_schedules finds them (accounts' purge first)
SCHEDULES = [
    *ACCOUNTS_SCHEDULES,
    *ASSESSMENTS_SCHEDULES,
    *RECORDINGS_SCHEDULES,
    *REPORTING_SCHEDULES,
    *SCHEDULING_SCHEDULES,
]

PURGE_TASK = "accounts.invitation_purge_expired"
PURGE_ACTION = "invitation.purge_expired"
# A Redis database of its own, so the test's broker traffic meets no other process's.
TEST_BROKER_URL = "redis://127.0.0.1:6379/14"
CELERY = str(Path(sys.executable).parent / "celery")


def days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


# --- the service ------------------------------------------------------------------------
@pytest.mark.django_db
def test_purge_deletes_only_open_invitations_expired_before_the_cutoff(settings, acme: Tenant, globex: Tenant) -> None:
    # given: a 30-day grace period and invitations on each side of it
    settings.INVITATION_PURGE_AFTER_DAYS = 30
    stale = [
        InvitationFactory(organization=acme.org, expires_at=days_ago(31)),
        InvitationFactory(organization=acme.org, expires_at=days_ago(400)),
        InvitationFactory(organization=globex.org, expires_at=days_ago(45)),
    ]
    accepter = UserFactory()
    kept = [
        InvitationFactory(organization=acme.org, expires_at=timezone.now() + timedelta(days=3)),  # pending
        InvitationFactory(organization=acme.org, expires_at=days_ago(29)),  # expired, still in grace
        InvitationFactory(  # accepted long ago: the record of who joined stays
            organization=acme.org, expires_at=days_ago(90), accepted_at=days_ago(95), accepted_by=accepter
        ),
        InvitationFactory(organization=globex.org, expires_at=days_ago(90), revoked_at=days_ago(92)),  # revoked
    ]

    # when
    deleted = invitation_purge_expired()

    # then
    assert deleted == len(stale)
    assert set(Invitation.objects.values_list("pk", flat=True)) == {i.pk for i in kept}


@pytest.mark.django_db
def test_purge_writes_one_system_audit_row_per_organization_with_its_count(
    settings, acme: Tenant, globex: Tenant
) -> None:
    # given
    settings.INVITATION_PURGE_AFTER_DAYS = 30
    InvitationFactory.create_batch(2, organization=acme.org, expires_at=days_ago(60))
    InvitationFactory(organization=globex.org, expires_at=days_ago(60))
    quiet = OrganizationFactory(slug="quiet")
    InvitationFactory(organization=quiet, expires_at=days_ago(1))

    # when
    invitation_purge_expired()

    # then
    rows = AuditLog.objects.filter(action=PURGE_ACTION)
    assert sorted((r.organization.slug, r.changes, r.actor_label) for r in rows) == [
        ("acme", {"deleted": 2}, "system"),
        ("globex", {"deleted": 1}, "system"),
    ]


@pytest.mark.django_db
def test_purge_with_nothing_to_delete_writes_no_audit_row(acme: Tenant) -> None:
    # given: only a pending invitation
    InvitationFactory(organization=acme.org)

    # when
    deleted = invitation_purge_expired()

    # then
    assert deleted == 0
    assert not AuditLog.objects.filter(action=PURGE_ACTION).exists()


# --- the schedules command --------------------------------------------------------------
def assert_schedules_in_place() -> None:
    for item in SCHEDULES:
        task = PeriodicTask.objects.get(name=item["name"])
        assert (task.task, task.queue, task.enabled, task.interval) == (item["task"], item["queue"], True, None)
        assert task.crontab is not None
        for field, value in item["crontab"].items():
            assert getattr(task.crontab, field) == value
        assert str(task.crontab.timezone) == "UTC"


@pytest.mark.django_db
def test_setup_schedules_twice_leaves_one_task_per_schedule_with_its_crontab() -> None:
    # given
    call_command("setup_schedules", verbosity=0)

    # when
    call_command("setup_schedules", verbosity=0)

    # then
    names = [item["name"] for item in SCHEDULES]
    assert sorted(PeriodicTask.objects.filter(name__in=names).values_list("name", flat=True)) == sorted(names)
    assert CrontabSchedule.objects.filter(periodictask__name__in=names).count() == len(SCHEDULES)
    assert CrontabSchedule.objects.count() == len({tuple(sorted(i["crontab"].items())) for i in SCHEDULES})
    assert_schedules_in_place()


@pytest.mark.django_db
def test_setup_schedules_restores_a_schedule_edited_by_hand() -> None:
    # given: someone disabled the purge and moved it to an interval on another queue
    call_command("setup_schedules", verbosity=0)
    item = SCHEDULES[0]
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.filter(name=item["name"]).update(
        enabled=False, queue="live", crontab=None, interval=every_minute
    )

    # when
    call_command("setup_schedules", verbosity=0)

    # then
    assert PeriodicTask.objects.filter(name=item["name"]).count() == 1
    assert_schedules_in_place()


@pytest.mark.django_db
def test_setup_schedules_never_reuses_a_crontab_that_only_partly_matches() -> None:
    # given: a monthly crontab that shares minute and hour with the daily purge, twice
    item = SCHEDULES[0]
    for _ in range(2):
        CrontabSchedule.objects.create(timezone="UTC", day_of_month="1", **item["crontab"])

    # when
    call_command("setup_schedules", verbosity=0)

    # then: the purge runs daily, not monthly
    task = PeriodicTask.objects.get(name=item["name"])
    assert task.crontab is not None
    assert task.crontab.day_of_month == "*"
    assert_schedules_in_place()


# --- beat → broker → worker -------------------------------------------------------------
def database_url_of_this_test() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    conf = connection.settings_dict
    credentials = quote(conf["USER"] or "", safe="")
    if conf["PASSWORD"]:
        credentials += ":" + quote(conf["PASSWORD"], safe="")
    return f"postgres://{credentials}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{quote(conf['NAME'])}"


@pytest.fixture
def isolated_broker() -> Iterator[str]:
    client = redis.Redis.from_url(TEST_BROKER_URL)
    client.flushdb()
    yield TEST_BROKER_URL
    client.flushdb()
    client.close()


@pytest.fixture
def celery_process(transactional_db, isolated_broker: str, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start ``celery -A talentsync <args>`` on the test database and broker; stop it afterwards.

    Depends on ``transactional_db`` so the processes are stopped before the tables are flushed.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": isolated_broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    started: list[tuple[str, subprocess.Popen, Path]] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [CELERY, "-A", "talentsync", *args],
                cwd=django_settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append((name, proc, log))
        return proc

    yield start

    for _name, proc, _log in started:
        proc.terminate()
    for name, proc, log in started:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # Shown by pytest only when the test fails.
        print(f"----- {name} (exit {proc.returncode}) -----\n{log.read_text(errors='replace')}")


@pytest.mark.services
@pytest.mark.slow
def test_beat_sends_the_purge_to_a_worker_that_runs_it(celery_process) -> None:
    # given: a long-expired invitation, a pending one, and the purge scheduled every second on "batch"
    org = OrganizationFactory(slug="beat-org")
    expired = InvitationFactory(organization=org, expires_at=timezone.now() - timedelta(days=365))
    pending = InvitationFactory(organization=org)
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="test purge", task=PURGE_TASK, interval=every_second, queue="batch")

    # when: a real worker and a real beat run against the test database and a Redis broker
    processes = [
        celery_process(
            "worker",
            "worker",
            "-Q",
            "live,default,batch",
            "--pool",
            "solo",
            "-n",
            "test-beat@%h",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ),
        celery_process("beat", "beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "-l", "info"),
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        purged = not Invitation.objects.filter(pk=expired.pk).exists()
        audited = AuditLog.objects.filter(action=PURGE_ACTION, organization=org).exists()
        if (purged and audited) or any(p.poll() is not None for p in processes):
            break
        time.sleep(0.5)

    # then
    assert all(p.poll() is None for p in processes), "a celery process exited early (output below)"
    assert not Invitation.objects.filter(pk=expired.pk).exists()
    assert Invitation.objects.filter(pk=pending.pk).exists()
    audit = AuditLog.objects.get(action=PURGE_ACTION, organization=org)
    assert audit.changes == {"deleted": 1}
