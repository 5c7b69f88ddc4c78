"""Consent to be recorded: given on the room's pre-join screen, withdrawn from inside the room.

The recorder records a room only while every participant present holds an active consent
(``room_recording_allowed``). Withdrawing tells the recorder at once (an event to its socket
only), so it stops without waiting for its next look at the database.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import audit_record
from interviews import events
from interviews.models import Interview, Participant, RoomPresence
from interviews.services.rooms import OPEN_STATUSES, PRESENCE_STALE_AFTER
from recordings.models import RecordingConsent
from talentsync.errors import StateError

#: what a participant agrees to; the text they saw is stored with their consent
CONSENT_TEXT = gettext_lazy(
    "This interview is recorded: the camera, microphone and screen share of everyone in the room are "
    "saved, transcribed and analysed to help the hiring team review it. Recording runs only while "
    "everyone present has agreed, a Recording sign shows while it runs, and you can withdraw your "
    "consent in the room at any time. Recordings are encrypted and kept for a limited time."
)
USER_AGENT_MAX = 300


def stage_records(interview: Interview) -> bool:
    """Whether the interview's stage has recording on."""
    return bool(interview.stage.config.toolsConfig.get("recording"))


def consent_active(*, participant: Participant) -> bool:
    """Whether the participant's consent to be recorded stands now."""
    return RecordingConsent.objects.filter(participant=participant, withdrawn_at__isnull=True).exists()


def _check_open(participant: Participant) -> Interview:
    interview = Interview.objects.select_related("stage", "organization").get(pk=participant.interview_id)
    if not stage_records(interview):
        raise StateError(_("This interview is not recorded, so there is nothing to agree to."), code="recording_off")
    if interview.status not in OPEN_STATUSES:
        raise StateError(_("This interview has ended."), code="room_closed")
    return interview


@transaction.atomic
def recording_consent_give(*, participant: Participant, ip_address: str | None, user_agent: str) -> RecordingConsent:
    """Record that ``participant`` agrees to be recorded (again, after a withdrawal)."""
    interview = _check_open(participant)
    consent = RecordingConsent.objects.select_for_update().filter(participant=participant).first()
    if consent is not None and consent.active:
        return consent  # agreeing twice changes nothing
    consent = consent or RecordingConsent(participant=participant, interview=interview)
    consent.granted_at = timezone.now()
    consent.withdrawn_at = None
    consent.consent_text = str(CONSENT_TEXT)
    consent.ip_address = ip_address or None
    consent.user_agent = (user_agent or "")[:USER_AGENT_MAX]
    consent.full_clean(exclude=["participant", "interview"])
    consent.save()
    audit_record(
        action="recording.consent.give",
        actor=participant.user,
        organization=interview.organization,
        target=participant,
        changes={"interview": interview.pk},
    )
    return consent


@transaction.atomic
def recording_consent_withdraw(*, participant: Participant) -> RecordingConsent | None:
    """Withdraw ``participant``'s consent; the recorder in their room leaves at once."""
    interview = Interview.objects.select_related("organization").get(pk=participant.interview_id)
    consent = RecordingConsent.objects.select_for_update().filter(participant=participant).first()
    if consent is None or not consent.active:
        return consent  # nothing stands: nothing to withdraw
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_record(
        action="recording.consent.withdraw",
        actor=participant.user,
        organization=interview.organization,
        target=participant,
        changes={"interview": interview.pk},
    )
    withdrawn: events.ConsentWithdrawn = {"userId": participant.peer_id.hex}
    events.broadcast_on_commit(
        events.recorder_group(interview.room_id),
        {"type": "room.event", "event": events.RECORDING_CONSENT_WITHDRAWN, "payload": dict(withdrawn)},
    )
    return consent


def present_participants(*, interview_id: int, now: datetime | None = None) -> list[int]:
    """Ids of the participants whose socket is in the room now (fresh presence rows)."""
    cutoff = (now or timezone.now()) - PRESENCE_STALE_AFTER
    return list(
        RoomPresence.objects.filter(interview_id=interview_id, seen_at__gte=cutoff).values_list(
            "participant_id", flat=True
        )
    )


def room_recording_allowed(*, interview_id: int) -> bool:
    """Whether the room may be recorded now: open, recorded stage, someone in, everyone consenting."""
    interview = Interview.objects.select_related("stage").filter(pk=interview_id).first()
    if interview is None or interview.status not in OPEN_STATUSES or not stage_records(interview):
        return False
    present = present_participants(interview_id=interview_id)
    if not present:
        return False
    consenting = RecordingConsent.objects.filter(participant_id__in=present, withdrawn_at__isnull=True).count()
    return consenting == len(set(present))
