"""The candidate's async coding assessment (token link, DESIGN §4.3) and the recruiters' snapshot view.

Token-link endpoints carry no cookie authentication (the token in the path is the credential), so
they are exempt from CSRF; instead every POST must say ``Content-Type: application/json`` (415
otherwise), which a cross-site form cannot send without a CORS preflight. Snapshot uploads are
raw ``image/jpeg``/``image/png`` bodies or a multipart ``image`` field: a cross-site form could
post the multipart one, but it would need the candidate's secret token to do so.

Errors are ``{"error": "..."}`` with the §4.3 status codes; the score never appears in any of
these answers or in the page.

GET requests (the page, ``state``) never start the assessment: mail scanners and link previews
fetch links. Before the start the page is a start screen — titles, time limit, languages, the
submission budget, the proctoring notice — without the statement or the starter code, so nobody
reads the problem off the clock; its button POSTs ``start``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from assessments.execution.base import LANGUAGES, MAX_CODE_BYTES
from assessments.models import ProctoringSnapshot
from assessments.services import dsa
from assessments.services.dsa import can_view_dsa
from interviews.stage_config import LANGUAGE_CHOICES

LANGUAGE_LABELS = dict(LANGUAGE_CHOICES)
IMAGE_TYPES = ("image/jpeg", "image/png")


def _error(exc: dsa.DsaError) -> JsonResponse:
    response = JsonResponse({"error": exc.message}, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _ok(data: Any) -> JsonResponse:
    response = JsonResponse(data, safe=False)
    response["Cache-Control"] = "no-store"
    return response


def _media_type(request: HttpRequest) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise dsa.DsaError(_("The request body is too large."), status=413, code="too_large") from None


def _json_body(request: HttpRequest) -> bytes:
    if _media_type(request) != "application/json":
        raise dsa.DsaError(_("Send the body as JSON (Content-Type: application/json)."), status=415, code="not_json")
    return _body(request)


def _code_endpoint(request: HttpRequest, token: str, *, submit: bool) -> JsonResponse:
    try:
        access = dsa.dsa_access_by_token(token=token)
        body = dsa.parse_code_body(
            body=_json_body(request), allowed_languages=access.config.languages, allow_case_ids=not submit
        )
        if submit:
            _submission, answer = dsa.dsa_submit(access=access, body=body)
        else:
            answer = dsa.dsa_run(access=access, body=body)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok(answer)


@csrf_exempt
@require_POST
def dsa_run(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/run``: grade against the visible test cases."""
    return _code_endpoint(request, token, submit=False)


@csrf_exempt
@require_POST
def dsa_submit(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/submit``: grade against every test case and keep the submission."""
    return _code_endpoint(request, token, submit=True)


def _state(access: dsa.DsaAccess) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "deadline": access.session.deadline.isoformat() if access.session.deadline else None,
        "serverNow": timezone.now().isoformat(),
        "finished": access.session.is_over(),
        "submissionsLeft": dsa.submissions_left(access=access),
        "maxSubmissions": access.config.maxSubmissions,
    }


@csrf_exempt
@require_GET
def dsa_state(request: HttpRequest, token: str) -> JsonResponse:
    """``GET /v1/dsa/<token>/state``: the deadline (null before the start) and the submissions left."""
    try:
        access = dsa.dsa_access_by_token(token=token, start=False)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok(_state(access))


@csrf_exempt
@require_POST
def dsa_start(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/start``: start the clock (the start screen's button); answers the state."""
    try:
        access = dsa.dsa_access_by_token(token=token, start=False)
        _json_body(request)
        dsa.dsa_start(access=access)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok(_state(access))


@csrf_exempt
@require_POST
def dsa_finish(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/finish``: end the assessment now."""
    try:
        access = dsa.dsa_access_by_token(token=token)
        _json_body(request)
        dsa.dsa_finish(access=access)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok({"finished": True})


@csrf_exempt
@require_POST
def dsa_consent(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/consent``: the candidate accepted the proctoring notice."""
    try:
        access = dsa.dsa_access_by_token(token=token)
        _json_body(request)
        dsa.dsa_consent(access=access)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok({"consented": True})


@csrf_exempt
@require_POST
def dsa_events(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/events``: ``{"events": [{"kind", "at", "length"?}, ...]}``."""
    try:
        access = dsa.dsa_access_by_token(token=token)
        data = dsa.parse_json(_json_body(request))
        events = data.get("events") if isinstance(data, dict) else None
        created = dsa.integrity_record(access=access, events=events)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok({"recorded": len(created)})


@csrf_exempt
@require_POST
def dsa_snapshot(request: HttpRequest, token: str) -> JsonResponse:
    """``POST /v1/dsa/<token>/snapshot``: one webcam frame, raw ``image/jpeg`` or multipart ``image``."""
    try:
        access = dsa.dsa_access_by_token(token=token)
        media_type = _media_type(request)
        if media_type in IMAGE_TYPES:
            data = _body(request)
        elif media_type == "multipart/form-data":
            try:
                upload = request.FILES.get("image")
            except RequestDataTooBig:
                raise dsa.DsaError(_("The request body is too large."), status=413, code="too_large") from None
            if upload is None:
                raise dsa.bad_request(_('Send the image in a field named "image".'))
            if upload.size is not None and upload.size > ProctoringSnapshot.MAX_BYTES:
                data = b"x" * (ProctoringSnapshot.MAX_BYTES + 1)  # refused as too large below
            else:
                data = upload.read()
        else:
            raise dsa.DsaError(
                _("Send a JPEG or PNG image (image/jpeg, image/png or multipart/form-data)."),
                status=415,
                code="not_an_image",
            )
        snapshot = dsa.snapshot_store(access=access, data=data)
    except dsa.DsaError as exc:
        return _error(exc)
    return _ok({"snapshotId": snapshot.pk, "takenAt": snapshot.taken_at.isoformat()})


# --- the page -------------------------------------------------------------------------------
def _statement_html(text: str) -> str:
    from assessments.markdown import render_markdown

    return render_markdown(text)


def page_strings() -> dict[str, str]:
    """The page script's user-facing strings, translated here and handed over with json_script."""
    return {
        "running": _("Running your code against the sample tests…"),
        "submitting": _("Submitting: running every test…"),
        "compile_error": _("The code did not compile."),
        "passed_n": _("%(passed)s of %(total)s tests passed."),
        "passed": _("Passed"),
        "failed": _("Failed"),
        "hidden_case": _("Hidden test %(n)s"),
        "sample_case": _("Sample test %(n)s"),
        "verdict": _("Verdict"),
        "time": _("Time"),
        "memory": _("Memory"),
        "output": _("Output"),
        "errors": _("Errors"),
        "time_value": _("%(n)s ms"),
        "memory_value": _("%(n)s KB"),
        "no_tests": _("This problem has no sample test."),
        "submitted": _("Submission received."),
        "submissions_left": _("Submissions left: %(n)s"),
        "time_left": _("Time left: %(time)s"),
        "time_up": _("Time is up. Your last submission counts."),
        "ended": _("This assessment has ended. Thank you!"),
        "finish_confirm": _("Finish the assessment now? You cannot come back to it."),
        "network_error": _("The server could not be reached. Check your connection and try again."),
        "retry_in": _("Too many runs: try again in %(n)s s."),
        "camera_on": _("Camera on — a snapshot every %(n)s s"),
        "camera_failed": _("The camera could not start (%(error)s). The recruiter will see that it was off."),
        "snapshot_sent": _("Last snapshot sent at %(time)s"),
        "code_too_large": _("Your code is larger than 64 KiB."),
        "starting": _("Starting the assessment…"),
    }


@never_cache
@require_GET
def dsa_page(request: HttpRequest, token: str) -> HttpResponse:
    """The page a candidate's assessment link opens: a start screen, then problem, editor, Run/Submit."""
    try:
        access = dsa.dsa_access_by_token(token=token, start=False)
    except dsa.DsaError as exc:
        titles = {
            404: _("This assessment link is not valid"),
            410: _("This assessment is closed"),
        }
        return render(
            request,
            "assessments/dsa_closed.html",
            {"title": titles.get(exc.status, _("This assessment is not available")), "message": exc.message},
            status=exc.status if exc.status in titles else 409,
        )
    problems = dsa.dsa_problems(access=access)
    languages = [lang for lang in LANGUAGES if lang in access.config.languages]
    problem_views: list[dict[str, Any]] = [
        {"id": problem.pk, "title": problem.title, "difficulty": problem.get_difficulty_display()}
        for problem in problems
    ]
    if access.started:  # the statement, samples and starter code only once the clock runs
        for view, problem in zip(problem_views, problems, strict=True):
            view["statement_html"] = _statement_html(problem.statement)
            view["samples"] = [
                {"id": case.pk, "name": case.name, "input": case.input, "expected": case.expected_output}
                for case in problem.test_cases.filter(hidden=False).order_by("order", "pk")
            ]
            view["starter"] = {lang: str((problem.starter_code or {}).get(lang, "")) for lang in languages}
    base = reverse("dsa_page", kwargs={"token": token})
    config: dict[str, Any] = {
        "started": access.started,
        "urls": {
            "page": base,
            "start": base + "start",
            "run": base + "run",
            "submit": base + "submit",
            "state": base + "state",
            "finish": base + "finish",
            "consent": base + "consent",
            "events": base + "events",
            "snapshot": base + "snapshot",
        },
        "languages": [{"value": lang, "label": LANGUAGE_LABELS.get(lang, lang)} for lang in languages],
        "maxCodeBytes": MAX_CODE_BYTES,
        "proctoring": {
            "enabled": access.config.proctoringEnabled,
            "intervalSeconds": settings.DSA_SNAPSHOT_INTERVAL_SECONDS,
        },
        **_state(access),
    }
    if access.started:
        config["storageKey"] = f"dsa:{access.session.pk}"
        config["problems"] = [{"id": p["id"], "title": p["title"], "starter": p["starter"]} for p in problem_views]
    return render(
        request,
        "assessments/dsa.html",
        {
            "access": access,
            "interview": access.interview,
            "started": access.started,
            "problems": problem_views,
            "languages": config["languages"],
            "config": config,
            "i18n": page_strings(),
            "proctoring": access.config.proctoringEnabled,
            "snapshot_interval": settings.DSA_SNAPSHOT_INTERVAL_SECONDS,
            "time_limit": access.config.timeLimitMinutes,
        },
    )


# --- recruiters -------------------------------------------------------------------------------
@never_cache
@require_GET
def snapshot_image(request: HttpRequest, pk: int) -> FileResponse:
    """Stream one proctoring snapshot to a recruiter or admin of its organization (404 to anyone else).

    The file lives in the private storage, outside MEDIA_ROOT: this view is the only way to it.
    """
    snapshot = ProctoringSnapshot.objects.select_related("session__interview__organization").filter(pk=pk).first()
    if snapshot is None or not can_view_dsa(request.user, snapshot.session.interview):
        raise Http404
    try:
        handle = snapshot.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    # the upload was checked to be a JPEG or a PNG; tell which from its signature
    is_png = handle.read(8) == b"\x89PNG\r\n\x1a\n"
    handle.seek(0)
    response = FileResponse(handle, content_type="image/png" if is_png else "image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
