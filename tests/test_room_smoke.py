"""The room socket's main path through the project's ASGI stack: join, signal, push, chat, leave."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone

from interviews.factories import InterviewFactory, ParticipantFactory, QuestionFactory
from interviews.models import Interview, InterviewQuestionPlan, Participant
from talentsync.asgi import application
from tests.conftest import Tenant

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
async def close_connections_of_the_async_stack() -> AsyncIterator[None]:
    yield
    await sync_to_async(connections.close_all)()


def _room(acme: Tenant) -> dict[str, Any]:
    interview = InterviewFactory(
        organization=acme.org,
        candidate__organization=acme.org,
        candidate__position__organization=acme.org,
        scheduled_at=timezone.now() + timedelta(minutes=5),
    )
    lead = ParticipantFactory(interview=interview, user=acme.users["interviewer"], token="lead-token-" + "x" * 30)
    candidate = ParticipantFactory(
        interview=interview,
        user=None,
        candidate=interview.candidate,
        role=Participant.Role.CANDIDATE,
        token="cand-token-" + "y" * 30,
    )
    question = QuestionFactory(
        organization=acme.org, interviewer_hints="HINT-SECRET", expected_answer_guide="GUIDE-SECRET"
    )
    InterviewQuestionPlan.objects.create(interview=interview, question=question, order=1)
    return {"interview": interview, "lead": lead, "candidate": candidate, "question": question}


async def _join(room_id: str, token: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    ws = WebsocketCommunicator(application, f"/ws/rooms/{room_id}/?token={token}", headers=[ORIGIN])
    connected, code = await ws.connect()
    assert connected, code
    await ws.send_json_to({"type": "JOIN_ROOM", "payload": {"roomId": room_id, "userInfo": {"name": "forged"}}})
    return ws, await ws.receive_json_from(timeout=5)


@pytest.mark.django_db(transaction=True)
async def test_two_peers_meet_signal_push_a_question_chat_and_leave(acme: Tenant) -> None:
    # given
    room = await sync_to_async(_room)(acme)
    room_id = str(room["interview"].room_id)
    lead, lead_peers = await _join(room_id, "lead-token-" + "x" * 30)
    cand, cand_peers = await _join(room_id, "cand-token-" + "y" * 30)
    lead_id, cand_id = lead_peers["payload"]["selfId"], cand_peers["payload"]["selfId"]

    # then: the joiner sees the peer already there; the other hears of the joiner
    assert lead_peers["payload"]["peers"] == []
    assert [p["userId"] for p in cand_peers["payload"]["peers"]] == [lead_id]
    joined = await lead.receive_json_from(timeout=5)
    assert joined["type"] == "USER_JOINED"
    assert joined["payload"]["userId"] == cand_id
    assert joined["payload"]["userInfo"]["name"] != "forged"

    # when: an offer with a forged fromId
    await cand.send_json_to({"type": "OFFER", "payload": {"sdp": "v=0", "targetId": lead_id, "fromId": "evil"}})
    # then: it arrives stamped with the real sender
    assert await lead.receive_json_from(timeout=5) == {
        "type": "OFFER",
        "payload": {"sdp": "v=0", "targetId": lead_id, "fromId": cand_id},
    }

    # when: the interviewer pushes the planned question
    await lead.send_json_to({"type": "push_question", "payload": {"questionId": room["question"].pk}})
    pushed = await cand.receive_json_from(timeout=5)
    assert pushed == {
        "type": "push_question",
        "payload": {
            "questionId": room["question"].pk,
            "questionText": room["question"].question_text,
            "fromId": lead_id,
        },
    }

    # when: the candidate tries to push
    await cand.send_json_to({"type": "push_question", "payload": {"questionId": room["question"].pk}})
    assert (await cand.receive_json_from(timeout=5))["payload"]["code"] == "forbidden"

    # when: a group chat line
    await cand.send_json_to({"type": "CHAT", "payload": {"text": "<b>hi</b>"}})
    echoed, delivered = await cand.receive_json_from(timeout=5), await lead.receive_json_from(timeout=5)
    assert echoed == delivered
    assert delivered["payload"]["text"] == "<b>hi</b>"
    assert delivered["payload"]["fromId"] == cand_id

    # when: the candidate leaves
    await cand.disconnect()
    assert await lead.receive_json_from(timeout=5) == {"type": "USER_LEFT", "payload": {"userId": cand_id}}

    # when: the interviewer ends the interview
    await lead.send_json_to({"type": "END_INTERVIEW", "payload": {}})
    closing = await lead.receive_json_from(timeout=5)
    assert closing["payload"]["code"] == "room_closed"
    assert (await lead.receive_output(timeout=5))["code"] == 4410
    status = await sync_to_async(lambda: Interview.objects.get(pk=room["interview"].pk).status)()
    assert status == Interview.Status.COMPLETED
