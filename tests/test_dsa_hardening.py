"""Hardening of the DSA token link after the security review: program output a database refuses,
one grading per token at a time, runner failures, GETs that must not start the clock, and JSON
nested too deep to parse.

Normal database tests: with ``DATABASE_URL`` pointing at PostgreSQL (``.ci/run``) they run there,
where a NUL in ``text``/``jsonb`` makes ``save()`` fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from assessments.execution import service
from assessments.models import CodeRun, DsaSession, Submission
from assessments.services import grading
from interviews.models import Interview
from tests.browser import free_port
from tests.conftest import Tenant
from tests.test_dsa_api import UPPER, Dsa, make_dsa

DEEP = "[" * 100_000 + "]" * 100_000
# Prints a NUL on the hidden cases only: the oracle the review found (a 500 on a hidden condition).
NUL_ON_HIDDEN = "s = input()\nprint('\\0' if s.startswith('secret') else s.upper())\nprint('a\\0b')\n"
BUSY_TEXT = "A run is already in progress for this assessment"
RUNNER_BUSY = "The code runner is busy; your submission was not counted. Try again."


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def dsa(acme: Tenant) -> Dsa:
    return make_dsa(acme.org, maxSubmissions=3)


# --- program output that a database refuses ---------------------------------------------
def test_stored_text_has_no_nul_nor_lone_surrogate() -> None:
    assert grading.cap_text("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert grading.clean_text(None) == ""
    # the replacement is longer than a NUL: the cap still holds, in whole characters
    capped = grading.cap_text("\x00" * 10, limit=7)
    assert capped == "\ufffd\ufffd"
    assert len(capped.encode("utf-8")) <= 7


@pytest.mark.sandbox
def test_a_program_printing_nul_is_run_and_stored(dsa: Dsa, client: Client) -> None:
    # when
    response = post(client, dsa.url("run"), {"language": "python", "code": NUL_ON_HIDDEN})
    # then
    assert response.status_code == 200
    assert all("\x00" not in r["stdout"] for r in response.json()["results"])
    run = CodeRun.objects.get()
    assert [r["stdout"] for r in run.results] == ["HELLO\na\ufffdb\n", "ABC\na\ufffdb\n"]


@pytest.mark.sandbox
def test_a_program_printing_nul_on_hidden_cases_is_submitted_and_counted(dsa: Dsa, client: Client) -> None:
    # when
    response = post(client, dsa.url("submit"), {"language": "python", "code": NUL_ON_HIDDEN})
    # then: an ordinary answer, the submission stored and counted
    assert response.status_code == 200
    assert len(response.json()["results"]) == 7
    submission = Submission.objects.get()
    hidden = [r for r in submission.results if r["hidden"]]
    assert len(hidden) == 5
    assert all(r["stdout"] == "\ufffd\na\ufffdb\n" and not r["passed"] for r in hidden)
    assert submission.total == 7
    assert client.get(dsa.url("state")).json()["submissionsLeft"] == 2


# --- one grading per token at a time ------------------------------------------------------
def _hold_guard(dsa: Dsa) -> None:
    assert cache.add(f"dsa-busy:{dsa.candidate.pk}", "another request", timeout=60)


@pytest.mark.parametrize("endpoint", ["run", "submit"])
def test_a_run_in_progress_refuses_another_with_429(dsa: Dsa, client: Client, endpoint: str) -> None:
    # given: another request of this token is grading
    post(client, dsa.url("start"), {})
    _hold_guard(dsa)
    # when
    response = post(client, dsa.url(endpoint), {"language": "python", "code": UPPER})
    # then
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert BUSY_TEXT in response.json()["error"]
    assert not Submission.objects.exists()
    assert not CodeRun.objects.exists()


@pytest.mark.sandbox
def test_a_submission_made_while_one_is_grading_is_refused(
    dsa: Dsa, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: while the first submission grades, the same token submits again
    real_grade = grading.grade
    nested: list[Any] = []

    def grade_and_submit_again(**kwargs: Any) -> grading.Grade:
        if not nested:
            nested.append(post(client, dsa.url("submit"), {"language": "python", "code": UPPER}))
        return real_grade(**kwargs)

    monkeypatch.setattr(grading, "grade", grade_and_submit_again)
    # when
    first = post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    # then: one grading, one submission; the other was refused before any grading
    assert first.status_code == 200
    assert nested[0].status_code == 429
    assert BUSY_TEXT in nested[0].json()["error"]
    assert Submission.objects.count() == 1


@pytest.mark.sandbox
def test_the_guard_is_released_after_each_run_and_each_refusal(acme: Tenant, client: Client) -> None:
    # given: one submission allowed
    dsa = make_dsa(acme.org, maxSubmissions=1)
    body = {"language": "python", "code": UPPER}
    # when / then: each request after the other goes through (or is refused for its own reason)
    assert post(client, dsa.url("run"), body).status_code == 200
    assert post(client, dsa.url("submit"), body).status_code == 200
    assert post(client, dsa.url("submit"), body).status_code == 409
    assert post(client, dsa.url("run"), body).status_code == 200
    assert cache.get(f"dsa-busy:{dsa.candidate.pk}") is None


def test_the_guard_outlasts_the_longest_grading(dsa: Dsa, settings: Any) -> None:
    settings.EXECUTION_QUEUE_TIMEOUT_SECONDS = 60
    limits = grading.problem_limits(dsa.problem)
    seconds = grading.budget_seconds(problem=dsa.problem, cases=7)
    longest_ms = limits.compile_wall_ms + service.batch_budget_ms(limits, 7) + limits.wall_ms
    assert seconds >= 60 + longest_ms / 1000


@pytest.mark.sandbox
def test_a_submission_is_one_batch_cached_per_organization(
    dsa: Dsa, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a spy on the real batch call
    real_batch = service.execute_batch
    calls: list[tuple[int, str]] = []

    def spy(request: Any, stdins: list[str], **kwargs: Any) -> Any:
        calls.append((len(stdins), kwargs["cache_scope"]))
        return real_batch(request, stdins, **kwargs)

    monkeypatch.setattr(service, "execute_batch", spy)
    # when
    response = post(client, dsa.url("submit"), {"language": "c", "code": "int main(void) { return 0; }"})
    # then: the seven cases in one batch (compiled once), scoped to the problem's organization
    assert response.status_code == 200
    assert calls == [(7, f"org:{dsa.problem.organization_id}")]


# --- the runner failing -----------------------------------------------------------------
@pytest.fixture
def broken_runner(settings: Any) -> Iterator[None]:
    """The configured backend is an executor nobody listens on: every run is a SANDBOX_ERROR."""
    settings.EXECUTION_BACKEND = "piston"
    settings.EXECUTOR_URL = f"http://127.0.0.1:{free_port()}"
    service.get_backend.cache_clear()
    yield
    service.get_backend.cache_clear()


def test_a_submission_the_runner_failed_is_503_and_not_counted(dsa: Dsa, client: Client, broken_runner: None) -> None:
    # when
    response = post(client, dsa.url("submit"), {"language": "python", "code": UPPER})
    # then
    assert response.status_code == 503
    assert response.json() == {"error": RUNNER_BUSY}
    assert int(response["Retry-After"]) >= 1
    assert not Submission.objects.exists()
    assert "dsaSubmissions" not in (Interview.objects.get(pk=dsa.interview.pk).stage_data or {})
    assert client.get(dsa.url("state")).json()["submissionsLeft"] == 3
    assert cache.get(f"dsa-busy:{dsa.candidate.pk}") is None


# --- GETs never start the clock -----------------------------------------------------------
def test_opening_the_link_starts_nothing(dsa: Dsa, client: Client) -> None:
    # when: a mail scanner fetches the page and the state, twice
    for _ in range(2):
        assert client.get(dsa.url()).status_code == 200
        state = client.get(dsa.url("state"))
        assert state.status_code == 200
    # then
    assert not DsaSession.objects.filter(started_at__isnull=False).exists()
    assert Interview.objects.get(pk=dsa.interview.pk).status == Interview.Status.SCHEDULED
    assert state.json()["deadline"] is None
    assert state.json()["submissionsLeft"] == 3


def test_the_start_screen_shows_the_facts_but_not_the_problem(acme: Tenant, client: Client) -> None:
    # given: a proctored 40-minute assessment in Python or C
    dsa = make_dsa(acme.org, timeLimitMinutes=40, languages=["python", "c"], maxSubmissions=5, proctoringEnabled=True)
    dsa.problem.starter_code = {"python": "# starter-code-marker\n"}
    dsa.problem.save()
    # when
    page = client.get(dsa.url()).content.decode()
    # then: title, time limit, languages, submissions, the notice and the button
    assert dsa.problem.title in page
    assert "40 minutes" in page
    assert "Python" in page
    assert "5 submissions in all" in page
    assert "this assessment is proctored" in page.lower()
    assert 'id="dsa-start-button"' in page
    # and no statement, sample or starter code, neither in the page nor in its script settings
    assert dsa.problem.statement[:40] not in page
    assert "starter-code-marker" not in page
    assert "HELLO" not in page
    assert 'id="dsa-editor-host"' not in page
    # once started, the page is the assessment
    assert post(client, dsa.url("start"), {}).status_code == 200
    started = client.get(dsa.url()).content.decode()
    assert "starter-code-marker" in started
    assert "HELLO" in started
    assert 'id="dsa-start-button"' not in started


def test_start_answers_the_state_and_needs_json(dsa: Dsa, client: Client) -> None:
    # when
    refused = client.post(dsa.url("start"), data="{}", content_type="application/x-www-form-urlencoded")
    response = post(client, dsa.url("start"), {})
    # then
    assert refused.status_code == 415
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"deadline", "serverNow", "finished", "submissionsLeft", "maxSubmissions"}
    deadline = DsaSession.objects.get().deadline
    assert deadline is not None
    assert body["deadline"] == deadline.isoformat()
    assert client.get(dsa.url("start")).status_code == 405


# --- JSON nested too deep -----------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ["run", "submit", "events"])
def test_deeply_nested_json_is_400(dsa: Dsa, client: Client, endpoint: str) -> None:
    response = client.post(dsa.url(endpoint), data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "The body is not valid JSON."}


def test_deeply_nested_json_is_400_on_the_piston_api(db: None, client: Client, settings: Any) -> None:
    settings.EXECUTOR_API_TOKEN = "hardening-token"
    response = client.post(
        "/api/v2/execute", data=DEEP, content_type="application/json", HTTP_AUTHORIZATION="Bearer hardening-token"
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]
