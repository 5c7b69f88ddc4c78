"""The recorder's seat in a room: its credential and its presence (docs/recording.md).

The recorder peer of the media process (``recordings.recorder``) joins rooms through the same
socket as browsers, but it is not a participant: no ``Participant`` row (so no e-mails,
scorecards, reminders or participant lists), no ``RoomPresence`` row (so it never takes a seat
and never counts toward ``room_full``).

**Credential.** The media process signs ``{room, peer, nonce}`` with the project's secret and a
salt of its own, and sends it in the ``X-TalentSync-Recorder`` handshake header. Browsers cannot
set headers on a WebSocket handshake, no page or API ever hands such a value out, and a value
signed for anything else (sessions, join links, media URLs) fails here because of the salt. It is
valid for ``MEDIA_CREDENTIAL_TTL_SECONDS`` and only once (its nonce is claimed in the cache), so a
value that leaked from a log cannot be replayed.

**Presence.** Where the recorder is lives in the cache (Redis in production, so every web process
agrees), refreshed by its socket's heartbeat like ``RoomPresence`` rows, and expiring when the
process holding the socket dies. One recorder per room: the seat is claimed with ``cache.add``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from interviews import events
from interviews.services.rooms import PRESENCE_STALE_AFTER, RoomRefused

HEADER = b"x-talentsync-recorder"
SALT = "talentsync.room.recorder.v1"
#: what the recorder may send: signaling only (no chat, questions, runs or editor state)
ALLOWED_FRAMES = frozenset({events.JOIN_ROOM, events.OFFER, events.ANSWER, events.ICE_CANDIDATE, events.PING})
#: what reaches the recorder from the room: presence, media state and signaling, never chat
DELIVERED_EVENTS = frozenset(
    {
        events.USER_JOINED,
        events.USER_LEFT,
        events.OFFER,
        events.ANSWER,
        events.ICE_CANDIDATE,
        events.MEDIA_STATE,
        events.RECORDING_CONSENT_WITHDRAWN,
    }
)


def recorder_peer_id() -> str:
    """A fresh peer id for a recorder, an opaque UUID like every peer id.

    It starts with ``ffffffff`` so it sorts after every browser's id: the room page's perfect
    negotiation makes the smaller id the polite side, so on an offer collision the browser rolls
    back and the recorder (which cannot roll back) keeps its offer.
    """
    return "ffffffff" + uuid.uuid4().hex[8:]


def credential_mint(*, room_id: uuid.UUID | str, peer: str) -> str:
    """A credential for one recorder socket in ``room_id`` (the media process calls this)."""
    return signing.dumps(
        {"room": uuid.UUID(str(room_id)).hex, "peer": uuid.UUID(hex=peer).hex, "nonce": secrets.token_hex(16)},
        salt=SALT,
    )


def _refused(message: str) -> RoomRefused:
    return RoomRefused(message, code="unauthenticated", close_code=events.CLOSE_NOT_AUTHENTICATED)


def credential_check(*, room_id: uuid.UUID, value: str) -> str:
    """The recorder peer id a credential admits to ``room_id``, claiming it; refuses otherwise."""
    try:
        data: Any = signing.loads(value, salt=SALT, max_age=settings.MEDIA_CREDENTIAL_TTL_SECONDS)
    except signing.SignatureExpired as error:
        raise _refused(_("This recorder credential has expired.")) from error
    except signing.BadSignature as error:
        raise _refused(_("This recorder credential is not valid.")) from error
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("room", "peer", "nonce")):
        raise _refused(_("This recorder credential is not valid."))
    if data["room"] != room_id.hex:
        raise RoomRefused(
            _("This recorder credential is for another room."), code="forbidden", close_code=events.CLOSE_NOT_ALLOWED
        )
    if not cache.add(f"room-recorder-nonce:{data['nonce']}", 1, settings.MEDIA_CREDENTIAL_TTL_SECONDS + 5):
        raise _refused(_("This recorder credential was used already."))
    return str(data["peer"])


@dataclass(frozen=True)
class RecorderSeat:
    peer: str
    channel_name: str
    joined_at: str


def _key(room_id: uuid.UUID) -> str:
    return f"room-recorder:{room_id.hex}"


def _timeout() -> int:
    return int(PRESENCE_STALE_AFTER.total_seconds())


def seat_get(*, room_id: uuid.UUID) -> RecorderSeat | None:
    """The recorder in the room now, if any."""
    value = cache.get(_key(room_id))
    if not isinstance(value, dict):
        return None
    return RecorderSeat(peer=value["peer"], channel_name=value["channel"], joined_at=value["joinedAt"])


def seat_claim(*, room_id: uuid.UUID, seat: RecorderSeat) -> bool:
    """Take the room's recorder seat; False when another recorder holds it."""
    value = {"peer": seat.peer, "channel": seat.channel_name, "joinedAt": seat.joined_at}
    if cache.add(_key(room_id), value, _timeout()):
        return True
    held = seat_get(room_id=room_id)
    return held is not None and held.channel_name == seat.channel_name


def seat_refresh(*, room_id: uuid.UUID, seat: RecorderSeat) -> None:
    """Keep the seat while the socket lives (called by its heartbeat)."""
    held = seat_get(room_id=room_id)
    if held is None or held.channel_name == seat.channel_name:
        cache.set(
            _key(room_id), {"peer": seat.peer, "channel": seat.channel_name, "joinedAt": seat.joined_at}, _timeout()
        )


def seat_release(*, room_id: uuid.UUID, channel_name: str) -> bool:
    """Give the seat up; False when this socket did not hold it."""
    held = seat_get(room_id=room_id)
    if held is None or held.channel_name != channel_name:
        return False
    cache.delete(_key(room_id))
    return True


def user_info() -> events.UserInfo:
    """How browsers see the recorder: a peer to send media to, with no tile of its own."""
    return {"name": _("Recorder"), "role": "recorder", "staff": False, "audio": False, "video": False}


def peer_entry(seat: RecorderSeat) -> events.Peer:
    return {"userId": seat.peer, "userInfo": user_info()}
