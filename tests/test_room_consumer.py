"""The room socket (DESIGN.md §4.1) through ``talentsync.asgi.application``: every event, role and refusal.

Each socket goes through the project's full stack (origin validation, session middleware,
routing, ``RoomConsumer``, the channel layer, the database). Where a test states that something
is *not* delivered, it sends a later frame over the same path and checks that the later frame is
the next thing each peer receives: the channel layer keeps the order of one sender's messages,
so anything the refused frame had leaked would have arrived first.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from asgiref.sync import sync_to_async
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import AuditLog, Role, User
from interviews import services
from interviews.factories import InterviewFactory, ParticipantFactory, QuestionFactory
from interviews.models import (
    ChatMessage,
    Interview,
    InterviewQuestion,
    InterviewQuestionPlan,
    Participant,
    RoomDocument,
    RoomPresence,
)
from interviews.services import rooms
from talentsync.asgi import application
from tests.conftest import Tenant

TIMEOUT = 5
ORIGIN = b"http://localhost"
HINT = "HINT-SECRET-7f3a"
GUIDE = "GUIDE-SECRET-9c1e"
# what the test communicator reports for a handshake AllowedHostsOriginValidator rejected
HANDSHAKE_REJECTED = (False, 1000)

pytestmark = pytest.mark.django_db(transaction=True)


# --- the room -------------------------------------------------------------------------------
@dataclass
class Room:
    interview: Interview
    tokens: dict[str, str]
    people: dict[str, Participant]
    question: InterviewQuestion

    @property
    def id(self) -> str:
        return str(self.interview.room_id)


def make_room(
    tenant: Tenant,
    *,
    starts_in: timedelta = timedelta(minutes=5),
    status: str = Interview.Status.SCHEDULED,
    candidate_email: str | None = None,
) -> Room:
    """An interview of ``tenant`` with an interviewer, the candidate and a non-staff observer."""
    interview = InterviewFactory(
        organization=tenant.org,
        candidate__organization=tenant.org,
        candidate__position__organization=tenant.org,
        scheduled_at=timezone.now() + starts_in,
        status=status,
    )
    if candidate_email:
        interview.candidate.email = candidate_email
        interview.candidate.save(update_fields=["email"])
    hexid = interview.room_id.hex
    observer = UserFactory(email=f"observer-{hexid[:12]}@{tenant.org.slug}.test", full_name="Quiet Observer")
    MembershipFactory(user=observer, organization=tenant.org, role=Role.INTERVIEWER)
    tokens = {key: f"{key}-{hexid}" for key in ("lead", "candidate", "observer")}
    people = {
        "lead": ParticipantFactory(interview=interview, user=tenant.users["interviewer"], token=tokens["lead"]),
        "candidate": ParticipantFactory(
            interview=interview,
            user=None,
            candidate=interview.candidate,
            role=Participant.Role.CANDIDATE,
            token=tokens["candidate"],
        ),
        "observer": ParticipantFactory(
            interview=interview, user=observer, role=Participant.Role.OBSERVER, token=tokens["observer"]
        ),
    }
    question = QuestionFactory(organization=tenant.org, interviewer_hints=HINT, expected_answer_guide=GUIDE)
    InterviewQuestionPlan.objects.create(interview=interview, question=question, order=1)
    return Room(interview=interview, tokens=tokens, people=people, question=question)


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def db(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await sync_to_async(fn)(*args, **kwargs)


# --- sockets --------------------------------------------------------------------------------
@dataclass
class Peer:
    ws: WebsocketCommunicator
    id: str = ""
    seen: list[str] = field(default_factory=list)

    async def send(self, kind: str, payload: Any = None) -> None:
        await self.ws.send_json_to({"type": kind, "payload": {} if payload is None else payload})

    async def recv(self) -> dict[str, Any]:
        text = await self.ws.receive_from(timeout=TIMEOUT)
        self.seen.append(text)
        frame: dict[str, Any] = json.loads(text)
        return frame

    async def expect(self, kind: str) -> dict[str, Any]:
        frame = await self.recv()
        assert frame["type"] == kind, frame
        payload: dict[str, Any] = frame["payload"]
        return payload

    async def error(self) -> str:
        return str((await self.expect("ERROR"))["code"])

    async def closed_with(self) -> int:
        output = await self.ws.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.close", output
        return int(output["code"])

    async def quiet(self) -> bool:
        return bool(await self.ws.receive_nothing(timeout=0.2))


class Sockets:
    """Opens room sockets through the ASGI app and disconnects whatever a test leaves open."""

    def __init__(self) -> None:
        self.opened: list[WebsocketCommunicator] = []

    async def dial(
        self, room_id: str, *, token: str | None = None, cookie: bytes | None = None, origin: bytes | None = ORIGIN
    ) -> tuple[Peer, tuple[bool, int | None]]:
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if cookie is not None:
            headers.append((b"cookie", cookie))
        path = f"/ws/rooms/{room_id}/" + (f"?token={token}" if token is not None else "")
        ws = WebsocketCommunicator(application, path, headers=headers)
        self.opened.append(ws)
        connected, code = await ws.connect(timeout=TIMEOUT)
        return Peer(ws), (connected, code)

    async def refusal(self, room_id: str, **kwargs: Any) -> tuple[str, int]:
        """Dial a socket the room refuses after the handshake: (ERROR code, close code)."""
        peer, (connected, code) = await self.dial(room_id, **kwargs)
        assert connected, f"handshake rejected ({code}) where a 44xx close was expected"
        return await peer.error(), await peer.closed_with()

    async def open(self, room: Room, who: str | None = None, *, cookie: bytes | None = None) -> Peer:
        peer, (connected, code) = await self.dial(room.id, token=room.tokens[who] if who else None, cookie=cookie)
        assert connected, code
        return peer

    async def enter(self, room: Room, who: str | None = None, *, cookie: bytes | None = None) -> Peer:
        """Connect and JOIN_ROOM; the returned peer knows its ``id`` from ROOM_PEERS."""
        peer = await self.open(room, who, cookie=cookie)
        await peer.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {"name": "from the client"}})
        peer.id = (await peer.expect("ROOM_PEERS"))["selfId"]
        return peer

    async def meet(self, room: Room, *who: str) -> list[Peer]:
        """Everyone in ``who`` joins in turn; the USER_JOINED frames this causes are consumed."""
        peers: list[Peer] = []
        for name in who:
            newcomer = await self.enter(room, name)
            for peer in peers:
                assert (await peer.expect("USER_JOINED"))["userId"] == newcomer.id
            peers.append(newcomer)
        return peers

    async def close_all(self) -> None:
        for ws in self.opened:
            if not ws.future.done():
                await ws.disconnect(timeout=TIMEOUT)


@pytest.fixture(autouse=True)
async def close_connections_of_the_async_stack() -> AsyncIterator[None]:
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
async def channel_layer_of_this_test() -> AsyncIterator[None]:
    """A channel layer made on this test's event loop, closed at its end.

    channels_redis binds its receive lock and connection pools to the loop that first used them,
    and every test runs on a loop of its own.
    """
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    yield
    layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    close_pools = getattr(layer, "close_pools", None)
    if close_pools is not None:
        await close_pools()


@pytest.fixture
async def sockets(
    close_connections_of_the_async_stack: None, channel_layer_of_this_test: None
) -> AsyncIterator[Sockets]:
    net = Sockets()
    yield net
    await net.close_all()


@pytest.fixture
async def room(acme: Tenant) -> Room:
    return await db(make_room, acme)


async def chat_barrier(sender: Peer, *others: Peer, text: str = "barrier") -> None:
    """The sender's next group line is the next frame of everyone (nothing was queued before it)."""
    await sender.send("CHAT", {"text": text})
    for peer in (sender, *others):
        frame = await peer.recv()
        assert frame["type"] == "CHAT", f"expected the barrier, got {frame}"
        assert frame["payload"]["text"] == text


# === connect: refusals =======================================================================
async def test_socket_without_origin_is_rejected_at_the_handshake(room: Room, sockets: Sockets) -> None:
    # given: a valid join token but no Origin header
    # when
    _, result = await sockets.dial(room.id, token=room.tokens["lead"], origin=None)

    # then
    assert result == HANDSHAKE_REJECTED


async def test_socket_from_a_foreign_origin_is_rejected_at_the_handshake(room: Room, sockets: Sockets) -> None:
    # given: a page of another site using a valid join token
    # when
    _, result = await sockets.dial(room.id, token=room.tokens["lead"], origin=b"https://evil.example")

    # then
    assert result == HANDSHAKE_REJECTED


async def test_socket_without_token_or_session_is_closed_with_4401(room: Room, sockets: Sockets) -> None:
    # given / when: no token, no session cookie
    refusal = await sockets.refusal(room.id)

    # then
    assert refusal == ("unauthenticated", 4401)


async def test_unknown_token_is_closed_with_4401(room: Room, sockets: Sockets) -> None:
    # given / when
    refusal = await sockets.refusal(room.id, token="no-such-token-" + "z" * 30)

    # then
    assert refusal == ("unauthenticated", 4401)


async def test_revoked_token_is_closed_with_4401(room: Room, sockets: Sockets) -> None:
    # given
    candidate = room.people["candidate"]
    candidate.revoked_at = timezone.now()
    await db(candidate.save, update_fields=["revoked_at"])

    # when
    refusal = await sockets.refusal(room.id, token=room.tokens["candidate"])

    # then
    assert refusal == ("unauthenticated", 4401)


async def test_expired_token_is_closed_with_4401(room: Room, sockets: Sockets) -> None:
    # given
    candidate = room.people["candidate"]
    candidate.token_expires_at = timezone.now() - timedelta(seconds=1)
    await db(candidate.save, update_fields=["token_expires_at"])

    # when
    refusal = await sockets.refusal(room.id, token=room.tokens["candidate"])

    # then
    assert refusal == ("unauthenticated", 4401)


async def test_valid_token_of_another_interview_is_closed_with_4403(acme: Tenant, room: Room, sockets: Sockets) -> None:
    # given: a working link of another interview's room
    other = await db(make_room, acme)

    # when
    refusal = await sockets.refusal(room.id, token=other.tokens["candidate"])

    # then
    assert refusal == ("forbidden", 4403)


@pytest.mark.parametrize("status", [Interview.Status.COMPLETED, Interview.Status.CANCELLED])
async def test_ended_interview_refuses_with_room_closed_and_4403(acme: Tenant, sockets: Sockets, status: str) -> None:
    # given
    room = await db(make_room, acme, status=status)

    # when
    refusal = await sockets.refusal(room.id, token=room.tokens["lead"])

    # then
    assert refusal == ("room_closed", 4403)


async def test_room_refuses_before_it_opens_with_room_not_open_and_4403(acme: Tenant, sockets: Sockets) -> None:
    # given: the interview starts a minute after the room's opening window
    starts_in = timedelta(minutes=settings.ROOM_OPENS_MINUTES_BEFORE + 1)
    room = await db(make_room, acme, starts_in=starts_in)

    # when
    refusal = await sockets.refusal(room.id, token=room.tokens["candidate"])

    # then
    assert refusal == ("room_not_open", 4403)


async def test_room_admits_within_its_opening_window(acme: Tenant, sockets: Sockets) -> None:
    # given: the interview starts a minute before the window's far end
    room = await db(make_room, acme, starts_in=timedelta(minutes=settings.ROOM_OPENS_MINUTES_BEFORE - 1))

    # when
    peer = await sockets.enter(room, "candidate")

    # then
    assert peer.id == room.people["candidate"].peer_id.hex


async def test_malformed_room_id_is_closed_with_4403(room: Room, sockets: Sockets) -> None:
    # given: a path the route matches that is no UUID
    # when
    _, result = await sockets.dial("-" * 36, token=room.tokens["lead"])

    # then
    assert result == (False, 4403)


# === connect: session authentication =========================================================
async def test_participant_user_enters_with_the_session(acme: Tenant, room: Room, sockets: Sockets) -> None:
    # given: the interviewer signed in, no token
    cookie = await db(session_cookie, acme.users["interviewer"])

    # when
    peer = await sockets.enter(room, cookie=cookie)

    # then: the room knows them as their participant row
    assert peer.id == room.people["lead"].peer_id.hex


@pytest.mark.parametrize("role", ["admin", "recruiter"])
async def test_staff_of_the_organization_drops_in_as_an_observer(
    acme: Tenant, room: Room, sockets: Sockets, role: str
) -> None:
    # given: an admin or recruiter who is no participant of the interview
    user = acme.users[role]
    cookie = await db(session_cookie, user)

    # when
    peer = await sockets.enter(room, cookie=cookie)

    # then: a participant row is added for them as observer, and the drop-in is audited
    seat = await db(Participant.objects.get, interview=room.interview, user=user)
    assert (seat.role, seat.peer_id.hex) == (Participant.Role.OBSERVER, peer.id)
    audited = await db(AuditLog.objects.filter(action="participant.add", actor=user, target_id=str(seat.pk)).exists)
    assert audited


async def test_member_who_is_neither_participant_nor_staff_is_closed_with_4403(
    acme: Tenant, room: Room, sockets: Sockets
) -> None:
    # given: an interviewer of the organization who is not on this interview
    outsider = await db(UserFactory, email="bystander@acme.test")
    await db(MembershipFactory, user=outsider, organization=acme.org, role=Role.INTERVIEWER)
    cookie = await db(session_cookie, outsider)

    # when
    refusal = await sockets.refusal(room.id, cookie=cookie)

    # then
    assert refusal == ("forbidden", 4403)
    assert not await db(Participant.objects.filter(interview=room.interview, user=outsider).exists)


async def test_admin_of_another_organization_is_closed_with_4403(globex: Tenant, room: Room, sockets: Sockets) -> None:
    # given
    cookie = await db(session_cookie, globex.users["admin"])

    # when
    refusal = await sockets.refusal(room.id, cookie=cookie)

    # then
    assert refusal == ("forbidden", 4403)


async def test_candidate_member_with_the_candidates_verified_address_enters_as_the_candidate(
    acme: Tenant, sockets: Sockets
) -> None:
    # given: a candidate member whose verified e-mail is the interview's candidate's e-mail
    user = acme.users["candidate"]
    room = await db(make_room, acme, candidate_email=user.email)
    cookie = await db(session_cookie, user)

    # when
    peer = await sockets.enter(room, cookie=cookie)

    # then
    assert peer.id == room.people["candidate"].peer_id.hex


async def test_candidate_member_with_an_unverified_matching_address_is_closed_with_4403(
    acme: Tenant, sockets: Sockets
) -> None:
    # given: the same address, but never verified (anyone could have signed up with it)
    user = acme.users["candidate"]
    room = await db(make_room, acme, candidate_email=user.email)
    await db(EmailAddress.objects.filter(user=user).update, verified=False)
    cookie = await db(session_cookie, user)

    # when
    refusal = await sockets.refusal(room.id, cookie=cookie)

    # then
    assert refusal == ("forbidden", 4403)


# === JOIN_ROOM ===============================================================================
async def test_join_replies_room_peers_with_self_id_and_the_peers_already_there(
    acme: Tenant, room: Room, sockets: Sockets
) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")
    candidate = await sockets.open(room, "candidate")

    # when
    await candidate.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {}})

    # then
    assert await candidate.expect("ROOM_PEERS") == {
        "selfId": room.people["candidate"].peer_id.hex,
        "peers": [
            {
                "userId": lead.id,
                "userInfo": {
                    "name": str(acme.users["interviewer"]),
                    "role": "interviewer",
                    "staff": False,
                    "audio": False,
                    "video": False,
                },
            }
        ],
    }


async def test_join_announces_user_joined_to_the_others_only(room: Room, sockets: Sockets) -> None:
    # given
    lead, observer = await sockets.meet(room, "lead", "observer")

    # when
    candidate = await sockets.enter(room, "candidate")

    # then
    for peer in (lead, observer):
        joined = await peer.expect("USER_JOINED")
        assert set(joined) == {"userId", "userInfo"}
        assert joined["userId"] == candidate.id
    assert await candidate.quiet()


async def test_user_info_is_built_by_the_server_whatever_the_client_claims(room: Room, sockets: Sockets) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")
    candidate = await sockets.open(room, "candidate")

    # when: the candidate claims to be a staff interviewer called Mallory
    forged = {"name": "Mallory", "role": "interviewer", "staff": True, "video": True}
    await candidate.send("JOIN_ROOM", {"roomId": room.id, "userInfo": forged})

    # then: only the media flags come from the client
    info = (await lead.expect("USER_JOINED"))["userInfo"]
    assert info == {
        "name": room.interview.candidate.full_name,
        "role": "candidate",
        "staff": False,
        "audio": False,
        "video": True,
    }


async def test_join_with_another_rooms_id_is_forbidden_and_does_not_join(
    acme: Tenant, room: Room, sockets: Sockets
) -> None:
    # given
    other = await db(make_room, acme)
    candidate = await sockets.open(room, "candidate")

    # when
    await candidate.send("JOIN_ROOM", {"roomId": other.id, "userInfo": {}})

    # then
    assert await candidate.error() == "forbidden"
    await candidate.send("CHAT", {"text": "am I in?"})
    assert await candidate.error() == "not_joined"


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("OFFER", {"sdp": "v=0", "targetId": "0" * 32}),
        ("ANSWER", {"sdp": "v=0", "targetId": "0" * 32}),
        ("ICE_CANDIDATE", {"candidate": {}, "targetId": "0" * 32}),
        ("push_question", {"questionId": 1}),
        ("CHAT", {"text": "hello"}),
        ("END_INTERVIEW", {}),
    ],
)
async def test_frames_before_join_room_are_refused_with_not_joined(
    room: Room, sockets: Sockets, kind: str, payload: dict[str, Any]
) -> None:
    # given: a connected interviewer that has not joined
    lead = await sockets.open(room, "lead")

    # when
    await lead.send(kind, payload)

    # then
    assert await lead.error() == "not_joined"
    assert await db(Interview.objects.filter(pk=room.interview.pk, status=Interview.Status.SCHEDULED).exists)


async def test_join_to_a_full_room_is_refused_with_room_full(room: Room, sockets: Sockets, settings: Any) -> None:
    # given: a room of two, with two people in it
    settings.ROOM_MAX_PARTICIPANTS = 2
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    observer = await sockets.open(room, "observer")

    # when
    await observer.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {}})

    # then: refused and closed; the two inside hear nothing of it
    assert await observer.error() == "room_full"
    assert await observer.closed_with() == 4403
    await chat_barrier(lead, candidate)
    assert not await db(RoomPresence.objects.filter(participant=room.people["observer"]).exists)


async def test_second_socket_of_a_participant_replaces_the_first(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when: the candidate opens the room in a second window
    second = await sockets.enter(room, "candidate")

    # then: the first window is told and closed with 4409; the seat stays the same peer
    assert await candidate.error() == "replaced"
    assert await candidate.closed_with() == 4409
    assert second.id == candidate.id
    assert (await lead.expect("USER_JOINED"))["userId"] == second.id


async def test_replaced_socket_going_away_sends_no_user_left(room: Room, sockets: Sockets) -> None:
    # given: the candidate's first window was replaced by a second one
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    second = await sockets.enter(room, "candidate")
    await lead.expect("USER_JOINED")
    assert await candidate.error() == "replaced"

    # when: the first window's socket goes away
    await candidate.ws.disconnect(timeout=TIMEOUT)

    # then: the interviewer hears nothing of it, and the second window still holds the seat
    await chat_barrier(second, lead)
    assert await db(RoomPresence.objects.filter(participant=room.people["candidate"]).exists)


# === OFFER / ANSWER / ICE_CANDIDATE ==========================================================
@pytest.mark.parametrize(
    ("kind", "body", "value"),
    [
        ("OFFER", "sdp", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"),
        ("ANSWER", "sdp", {"type": "answer", "sdp": "v=0"}),
        ("ICE_CANDIDATE", "candidate", {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host", "sdpMid": "0"}),
        ("ICE_CANDIDATE", "candidate", None),  # end of candidates
    ],
)
async def test_signal_reaches_only_its_target_stamped_with_the_real_sender(
    room: Room, sockets: Sockets, kind: str, body: str, value: Any
) -> None:
    # given
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")

    # when: the candidate signals the interviewer, claiming to be the observer
    await candidate.send(kind, {body: value, "targetId": lead.id, "fromId": observer.id})

    # then: the target gets it stamped with the candidate's id; nobody else gets anything
    assert await lead.recv() == {"type": kind, "payload": {body: value, "targetId": lead.id, "fromId": candidate.id}}
    await chat_barrier(candidate, observer, lead)


@pytest.mark.parametrize("target", ["unknown", "other_room", "own_id", "number", "list", "missing"])
async def test_signal_to_a_forged_target_is_invalid_target_and_delivered_nowhere(
    acme: Tenant, room: Room, sockets: Sockets, target: str
) -> None:
    # given: three peers here, and an interviewer connected in another interview's room
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")
    other_room = await db(make_room, acme)
    (elsewhere,) = await sockets.meet(other_room, "candidate")
    target_id = {
        "unknown": "0123456789abcdef0123456789abcdef",
        "other_room": elsewhere.id,
        "own_id": candidate.id,
        "number": 12345,
        "list": [lead.id],
    }.get(target)
    payload: dict[str, Any] = {"sdp": "v=0"}
    if target != "missing":
        payload["targetId"] = target_id

    # when
    await candidate.send("OFFER", payload)

    # then
    assert await candidate.error() == "invalid_target"
    await chat_barrier(candidate, lead, observer)
    assert await elsewhere.quiet()


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("OFFER", {}),
        ("ANSWER", {"sdp": 42}),
        ("ICE_CANDIDATE", {}),
        ("ICE_CANDIDATE", {"candidate": ["a"]}),
    ],
)
async def test_signal_without_a_usable_body_is_bad_frame(
    room: Room, sockets: Sockets, kind: str, payload: dict[str, Any]
) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send(kind, {**payload, "targetId": lead.id})

    # then
    assert await candidate.error() == "bad_frame"
    await chat_barrier(candidate, lead)


# === push_question ===========================================================================
async def test_interviewer_push_delivers_exactly_the_question_text_to_the_others(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")

    # when: the client asks for more than the id
    await lead.send("push_question", {"questionId": room.question.pk, "include": ["interviewerHints"]})

    # then
    expected = {
        "type": "push_question",
        "payload": {"questionId": room.question.pk, "questionText": room.question.question_text, "fromId": lead.id},
    }
    assert await candidate.recv() == expected
    assert await observer.recv() == expected
    await chat_barrier(lead, candidate, observer)  # no echo to the interviewer


async def test_hints_and_answer_guide_reach_no_socket(room: Room, sockets: Sockets) -> None:
    # given: everyone in the room
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")

    # when: the question is pushed and talked about, the candidate rejoins, it is pushed again
    await lead.send("push_question", {"questionId": room.question.pk})
    await candidate.expect("push_question")
    await observer.expect("push_question")
    await chat_barrier(candidate, lead, observer, text="question received")
    await candidate.ws.disconnect(timeout=TIMEOUT)
    back = await sockets.enter(room, "candidate")
    await back.expect("CHAT_HISTORY")
    for peer in (lead, observer):
        await peer.expect("USER_LEFT")
        await peer.expect("USER_JOINED")
    await lead.send("push_question", {"questionId": room.question.pk})
    await back.expect("push_question")
    await observer.expect("push_question")
    await chat_barrier(lead, back, observer)

    # then
    everything = "".join(text for peer in (lead, candidate, observer, back) for text in peer.seen)
    assert room.question.question_text in everything
    assert HINT not in everything
    assert GUIDE not in everything


@pytest.mark.parametrize("who", ["candidate", "observer"])
async def test_push_by_anyone_but_an_interviewer_is_forbidden(room: Room, sockets: Sockets, who: str) -> None:
    # given
    names = ("lead", "candidate", "observer")
    peers = dict(zip(names, await sockets.meet(room, *names), strict=True))
    sender = peers.pop(who)

    # when
    await sender.send("push_question", {"questionId": room.question.pk})

    # then
    assert await sender.error() == "forbidden"
    await chat_barrier(sender, *peers.values())
    assert await db(InterviewQuestionPlan.objects.filter(interview=room.interview, asked_at__isnull=True).exists)


@pytest.mark.parametrize("question", ["same_org_not_planned", "other_org", "absent", "beyond_bigint"])
async def test_push_of_a_question_outside_the_plan_is_unknown_question(
    acme: Tenant, globex: Tenant, room: Room, sockets: Sockets, question: str
) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    bank = await db(QuestionFactory, organization=acme.org)
    foreign = await db(QuestionFactory, organization=globex.org)
    question_id = {
        "same_org_not_planned": bank.pk,
        "other_org": foreign.pk,
        "absent": foreign.pk + 1000,
        "beyond_bigint": 2**63,
    }[question]

    # when
    await lead.send("push_question", {"questionId": question_id})

    # then
    assert await lead.error() == "unknown_question"
    await chat_barrier(lead, candidate)


@pytest.mark.parametrize("question_id", ["1", 1.0, True, None, 0, -3, [1], {"id": 1}])
async def test_push_with_a_question_id_that_is_no_positive_integer_is_bad_frame(
    room: Room, sockets: Sockets, question_id: Any
) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await lead.send("push_question", {"questionId": question_id})

    # then
    assert await lead.error() == "bad_frame"
    await chat_barrier(lead, candidate)


async def test_push_without_a_question_id_is_bad_frame(room: Room, sockets: Sockets) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")

    # when
    await lead.send("push_question", {})

    # then
    assert await lead.error() == "bad_frame"


async def test_push_marks_the_question_asked_and_is_audited(acme: Tenant, room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await lead.send("push_question", {"questionId": room.question.pk})
    await candidate.expect("push_question")

    # then
    plan = await db(InterviewQuestionPlan.objects.get, interview=room.interview, question=room.question)
    assert plan.asked_at is not None
    entry = await db(AuditLog.objects.filter(action="question.push").get)
    assert (entry.actor_id, entry.target_id) == (acme.users["interviewer"].pk, str(room.question.pk))
    assert entry.changes == {"interview": room.interview.pk}


async def test_recruiter_present_as_observer_may_push(acme: Tenant, room: Room, sockets: Sockets) -> None:
    # given: a recruiter dropped in (observer seat) next to the candidate
    (candidate,) = await sockets.meet(room, "candidate")
    recruiter = await sockets.enter(room, cookie=await db(session_cookie, acme.users["recruiter"]))
    await candidate.expect("USER_JOINED")

    # when
    await recruiter.send("push_question", {"questionId": room.question.pk})

    # then
    pushed = await candidate.expect("push_question")
    assert (pushed["questionId"], pushed["fromId"]) == (room.question.pk, recruiter.id)


# === CHAT ====================================================================================
async def test_group_chat_reaches_everyone_and_echoes_to_the_sender(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")

    # when: with a forged fromId
    await candidate.send("CHAT", {"text": "  Hello <b>all</b>  ", "fromId": lead.id})

    # then: the same stored line reaches everyone
    echoed = await candidate.recv()
    assert await lead.recv() == echoed
    assert await observer.recv() == echoed
    assert echoed["type"] == "CHAT"
    assert set(echoed["payload"]) == {"id", "text", "fromId", "sentAt"}
    assert (echoed["payload"]["text"], echoed["payload"]["fromId"]) == ("Hello <b>all</b>", candidate.id)


async def test_private_chat_reaches_only_its_target_and_echoes_to_the_sender(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")

    # when
    await lead.send("CHAT", {"text": "just between us", "targetId": observer.id})

    # then
    delivered = await observer.recv()
    assert await lead.recv() == delivered
    assert set(delivered["payload"]) == {"id", "text", "fromId", "targetId", "sentAt"}
    assert (delivered["payload"]["fromId"], delivered["payload"]["targetId"]) == (lead.id, observer.id)
    await chat_barrier(lead, candidate, observer)


async def test_chat_lines_are_stored_with_sender_and_recipient(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send("CHAT", {"text": "to everyone"})
    sent = (await candidate.expect("CHAT"))["id"]
    await lead.expect("CHAT")
    await lead.send("CHAT", {"text": "to you", "targetId": candidate.id})
    private = (await lead.expect("CHAT"))["id"]

    # then
    rows = await db(
        lambda: {
            m.pk: (m.text, m.sender_id, m.recipient_id) for m in ChatMessage.objects.filter(interview=room.interview)
        }
    )
    assert rows == {
        sent: ("to everyone", room.people["candidate"].pk, None),
        private: ("to you", room.people["lead"].pk, room.people["candidate"].pk),
    }


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t", "x" * (ChatMessage.MAX_LENGTH + 1), 42, None, ["hi"], {"t": "hi"}, "nul\x00byte"],
    ids=["empty", "whitespace", "too-long", "number", "null", "list", "object", "nul-char"],
)
async def test_chat_without_acceptable_text_is_bad_frame(room: Room, sockets: Sockets, text: Any) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send("CHAT", {"text": text})

    # then: refused, not stored, not delivered
    assert await candidate.error() == "bad_frame"
    await chat_barrier(candidate, lead)
    assert await db(ChatMessage.objects.filter(interview=room.interview).count) == 1


async def test_chat_with_a_lone_surrogate_is_bad_frame(room: Room, sockets: Sockets) -> None:
    # given: text no database can store (an unpaired UTF-16 surrogate escaped in valid JSON)
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.ws.send_to(text_data='{"type": "CHAT", "payload": {"text": "a\\ud800b"}}')

    # then
    assert await candidate.error() == "bad_frame"
    await chat_barrier(candidate, lead)


@pytest.mark.parametrize("target", ["unknown", "other_room", "own_id"])
async def test_private_chat_to_a_peer_outside_the_room_is_invalid_target(
    acme: Tenant, room: Room, sockets: Sockets, target: str
) -> None:
    # given
    _lead, candidate = await sockets.meet(room, "lead", "candidate")
    other_room = await db(make_room, acme)
    (elsewhere,) = await sockets.meet(other_room, "candidate")
    target_id = {"unknown": "f" * 32, "other_room": elsewhere.id, "own_id": candidate.id}[target]

    # when
    await candidate.send("CHAT", {"text": "psst", "targetId": target_id})

    # then
    assert await candidate.error() == "invalid_target"
    assert not await db(ChatMessage.objects.exists)
    assert await elsewhere.quiet()


async def test_late_joiner_gets_group_lines_and_only_their_own_private_lines(room: Room, sockets: Sockets) -> None:
    # given: a group line and private lines to, from and between others
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")
    await lead.send("CHAT", {"text": "welcome"})
    for peer in (lead, candidate, observer):
        await peer.expect("CHAT")
    lines = [
        (lead, candidate, "to the candidate"),
        (candidate, lead, "from the candidate"),
        (lead, observer, "between the staff"),
    ]
    for sender, target, text in lines:
        await sender.send("CHAT", {"text": text, "targetId": target.id})
        await sender.expect("CHAT")
        await target.expect("CHAT")
    await candidate.ws.disconnect(timeout=TIMEOUT)

    # when: the candidate comes back
    back = await sockets.open(room, "candidate")
    await back.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {}})
    await back.expect("ROOM_PEERS")

    # then
    history = (await back.expect("CHAT_HISTORY"))["messages"]
    assert [(m["text"], m["fromId"], m.get("targetId")) for m in history] == [
        ("welcome", lead.id, None),
        ("to the candidate", lead.id, candidate.id),
        ("from the candidate", candidate.id, lead.id),
    ]


async def test_joiner_of_a_room_without_chat_gets_no_history(room: Room, sockets: Sockets) -> None:
    # given
    (lead,) = await sockets.meet(room, "lead")

    # when
    candidate = await sockets.enter(room, "candidate")

    # then
    await lead.expect("USER_JOINED")
    await chat_barrier(lead, candidate)


# === limits ==================================================================================
async def test_frame_over_64_kib_is_frame_too_large_and_the_socket_keeps_working(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    frame = json.dumps({"type": "OFFER", "payload": {"sdp": "v" * (64 * 1024), "targetId": lead.id}})

    # when
    await candidate.ws.send_to(text_data=frame)

    # then: refused, not relayed, and the socket still works
    assert await candidate.error() == "frame_too_large"
    await chat_barrier(candidate, lead)


async def test_frame_size_is_counted_in_utf8_bytes(room: Room, sockets: Sockets) -> None:
    # given: 40,000 characters that take 80,000 bytes
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    frame = json.dumps({"type": "OFFER", "payload": {"sdp": "é" * 40_000, "targetId": lead.id}}, ensure_ascii=False)

    # when
    await candidate.ws.send_to(text_data=frame)

    # then
    assert await candidate.error() == "frame_too_large"


async def test_frame_of_exactly_64_kib_is_relayed(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    empty = json.dumps({"type": "OFFER", "payload": {"sdp": "", "targetId": lead.id}})
    sdp = "v" * (64 * 1024 - len(empty))
    frame = json.dumps({"type": "OFFER", "payload": {"sdp": sdp, "targetId": lead.id}})
    assert len(frame.encode()) == 64 * 1024

    # when
    await candidate.ws.send_to(text_data=frame)

    # then
    assert (await lead.expect("OFFER"))["sdp"] == sdp


async def test_binary_frame_is_bad_frame(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.ws.send_to(bytes_data=b'{"type": "CHAT", "payload": {"text": "hi"}}')

    # then
    assert await candidate.error() == "bad_frame"
    await chat_barrier(candidate, lead)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        " ",
        "[1, 2]",
        '"JOIN_ROOM"',
        "null",
        '{"payload": {}}',
        '{"type": 5, "payload": {}}',
        '{"type": "CHAT", "payload": ["hi"]}',
        '{"type": "CHAT", "payload": null}',
        '{"type": "CHAT", "payload": "hi"}',
        '{"type": "CHAT", "payload": {"text": ' + "[" * 30_000 + "]" * 30_000 + "}}",
    ],
    ids=[
        "malformed",
        "blank",
        "array",
        "string",
        "null",
        "no-type",
        "type-not-string",
        "payload-array",
        "payload-null",
        "payload-string",
        "deeply-nested",
    ],
)
async def test_frame_of_the_wrong_shape_is_bad_frame(room: Room, sockets: Sockets, text: str) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.ws.send_to(text_data=text)

    # then: an error, and the consumer goes on
    assert await candidate.error() == "bad_frame"
    await chat_barrier(candidate, lead)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_frame_with_a_non_json_number_is_bad_frame_and_not_relayed(
    room: Room, sockets: Sockets, constant: str
) -> None:
    # given: Python's json reads NaN/Infinity, but no browser's JSON.parse would read them back
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    frame = f'{{"type": "ANSWER", "payload": {{"sdp": {{"x": {constant}}}, "targetId": "{lead.id}"}}}}'

    # when
    await candidate.ws.send_to(text_data=frame)

    # then
    assert await candidate.error() == "bad_frame"
    await chat_barrier(candidate, lead)


async def test_unknown_type_is_unknown_type(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send("SUDO", {"role": "interviewer"})

    # then
    assert await candidate.error() == "unknown_type"
    await chat_barrier(candidate, lead)


async def test_spike_beyond_the_burst_is_rate_limited_and_the_socket_stays(
    room: Room, sockets: Sockets, settings: Any
) -> None:
    # given: a burst of 5 that practically never refills
    settings.ROOM_RATE_PER_SECOND = 0.001
    settings.ROOM_RATE_BURST = 5
    lead, candidate = await sockets.meet(room, "lead", "candidate")  # JOIN_ROOM took one each

    # when: six more frames from the candidate
    for _ in range(6):
        await candidate.send("PING")

    # then: four answered, then rate_limited
    frames = [await candidate.recv() for _ in range(5)]
    assert [f["type"] for f in frames] == ["PONG"] * 4 + ["ERROR"]
    assert frames[-1]["payload"]["code"] == "rate_limited"
    # ...and the socket is still in the room: it hears the next chat line
    await lead.send("CHAT", {"text": "still there?"})
    while (frame := await candidate.recv())["type"] != "CHAT":
        assert frame["payload"]["code"] == "rate_limited"  # a second warning if a second went by
    assert frame["payload"]["text"] == "still there?"


async def test_sustained_flood_is_closed_with_1008(room: Room, sockets: Sockets, settings: Any) -> None:
    # given
    settings.ROOM_RATE_PER_SECOND = 0.001
    settings.ROOM_RATE_BURST = 5
    (observer,) = await sockets.meet(room, "observer")

    # when: far more frames than a burst of frames and a burst of refusals
    for _ in range(60):
        await observer.send("PING")

    # then: told it is rate limited, then closed with 1008
    codes: list[str] = []
    while (output := await observer.ws.receive_output(timeout=TIMEOUT))["type"] == "websocket.send":
        frame = json.loads(output["text"])
        if frame["type"] == "ERROR":
            codes.append(frame["payload"]["code"])
    assert output == {"type": "websocket.close", "code": 1008}
    assert set(codes) == {"rate_limited"}


async def test_flooder_leaves_while_the_rest_of_the_room_carries_on(
    room: Room, sockets: Sockets, settings: Any
) -> None:
    # given: interviewer and candidate talking, an observer that floods
    settings.ROOM_RATE_PER_SECOND = 0.001
    settings.ROOM_RATE_BURST = 5
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")
    for _ in range(60):
        await observer.send("PING")
    while (await observer.ws.receive_output(timeout=TIMEOUT))["type"] != "websocket.close":
        pass

    # when: the closed socket goes away
    await observer.ws.disconnect(timeout=TIMEOUT)

    # then: the others hear it left and keep signaling
    assert await lead.expect("USER_LEFT") == {"userId": observer.id}
    assert await candidate.expect("USER_LEFT") == {"userId": observer.id}
    await lead.send("OFFER", {"sdp": "v=0", "targetId": candidate.id})
    assert (await candidate.expect("OFFER"))["fromId"] == lead.id


# === END_INTERVIEW, cancel, leaving ==========================================================
async def test_end_by_the_interviewer_closes_every_socket_with_room_closed(room: Room, sockets: Sockets) -> None:
    # given
    peers = await sockets.meet(room, "lead", "candidate", "observer")

    # when
    await peers[0].send("END_INTERVIEW")

    # then
    for peer in peers:
        assert await peer.error() == "room_closed"
        assert await peer.closed_with() == 4410


async def test_end_completes_the_interview_and_clears_presence(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await lead.send("END_INTERVIEW")
    await candidate.error()
    await candidate.closed_with()

    # then
    interview = await db(Interview.objects.get, pk=room.interview.pk)
    assert interview.status == Interview.Status.COMPLETED
    assert interview.ended_at is not None
    assert not await db(RoomPresence.objects.filter(interview=room.interview).exists)


async def test_tokens_no_longer_connect_after_the_end(room: Room, sockets: Sockets) -> None:
    # given
    lead, _candidate = await sockets.meet(room, "lead", "candidate")
    await lead.send("END_INTERVIEW")
    await lead.error()

    # when
    refusal = await sockets.refusal(room.id, token=room.tokens["candidate"])

    # then
    assert refusal == ("room_closed", 4403)


async def test_end_by_the_candidate_is_forbidden(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send("END_INTERVIEW")

    # then
    assert await candidate.error() == "forbidden"
    await chat_barrier(candidate, lead)
    assert await db(Interview.objects.filter(pk=room.interview.pk, ended_at__isnull=True).exists)


async def test_cancelling_the_interview_closes_the_sockets_of_those_waiting(
    acme: Tenant, room: Room, sockets: Sockets
) -> None:
    # given: the candidate and an observer wait in the room before the start
    candidate, observer = await sockets.meet(room, "candidate", "observer")

    # when: a recruiter cancels the interview
    await db(services.interview_cancel, interview=room.interview, actor=acme.users["recruiter"], reason="moved")

    # then
    for peer in (candidate, observer):
        assert await peer.error() == "room_closed"
        assert await peer.closed_with() == 4410


async def test_sockets_closed_by_a_cancel_leave_no_presence(acme: Tenant, room: Room, sockets: Sockets) -> None:
    # given: the candidate was sent away by a cancel
    (candidate,) = await sockets.meet(room, "candidate")
    await db(services.interview_cancel, interview=room.interview, actor=acme.users["recruiter"])
    await candidate.error()
    await candidate.closed_with()

    # when
    await candidate.ws.disconnect(timeout=TIMEOUT)

    # then
    assert not await db(RoomPresence.objects.filter(interview=room.interview).exists)


async def test_disconnect_announces_user_left_to_the_others(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate, observer = await sockets.meet(room, "lead", "candidate", "observer")

    # when
    await candidate.ws.disconnect(timeout=TIMEOUT)

    # then
    assert await lead.recv() == {"type": "USER_LEFT", "payload": {"userId": candidate.id}}
    assert await observer.recv() == {"type": "USER_LEFT", "payload": {"userId": candidate.id}}
    assert not await db(RoomPresence.objects.filter(participant=room.people["candidate"]).exists)


@pytest.fixture
def quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rooms, "PRESENCE_REFRESH_EVERY", timedelta(milliseconds=20))


async def test_idle_peer_stays_listed_for_newcomers(room: Room, sockets: Sockets, quick_heartbeat: None) -> None:
    # given: the interviewer sends nothing while their presence row ages past the stale limit
    (lead,) = await sockets.meet(room, "lead")
    old = timezone.now() - rooms.PRESENCE_STALE_AFTER * 2
    await db(RoomPresence.objects.filter(participant=room.people["lead"]).update, seen_at=old)
    for _ in range(250):  # the server's heartbeat refreshes it without any client frame
        await asyncio.sleep(0.02)
        if await db(RoomPresence.objects.filter(participant=room.people["lead"], seen_at__gt=old).exists):
            break

    # when
    candidate = await sockets.open(room, "candidate")
    await candidate.send("JOIN_ROOM", {"roomId": room.id, "userInfo": {}})

    # then
    assert [p["userId"] for p in (await candidate.expect("ROOM_PEERS"))["peers"]] == [lead.id]


# === the Redis channel layer (CI) ============================================================
@pytest.mark.services
async def test_two_peers_exchange_an_offer_through_redis(room: Room, sockets: Sockets) -> None:
    # given
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send("OFFER", {"sdp": "v=0", "targetId": lead.id, "fromId": "forged"})

    # then
    assert await lead.recv() == {
        "type": "OFFER",
        "payload": {"sdp": "v=0", "targetId": lead.id, "fromId": candidate.id},
    }


@pytest.mark.services
async def test_two_peers_chat_through_redis(room: Room, sockets: Sockets) -> None:
    # given
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await lead.send("CHAT", {"text": "over redis"})
    await lead.send("CHAT", {"text": "privately", "targetId": candidate.id})

    # then
    group = await candidate.expect("CHAT")
    private = await candidate.expect("CHAT")
    assert (group["text"], group["fromId"]) == ("over redis", lead.id)
    assert (private["text"], private["targetId"]) == ("privately", candidate.id)
    # the sender's own two echoes may come in either order (one from the layer, one direct)
    assert sorted([(await lead.expect("CHAT"))["text"] for _ in range(2)]) == ["over redis", "privately"]


@pytest.mark.services
async def test_end_closes_sockets_through_redis(room: Room, sockets: Sockets) -> None:
    # given
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when: the broadcast leaves from the service's thread after commit
    await lead.send("END_INTERVIEW")

    # then
    assert await candidate.error() == "room_closed"
    assert await candidate.closed_with() == 4410


# === the shared editor's state (EDITOR_STATE, GUESS_LANGUAGE) ================================
async def test_anyone_in_the_room_changes_the_language_and_everyone_hears_it(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when: the candidate switches to Go
    await candidate.send("EDITOR_STATE", {"language": "go"})

    # then: both get the new state, stamped with the candidate
    expected = {"language": "go", "locked": False, "runEnabled": True, "fromId": candidate.id}
    assert await lead.expect("EDITOR_STATE") == expected
    assert await candidate.expect("EDITOR_STATE") == expected


async def test_an_empty_editor_state_asks_for_the_current_state(room: Room, sockets: Sockets) -> None:
    # given: the interviewer locked the editor
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    await lead.send("EDITOR_STATE", {"locked": True})
    await lead.expect("EDITOR_STATE")
    await candidate.expect("EDITOR_STATE")

    # when: the candidate (e.g. after a reconnect) asks
    await candidate.send("EDITOR_STATE", {})

    # then: only the candidate gets the answer
    assert await candidate.expect("EDITOR_STATE") == {
        "language": "python",
        "locked": True,
        "runEnabled": True,
        "fromId": None,
    }
    await chat_barrier(candidate, lead)


@pytest.mark.parametrize("change", [{"locked": True}, {"runEnabled": False}])
async def test_only_those_who_lead_lock_the_editor_or_allow_running(
    room: Room, sockets: Sockets, change: dict[str, bool]
) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when
    await candidate.send("EDITOR_STATE", change)

    # then: refused, and nothing reached the interviewer
    assert await candidate.error() == "forbidden"
    await chat_barrier(candidate, lead)
    document = await db(RoomDocument.objects.filter(interview=room.interview, name="code").first)
    assert document is None or (document.locked, document.run_enabled) == (False, True)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"language": "cobol"}, id="unknown-language"),
        pytest.param({"locked": "yes"}, id="not-a-boolean"),
        pytest.param({"theme": "dark"}, id="unknown-key"),
    ],
)
async def test_a_bad_editor_state_is_a_bad_frame(room: Room, sockets: Sockets, payload: dict[str, Any]) -> None:
    (lead,) = await sockets.meet(room, "lead")
    await lead.send("EDITOR_STATE", payload)
    assert await lead.error() == "bad_frame"


async def test_locking_the_editor_is_audited(room: Room, sockets: Sockets) -> None:
    (lead,) = await sockets.meet(room, "lead")
    await lead.send("EDITOR_STATE", {"locked": True})
    await lead.expect("EDITOR_STATE")
    entry = await db(AuditLog.objects.filter(action="editor.state").first)
    assert entry is not None
    assert entry.changes == {"locked": [False, True]}


async def test_a_room_without_an_editor_refuses_editor_state(acme: Tenant, sockets: Sockets) -> None:
    # given: a behavioral stage without the editor
    room = await db(make_room, acme)
    await db(_tools_off, room.interview, "editor")
    (lead,) = await sockets.meet(room, "lead")

    # when / then
    await lead.send("EDITOR_STATE", {"language": "go"})
    assert await lead.error() == "tool_off"


def _tools_off(interview: Interview, tool: str) -> None:
    stage = interview.stage
    stage.tools_config = {**stage.config.toolsConfig, tool: False}
    stage.save(update_fields=["tools_config"])


async def test_guess_language_answers_the_sender_only(room: Room, sockets: Sockets) -> None:
    # given
    lead, candidate = await sockets.meet(room, "lead", "candidate")

    # when: the candidate pastes Go
    await candidate.send(
        "GUESS_LANGUAGE", {"code": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(1)\n}\n'}
    )

    # then
    assert await candidate.expect("LANGUAGE_GUESS") == {"language": "go"}
    await chat_barrier(candidate, lead)
