"""The room page as Django renders it: who gets the question plan, which panels exist, the config."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from interviews.factories import InterviewFactory, ParticipantFactory, QuestionFactory
from interviews.models import Interview, InterviewQuestionPlan, Participant
from interviews.selectors import interview_plan_for_room
from tests.conftest import Tenant

HINT = "HINT-only-for-the-panel"
GUIDE = "GUIDE-only-for-the-panel"
QUESTION = "Design a URL shortener"
LEAD_TOKEN = "room-page-lead-" + "l" * 30
CANDIDATE_TOKEN = "room-page-cand-" + "c" * 30
OBSERVER_TOKEN = "room-page-obs-" + "o" * 30


@pytest.fixture
def interview(acme: Tenant) -> Interview:
    interview = InterviewFactory(
        organization=acme.org,
        scheduled_at=timezone.now() + timedelta(minutes=5),
        candidate__full_name="Ada Lovelace",
        candidate__user=acme.users[Role.CANDIDATE],
    )
    ParticipantFactory(interview=interview, user=acme.users[Role.INTERVIEWER], token=LEAD_TOKEN)
    ParticipantFactory(
        interview=interview,
        user=None,
        candidate=interview.candidate,
        role=Participant.Role.CANDIDATE,
        token=CANDIDATE_TOKEN,
    )
    question = QuestionFactory(
        organization=acme.org,
        question_text=QUESTION,
        interviewer_hints=HINT,
        expected_answer_guide=GUIDE,
        follow_up_questions=["How would you expire links?"],
    )
    InterviewQuestionPlan.objects.create(interview=interview, question=question, order=1)
    return interview


def page(token: str) -> str:
    response = Client().get(f"/join/{token}/")
    assert response.status_code == 200
    return response.content.decode()


def room_config(html: str) -> dict:
    match = re.search(r'<script id="room-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page carries no room-config"
    return json.loads(match.group(1))


def set_tools(interview: Interview, **tools: bool) -> None:
    stage = interview.stage
    stage.tools_config = {"video": True, "editor": True, "whiteboard": True, "chat": True, **tools}
    stage.save(update_fields=["tools_config"])


# --- the question plan: only for those who may lead ----------------------------------------------
def test_the_candidates_room_holds_neither_hints_nor_answer_guide(interview):
    # when
    html = page(CANDIDATE_TOKEN)
    # then
    assert HINT not in html
    assert GUIDE not in html
    assert QUESTION not in html  # the candidate sees a question only when it is pushed
    assert 'id="plan-panel"' not in html
    assert "data-push-question" not in html
    assert 'id="question-card"' in html  # where a pushed question appears


def test_the_interviewers_room_shows_the_plan_with_hints_guide_and_push_buttons(interview):
    # when
    html = page(LEAD_TOKEN)
    # then
    assert "My Questions" in html
    assert QUESTION in html
    assert HINT in html
    assert GUIDE in html
    assert "How would you expire links?" in html
    question_id = InterviewQuestionPlan.objects.get(interview=interview).question_id
    assert f'data-push-question="{question_id}"' in html
    assert 'id="end-button"' in html


def test_the_candidate_signed_in_gets_the_same_room_without_the_plan(acme, interview):
    # given
    client = Client()
    client.force_login(acme.users[Role.CANDIDATE])
    # when
    response = client.get(reverse("interview_join_session", args=[interview.pk]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert HINT not in html
    assert GUIDE not in html
    assert 'id="end-button"' not in html
    assert room_config(html)["token"] == ""  # the session authenticates the socket


def test_an_observer_who_is_not_staff_gets_no_plan(acme, interview):
    # given someone shadowing the interview who holds no hiring role in the organization
    observer = ParticipantFactory(interview=interview, role=Participant.Role.OBSERVER, token=OBSERVER_TOKEN)
    # when
    html = page(OBSERVER_TOKEN)
    # then
    assert interview_plan_for_room(participant=observer) == []
    assert HINT not in html
    assert GUIDE not in html
    assert room_config(html)["observer"] is True
    assert 'id="mic-button"' not in html  # observers join without camera or microphone


def test_a_recruiter_observing_is_staff_and_gets_the_plan(acme, interview):
    # given
    ParticipantFactory(
        interview=interview, user=acme.users[Role.RECRUITER], role=Participant.Role.OBSERVER, token=OBSERVER_TOKEN
    )
    # when
    html = page(OBSERVER_TOKEN)
    # then
    assert HINT in html
    assert GUIDE in html
    assert room_config(html)["mayLead"] is True


def test_the_plan_selector_gives_texts_in_order_to_the_interviewer(acme, interview):
    # given a second question planned before the first
    second = QuestionFactory(organization=acme.org, question_text="Warm-up: FizzBuzz")
    InterviewQuestionPlan.objects.create(interview=interview, question=second, order=0)
    lead = Participant.objects.get(interview=interview, role=Participant.Role.INTERVIEWER)
    candidate = Participant.objects.get(interview=interview, role=Participant.Role.CANDIDATE)
    # when
    plan = interview_plan_for_room(participant=lead)
    # then
    assert [q.text for q in plan] == ["Warm-up: FizzBuzz", QUESTION]
    assert plan[1].hints == HINT
    assert plan[1].guide == GUIDE
    assert interview_plan_for_room(participant=candidate) == []


# --- the page's panels follow the stage's toolsConfig -------------------------------------------
def test_chat_off_renders_no_chat_markup(interview):
    set_tools(interview, chat=False)
    html = page(CANDIDATE_TOKEN)
    assert 'id="chat-panel"' not in html
    assert 'id="chat-form"' not in html
    assert room_config(html)["tools"] == {"video": True, "chat": False, "editor": True, "whiteboard": True}


def test_video_off_renders_no_video_markup(interview):
    set_tools(interview, video=False)
    html = page(LEAD_TOKEN)
    assert "<video" not in html
    assert 'id="camera-select"' not in html
    assert 'id="mic-button"' not in html
    assert 'id="screen-button"' not in html
    assert "video-grid" not in html
    assert room_config(html)["tools"] == {"video": False, "chat": True, "editor": True, "whiteboard": True}
    assert 'id="chat-panel"' in html  # the other tools are still there


def test_everything_off_leaves_the_room_with_people_and_leave(interview):
    set_tools(interview, video=False, chat=False, editor=False, whiteboard=False)
    html = page(CANDIDATE_TOKEN)
    assert "<video" not in html
    assert 'id="chat-panel"' not in html
    assert 'class="room-side"' not in html
    assert 'id="leave-button"' in html


def test_editor_off_renders_no_editor_markup(interview):
    set_tools(interview, editor=False)
    html = page(CANDIDATE_TOKEN)
    assert 'id="editor' not in html
    assert room_config(html)["tools"]["editor"] is False


def test_whiteboard_off_renders_no_whiteboard_markup(interview):
    set_tools(interview, whiteboard=False)
    html = page(CANDIDATE_TOKEN)
    assert 'id="whiteboard' not in html
    assert room_config(html)["tools"]["whiteboard"] is False


def test_the_page_starts_with_the_shared_editor_state(interview):
    config = room_config(page(CANDIDATE_TOKEN))
    assert config["editor"] == {"language": "python", "locked": False, "runEnabled": True}
    assert config["docUrl"] == f"/ws/rooms/{interview.room_id}/yjs"
    assert [lang["value"] for lang in config["languages"]] == [
        "python",
        "javascript",
        "typescript",
        "c",
        "c++",
        "java",
        "go",
        "rust",
    ]


# --- page context: config, strings, scripts --------------------------------------------------------
def test_the_page_carries_room_config_with_the_ice_servers(settings, interview):
    # given
    settings.ROOM_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.ROOM_TURN_URLS = ["turn:turn.example.test:3478"]
    settings.ROOM_TURN_SECRET = "shared-secret"
    # when
    config = room_config(page(CANDIDATE_TOKEN))
    # then
    assert config["roomId"] == str(interview.room_id)
    assert config["token"] == CANDIDATE_TOKEN
    assert config["role"] == "candidate"
    assert config["mayLead"] is False
    assert config["iceServers"][0] == {"urls": ["stun:stun.example.test:3478"]}
    turn = config["iceServers"][1]
    assert turn["urls"] == ["turn:turn.example.test:3478"]
    assert turn["username"].endswith(":" + Participant.objects.get(role="candidate").peer_id.hex)
    assert turn["credential"]


def test_the_room_script_is_a_module_file_and_its_strings_come_as_json(interview):
    html = page(CANDIDATE_TOKEN)
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert any('src="/static/dist/room.js"' in attributes for attributes in scripts)
    for attributes in scripts:  # CSP script-src 'self': no inline code anywhere
        assert "src=" in attributes or 'type="application/json"' in attributes
    strings = json.loads(re.search(r'<script id="room-i18n" type="application/json">(.*?)</script>', html, re.S)[1])
    assert strings["connecting"] == "Connecting…"
    assert strings["ended"] == "The interviewer ended the interview."
    assert "%(n)s" in strings["reconnecting_in"]


def test_only_the_room_page_loads_the_room_script(acme, interview):
    client = Client()
    client.force_login(acme.users[Role.INTERVIEWER])
    assert b"dist/room.js" not in client.get(reverse("dashboard")).content
    assert b"dist/room.js" not in client.get(reverse("interview_detail", args=[interview.pk])).content


def test_a_room_that_is_not_open_yet_says_when_it_opens(interview):
    Interview.objects.filter(pk=interview.pk).update(scheduled_at=timezone.now() + timedelta(hours=3))
    html = page(CANDIDATE_TOKEN)
    assert "The room is not open yet." in html


# --- links that do not work -------------------------------------------------------------------------
def test_an_unknown_link_gets_the_404_page(interview):
    response = Client().get("/join/no-such-token-abcdefghijklmnop/")
    assert response.status_code == 404
    assert "This join link is not valid" in response.content.decode()
    assert b"room-config" not in response.content


def test_an_expired_link_gets_the_410_page(interview):
    Participant.objects.filter(interview=interview, role="candidate").update(
        token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = Client().get(f"/join/{CANDIDATE_TOKEN}/")
    assert response.status_code == 410
    assert "This link has expired." in response.content.decode()
    assert b"room-config" not in response.content


def test_a_revoked_link_gets_the_410_page(interview):
    Participant.objects.filter(interview=interview, role="candidate").update(revoked_at=timezone.now())
    response = Client().get(f"/join/{CANDIDATE_TOKEN}/")
    assert response.status_code == 410
    assert "replaced by a newer one" in response.content.decode()
    assert b"room-config" not in response.content
