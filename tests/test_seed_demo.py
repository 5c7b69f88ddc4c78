"""``seed_demo`` gives a newcomer working data, and running it again duplicates nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, Organization, User
from interviews.models import Candidate, Interview, InterviewQuestion, Participant, PipelineTemplate, Position
from interviews.selectors import participant_get_by_token
from interviews.services import documents, rooms


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = [
        Organization,
        User,
        Membership,
        PipelineTemplate,
        Position,
        Candidate,
        InterviewQuestion,
        Interview,
        Participant,
    ]
    return {m.__name__: m.objects.count() for m in models}


def test_seed_demo_is_idempotent_and_prints_working_links(db):
    # given
    _seed()
    first = _counts()
    # when
    output = _seed()
    # then
    assert _counts() == first
    assert first["Organization"] == 2
    assert first["Interview"] >= 2
    for email in ("admin@acme.test", "recruiter@acme.test", "interviewer@acme.test", "candidate@acme.test"):
        assert email in output
    join_links = re.findall(r"https?://\S+(/join/[\w-]+/)", output)
    assert len(join_links) == 3
    for path in join_links:
        assert Client().get(path).status_code == 200
    invitation = re.search(r"https?://\S+(/invitations/[\w-]+/)", output)
    assert invitation is not None
    assert Client().get(invitation.group(1)).status_code == 200


def test_demo_interview_has_two_interviewers_and_a_question_plan(db):
    _seed()
    interview = Interview.objects.get(candidate__email="candidate@acme.test", stage__stage_type="technical_live")
    assert interview.participants.filter(role="interviewer").count() == 2
    assert interview.plan.count() >= 1
    assert interview.stage.config.toolsConfig["editor"] is True


def test_the_demo_join_links_open_the_room_now(db):
    # given the links `make run` prints
    output = _seed()
    tokens = re.findall(r"https?://\S+/join/([\w-]+)/", output)
    # when each one asks the room socket's rules for entry
    entered = [rooms.room_access_by_token(room_id=_by(t).interview.room_id, token=t) for t in tokens]
    # then all three get in, to the same room, as two interviewers and the candidate
    assert len({p.interview_id for p in entered}) == 1
    assert sorted(p.role for p in entered) == ["candidate", "interviewer", "interviewer"]


def _by(token: str) -> Participant:
    participant = participant_get_by_token(token=token)
    assert participant is not None
    return participant


def test_the_demo_has_a_finished_interview_whose_code_can_be_replayed(db):
    # given
    output = _seed()
    url = re.search(r"Code playback .*?(http://\S+/interviews/(\d+)/playback/)", output)
    assert url is not None, output
    interview = Interview.objects.get(pk=int(url.group(2)))
    # then: the document holds the demo session, written by both people
    document = interview.documents.get(name="code")
    assert interview.status == Interview.Status.COMPLETED
    assert {u.author.role for u in document.updates.select_related("author")} == {"interviewer", "candidate"}
    assert "def two_sum(nums, target):" in documents.document_text_at(document=document, at=timezone.now())
    # and: the interviewer opens the playback page
    client = Client()
    client.force_login(User.objects.get(email="interviewer@acme.test"))
    assert client.get(url.group(1).removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_the_demo_self_scheduling_link_offers_times_from_interviewers_in_two_zones(db):
    # given
    from scheduling.models import AvailabilityRule, InterviewerPool, Notification, PoolMember, SchedulingLink

    _seed()
    output = _seed()
    # then: the printed link is the demo candidate's open link, and it offers times
    url = re.search(r"Self-scheduling link: https?://\S+(/schedule/[\w-]+/)", output)
    assert url is not None, output
    page = Client().get(url.group(1), {"tz": "America/New_York"})
    assert page.status_code == 200
    assert page.content.decode().count('name="start"') > 0
    link = SchedulingLink.objects.get(status="open")
    assert link.candidate.email == "candidate@acme.test"
    # and: the pool has interviewers in Berlin and Kolkata with weekly hours, and a trainee
    pool = InterviewerPool.objects.get(name="Senior backend")
    zones = {m.user.time_zone for m in pool.members.select_related("user") if m.status == PoolMember.Status.QUALIFIED}
    assert zones == {"Europe/Berlin", "Asia/Kolkata"}
    assert pool.members.filter(status=PoolMember.Status.TRAINEE).count() == 1
    assert AvailabilityRule.objects.filter(user__email="priya@acme.test").count() == 5
    # and: the bell has something to show, once
    assert Notification.objects.filter(user__email="recruiter@acme.test", read_at__isnull=True).count() == 3


def test_the_demo_has_a_hiring_history_for_the_reports(db):
    # when
    output = _seed()
    # then
    history = Candidate.objects.filter(email__endswith="@history.demo.test")
    outcomes = set(history.values_list("outcome", flat=True))
    assert history.count() == 36
    assert {"hired", "rejected", "withdrawn", "active"} <= outcomes
    assert Interview.objects.filter(candidate__in=history, status="completed", ended_at__isnull=False).count() > 36
    assert history.filter(created_at__lt=timezone.now() - timedelta(days=42)).exists()
    assert "/reports/" in output
