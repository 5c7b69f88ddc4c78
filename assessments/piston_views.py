"""The executor's Piston v2 API (DESIGN.md §4.5): ``GET /api/v2/runtimes``, ``POST /api/v2/execute``.

Same JSON as engineer-man/piston v2, so any Piston client can use it, plus our ``verdict`` and
``message`` (extra fields Piston clients ignore). Errors are Piston's
``{"message": "..."}``.

It runs arbitrary code, so every call is authenticated: ``Authorization: Api-Key <key>`` (an
organization's API key; throttled per key and per organization) or ``Authorization: Bearer
<EXECUTOR_API_TOKEN>`` (another TalentSync process using the ``piston`` backend: it has already
throttled its participants and organizations, so it is not counted again here, and only it may
send ``priority``). No session, no CSRF token: the header is the credential. Client limits are
clamped to :data:`MAX_LIMITS`.

Plain Django views rather than DRF: the answers and errors must be exactly Piston's shapes, not
the project's ``{code, message, extra}``.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from assessments.execution import service
from assessments.execution.base import (
    MAX_CODE_BYTES,
    MAX_STDIN_BYTES,
    ExecutionError,
    Limits,
    RunRequest,
    Runtime,
    Verdict,
    canonical_language,
)
from assessments.execution.piston_client import result_to_piston, runtime_to_piston

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = Limits()
#: the most a client may ask for; larger values are lowered to these
MAX_LIMITS = Limits(
    cpu_ms=10_000,
    wall_ms=15_000,
    memory_kb=512 * 1024,
    compile_cpu_ms=20_000,
    compile_wall_ms=30_000,
    compile_memory_kb=1024 * 1024,
)
#: Piston field → (our Limits field, unit divisor)
LIMIT_FIELDS = {
    "run_timeout": ("wall_ms", 1),
    "run_cpu_time": ("cpu_ms", 1),
    "run_memory_limit": ("memory_kb", 1024),
    "compile_timeout": ("compile_wall_ms", 1),
    "compile_cpu_time": ("compile_cpu_ms", 1),
    "compile_memory_limit": ("compile_memory_kb", 1024),
}
PRIORITIES = {"live": service.Priority.LIVE, "default": service.Priority.DEFAULT, "batch": service.Priority.BATCH}


class PistonError(Exception):
    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


@dataclass(frozen=True)
class Caller:
    """Who is calling: an organization's API key, or a trusted TalentSync process (bearer)."""

    organization_id: int | None = None
    api_key_id: int | None = None

    @property
    def trusted(self) -> bool:
        return self.api_key_id is None


def _error(exc: PistonError) -> JsonResponse:
    response = JsonResponse({"message": exc.message}, status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _authenticate(request: HttpRequest) -> Caller:
    scheme, _sep, credential = request.headers.get("Authorization", "").strip().partition(" ")
    credential = credential.strip()
    challenge = {"WWW-Authenticate": 'Api-Key, Bearer realm="executor"'}
    if scheme.lower() == "api-key" and credential:
        from accounts.api_keys import api_key_authenticate

        key = api_key_authenticate(credential)
        if key is not None:
            return Caller(organization_id=key.organization_id, api_key_id=key.pk)
        raise PistonError("Invalid or revoked API key.", 401, challenge)
    token = settings.EXECUTOR_API_TOKEN
    if scheme.lower() == "bearer" and credential:
        if token and hmac.compare_digest(credential.encode(), token.encode()):
            return Caller()
        raise PistonError("Invalid bearer token.", 401, challenge)
    raise PistonError("Authentication required: send “Authorization: Api-Key <key>”.", 401, challenge)


def _piston_view(method: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow one method, authenticate, and turn a PistonError into Piston's error answer."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def wrapped(request: HttpRequest) -> HttpResponse:
            try:
                if request.method != method:
                    raise PistonError(f"{request.method} is not allowed here; use {method}.", 405, {"Allow": method})
                return view(request, _authenticate(request))
            except PistonError as exc:
                return _error(exc)
            except ExecutionError as exc:
                # The backend behind us failed (a remote executor down, bwrap missing): Piston
                # answers its own failures with a 500 and a message.
                logger.warning("piston api: backend failed: %s", exc)
                return _error(PistonError(str(exc), 500))

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


@_piston_view("GET")
def runtimes(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The installed languages, as Piston lists them."""
    return JsonResponse([runtime_to_piston(rt) for rt in service.runtimes()], safe=False)


# --- execute ------------------------------------------------------------------------------
def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise PistonError("The request body is too large.", 413) from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" nested too deep
        raise PistonError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise PistonError("The request body must be a JSON object.")
    return body


def _runtime(body: dict[str, Any]) -> Runtime:
    name, version = body.get("language"), body.get("version", "*")
    if not isinstance(name, str) or not name.strip():
        raise PistonError("language is required as a string")
    if not isinstance(version, str):
        raise PistonError("version must be a string")
    version = version.strip() or "*"
    language = canonical_language(name)
    for rt in service.runtimes():
        if language == rt.language and (
            version in ("*", "x", "latest") or rt.version == version or rt.version.startswith(f"{version}.")
        ):
            return rt
    raise PistonError(f"{name}-{version} runtime is unknown")


def _code(body: dict[str, Any]) -> str:
    files = body.get("files")
    if not isinstance(files, list) or not files:
        raise PistonError("files is required as a non-empty array")
    if len(files) > 1:
        raise PistonError("This executor runs a single file: send one entry in files.")
    first = files[0]
    if not isinstance(first, dict) or not isinstance(first.get("content"), str):
        raise PistonError("files[0].content is required as a string")
    if first.get("encoding", "utf8") != "utf8":
        raise PistonError("files[0].encoding must be utf8")
    code = first["content"]
    if len(code.encode()) > MAX_CODE_BYTES:
        raise PistonError(f"The code is over {MAX_CODE_BYTES // 1024} KiB ({MAX_CODE_BYTES} bytes).", 413)
    return code


def _stdin(body: dict[str, Any]) -> str:
    stdin = body.get("stdin", "")
    if stdin is None:
        return ""
    if not isinstance(stdin, str):
        raise PistonError("stdin must be a string")
    if len(stdin.encode()) > MAX_STDIN_BYTES:
        raise PistonError(f"stdin is over {MAX_STDIN_BYTES // 1024} KiB.", 413)
    args = body.get("args", [])
    if args not in (None, []):
        if not isinstance(args, list):
            raise PistonError("args must be an array of strings")
        raise PistonError("This executor does not pass command-line args; send an empty args array.")
    return stdin


def _limits(body: dict[str, Any]) -> Limits:
    """The client's limits, clamped to MAX_LIMITS; absent or -1 (Piston's "no limit") is the default."""
    changes: dict[str, int] = {}
    for piston_name, (field, unit) in LIMIT_FIELDS.items():
        value = body.get(piston_name)
        if value is None or value == -1:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PistonError(f"{piston_name} must be a non-negative number")
        changes[field] = max(1, min(int(value) // unit, getattr(MAX_LIMITS, field)))
    if "wall_ms" in changes and "cpu_ms" not in changes:
        # Piston v2 has only a wall-clock timeout: no more CPU time than the clock allows.
        changes["cpu_ms"] = min(DEFAULT_LIMITS.cpu_ms, changes["wall_ms"])
    if "compile_wall_ms" in changes and "compile_cpu_ms" not in changes:
        changes["compile_cpu_ms"] = min(DEFAULT_LIMITS.compile_cpu_ms, changes["compile_wall_ms"])
    return dataclasses.replace(DEFAULT_LIMITS, **changes)


def _priority(body: dict[str, Any], caller: Caller) -> service.Priority:
    # Only another TalentSync process may say a live interview is waiting: an integration that
    # could would jump ahead of every interview.
    value = body.get("priority")
    if value is None or not caller.trusted:
        return service.Priority.DEFAULT
    if value not in PRIORITIES:
        raise PistonError("priority must be one of live, default, batch")
    return PRIORITIES[value]


def _throttle(caller: Caller) -> None:
    if caller.trusted or caller.organization_id is None:
        return
    try:
        service.throttle_check(
            key=f"api-key:{caller.api_key_id}",
            organization_id=caller.organization_id,
            rate=settings.EXECUTION_RATE_PER_API_KEY,
        )
    except service.Throttled as exc:
        raise PistonError(
            f"Too many runs; retry after {exc.retry_after} s.", 429, {"Retry-After": str(exc.retry_after)}
        ) from None


@_piston_view("POST")
def execute(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Run one file as Piston does; the answer carries our verdict too."""
    body = _json_body(request)
    runtime = _runtime(body)
    run_request = RunRequest(language=runtime.language, code=_code(body), stdin=_stdin(body), limits=_limits(body))
    priority = _priority(body, caller)
    _throttle(caller)
    # Each organization has a cache of its own: with a shared one, a hit (or its speed) would let
    # one organization's key test guesses of another's hidden test input.
    scope = "bearer" if caller.trusted else f"org:{caller.organization_id}"
    result = service.execute(run_request, priority=priority, cache_scope=scope)
    if result.verdict == Verdict.SANDBOX_ERROR:
        # Piston answers its own failures with a 500 and a message; so do we (with the verdict).
        return JsonResponse({"message": result.message, "verdict": result.verdict.value}, status=500)
    answer = result_to_piston(result)
    answer.pop("cached", None)  # whether another caller sent the same run is not the caller's business
    return JsonResponse(answer)
