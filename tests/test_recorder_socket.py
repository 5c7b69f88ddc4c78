"""The recorder's seat in the room socket, through ``talentsync.asgi.application`` (docs/recording.md).

Its credential can be minted only with the project's secret and its own salt, works once, for
one room, for a short time, and only in a header (browsers cannot set one on a WebSocket). In the
room it is a peer of role ``recorder``: it may only signal, it receives no chat, it takes no seat
and no participant row, and everyone is told it records (late joiners too).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.core import signing

from interviews.models import Participant, RoomPresence
from interviews.realtime import recorder
from talentsync.asgi import application
from tests.conftest import Tenant
from tests.test_room_consumer import (  # noqa: F401 (autouse fixtures of the room's socket tests)
    ORIGIN,
    TIMEOUT,
    Peer,
    Room,
    Sockets,
    channel_layer_of_this_test,
    chat_barrier,
    close_connections_of_the_async_stack,
    db,
    make_room,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _recorded_room(tenant: Tenant) -> Room:
    room = make_room(tenant)
    stage = room.interview.stage
    stage.tools_config = {**stage.config.toolsConfig, "recording": True}
    stage.save(update_fields=["tools_config"])
    return room


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    net = Sockets()
    yield net
    await net.close_all()


@pytest.fixture
async def room(acme: Tenant) -> Room:
    return await db(_recorded_room, acme)


async def dial_recorder(sockets: Sockets, room_id: str, credential: str, *, query: str = "") -> Peer:
    from channels.testing import WebsocketCommunicator

    headers = [(b"origin", ORIGIN), (recorder.HEADER, credential.encode())]
    ws = WebsocketCommunicator(application, f"/ws/rooms/{room_id}/{query}", headers=headers)
    sockets.opened.append(ws)
    connected, code = await ws.connect(timeout=TIMEOUT)
    assert connected, code
    return Peer(ws)


async def join_recorder(sockets: Sockets, room: Room) -> Peer:
    peer_id = recorder.recorder_peer_id()
    rec = await dial_recorder(sockets, room.id, recorder.credential_mint(room_id=room.id, peer=peer_id))
    await rec.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {"name": "anything", "role": "interviewer"}})
    rec.id = (await rec.expect("ROOM_PEERS"))["selfId"]
    assert rec.id == peer_id
    return rec


async def test_the_recorder_joins_as_a_peer_of_role_recorder_and_everyone_is_told_it_records(
    room: Room, sockets: Sockets
) -> None:
    # given: two participants in the room
    lead, cand = await sockets.meet(room, "lead", "candidate")
    # when
    rec = await join_recorder(sockets, room)
    # then: each sees a peer of role recorder join (the name and role come from the server)
    for peer in (lead, cand):
        joined = await peer.expect("USER_JOINED")
        assert joined == {
            "userId": rec.id,
            "userInfo": {"name": "Recorder", "role": "recorder", "staff": False, "audio": False, "video": False},
        }
        assert await peer.expect("RECORDING_STATE") == {"recording": True}
    # and: it takes no seat and is no participant
    assert await db(lambda: RoomPresence.objects.filter(interview=room.interview).count()) == 2
    assert await db(lambda: Participant.objects.filter(interview=room.interview).count()) == 3


async def test_a_late_joiner_gets_the_recorder_in_room_peers_and_the_recording_state(
    room: Room, sockets: Sockets
) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")
    rec = await join_recorder(sockets, room)
    assert (await lead.expect("USER_JOINED"))["userId"] == rec.id
    # when: the candidate comes later
    cand = await sockets.open(room, "candidate")
    await cand.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {}})
    peers = await cand.expect("ROOM_PEERS")
    cand.id = peers["selfId"]
    # then
    assert [(p["userId"], p["userInfo"]["role"]) for p in peers["peers"]] == [
        (lead.id, "interviewer"),
        (rec.id, "recorder"),
    ]
    assert await cand.expect("RECORDING_STATE") == {"recording": True}
    # and: the candidate may signal to the recorder, which gets it stamped with the sender
    await cand.send("OFFER", {"sdp": {"type": "offer", "sdp": "v=0"}, "targetId": rec.id})
    assert (await rec.expect("USER_JOINED"))["userId"] == cand.id
    assert await rec.expect("OFFER") == {"sdp": {"type": "offer", "sdp": "v=0"}, "targetId": rec.id, "fromId": cand.id}


async def test_the_recorder_does_not_count_toward_a_full_room(room: Room, sockets: Sockets, settings: Any) -> None:
    # given: a room of two, full
    settings.ROOM_MAX_PARTICIPANTS = 2
    await sockets.meet(room, "lead", "candidate")
    # when / then: the recorder still joins
    rec = await join_recorder(sockets, room)
    assert rec.id


async def test_the_recorder_may_only_signal_and_receives_no_chat(room: Room, sockets: Sockets) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")
    rec = await join_recorder(sockets, room)
    await lead.expect("USER_JOINED")
    await lead.expect("RECORDING_STATE")
    # when: it tries what only participants do
    for kind, payload in (
        ("CHAT", {"text": "hello"}),
        ("push_question", {"questionId": room.question.pk}),
        ("END_INTERVIEW", {}),
        ("MEDIA_STATE", {"audio": True}),
        ("RUN_CODE", {"language": "python", "code": "print(1)"}),
    ):
        await rec.send(kind, payload)
        # then
        assert await rec.error() == "forbidden", kind
    # and: the room's chat does not reach it, nor may a participant chat to it privately
    await chat_barrier(lead, text="for people only")
    await lead.send("CHAT", {"text": "psst", "targetId": rec.id})
    assert await lead.error() == "invalid_target"
    await lead.send("OFFER", {"sdp": {"type": "offer", "sdp": "v=0"}, "targetId": rec.id})
    assert (await rec.expect("OFFER"))["fromId"] == lead.id  # the next thing it got: no chat before


async def test_when_the_recorder_leaves_everyone_is_told_recording_stopped(room: Room, sockets: Sockets) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")
    rec = await join_recorder(sockets, room)
    await lead.expect("USER_JOINED")
    await lead.expect("RECORDING_STATE")
    # when
    await rec.ws.disconnect()
    # then
    assert await lead.expect("USER_LEFT") == {"userId": rec.id}
    assert await lead.expect("RECORDING_STATE") == {"recording": False}
    assert recorder.seat_get(room_id=room.interview.room_id) is None


async def test_a_second_recorder_is_refused(room: Room, sockets: Sockets) -> None:
    # given
    await join_recorder(sockets, room)
    # when
    other = await dial_recorder(
        sockets, room.id, recorder.credential_mint(room_id=room.id, peer=recorder.recorder_peer_id())
    )
    await other.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {}})
    # then
    assert await other.error() == "recorder_busy"
    assert await other.closed_with() == 4403


# --- the credential ------------------------------------------------------------------------
async def refused(sockets: Sockets, room_id: str, credential: str, *, query: str = "") -> tuple[str, int]:
    peer = await dial_recorder(sockets, room_id, credential, query=query)
    return await peer.error(), await peer.closed_with()


async def test_a_recorder_credential_works_once(room: Room, sockets: Sockets) -> None:
    # given: a credential that was used
    credential = recorder.credential_mint(room_id=room.id, peer=recorder.recorder_peer_id())
    first = await dial_recorder(sockets, room.id, credential)
    await first.ws.disconnect()
    # when / then: the same value again is refused
    assert await refused(sockets, room.id, credential) == ("unauthenticated", 4401)


async def test_a_recorder_credential_for_another_room_is_refused(acme: Tenant, room: Room, sockets: Sockets) -> None:
    other = await db(_recorded_room, acme)
    credential = recorder.credential_mint(room_id=other.id, peer=recorder.recorder_peer_id())
    assert await refused(sockets, room.id, credential) == ("forbidden", 4403)


async def test_an_expired_recorder_credential_is_refused(room: Room, sockets: Sockets, settings: Any) -> None:
    credential = recorder.credential_mint(room_id=room.id, peer=recorder.recorder_peer_id())
    settings.MEDIA_CREDENTIAL_TTL_SECONDS = 1
    await asyncio.sleep(2.1)  # the signature's own clock: no way around waiting for it to age
    assert await refused(sockets, room.id, credential) == ("unauthenticated", 4401)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda room_id, peer: "not-a-credential", id="garbage"),
        # the same payload signed for something else (another salt): what other signed values look like
        pytest.param(
            lambda room_id, peer: signing.dumps({"room": room_id.hex, "peer": peer, "nonce": "n" * 32}),
            id="default-salt",
        ),
        pytest.param(
            lambda room_id, peer: signing.dumps(
                {"room": room_id.hex, "peer": peer, "nonce": "n" * 32}, key="guessed", salt=recorder.SALT
            ),
            id="other-key",
        ),
    ],
)
async def test_a_forged_recorder_credential_is_refused(room: Room, sockets: Sockets, forge: Any) -> None:
    credential = forge(room.interview.room_id, recorder.recorder_peer_id())
    assert await refused(sockets, room.id, credential) == ("unauthenticated", 4401)


async def test_a_credential_in_the_address_is_no_credential(room: Room, sockets: Sockets) -> None:
    # given: what a browser could do with a leaked value: put it where it can (the query string)
    credential = recorder.credential_mint(room_id=room.id, peer=recorder.recorder_peer_id())
    peer, (connected, _code) = await sockets.dial(room.id, token=credential)
    # then: it is taken for a (bad) join token, never for the recorder
    assert connected
    assert await peer.error() == "unauthenticated"
    assert await peer.closed_with() == 4401


async def test_a_recorder_cannot_join_a_room_whose_stage_is_not_recorded(acme: Tenant, sockets: Sockets) -> None:
    # given: recording off for the stage
    plain = await db(make_room, acme)
    rec = await dial_recorder(
        sockets, plain.id, recorder.credential_mint(room_id=plain.id, peer=recorder.recorder_peer_id())
    )
    # when
    await rec.send("JOIN_ROOM", {"roomId": plain.id, "userInfo": {}})
    # then
    assert await rec.error() == "forbidden"
    assert await rec.closed_with() == 4403
