"""Retention: each organization's setting, the purge of expired recordings and of stray files."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditLog, Organization, Role
from interviews.factories import InterviewFactory
from interviews.models import Interview
from recordings import storage
from recordings.factories import MediaSettingsFactory, RecordingFactory, TranscriptSegmentFactory
from recordings.insights.services import interview_analyse
from recordings.models import Insight, MediaSettings, Recording, RecordingSession, TranscriptSegment
from recordings.purge import (
    media_settings_update,
    orphan_files_sweep,
    purge_expired_recordings_task,
    recordings_purge_expired,
)
from recordings.selectors import media_settings_get
from talentsync.celery import app as celery_app
from talentsync.errors import NotAllowed
from tests.conftest import Tenant
from tests.test_insights_fixtures import make_scene
from tests.test_recording_storage import KEY_A, insight_text, sent_tasks

__all__ = ["sent_tasks"]  # a fixture of the storage tests, used here too

Sent = list[tuple[str, list[Any], str]]


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def recordings_root(settings, tmp_path: Path) -> Path:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDING_KEY = KEY_A
    return settings.RECORDINGS_ROOT


def recorded(org: Organization, *, ended_days_ago: float | None, scheduled_days_ago: float = 0) -> Recording:
    """A recording with a file and a transcript segment, of an interview held that long ago."""
    ended = days_ago(ended_days_ago) if ended_days_ago is not None else None
    scheduled = ended - timedelta(hours=1) if ended else days_ago(scheduled_days_ago)
    interview = InterviewFactory(
        organization=org, scheduled_at=scheduled, ended_at=ended, status=Interview.Status.COMPLETED
    )
    recording = RecordingFactory.with_file(
        plain=os.urandom(3000), session__interview=interview, session__started_at=scheduled
    )
    TranscriptSegmentFactory(recording=recording)
    return recording


def purged(recording: Recording) -> bool:
    recording.refresh_from_db()
    gone = recording.deleted_at is not None
    assert gone is not storage.recording_path(recording).exists()
    assert gone is not TranscriptSegment.objects.filter(recording=recording).exists()
    return gone


@pytest.mark.django_db
def test_the_purge_follows_each_organizations_retention(
    acme: Tenant, globex: Tenant, recordings_root: Path, sent_tasks: Sent, django_capture_on_commit_callbacks
) -> None:
    # given: Acme keeps recordings 30 days; Globex never chose (the default, 90)
    MediaSettingsFactory(organization=acme.org, retention_days=30)
    expired = [
        recorded(acme.org, ended_days_ago=31),
        recorded(acme.org, ended_days_ago=None, scheduled_days_ago=40),  # never ended: its start counts
        recorded(globex.org, ended_days_ago=100),
    ]
    kept = [
        recorded(acme.org, ended_days_ago=29),
        recorded(globex.org, ended_days_ago=60),
        recorded(globex.org, ended_days_ago=0.1),
    ]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        deleted = recordings_purge_expired()

    # then
    assert deleted == 3
    assert [purged(r) for r in expired] == [True, True, True]
    assert [purged(r) for r in kept] == [False, False, False]
    assert Recording.objects.count() == 6  # rows stay, marked deleted, for the audit trail
    summaries = AuditLog.objects.filter(action="recording.purge_expired")
    assert sorted((a.organization.slug, a.changes["deleted"], a.actor_label) for a in summaries) == [
        ("acme", 2, "system"),
        ("globex", 1, "system"),
    ]
    per_recording = AuditLog.objects.filter(action="recording.delete")
    assert sorted(int(a.target_id) for a in per_recording) == sorted(r.pk for r in expired)
    assert {a.changes["reason"] for a in per_recording} == {"retention"}
    assert {RecordingSession.objects.get(pk=r.session_id).status for r in expired} == {RecordingSession.Status.DELETED}
    assert sorted(sent_tasks) == sorted(("recordings.analyse_interview", [r.interview_id], "batch") for r in expired)


@pytest.mark.django_db
def test_the_purge_again_finds_nothing_more(acme: Tenant, recordings_root: Path) -> None:
    # given
    recorded(acme.org, ended_days_ago=400)
    assert recordings_purge_expired() == 1

    # when
    again = recordings_purge_expired()

    # then
    assert again == 0
    assert AuditLog.objects.filter(action="recording.purge_expired").count() == 1


@pytest.mark.django_db
def test_shortening_the_retention_purges_more(
    acme: Tenant, recordings_root: Path, sent_tasks: Sent, django_capture_on_commit_callbacks
) -> None:
    # given
    recording = recorded(acme.org, ended_days_ago=10)
    assert recordings_purge_expired() == 0

    # when: the admin keeps recordings for 7 days from now on
    media_settings_update(actor=acme.users[Role.ADMIN], organization=acme.org, data={"retention_days": 7})

    # then
    with django_capture_on_commit_callbacks(execute=True):
        assert recordings_purge_expired() == 1
    assert purged(recording)


@pytest.mark.django_db
def test_a_session_still_recording_is_left_alone(acme: Tenant, recordings_root: Path) -> None:
    # given: an old interview whose recorder is (still) running since a minute ago
    recording = recorded(acme.org, ended_days_ago=None, scheduled_days_ago=200)
    RecordingSession.objects.filter(pk=recording.session_id).update(
        status=RecordingSession.Status.RECORDING, started_at=timezone.now() - timedelta(minutes=1)
    )

    # when
    deleted = recordings_purge_expired()

    # then
    assert deleted == 0
    assert not purged(recording)


@pytest.mark.django_db
def test_the_beat_task_is_registered_on_its_name_and_purges(
    acme: Tenant, recordings_root: Path, sent_tasks: Sent, django_capture_on_commit_callbacks
) -> None:
    # given
    recording = recorded(acme.org, ended_days_ago=365)

    # when: run by its name, as beat sends it
    with django_capture_on_commit_callbacks(execute=True):
        result = celery_app.tasks["recordings.purge_expired_recordings"].apply()

    # then
    assert purge_expired_recordings_task.name == "recordings.purge_expired_recordings"
    assert result.get() == 1
    assert purged(recording)


@pytest.mark.django_db
def test_the_purge_drops_the_insights_quoting_the_transcripts_and_analyses_each_interview_once(
    acme: Tenant, recordings_root: Path, sent_tasks: Sent, django_capture_on_commit_callbacks
) -> None:
    # given: an interview of March 2025 (past the 90 days), both speakers recorded, analysed
    phrase = "I would put every number in a hash map"
    scene = make_scene(acme)
    scene.say(scene.lead, 0, 8, "Please find two numbers in the list that add up to the target.")
    scene.say(scene.candidate, 10, 18, f"{phrase} so each lookup is constant.")
    interview_analyse(interview_id=scene.interview.pk)
    assert phrase in insight_text(scene.interview)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        deleted = recordings_purge_expired()

    # then: two recordings, one analysis queued for their interview
    assert deleted == 2
    assert not TranscriptSegment.objects.filter(interview=scene.interview).exists()
    assert set(Insight.objects.filter(interview=scene.interview).values_list("kind", flat=True)) == {"code"}
    assert sent_tasks == [("recordings.analyse_interview", [scene.interview.pk], "batch")]

    # when: the analysis runs
    celery_app.tasks[sent_tasks[0][0]](*sent_tasks[0][1])

    # then
    assert Insight.objects.filter(interview=scene.interview).count() == 3
    assert phrase not in insight_text(scene.interview)


@pytest.mark.django_db
def test_stray_files_and_old_scratch_plaintext_are_swept_after_a_day(acme: Tenant, recordings_root: Path) -> None:
    # given
    live = recorded(acme.org, ended_days_ago=1)
    root = storage.scratch_dir().parent
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    orphan_old = root / f"{'a' * 32}.enc"
    orphan_new = root / f"{'b' * 32}.enc"
    half_written_old = root / ".incoming-x1y2.enc"
    unrelated = root / "README.txt"
    scratch_old = storage.scratch_dir() / "peer-1" / "camera.webm"
    scratch_old.parent.mkdir()
    scratch_new = storage.scratch_dir() / "screen.webm"
    for path in (orphan_old, orphan_new, half_written_old, unrelated, scratch_old, scratch_new):
        path.write_bytes(b"x")
    for path in (orphan_old, half_written_old, unrelated, scratch_old, storage.recording_path(live)):
        os.utime(path, (two_days_ago, two_days_ago))

    # when
    removed = orphan_files_sweep()

    # then
    assert removed == 3
    assert not orphan_old.exists()
    assert not half_written_old.exists()
    assert not scratch_old.exists()
    assert orphan_new.exists()
    assert scratch_new.exists()
    assert unrelated.exists()
    assert storage.recording_path(live).exists()


# --- the setting ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_settings_exist_from_first_use_with_the_defaults(acme: Tenant) -> None:
    # when
    first = media_settings_get(acme.org)
    second = media_settings_get(organization=acme.org)

    # then
    assert first.pk == second.pk
    assert (first.retention_days, first.transcription_enabled, first.ai_enabled) == (90, True, True)


@pytest.mark.django_db
def test_only_admins_change_the_settings_and_each_change_is_audited(acme: Tenant) -> None:
    # given
    admin = acme.users[Role.ADMIN]

    # when
    media_settings_update(
        actor=admin,
        organization=acme.org,
        data={"retention_days": 14, "ai_enabled": False, "transcription_enabled": True},
    )

    # then
    found = MediaSettings.objects.get(organization=acme.org)
    assert (found.retention_days, found.ai_enabled, found.transcription_enabled) == (14, False, True)
    audit = AuditLog.objects.get(action="mediasettings.update")
    assert audit.actor == admin
    assert audit.changes == {"retention_days": [90, 14], "ai_enabled": [True, False]}
    for role in (Role.RECRUITER, Role.INTERVIEWER, Role.CANDIDATE):
        with pytest.raises(NotAllowed):
            media_settings_update(actor=acme.users[role], organization=acme.org, data={"retention_days": 1})
    assert MediaSettings.objects.get(organization=acme.org).retention_days == 14


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, 3651])
def test_a_retention_out_of_range_is_refused(acme: Tenant, days: int) -> None:
    with pytest.raises(ValidationError):
        media_settings_update(actor=acme.users[Role.ADMIN], organization=acme.org, data={"retention_days": days})
    assert media_settings_get(acme.org).retention_days == 90


@pytest.mark.django_db
def test_another_organizations_admin_cannot_change_the_settings(acme: Tenant, globex: Tenant) -> None:
    with pytest.raises(NotAllowed):
        media_settings_update(actor=globex.users[Role.ADMIN], organization=acme.org, data={"retention_days": 1})
