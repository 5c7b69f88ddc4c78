"""The shared documents' socket (DESIGN.md §4.2) against a real daphne, with a pycrdt client.

Each test creates its room in the (committed) test database and talks to the server over real
WebSockets in the standard y-websocket protocol: sync step 1/2, updates, awareness, late join,
persistence across a restart, refusals, the editor lock, and two processes sharing Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from pycrdt import Map

from interviews.factories import room_with_people
from interviews.models import DocumentUpdate, Interview, Participant, RoomDocument
from interviews.realtime import yjs
from interviews.services import documents
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.yclient import RoomSocket, YClient, awareness_names

LEAD = "yjs-lead-token-" + "l" * 30
CANDIDATE = "yjs-cand-token-" + "c" * 30
OTHER_ROOM = "yjs-other-room-" + "o" * 30
TIMEOUT = 30.0

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@dataclass
class Room:
    interview: Interview
    room_id: str
    lead: Participant
    candidate: Participant


def _room(
    acme: Tenant, *, tools: dict[str, bool] | None = None, lead_token: str = LEAD, cand_token: str = CANDIDATE
) -> Room:
    interview, lead, candidate = room_with_people(
        organization=acme.org,
        interviewer=acme.users["interviewer"],
        lead_token=lead_token,
        candidate_token=cand_token,
        candidate__full_name="Ada Lovelace",
        **({"stage__tools_config": tools} if tools else {}),
    )
    return Room(interview=interview, room_id=str(interview.room_id), lead=lead, candidate=candidate)


@pytest.fixture
def room(acme: Tenant) -> Room:
    return _room(acme)


@pytest.fixture
def server() -> Iterator[str]:
    with daphne_server() as url:
        yield url


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(TIMEOUT):
            return await scenario()

    return asyncio.run(bounded())


def _stored_text(room: Room) -> str:
    document = RoomDocument.objects.get(interview=room.interview, name="code")
    return documents.document_text_at(document=document, at=timezone.now())


def _logged(room: Room, count: int) -> list[DocumentUpdate]:
    """The room's logged updates once there are ``count`` (the server writes them after the
    sockets close, so the test waits, boundedly, for the write to land)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        rows = list(DocumentUpdate.objects.filter(document__interview=room.interview).order_by("pk"))
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


# --- sync, updates, late join ------------------------------------------------------------------
def test_a_late_joiner_gets_the_whole_document_through_sync_step_2(room: Room, server: str) -> None:
    async def scenario() -> str:
        # given: the interviewer wrote some code
        lead = await YClient.open(server, room.room_id, LEAD)
        await lead.wait_for(lead.synced.is_set, what="the first sync")
        lead.text += "def add(a, b):\n    return a + b\n"
        # when: the candidate joins later
        await asyncio.sleep(0)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await cand.wait_for(lambda: str(cand.text) == str(lead.text), what="the late joiner's sync")
        await cand.close()
        await lead.close()
        return str(cand.text)

    # then: the candidate has the text, and so has the log once the sockets are gone
    assert run(scenario) == "def add(a, b):\n    return a + b\n"
    _logged(room, 1)
    assert _stored_text(room) == "def add(a, b):\n    return a + b\n"


def test_updates_reach_the_other_client_live_in_both_directions(room: Room, server: str) -> None:
    async def scenario() -> tuple[str, str]:
        lead = await YClient.open(server, room.room_id, LEAD)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await lead.wait_for(lead.synced.is_set, what="sync")
        await cand.wait_for(cand.synced.is_set, what="sync")
        # when: each types
        lead.text += "print('hi')"
        await cand.wait_for(lambda: str(cand.text) == "print('hi')", what="the interviewer's text")
        cand.text.insert(0, "# candidate\n")
        await lead.wait_for(lambda: str(lead.text).startswith("# candidate\n"), what="the candidate's text")
        await lead.close()
        await cand.close()
        return str(lead.text), str(cand.text)

    # then: both hold the same text
    assert run(scenario) == ("# candidate\nprint('hi')", "# candidate\nprint('hi')")


def test_every_update_is_logged_with_its_author(room: Room, server: str) -> None:
    async def scenario() -> None:
        lead = await YClient.open(server, room.room_id, LEAD)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await lead.wait_for(lead.synced.is_set, what="sync")
        lead.text += "a"
        await cand.wait_for(lambda: str(cand.text) == "a", what="a")
        cand.text += "b"
        await lead.wait_for(lambda: str(lead.text) == "ab", what="b")
        await lead.close()
        await cand.close()

    run(scenario)
    assert [row.author_id for row in _logged(room, 2)] == [room.lead.pk, room.candidate.pk]


def test_the_document_survives_a_server_restart(room: Room) -> None:
    async def write(url: str) -> None:
        client = await YClient.open(url, room.room_id, LEAD)
        await client.wait_for(client.synced.is_set, what="sync")
        client.text += "persisted = True\n"
        await asyncio.sleep(0.1)  # let the frame leave before the socket closes
        await client.close()

    async def read(url: str) -> str:
        client = await YClient.open(url, room.room_id, CANDIDATE)
        await client.wait_for(lambda: str(client.text) != "", what="the stored text")
        await client.close()
        return str(client.text)

    # given: text written through one server process, which then stops once it has logged it
    with daphne_server() as first:
        run(lambda: write(first))
        assert len(_logged(room, 1)) == 1
    # when: a new process serves the room
    with daphne_server() as second:
        text = run(lambda: read(second))
    # then: the text is there
    assert text == "persisted = True\n"


def test_a_client_reconnecting_to_a_new_process_restores_what_it_typed(room: Room) -> None:
    # given: a client whose last edit reached a server that then stopped (logged or not)
    loop = asyncio.new_event_loop()
    try:
        with daphne_server() as first:

            async def write() -> YClient:
                client = await YClient.open(first, room.room_id, LEAD)
                await client.wait_for(client.synced.is_set, what="sync")
                client.text += "typed just before the crash"
                await asyncio.sleep(0.05)
                return client

            client = loop.run_until_complete(write())
        # when: the client reconnects to a new process, as y-websocket's provider does
        with daphne_server() as second:

            async def reconnect() -> str:
                await client.close()
                again = await YClient.open(second, room.room_id, LEAD)
                again.doc.apply_update(client.doc.get_update())  # the provider keeps its Y.Doc
                await asyncio.sleep(0)
                fresh = await YClient.open(second, room.room_id, CANDIDATE)
                await fresh.wait_for(lambda: str(fresh.text) != "", what="the re-sent edit")
                await again.close()
                await fresh.close()
                return str(fresh.text)

            text = loop.run_until_complete(asyncio.wait_for(reconnect(), TIMEOUT))
            logged = _logged(room, 1)
    finally:
        loop.close()
    # then: the newcomer sees the edit, and it is in the log
    assert text == "typed just before the crash"
    assert len(logged) >= 1
    assert _stored_text(room) == "typed just before the crash"


# --- awareness ---------------------------------------------------------------------------------
def test_awareness_is_relayed_with_the_servers_name_and_cleared_on_disconnect(room: Room, server: str) -> None:
    async def scenario() -> tuple[list[str], Any]:
        lead = await YClient.open(server, room.room_id, LEAD)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await cand.wait_for(cand.synced.is_set, what="sync")
        # when: the candidate publishes a cursor under a forged name
        await cand.set_awareness({"user": {"name": "The Interviewer", "color": "#f00"}, "cursor": {"anchor": 1}})
        await lead.wait_for(lambda: cand.doc.client_id in lead.awareness, what="awareness", event="awareness_changed")
        names = awareness_names(lead)
        colour = lead.awareness[cand.doc.client_id]["user"]["color"]
        # and: the candidate goes away
        await cand.close()
        await lead.wait_for(
            lambda: lead.awareness.get(cand.doc.client_id, "x") is None, what="the clearing", event="awareness_changed"
        )
        await lead.close()
        return names, colour

    names, colour = run(scenario)
    # then: the name on the cursor is the candidate's real one, the colour is kept
    assert names == ["Ada Lovelace"]
    assert colour == "#f00"


def test_a_late_joiner_sees_the_cursors_already_there(room: Room, server: str) -> None:
    async def scenario() -> list[str]:
        lead = await YClient.open(server, room.room_id, LEAD)
        await lead.wait_for(lead.synced.is_set, what="sync")
        await lead.set_awareness({"user": {"name": "x", "color": "#0a0"}})
        await asyncio.sleep(0.1)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await cand.wait_for(lambda: bool(cand.awareness), what="the lead's cursor", event="awareness_changed")
        names = awareness_names(cand)
        await cand.close()
        await lead.close()
        return names

    assert run(scenario) == ["Interviewer of Acme"]


# --- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(b"\x00\x02\x10garbage", id="truncated-update"),
        pytest.param(b"\x00\x02\x03\x01\x02\x03", id="undecodable-update"),
        pytest.param(b"\x07", id="unknown-type"),
        pytest.param(b"\x00\x09\x00", id="unknown-sync-step"),
        pytest.param(b"\x01\x05\x01\x01\x01\x01{", id="bad-awareness-json"),
        pytest.param(b"\x00\x02\x00\xff", id="trailing-bytes"),
    ],
)
def test_a_malformed_frame_closes_that_socket_only_and_leaves_the_document(
    room: Room, server: str, frame: bytes
) -> None:
    async def scenario() -> tuple[int | None, str, str]:
        lead = await YClient.open(server, room.room_id, LEAD)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await lead.wait_for(lead.synced.is_set, what="sync")
        lead.text += "kept"
        await cand.wait_for(lambda: str(cand.text) == "kept", what="kept")
        # when: the candidate sends a broken frame
        await cand.send_raw(frame)
        code = await cand.wait_closed()
        # then: the interviewer goes on editing
        lead.text += " and more"
        late = await YClient.open(server, room.room_id, CANDIDATE)
        await late.wait_for(lambda: str(late.text) == "kept and more", what="the rest")
        await late.close()
        await lead.close()
        return code, str(lead.text), str(late.text)

    assert run(scenario) == (1003, "kept and more", "kept and more")


def test_an_oversized_frame_is_refused_with_1009(room: Room, server: str) -> None:
    async def scenario() -> int | None:
        client = await YClient.open(server, room.room_id, LEAD)
        await client.wait_for(client.synced.is_set, what="sync")
        await client.send_raw(yjs.sync_message(yjs.SYNC_UPDATE, b"\x00" * (1000 * 1024 + 10)))
        return await client.wait_closed()

    assert run(scenario) == 1009
    assert _stored_text(room) == ""


def test_a_text_frame_is_refused_with_1003(room: Room, server: str) -> None:
    async def scenario() -> int | None:
        client = await YClient.open(server, room.room_id, LEAD)
        await client.send_raw('{"type": "JOIN_ROOM"}')
        return await client.wait_closed()

    assert run(scenario) == 1003


@pytest.mark.parametrize(
    ("token", "doc", "code"),
    [
        pytest.param(None, "code", 4401, id="no-token"),
        pytest.param("not-a-token-" + "x" * 30, "code", 4401, id="unknown-token"),
        pytest.param(OTHER_ROOM, "code", 4403, id="token-of-another-room"),
        pytest.param(LEAD, "secrets", 4403, id="unknown-document"),
    ],
)
def test_refused_sockets_are_closed_with_a_code(
    acme: Tenant, room: Room, server: str, token: str | None, doc: str, code: int
) -> None:
    _room(acme, lead_token=OTHER_ROOM, cand_token="yjs-other-cand-" + "q" * 30)

    async def scenario() -> int | None:
        client = await YClient.open(server, room.room_id, token, doc=doc)
        return await client.wait_closed()

    assert run(scenario) == code


def test_a_document_whose_tool_is_off_is_refused(acme: Tenant, server: str) -> None:
    # given: a stage without a whiteboard
    room = _room(acme, tools={"video": True, "editor": True, "whiteboard": False, "chat": True})

    async def scenario() -> int | None:
        client = await YClient.open(server, room.room_id, LEAD, doc="whiteboard")
        return await client.wait_closed()

    assert run(scenario) == 4403
    assert not RoomDocument.objects.filter(interview=room.interview, name="whiteboard").exists()


def test_ending_the_interview_closes_the_document_sockets(room: Room, server: str) -> None:
    async def scenario() -> int | None:
        client = await YClient.open(server, room.room_id, CANDIDATE)
        await client.wait_for(client.synced.is_set, what="sync")
        lead = await RoomSocket.join(server, room.room_id, LEAD)
        await lead.send("END_INTERVIEW", {})
        return await client.wait_closed()

    assert run(scenario) == 4410


# --- the lock ----------------------------------------------------------------------------------
def test_a_locked_editor_refuses_the_candidates_updates_but_not_the_interviewers(room: Room, server: str) -> None:
    async def scenario() -> tuple[str, list[str]]:
        lead = await YClient.open(server, room.room_id, LEAD)
        cand = await YClient.open(server, room.room_id, CANDIDATE)
        await cand.wait_for(cand.synced.is_set, what="sync")
        # given: the interviewer locked the editor from the room
        control = await RoomSocket.join(server, room.room_id, LEAD)
        await control.send("EDITOR_STATE", {})
        assert (await control.expect("EDITOR_STATE")) == {
            "language": "python",
            "locked": False,
            "runEnabled": True,
            "fromId": None,
        }
        await control.send("EDITOR_STATE", {"locked": True})
        assert (await control.expect("EDITOR_STATE"))["locked"] is True
        await control.close()
        # when: the candidate types, then the interviewer
        cand.text += "sneaky"
        await cand.wait_for(lambda: bool(cand.denied), what="the refusal")
        lead.text += "allowed"
        await cand.wait_for(lambda: "allowed" in str(cand.text), what="the interviewer's text")
        await lead.close()
        await cand.close()
        return str(lead.text), cand.denied

    lead_text, denied = run(scenario)
    # then: only the interviewer's text counts, and the candidate was told
    assert lead_text == "allowed"
    assert len(_logged(room, 1)) == 1
    assert _stored_text(room) == "allowed"
    assert denied == ["the editor is locked"]


# --- whiteboard --------------------------------------------------------------------------------
def test_the_whiteboard_document_syncs_its_elements(room: Room, server: str) -> None:
    async def scenario() -> Any:
        lead = await YClient.open(server, room.room_id, LEAD, doc="whiteboard")
        cand = await YClient.open(server, room.room_id, CANDIDATE, doc="whiteboard")
        await lead.wait_for(lead.synced.is_set, what="sync")
        lead.board["rect-1"] = Map({"type": "rectangle", "x": 10, "y": 20, "version": 1})
        await cand.wait_for(lambda: "rect-1" in cand.board, what="the rectangle")
        shape = cand.board["rect-1"].to_py()
        await lead.close()
        await cand.close()
        return shape

    assert run(scenario) == {"type": "rectangle", "x": 10, "y": 20, "version": 1}


# --- two processes -----------------------------------------------------------------------------
@pytest.mark.services
def test_two_processes_sharing_redis_converge_on_one_document(room: Room) -> None:
    async def scenario(first: str, second: str) -> tuple[str, str]:
        lead = await YClient.open(first, room.room_id, LEAD)
        cand = await YClient.open(second, room.room_id, CANDIDATE)
        await lead.wait_for(lead.synced.is_set, what="sync")
        await cand.wait_for(cand.synced.is_set, what="sync")
        lead.text += "from one"
        await cand.wait_for(lambda: str(cand.text) == "from one", what="the first process's edit")
        cand.text += ", from two"
        await lead.wait_for(lambda: str(lead.text) == "from one, from two", what="the second process's edit")
        await cand.set_awareness({"user": {"color": "#123"}})
        await lead.wait_for(lambda: bool(lead.awareness), what="awareness across processes", event="awareness_changed")
        await lead.close()
        await cand.close()
        return str(lead.text), str(cand.text)

    with daphne_server(redis=True) as first, daphne_server(redis=True) as second:
        texts = run(lambda: scenario(first, second))
        logged = _logged(room, 2)  # each process logs its own clients' edits, once they have left
    assert texts == ("from one, from two", "from one, from two")
    assert len(logged) == 2
    assert _stored_text(room) == "from one, from two"
