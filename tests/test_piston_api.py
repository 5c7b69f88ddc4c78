"""The executor's Piston v2 API: Piston's shapes, authenticated, validated, clamped, throttled."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.api_keys import api_key_create
from assessments.execution import service
from tests.conftest import Tenant
from tests.live_asgi import free_port

TOKEN = "service-token-" + "s" * 32
EXECUTE = "/api/v2/execute"
RUNTIMES = "/api/v2/runtimes"


def _key(tenant: Tenant) -> str:
    return api_key_create(organization=tenant.org, name="ATS", role="recruiter", created_by=None)[1]


def _post(client: Client, body: Any, *, auth: str, path: str = EXECUTE) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", HTTP_AUTHORIZATION=auth)


def _body(code: str, language: str = "python", **extra: Any) -> dict[str, Any]:
    return {"language": language, "version": "*", "files": [{"name": "main", "content": code}], **extra}


@pytest.fixture
def api_key(acme: Tenant) -> str:
    return f"Api-Key {_key(acme)}"


@pytest.fixture
def bearer(settings) -> str:
    settings.EXECUTOR_API_TOKEN = TOKEN
    return f"Bearer {TOKEN}"


# --- authentication -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    ["", "Api-Key ts_forged_key", "Api-Key", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_a_call_without_valid_credentials_is_401(db, bearer: str, header: str) -> None:
    client = Client()
    for response in (client.get(RUNTIMES, HTTP_AUTHORIZATION=header), _post(client, _body("print(1)"), auth=header)):
        assert response.status_code == 401
        assert set(response.json()) == {"message"}
        assert "Api-Key" in response["WWW-Authenticate"]


def test_bearer_access_is_off_while_no_token_is_configured(db, settings) -> None:
    settings.EXECUTOR_API_TOKEN = ""
    response = _post(Client(), _body("print(1)"), auth="Bearer ")
    assert response.status_code == 401


def test_a_logged_in_session_is_not_enough(acme: Tenant) -> None:
    response = _post(acme.client("admin"), _body("print(1)"), auth="")
    assert response.status_code == 401


# --- runtimes -----------------------------------------------------------------------------
@pytest.mark.sandbox
def test_runtimes_lists_the_installed_languages_in_pistons_shape(api_key: str) -> None:
    for path in (RUNTIMES, RUNTIMES + "/"):
        response = Client().get(path, HTTP_AUTHORIZATION=api_key)
        assert response.status_code == 200
        runtimes = response.json()
        assert isinstance(runtimes, list)
        python = next(rt for rt in runtimes if rt["language"] == "python")
        assert python["version"].startswith("3.")
        assert isinstance(python["aliases"], list)
        for runtime in runtimes:
            assert {"language", "version", "aliases"} <= set(runtime)


# --- execute ------------------------------------------------------------------------------
@pytest.mark.sandbox
@pytest.mark.parametrize("path", [EXECUTE, EXECUTE + "/"])
def test_execute_runs_the_file_with_stdin_and_answers_like_piston(api_key: str, path: str) -> None:
    # when: CSRF checks enforced, no session — the header is the credential
    client = Client(enforce_csrf_checks=True)
    code = "import sys\nname = sys.stdin.readline().strip()\nprint('hello', name)\nprint('warn', file=sys.stderr)"
    response = _post(client, _body(code, stdin="ada\n", args=[]), auth=api_key, path=path)
    # then
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["language"] == "python"
    assert answer["version"].startswith("3.")
    assert answer["verdict"] == "OK"
    run = answer["run"]
    assert run["stdout"] == "hello ada\n"
    assert run["stderr"] == "warn\n"
    assert run["output"] == "hello ada\nwarn\n"
    assert (run["code"], run["signal"]) == (0, None)
    assert "compile" not in answer
    assert "sessionid" not in response.cookies


@pytest.mark.sandbox
def test_a_compile_error_answers_the_compile_step_and_no_run(api_key: str) -> None:
    response = _post(Client(), _body("int main( { return 0; }", language="c"), auth=api_key)
    assert response.status_code == 200
    answer = response.json()
    assert answer["verdict"] == "COMPILE_ERROR"
    assert answer["compile"]["code"] != 0
    assert answer["compile"]["stderr"]
    assert "run" not in answer


@pytest.mark.sandbox
def test_cpp_alias_and_a_runtime_error(api_key: str) -> None:
    code = '#include <cstdio>\nint main() { std::puts("bye"); return 3; }'
    response = _post(Client(), _body(code, language="cpp"), auth=api_key)
    answer = response.json()
    assert answer["language"] == "c++"
    assert answer["compile"]["code"] == 0
    assert answer["run"]["stdout"] == "bye\n"
    assert answer["run"]["code"] == 3
    assert answer["verdict"] == "RUNTIME_ERROR"


@pytest.mark.sandbox
def test_an_infinite_loop_is_killed(api_key: str) -> None:
    response = _post(Client(), _body("while True:\n    pass", run_timeout=700), auth=api_key)
    answer = response.json()
    assert answer["verdict"] == "TIME_LIMIT"
    assert answer["run"]["signal"] == "SIGKILL"


@pytest.mark.sandbox
def test_the_clients_run_timeout_applies(api_key: str) -> None:
    # given: a program sleeping 2 s, well inside the default 5 s wall clock
    body = _body("import time\ntime.sleep(2)\nprint('woke')", run_timeout=700)
    # when: the client allows 0.7 s
    answer = _post(Client(), body, auth=api_key).json()
    # then
    assert answer["verdict"] == "TIME_LIMIT"
    assert answer["run"]["stdout"] == ""


@pytest.mark.sandbox
def test_a_memory_limit_above_the_maximum_is_lowered_to_it(api_key: str) -> None:
    # given: the client allows 8 GiB; the executor's maximum is 512 MiB
    code = "block = bytearray(900 * 1024 * 1024)\nprint(len(block))"
    # when
    response = _post(Client(), _body(code, run_memory_limit=8 * 1024**3), auth=api_key)
    # then
    assert response.json()["verdict"] == "MEMORY_LIMIT"


@pytest.mark.sandbox
def test_an_identical_request_is_answered_from_the_cache_without_saying_so(api_key: str) -> None:
    body = _body("import os\nprint(os.urandom(8).hex())")
    first = _post(Client(), body, auth=api_key).json()
    second = _post(Client(), body, auth=api_key).json()
    assert second["run"]["stdout"] == first["run"]["stdout"]
    assert "cached" not in first
    assert "cached" not in second


@pytest.mark.sandbox
def test_another_organizations_key_never_gets_a_cached_result(api_key: str, globex: Tenant, bearer: str) -> None:
    # given: acme ran a program (think: a problem's hidden input as stdin)
    body = _body("import os\nprint(input(), os.urandom(8).hex())", stdin="hidden-input\n")
    acme_run = _post(Client(), body, auth=api_key).json()
    # when: globex, and the service bearer, send the same run
    globex_run = _post(Client(), body, auth=f"Api-Key {_key(globex)}").json()
    bearer_run = _post(Client(), body, auth=bearer).json()
    # then: each ran it afresh
    outputs = {acme_run["run"]["stdout"], globex_run["run"]["stdout"], bearer_run["run"]["stdout"]}
    assert len(outputs) == 3


# --- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{not json", 400, "not valid JSON"),
        ("[1, 2]", 400, "JSON object"),
        ({"version": "*", "files": [{"content": "x"}]}, 400, "language is required"),
        (_body("x", language="cobol"), 400, "cobol-* runtime is unknown"),
        ({**_body("x"), "version": "2.7"}, 400, "python-2.7 runtime is unknown"),
        ({"language": "python", "version": "*"}, 400, "files is required"),
        ({"language": "python", "files": []}, 400, "files is required"),
        ({"language": "python", "files": [{"name": "a.py"}]}, 400, "content is required"),
        ({"language": "python", "files": [{"content": "a"}, {"content": "b"}]}, 400, "single file"),
        (_body("#" * (64 * 1024 + 1)), 413, "64 KiB"),
        (_body("x", stdin=5), 400, "stdin must be a string"),
        (_body("x", args=["--flag"]), 400, "args"),
        (_body("x", run_timeout="fast"), 400, "run_timeout must be a non-negative number"),
        (_body("x", run_memory_limit=True), 400, "run_memory_limit"),
        (_body("x", run_timeout=-5), 400, "run_timeout"),
    ],
    ids=[
        "not-json",
        "not-object",
        "no-language",
        "unknown-language",
        "unknown-version",
        "no-files",
        "empty-files",
        "no-content",
        "two-files",
        "code-too-large",
        "stdin-type",
        "args",
        "timeout-type",
        "bool-limit",
        "negative-limit",
    ],
)
@pytest.mark.sandbox  # validating the language asks the sandbox what is installed
def test_a_bad_request_is_refused_with_pistons_message(api_key: str, body: Any, status: int, message: str) -> None:
    response = _post(Client(), body, auth=api_key)
    assert response.status_code == status
    assert set(response.json()) == {"message"}
    assert message in response.json()["message"]


def test_execute_accepts_only_post(api_key: str) -> None:
    response = Client().get(EXECUTE, HTTP_AUTHORIZATION=api_key)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "message" in response.json()


# --- throttles ----------------------------------------------------------------------------
@pytest.mark.sandbox
def test_a_key_over_its_rate_gets_429_with_retry_after_and_another_organization_does_not(
    settings, acme: Tenant, globex: Tenant, one_throttle_window: float
) -> None:
    # given
    settings.EXECUTION_RATE_PER_API_KEY = "2/3600"
    acme_key, globex_key = f"Api-Key {_key(acme)}", f"Api-Key {_key(globex)}"
    body = _body("print('hi')")
    assert [_post(Client(), body, auth=acme_key).status_code for _ in range(2)] == [200, 200]
    # when
    response = _post(Client(), body, auth=acme_key)
    # then
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "retry after" in response.json()["message"]
    assert _post(Client(), body, auth=globex_key).status_code == 200


@pytest.mark.sandbox
def test_the_organizations_rate_covers_all_its_keys(settings, acme: Tenant, one_throttle_window: float) -> None:
    settings.EXECUTION_RATE_PER_API_KEY = "10/3600"
    settings.EXECUTION_RATE_PER_ORGANIZATION = "3/3600"
    keys = [f"Api-Key {_key(acme)}" for _ in range(4)]
    body = _body("print('hi')")
    assert [_post(Client(), body, auth=key).status_code for key in keys] == [200, 200, 200, 429]


@pytest.mark.sandbox
def test_the_service_bearer_is_not_throttled_again(settings, bearer: str) -> None:
    settings.EXECUTION_RATE_PER_API_KEY = "1/3600"
    settings.EXECUTION_RATE_PER_ORGANIZATION = "1/3600"
    body = _body("print('hi')", priority="live")
    assert [_post(Client(), body, auth=bearer).status_code for _ in range(3)] == [200, 200, 200]


# --- failures behind the API --------------------------------------------------------------
@pytest.mark.parametrize("path", [RUNTIMES, EXECUTE])
def test_a_failing_backend_is_a_500_with_pistons_message(settings, api_key: str, path: str) -> None:
    # given: this executor relays to another that nobody listens on
    settings.EXECUTION_BACKEND = "piston"
    settings.EXECUTOR_URL = f"http://127.0.0.1:{free_port()}"
    service.get_backend.cache_clear()
    try:
        # when
        client = Client()
        response = (
            client.get(path, HTTP_AUTHORIZATION=api_key)
            if path == RUNTIMES
            else _post(client, _body("print(1)"), auth=api_key)
        )
    finally:
        service.get_backend.cache_clear()
    # then
    assert response.status_code == 500
    assert "cannot reach the executor" in response.json()["message"]
