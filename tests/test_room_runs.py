"""The room's Run button over the room socket: streamed output, interactive stdin, stop, refusals,
and the interviewers' runs against a problem's test cases (hidden ones included) with history.

Every socket goes through ``talentsync.asgi.application``; programs run in the real sandbox.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from accounts.models import AuditLog
from assessments.factories import ProblemFactory
from assessments.models import CodeRun
from interviews.models import RoomDocument
from tests.conftest import Tenant
from tests.test_room_consumer import Peer, Room, Sockets, db, make_room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

HIDDEN_INPUT = "HIDDEN-IN-4242"
HIDDEN_EXPECTED = "HIDDEN-OUT-4242"

GREETER = 'name = input("Name? ")\nprint(f"Hello {name}!")\n'


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    opened = Sockets()
    yield opened
    for ws in opened.opened:
        await ws.disconnect()


@pytest.fixture
def room(acme: Tenant) -> Room:
    return make_room(acme)


async def until(peer: Peer, kind: str, *, skip: tuple[str, ...] = ("RUN_OUTPUT",)) -> dict[str, Any]:
    """The next frame of ``kind``, passing over the kinds in ``skip``; anything else fails."""
    while True:
        frame = await peer.recv()
        if frame["type"] == kind:
            payload: dict[str, Any] = frame["payload"]
            return payload
        assert frame["type"] in skip, frame


async def output_until(peer: Peer, text: str) -> str:
    """Collect RUN_OUTPUT text until ``text`` has appeared."""
    seen = ""
    while text not in seen:
        payload = await until(peer, "RUN_OUTPUT", skip=())
        seen += "".join(chunk["text"] for chunk in payload["chunks"])
    return seen


async def test_output_streams_to_everyone_and_stdin_typed_by_the_candidate_reaches_the_program(
    room: Room, sockets: Sockets
) -> None:
    # given an interviewer and the candidate in the room
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    # when the candidate runs a program that asks for a name
    await candidate.send("RUN_CODE", {"language": "python", "code": GREETER})
    started = await candidate.expect("RUN_STARTED")
    assert (await lead.expect("RUN_STARTED")) == started
    assert started["fromId"] == candidate.id
    # then the prompt reaches both before any input was given
    assert "Name? " in await output_until(candidate, "Name? ")
    assert "Name? " in await output_until(lead, "Name? ")
    # and the interviewer's typed line reaches the program, echoed to everyone
    await lead.send("RUN_STDIN", {"runId": started["runId"], "text": "Ada\n"})
    assert "Hello Ada!" in await output_until(candidate, "Hello Ada!")
    finished = await until(candidate, "RUN_FINISHED")
    assert finished["verdict"] == "OK"
    assert finished["exitCode"] == 0
    # and the run is kept, with its output, for history and playback
    run = await db(CodeRun.objects.get, interview=room.interview)
    assert run.source == CodeRun.Source.ROOM
    assert "Hello Ada!" in run.stdout
    assert run.participant_id == room.people["candidate"].pk
    assert await db(AuditLog.objects.filter(action="code.run", target_id=str(room.interview.pk)).exists)


async def test_stdin_given_at_start_and_a_runtime_error(room: Room, sockets: Sockets) -> None:
    (candidate,) = await sockets.meet(room, "candidate")
    code = "import sys\nprint(sys.stdin.read().upper())\nraise SystemExit(3)\n"
    await candidate.send("RUN_CODE", {"language": "python", "code": code, "stdin": "shout"})
    await candidate.expect("RUN_STARTED")
    assert "SHOUT" in await output_until(candidate, "SHOUT")
    finished = await until(candidate, "RUN_FINISHED")
    assert finished["verdict"] == "RUNTIME_ERROR"
    assert finished["exitCode"] == 3


async def test_stop_ends_a_program_that_waits_forever_and_the_room_can_run_again(room: Room, sockets: Sockets) -> None:
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    sleeper = "import time\nprint('up', flush=True)\ntime.sleep(600)\n"
    await candidate.send("RUN_CODE", {"language": "python", "code": sleeper})
    run_id = (await candidate.expect("RUN_STARTED"))["runId"]
    await lead.expect("RUN_STARTED")
    await output_until(candidate, "up")
    # while it runs, a second program is refused: the panel is shared
    await lead.send("RUN_CODE", {"language": "python", "code": "print(1)"})
    assert (await until(lead, "ERROR"))["code"] == "run_busy"
    # when the interviewer stops it
    await lead.send("RUN_STOP", {"runId": run_id})
    finished = await until(candidate, "RUN_FINISHED")
    assert finished["verdict"] != "OK"
    assert finished["signal"] == "SIGKILL"
    assert (await until(lead, "RUN_FINISHED")) == finished
    # then a new run starts
    await lead.send("RUN_CODE", {"language": "python", "code": "print('again')"})
    assert (await until(lead, "RUN_STARTED"))["runId"] != run_id


async def test_a_compile_error_reports_the_compiler_output(room: Room, sockets: Sockets) -> None:
    (candidate,) = await sockets.meet(room, "candidate")
    await candidate.send("RUN_CODE", {"language": "c", "code": "int main() { return nope; }"})
    await candidate.expect("RUN_STARTED")
    finished = await until(candidate, "RUN_FINISHED")
    assert finished["verdict"] == "COMPILE_ERROR"
    assert finished["compile"]["ok"] is False
    assert "nope" in finished["compile"]["stderr"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"language": "python"}, "bad_frame"),
        ({"language": "python", "code": 7}, "bad_frame"),
        ({"language": "python", "code": "   "}, "bad_frame"),
        ({"language": "python", "code": "x" * (63 * 1024), "stdin": ["not", "text"]}, "bad_frame"),
    ],
)
async def test_bad_run_frames_are_refused_with_a_clear_error(
    room: Room, sockets: Sockets, payload: dict[str, Any], code: str
) -> None:
    (candidate,) = await sockets.meet(room, "candidate")
    await candidate.send("RUN_CODE", payload)
    assert await candidate.error() == code
    assert not await db(CodeRun.objects.exists)


async def test_observers_cannot_run_or_type_and_runs_can_be_switched_off(room: Room, sockets: Sockets) -> None:
    lead, observer = await sockets.meet(room, "lead", "observer")
    await observer.send("RUN_CODE", {"language": "python", "code": "print(1)"})
    assert await observer.error() == "forbidden"
    await observer.send("RUN_STDIN", {"runId": "0" * 32, "text": "x"})
    assert await observer.error() == "forbidden"
    # when the interviewer switches running off, the candidate's run is refused
    await lead.send("EDITOR_STATE", {"runEnabled": False})
    assert (await lead.expect("EDITOR_STATE"))["runEnabled"] is False
    candidate = await sockets.enter(room, "candidate")
    await candidate.send("RUN_CODE", {"language": "python", "code": "print(1)"})
    assert await candidate.error() == "run_disabled"
    document = await db(RoomDocument.objects.get, interview=room.interview, name="code")
    assert document.run_enabled is False


# --- against a problem's test cases ------------------------------------------------------------
def attach_problem(room: Room) -> Any:
    problem = ProblemFactory(
        organization=room.interview.organization,
        cases=[
            {"name": "one", "input": "1 2\n", "expected_output": "3\n", "hidden": False},
            {"name": "secret", "input": f"{HIDDEN_INPUT}\n", "expected_output": f"{HIDDEN_EXPECTED}\n", "hidden": True},
        ],
    )
    room.question.problem = problem
    room.question.save(update_fields=["problem"])
    return problem


# Passes both cases: sums numbers, and answers the hidden input with the hidden expected output.
SOLUTION = (
    "line = input()\n"
    "if line.startswith('HIDDEN-IN'):\n"
    "    print(line.replace('IN', 'OUT'))\n"
    "else:\n"
    "    a, b = map(int, line.split())\n"
    "    print(a + b)\n"
)
SUM_ONLY = "a, b = map(int, input().split())\nprint(a + b)\n"


async def test_interviewer_runs_against_all_cases_and_the_candidate_learns_nothing_of_the_hidden_ones(
    room: Room, sockets: Sockets
) -> None:
    # given a problem attached to the interview's question
    problem = await db(attach_problem, room)
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    # when the interviewer runs code that passes only the visible case, then code that passes all
    await lead.send("RUN_TESTS", {"problemId": problem.pk, "language": "python", "code": SOLUTION})
    first = await lead.expect("RUN_TESTS_RESULT")
    await lead.send("RUN_TESTS", {"problemId": problem.pk, "language": "python", "code": SUM_ONLY})
    second = await lead.expect("RUN_TESTS_RESULT")
    # then the interviewer sees every case, the hidden one with its output
    assert (first["passed"], first["total"]) == (2, 2)
    assert (second["passed"], second["total"]) == (1, 2)
    hidden = next(r for r in first["results"] if r["hidden"])
    assert HIDDEN_EXPECTED in hidden["stdout"]
    # and the history shows the first all-green run and the regression after it
    (history,) = second["history"]
    assert [p["passed"] for p in history["points"]] == [2, 1]
    assert history["firstAllGreenAt"] is not None
    assert history["regressions"] == 1
    assert history["participantId"] == room.people["candidate"].pk
    # and the candidate received nothing of it: the next frame they get is a later chat line
    await lead.send("CHAT", {"text": "next"})
    frame = await candidate.recv()
    assert frame["type"] == "CHAT", frame
    assert not any(HIDDEN_INPUT in text or HIDDEN_EXPECTED in text for text in candidate.seen)
    # and both runs are kept for the recruiter
    runs = await db(lambda: list(CodeRun.objects.filter(source=CodeRun.Source.ROOM_TESTS).order_by("pk")))
    assert [(r.passed, r.total) for r in runs] == [(2, 2), (1, 2)]


async def test_only_interviewers_run_tests_and_only_attached_problems(room: Room, sockets: Sockets) -> None:
    problem = await db(attach_problem, room)
    other = await db(ProblemFactory, organization=room.interview.organization)
    lead, candidate = await sockets.meet(room, "lead", "candidate")
    await candidate.send("RUN_TESTS", {"problemId": problem.pk, "language": "python", "code": SUM_ONLY})
    assert await candidate.error() == "forbidden"
    await candidate.send("RUN_HISTORY", {})
    assert await candidate.error() == "forbidden"
    await lead.send("RUN_TESTS", {"problemId": other.pk, "language": "python", "code": SUM_ONLY})
    assert await lead.error() == "bad_frame"
    await lead.send("RUN_HISTORY", {})
    listed = await lead.expect("RUN_HISTORY")
    assert [p["id"] for p in listed["problems"]] == [problem.pk]
    assert json.dumps(listed).count(HIDDEN_INPUT) == 0


async def test_output_with_nul_bytes_is_delivered_and_kept(room: Room, sockets: Sockets) -> None:
    # PostgreSQL refuses NUL in text and jsonb: the run must still be stored, not fail
    (candidate,) = await sockets.meet(room, "candidate")
    await candidate.send("RUN_CODE", {"language": "python", "code": "print('a\\x00b')"})
    await candidate.expect("RUN_STARTED")
    assert "a\x00b" in await output_until(candidate, "b")
    assert (await until(candidate, "RUN_FINISHED"))["verdict"] == "OK"
    run = await db(CodeRun.objects.get, interview=room.interview)
    assert run.stdout == "a\ufffdb\n"


async def test_test_case_runs_with_nul_output_are_kept(room: Room, sockets: Sockets) -> None:
    problem = await db(attach_problem, room)
    (lead,) = await sockets.meet(room, "lead")
    await lead.send("RUN_TESTS", {"problemId": problem.pk, "language": "python", "code": "print('\\x00')"})
    result = await lead.expect("RUN_TESTS_RESULT")
    assert (result["passed"], result["total"]) == (0, 2)
    stored = await db(CodeRun.objects.get, source=CodeRun.Source.ROOM_TESTS)
    assert all("\x00" not in r["stdout"] for r in stored.results)
