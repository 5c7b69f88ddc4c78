"""The interviewers' follow-up suggestions in the room: ``GET /rooms/<room_id>/followups/?question=<id>``.

Authorised like the room itself: the participant's join token (header ``X-Room-Token``, as the
room page holds it) or the signed-in participant's session. Only those who may lead the room
(interviewers, and admins/recruiters present) get an answer: candidates and observers get 403.
A room or question of another interview or organization is a 404, as is a token of another room.
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Membership
from interviews.models import Interview, Participant
from interviews.services import rooms
from recordings.insights.followups import followups_get

AUTH_HEADER = "X-Room-Token"


def _error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"error": message, "code": code}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _not_found() -> JsonResponse:
    return _error(404, "not_found", _("There is no such room or question."))


def _participant(request: HttpRequest, interview: Interview) -> Participant | JsonResponse:
    token = request.headers.get(AUTH_HEADER, "")
    if token:
        try:
            return rooms.room_access_by_token(room_id=interview.room_id, token=token)
        except rooms.RoomRefused as exc:
            if exc.code == "forbidden":  # a link of another room: say nothing about this one
                return _not_found()
            status = 401 if exc.code == "unauthenticated" else 403
            return _error(status, exc.code, exc.message)
    user = request.user
    if not user.is_authenticated:
        return _error(401, "unauthenticated", _("Sign in or use your join link."))
    if not Membership.objects.filter(user_id=user.pk, organization_id=interview.organization_id).exists():
        return _not_found()
    participant = (
        Participant.objects.select_related("interview__organization", "user", "candidate")
        .filter(interview=interview)
        .filter(Q(user_id=user.pk) | Q(candidate__user_id=user.pk))
        .first()
    )
    if participant is None:
        return _error(403, "forbidden", _("You are not a participant of this room."))
    if interview.status not in rooms.OPEN_STATUSES:
        return _error(403, "room_closed", _("This interview has ended."))
    return participant


@never_cache
@require_GET
def room_followups(request: HttpRequest, room_id: uuid.UUID) -> JsonResponse:
    """Follow-up suggestions for a question of the room's plan (interviewers only)."""
    interview = Interview.objects.select_related("organization").filter(room_id=room_id).first()
    if interview is None:
        return _not_found()
    participant = _participant(request, interview)
    if isinstance(participant, JsonResponse):
        return participant
    if not rooms.participant_may_lead(participant):
        return _error(403, "forbidden", _("Only the interviewers see follow-up suggestions."))
    raw = request.GET.get("question", "")
    question_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else 0
    if not 1 <= question_id <= rooms.MAX_ROW_ID:  # beyond it the query itself would overflow
        return _error(400, "bad_request", _("Say which question: ?question=<id>."))
    answer = followups_get(interview=interview, question_id=question_id)
    if answer is None:
        return _not_found()
    response = JsonResponse(answer)
    response["Cache-Control"] = "no-store"
    return response
