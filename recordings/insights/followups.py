"""Follow-up suggestions during an interview, for the interviewers only.

From the current question's ``follow_up_questions`` and the points of its answer guide that the
candidate has not covered yet (the rule of :mod:`recordings.insights.guide`), judged on what
exists so far: the candidate's chat lines and transcript segments since the question was asked,
and the identifiers of the code in the editor now. Order: follow-up questions about an uncovered
point first, then the uncovered points themselves, then the other follow-up questions.

Never for candidates: the view refuses anyone who may not lead the room, and the answer holds
guide text, which no candidate-facing page or socket frame ever carries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, TypedDict

from django.utils.translation import gettext as _

from interviews.models import ChatMessage, Interview, InterviewQuestionPlan, Participant, RoomDocument
from recordings.insights import guide
from recordings.insights.evidence import final_code
from recordings.insights.services import ai_enabled
from recordings.insights.types import AI_LABEL
from recordings.models import TranscriptSegment


class Suggestion(TypedDict):
    text: str
    source: Literal["follow_up", "guide"]


class FollowUps(TypedDict):
    label: str
    questionId: int
    status: Literal["ready", "disabled"]
    covered: int
    total: int
    suggestions: list[Suggestion]


def candidate_words_so_far(*, item: InterviewQuestionPlan) -> set[str]:
    """The stems of what the candidate said and chatted since the question was asked, and of the code now."""
    interview = item.interview
    said: set[str] = set()
    chat = ChatMessage.objects.filter(interview=interview, sender__role=Participant.Role.CANDIDATE)
    if item.asked_at is not None:
        chat = chat.filter(sent_at__gte=item.asked_at)
    for text in chat.values_list("text", flat=True):
        said |= guide.words_of(text)
    segments = TranscriptSegment.objects.filter(
        interview=interview, participant__role=Participant.Role.CANDIDATE, recording__deleted_at__isnull=True
    ).select_related("recording")
    for segment in segments:
        at = segment.recording.started_at + timedelta(milliseconds=segment.start_ms)
        if item.asked_at is None or at >= item.asked_at:
            said |= guide.words_of(segment.text)
    document = RoomDocument.objects.filter(interview=interview, name=RoomDocument.Name.CODE).first()
    if document is not None and document.update_count:
        said |= guide.identifier_words(final_code(document))
    return said


def followups_get(*, interview: Interview, question_id: int) -> FollowUps | None:
    """The suggestions for one question of the interview's plan, or None when it is not in the plan."""
    item = (
        InterviewQuestionPlan.objects.select_related("question", "interview")
        .filter(interview=interview, question_id=question_id)
        .first()
    )
    if item is None:
        return None
    if not ai_enabled(organization_id=interview.organization_id):
        return {
            "label": AI_LABEL,
            "questionId": question_id,
            "status": "disabled",
            "covered": 0,
            "total": 0,
            "suggestions": [],
        }
    points = guide.guide_points(item.question.expected_answer_guide)
    results = guide.coverage(points, candidate_words_so_far(item=item))
    uncovered = [c.point for c in results if not c.covered]
    missing_terms = {t for point in uncovered for t in point.terms}
    follow_ups = [str(f).strip() for f in item.question.follow_up_questions or [] if str(f).strip()]
    related = [f for f in follow_ups if missing_terms & set(guide.key_terms(f))]
    suggestions: list[Suggestion] = [{"text": f, "source": "follow_up"} for f in related]
    suggestions += [
        {"text": _("Not covered yet: %(point)s") % {"point": point.text}, "source": "guide"} for point in uncovered
    ]
    suggestions += [{"text": f, "source": "follow_up"} for f in follow_ups if f not in related]
    return {
        "label": AI_LABEL,
        "questionId": question_id,
        "status": "ready",
        "covered": len(results) - len(uncovered),
        "total": len(results),
        "suggestions": suggestions,
    }
