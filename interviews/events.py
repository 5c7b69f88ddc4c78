"""Realtime events of the interview room: group names, payload shapes and the broadcast helper.

Domain code calls :func:`broadcast_on_commit`; it never imports Channels itself. Messages that
cross the channel layer are JSON of primitives (they travel through Redis between processes).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, NotRequired, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# --- event names of the socket contract (DESIGN.md §4.1) ---------------------------------
JOIN_ROOM = "JOIN_ROOM"
ROOM_PEERS = "ROOM_PEERS"
USER_JOINED = "USER_JOINED"
USER_LEFT = "USER_LEFT"
OFFER = "OFFER"
ANSWER = "ANSWER"
ICE_CANDIDATE = "ICE_CANDIDATE"
PUSH_QUESTION = "push_question"
CHAT = "CHAT"
ERROR = "ERROR"
# Extensions of the contract (the room page uses them; other clients may ignore them).
CHAT_HISTORY = "CHAT_HISTORY"  # to a joiner: the chat so far, as that participant may see it
MEDIA_STATE = "MEDIA_STATE"
END_INTERVIEW = "END_INTERVIEW"
PING = "PING"
PONG = "PONG"
EDITOR_STATE = "EDITOR_STATE"  # the shared editor's language, lock and run switch
GUESS_LANGUAGE = "GUESS_LANGUAGE"  # to the server: which language is this pasted snippet?
LANGUAGE_GUESS = "LANGUAGE_GUESS"  # its answer, to the sender only
# The Run button (docs/execution.md): a program's output streams to everyone in the room, and
# anyone but an observer may type into its stdin. Test-case runs go to the interviewers only.
RUN_CODE = "RUN_CODE"  # to the server: {language, code, stdin?}
RUN_STDIN = "RUN_STDIN"  # to the server: {runId, text?, eof?}
RUN_STOP = "RUN_STOP"  # to the server: {runId}
RUN_STARTED = "RUN_STARTED"  # to the room: {runId, language, fromId}
RUN_OUTPUT = "RUN_OUTPUT"  # to the room: {runId, chunks: [{stream: stdout|stderr|stdin, text}]}
RUN_FINISHED = "RUN_FINISHED"  # to the room: {runId, verdict, message, exitCode, wallMs, ...}
RUN_TESTS = "RUN_TESTS"  # to the server (interviewers): {problemId?, language, code}
RUN_TESTS_RESULT = "RUN_TESTS_RESULT"  # to the interviewers: every case, hidden ones included
RUN_HISTORY = "RUN_HISTORY"  # to the server (interviewers): {} → the same name back with the history
# Recording (docs/recording.md): the recorder peer of the media process is in the room. Sent to
# the room when it joins ({recording: true}) and leaves (false), and to each late joiner.
RECORDING_STATE = "RECORDING_STATE"
# To the recorder only: a participant withdrew their consent ({userId}); it stops at once.
RECORDING_CONSENT_WITHDRAWN = "RECORDING_CONSENT_WITHDRAWN"

RELAYED_TO_TARGET = (OFFER, ANSWER, ICE_CANDIDATE)

# --- close codes ---------------------------------------------------------------------------
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_REPLACED = 4409  # the same participant connected again elsewhere
CLOSE_ROOM_CLOSED = 4410  # the interviewer ended the interview
CLOSE_POLICY = 1008  # kept flooding after rate_limited
CLOSE_TOO_BIG = 1009


class UserInfo(TypedDict):
    name: str
    role: Literal["interviewer", "candidate", "observer", "recorder"]
    staff: bool
    audio: bool
    video: bool


class Peer(TypedDict):
    userId: str
    userInfo: UserInfo


class ChatPayload(TypedDict):
    id: int
    text: str
    fromId: str
    sentAt: str
    targetId: NotRequired[str]


class RecordingState(TypedDict):
    recording: bool


class ConsentWithdrawn(TypedDict):
    userId: str


class RoomClosed(TypedDict):
    type: Literal["room.closed"]
    reason: str


def room_group(room_id: uuid.UUID | str) -> str:
    """The channel-layer group of everyone in a room."""
    return f"room.{uuid.UUID(str(room_id)).hex}"


def peer_group(room_id: uuid.UUID | str, peer_id: uuid.UUID | str) -> str:
    """The group of one peer *inside one room*: a peer id alone never reaches another room."""
    return f"{room_group(room_id)}.peer.{uuid.UUID(str(peer_id)).hex}"


def leads_group(room_id: uuid.UUID | str) -> str:
    """The group of the sockets of a room's interviewers (and staff): hidden test results go here."""
    return f"{room_group(room_id)}.leads"


def recorder_group(room_id: uuid.UUID | str) -> str:
    """The group of the recorder's socket in a room (consent changes go there, nowhere else)."""
    return f"{room_group(room_id)}.recorder"


def document_group(room_id: uuid.UUID | str, name: str) -> str:
    """The group of every socket editing one Yjs document of a room, on any process."""
    return f"{room_group(room_id)}.doc.{name}"


def broadcast(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to a channel-layer group now (from synchronous code)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def broadcast_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to ``group`` once the current transaction commits (never on rollback)."""
    transaction.on_commit(lambda: broadcast(group, message))
