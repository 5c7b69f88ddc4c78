"""Engagement numbers on fixed transcript segments, against values worked out by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from recordings.factories import RecordingFactory, RecordingSessionFactory, TranscriptSegmentFactory
from recordings.insights.engagement import filler_count
from recordings.insights.services import interview_analyse
from recordings.models import Insight
from tests.conftest import Tenant
from tests.test_insights_fixtures import START, Scene, make_scene

pytestmark = pytest.mark.django_db

CANDIDATE_LINES = [
    (0, 4, "Um, I think, like, we can use a map."),
    (10, 15, "You know, it is really great!"),
    (15.5, 20, "uh okay"),
    (30, 33, "I'd like the likely unlikely umbrella"),
    (36, 40, "Let me think"),
    (45, 46, "basically done"),
]
LEAD_LINES = [(4.5, 9, "Tell me more."), (25, 27, "Good.")]


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    scene = make_scene(acme)
    for start, end, text in CANDIDATE_LINES:
        scene.say(scene.candidate, start, end, text)
    for start, end, text in LEAD_LINES:
        scene.say(scene.lead, start, end, text)
    return scene


def speakers(scene: Scene) -> dict[str, dict[str, Any]]:
    interview_analyse(interview_id=scene.interview.pk)
    insight = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.ENGAGEMENT)
    assert insight.status == Insight.Status.READY
    assert insight.payload["label"] == "AI-generated"
    return {s["role"]: s for s in insight.payload["speakers"]}


def test_talk_time_and_share(scene: Scene) -> None:
    # given: the candidate speaks 4 + 5 + 4.5 + 3 + 4 + 1 = 21.5 s, the interviewer 4.5 + 2 = 6.5 s

    # when
    by_role = speakers(scene)

    # then
    assert by_role["candidate"]["talkMs"] == 21500
    assert by_role["interviewer"]["talkMs"] == 6500
    assert by_role["candidate"]["talkShare"] == round(21500 / 28000, 4)
    assert by_role["interviewer"]["talkShare"] == round(6500 / 28000, 4)
    assert by_role["candidate"]["participantId"] == scene.candidate.pk
    assert by_role["candidate"]["name"] == "Ada Candidate"


def test_pauses_are_silences_of_three_seconds_or_more(scene: Scene) -> None:
    # given: the candidate's gaps are 6 s (the interviewer spoke), 0.5 s, 10 s (the interviewer
    # spoke), 3 s and 5 s of silence; the interviewer's one gap is filled by the candidate

    # when
    by_role = speakers(scene)

    # then
    assert (by_role["candidate"]["pauses"], by_role["candidate"]["longestPauseMs"]) == (2, 5000)
    assert (by_role["interviewer"]["pauses"], by_role["interviewer"]["longestPauseMs"]) == (0, 0)


def test_filler_words_and_their_rate(scene: Scene) -> None:
    # given: um, like | you know | uh | like (not likely, unlikely, umbrella) | — | basically

    # when
    by_role = speakers(scene)

    # then
    assert by_role["candidate"]["fillerWords"] == 6
    assert by_role["candidate"]["fillerRate"] == round(6 / (21500 / 60000), 2)
    assert by_role["interviewer"]["fillerWords"] == 0
    assert by_role["interviewer"]["fillerRate"] == 0.0


def test_sentiment_is_vader_compound_per_segment_at_its_start(scene: Scene) -> None:
    # given
    vader = SentimentIntensityAnalyzer()

    # when
    by_role = speakers(scene)

    # then
    assert by_role["candidate"]["sentiment"] == [
        {
            "at": (START + timedelta(seconds=start)).isoformat(),
            "compound": round(vader.polarity_scores(text)["compound"], 4),
        }
        for start, _end, text in CANDIDATE_LINES
    ]
    assert by_role["candidate"]["sentiment"][1]["compound"] > 0.5  # "really great!"


def test_overlapping_recordings_of_one_speaker_count_once(acme: Tenant) -> None:
    # given: the candidate reconnected; a second recording repeats two seconds of the first
    scene = make_scene(acme)
    scene.say(scene.candidate, 0, 4, "first part")
    second = RecordingFactory(
        session=RecordingSessionFactory(interview=scene.interview, started_at=START + timedelta(seconds=2)),
        participant=scene.candidate,
        started_at=START + timedelta(seconds=2),
    )
    TranscriptSegmentFactory(recording=second, index=0, start_ms=0, end_ms=4000, text="second part")

    # when
    by_role = speakers(scene)

    # then: [0 s, 4 s] ∪ [2 s, 6 s] is 6 s
    assert by_role["candidate"]["talkMs"] == 6000
    assert by_role["candidate"]["talkShare"] == 1.0


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Um... UH, hmm", 3),
        ("you   know, I mean", 2),
        ("likely unlikely umbrella erase summary", 0),
        ("I like it, like, a lot", 2),
    ],
)
def test_fillers_are_counted_on_word_boundaries(text: str, count: int) -> None:
    # when / then
    assert filler_count(text) == count
