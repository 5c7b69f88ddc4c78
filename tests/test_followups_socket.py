"""Follow-ups and guide text never travel on a candidate's room socket (full ASGI stack)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Tenant
from tests.test_room_consumer import GUIDE, Room, Sockets, chat_barrier, db, make_room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    opened = Sockets()
    yield opened
    await opened.close_all()


@pytest.fixture
def room(acme: Tenant) -> Room:
    return make_room(acme)


FOLLOW_UP = "FOLLOWUP-SECRET-51d2: what about duplicates?"


def _with_follow_ups(room: Room) -> None:
    room.question.follow_up_questions = [FOLLOW_UP]
    room.question.save(update_fields=["follow_up_questions"])


def _fetch_suggestions(room: Room) -> Any:
    return Client().get(
        reverse("room_followups", kwargs={"room_id": room.interview.room_id}),
        {"question": room.question.pk},
        headers={"X-Room-Token": room.tokens["lead"]},
    )


async def test_follow_ups_and_guide_reach_no_candidate_socket(room: Room, sockets: Sockets) -> None:
    # given: the interviewer fetched the suggestions (follow-ups and guide text) while in the room
    await db(_with_follow_ups, room)
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    response = await db(_fetch_suggestions, room)
    assert response.status_code == 200
    assert FOLLOW_UP in response.content.decode()
    assert GUIDE in response.content.decode()

    # when: the question is pushed and talked about
    await lead.send("push_question", {"questionId": room.question.pk})
    pushed = await candidate.expect("push_question")
    await chat_barrier(candidate, lead, text="thinking about it")

    # then
    assert set(pushed) == {"questionId", "questionText", "fromId"}
    everything = "".join(candidate.seen)
    assert FOLLOW_UP not in everything
    assert "FOLLOWUP-SECRET" not in everything
    assert GUIDE not in everything
