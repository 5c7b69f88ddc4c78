"""The replay page: the whole interview on one timeline (docs/replay.md).

Thin: authorize with the code playback's rule (``replay_target_get``), build the timeline
(``replay_timeline_build``), render. A candidate is refused outright (403, as on the code
playback); anyone else who may not see the interview gets 404, whether or not it exists.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.middleware import current_membership
from accounts.models import Role, User
from interviews.views import playback_strings, viewer_time_zone
from recordings.replay.selectors import SPEEDS, replay_target_get, replay_timeline_build

#: the longest search the transcript form takes
SEARCH_CHARS = 200


def replay_strings() -> dict[str, str]:
    """The replay script's user-facing strings (``%(name)s`` placeholders, as the room's)."""
    return {
        **playback_strings(),
        "not_recording": _("Not recording at this moment"),
        "video_failed": _("This recording could not be played (%(error)s)."),
        "matches": _("%(n)s of %(total)s segments match"),
        "all_segments": _("%(total)s segments"),
        "whiteboard_empty": _("The whiteboard is empty at this moment."),
        "whiteboard_failed": _("The whiteboard could not be drawn (%(error)s)."),
        "whiteboard_shapes": _("%(n)s shapes on the whiteboard at this moment"),
        "code_empty": _("The editor is empty at this moment."),
        "code_not_started": _("Nobody had typed in the editor yet at this moment."),
        "now_speaking": _("Speaking now: %(name)s"),
        "play_blocked": _("The browser blocked the sound: press Play again."),
    }


@login_required
@require_GET
def interview_replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Replay a finished interview: videos, transcript, code, whiteboard, chat, runs and AI notes."""
    membership = current_membership(request)
    if membership is None:
        raise Http404
    if membership.role == Role.CANDIDATE:
        raise PermissionDenied
    user = cast(User, request.user)  # login_required
    target = replay_target_get(actor=user, organization=membership.organization, interview_id=pk)
    if target is None:
        raise Http404
    time_zone = viewer_time_zone(user, membership.organization)
    search = request.GET.get("q", "")[:SEARCH_CHARS]
    timeline = replay_timeline_build(
        actor=user, organization=membership.organization, target=target, time_zone=time_zone, search=search
    )
    return render(
        request,
        "recordings/replay.html",
        {
            "interview": target.interview,
            "timeline": timeline,
            "replay_data": timeline.script_data(),
            "replay_i18n": replay_strings(),
            "speeds": SPEEDS,
            "search": search,
            "viewer_tz": time_zone,
            "shown_segments": sum(1 for row in timeline.transcript if row["shown"]),
        },
    )
