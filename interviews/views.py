"""Pages of interviewers and candidates (the back office is the admin).

Every page answers 404 for an interview the viewer may not see, whether or not it exists, so
ids of other interviews and other organizations reveal nothing. Times are stored in UTC and
shown in the viewer's time zone (their own, else their organization's).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.middleware import current_membership
from accounts.models import Membership, Organization, Role, User
from accounts.timezones import zone_of
from assessments.services.live_runs import room_problems
from interviews.forms import ScorecardForm
from interviews.models import ChatMessage, DocumentUpdate, Interview, Participant, RoomDocument, Scorecard
from interviews.permissions import can_view_interview, can_write_scorecard
from interviews.querysets import OPEN_STATUSES
from interviews.selectors import (
    candidate_interviews,
    candidate_rows_for_user,
    document_playback_get,
    interview_get,
    interview_has_code,
    interview_plan_for_room,
    note_list_visible,
    panel_interviews,
    participant_get_by_token,
    question_plan,
    scorecard_list_visible,
)
from interviews.services import rooms, scorecard_save
from interviews.services.documents import document_history, editor_state_for_room
from interviews.services.interviews import LINK_GRACE
from interviews.stage_config import LANGUAGE_CHOICES
from recordings.consent import CONSENT_TEXT, consent_active, stage_records
from talentsync.errors import NotAllowed, StateError

#: how many upcoming interviews the dashboard shows before "see all"
DASHBOARD_UPCOMING = 5
#: code playback marks an update inserting at least this many characters as a paste...
PLAYBACK_PASTE_CHARS = 80
#: ...and at least this long without any update as an idle gap
PLAYBACK_IDLE_SECONDS = 60
#: the playback's speeds (times real time)
PLAYBACK_SPEEDS = (1, 4, 16)
#: author colours of the playback (``--playback-author-<n>`` in static/css/playback.css)
PLAYBACK_COLOURS = 8


# --- helpers -----------------------------------------------------------------------------
def viewer_time_zone(user: Any, organization: Organization | None) -> ZoneInfo:
    """The zone a person reads times in: their own setting, else their organization's, else UTC."""
    return zone_of(getattr(user, "time_zone", ""), getattr(organization, "time_zone", ""))


def _is_upcoming(interview: Interview, now: Any) -> bool:
    return interview.status in OPEN_STATUSES and interview.ends_at > now


def _split_upcoming(interviews: list[Interview]) -> tuple[list[Interview], list[Interview]]:
    """Upcoming (soonest first) and past or cancelled (latest first)."""
    now = timezone.now()
    upcoming = [i for i in interviews if _is_upcoming(i, now)]
    past = [i for i in reversed(interviews) if not _is_upcoming(i, now)]
    return upcoming, past


def dashboard_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """What the dashboard shows an interviewer (next interviews) and a candidate (their interviews)."""
    user = cast(User, request.user)  # login_required
    context: dict[str, Any] = {"viewer_tz": viewer_time_zone(user, membership.organization)}
    if membership.role == Role.CANDIDATE:
        upcoming, _past = _split_upcoming(list(candidate_interviews(user=user, membership=membership)))
        context["candidate_interviews"] = [_CandidateRow(i, i.stage.config.toolsConfig) for i in upcoming]
    else:
        upcoming, _past = _split_upcoming(list(panel_interviews(user=user, organization=membership.organization)))
        context["panel_upcoming"] = upcoming[:DASHBOARD_UPCOMING]
        context["panel_upcoming_more"] = max(0, len(upcoming) - DASHBOARD_UPCOMING)
    return context


@dataclass(frozen=True)
class _CandidateRow:
    interview: Interview
    tools: dict[str, bool]


@dataclass(frozen=True)
class _ScorecardView:
    scorecard: Scorecard
    ratings: list[tuple[str, int | None]]


def _scorecard_view(scorecard: Scorecard, criteria: list[str]) -> _ScorecardView:
    return _ScorecardView(scorecard, [(name, scorecard.ratings.get(name)) for name in criteria])


def _membership_or_404(request: HttpRequest) -> Membership:
    membership = current_membership(request)
    if membership is None:
        raise Http404
    return membership


# --- interviewer pages ------------------------------------------------------------------
@login_required
@require_GET
def interview_list_mine(request: HttpRequest) -> HttpResponse:
    """List "My interviews": the ones the viewer sits on the panel of, upcoming then past."""
    membership = _membership_or_404(request)
    if membership.role == Role.CANDIDATE:
        return redirect("dashboard")
    interviews = list(panel_interviews(user=request.user, organization=membership.organization))
    upcoming, past = _split_upcoming(interviews)
    return render(
        request,
        "interviews/my_interviews.html",
        {
            "upcoming": upcoming,
            "past": past,
            "viewer_tz": viewer_time_zone(request.user, membership.organization),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel's page: details, question plan with hints and guides, shared notes, scorecards."""
    membership = _membership_or_404(request)
    user = cast(User, request.user)  # login_required
    interview = interview_get(actor=user, organization=membership.organization, pk=pk)
    if interview is None or not can_view_interview(user, interview):
        raise Http404
    criteria = list(interview.stage.criteria)
    writer = can_write_scorecard(user, interview)
    own = Scorecard.objects.filter(interview=interview, author=user).first() if writer else None
    form: ScorecardForm | None = None
    status = 200
    if writer and (own is None or own.submitted_at is None):
        form = ScorecardForm(criteria=criteria, initial=ScorecardForm.initial_from(own, criteria))

    if request.method == "POST":
        if not writer:
            raise PermissionDenied
        final = request.POST.get("action") == "submit"
        bound = ScorecardForm(request.POST, criteria=criteria, final=final)
        if own is not None and own.submitted_at is not None:
            messages.error(request, _("You already submitted this scorecard; it can no longer change."))
            status = 409
        elif bound.is_valid():
            try:
                scorecard_save(
                    interview=interview,
                    author=user,
                    ratings=bound.ratings(),
                    recommendation=bound.cleaned_data["recommendation"],
                    comments=bound.cleaned_data["comments"],
                    submit=final,
                )
            except ValidationError as exc:
                bound.add_service_errors(exc)
            except (StateError, NotAllowed) as exc:
                messages.error(request, exc.message)
                return redirect("interview_detail", pk=interview.pk)
            else:
                messages.success(
                    request, _("Scorecard submitted. Thank you.") if final else _("Draft saved. Submit it when ready.")
                )
                return redirect("interview_detail", pk=interview.pk)
        if status == 200:
            form, status = bound, 400

    others = [
        _scorecard_view(s, criteria)
        for s in scorecard_list_visible(actor=user, interview=interview)
        if s.author_id != user.pk and s.submitted_at is not None
    ]
    participants = list(interview.participants.select_related("user", "candidate").order_by("role", "pk"))
    context = {
        "interview": interview,
        "viewer_tz": viewer_time_zone(user, membership.organization),
        "participants": participants,
        "can_join": interview.status in OPEN_STATUSES and any(p.user_id == user.pk for p in participants),
        "plan": question_plan(interview=interview),
        # private notes stay in the back office, even for the recruiters who can read them there
        "notes": note_list_visible(actor=user, candidate=interview.candidate).filter(is_private=False),
        "tools": interview.stage.config.toolsConfig,
        "is_writer": writer,
        "own": _scorecard_view(own, criteria) if own is not None else None,
        "form": form,
        "others": others,
        "cancelled": interview.status == Interview.Status.CANCELLED,
        "has_code": interview_has_code(interview=interview),
    }
    return render(request, "interviews/interview_detail.html", context, status=status)


# --- code playback ----------------------------------------------------------------------
def playback_strings() -> dict[str, str]:
    """The playback script's user-facing strings (``%(name)s`` placeholders, as in the room's)."""
    return {
        "play": _("Play"),
        "pause": _("Pause"),
        "position": _("%(elapsed)s of %(total)s"),
        "at_clock": _("at %(time)s"),
        "typing": _("Typing: %(names)s"),
        "nobody_typing": _("Nobody is typing"),
        "paste": _("Large paste by %(name)s at %(time)s (%(n)s characters)"),
        "idle": _("Idle for %(duration)s from %(time)s"),
        "typed_by": _("typed by %(name)s"),
        "change_of": _("Change %(n)s of %(total)s"),
        "rebuilding": _("Rebuilding the session… %(percent)s%%"),
        "load_failed": _("The playback could not be rebuilt (%(error)s)."),
        "name_role": _("%(name)s (%(role)s)"),
        "former_participant": _("A former participant"),
        "run": _("Code run at %(time)s: %(verdict)s"),
        "run_tests": _("Test-case run at %(time)s: %(passed)s of %(total)s passed"),
        "no_run_yet": _("No code has been run yet at this moment."),
    }


def _playback_runs(interview: Interview, start: Any) -> list[dict[str, Any]]:
    """The interview's code runs on the playback timeline (ms from the first update)."""
    from assessments.models import CodeRun

    runs = CodeRun.objects.filter(interview=interview).order_by("created_at", "pk")
    return [
        {
            "at": max(0, (run.created_at - start) // timedelta(milliseconds=1)),
            "tests": run.source == CodeRun.Source.ROOM_TESTS,
            "language": run.language,
            "verdict": run.verdict,
            "passed": run.passed,
            "total": run.total,
            # interviewers and staff see playback: hidden results are theirs to see, but the
            # timeline needs no more than the figures and the program's own output
            "stdout": run.stdout[:4000],
            "stderr": run.stderr[:2000],
        }
        for run in runs
    ]


def _playback_log(document: RoomDocument, history: list[DocumentUpdate], *, time_zone: ZoneInfo) -> dict[str, Any]:
    """The update log as the playback script reads it, lean: one ``[ms, author, base64]`` per update.

    ``ms`` counts from the first update (floored, so an instant of the slider shows every update
    stored up to it); ``author`` indexes ``authors`` (null for a participant since removed).
    Candidates come first so they get the first colour in every interview.
    """
    order: dict[str, int] = {
        Participant.Role.CANDIDATE: 0,
        Participant.Role.INTERVIEWER: 1,
        Participant.Role.OBSERVER: 2,
    }
    people: dict[int, Participant] = {}
    for row in history:
        if row.author is not None:
            people.setdefault(row.author.pk, row.author)
    ranked = sorted(people.values(), key=lambda p: order.get(p.role, 3))  # stable: first to write first
    index = {p.pk: i for i, p in enumerate(ranked)}
    start = history[0].created_at
    return {
        "language": document.get_language_display(),
        "start": start.isoformat(),
        "timeZone": str(time_zone),
        "pasteChars": PLAYBACK_PASTE_CHARS,
        "idleMs": PLAYBACK_IDLE_SECONDS * 1000,
        "authors": [
            {"name": p.display_name, "role": p.get_role_display(), "colour": i % PLAYBACK_COLOURS}
            for i, p in enumerate(ranked)
        ],
        "updates": [
            [
                (row.created_at - start) // timedelta(milliseconds=1),
                index[row.author_id] if row.author_id is not None else None,
                base64.b64encode(bytes(row.data)).decode("ascii"),
            ]
            for row in history
        ],
        "runs": _playback_runs(document.interview, start),
    }


@login_required
@require_GET
def interview_playback(request: HttpRequest, pk: int) -> HttpResponse:
    """Replay the code editor of an interview, keystroke by keystroke, for its panel and hiring staff."""
    membership = _membership_or_404(request)
    if membership.role == Role.CANDIDATE:
        raise PermissionDenied
    user = cast(User, request.user)  # login_required
    target = document_playback_get(actor=user, organization=membership.organization, interview_id=pk)
    if target is None:
        raise Http404
    time_zone = viewer_time_zone(user, membership.organization)
    context: dict[str, Any] = {"interview": target.interview, "document": target.document, "viewer_tz": time_zone}
    if target.document is not None:
        history = document_history(document=target.document)
        context.update(
            playback_log=_playback_log(target.document, history, time_zone=time_zone),
            playback_i18n=playback_strings(),
            former_author=any(row.author_id is None for row in history),
            speeds=PLAYBACK_SPEEDS,
            idle_seconds=PLAYBACK_IDLE_SECONDS,
        )
    return render(request, "interviews/playback.html", context)


# --- the room ---------------------------------------------------------------------------
def _lobby_closed_message(participant: Participant, *, via_link: bool = True) -> str:
    interview = participant.interview
    if interview.status == Interview.Status.CANCELLED:
        return _("This interview was cancelled.")
    if interview.status in (Interview.Status.COMPLETED, Interview.Status.NO_SHOW) or not via_link:
        return _("This interview has ended.")
    if participant.revoked_at:
        return _("This link was replaced by a newer one. Use the latest e-mail, or ask for a new link.")
    return _("This link has expired.")


def room_strings() -> dict[str, str]:
    """The room script's user-facing strings, translated here and handed over with json_script.

    Placeholders are Python's ``%(name)s`` (so makemessages flags them as python-format and
    translators keep them); the script fills them in.
    """
    return {
        "connecting": _("Connecting…"),
        "joining": _("Joining the room…"),
        "alone": _("You are in the room. Waiting for the others…"),
        "with_others": _("You are in the room with %(names)s."),
        "reconnecting_in": _("Connection lost. Reconnecting in %(n)s s…"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("You are offline. The room reconnects when the network is back."),
        "ended": _("The interviewer ended the interview."),
        "replaced": _("You joined this room from another window, so this one is disconnected."),
        "not_authenticated": _("This join link no longer works."),
        "not_allowed": _("You cannot enter this room now."),
        "left": _("You left the room."),
        "peer_joined": _("%(name)s joined."),
        "peer_left": _("%(name)s left."),
        "peer_reconnecting": _("The connection to %(name)s was lost; trying again…"),
        "media_failed": _(
            "Your camera or microphone could not start (%(error)s). You can still see and hear the others."
        ),
        "screen_failed": _("Screen sharing did not start (%(error)s)."),
        "preview_failed": _("The preview could not start (%(error)s)."),
        "no_devices": _("No camera or microphone was found."),
        "camera_n": _("Camera %(n)s"),
        "microphone_n": _("Microphone %(n)s"),
        "you": _("You"),
        "you_name": _("%(name)s (you)"),
        "your_screen": _("Your screen"),
        "screen_of": _("Screen of %(name)s"),
        "mic_off": _("Microphone off"),
        "camera_off": _("Camera off"),
        "sharing": _("Sharing the screen"),
        "watching": _("Watching only"),
        "speaking": _("Speaking"),
        "quality_good": _("Good connection"),
        "quality_fair": _("Fair connection"),
        "quality_poor": _("Poor connection"),
        "quality_unknown": _("Measuring the connection…"),
        "quality_detail": _("%(rtt)s ms round trip, %(loss)s%% packets lost, %(rate)s kbit/s"),
        "role_interviewer": _("Interviewer"),
        "role_candidate": _("Candidate"),
        "role_observer": _("Observer"),
        "everyone": _("Everyone"),
        "to_private": _("privately to %(name)s"),
        "from_private": _("privately to you"),
        "former_participant": _("A former participant"),
        "pushed": _("Pushed"),
        "asked_by": _("Asked by %(name)s"),
        "sound_blocked": _("Your browser blocked the sound: click anywhere on the page to hear the others."),
        "recording_on": _("This interview is being recorded."),
        "recording_off": _("The recording stopped."),
        "consent_failed": _("Your answer about the recording was not saved (%(error)s). Try again."),
        "consent_given": _("You agreed to be recorded."),
        "consent_withdrawn": _("You withdrew your consent: nothing is recorded while you are in the room."),
        "consent_give": _("Agree to be recorded"),
        "consent_withdraw": _("Withdraw my consent to be recorded"),
    }


def _room(
    request: HttpRequest, participant: Participant, *, via_link: bool, token: str = "", viewer: Any = None
) -> HttpResponse:
    """The interview room: a pre-join screen (devices, preview), then the call, questions and chat."""
    interview = participant.interview
    # a link may be opened by anyone holding it: show the zone of the person it belongs to
    person = viewer or participant.user or (participant.candidate.user if participant.candidate else None)
    tools = interview.stage.config.toolsConfig
    may_lead = rooms.participant_may_lead(participant)
    opens_at = interview.scheduled_at - timedelta(minutes=settings.ROOM_OPENS_MINUTES_BEFORE)
    records = stage_records(interview)
    room = {
        "roomId": str(interview.room_id),
        # the join link's token authenticates the socket; a signed-in visitor's session does
        "token": token if via_link else "",
        "name": participant.display_name,
        "role": participant.role,
        "mayLead": may_lead,
        "observer": participant.role == Participant.Role.OBSERVER,
        "iceServers": rooms.ice_servers(participant=participant),
        "tools": {key: bool(tools.get(key)) for key in ("video", "chat", "editor", "whiteboard")},
        # the Yjs documents (DESIGN.md §4.2): y-websocket's provider joins docUrl + "/" + name
        "docUrl": f"/ws/rooms/{interview.room_id}/yjs",
        "editor": editor_state_for_room(interview=interview),
        "languages": [{"value": value, "label": label} for value, label in LANGUAGE_CHOICES],
        "peerId": rooms.peer_id(participant),
        "maxParticipants": settings.ROOM_MAX_PARTICIPANTS,
        "pingSeconds": 20,
        # the problems the interviewers may run the code against (their cases include hidden ones)
        "problems": room_problems(interview=interview) if may_lead and tools.get("editor") else [],
        # recording (docs/recording.md): the pre-join consent and the in-room withdrawal post here
        "recording": {
            "enabled": records,
            "consented": records and consent_active(participant=participant),
            "consentUrl": reverse("recording_consent", kwargs={"room_id": interview.room_id}) if records else "",
        },
    }
    return render(
        request,
        "interviews/join.html",
        {
            "participant": participant,
            "interview": interview,
            "tools": tools,
            "viewer_tz": viewer_time_zone(person, interview.organization),
            "via_link": via_link,
            "may_lead": may_lead,
            "plan": interview_plan_for_room(participant=participant),
            "room_config": room,
            "room_i18n": room_strings(),
            "room_not_open_yet": interview.status == Interview.Status.SCHEDULED and timezone.now() < opens_at,
            "room_opens_at": opens_at,
            "chat_max_length": ChatMessage.MAX_LENGTH,
            "recording_consent_text": CONSENT_TEXT,
        },
    )


@require_GET
def interview_join(request: HttpRequest, token: str) -> HttpResponse:
    """Where a personal join link lands: the interview room (its pre-join screen first)."""
    participant = participant_get_by_token(token=token)
    if participant is None:
        return render(
            request,
            "accounts/invitation_problem.html",
            {
                "title": _("This join link is not valid"),
                "message": _("Check that you copied the whole link, or ask for a new one."),
            },
            status=404,
        )
    if not participant.token_usable():
        return render(
            request,
            "accounts/invitation_problem.html",
            {"title": _("This join link no longer works"), "message": _lobby_closed_message(participant)},
            status=410,
        )
    return _room(request, participant, via_link=True, token=token)


@login_required
@require_GET
def interview_join_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The same room for a logged-in participant, without the e-mailed token."""
    membership = _membership_or_404(request)
    user = cast(User, request.user)  # login_required
    participants = Participant.objects.select_related(
        "interview__organization", "interview__stage", "interview__position", "user", "candidate"
    ).filter(interview_id=pk, interview__organization=membership.organization)
    participant = participants.filter(user=user).first() or (
        participants.filter(
            role=Participant.Role.CANDIDATE,
            candidate__in=candidate_rows_for_user(user=user, membership=membership).values("pk"),
        ).first()
    )
    if participant is None:
        raise Http404
    interview = participant.interview
    if interview.status not in OPEN_STATUSES or interview.ends_at + LINK_GRACE < timezone.now():
        return render(
            request,
            "accounts/invitation_problem.html",
            {
                "title": _("This interview is not open"),
                "message": _lobby_closed_message(participant, via_link=False),
            },
            status=410,
        )
    return _room(request, participant, via_link=False, viewer=user)
