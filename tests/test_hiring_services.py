"""The hiring domain's services: pipeline → position → candidate → interview → scorecards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog
from interviews import selectors, services
from interviews.factories import InterviewFactory, NoteFactory, ParticipantFactory, QuestionFactory
from interviews.models import Interview, InterviewQuestionPlan, Participant, Scorecard, StageMove
from talentsync.errors import NotAllowed, StateError


@pytest.fixture
def hiring(acme):
    recruiter = acme.users["recruiter"]
    q1 = QuestionFactory(organization=acme.org)
    q2 = QuestionFactory(organization=acme.org)
    pipeline = services.pipeline_create(
        organization=acme.org,
        name="Backend",
        actor=recruiter,
        stages=[
            {"name": "Phone screen", "stage_type": "phone_screen"},
            {"name": "Live coding", "stage_type": "technical_live", "question_ids": [q2.pk, q1.pk]},
            {"name": "System design", "stage_type": "system_design"},
        ],
    )
    position = services.position_create(
        organization=acme.org, actor=recruiter, title="Backend engineer", pipeline=pipeline
    )
    candidate = services.candidate_create(
        organization=acme.org, actor=recruiter, full_name="Grace Hopper", email="Grace@Example.test", position=position
    )
    return acme, pipeline, position, candidate, [q2, q1]


def test_candidate_enters_the_first_stage_and_moves_along(hiring):
    acme, pipeline, _position, candidate, _questions = hiring
    stages = list(pipeline.stages.order_by("order"))
    assert candidate.email == "grace@example.test"
    assert candidate.current_stage == stages[0]
    # when
    services.candidate_move_to_next_stage(candidate=candidate, actor=acme.users["recruiter"])
    services.candidate_move_to_next_stage(candidate=candidate, actor=acme.users["recruiter"])
    # then
    candidate.refresh_from_db()
    assert candidate.current_stage == stages[2]
    assert StageMove.objects.filter(candidate=candidate).count() == 3
    with pytest.raises(StateError):
        services.candidate_move_to_next_stage(candidate=candidate, actor=acme.users["recruiter"])


def test_stage_defaults_follow_the_stage_type(hiring):
    _acme, pipeline, *_ = hiring
    phone, live, design = pipeline.stages.order_by("order")
    assert phone.config.toolsConfig == {
        "video": True,
        "editor": False,
        "whiteboard": False,
        "chat": True,
        "recording": False,
    }
    assert live.config.toolsConfig["editor"] is True
    assert design.criteria[0] == "Requirements"


def test_bad_stage_configuration_is_refused(acme):
    with pytest.raises(ValidationError) as excinfo:
        services.pipeline_create(
            organization=acme.org,
            name="Broken",
            actor=acme.users["recruiter"],
            stages=[
                {
                    "name": "X",
                    "stage_type": "technical_dsa",
                    "tools_config": {"video": "yes"},
                    "dsa_config": {"timeLimitMinutes": 1},
                }
            ],
        )
    assert set(excinfo.value.message_dict) >= {"tools_config", "dsa_config"}


def test_schedule_creates_participants_links_and_plan(hiring, mailoutbox, django_capture_on_commit_callbacks):
    acme, pipeline, _position, candidate, questions = hiring
    live = pipeline.stages.get(order=2)
    start = datetime(2030, 5, 4, 9, 0, tzinfo=UTC)
    # when
    interview, tokens = services.interview_schedule(
        candidate=candidate,
        stage=live,
        scheduled_at=start,
        interviewers=[acme.users["interviewer"], acme.users["admin"]],
        actor=acme.users["recruiter"],
    )
    # then
    assert interview.position == candidate.position
    assert interview.duration_minutes == live.duration_minutes
    assert [p.question for p in InterviewQuestionPlan.objects.filter(interview=interview)] == questions
    roles = sorted(interview.participants.values_list("role", flat=True))
    assert roles == ["candidate", "interviewer", "interviewer"]
    assert len(tokens) == 3
    for pid, token in tokens.items():
        found = selectors.participant_get_by_token(token=token)
        assert found is not None
        assert found.pk == pid
        assert found.token_usable()
    assert Client().get(f"/join/{next(iter(tokens.values()))}/").status_code == 200
    # and sending links rotates every token and e-mails each participant
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.interview_send_join_links(interview=interview, actor=acme.users["recruiter"])
    assert sent == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in interview.participants.all())
    assert all(selectors.participant_get_by_token(token=t) is None for t in tokens.values())
    assert AuditLog.objects.filter(action="interview.send_links").exists()


def test_schedule_rejects_bad_input(hiring, globex):
    acme, pipeline, _position, candidate, _questions = hiring
    stage = pipeline.stages.get(order=2)
    with pytest.raises(ValidationError) as excinfo:
        services.interview_schedule(
            candidate=candidate,
            stage=stage,
            scheduled_at=datetime(2030, 5, 4, 9, 0),  # noqa: DTZ001 - naive on purpose
            interviewers=[globex.users["interviewer"]],
            actor=acme.users["recruiter"],
        )
    assert set(excinfo.value.message_dict) == {"scheduled_at", "interviewers"}
    with pytest.raises(NotAllowed):
        services.interview_schedule(
            candidate=candidate,
            stage=stage,
            scheduled_at=timezone.now(),
            interviewers=[acme.users["interviewer"]],
            actor=acme.users["interviewer"],
        )


def test_join_links_expire_and_can_be_revoked(acme):
    interview = InterviewFactory(organization=acme.org)
    fresh = ParticipantFactory(
        interview=interview, user=acme.users["interviewer"], token="fresh-token-abcdefghijklmnop"
    )
    assert Client().get("/join/fresh-token-abcdefghijklmnop/").status_code == 200
    # revoked
    services.participant_revoke_link(participant=fresh, actor=acme.users["recruiter"])
    assert Client().get("/join/fresh-token-abcdefghijklmnop/").status_code == 410
    # expired
    old = ParticipantFactory(interview=interview, user=acme.users["admin"], token="old-token-abcdefghijklmnopq")
    Participant.objects.filter(pk=old.pk).update(token_expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().get("/join/old-token-abcdefghijklmnopq/").status_code == 410
    # cancelled interview kills every link
    other = ParticipantFactory(interview=interview, user=acme.users["recruiter"], token="other-token-abcdefghijklmno")
    services.interview_cancel(interview=interview, actor=acme.users["recruiter"])
    other.refresh_from_db()
    assert not other.token_usable()
    assert Client().get("/join/not-a-real-token/").status_code == 404


def test_scorecards_stay_hidden_until_you_submit_yours(acme):
    interview = InterviewFactory(organization=acme.org)
    ivan, ada = acme.users["interviewer"], acme.users["admin"]
    for user in (ivan, ada):
        ParticipantFactory(interview=interview, user=user)
    services.scorecard_save(
        interview=interview,
        author=ada,
        ratings={"Problem solving": 4, "Communication": 3},
        recommendation="yes",
        submit=True,
    )
    services.scorecard_save(interview=interview, author=ivan, ratings={"Problem solving": 2})
    # then: Ivan (draft only) sees just his own draft
    assert [s.author for s in selectors.scorecard_list_visible(actor=ivan, interview=interview)] == [ivan]
    # recruiters see only submitted ones
    assert [s.author for s in selectors.scorecard_list_visible(actor=acme.users["recruiter"], interview=interview)] == [
        ada
    ]
    # when Ivan submits, he sees both
    services.scorecard_save(
        interview=interview,
        author=ivan,
        ratings={"Problem solving": 2, "Communication": 2},
        recommendation="no",
        submit=True,
    )
    assert {s.author for s in selectors.scorecard_list_visible(actor=ivan, interview=interview)} == {ivan, ada}
    with pytest.raises(StateError):
        services.scorecard_save(interview=interview, author=ivan, ratings={}, submit=False)


@pytest.mark.parametrize(
    ("ratings", "recommendation", "field"),
    [
        ({"Problem solving": 5, "Communication": 3}, "yes", "ratings"),
        ({"Problem solving": 3}, "yes", "ratings"),
        ({"Problem solving": 3, "Communication": 3, "Vibes": 4}, "yes", "ratings"),
        ({"Problem solving": 3, "Communication": 3}, "", "recommendation"),
        ({"Problem solving": 3, "Communication": 3}, "maybe", "recommendation"),
    ],
)
def test_bad_scorecards_are_refused(acme, ratings, recommendation, field):
    interview = InterviewFactory(organization=acme.org)
    ParticipantFactory(interview=interview, user=acme.users["interviewer"])
    with pytest.raises(ValidationError) as excinfo:
        services.scorecard_save(
            interview=interview,
            author=acme.users["interviewer"],
            ratings=ratings,
            recommendation=recommendation,
            submit=True,
        )
    assert field in excinfo.value.message_dict
    assert not Scorecard.objects.filter(submitted_at__isnull=False).exists()


def test_only_panel_members_write_scorecards(acme):
    interview = InterviewFactory(organization=acme.org)
    with pytest.raises(NotAllowed):
        services.scorecard_save(interview=interview, author=acme.users["interviewer"], ratings={})


def test_interviewers_see_only_their_interviews_and_shared_notes(acme):
    mine = InterviewFactory(organization=acme.org)
    other = InterviewFactory(organization=acme.org)
    ParticipantFactory(interview=mine, user=acme.users["interviewer"])
    NoteFactory(candidate=mine.candidate, body="private", is_private=True)
    NoteFactory(candidate=mine.candidate, body="shared", is_private=False)
    ivan = acme.users["interviewer"]
    assert list(selectors.interview_list(actor=ivan, organization=acme.org)) == [mine]
    assert set(selectors.interview_list(actor=acme.users["recruiter"], organization=acme.org)) == {mine, other}
    assert list(selectors.candidate_list(actor=ivan, organization=acme.org)) == [mine.candidate]
    assert [n.body for n in selectors.note_list_visible(actor=ivan, candidate=mine.candidate)] == ["shared"]
    assert list(selectors.note_list_visible(actor=ivan, candidate=other.candidate)) == []
    assert list(selectors.note_list_visible(actor=acme.users["candidate"], candidate=mine.candidate)) == []
    assert selectors.interview_list(actor=acme.users["candidate"], organization=acme.org).count() == 0
    assert Interview.objects.count() == 2
