"""The consent endpoint of the room page: ``POST {"consent": true|false, "token"?: "..."}``.

The room page calls it when its participant joins (with the pre-join checkbox's answer) and when
they withdraw or give consent again from inside the room. It is protected by Django's CSRF check
like any form; a participant who came by join link sends the link's token in the body (never in
the address, where it would land in logs), a signed-in one is known by their session.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interviews.models import Participant
from interviews.services import rooms
from interviews.services.rooms import RoomRefused
from recordings.consent import recording_consent_give, recording_consent_withdraw
from recordings.models import RecordingConsent
from talentsync.errors import ApplicationError

MAX_BODY = 4096


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": str(message)}, status=status)


def _participant(request: HttpRequest, room_id: uuid.UUID, token: Any) -> Participant:
    if token is not None:
        if not isinstance(token, str) or not token or len(token) > 200:
            raise RoomRefused(_("token must be the join link's token."), code="bad_request")
        return rooms.room_access_by_token(room_id=room_id, token=token)
    if request.user.is_authenticated:
        return rooms.room_access_by_session(room_id=room_id, user=request.user)  # type: ignore[arg-type]
    raise RoomRefused(_("Open the room from your join link, or sign in."), code="unauthenticated")


@require_POST
def recording_consent(request: HttpRequest, room_id: uuid.UUID) -> JsonResponse:
    """Give or withdraw the caller's consent to be recorded in this room."""
    if request.content_type != "application/json":
        return _error("unsupported_media_type", _("Send JSON."), 415)
    if len(request.body) > MAX_BODY:
        return _error("bad_request", _("The request is too large."), 413)
    try:
        body = json.loads(request.body)
    except ValueError:
        return _error("bad_request", _("The body is not valid JSON."), 400)
    if not isinstance(body, dict) or not isinstance(body.get("consent"), bool):
        return _error("bad_request", _('Send {"consent": true} or {"consent": false}.'), 400)
    consent: RecordingConsent | None
    try:
        participant = _participant(request, room_id, body.get("token"))
        if body["consent"]:
            consent = recording_consent_give(
                participant=participant,
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.headers.get("User-Agent", ""),
            )
        else:
            consent = recording_consent_withdraw(participant=participant)
    except RoomRefused as refusal:
        status = {"unauthenticated": 401, "bad_request": 400}.get(refusal.code, 403)
        if refusal.code in ("room_closed", "room_not_open"):
            status = 409
        return _error(refusal.code, refusal.message, status)
    except ApplicationError as error:
        return _error(error.code, error.message, error.status)
    active = consent is not None and consent.active
    return JsonResponse(
        {"consent": active, "grantedAt": consent.granted_at.isoformat() if consent is not None and active else None}
    )
