"""The replay of a whole interview on one timeline (docs/replay.md).

Everything that happened in the room is put on one clock: milliseconds from the *session start*,
the earliest of the interview's start, its first recording, its first document update and its
first chat message (a recording may start before the interviewer pressed anything, and an
interview started from an old link may have no ``started_at``). Each part keeps its own absolute
instants in the database; this module converts them once, so the page's script does no date
arithmetic beyond adding milliseconds.

Who may open it is exactly who may watch the code playback
(``interviews.selectors.document_playback_get``): the organization's hiring staff, and the
interviewers and observers on the panel; never the candidate. The page carries no interviewer
hints or scores. The AI summary quotes the expected-answer guide's points, so it is shown only to
those who see the guide in the room (interviewers) and the hiring staff; an observer gets neither
it nor the private chat messages of others. When the organization has switched AI insights off,
those made earlier are not shown.

The queries are a fixed number whatever the number of recordings, segments, messages or runs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import user_can
from assessments.models import CodeRun, IntegrityEvent
from interviews.models import (
    ChatMessage,
    DocumentUpdate,
    Interview,
    InterviewQuestionPlan,
    Participant,
    RoomDocument,
)
from interviews.selectors import PlaybackTarget, document_playback_get
from interviews.services.documents import document_history, document_text_at
from recordings.insights.services import ai_enabled
from recordings.models import Insight, TranscriptSegment
from recordings.replay import payloads
from recordings.replay.clock import clock
from recordings.selectors import recording_list_visible
from recordings.urls_signing import recording_signed_url

#: a run's output shown on the page (the full output stays in the back office)
RUN_STDOUT_CHARS = 4000
RUN_STDERR_CHARS = 2000
#: the timeline's speeds (times real time); videos play at these rates too
SPEEDS = (1, 1.5, 2)

_MS = timedelta(milliseconds=1)


@dataclass
class ReplayTimeline:
    """What the replay page shows, every instant already in ms from ``start``."""

    interview: Interview
    start: datetime
    duration_ms: int
    time_zone: ZoneInfo
    recordings: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    chat: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    integrity: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    #: the code playback's log (``interviews.views._playback_log``) plus ``offset`` (ms), or None
    code: dict[str, Any] | None = None
    final_code: str = ""
    #: ``{"updates": [[ms, base64], ...]}`` of the whiteboard's Yjs document, or None
    whiteboard: dict[str, Any] | None = None
    summary: payloads.InsightView | None = None
    engagement: payloads.InsightView | None = None
    code_insight: payloads.InsightView | None = None
    #: whether the viewer sees every chat message (staff, interviewers) or only what the room showed them
    sees_all_chat: bool = True

    def marks(self) -> list[dict[str, Any]]:
        """The marks above the slider, in time order: each a kind, an instant and a label."""
        marks: list[dict[str, Any]] = []
        marks += [{"kind": "question", "at": q["at"], "label": q["mark"]} for q in self.questions]
        marks += [{"kind": "run", "at": r["at"], "label": r["mark"]} for r in self.runs]
        marks += [{"kind": "integrity", "at": e["at"], "label": e["mark"]} for e in self.integrity]
        if self.summary is not None:
            marks += [{"kind": "citation", "at": c["at"], "label": c["mark"]} for c in self.summary.citations]
        return sorted(marks, key=lambda mark: (mark["at"], mark["kind"]))

    def script_data(self) -> dict[str, Any]:
        """What the page's script needs beyond the server-rendered lists (json_script)."""
        return {
            "start": self.start.isoformat(),
            "durationMs": self.duration_ms,
            "timeZone": str(self.time_zone),
            "recordings": self.recordings,
            "code": self.code,
            "whiteboard": self.whiteboard,
            "runs": [{k: r[k] for k in ("id", "at", "mark", "language", "stdout", "stderr")} for r in self.runs],
            "marks": self.marks(),
        }


def replay_target_get(*, actor: Any, organization: Organization, interview_id: Any) -> PlaybackTarget | None:
    """The interview (and its code document) whose replay the actor may open, or None.

    Exactly the code playback's rule, so the two pages never disagree about who may watch.
    """
    return document_playback_get(actor=actor, organization=organization, interview_id=interview_id)


def _name(participant: Participant | None) -> str:
    return participant.display_name if participant is not None else _("A former participant")


def _people() -> tuple[str, ...]:
    return ("user", "candidate")


def replay_timeline_build(
    *, actor: Any, organization: Organization, target: PlaybackTarget, time_zone: ZoneInfo, search: str = ""
) -> ReplayTimeline:
    """Everything of the target interview on one timeline, for ``actor`` (from ``replay_target_get``).

    ``search`` keeps only the transcript segments containing it (the page's form without script).
    """
    interview = target.interview
    # The hiring staff and the interviewers see everything; an observer on the panel sees what the
    # room showed them: no question guide (the AI summary quotes its points) and only the chat
    # messages that were sent to the room, to them or by them.
    staff = user_can(actor, "interviews.view_interview", organization=organization)
    me = Participant.objects.filter(interview=interview, user=actor).only("pk", "role").first() if actor.pk else None
    sees_all = staff or (me is not None and me.role == Participant.Role.INTERVIEWER)
    recordings = list(recording_list_visible(actor=actor, organization=organization, interview=interview))
    segments = list(
        TranscriptSegment.objects.filter(recording__in=[r.pk for r in recordings]).order_by("recording", "index")
    )
    messages = ChatMessage.objects.filter(interview=interview)
    if not sees_all:
        mine = me.pk if me is not None else None
        messages = messages.filter(Q(recipient__isnull=True) | Q(recipient_id=mine) | Q(sender_id=mine))
    chat = list(messages.select_related(*(f"sender__{p}" for p in _people()), *(f"recipient__{p}" for p in _people())))
    runs = list(
        CodeRun.objects.filter(interview=interview)
        .select_related(*(f"participant__{p}" for p in _people()))
        .order_by("created_at", "pk")
    )
    integrity = list(
        IntegrityEvent.objects.filter(interview=interview).select_related(*(f"participant__{p}" for p in _people()))
    )
    asked = list(
        InterviewQuestionPlan.objects.filter(interview=interview, asked_at__isnull=False)
        .select_related("question")
        .only("pk", "order", "asked_at", "question__question_text")
        .order_by("asked_at", "pk")
    )
    code_document = target.document
    history = document_history(document=code_document) if code_document is not None else []
    board = list(
        DocumentUpdate.objects.filter(
            document__interview=interview, document__name=RoomDocument.Name.WHITEBOARD
        ).order_by("pk")
    )
    insights = {insight.kind: insight for insight in Insight.objects.filter(interview=interview)}
    if not ai_enabled(organization_id=interview.organization_id):
        # switched off: what was made before is not shown either (it stays until the retention purge)
        insights = {kind: Insight(interview=interview, kind=kind, status=Insight.Status.DISABLED) for kind in insights}

    # --- the session's clock -------------------------------------------------------------
    firsts = [
        t
        for t in (
            interview.started_at,
            min((r.started_at for r in recordings), default=None),
            history[0].created_at if history else None,
            board[0].created_at if board else None,
            chat[0].sent_at if chat else None,
        )
        if t is not None
    ]
    start = min(firsts) if firsts else (interview.started_at or interview.scheduled_at)
    lasts: list[datetime] = [start]
    if interview.ended_at is not None:
        lasts.append(interview.ended_at)
    for recording in recordings:
        lasts.append(recording.started_at + recording.duration_ms * _MS)
    lasts += [history[-1].created_at] if history else []
    lasts += [board[-1].created_at] if board else []
    lasts += [chat[-1].sent_at] if chat else []
    lasts += [run.created_at for run in runs[-1:]]
    lasts += [event.occurred_at for event in integrity[-1:]]
    lasts += [item.asked_at for item in asked if item.asked_at is not None]
    by_recording = {r.pk: r for r in recordings}
    for segment in segments:
        lasts.append(by_recording[segment.recording_id].started_at + segment.end_ms * _MS)

    def at(instant: datetime) -> int:
        return max(0, (instant - start) // _MS)

    timeline = ReplayTimeline(
        interview=interview, start=start, duration_ms=at(max(lasts)), time_zone=time_zone, sees_all_chat=sees_all
    )
    local = time_zone

    def wall(instant: datetime) -> str:
        return instant.astimezone(local).strftime("%H:%M:%S")

    # --- recordings and their transcripts ----------------------------------------------------
    for recording in recordings:
        timeline.recordings.append(
            {
                "id": recording.pk,
                "kind": recording.kind,
                "kindLabel": str(recording.get_kind_display()),
                "speaker": recording.speaker_name or _("A former participant"),
                "participantId": recording.participant_id,
                "hasAudio": recording.has_audio,
                "hasVideo": recording.has_video,
                "contentType": recording.content_type,
                "url": recording_signed_url(recording=recording, user=actor),
                "at": at(recording.started_at),
                "durationMs": recording.duration_ms,
                "clock": clock(at(recording.started_at)),
            }
        )
    needle = search.strip().casefold()
    rows = []
    for segment in segments:
        recording = by_recording[segment.recording_id]
        begins = recording.started_at + segment.start_ms * _MS
        rows.append(
            {
                "id": segment.pk,
                "recordingId": recording.pk,
                "speaker": segment.speaker_name or recording.speaker_name or _("A former participant"),
                "participantId": segment.participant_id,
                "at": at(begins),
                "end": at(recording.started_at + segment.end_ms * _MS),
                "media": segment.start_ms / 1000,
                "clock": clock(at(begins)),
                "wall": wall(begins),
                "text": segment.text,
                "shown": not needle or needle in segment.text.casefold(),
            }
        )
    timeline.transcript = sorted(rows, key=lambda row: (row["at"], row["id"]))

    # --- chat, runs, integrity events, questions ------------------------------------------------
    for message in chat:
        sender = _name(message.sender)
        recipient = _name(message.recipient) if message.recipient_id is not None else ""
        timeline.chat.append(
            {
                "id": message.pk,
                "at": at(message.sent_at),
                "clock": clock(at(message.sent_at)),
                "wall": wall(message.sent_at),
                "sender": sender,
                # private ones are marked as such (an observer only gets those sent to or by them)
                "recipient": recipient,
                "private": message.recipient_id is not None,
                "text": message.text,
            }
        )
    for run in runs:
        when = at(run.created_at)
        tests = run.source == CodeRun.Source.ROOM_TESTS
        if tests:
            mark = _("Test-case run at %(time)s: %(passed)s of %(total)s passed") % {
                "time": clock(when),
                "passed": run.passed,
                "total": run.total,
            }
        else:
            mark = _("Code run at %(time)s: %(verdict)s") % {"time": clock(when), "verdict": run.verdict}
        timeline.runs.append(
            {
                "id": run.pk,
                "at": when,
                "clock": clock(when),
                "wall": wall(run.created_at),
                "by": _name(run.participant),
                "language": run.language,
                "verdict": run.verdict,
                "tests": tests,
                "passed": run.passed,
                "total": run.total,
                "wallMs": run.wall_ms,
                # the figures and the program's own output; the test cases (hidden ones
                # included) stay in the back office
                "stdout": run.stdout[:RUN_STDOUT_CHARS],
                "stderr": run.stderr[:RUN_STDERR_CHARS],
                "mark": mark,
            }
        )
    for event in integrity:
        when = at(event.occurred_at)
        label = str(event.get_kind_display())
        length = event.detail.get("length") if isinstance(event.detail, dict) else None
        timeline.integrity.append(
            {
                "id": event.pk,
                "at": when,
                "clock": clock(when),
                "wall": wall(event.occurred_at),
                "kind": event.kind,
                "label": label,
                "by": _name(event.participant),
                "length": length if isinstance(length, int) else None,
                "mark": _("%(event)s at %(time)s (%(name)s)")
                % {"event": label, "time": clock(when), "name": _name(event.participant)},
            }
        )
    for index, item in enumerate(asked, start=1):
        when = at(item.asked_at or start)  # never None: filtered in the query
        timeline.questions.append(
            {
                "id": item.pk,
                "n": index,
                "at": when,
                "clock": clock(when),
                "text": item.question.question_text,
                "mark": _("Question %(n)s asked at %(time)s") % {"n": index, "time": clock(when)},
            }
        )

    # --- the code editor and the whiteboard -------------------------------------------------------
    if code_document is not None and history:
        from interviews.views import _playback_log  # the code playback's own format, reused

        log = _playback_log(code_document, history, time_zone=time_zone)
        log.pop("runs", None)  # the replay has its own, on the session's clock
        log["offset"] = at(history[0].created_at)
        timeline.code = log
        timeline.final_code = document_text_at(document=code_document, at=history[-1].created_at)
    if board:
        timeline.whiteboard = {
            "updates": [[at(row.created_at), base64.b64encode(bytes(row.data)).decode("ascii")] for row in board]
        }

    # --- AI insights: labelled, never a scorecard -------------------------------------------------
    segment_at = {row["id"]: row["at"] for row in timeline.transcript}
    if sees_all:
        timeline.summary = payloads.summary_view(insights.get(Insight.Kind.SUMMARY), at=at, segment_at=segment_at)
    else:
        timeline.summary = payloads.InsightView(status="restricted", status_label=_("For interviewers only"))
    timeline.engagement = payloads.engagement_view(
        insights.get(Insight.Kind.ENGAGEMENT), at=at, duration_ms=timeline.duration_ms
    )
    timeline.code_insight = payloads.code_view(insights.get(Insight.Kind.CODE))
    return timeline
