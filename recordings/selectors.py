"""Reads of recordings, transcripts and media settings, scoped to the actor and organization.

Who may see an interview's recordings and transcripts is exactly who may watch its playback
(``interviews.selectors.document_playback_get``): the organization's hiring staff, the panel of
that interview, never its candidate, never another organization.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Organization
from interviews.models import Interview
from interviews.selectors import document_playback_get
from recordings.models import MediaSettings, Recording, TranscriptSegment


def interview_media_get(*, actor: Any, organization: Organization, interview_id: Any) -> Interview | None:
    """The interview, when the actor may see its recordings, transcripts and insights; else None."""
    target = document_playback_get(actor=actor, organization=organization, interview_id=interview_id)
    return target.interview if target is not None else None


def recording_list_visible(*, actor: Any, organization: Organization, interview: Interview) -> QuerySet[Recording]:
    """The interview's recordings that are not deleted, when the actor may see them (else none)."""
    if interview_media_get(actor=actor, organization=organization, interview_id=interview.pk) is None:
        return Recording.objects.none()
    return Recording.objects.filter(interview_id=interview.pk, deleted_at__isnull=True).select_related(
        "participant", "session"
    )


def recording_get_visible(*, actor: Any, recording_id: Any) -> Recording | None:
    """One recording (deleted or not) when the actor may see its interview; else None.

    The organization is the recording's own: the permission check in that organization decides.
    """
    recording = Recording.objects.select_related("interview__organization").filter(pk=recording_id).first()
    if recording is None:
        return None
    interview = interview_media_get(
        actor=actor, organization=recording.interview.organization, interview_id=recording.interview_id
    )
    return recording if interview is not None else None


def transcript_list_visible(
    *, actor: Any, organization: Organization, interview: Interview
) -> QuerySet[TranscriptSegment]:
    """The interview's transcript segments in time order, when the actor may see them (else none)."""
    if interview_media_get(actor=actor, organization=organization, interview_id=interview.pk) is None:
        return TranscriptSegment.objects.none()
    return (
        TranscriptSegment.objects.filter(interview_id=interview.pk, recording__deleted_at__isnull=True)
        .select_related("recording")
        .order_by("recording__started_at", "start_ms", "recording_id", "index")
    )


def media_settings_get(organization: Organization) -> MediaSettings:
    """The organization's recording and AI settings, created with the defaults on first use.

    A read with a get-or-create: every organization has settings, they just may not be saved yet.
    Takes ``organization`` by position or keyword.
    """
    settings, _ = MediaSettings.objects.get_or_create(organization=organization)
    return settings
