"""Demo hiring data for ``manage.py seed_demo``: safe to run again (finds before it creates)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Organization, User
from interviews import services
from interviews.models import (
    Candidate,
    Interview,
    InterviewQuestion,
    PipelineTemplate,
    Position,
    Scorecard,
)

QUESTIONS = [
    {
        "question_text": "Design a rate limiter that allows 100 requests per minute per API key.",
        "interviewer_hints": "Nudge towards a sliding window or token bucket if they start with a fixed window.",
        "expected_answer_guide": "Token bucket or sliding-window log; atomic increments in Redis; per-key TTL; "
        "discuss bursts, clock skew and what happens when Redis is down.",
        "difficulty": "medium",
        "follow_up_questions": ["How would you make it work across regions?", "How do you test it?"],
        "tags": ["system design", "backend"],
    },
    {
        "question_text": "Given a list of meeting intervals, return the minimum number of rooms needed.",
        "interviewer_hints": "If stuck, ask what happens when you sort the start and end times separately.",
        "expected_answer_guide": "Sort starts and ends, sweep with two pointers (O(n log n)); "
        "or a min-heap of end times.",
        "difficulty": "medium",
        "follow_up_questions": ["Can you return which meeting goes in which room?"],
        "tags": ["algorithms", "python"],
    },
    {
        "question_text": "Tell me about a production incident you owned from detection to follow-up.",
        "interviewer_hints": "Look for ownership and what changed afterwards, not heroics.",
        "expected_answer_guide": "Clear timeline, own role, communication, blameless post-mortem, a lasting fix.",
        "difficulty": "easy",
        "follow_up_questions": ["What would you do differently?"],
        "tags": ["behavioral"],
    },
]

CANDIDATES = [
    ("Cara Candidate", "candidate@acme.test", "referral", ["strong referral"]),
    ("Grace Hopper", "grace@example.test", "linkedin", ["compilers"]),
    ("Alan Turing", "alan@example.test", "careers_site", []),
]


#: the demo room stays open this long after `make run` seeded it (plus the links' grace)
DEMO_ROOM_MINUTES = 240


def seed_acme_hiring(*, organization: Organization, recruiter: User, interviewers: list[User]) -> list[tuple[str, str]]:
    """Pipeline, questions, positions, candidates and interviews for Acme; returns fresh join links."""
    questions = []
    for spec in QUESTIONS:
        question = InterviewQuestion.objects.filter(
            organization=organization, question_text=spec["question_text"]
        ).first()
        if question is None:
            data = {k: v for k, v in spec.items() if k != "tags"}
            question = services.question_create(
                organization=organization, actor=recruiter, tags=list(spec["tags"]), **data
            )
        questions.append(question)

    pipeline = PipelineTemplate.objects.filter(organization=organization, name="Backend engineering").first()
    if pipeline is None:
        pipeline = services.pipeline_create(
            organization=organization,
            name="Backend engineering",
            actor=recruiter,
            description="Three stages: a screen, live coding, and system design.",
            stages=[
                {
                    "name": "Phone screen",
                    "stage_type": "phone_screen",
                    "duration_minutes": 30,
                    "question_ids": [questions[2].pk],
                },
                {
                    "name": "Live coding",
                    "stage_type": "technical_live",
                    "duration_minutes": 60,
                    # recorded once both agree on the pre-join screen (docs/recording.md)
                    "tools_config": {
                        "video": True,
                        "editor": True,
                        "whiteboard": True,
                        "chat": True,
                        "recording": True,
                    },
                    "question_ids": [questions[1].pk],
                },
                {
                    "name": "System design",
                    "stage_type": "system_design",
                    "duration_minutes": 60,
                    "question_ids": [questions[0].pk],
                },
            ],
        )
    stages = list(pipeline.stages.order_by("order"))

    positions = {}
    for title, team, status in (
        ("Backend engineer", "Platform", "open"),
        ("Frontend engineer", "Web", "open"),
        ("Data analyst", "Insights", "closed"),
    ):
        position = Position.objects.filter(organization=organization, title=title).first()
        if position is None:
            position = services.position_create(
                organization=organization,
                actor=recruiter,
                title=title,
                team=team,
                status=status,
                pipeline=pipeline,
                hiring_manager=recruiter,
            )
        positions[title] = position

    candidates = []
    for name, email, source, tags in CANDIDATES:
        candidate = Candidate.objects.filter(organization=organization, email=email).first()
        if candidate is None:
            user = User.objects.filter(email=email).first()
            candidate = services.candidate_create(
                organization=organization,
                actor=recruiter,
                full_name=name,
                email=email,
                source=source,
                position=positions["Backend engineer"],
                tags=tags,
                user=user,
            )
            services.note_add(
                candidate=candidate, author=recruiter, body=f"{name}: salary expectations discussed.", is_private=True
            )
            services.note_add(candidate=candidate, author=recruiter, body="Prefers morning slots.", is_private=False)
        candidates.append(candidate)

    cara = candidates[0]
    live = stages[1]
    if cara.current_stage_id != live.pk and not Interview.objects.filter(candidate=cara, stage=live).exists():
        services.candidate_move_stage(candidate=cara, stage=live, actor=recruiter)

    # A live-coding interview with two interviewers whose room is open right now: the demo's
    # join links. Re-run later (or after someone ended it), the demo gets a fresh one, so the
    # links printed by `make run` always lead into a working room for the next hours.
    interview = Interview.objects.filter(
        candidate=cara,
        stage=live,
        status__in=(Interview.Status.SCHEDULED, Interview.Status.LIVE),
        scheduled_at__lte=timezone.now(),
        scheduled_at__gte=timezone.now() - timedelta(minutes=DEMO_ROOM_MINUTES - 60),
    ).first()
    if interview is None:
        start = timezone.now().replace(second=0, microsecond=0)
        interview, _tokens = services.interview_schedule(
            candidate=cara,
            stage=live,
            scheduled_at=start,
            interviewers=interviewers,
            actor=recruiter,
            duration_minutes=DEMO_ROOM_MINUTES,
        )

    # A finished phone screen with submitted scorecards, for the timeline and reports.
    grace = candidates[1]
    if not Interview.objects.filter(candidate=grace, stage=stages[0]).exists():
        past, _tokens = services.interview_schedule(
            candidate=grace,
            stage=stages[0],
            scheduled_at=timezone.now() - timedelta(days=3),
            interviewers=interviewers[:1],
            actor=recruiter,
        )
        Interview.objects.filter(pk=past.pk).update(status=Interview.Status.COMPLETED)
        ratings = dict.fromkeys(stages[0].criteria, 3)
        services.scorecard_save(
            interview=past,
            author=interviewers[0],
            ratings=ratings,
            recommendation=Scorecard.Recommendation.YES,
            comments="Clear communicator; motivated by the platform work.",
            submit=True,
        )
        services.candidate_move_stage(candidate=grace, stage=stages[1], actor=recruiter)

    seed_code_playback(candidate=candidates[2], stage=live, interviewers=interviewers, recruiter=recruiter)

    links = []
    for participant in interview.participants.select_related("user", "candidate").order_by("role", "pk"):
        token = services.participant_issue_link(participant=participant, actor=recruiter)
        links.append((f"{participant.display_name} ({participant.get_role_display()})", services.join_url(token)))
    return links


def seed_globex_hiring(*, organization: Organization, recruiter: User) -> None:
    """A little data in the second organization, so isolation is visible."""
    if Position.objects.filter(organization=organization).exists():
        return
    pipeline = services.pipeline_create(
        organization=organization,
        name="Globex hiring",
        actor=recruiter,
        stages=[{"name": "Screen", "stage_type": "phone_screen"}, {"name": "Panel", "stage_type": "panel"}],
    )
    position = services.position_create(
        organization=organization, actor=recruiter, title="Globex SRE", team="Ops", pipeline=pipeline
    )
    services.candidate_create(
        organization=organization,
        actor=recruiter,
        full_name="Hank Scorpio",
        email="hank@globex.test",
        position=position,
    )


#: the demo's recorded coding session: (minutes from the start, who types, where, what)
DEMO_SESSION: list[tuple[float, str, str, str]] = [
    (0.5, "interviewer", "end", "# Return the indices of the two numbers that add up to target.\n"),
    (2.0, "candidate", "end", "def two_sum(nums, target):\n"),
    (2.4, "candidate", "end", "    for i in range(len(nums)):\n"),
    (2.9, "candidate", "end", "        for j in range(i + 1, len(nums)):\n"),
    (3.5, "candidate", "end", "            if nums[i] + nums[j] == target:\n"),
    (3.9, "candidate", "end", "                return [i, j]\n"),
    (5.0, "interviewer", "end", "# Can you do it in one pass?\n"),
    # a long pause while the candidate thinks, then the whole new version pasted at once
    (7.5, "candidate", "replace", ""),
    (
        7.6,
        "candidate",
        "end",
        "def two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
        "        if target - n in seen:\n            return [seen[target - n], i]\n        seen[n] = i\n",
    ),
    (9.0, "candidate", "end", "    return []\n"),
    (10.0, "interviewer", "end", "# 👍 O(n) time, O(n) memory\n"),
]


def seed_code_playback(*, candidate: Candidate, stage: Any, interviewers: list[User], recruiter: User) -> Interview:
    """A finished live-coding interview whose editor history the playback page replays."""
    from pycrdt import Doc, Text

    from interviews.models import Participant, RoomDocument
    from interviews.services import documents

    existing = Interview.objects.filter(candidate=candidate, stage=stage, documents__name="code").first()
    if existing is not None:
        return existing
    start = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    interview, _tokens = services.interview_schedule(
        candidate=candidate, stage=stage, scheduled_at=start, interviewers=interviewers[:1], actor=recruiter
    )
    Interview.objects.filter(pk=interview.pk).update(
        status=Interview.Status.COMPLETED, started_at=start, ended_at=start + timedelta(minutes=45)
    )
    people = {p.role: p for p in interview.participants.all()}
    authors = {"interviewer": people[Participant.Role.INTERVIEWER], "candidate": people[Participant.Role.CANDIDATE]}
    document = RoomDocument.objects.create(interview=interview, name=RoomDocument.Name.CODE, language="python")
    # each person types into their own replica, as in the room, so the updates carry their ids
    replicas: dict[str, Doc[Any]] = {who: Doc() for who in authors}
    updates: list[tuple[int | None, datetime, bytes]] = []
    for minutes, who, where, text in DEMO_SESSION:
        doc = replicas[who]
        for other in replicas.values():  # everyone is in sync before the next edit
            doc.apply_update(other.get_update(doc.get_state()))
        before = doc.get_state()
        source = doc.get(documents.SOURCE_TEXT, type=Text)
        if where == "replace":
            del source[0 : len(source)]
        else:
            source += text
        updates.append((authors[who].pk, start + timedelta(minutes=minutes), doc.get_update(before)))
    documents.document_append(document_id=document.pk, updates=updates)
    return interview
