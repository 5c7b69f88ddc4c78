"""Twelve weeks of past hiring at Acme, so the dashboards and reports have something to show.

Candidates enter through the services (audited, like any other), then their history is dated
back: when they applied, each stage move, each interview's start and end, each scorecard. The
data is made from a fixed seed, so every `make run` shows the same figures, and it is added once
(the candidates' e-mail domain marks it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Organization, Role, User
from interviews import services
from interviews.models import Candidate, Interview, Participant, PipelineStage, Position, Scorecard, StageMove

DOMAIN = "history.demo.test"
WEEKS = 12
SOURCES = ["careers_site", "referral", "linkedin", "agency", "sourced"]
FIRST = ["Ada", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jade", "Kofi", "Lena"]
LAST = ["Moreau", "Okafor", "Silva", "Novak", "Haddad", "Kim", "Larsen", "Petrov", "Rossi", "Sato"]
EXTRA_INTERVIEWERS = [("priya@acme.test", "Priya Panel"), ("omar@acme.test", "Omar Onsite")]


def seed_hiring_history(
    *, organization: Organization, recruiter: User, interviewers: list[User], make_user: Callable[[str, str], User]
) -> int:
    """Add about 36 past candidates (once); returns how many the history holds."""
    existing = Candidate.objects.filter(organization=organization, email__endswith=f"@{DOMAIN}").count()
    if existing:
        return existing
    panel = list(interviewers)
    for email, name in EXTRA_INTERVIEWERS:
        user = make_user(email, name)
        accounts_services.membership_add(user=user, organization=organization, role=Role.INTERVIEWER, actor=None)
        panel.append(user)
    positions = list(
        Position.objects.filter(organization=organization, pipeline__isnull=False).select_related("pipeline")
    )
    rng = random.Random(20261201)  # noqa: S311 - demo data, the same at every run
    now = timezone.now()
    count = 0
    for index in range(36):
        position = positions[index % len(positions)]
        stages = list(position.pipeline.stages.order_by("order"))  # type: ignore[union-attr]
        name = f"{FIRST[index % len(FIRST)]} {LAST[(index * 7) % len(LAST)]}"
        applied = now - timedelta(days=rng.uniform(2, WEEKS * 7), hours=rng.uniform(0, 8))
        candidate = services.candidate_create(
            organization=organization,
            actor=recruiter,
            full_name=name,
            email=f"candidate{index:02d}@{DOMAIN}",
            source=SOURCES[rng.randrange(len(SOURCES))],
            position=position,
        )
        Candidate.objects.filter(pk=candidate.pk).update(created_at=applied)
        StageMove.objects.filter(candidate=candidate).update(moved_at=applied)
        withdraws_at = 1 if index % 9 == 4 else None  # a few withdraw, at their second stage
        _live_through(candidate, stages, applied, panel, recruiter, rng, now, withdraws_at)
        count += 1
    return count


def _live_through(
    candidate: Candidate,
    stages: list[PipelineStage],
    applied: Any,
    panel: list[User],
    recruiter: User,
    rng: random.Random,
    now: Any,
    withdraws_at: int | None,
) -> None:
    """Interview the candidate stage by stage until they are rejected, withdraw, or are hired."""
    when = applied
    for position_in_pipeline, stage in enumerate(stages):
        when = when + timedelta(days=rng.uniform(3, 10))
        if when > now - timedelta(days=1):
            return  # still in process at this stage
        skill = rng.uniform(1.7, 4.0)
        _interview(candidate, stage, when, rng.sample(panel, 2), recruiter, skill, rng)
        if skill < 2.1 or position_in_pipeline == withdraws_at:
            outcome = Candidate.Outcome.REJECTED if skill < 2.1 else Candidate.Outcome.WITHDRAWN
            services.candidate_decide(candidate=candidate, outcome=outcome, actor=recruiter)
            Candidate.objects.filter(pk=candidate.pk).update(decided_at=when + timedelta(days=1))
            return
        if position_in_pipeline + 1 < len(stages):
            services.candidate_move_stage(candidate=candidate, stage=stages[position_in_pipeline + 1], actor=recruiter)
            StageMove.objects.filter(candidate=candidate, to_stage=stages[position_in_pipeline + 1]).update(
                moved_at=when + timedelta(days=1)
            )
    services.candidate_decide(candidate=candidate, outcome=Candidate.Outcome.HIRED, actor=recruiter)
    Candidate.objects.filter(pk=candidate.pk).update(decided_at=when + timedelta(days=2))


def _interview(
    candidate: Candidate,
    stage: PipelineStage,
    when: Any,
    interviewers: list[User],
    recruiter: User,
    skill: float,
    rng: random.Random,
) -> None:
    interview, _tokens = services.interview_schedule(
        candidate=candidate, stage=stage, scheduled_at=when, interviewers=interviewers, actor=recruiter
    )
    started = when + timedelta(minutes=rng.uniform(0, 6))
    ended = started + timedelta(minutes=stage.duration_minutes * rng.uniform(0.75, 1.15))
    Interview.objects.filter(pk=interview.pk).update(
        status=Interview.Status.COMPLETED, started_at=started, ended_at=ended
    )
    for author in interviewers:
        bias = {0: 0.0, 1: 0.3, 2: -0.4, 3: 0.1}.get(interviewers.index(author) + rng.randrange(2), 0.0)
        ratings = {c: max(1, min(4, round(skill + bias + rng.uniform(-0.5, 0.5)))) for c in stage.criteria}
        average = sum(ratings.values()) / max(1, len(ratings))
        recommendation = (
            Scorecard.Recommendation.STRONG_YES
            if average >= 3.6
            else Scorecard.Recommendation.YES
            if average >= 2.6
            else Scorecard.Recommendation.NO
            if average >= 1.8
            else Scorecard.Recommendation.STRONG_NO
        )
        card = services.scorecard_save(
            interview=interview,
            author=author,
            ratings=ratings,
            recommendation=recommendation,
            comments=rng.choice(["Solid fundamentals.", "Explained trade-offs well.", "Struggled with edge cases."]),
            submit=True,
        )
        Scorecard.objects.filter(pk=card.pk).update(submitted_at=ended + timedelta(hours=rng.uniform(1, 72)))
    Participant.objects.filter(interview=interview).update(links_sent_at=when - timedelta(days=1))
