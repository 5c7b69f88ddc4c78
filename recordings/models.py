"""Recordings, transcripts and AI insights of interviews (docs/recording.md).

A recording is written by the recorder peer (``recordings.recorder``, the Procfile's ``media``
process) only while recording is on for the stage and every participant in the room has given
consent. Files are encrypted at rest (``recordings.crypto``) under ``RECORDINGS_ROOT`` and are
streamed only through expiring signed URLs to people allowed to see the interview.

Times: ``started_at``/``ended_at`` are aware UTC instants; transcript segments count milliseconds
from their recording's ``started_at``, so the replay puts them on the interview's timeline.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, TimeStamped
from interviews.models import Interview, Participant


class MediaSettings(models.Model):
    """Per-organization recording, transcription and AI settings (created on first use)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="media_settings")
    retention_days = models.PositiveSmallIntegerField(
        _("keep recordings for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Recordings and their transcripts are deleted this many days after the interview."),
    )
    transcription_enabled = models.BooleanField(_("transcribe recordings"), default=True)
    ai_enabled = models.BooleanField(
        _("AI insights"),
        default=True,
        help_text=_("Summaries, follow-up suggestions, engagement and code evaluation. Never replaces a scorecard."),
    )

    class Meta:
        verbose_name = _("recording and AI settings")
        verbose_name_plural = _("recording and AI settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__gte=1, retention_days__lte=3650), name="mediasettings_retention_range"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Recording and AI settings of %(org)s") % {"org": self.organization})


class RecordingConsent(models.Model):
    """A participant's consent to be recorded, given on the room's pre-join screen."""

    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="recording_consent")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="recording_consents")
    granted_at = models.DateTimeField(_("given"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    consent_text = models.TextField(_("text agreed to"), max_length=2000)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("recording consent")
        ordering = ("interview", "granted_at")

    def __str__(self) -> str:
        return f"{self.participant} · {self.granted_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class RecordingSession(models.Model):
    """One stretch of recording in a room: from the recorder joining to it leaving."""

    class Status(models.TextChoices):
        RECORDING = "recording", _("Recording")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        DELETED = "deleted", _("Deleted")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="recording_sessions")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECORDING)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("recording session")
        ordering = ("interview", "started_at")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["recording", "ready", "failed", "deleted"]), name="recsession_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interview} · {self.started_at:%H:%M}"


def recording_file_name() -> str:
    """A random file name under ``RECORDINGS_ROOT`` (nothing about the interview in it)."""
    return f"{uuid.uuid4().hex}.enc"


class Recording(models.Model):
    """One encrypted media file: a participant's camera + microphone, or their screen share."""

    class Kind(models.TextChoices):
        CAMERA = "camera", _("Camera and microphone")
        SCREEN = "screen", _("Screen share")

    class TranscriptStatus(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Transcribing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not transcribed")

    session = models.ForeignKey(RecordingSession, on_delete=models.CASCADE, related_name="recordings")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="recordings")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="recordings"
    )
    speaker_name = models.CharField(_("speaker"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CAMERA)
    has_audio = models.BooleanField(_("audio"), default=False)
    has_video = models.BooleanField(_("video"), default=False)
    file_name = models.CharField(max_length=100, unique=True, default=recording_file_name, editable=False)
    content_type = models.CharField(max_length=60, default="video/webm")
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    transcript_status = models.CharField(
        _("transcript"), max_length=10, choices=TranscriptStatus.choices, default=TranscriptStatus.PENDING
    )
    transcript_engine = models.CharField(_("transcribed by"), max_length=60, blank=True)
    # when the running transcription began: one left "running" far longer than the task's time
    # limit lost its worker, and the sweep (recordings.transcription) marks it failed
    transcript_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    transcript_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recording")
        ordering = ("interview", "started_at", "pk")
        indexes = [models.Index(fields=["interview", "started_at"], name="recording_interview_time_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["camera", "screen"]), name="recording_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker_name or '—'} · {self.get_kind_display()} · {self.started_at:%Y-%m-%d %H:%M}"


class TranscriptSegment(models.Model):
    """One stretch of speech of one recording, with its speaker and times."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="segments")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="transcript_segments")
    participant = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    speaker_name = models.CharField(_("speaker"), max_length=200, blank=True)
    index = models.PositiveIntegerField()
    start_ms = models.PositiveIntegerField(_("from (ms)"))
    end_ms = models.PositiveIntegerField(_("to (ms)"))
    text = models.TextField(_("text"), max_length=10000)
    confidence = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("transcript segment")
        ordering = ("interview", "recording", "index")
        constraints = [
            models.UniqueConstraint(fields=["recording", "index"], name="segment_unique_index"),
            models.CheckConstraint(condition=Q(end_ms__gte=models.F("start_ms")), name="segment_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker_name}: {self.text[:60]}"


class Insight(TimeStamped):
    """AI output about one interview: labelled as such, never a scorecard, never shown to candidates."""

    class Kind(models.TextChoices):
        SUMMARY = "summary", _("Summary")
        ENGAGEMENT = "engagement", _("Sentiment and engagement")
        CODE = "code", _("Code evaluation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        DISABLED = "disabled", _("AI disabled")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="insights")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(_("made by"), max_length=120, blank=True)
    payload = models.JSONField(_("content"), default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("AI insight")
        ordering = ("interview", "kind")
        constraints = [
            models.UniqueConstraint(fields=["interview", "kind"], name="insight_unique_kind"),
            models.CheckConstraint(condition=Q(kind__in=["summary", "engagement", "code"]), name="insight_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.interview_id}"
