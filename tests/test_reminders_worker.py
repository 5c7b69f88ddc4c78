"""Reminders through a real Celery worker and Redis broker: sent twice (two beats), delivered once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant
from scheduling.models import Delivery, NotificationKind
from tests.browser import SmtpServer
from tests.conftest import Tenant

pytestmark = [pytest.mark.services, pytest.mark.slow]

# A Redis database of its own (test_celery_beat uses 14), so no other process's traffic meets ours.
BROKER_URL = "redis://127.0.0.1:6379/13"
CELERY = str(Path(sys.executable).parent / "celery")
TASK = "scheduling.reminders_send_due"
SUCCEEDED = re.compile(rf"Task {re.escape(TASK)}\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\d+)")


def database_url_of_this_test() -> str:
    conf = connection.settings_dict
    credentials = quote(conf["USER"] or "", safe="")
    if conf["PASSWORD"]:
        credentials += ":" + quote(conf["PASSWORD"], safe="")
    return f"postgres://{credentials}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{quote(conf['NAME'])}"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker() -> Iterator[str]:
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    yield BROKER_URL
    client.flushdb()
    client.close()


@pytest.fixture
def worker(transactional_db, broker: str, smtp: SmtpServer, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``celery -A talentsync worker`` (2 processes) on the test database, the broker and the SMTP inbox."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"smtp://{smtp.host}:{smtp.port}",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                CELERY, "-A", "talentsync", "worker", "-Q", "live,default,batch", "--pool", "prefork",
                "--concurrency", "2", "-n", "test-reminders@%h", "--without-gossip", "--without-mingle", "-l", "info",
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    yield proc, log
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    print(f"----- worker (exit {proc.returncode}) -----\n{log.read_text(errors='replace')}")


def test_two_sends_of_the_reminder_task_deliver_one_email_per_participant(
    acme: Tenant, smtp: SmtpServer, broker: str, worker: tuple[subprocess.Popen, Path]
) -> None:
    # given: an interview whose 1-hour reminder moment passed two minutes ago
    proc, log = worker
    interview: Interview = InterviewFactory(  # type: ignore[assignment]
        organization=acme.org,
        candidate__organization=acme.org,
        candidate__position__organization=acme.org,
        candidate__email="worker-cand@example.test",
        scheduled_at=timezone.now() + timedelta(minutes=58),
    )
    Interview.objects.filter(pk=interview.pk).update(created_at=timezone.now() - timedelta(days=3))
    ParticipantFactory(interview=interview, user=acme.users["interviewer"])
    ParticipantFactory(interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE)

    # when: two beat processes each send the task to the broker
    sender = Celery("test-sender", broker=broker)
    try:
        for _ in range(2):
            sender.send_task(TASK, queue="default")
    finally:
        sender.close()
    deadline = time.monotonic() + 90
    results: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        results = [int(n) for n in SUCCEEDED.findall(log.read_text(errors="replace"))]
        if len(results) == 2:
            break
        time.sleep(0.5)

    # then: both tasks ran, together they sent two reminders, and each person got exactly one
    assert proc.poll() is None, "the worker exited early (output below)"
    assert len(results) == 2, "both tasks should have finished (worker output below)"
    assert sum(results) == 2
    recipients = sorted(str(m["To"]) for m in smtp.inbox.messages())
    assert recipients == sorted(["worker-cand@example.test", acme.users["interviewer"].email])
    deliveries = Delivery.objects.filter(kind=NotificationKind.REMINDER, key__startswith=f"reminder:{interview.pk}:")
    assert deliveries.count() == 2
    assert all(d.sent_at is not None for d in deliveries)
