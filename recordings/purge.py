"""Retention of recordings: each organization's setting, and the daily purge that applies it.

An interview's recordings and transcripts are deleted ``MediaSettings.retention_days`` after the
interview (its end, or its start when it never ended). The purge runs daily from beat
(``recordings.schedules``); it also removes files nothing refers to any more (a row deleted
outright, a crash between writing and saving) and plaintext the recorder left in the scratch
directory, once they are a day old.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import user_can
from accounts.services import audit_record
from recordings import storage
from recordings.models import MediaSettings, Recording, RecordingSession
from recordings.selectors import media_settings_get
from talentsync.errors import NotAllowed

#: files younger than this are never swept (they may be being written right now)
ORPHAN_GRACE = timedelta(days=1)
_OUR_FILE = re.compile(r"^(?:[0-9a-f]{32}\.enc|\.incoming-.*\.enc)$")
MEDIA_SETTINGS_FIELDS = ("retention_days", "transcription_enabled", "ai_enabled")


@transaction.atomic
def media_settings_update(*, actor: Any, organization: Organization, data: dict[str, Any]) -> MediaSettings:
    """Change the organization's retention, transcription and AI switches (admins); audited."""
    if not (
        user_can(actor, "recordings.change_mediasettings", organization=organization)
        or user_can(actor, "accounts.change_organization", organization=organization)
    ):
        raise NotAllowed(_("Only admins change the recording and AI settings."))
    media_settings_get(organization)
    found = MediaSettings.objects.select_for_update().get(organization=organization)
    changes: dict[str, list[Any]] = {}
    for field, value in data.items():
        if field not in MEDIA_SETTINGS_FIELDS:
            raise NotAllowed(_("This setting cannot be changed here."))
        if getattr(found, field) != value:
            changes[field] = [getattr(found, field), value]
            setattr(found, field, value)
    found.full_clean()
    found.save()
    if changes:
        audit_record(
            action="mediasettings.update", actor=actor, organization=organization, target=found, changes=changes
        )
    return found


def _expired(organization_id: int, days: int, now: datetime) -> Any:
    held = Coalesce("interview__ended_at", "interview__scheduled_at")
    # A session still recording is left alone unless it has been "recording" for a day (a crash).
    live = Q(session__status=RecordingSession.Status.RECORDING, session__started_at__gte=now - ORPHAN_GRACE)
    return (
        Recording.objects.filter(interview__organization_id=organization_id, deleted_at__isnull=True)
        .annotate(held_at=held)
        .filter(held_at__lt=now - timedelta(days=days))
        .exclude(live)
    )


def recordings_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the recordings (files and transcripts) past their organization's retention.

    One ``recording.delete`` audit row per recording (reason "retention") and one
    ``recording.purge_expired`` row per organization with its count. An interview's recordings go
    in one transaction, with its transcript-based insights; its analysis is queued once, on commit
    (see ``storage.recording_delete``). Returns the number deleted.
    """
    now = now or timezone.now()
    default_days = MediaSettings._meta.get_field("retention_days").get_default()
    days_of = dict(MediaSettings.objects.values_list("organization_id", "retention_days"))
    organizations = (
        Recording.objects.filter(deleted_at__isnull=True)
        .values_list("interview__organization_id", flat=True)
        .distinct()
        .order_by()
    )
    total = 0
    for organization_id in list(organizations):
        deleted = 0
        days = days_of.get(organization_id, default_days)
        expired = _expired(organization_id, days, now).order_by("interview_id", "pk")
        for interview_id, recordings in groupby(expired.iterator(), key=attrgetter("interview_id")):
            with transaction.atomic():
                for recording in recordings:
                    storage.recording_delete(recording=recording, reason="retention", reanalyse=False)
                    deleted += 1
                storage.insights_reanalyse_on_commit(interview_id=interview_id)
        if deleted:
            audit_record(
                action="recording.purge_expired",
                organization=Organization.objects.get(pk=organization_id),
                changes={"deleted": deleted, "retention_days": days},
            )
        total += deleted
    orphan_files_sweep(now=now)
    return total


def orphan_files_sweep(*, now: datetime | None = None) -> int:
    """Remove encrypted files no live row names, and scratch plaintext, older than a day."""
    now = now or timezone.now()
    cutoff = (now - ORPHAN_GRACE).timestamp()
    root = storage.scratch_dir().parent
    live = set(Recording.objects.filter(deleted_at__isnull=True).values_list("file_name", flat=True))
    removed = 0
    for path in root.iterdir():
        if not path.is_file() or not _OUR_FILE.match(path.name) or path.name in live:
            continue
        if path.stat().st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    for path in storage.scratch_dir().rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


@shared_task(name="recordings.purge_expired_recordings", soft_time_limit=1800, time_limit=1900)
def purge_expired_recordings_task() -> int:
    return recordings_purge_expired()
