"""factory_boy factories for recordings, transcripts and insights (tests only).

``RecordingFactory`` makes the row only; to have a real encrypted file behind it, write the
plaintext somewhere and call ``recordings.storage.recording_store(recording=..., plain_path=...)``
(or use ``RecordingFactory.with_file(plain=b"...")``).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import factory
from django.utils import timezone

from interviews.factories import InterviewFactory, ParticipantFactory
from recordings.models import (
    Insight,
    MediaSettings,
    Recording,
    RecordingConsent,
    RecordingSession,
    TranscriptSegment,
)


class MediaSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediaSettings
        django_get_or_create = ("organization",)

    organization = factory.SubFactory("accounts.factories.OrganizationFactory")
    retention_days = 90
    transcription_enabled = True
    ai_enabled = True


class RecordingConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingConsent

    participant = factory.SubFactory(ParticipantFactory)
    interview = factory.SelfAttribute("participant.interview")
    granted_at = factory.LazyFunction(timezone.now)
    consent_text = "I agree that this interview is recorded and transcribed."
    ip_address = "127.0.0.1"
    user_agent = "factory"


class RecordingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingSession

    interview = factory.SubFactory(InterviewFactory)
    status = RecordingSession.Status.READY
    started_at = factory.LazyFunction(timezone.now)
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=30))


class RecordingFactory(factory.django.DjangoModelFactory):
    """A recording row of a camera track; ``participant`` defaults to a new interviewer of its interview."""

    class Meta:
        model = Recording

    session = factory.SubFactory(RecordingSessionFactory)
    interview = factory.SelfAttribute("session.interview")
    participant = factory.SubFactory(ParticipantFactory, interview=factory.SelfAttribute("..interview"))
    speaker_name = factory.LazyAttribute(lambda o: o.participant.display_name if o.participant else "")
    kind = Recording.Kind.CAMERA
    has_audio = True
    has_video = True
    content_type = "video/webm"
    duration_ms = 0
    started_at = factory.SelfAttribute("session.started_at")
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(milliseconds=o.duration_ms))
    transcript_status = Recording.TranscriptStatus.PENDING

    @classmethod
    def with_file(cls, *, plain: bytes, **kwargs: Any) -> Recording:
        """A saved recording whose encrypted file holds ``plain`` (kwargs go to the factory)."""
        from recordings import storage

        recording = cast(Recording, cls(**kwargs))
        with tempfile.NamedTemporaryFile(dir=storage.scratch_dir(), delete=False) as out:
            out.write(plain)
        return storage.recording_store(recording=recording, plain_path=Path(out.name))


class TranscriptSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TranscriptSegment

    recording = factory.SubFactory(RecordingFactory)
    interview = factory.SelfAttribute("recording.interview")
    participant = factory.SelfAttribute("recording.participant")
    speaker_name = factory.SelfAttribute("recording.speaker_name")
    index = factory.Sequence(lambda n: n)
    start_ms = factory.LazyAttribute(lambda o: o.index * 2000)
    end_ms = factory.LazyAttribute(lambda o: o.start_ms + 1500)
    text = factory.Sequence(lambda n: f"segment {n}: I would use a hash map here")
    confidence = 0.9


class InsightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insight
        django_get_or_create = ("interview", "kind")

    interview = factory.SubFactory(InterviewFactory)
    kind = Insight.Kind.SUMMARY
    status = Insight.Status.READY
    provider = "offline"
    payload = factory.LazyFunction(lambda: {"label": "AI-generated", "highlights": [], "questions": []})
