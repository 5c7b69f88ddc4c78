"""Three clients editing one document at once converge, on the text the server holds and stores."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Participant, RoomDocument
from interviews.services import documents
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.yclient import YClient

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# an edit: (which client, insert or delete, where as a fraction of the text, what to insert)
edits = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(["insert", "delete"]),
        st.floats(0, 1),
        st.text(alphabet="abcxyz \n(){}", min_size=1, max_size=6),  # ASCII: the test client indexes by code point
    ),
    min_size=1,
    max_size=25,
)


def _room(acme: Tenant, n: int) -> tuple[str, list[str]]:
    interview = InterviewFactory(organization=acme.org, scheduled_at=timezone.now() + timedelta(minutes=5))
    tokens = [f"converge-{n}-{i}-" + "t" * 30 for i in range(3)]
    ParticipantFactory(interview=interview, user=acme.users["interviewer"], token=tokens[0])
    ParticipantFactory(interview=interview, user=acme.users["recruiter"], token=tokens[1])
    ParticipantFactory(
        interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE, token=tokens[2]
    )
    return str(interview.room_id), tokens


def _apply(client: YClient, kind: str, where: float, text: str) -> None:
    length = len(client.text)
    at = min(int(where * length), length)
    if kind == "insert" or length == 0:
        client.text.insert(at, text)
    else:
        end = min(length, at + len(text))
        if end > at:
            del client.text[at:end]


async def _session(url: str, room_id: str, tokens: list[str], plan: list[tuple[int, str, float, str]]) -> list[str]:
    clients = [await YClient.open(url, room_id, token) for token in tokens]
    for client in clients:
        await client.wait_for(client.synced.is_set, what="sync")
    # when: everyone edits without waiting for the others (the frames cross on the wire)
    for index, kind, where, text in plan:
        _apply(clients[index], kind, where, text)
        if index == 0:
            await asyncio.sleep(0)
    # then: they settle on one text, which a newcomer also receives from the server
    await _settled(clients)
    late = await YClient.open(url, room_id, tokens[0])
    await late.wait_for(lambda: str(late.text) == str(clients[0].text), what="the server's text")
    texts = [str(c.text) for c in [*clients, late]]
    for client in [*clients, late]:
        await client.close()
    return texts


async def _settled(clients: list[YClient], *, quiet: float = 0.3, limit: float = 20.0) -> None:
    """Wait (bounded) until every client holds the same text and no frame arrived for ``quiet`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for client in clients:
            client.changed.clear()
        await asyncio.sleep(quiet)
        busy = any(client.changed.is_set() for client in clients)
        if not busy and len({str(client.text) for client in clients}) == 1:
            return
    raise AssertionError(f"no convergence within {limit} s: {[str(c.text) for c in clients]}")


def _stored(room_id: str, expected: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        document = RoomDocument.objects.get(interview__room_id=room_id, name="code")
        text = documents.document_text_at(document=document, at=timezone.now())
        if text == expected or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def test_three_clients_editing_concurrently_converge_on_the_servers_text(acme: Tenant) -> None:
    counter = iter(range(10_000))
    with daphne_server() as url:

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
        @given(plan=edits)
        def check(plan: list[tuple[int, str, float, str]]) -> None:
            room_id, tokens = _room(acme, next(counter))
            texts = asyncio.run(asyncio.wait_for(_session(url, room_id, tokens, plan), 60))
            assert len(set(texts)) == 1, texts
            assert _stored(room_id, texts[0]) == texts[0]

        check()
