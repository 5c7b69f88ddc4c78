"""The Piston HTTP backend against the project's own Piston API, served by a real daphne."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accounts.api_keys import api_key_create
from assessments.execution import service
from assessments.execution.base import Limits, RunRequest, Verdict
from assessments.execution.piston_client import PistonClient, result_from_piston
from assessments.execution.service import Priority
from tests.conftest import Tenant
from tests.live_asgi import daphne_server, free_port

TOKEN = "executor-token-" + "t" * 32


@pytest.fixture(scope="module")
def executor(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """One daphne serving the project on the test database, with a service token."""
    with django_db_blocker.unblock(), daphne_server(env={"EXECUTOR_API_TOKEN": TOKEN}) as url:
        yield url


@pytest.fixture
def client(executor: str) -> PistonClient:
    return PistonClient(executor, bearer=TOKEN)


# --- against the project's executor -------------------------------------------------------
@pytest.mark.sandbox
def test_runtimes_come_from_the_server(client: PistonClient) -> None:
    runtimes = {rt.language: rt for rt in client.runtimes()}
    assert "python" in runtimes
    assert runtimes["python"].version.startswith("3.")


@pytest.mark.sandbox
def test_a_run_comes_back_with_its_output_and_verdict(client: PistonClient) -> None:
    result = client.execute(RunRequest(language="python", code="print(input()[::-1])", stdin="abc\n"))
    assert result.verdict == Verdict.OK
    assert result.language == "python"
    assert result.version.startswith("3.")
    assert result.compile is None
    assert result.run is not None
    assert result.run.stdout == "cba\n"
    assert result.run.exit_code == 0


@pytest.mark.sandbox
def test_a_compile_error_comes_back_without_a_run(client: PistonClient) -> None:
    result = client.execute(RunRequest(language="c", code="int main( { }"))
    assert result.verdict == Verdict.COMPILE_ERROR
    assert result.run is None
    assert result.compile is not None
    assert result.compile.stderr


@pytest.mark.sandbox
def test_a_runtime_error_keeps_its_exit_code(client: PistonClient) -> None:
    result = client.execute(RunRequest(language="python", code="import sys\nsys.exit(4)"))
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.run is not None
    assert result.run.exit_code == 4


@pytest.mark.sandbox
def test_a_time_limit_is_a_sigkill_and_our_verdict(client: PistonClient) -> None:
    result = client.execute(RunRequest(language="python", code="while True: pass", limits=Limits(wall_ms=600)))
    assert result.verdict == Verdict.TIME_LIMIT
    assert result.run is not None
    assert result.run.signal == "SIGKILL"


@pytest.mark.sandbox
@pytest.mark.django_db(transaction=True)
def test_an_organizations_api_key_works_too(executor: str, acme: Tenant) -> None:
    _key, raw = api_key_create(organization=acme.org, name="ATS", role="recruiter", created_by=None)
    result = PistonClient(executor, api_key=raw).execute(RunRequest(language="python", code="print('key')"))
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert result.run.stdout == "key\n"


def test_a_refused_credential_is_a_sandbox_error_that_says_why(executor: str) -> None:
    result = PistonClient(executor, bearer="wrong").execute(RunRequest(language="python", code="print(1)"))
    assert result.verdict == Verdict.SANDBOX_ERROR
    assert "401" in result.message
    assert "bearer" in result.message.lower()


@pytest.mark.sandbox
def test_the_service_runs_through_the_client_when_configured(settings, executor: str) -> None:
    # given
    settings.EXECUTION_BACKEND = "piston"
    settings.EXECUTOR_URL = executor
    settings.EXECUTOR_API_TOKEN = TOKEN
    service.get_backend.cache_clear()
    try:
        # when
        result = service.execute(RunRequest(language="javascript", code="console.log(6 * 7)"), priority=Priority.LIVE)
        again = service.execute(RunRequest(language="javascript", code="console.log(6 * 7)"))
    finally:
        service.get_backend.cache_clear()
    # then
    assert result.verdict == Verdict.OK
    assert result.run is not None
    assert result.run.stdout == "42\n"
    assert again.cached is True


# --- failures of the network and the server -----------------------------------------------
def test_an_executor_nobody_listens_on_is_a_sandbox_error() -> None:
    result = PistonClient(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01).execute(
        RunRequest(language="python", code="print(1)")
    )
    assert result.verdict == Verdict.SANDBOX_ERROR
    assert "cannot reach the executor" in result.message


class CountingServer(ThreadingHTTPServer):
    """A real HTTP server answering every request with one fixed status, counting the requests."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.requests = 0
        super().__init__(("127.0.0.1", 0), _CountingHandler)


class _CountingHandler(BaseHTTPRequestHandler):
    server: CountingServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1
        body = json.dumps({"message": f"answer {self.server.status}"}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server(request: pytest.FixtureRequest) -> Iterator[CountingServer]:
    server = CountingServer(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("counting_server", "sent"), [(400, 1), (429, 1), (500, 1), (503, 3)], indirect=["counting_server"]
)
def test_only_unavailable_answers_are_retried(counting_server: CountingServer, sent: int) -> None:
    # given
    host, port = counting_server.server_address[:2]
    client = PistonClient(f"http://{host!s}:{port}", retries=2, backoff=0.01)
    # when
    result = client.execute(RunRequest(language="python", code="print(1)"))
    # then
    assert result.verdict == Verdict.SANDBOX_ERROR
    assert counting_server.requests == sent
    assert str(counting_server.status) in result.message or "throttling" in result.message


# --- a plain Piston server's answers (no verdict field) -----------------------------------
def _stage(**fields: Any) -> dict[str, Any]:
    return {"stdout": "", "stderr": "", "output": "", "code": 0, "signal": None, **fields}


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ({"run": _stage(stdout="ok\n")}, Verdict.OK),
        ({"run": _stage(code=1, stderr="Traceback")}, Verdict.RUNTIME_ERROR),
        ({"run": _stage(code=None, signal="SIGKILL")}, Verdict.TIME_LIMIT),
        ({"run": _stage(code=None, signal="SIGSEGV")}, Verdict.RUNTIME_ERROR),
        ({"run": _stage(code=None, signal="SIGKILL", status="OL")}, Verdict.OUTPUT_LIMIT),
        ({"compile": _stage(code=1, stderr="error: expected ';'")}, Verdict.COMPILE_ERROR),
        ({"compile": _stage(), "run": _stage(code=2)}, Verdict.RUNTIME_ERROR),
    ],
    ids=["ok", "exit-code", "sigkill", "segfault", "piston3-status", "compile", "compiled-then-failed"],
)
def test_a_plain_piston_answer_gets_an_inferred_verdict(answer: dict[str, Any], verdict: Verdict) -> None:
    result = result_from_piston({"language": "c", "version": "10.2.0", **answer}, language="c")
    assert result.verdict == verdict
    assert result.version == "10.2.0"
    assert result.message
