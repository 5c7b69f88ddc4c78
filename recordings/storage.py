"""Where recordings live on disk and how they get there, encrypted (docs/recording-storage.md).

Files sit directly under ``settings.RECORDINGS_ROOT`` with the random name of their row
(``Recording.file_name``): never under ``MEDIA_ROOT`` or ``STATIC_ROOT``, so no web server
serves them; the only way out is ``recordings.views.recording_media`` behind a signed URL.
The recorder writes plaintext to ``scratch_dir()`` (0700) while a track is live and hands the
finished file to ``recording_store``, which encrypts it next to its final place, renames it in
(atomic on one file system) and deletes the plaintext.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from recordings import crypto
from recordings.models import Insight, Recording, RecordingSession, TranscriptSegment
from talentsync.errors import StateError

#: the insights made from an interview's transcript: reset when one of its recordings is deleted
TRANSCRIPT_INSIGHTS = (Insight.Kind.SUMMARY, Insight.Kind.ENGAGEMENT)
ANALYSE_TASK = "recordings.analyse_interview"


class RecordingUnavailable(FileNotFoundError):
    """The recording was deleted, or its file is missing."""


def _root() -> Path:
    root = Path(settings.RECORDINGS_ROOT)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def scratch_dir() -> Path:
    """The private directory (0700) where the recorder keeps plaintext while it records."""
    path = _root() / "scratch"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def recording_path(recording: Recording) -> Path:
    """The encrypted file of ``recording`` (it may not exist yet, or any more)."""
    name = recording.file_name
    # The name is generated (uuid hex); refuse anything that could step out of the root.
    if not name or name != os.path.basename(name) or name.startswith("."):
        raise ValueError(f"unsafe recording file name {name!r}")
    return _root() / name


def recording_store(*, recording: Recording, plain_path: Path) -> Recording:
    """Encrypt ``plain_path`` into the recording's file, record its size, save, delete the plaintext.

    Raises ``ImproperlyConfigured`` before anything is written when no key is configured (with
    DEBUG off, RECORDING_KEY is required); the plaintext is then left where it is.
    """
    key = crypto.current_key()
    target = recording_path(recording)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".enc")
    try:
        with os.fdopen(fd, "wb") as out, open(plain_path, "rb") as src:
            size = crypto.encrypt_stream(src, out, key=key)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    recording.size_bytes = size
    if recording.pk is None:
        recording.save()
    else:
        recording.save(update_fields=["size_bytes"])
    Path(plain_path).unlink(missing_ok=True)
    return recording


def recording_open(recording: Recording) -> crypto.DecryptingReader:
    """A read-only, seekable file of the decrypted recording; use it as a context manager.

    Raises :class:`RecordingUnavailable` for a deleted recording or a missing file, and
    :class:`recordings.crypto.RecordingCryptoError` for a file that fails authentication.
    """
    if recording.deleted_at is not None:
        raise RecordingUnavailable(f"recording {recording.pk} was deleted")
    try:
        return crypto.open_decrypted(recording_path(recording))
    except FileNotFoundError as exc:
        raise RecordingUnavailable(f"the file of recording {recording.pk} is missing") from exc


@transaction.atomic
def recording_delete(
    *, recording: Recording, actor: Any = None, reason: str = "manual", reanalyse: bool = True
) -> None:
    """Delete the recording's file and transcript; the row stays, marked deleted, for the audit trail.

    The interview's summary and engagement insights, which quote and measure the transcript, go
    too; once committed, the interview is analysed again from what is left (``reanalyse=False``
    leaves that to the caller, as the retention purge does once per interview). Safe to call
    again. The file is removed only once the deletion commits, so a rollback keeps it; the
    session is marked deleted once none of its recordings is left.
    """
    recording = Recording.objects.select_for_update().select_related("interview__organization").get(pk=recording.pk)
    already = recording.deleted_at is not None
    segments, _ = TranscriptSegment.objects.filter(recording=recording).delete()
    if not already or segments:
        insights_reset(interview_id=recording.interview_id, reanalyse=reanalyse)
    if not already:
        recording.deleted_at = timezone.now()
        recording.save(update_fields=["deleted_at"])
        left = Recording.objects.filter(session_id=recording.session_id, deleted_at__isnull=True).exists()
        if not left:
            RecordingSession.objects.filter(pk=recording.session_id).exclude(
                status=RecordingSession.Status.RECORDING
            ).update(status=RecordingSession.Status.DELETED)
        audit_record(
            action="recording.delete",
            actor=actor,
            organization=recording.interview.organization,
            target=recording,
            changes={"reason": reason, "segments": segments, "interview": recording.interview_id},
        )
    path = recording_path(recording)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def insights_reset(*, interview_id: int, reanalyse: bool = True) -> int:
    """Delete the interview's transcript-based insights; with ``reanalyse``, queue its analysis on commit.

    The analysis is idempotent and works from the recordings that are left (none: the summary
    cites code, runs and chat only). Returns the number of insights deleted.
    """
    deleted, _ = Insight.objects.filter(interview_id=interview_id, kind__in=TRANSCRIPT_INSIGHTS).delete()
    if reanalyse:
        insights_reanalyse_on_commit(interview_id=interview_id)
    return deleted


def insights_reanalyse_on_commit(*, interview_id: int) -> None:
    """Send the interview's analysis (queue ``batch``) once the current transaction commits."""
    transaction.on_commit(lambda: current_app.send_task(ANALYSE_TASK, args=[interview_id], queue="batch"))


def recording_file_remove(*, recording: Recording) -> None:
    """Remove the file of a recording row that is being deleted outright (cascade, shell)."""
    with contextlib.suppress(ValueError):
        recording_path(recording).unlink(missing_ok=True)


def recording_post_delete(sender: Any, instance: Recording, **kwargs: Any) -> None:
    """``post_delete`` receiver: a deleted row takes its file with it, once the deletion commits."""
    path_recording = Recording(file_name=instance.file_name)
    transaction.on_commit(lambda: recording_file_remove(recording=path_recording))


TRANSCRIBE_TASK = "recordings.transcribe_recording"


@transaction.atomic
def recording_transcribe_again(*, recording: Recording, actor: Any = None) -> Recording:
    """Queue the recording for transcription again (the task replaces its segments); audited.

    Refused for a deleted recording or one without audio. The task is sent after commit.
    """
    recording = Recording.objects.select_for_update().select_related("interview__organization").get(pk=recording.pk)
    if recording.deleted_at is not None:
        raise StateError(_("This recording was deleted."))
    if not recording.has_audio:
        raise StateError(_("This recording has no audio to transcribe."))
    previous = recording.transcript_status
    recording.transcript_status = Recording.TranscriptStatus.PENDING
    recording.transcript_error = ""
    recording.save(update_fields=["transcript_status", "transcript_error"])
    audit_record(
        action="recording.transcribe_again",
        actor=actor,
        organization=recording.interview.organization,
        target=recording,
        changes={"transcript_status": [previous, recording.transcript_status]},
    )
    recording_id = recording.pk
    transaction.on_commit(lambda: current_app.send_task(TRANSCRIBE_TASK, args=[recording_id], queue="batch"))
    return recording
