"""The replay page: who may open it, what it embeds, its one clock, and a fixed number of queries."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import ChatMessage, Participant
from recordings.factories import RecordingFactory, TranscriptSegmentFactory
from recordings.models import Insight
from tests.conftest import Tenant
from tests.test_pages_fixtures import add_member
from tests.test_replay_fixtures import HIDDEN_INPUT, LEAD_MS, Scene, at, scene

__all__ = ["scene"]  # the fixture, imported for pytest


def replay_url(scene: Scene) -> str:
    return reverse("interview_replay", args=[scene.interview.pk])


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def embedded(content: bytes, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', content.decode(), re.S)
    assert match, f"no {element_id} json_script in the page"
    return json.loads(match.group(1))


# --- who may open it -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("panel interviewer", 200),
        ("panel observer", 200),
        ("acme recruiter", 200),
        ("acme admin", 200),
        ("acme interviewer of another interview", 404),
        ("acme candidate (this interview's)", 403),
        ("acme candidate (another one)", 403),
        ("globex admin", 404),
        ("globex recruiter", 404),
        ("globex interviewer", 404),
    ],
)
def test_the_replay_opens_only_for_the_panel_and_the_organizations_hiring_staff(
    acme: Tenant, globex: Tenant, scene: Scene, who: str, status: int
) -> None:
    # given
    users = {
        "panel interviewer": scene.interviewer,
        "acme recruiter": acme.users[Role.RECRUITER],
        "acme admin": acme.users[Role.ADMIN],
        "acme candidate (this interview's)": scene.candidate_user,
        "globex admin": globex.users[Role.ADMIN],
        "globex recruiter": globex.users[Role.RECRUITER],
        "globex interviewer": globex.users[Role.INTERVIEWER],
    }
    if who == "panel observer":
        users[who] = add_member(acme, Role.INTERVIEWER, "watcher@acme.test")
        ParticipantFactory(interview=scene.interview, user=users[who], role=Participant.Role.OBSERVER)
    if who == "acme interviewer of another interview":
        users[who] = add_member(acme, Role.INTERVIEWER, "elsewhere@acme.test")
        ParticipantFactory(interview=InterviewFactory(organization=acme.org), user=users[who])
    if who == "acme candidate (another one)":
        users[who] = add_member(acme, Role.CANDIDATE, "someone-else@acme.test")
    # when
    response = logged_in(users[who]).get(replay_url(scene))
    # then
    assert response.status_code == status
    if status == 200:
        assert embedded(response.content, "replay-data")["recordings"]
    else:
        assert b"replay-data" not in response.content
        assert b"Grace Hopper" not in response.content
        assert b"/media/" not in response.content


def test_anonymous_visitors_are_sent_to_log_in(scene: Scene) -> None:
    response = Client().get(replay_url(scene))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_unknown_interview_answers_404(scene: Scene) -> None:
    response = logged_in(scene.interviewer).get(reverse("interview_replay", args=[scene.interview.pk + 999]))
    assert response.status_code == 404


def test_staff_who_are_the_interviews_candidate_cannot_replay_it(acme: Tenant, scene: Scene) -> None:
    # given a recruiter who is this interview's candidate
    recruiter = acme.users[Role.RECRUITER]
    candidate = scene.interview.candidate
    candidate.user = recruiter
    candidate.save(update_fields=["user"])
    # when
    response = logged_in(recruiter).get(replay_url(scene))
    # then
    assert response.status_code == 404


# --- what it embeds --------------------------------------------------------------------------
def test_the_page_never_carries_hints_guides_or_hidden_test_data(acme: Tenant, scene: Scene) -> None:
    # when the question's hints and guide ("SECRET-…", from the factory) exist
    response = logged_in(acme.users[Role.RECRUITER]).get(replay_url(scene))
    # then neither the script's data nor the page has them, nor a hidden test case's input
    data = json.dumps(embedded(response.content, "replay-data"))
    page = response.content.decode()
    for secret in ("SECRET-HINT", "SECRET-GUIDE", HIDDEN_INPUT):
        assert secret not in data
        assert secret not in page
    # while the question asked is on the timeline
    assert "Question 1 asked at 0:01" in data


def test_everything_is_on_one_clock_from_the_first_recording(scene: Scene) -> None:
    # when
    response = logged_in(scene.interviewer).get(replay_url(scene))
    data = embedded(response.content, "replay-data")
    # then the session starts with the recordings, before the interview's started_at
    assert data["start"] == at(0).isoformat()
    assert scene.interview.started_at == at(LEAD_MS)
    assert data["durationMs"] == 30_000
    # each recording with its signed URL and its place on the clock
    assert [(r["speaker"], r["at"], r["durationMs"]) for r in data["recordings"]] == [
        (scene.lead.display_name, 0, 30_000),
        ("Grace Hopper", 0, 30_000),
    ]
    assert all("/media/?sig=" in r["url"] for r in data["recordings"])
    # the code log keeps its own format, placed by its offset
    assert data["code"]["offset"] == 5000
    assert data["code"]["updates"][0][0] == 0
    assert [a["name"] for a in data["code"]["authors"]] == ["Grace Hopper", scene.interviewer.full_name]
    # the whiteboard's updates, on the session clock
    assert [ms for ms, _data in data["whiteboard"]["updates"]] == [15000, 18000]
    # the marks: question, runs, integrity, and the summary's citations (the unreadable one dropped)
    marks = [(m["kind"], m["at"]) for m in data["marks"]]
    assert marks == [
        ("question", 1000),
        ("citation", 6000),
        ("integrity", 11000),
        ("citation", 13000),
        ("run", 13000),
        ("run", 22000),
    ]
    # and the transcript lines, in time order, at recording start + their offset
    page = response.content.decode()
    segment_times = [int(ms) for ms in re.findall(r'class="replay-segment" data-at="(\d+)"', page)]
    assert segment_times == [1000, 6000, 14000, 19000]


def test_the_page_lists_chat_including_private_messages_runs_events_and_insights(scene: Scene) -> None:
    # when
    response = logged_in(scene.interviewer).get(replay_url(scene))
    page = response.content.decode()
    # then
    assert "Take your time." in page
    assert "Psst: a private note." in page
    assert "privately to Grace Hopper" in page
    assert "first-run-output" in page
    assert "1 of 2 tests passed" in page
    assert "42 characters" in page
    # the AI parts are labelled, the summary with its citation buttons, disabled code insight says so
    assert page.count("AI-generated") >= 2
    assert "Explained the two-pointer idea clearly." in page
    assert 'data-at="6000" aria-label="AI citation at 0:06: Grace Hopper: two pointers"' in page
    assert "AI insights are switched off for this organization." in page
    assert "<meter" in page
    assert "58%" in page
    # the code as it was at the end, for a browser without script
    assert "def reverse(head):\n    prev = None\n    return prev\n" in page


def test_the_transcript_search_works_without_script(scene: Scene) -> None:
    # when
    response = logged_in(scene.interviewer).get(replay_url(scene), {"q": "POINTERS"})
    page = response.content.decode()
    # then only the matching line is shown
    shown = re.findall(r'<li id="segment-(\d+)" class="replay-segment"[^>]*?(hidden)?>', page)
    assert [(int(pk), bool(hidden)) for pk, hidden in shown] == [
        (s.pk, s.text.find("pointers") < 0) for s in sorted(scene.segments, key=lambda s: (s.start_ms, s.pk))
    ]
    assert "1 of 4 segments match" in page


def test_a_deleted_recording_and_its_transcript_are_not_shown(scene: Scene) -> None:
    # given
    gone = scene.recordings[1]
    type(gone).objects.filter(pk=gone.pk).update(deleted_at=at(60_000))
    type(scene.segments[0]).objects.filter(recording=gone).delete()
    # when
    data = embedded(logged_in(scene.interviewer).get(replay_url(scene)).content, "replay-data")
    # then
    assert [r["id"] for r in data["recordings"]] == [scene.recordings[0].pk]


def test_an_interview_with_nothing_recorded_still_replays(acme: Tenant) -> None:
    # given a finished interview with nothing but a chat line
    interview = InterviewFactory(organization=acme.org, status="completed", started_at=at(0))
    lead = ParticipantFactory(interview=interview, user=acme.users[Role.INTERVIEWER])
    ChatMessage.objects.create(interview=interview, sender=lead, text="Hello?", sent_at=at(4000))
    # when
    response = logged_in(acme.users[Role.INTERVIEWER]).get(reverse("interview_replay", args=[interview.pk]))
    # then
    assert response.status_code == 200
    data = embedded(response.content, "replay-data")
    assert (data["recordings"], data["code"], data["whiteboard"], data["durationMs"]) == ([], None, None, 4000)
    page = response.content.decode()
    assert "This interview was not recorded" in page
    assert "No summary yet." in page


# --- a fixed number of queries ---------------------------------------------------------------
def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_recordings_segments_messages_and_runs(
    acme: Tenant, scene: Scene
) -> None:
    # given the page's queries for the scene
    client = logged_in(acme.users[Role.RECRUITER])
    client.get(replay_url(scene))  # session, caches
    before = _queries(client, replay_url(scene))
    # when it gets many more recordings, segments and chat lines
    for n in range(4):
        someone = ParticipantFactory(interview=scene.interview, role=Participant.Role.OBSERVER)
        recording = RecordingFactory(
            session=scene.recordings[0].session, participant=someone, duration_ms=10_000, started_at=at(1000 * n)
        )
        for index in range(10):
            TranscriptSegmentFactory(recording=recording, index=index, start_ms=index * 500, end_ms=index * 500 + 400)
        ChatMessage.objects.create(
            interview=scene.interview, sender=someone, recipient=scene.lead, text=f"note {n}", sent_at=at(2000 + n)
        )
    # then the page makes as many queries as before
    assert _queries(client, replay_url(scene)) == before


# --- the interview page links to it ----------------------------------------------------------
def test_the_interview_page_links_to_the_replay_once_it_started(scene: Scene, acme: Tenant) -> None:
    # given a finished interview and one not started yet
    later = InterviewFactory(organization=acme.org, scheduled_at=at(0) + timedelta(days=30))
    ParticipantFactory(interview=later, user=scene.interviewer)
    client = logged_in(scene.interviewer)
    # when / then
    assert replay_url(scene).encode() in client.get(reverse("interview_detail", args=[scene.interview.pk])).content
    detail = client.get(reverse("interview_detail", args=[later.pk])).content
    assert reverse("interview_replay", args=[later.pk]).encode() not in detail


def test_a_ready_insight_with_a_broken_payload_does_not_break_the_page(scene: Scene) -> None:
    # given a provider that wrote nonsense
    Insight.objects.filter(interview=scene.interview, kind=Insight.Kind.SUMMARY).update(
        payload={
            "highlights": [{"text": 5, "cites": "x"}, "y", {"text": "kept", "cites": [{"kind": "bogus"}]}],
            "questions": {},
        }
    )
    # when
    response = logged_in(scene.interviewer).get(replay_url(scene))
    # then
    assert response.status_code == 200
    assert "kept" in response.content.decode()
    assert [m for m in embedded(response.content, "replay-data")["marks"] if m["kind"] == "citation"] == []


def _observer(acme: Tenant, scene: Scene) -> User:
    user = add_member(acme, Role.INTERVIEWER, "watcher@acme.test")
    ParticipantFactory(interview=scene.interview, user=user, role=Participant.Role.OBSERVER)
    return user


def test_an_observer_gets_no_summary_since_it_quotes_the_answer_guide(acme: Tenant, scene: Scene) -> None:
    # given an observer on the panel, who sees no question guide in the room either
    observer = _observer(acme, scene)
    # when
    page = logged_in(observer).get(replay_url(scene)).content.decode()
    lead_page = logged_in(scene.interviewer).get(replay_url(scene)).content.decode()
    # then
    assert "Explained the two-pointer idea clearly." not in page
    assert "only interviewers and hiring staff see it" in page
    assert "AI citation at" not in page
    assert "Explained the two-pointer idea clearly." in lead_page


def test_an_observer_sees_only_the_private_messages_sent_to_or_by_them(acme: Tenant, scene: Scene) -> None:
    # given a private message from the interviewer to the candidate, and one to the observer
    observer = _observer(acme, scene)
    mine = Participant.objects.get(interview=scene.interview, user=observer)
    lead = Participant.objects.get(interview=scene.interview, user=scene.interviewer)
    ChatMessage.objects.create(
        interview=scene.interview, sender=lead, recipient=mine, text="Watch the edge cases.", sent_at=at(9500)
    )
    # when
    page = logged_in(observer).get(replay_url(scene)).content.decode()
    # then
    assert "Take your time." in page
    assert "Watch the edge cases." in page
    assert "Psst: a private note." not in page


def test_insights_made_before_ai_was_switched_off_are_not_shown(scene: Scene) -> None:
    # given the organization switches AI insights off after the analysis
    from recordings.models import MediaSettings

    MediaSettings.objects.update_or_create(organization=scene.interview.organization, defaults={"ai_enabled": False})
    # when
    page = logged_in(scene.interviewer).get(replay_url(scene)).content.decode()
    # then
    assert "Explained the two-pointer idea clearly." not in page
    assert "58%" not in page
    assert page.count("AI insights are switched off for this organization.") == 3


def test_each_speakers_sentiment_is_drawn_over_the_interview_with_a_table(scene: Scene) -> None:
    # when
    page = logged_in(scene.interviewer).get(replay_url(scene)).content.decode()
    # then: one chart per speaker with sentiment points, its points on the session clock
    engagement = Insight.objects.get(interview=scene.interview, kind=Insight.Kind.ENGAGEMENT)
    speakers = [s for s in engagement.payload["speakers"] if s.get("sentiment")]
    assert speakers
    assert page.count('class="replay-sentiment"') == len(speakers)
    for speaker in speakers:
        assert f"Sentiment of {speaker['name']} over the interview" in page
    lines = re.findall(r'<polyline class="replay-sentiment-line" points="([^"]*)"', page)
    assert len(lines) == len(speakers)
    for line in lines:
        xs = [float(point.split(",")[0]) for point in line.split()]
        assert xs == sorted(xs)
        assert all(0 <= x <= 240 for x in xs)
