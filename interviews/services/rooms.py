"""The interview room's rules: who may enter and when, presence, pushed questions, chat, ending.

The WebSocket consumer is a thin adapter over these functions; they are synchronous and run in a
worker thread (``database_sync_to_async``). Presence lives in the database, not in a process's
memory, so several web processes sharing Redis agree on who is in a room.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from accounts.services import audit_record
from interviews import events, signals
from interviews.models import ChatMessage, Interview, InterviewQuestionPlan, Participant, RoomPresence
from interviews.selectors import candidate_rows_for_user, participant_get_by_token
from talentsync.errors import ApplicationError

#: a presence row not refreshed for this long belongs to a socket whose process died
PRESENCE_STALE_AFTER = timedelta(seconds=90)
#: how often the server refreshes the presence row of each live socket (see RoomConsumer)
PRESENCE_REFRESH_EVERY = timedelta(seconds=30)
OPEN_STATUSES = (Interview.Status.SCHEDULED, Interview.Status.LIVE)
STAFF_ROLES = (Role.ADMIN, Role.RECRUITER)
#: the largest primary key a database holds (a bigint); larger ids name no row
MAX_ROW_ID = 2**63 - 1


class RoomRefused(ApplicationError):
    """The room refuses this socket or message; ``close_code`` says whether to close it too."""

    code = "forbidden"
    status = 403

    def __init__(self, message: str, *, code: str | None = None, close_code: int | None = None):
        super().__init__(message, code=code)
        self.close_code = close_code


@dataclass(frozen=True)
class RoomJoined:
    peers: list[events.Peer]
    user_info: events.UserInfo
    replaced_channel: str | None
    #: when each socket took its seat (ISO, microseconds): this one, and the peers already there.
    #: A message published just before a socket joined can still reach it through Redis pub/sub;
    #: these stamps let the consumer tell an old USER_JOINED from a peer's new join.
    joined_at: str = ""
    peers_joined_at: dict[str, str] | None = None


def _related(queryset: Any) -> Any:
    return queryset.select_related(
        "interview__organization", "interview__stage", "interview__position", "user", "candidate"
    )


def _check_open(participant: Participant, *, room_id: uuid.UUID) -> None:
    interview = participant.interview
    if interview.room_id != room_id:
        raise RoomRefused(_("This link is for another room."), code="forbidden", close_code=events.CLOSE_NOT_ALLOWED)
    if interview.status not in OPEN_STATUSES:
        raise RoomRefused(_("This interview has ended."), code="room_closed", close_code=events.CLOSE_NOT_ALLOWED)
    now = timezone.now()
    opens_at = interview.scheduled_at - timedelta(minutes=settings.ROOM_OPENS_MINUTES_BEFORE)
    if interview.status == Interview.Status.SCHEDULED and now < opens_at:
        raise RoomRefused(
            _("The room opens %(minutes)s minutes before the interview starts.")
            % {"minutes": settings.ROOM_OPENS_MINUTES_BEFORE},
            code="room_not_open",
            close_code=events.CLOSE_NOT_ALLOWED,
        )


def room_access_by_token(*, room_id: uuid.UUID, token: str) -> Participant:
    """The participant a join token admits to ``room_id`` now; refuses with a close code otherwise."""
    participant = participant_get_by_token(token=token)
    if participant is None:
        raise RoomRefused(
            _("This join link is not valid."), code="unauthenticated", close_code=events.CLOSE_NOT_AUTHENTICATED
        )
    if participant.revoked_at is not None or participant.token_expires_at <= timezone.now():
        raise RoomRefused(
            _("This join link no longer works."), code="unauthenticated", close_code=events.CLOSE_NOT_AUTHENTICATED
        )
    _check_open(participant, room_id=room_id)
    return participant


@transaction.atomic
def room_access_by_session(*, room_id: uuid.UUID, user: User) -> Participant:
    """The participant a signed-in user is in ``room_id``.

    Admins and recruiters of the organization may drop in on any of its rooms: they enter as
    observers (a participant row is added and audited) and keep their staff rights there.
    """
    interview = Interview.objects.select_related("organization").filter(room_id=room_id).first()
    membership = (
        Membership.objects.filter(user=user, organization=interview.organization).first() if interview else None
    )
    if interview is None or membership is None:
        raise RoomRefused(_("You are not a participant of this room."), close_code=events.CLOSE_NOT_ALLOWED)
    mine = _related(Participant.objects.filter(interview=interview))
    participant = mine.filter(user=user).first() or (
        mine.filter(
            role=Participant.Role.CANDIDATE,
            candidate__in=candidate_rows_for_user(user=user, membership=membership).values("pk"),
        ).first()
    )
    if participant is None and membership.role in STAFF_ROLES:
        _check_open(Participant(interview=interview), room_id=room_id)
        try:
            with transaction.atomic():
                participant = Participant.objects.create(
                    interview=interview,
                    user=user,
                    role=Participant.Role.OBSERVER,
                    token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                    token_expires_at=interview.ends_at,
                    revoked_at=timezone.now(),  # no join link: this seat is for the session only
                )
        except IntegrityError:  # a second tab of the same person raced us
            participant = mine.get(user=user)
        else:
            audit_record(action="participant.add", actor=user, target=participant, changes={"role": "observer"})
        participant = mine.get(pk=participant.pk)
    if participant is None:
        raise RoomRefused(_("You are not a participant of this room."), close_code=events.CLOSE_NOT_ALLOWED)
    _check_open(participant, room_id=room_id)
    return participant


def participant_is_staff(participant: Participant) -> bool:
    """Whether the participant is an admin or recruiter of the interview's organization."""
    if participant.user_id is None:
        return False
    return Membership.objects.filter(
        user_id=participant.user_id, organization_id=participant.interview.organization_id, role__in=STAFF_ROLES
    ).exists()


def participant_may_lead(participant: Participant) -> bool:
    """Interviewers, and admins/recruiters present, may push questions and end the interview."""
    return participant.role == Participant.Role.INTERVIEWER or participant_is_staff(participant)


def user_info(participant: Participant, *, audio: bool = False, video: bool = False) -> events.UserInfo:
    """What the room shows about a participant; built by the server, never taken from a client."""
    return {
        "name": participant.display_name,
        "role": participant.role,  # type: ignore[typeddict-item]
        "staff": participant_is_staff(participant),
        "audio": audio,
        "video": video,
    }


def peer_id(participant: Participant) -> str:
    return participant.peer_id.hex


@transaction.atomic
def room_join(*, participant: Participant, channel_name: str, audio: bool = False, video: bool = False) -> RoomJoined:
    """Register a socket in the room and list the peers already there.

    The interview row is locked so two joins cannot both take the last seat. A second socket of
    the same participant takes over the seat; the old channel is returned so it can be closed.
    """
    interview = Interview.objects.select_for_update().get(pk=participant.interview_id)
    if interview.status not in OPEN_STATUSES:
        raise RoomRefused(_("This interview has ended."), code="room_closed", close_code=events.CLOSE_NOT_ALLOWED)
    now = timezone.now()
    RoomPresence.objects.filter(interview=interview, seen_at__lt=now - PRESENCE_STALE_AFTER).delete()
    present = list(
        RoomPresence.objects.filter(interview=interview)
        .exclude(participant=participant)
        .select_related("participant__user", "participant__candidate", "participant__interview")
    )
    if len(present) >= settings.ROOM_MAX_PARTICIPANTS:
        raise RoomRefused(
            _("This room is full (%(n)s people).") % {"n": settings.ROOM_MAX_PARTICIPANTS},
            code="room_full",
            close_code=events.CLOSE_NOT_ALLOWED,
        )
    previous = RoomPresence.objects.filter(participant=participant).first()
    replaced = previous.channel_name if previous and previous.channel_name != channel_name else None
    RoomPresence.objects.update_or_create(
        participant=participant,
        defaults={"interview": interview, "channel_name": channel_name, "connected_at": now, "seen_at": now},
    )
    # The room opens before the start, and whoever comes first waits there. The interview starts
    # only when the candidate and someone who may lead it are in together: until then it is
    # still scheduled, so it can be cancelled (which sends the waiting people away) or moved.
    if interview.status == Interview.Status.SCHEDULED and _meets(participant, [p.participant for p in present]):
        interview.status = Interview.Status.LIVE
        interview.started_at = now
        interview.save(update_fields=["status", "started_at", "updated_at"])
        audit_record(action="interview.start", actor=participant.user, target=interview)
    peers: list[events.Peer] = [
        {"userId": peer_id(p.participant), "userInfo": user_info(p.participant)} for p in present
    ]
    return RoomJoined(
        peers=peers,
        user_info=user_info(participant, audio=audio, video=video),
        replaced_channel=replaced,
        joined_at=now.isoformat(),
        peers_joined_at={peer_id(p.participant): p.connected_at.isoformat() for p in present},
    )


@dataclass(frozen=True)
class RecorderJoined:
    interview_id: int
    peers: list[events.Peer]
    peers_joined_at: dict[str, str]


def room_join_recorder(*, room_id: uuid.UUID) -> RecorderJoined:
    """The peers a recorder joining ``room_id`` finds there; refuses a closed room or one not recorded.

    The recorder takes no seat (see ``interviews.realtime.recorder``): nothing is written here.
    """
    interview = Interview.objects.select_related("stage").filter(room_id=room_id).first()
    if interview is None or interview.status not in OPEN_STATUSES:
        raise RoomRefused(_("This interview has ended."), code="room_closed", close_code=events.CLOSE_NOT_ALLOWED)
    if not interview.stage.config.toolsConfig.get("recording"):
        raise RoomRefused(
            _("This interview's stage is not recorded."), code="forbidden", close_code=events.CLOSE_NOT_ALLOWED
        )
    cutoff = timezone.now() - PRESENCE_STALE_AFTER
    present = list(
        RoomPresence.objects.filter(interview=interview, seen_at__gte=cutoff).select_related(
            "participant__user", "participant__candidate", "participant__interview"
        )
    )
    return RecorderJoined(
        interview_id=interview.pk,
        peers=[{"userId": peer_id(p.participant), "userInfo": user_info(p.participant)} for p in present],
        peers_joined_at={peer_id(p.participant): p.connected_at.isoformat() for p in present},
    )


def _meets(joiner: Participant, present: list[Participant]) -> bool:
    """Whether the candidate and someone who may lead are in the room once ``joiner`` is in."""
    everyone = [joiner, *present]
    if not any(p.role == Participant.Role.CANDIDATE for p in everyone):
        return False
    return any(p.role != Participant.Role.CANDIDATE and participant_may_lead(p) for p in everyone)


def room_touch(*, participant_id: int, channel_name: str) -> None:
    """Refresh a live socket's presence so it is not taken for a dead one."""
    RoomPresence.objects.filter(participant_id=participant_id, channel_name=channel_name).update(seen_at=timezone.now())


def room_leave(*, participant_id: int, channel_name: str) -> bool:
    """Forget a socket; False when it had already been replaced or removed (no USER_LEFT then)."""
    deleted, _rows = RoomPresence.objects.filter(participant_id=participant_id, channel_name=channel_name).delete()
    return deleted > 0


def room_peer_ids(*, interview_id: int) -> set[str]:
    """Peer ids present in a room right now (fresh rows only)."""
    cutoff = timezone.now() - PRESENCE_STALE_AFTER
    return {
        pid.hex
        for pid in RoomPresence.objects.filter(interview_id=interview_id, seen_at__gte=cutoff).values_list(
            "participant__peer_id", flat=True
        )
    }


@transaction.atomic
def question_push(*, participant: Participant, question_id: Any) -> dict[str, Any]:
    """Show a planned question to the room; returns exactly what the candidate may see.

    The payload is built from the stored question's text alone, so hints and the answer guide
    cannot leave the server whatever the client asked for.
    """
    if not participant_may_lead(participant):
        raise RoomRefused(_("Only interviewers can push questions."), code="forbidden")
    if isinstance(question_id, bool) or not isinstance(question_id, int) or question_id < 1:
        raise RoomRefused(_("questionId must be a positive integer."), code="bad_frame")
    if question_id > MAX_ROW_ID:  # would overflow the query itself
        raise RoomRefused(_("This question is not in the interview's plan."), code="unknown_question")
    item = (
        InterviewQuestionPlan.objects.select_related("question")
        .filter(interview_id=participant.interview_id, question_id=question_id)
        .first()
    )
    if item is None:
        raise RoomRefused(_("This question is not in the interview's plan."), code="unknown_question")
    if item.asked_at is None:
        item.asked_at = timezone.now()
        item.save(update_fields=["asked_at"])
    audit_record(
        action="question.push",
        actor=participant.user,
        organization=participant.interview.organization,
        target=item.question,
        changes={"interview": participant.interview_id},
    )
    return {"questionId": item.question_id, "questionText": item.question.question_text}


def chat_post(*, participant: Participant, text: Any, target: Participant | None = None) -> ChatMessage:
    """Store a chat line (to the room, or privately to ``target``) and return it."""
    if not isinstance(text, str):
        raise RoomRefused(_("Chat text must be a string."), code="bad_frame")
    text = text.strip()
    if not text:
        raise RoomRefused(_("A chat message cannot be empty."), code="bad_frame")
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        raise RoomRefused(_("A chat message cannot contain NUL characters."), code="bad_frame")
    if len(text) > ChatMessage.MAX_LENGTH:
        raise RoomRefused(
            _("A chat message holds at most %(n)s characters.") % {"n": ChatMessage.MAX_LENGTH}, code="bad_frame"
        )
    if target is not None and (target.interview_id != participant.interview_id or target.pk == participant.pk):
        raise RoomRefused(_("targetId must name another peer in this room."), code="invalid_target")
    message = ChatMessage(interview_id=participant.interview_id, sender=participant, recipient=target, text=text)
    message.full_clean(exclude=["interview", "sender", "recipient"])
    message.save()
    return message


def chat_payload(message: ChatMessage, *, sender: Participant, target: Participant | None) -> events.ChatPayload:
    payload: events.ChatPayload = {
        "id": message.pk,
        "text": message.text,
        "fromId": peer_id(sender),
        "sentAt": message.sent_at.isoformat(),
    }
    if target is not None:
        payload["targetId"] = peer_id(target)
    return payload


def chat_history(*, participant: Participant, limit: int = 200) -> list[events.ChatPayload]:
    """The room's chat as this participant may see it: group lines and their own private ones."""
    rows = (
        ChatMessage.objects.filter(interview_id=participant.interview_id)
        .filter(Q(recipient__isnull=True) | Q(recipient=participant) | Q(sender=participant))
        .select_related("sender", "recipient")
        .order_by("-sent_at", "-pk")[:limit]
    )
    return [chat_payload(m, sender=m.sender, target=m.recipient) for m in reversed(rows)]


def participant_in_room(*, interview_id: int, peer: str) -> Participant | None:
    """The participant of this interview with peer id ``peer`` (None for anything else)."""
    try:
        pid = uuid.UUID(hex=peer) if isinstance(peer, str) and len(peer) == 32 else None
    except ValueError:
        pid = None
    if pid is None:
        return None
    return Participant.objects.filter(interview_id=interview_id, peer_id=pid).first()


@transaction.atomic
def interview_end(*, participant: Participant) -> Interview:
    """End a live interview from its room: everyone is disconnected and the links stop working."""
    if not participant_may_lead(participant):
        raise RoomRefused(_("Only interviewers can end the interview."), code="forbidden")
    interview = Interview.objects.select_for_update().get(pk=participant.interview_id)
    if interview.status not in OPEN_STATUSES:
        raise RoomRefused(_("This interview has already ended."), code="room_closed")
    interview.status = Interview.Status.COMPLETED
    interview.ended_at = timezone.now()
    interview.save(update_fields=["status", "ended_at", "updated_at"])
    RoomPresence.objects.filter(interview=interview).delete()
    audit_record(action="interview.end", actor=participant.user, target=interview)
    room_close_on_commit(interview=interview, reason=_("The interviewer ended the interview."))
    interview_id = interview.pk
    transaction.on_commit(lambda: signals.send_interview_ended(interview_id=interview_id))
    return interview


def room_close_on_commit(*, interview: Interview, reason: str) -> None:
    """Disconnect everyone in the room once the change that closed it commits."""
    message: events.RoomClosed = {"type": "room.closed", "reason": reason}
    events.broadcast_on_commit(events.room_group(interview.room_id), dict(message))
    for name in ("code", "whiteboard"):  # the shared documents' sockets close too
        events.broadcast_on_commit(events.document_group(interview.room_id, name), dict(message))


def ice_servers(*, participant: Participant) -> list[dict[str, Any]]:
    """STUN/TURN servers for the page, with short-lived TURN credentials for this participant."""
    servers: list[dict[str, Any]] = []
    if settings.ROOM_STUN_URLS:
        servers.append({"urls": list(settings.ROOM_STUN_URLS)})
    if settings.ROOM_TURN_URLS and settings.ROOM_TURN_SECRET:
        username, credential = turn_credentials(peer=peer_id(participant))
        servers.append({"urls": list(settings.ROOM_TURN_URLS), "username": username, "credential": credential})
    return servers


def turn_credentials(*, peer: str, now: float | None = None) -> tuple[str, str]:
    """coturn REST-API credentials: ``<expiry>:<peer>`` signed with the shared secret."""
    expires = int(now if now is not None else time.time()) + settings.ROOM_TURN_TTL_SECONDS
    username = f"{expires}:{peer}"
    digest = hmac.new(settings.ROOM_TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()
