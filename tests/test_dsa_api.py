"""The DSA token-link API (DESIGN §4.3): answers, every error code, deadline, limits, throttles.

Tests that execute code go through the real bubblewrap sandbox (marker ``sandbox``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog, Organization
from assessments.factories import ProblemFactory
from assessments.models import DsaSession, Problem, Submission
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant, PipelineStage
from tests.conftest import Tenant

TOKEN = "dsa-api-token-" + "a" * 30
OTHER_TOKEN = "dsa-api-token-" + "b" * 30
UPPER = "print(input().upper())\n"
VISIBLE_KEYS = {"testCaseId", "passed", "verdict", "executionTimeMs", "memoryUsedKB", "stdout", "stderr"}
HIDDEN_KEYS = {"testCaseId", "passed", "hidden"}

# Two visible cases and five hidden ones; ``UPPER`` passes both visible and two hidden (4/7).
CASES: list[dict[str, Any]] = [
    {"name": "sample one", "input": "hello\n", "expected_output": "HELLO\n", "hidden": False},
    {"name": "sample two", "input": "abc\n", "expected_output": "ABC\n", "hidden": False},
    {"name": "h1", "input": "secret-in-quokka\n", "expected_output": "SECRET-IN-QUOKKA\n", "hidden": True},
    {"name": "h2", "input": "secret-in-narwhal\n", "expected_output": "SECRET-IN-NARWHAL\n", "hidden": True},
    {"name": "h3", "input": "secret-in-axolotl\n", "expected_output": "SECRET-OUT-AXOLOTL-MISMATCH\n", "hidden": True},
    {
        "name": "h4",
        "input": "secret-in-pangolin\n",
        "expected_output": "SECRET-OUT-PANGOLIN-MISMATCH\n",
        "hidden": True,
    },
    {"name": "h5", "input": "secret-in-okapi\n", "expected_output": "SECRET-OUT-OKAPI-MISMATCH\n", "hidden": True},
]
HIDDEN_STRINGS = [text.strip() for case in CASES if case["hidden"] for text in (case["input"], case["expected_output"])]
SCORE_TEXT = "57.14"  # 4 of 7


@dataclass
class Dsa:
    interview: Interview
    candidate: Participant
    problem: Problem
    token: str

    def url(self, endpoint: str = "") -> str:
        return f"/v1/dsa/{self.token}/{endpoint}"


def make_dsa(
    organization: Organization,
    *,
    token: str = TOKEN,
    cases: list[dict[str, Any]] | None = None,
    problems: list[Problem] | None = None,
    **dsa_config: Any,
) -> Dsa:
    """A technical_dsa interview whose candidate holds ``token``, with one problem unless given."""
    problem = (
        problems[0] if problems else ProblemFactory(organization=organization, cases=CASES if cases is None else cases)
    )
    config = {"problems": [p.pk for p in (problems or [problem])], "languages": ["python", "c", "c++"], **dsa_config}
    interview = cast(
        Interview,
        InterviewFactory(
            organization=organization,
            scheduled_at=timezone.now(),
            duration_minutes=120,
            stage__stage_type=PipelineStage.Type.TECHNICAL_DSA,
            stage__tools_config={"video": False, "editor": True, "whiteboard": False, "chat": False},
            stage__dsa_config=config,
            candidate__full_name="Ada Lovelace",
        ),
    )
    candidate = cast(
        Participant,
        ParticipantFactory(
            interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE, token=token
        ),
    )
    return Dsa(interview=interview, candidate=candidate, problem=problem, token=token)


def post(client: Client, url: str, body: Any, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def dsa(acme: Tenant) -> Dsa:
    return make_dsa(acme.org)


# --- answers ------------------------------------------------------------------------------
@pytest.mark.sandbox
def test_run_grades_the_visible_cases_with_their_details(dsa: Dsa, client: Client) -> None:
    # when
    response = post(client, dsa.url("run"), {"language": "python", "code": UPPER})
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"compile", "results"}
    assert body["compile"] == {"ok": True, "stderr": ""}
    visible = list(dsa.problem.test_cases.filter(hidden=False).order_by("order").values_list("pk", flat=True))
    assert [r["testCaseId"] for r in body["results"]] == visible
    for result in body["results"]:
        assert set(result) == VISIBLE_KEYS
        assert result["passed"] is True
        assert result["verdict"] == "OK"
        assert isinstance(result["executionTimeMs"], int)
        assert isinstance(result["memoryUsedKB"], int)
    assert body["results"][0]["stdout"] == "HELLO\n"


@pytest.mark.sandbox
def test_submit_reports_hidden_cases_with_exactly_three_keys_and_stores_the_score(dsa: Dsa, client: Client) -> None:
    # when
    response = post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    # then
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 7
    hidden = [r for r in results if r.get("hidden")]
    assert len(hidden) == 5
    for result in hidden:
        assert set(result) == HIDDEN_KEYS
        assert result["hidden"] is True
    assert [r["passed"] for r in hidden] == [True, True, False, False, False]
    submission = Submission.objects.get()
    assert (submission.passed, submission.total, submission.score) == (4, 7, 57.14)
    assert any(r["hidden"] and r["stdout"] == "SECRET-IN-QUOKKA\n" for r in submission.results)  # kept for recruiters
    entry = Interview.objects.get(pk=dsa.interview.pk).stage_data["dsaSubmissions"][0]
    assert set(entry) == {"submissionId", "problemId", "language", "score", "passed", "total", "submittedAt"}
    assert (entry["submissionId"], entry["problemId"], entry["score"]) == (submission.pk, dsa.problem.pk, 57.14)


@pytest.mark.sandbox
def test_every_submission_is_mirrored_into_stage_data(dsa: Dsa, client: Client) -> None:
    # when
    post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    post(client, dsa.url("submit/"), {"language": "python", "code": "print(input())\n"})
    # then
    entries = Interview.objects.get(pk=dsa.interview.pk).stage_data["dsaSubmissions"]
    assert [e["score"] for e in entries] == [57.14, 0.0]
    assert [e["submissionId"] for e in entries] == list(Submission.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.sandbox
@pytest.mark.parametrize("endpoint", ["run", "run/", "submit", "submit/"])
def test_endpoints_answer_with_or_without_a_trailing_slash(dsa: Dsa, client: Client, endpoint: str) -> None:
    response = post(client, dsa.url(endpoint), {"language": "python", "code": UPPER})
    assert response.status_code == 200
    assert response.json()["compile"]["ok"] is True


@pytest.mark.sandbox
def test_a_compile_error_has_no_results(dsa: Dsa, client: Client) -> None:
    response = post(client, dsa.url("submit"), {"language": "c", "code": "int main(void) { retur 0; }"})
    assert response.status_code == 200
    body = response.json()
    assert body["compile"]["ok"] is False
    assert "retur" in body["compile"]["stderr"]
    assert body["results"] == []
    assert Submission.objects.get().score == 0.0


@pytest.mark.sandbox
def test_cpp_is_an_alias_of_cplusplus(dsa: Dsa, client: Client) -> None:
    code = (
        "#include <iostream>\n#include <string>\n#include <cctype>\n"
        "int main(){std::string s;std::getline(std::cin,s);"
        'for(auto&c:s)c=std::toupper(c);std::cout<<s<<"\\n";}\n'
    )
    response = post(client, dsa.url("run"), {"language": "cpp", "code": code})
    assert response.status_code == 200
    assert [r["passed"] for r in response.json()["results"]] == [True, True]


@pytest.mark.sandbox
def test_problem_id_picks_another_problem_of_the_assessment(acme: Tenant, client: Client) -> None:
    # given: two problems, the second one adds numbers
    first = ProblemFactory(organization=acme.org, cases=CASES)
    second = ProblemFactory(organization=acme.org)
    dsa = make_dsa(acme.org, problems=[first, second])
    # when
    response = post(
        client,
        dsa.url("run"),
        {"language": "python", "code": "a, b = map(int, input().split())\nprint(a + b)\n", "problemId": second.pk},
    )
    # then
    ids = list(second.test_cases.filter(hidden=False).values_list("pk", flat=True))
    assert [r["testCaseId"] for r in response.json()["results"]] == ids
    assert all(r["passed"] for r in response.json()["results"])


@pytest.mark.sandbox
def test_run_may_narrow_to_visible_case_ids(dsa: Dsa, client: Client) -> None:
    second = dsa.problem.test_cases.get(name="sample two")
    response = post(client, dsa.url("run"), {"language": "python", "code": UPPER, "testCaseIds": [second.pk]})
    assert [r["testCaseId"] for r in response.json()["results"]] == [second.pk]


def test_run_refuses_hidden_case_ids_like_unknown_ones(dsa: Dsa, client: Client) -> None:
    hidden = dsa.problem.test_cases.filter(hidden=True).first()
    assert hidden is not None
    # when
    by_hidden = post(client, dsa.url("run"), {"language": "python", "code": UPPER, "testCaseIds": [hidden.pk]})
    by_unknown = post(client, dsa.url("run"), {"language": "python", "code": UPPER, "testCaseIds": [10**9]})
    # then: the same answer, so a hidden id cannot be told from a wrong one
    assert by_hidden.status_code == by_unknown.status_code == 400
    assert by_hidden.json() == by_unknown.json()


def test_submit_does_not_take_case_ids(dsa: Dsa, client: Client) -> None:
    response = post(client, dsa.url("submit"), {"language": "python", "code": UPPER, "testCaseIds": [1]})
    assert response.status_code == 400


# --- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "endpoint", ["start", "start/", "run", "submit", "run/", "submit/", "finish", "events", "state", "consent"]
)
def test_an_unknown_token_is_404(db: None, client: Client, endpoint: str) -> None:
    url = f"/v1/dsa/{'z' * 40}/{endpoint}"
    response = client.get(url) if endpoint == "state" else post(client, url, {"language": "python", "code": UPPER})
    assert response.status_code == 404
    assert "error" in response.json()


def test_the_page_of_an_unknown_token_is_404(db: None, client: Client) -> None:
    assert client.get(f"/v1/dsa/{'z' * 40}/").status_code == 404


def test_an_interviewer_token_or_a_live_interview_token_is_404(acme: Tenant, client: Client) -> None:
    # given: the interviewer of a DSA interview, and the candidate of a live-coding interview
    dsa = make_dsa(acme.org)
    ParticipantFactory(interview=dsa.interview, user=acme.users["interviewer"], token=OTHER_TOKEN)
    live = InterviewFactory(organization=acme.org, scheduled_at=timezone.now())
    ParticipantFactory(
        interview=live, user=None, candidate=live.candidate, role=Participant.Role.CANDIDATE, token="live-" + "x" * 40
    )
    # then
    assert post(client, f"/v1/dsa/{OTHER_TOKEN}/run", {"language": "python", "code": UPPER}).status_code == 404
    assert post(client, f"/v1/dsa/live-{'x' * 40}/run", {"language": "python", "code": UPPER}).status_code == 404


@pytest.mark.parametrize("how", ["expired", "revoked", "cancelled", "finished", "completed"])
def test_an_expired_link_or_ended_assessment_is_410(dsa: Dsa, client: Client, how: str) -> None:
    # given
    now = timezone.now()
    if how == "expired":
        Participant.objects.filter(pk=dsa.candidate.pk).update(token_expires_at=now - timedelta(seconds=1))
    elif how == "revoked":
        Participant.objects.filter(pk=dsa.candidate.pk).update(revoked_at=now)
    elif how == "cancelled":
        Interview.objects.filter(pk=dsa.interview.pk).update(status=Interview.Status.CANCELLED)
    elif how == "completed":
        Interview.objects.filter(pk=dsa.interview.pk).update(status=Interview.Status.COMPLETED)
    else:
        DsaSession.objects.create(
            interview=dsa.interview,
            participant=dsa.candidate,
            started_at=now,
            deadline=now + timedelta(hours=1),
            finished_at=now,
        )
    # then
    for endpoint in ("start", "run", "submit", "finish", "events"):
        response = post(client, dsa.url(endpoint), {"language": "python", "code": UPPER})
        assert response.status_code == 410, endpoint
        assert response.json()["error"]
    assert client.get(dsa.url()).status_code == 410


def test_the_deadline_is_enforced_by_the_server(dsa: Dsa, client: Client) -> None:
    # given: the session started and the time limit passed
    assert post(client, dsa.url("start"), {}).status_code == 200
    session = DsaSession.objects.get(interview=dsa.interview)
    DsaSession.objects.filter(pk=session.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    # when
    response = post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    # then: refused, and the interview is closed
    assert response.status_code == 410
    assert Submission.objects.count() == 0
    assert DsaSession.objects.get(pk=session.pk).finished_at is not None
    assert Interview.objects.get(pk=dsa.interview.pk).status == Interview.Status.COMPLETED


def test_the_session_starts_on_start_and_its_deadline_is_capped_by_the_link(acme: Tenant, client: Client) -> None:
    # given: a 60-minute assessment whose link expires in 30 minutes
    dsa = make_dsa(acme.org, timeLimitMinutes=60)
    expires = timezone.now() + timedelta(minutes=30)
    Participant.objects.filter(pk=dsa.candidate.pk).update(token_expires_at=expires)
    assert not DsaSession.objects.exists()
    # when
    response = post(client, dsa.url("start"), {})
    # then
    session = DsaSession.objects.get()
    assert session.started_at is not None
    assert session.deadline == expires
    assert response.json()["deadline"] == expires.isoformat()
    assert Interview.objects.get(pk=dsa.interview.pk).status == Interview.Status.LIVE
    # and starting again, or opening the page, does not restart the clock
    started = session.started_at
    assert post(client, dsa.url("start/"), {}).status_code == 200
    client.get(dsa.url())
    assert DsaSession.objects.get().started_at == started


@pytest.mark.sandbox
def test_run_starts_a_session_that_was_not_started(dsa: Dsa, client: Client) -> None:
    # API integrations post /run or /submit directly (§4.3)
    assert post(client, dsa.url("run"), {"language": "python", "code": UPPER}).status_code == 200
    assert DsaSession.objects.get().started_at is not None


def test_the_deadline_is_the_time_limit_after_the_start(acme: Tenant, client: Client) -> None:
    dsa = make_dsa(acme.org, timeLimitMinutes=45)
    post(client, dsa.url("start"), {})
    session = DsaSession.objects.get(interview=dsa.interview)
    assert session.deadline - session.started_at == timedelta(minutes=45)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
@pytest.mark.parametrize("endpoint", ["run", "submit", "start"])
def test_a_body_that_is_not_json_is_415(dsa: Dsa, client: Client, content_type: str, endpoint: str) -> None:
    body = json.dumps({"language": "python", "code": UPPER})
    response = client.post(dsa.url(endpoint), data=body, content_type=content_type)
    assert response.status_code == 415
    assert "JSON" in response.json()["error"]


@pytest.mark.parametrize("endpoint", ["run", "submit"])
def test_code_over_64_kib_is_413(dsa: Dsa, client: Client, endpoint: str) -> None:
    code = "# " + "x" * (64 * 1024)
    response = post(client, dsa.url(endpoint), {"language": "python", "code": code})
    assert response.status_code == 413
    assert "64 KiB" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"language": "brainfuck", "code": UPPER}, "Unknown language"),
        ({"language": "java", "code": UPPER}, "not allowed"),
        ({"language": "python"}, "code"),
        ({"language": 3, "code": UPPER}, "language"),
        ({"code": UPPER}, "language"),
        (["python", UPPER], "object"),
        ({"language": "python", "code": UPPER, "problemId": 10**9}, "problemId"),
        ({"language": "python", "code": UPPER, "problemId": "1"}, "problemId"),
    ],
)
@pytest.mark.parametrize("endpoint", ["run", "submit"])
def test_a_bad_body_or_language_is_400(dsa: Dsa, client: Client, body: Any, words: str, endpoint: str) -> None:
    response = post(client, dsa.url(endpoint), body)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_broken_json_is_400(dsa: Dsa, client: Client) -> None:
    response = client.post(dsa.url("run"), data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_cpp_alias_resolves_before_the_allowed_languages_check(acme: Tenant, client: Client) -> None:
    dsa = make_dsa(acme.org, languages=["python"])
    response = post(client, dsa.url("run"), {"language": "cpp", "code": "int main(){}"})
    assert response.status_code == 400
    assert "c++ is not allowed" in response.json()["error"]


def test_get_is_not_allowed_on_run(dsa: Dsa, client: Client) -> None:
    assert client.get(dsa.url("run")).status_code == 405


@pytest.mark.sandbox
def test_the_submission_limit_is_409(acme: Tenant, client: Client) -> None:
    # given
    dsa = make_dsa(acme.org, maxSubmissions=2)
    for _ in range(2):
        assert post(client, dsa.url("submit"), {"language": "python", "code": UPPER}).status_code == 200
    # when
    response = post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    # then
    assert response.status_code == 409
    assert "2 submissions" in response.json()["error"]
    assert Submission.objects.count() == 2
    # and running is still possible
    assert post(client, dsa.url("run"), {"language": "python", "code": UPPER}).status_code == 200
    assert client.get(dsa.url("state")).json()["submissionsLeft"] == 0


@pytest.mark.sandbox
def test_runs_are_throttled_per_token_not_per_address(
    acme: Tenant, client: Client, settings: Any, one_throttle_window: float
) -> None:
    # given: two runs a minute per token
    settings.EXECUTION_RATE_PER_PARTICIPANT = "2/60"
    settings.EXECUTION_RATE_PER_ORGANIZATION = "1000/60"
    first = make_dsa(acme.org)
    second = make_dsa(acme.org, token=OTHER_TOKEN)
    body = {"language": "python", "code": UPPER}
    # when: the first token runs three times from "different addresses"
    answers = [
        post(client, first.url("run"), body, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}", REMOTE_ADDR=f"10.1.0.{n}")
        for n in range(3)
    ]
    # then
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert answers[2].json()["error"]
    # and submit counts against the same token
    assert post(client, first.url("submit"), body).status_code == 429
    # and the other token is not affected
    assert post(client, second.url("run"), body).status_code == 200


def test_finish_ends_the_assessment(dsa: Dsa, client: Client) -> None:
    # given
    post(client, dsa.url("start"), {})
    # when
    response = post(client, dsa.url("finish"), {})
    # then
    assert response.status_code == 200
    assert DsaSession.objects.get().finished_at is not None
    assert Interview.objects.get(pk=dsa.interview.pk).status == Interview.Status.COMPLETED
    assert post(client, dsa.url("run"), {"language": "python", "code": UPPER}).status_code == 410
    assert post(client, dsa.url("finish"), {}).status_code == 410


def test_finish_needs_json(dsa: Dsa, client: Client) -> None:
    assert client.post(dsa.url("finish"), data="x", content_type="text/plain").status_code == 415


@pytest.mark.sandbox
def test_state_changes_are_audited_with_the_candidate_as_actor(dsa: Dsa, client: Client) -> None:
    # when
    client.get(dsa.url())  # a GET starts nothing: the first entry is the start
    post(client, dsa.url("start"), {})
    post(client, dsa.url("run"), {"language": "python", "code": UPPER})
    post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    post(client, dsa.url("finish"), {})
    # then
    entries = AuditLog.objects.filter(action__startswith="dsa.").order_by("pk")
    assert [e.action for e in entries] == ["dsa.start", "dsa.run", "dsa.submit", "dsa.finish"]
    email = dsa.interview.candidate.email
    assert all(e.actor_label == f"{email} (candidate)" and e.actor is None for e in entries)
    assert all(e.organization_id == dsa.interview.organization_id for e in entries)


def test_a_problem_of_another_organization_is_never_served(acme: Tenant, globex: Tenant, client: Client) -> None:
    # given: the stage names a problem id of another organization
    foreign = ProblemFactory(organization=globex.org, title="Globex secret problem")
    dsa = make_dsa(acme.org, problems=[foreign])
    # then
    assert "Globex secret problem" not in client.get(dsa.url()).content.decode()
    assert post(client, dsa.url("start"), {}).status_code == 409  # no problem: no clock
    page = client.get(dsa.url())
    assert "Globex secret problem" not in page.content.decode()
    response = post(client, dsa.url("run"), {"language": "python", "code": UPPER})
    assert response.status_code == 409
