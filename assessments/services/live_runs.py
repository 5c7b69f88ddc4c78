"""Code runs from the live interview room: who may run, what a run is, and the run history.

The room socket (interviews.consumers) streams a run's output; the rules live here. A run takes
the code the sender's editor shows (the shared document everyone in the room edits), the room's
language and the stdin typed in the panel. Runs against a problem's test cases are for the
interviewers only, because their results include the hidden cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assessments.execution.base import (
    MAX_CODE_BYTES,
    MAX_STDIN_BYTES,
    Limits,
    RunRequest,
    RunResult,
    canonical_language,
)
from assessments.execution.service import Throttled, throttle_check
from assessments.models import CodeRun, Problem
from interviews.models import Interview, Participant
from interviews.services import documents
from interviews.services.rooms import RoomRefused, participant_may_lead

#: what the room keeps of a run's output for history and playback
STORED_OUTPUT_CHARS = 16 * 1024


def room_limits() -> Limits:
    # A REPL-like session waits for people to type: a long wall clock, the usual CPU limit.
    return Limits(cpu_ms=settings.ROOM_RUN_CPU_MS, wall_ms=settings.ROOM_RUN_WALL_MS)


@dataclass(frozen=True)
class RoomRun:
    request: RunRequest
    participant_id: int
    interview_id: int


def _check_code(code: Any) -> str:
    if not isinstance(code, str):
        raise RoomRefused(_("code must be a string."), code="bad_frame")
    if len(code.encode()) > MAX_CODE_BYTES:
        raise RoomRefused(_("Code is limited to %(n)d KiB.") % {"n": MAX_CODE_BYTES // 1024}, code="code_too_large")
    if not code.strip():
        raise RoomRefused(_("There is no code to run."), code="bad_frame")
    return code


def _check_language(participant: Participant, language: Any) -> str:
    name = canonical_language(language) if isinstance(language, str) else None
    if name is None:
        state = documents.editor_state_for_room(interview=participant.interview)
        name = state["language"]
    return name


def _throttle(participant: Participant) -> None:
    try:
        throttle_check(key=f"room:{participant.pk}", organization_id=participant.interview.organization_id)
    except Throttled as throttled:
        raise RoomRefused(
            _("Too many runs; try again in %(s)d s.") % {"s": throttled.retry_after}, code="rate_limited"
        ) from throttled


def room_run_prepare(*, participant: Participant, language: Any, code: Any, stdin: Any = "") -> RoomRun:
    """Check that ``participant`` may run code now and build the request (throttle counted)."""
    interview = participant.interview
    if not interview.stage.config.toolsConfig.get("editor"):
        raise RoomRefused(_("This interview's stage does not use the editor."), code="tool_off")
    if participant.role == Participant.Role.OBSERVER and not participant_may_lead(participant):
        raise RoomRefused(_("Observers watch; they do not run code."), code="forbidden")
    state = documents.editor_state_for_room(interview=interview)
    if not state["runEnabled"]:
        raise RoomRefused(_("The interviewer has turned running code off."), code="run_disabled")
    if not isinstance(stdin, str) or len(stdin.encode()) > MAX_STDIN_BYTES:
        raise RoomRefused(_("stdin must be text of at most 1 MiB."), code="bad_frame")
    request = RunRequest(
        language=_check_language(participant, language),
        code=_check_code(code),
        stdin=stdin,
        limits=room_limits(),
    )
    _throttle(participant)
    return RoomRun(request=request, participant_id=participant.pk, interview_id=interview.pk)


def room_stdin_check(*, participant: Participant) -> None:
    """Observers watch the panel; everyone else may type into a running program."""
    if participant.role == Participant.Role.OBSERVER and not participant_may_lead(participant):
        raise RoomRefused(_("Observers watch; they do not type into the program."), code="forbidden")


def storable(text: str) -> str:
    """Program output as the database takes it: PostgreSQL refuses NUL in text and jsonb, and a
    refused row would turn a program's output into a server error (and a side channel)."""
    return text.replace("\x00", "\ufffd")


def _clip(text: str) -> str:
    text = storable(text)
    return text if len(text) <= STORED_OUTPUT_CHARS else text[:STORED_OUTPUT_CHARS] + "\n…"


def room_run_record(*, run: RoomRun, result: RunResult, stdout: str, stderr: str) -> CodeRun:
    """Keep a finished room run for the history, the recruiter and playback."""
    participant = Participant.objects.select_related("interview", "user").get(pk=run.participant_id)
    step = result.run or result.compile
    code_run = CodeRun.objects.create(
        interview_id=run.interview_id,
        participant=participant,
        source=CodeRun.Source.ROOM,
        language=run.request.language,
        code=storable(run.request.code),
        stdin=_clip(run.request.stdin),
        verdict=str(result.verdict),
        stdout=_clip(stdout),
        stderr=_clip(stderr if result.run else (result.compile.stderr if result.compile else stderr)),
        exit_code=step.exit_code if step else None,
        wall_ms=step.wall_ms if step else 0,
    )
    audit_record(
        action="code.run",
        actor=participant.user,
        organization=participant.interview.organization,
        target=participant.interview,
        changes={"language": run.request.language, "verdict": str(result.verdict), "run": code_run.pk},
    )
    return code_run


# --- runs against a problem's test cases (interviewers only) -------------------------------
class RoomProblem(TypedDict):
    id: int
    title: str
    cases: int
    hiddenCases: int


def room_problems(*, interview: Interview) -> list[RoomProblem]:
    """The coding problems the interview's plan attaches (through its questions), in plan order."""
    seen: dict[int, RoomProblem] = {}
    plan = interview.plan.select_related("question__problem").order_by("order", "pk")
    for item in plan:
        problem = item.question.problem
        if problem is None or problem.pk in seen or problem.organization_id != interview.organization_id:
            continue
        cases = list(problem.test_cases.values_list("hidden", flat=True))
        seen[problem.pk] = {
            "id": problem.pk,
            "title": problem.title,
            "cases": len(cases),
            "hiddenCases": sum(1 for hidden in cases if hidden),
        }
    return list(seen.values())


def _code_author(interview: Interview, runner: Participant) -> Participant:
    # The history is the candidate's (it is their code); a room without one keeps the runner's.
    candidate = interview.participants.filter(role=Participant.Role.CANDIDATE).first()
    return candidate or runner


def room_tests_problem(*, participant: Participant, problem_id: Any) -> Problem:
    """The attached problem an interviewer wants to run the code against, or a refusal."""
    if not participant_may_lead(participant):
        raise RoomRefused(_("Only interviewers run the code against the test cases."), code="forbidden")
    attached = {p["id"] for p in room_problems(interview=participant.interview)}
    if not attached:
        raise RoomRefused(_("No coding problem is attached to this interview's questions."), code="no_problem")
    if problem_id is None and len(attached) == 1:
        problem_id = next(iter(attached))
    if not isinstance(problem_id, int) or isinstance(problem_id, bool) or problem_id not in attached:
        raise RoomRefused(_("problemId must name a problem attached to this interview."), code="bad_frame")
    _throttle(participant)
    return Problem.objects.get(pk=problem_id)


@transaction.atomic
def room_tests_record(
    *, participant: Participant, problem: Problem, language: str, code: str, grade: dict[str, Any]
) -> CodeRun:
    """Keep a test-case run (full results, hidden ones included) in the candidate's history."""
    interview = participant.interview
    code_run = CodeRun.objects.create(
        interview=interview,
        participant=_code_author(interview, participant),
        problem=problem,
        source=CodeRun.Source.ROOM_TESTS,
        language=language,
        code=storable(code),
        verdict=grade["verdict"],
        stderr=_clip(grade.get("compileStderr", "")),
        passed=grade["passed"],
        total=grade["total"],
        results=[{k: storable(v) if isinstance(v, str) else v for k, v in r.items()} for r in grade["results"]],
    )
    audit_record(
        action="code.run_tests",
        actor=participant.user,
        organization=interview.organization,
        target=interview,
        changes={"problem": problem.pk, "passed": grade["passed"], "total": grade["total"], "run": code_run.pk},
    )
    return code_run


class HistoryPoint(TypedDict):
    runId: int
    at: str
    passed: int
    total: int
    language: str
    regression: bool


class RunHistory(TypedDict):
    problemId: int
    title: str
    participantId: int | None
    points: list[HistoryPoint]
    firstAllGreenAt: str | None
    regressions: int
    runs: int


def run_history(*, interview: Interview) -> list[RunHistory]:
    """Pass counts over time per (problem, candidate): first all-green run and regressions."""
    runs = (
        CodeRun.objects.filter(interview=interview, source=CodeRun.Source.ROOM_TESTS, problem__isnull=False)
        .select_related("problem")
        .order_by("created_at", "pk")
    )
    histories: dict[tuple[int, int | None], RunHistory] = {}
    for run in runs:
        if run.problem is None:  # filtered out above; keeps the type checker informed
            continue
        key = (run.problem_id or 0, run.participant_id)
        history = histories.setdefault(
            key,
            {
                "problemId": run.problem_id or 0,
                "title": run.problem.title,
                "participantId": run.participant_id,
                "points": [],
                "firstAllGreenAt": None,
                "regressions": 0,
                "runs": 0,
            },
        )
        passed, total = run.passed or 0, run.total or 0
        previous = history["points"][-1] if history["points"] else None
        regression = previous is not None and passed < previous["passed"]
        history["points"].append(
            {
                "runId": run.pk,
                "at": run.created_at.isoformat(),
                "passed": passed,
                "total": total,
                "language": run.language,
                "regression": regression,
            }
        )
        history["runs"] += 1
        history["regressions"] += int(regression)
        if history["firstAllGreenAt"] is None and total and passed == total:
            history["firstAllGreenAt"] = run.created_at.isoformat()
    return list(histories.values())


def room_tests_run(*, participant: Participant, problem_id: Any, language: Any, code: Any) -> dict[str, Any]:
    """Run the editor's code against an attached problem's cases (hidden included) and keep it."""
    from assessments.execution.service import Priority
    from assessments.services import grading

    problem = room_tests_problem(participant=participant, problem_id=problem_id)
    name = _check_language(participant, language)
    source = _check_code(code)
    outcome = grading.grade(problem=problem, language=name, code=source, include_hidden=True, priority=Priority.LIVE)
    results = [r.as_json() for r in outcome.results]
    if not outcome.compile_ok:
        verdict = "COMPILE_ERROR"
    elif outcome.total and outcome.passed == outcome.total:
        verdict = "OK"
    else:
        verdict = next((r["verdict"] for r in results if not r["passed"]), "OK")
    summary = {
        "verdict": verdict,
        "passed": outcome.passed,
        "total": outcome.total,
        "results": results,
        "compileStderr": outcome.compile_stderr,
    }
    code_run = room_tests_record(participant=participant, problem=problem, language=name, code=source, grade=summary)
    return {
        "runId": code_run.pk,
        "problemId": problem.pk,
        "title": problem.title,
        "language": name,
        "compile": {"ok": outcome.compile_ok, "stderr": outcome.compile_stderr},
        **{k: summary[k] for k in ("verdict", "passed", "total", "results")},
        "history": run_history(interview=participant.interview),
    }


def room_history(*, participant: Participant) -> dict[str, Any]:
    """What the interviewers' run panel shows: the attached problems and the run history."""
    if not participant_may_lead(participant):
        raise RoomRefused(_("Only interviewers see the run history."), code="forbidden")
    interview = participant.interview
    return {"problems": room_problems(interview=interview), "history": run_history(interview=interview)}
