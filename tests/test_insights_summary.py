"""The offline summary: guide coverage, cited claims, idempotence, the disabled state, scorecards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from assessments.models import CodeRun
from interviews.factories import ScorecardFactory
from interviews.models import ChatMessage, DocumentUpdate, Scorecard
from recordings.insights.services import interview_analyse
from recordings.models import Insight, MediaSettings, TranscriptSegment
from tests.conftest import Tenant
from tests.test_insights_fixtures import Scene, make_scene

pytestmark = pytest.mark.django_db

PASTED = (
    "    seen = {}\n"
    "    for index, number in enumerate(nums):\n"
    "        if target - number in seen:\n"
    "            return seen[target - number], index\n"
    "        seen[number] = index\n"
)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def all_claims(payload: dict[str, Any]) -> list[dict[str, Any]]:
    claims = list(payload["highlights"])
    for question in payload["questions"]:
        claims += question["strengths"] + question["weaknesses"]
    return claims


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    scene = make_scene(acme)
    scene.say(scene.lead, 0, 8, "Please find two numbers in the list that add up to the target.")
    scene.say(scene.candidate, 10, 18, "I would put every number in a hash map so each lookup is constant.")
    scene.say(scene.candidate, 20, 26, "Um, so overall that is linear, like one pass.")
    scene.chat(scene.candidate, 30, "I think a dictionary works here")
    scene.type(scene.candidate, 40, "def two_sum(nums, target):\n")
    scene.type(scene.candidate, 45, PASTED)
    scene.run(
        60,
        source=CodeRun.Source.ROOM_TESTS,
        verdict="WRONG_ANSWER",
        passed=1,
        total=3,
    )
    scene.run(90, source=CodeRun.Source.ROOM_TESTS, verdict="OK", passed=3, total=3)
    return scene


def test_summary_claims_follow_the_guide_coverage(scene: Scene) -> None:
    # given: the candidate spoke of a hash map and linear time, never of duplicates

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    summary = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY)
    assert summary.status == Insight.Status.READY
    assert summary.payload["label"] == "AI-generated"
    (question,) = summary.payload["questions"]
    assert question["questionId"] == scene.question.pk
    strengths = [c["text"] for c in question["strengths"]]
    weaknesses = [c["text"] for c in question["weaknesses"]]
    assert "Covered: Use a hash map for constant-time lookups" in strengths
    assert "Covered: Linear overall complexity" in strengths
    assert "Not covered: Handle duplicate values" in weaknesses
    assert not any("duplicate" in text for text in strengths)


def test_every_citation_names_something_of_this_interview(scene: Scene) -> None:
    # given
    segments = {s.pk: s for s in TranscriptSegment.objects.filter(interview=scene.interview)}
    runs = {r.pk: r for r in CodeRun.objects.filter(interview=scene.interview)}
    chat_times = {m.sent_at for m in ChatMessage.objects.filter(interview=scene.interview)}
    code_times = set(
        DocumentUpdate.objects.filter(document__interview=scene.interview).values_list("created_at", flat=True)
    )

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    payload = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY).payload
    claims = all_claims(payload)
    assert claims
    kinds = set()
    for claim in claims:
        assert claim["cites"], claim
        for cite in claim["cites"]:
            kinds.add(cite["kind"])
            at = _at(cite["at"])
            if cite["kind"] == "transcript":
                segment = segments[cite["segmentId"]]
                assert at == segment.recording.started_at + timedelta(milliseconds=segment.start_ms)
            elif cite["kind"] == "run":
                assert at == runs[cite["runId"]].created_at
            elif cite["kind"] == "chat":
                assert at in chat_times
            else:
                assert cite["kind"] == "code"
                assert at in code_times
    assert {"transcript", "run", "code"} <= kinds


def test_runs_give_a_strength_for_the_first_all_green_run(scene: Scene) -> None:
    # given
    green = CodeRun.objects.get(interview=scene.interview, passed=3)

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    payload = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY).payload
    highlight_runs = [c["runId"] for claim in payload["highlights"] for c in claim["cites"] if c["kind"] == "run"]
    assert highlight_runs == [green.pk]


def test_nothing_said_in_a_window_gives_no_uncited_weakness(acme: Tenant) -> None:
    # given: a question nobody answered (no words, no runs)
    scene = make_scene(acme)

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    payload = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY).payload
    assert payload["questions"][0]["strengths"] == []
    assert payload["questions"][0]["weaknesses"] == []
    assert payload["highlights"] == []


def test_analysing_again_replaces_the_insights(scene: Scene) -> None:
    # given
    first = interview_analyse(interview_id=scene.interview.pk)
    scene.say(scene.candidate, 100, 104, "We should also handle duplicate values.")

    # when
    second = interview_analyse(interview_id=scene.interview.pk)

    # then
    assert sorted(i.pk for i in first) == sorted(i.pk for i in second)
    assert Insight.objects.filter(interview=scene.interview).count() == 3
    summary = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY)
    assert "Covered: Handle duplicate values" in [c["text"] for c in summary.payload["questions"][0]["strengths"]]


def test_analysis_never_touches_a_scorecard(scene: Scene, acme: Tenant) -> None:
    # given
    card = cast(Scorecard, ScorecardFactory(interview=scene.interview, author=acme.users["interviewer"]))
    before = Scorecard.objects.filter(pk=card.pk).values().get()

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    assert Scorecard.objects.filter(interview=scene.interview).count() == 1
    assert Scorecard.objects.filter(pk=card.pk).values().get() == before


def test_an_organization_without_ai_gets_disabled_insights(scene: Scene, acme: Tenant) -> None:
    # given
    MediaSettings.objects.update_or_create(organization=acme.org, defaults={"ai_enabled": False})

    # when
    insights = interview_analyse(interview_id=scene.interview.pk)

    # then
    assert {i.kind: i.status for i in insights} == {
        "summary": Insight.Status.DISABLED,
        "engagement": Insight.Status.DISABLED,
        "code": Insight.Status.DISABLED,
    }
    assert all(i.payload == {} and i.error == "" for i in insights)
